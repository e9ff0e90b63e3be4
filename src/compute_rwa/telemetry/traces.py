"""Replay of recorded GPU utilization traces (CSV), for demos, tests and back-fills.

The bundled trace is Alibaba's 2026 GenAI serving trace (16 pods, ~60 s samples, 22.8 h).
Each pod is replayed as one GPU; its timestamps are shifted so the trace starts at `start_at`.
Traces carry no power: a `PowerModel` may derive it from utilization (idle + utilization x
(max - idle)), and the samples then say so in their `source`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from compute_rwa.errors import InvalidInputError
from compute_rwa.telemetry.samples import GpuSample
from compute_rwa.telemetry.units import percent_to_bps

BUNDLED_TRACE = "alibaba_v2026genai_pod_gpu_duty_cycle_subset16.csv"


@dataclass(frozen=True)
class PowerModel:
    """Power of one GPU from its utilization, in watts at idle and at full load."""

    idle_w: int
    max_w: int

    def power_mw(self, utilization_bps: int) -> int:
        return (self.idle_w * 1000) + (self.max_w - self.idle_w) * 1000 * utilization_bps // 10_000


@dataclass(frozen=True)
class TraceRow:
    timestamp: float
    pod: str
    utilization_bps: int


def read_duty_cycle_trace(path: Path | None = None) -> list[TraceRow]:
    """Rows of a `value,timestamp_anon,container_ip` trace, validated; the bundled one by default."""
    source = str(path) if path else f"compute_rwa/data/traces/{BUNDLED_TRACE}"
    text = path.read_text() if path else resources.files("compute_rwa.data.traces").joinpath(BUNDLED_TRACE).read_text()
    reader = csv.DictReader(text.splitlines())
    for column in ("value", "timestamp_anon", "container_ip"):
        if column not in (reader.fieldnames or []):
            raise InvalidInputError(source, column, f"column missing (header: {reader.fieldnames})")
    rows = []
    for line, row in enumerate(reader, start=2):
        where = f"{source}:{line}"
        raw_time = (row["timestamp_anon"] or "").strip()
        try:
            timestamp = float(raw_time)
        except ValueError:
            raise InvalidInputError(where, "timestamp_anon", f"not a number: {raw_time!r}") from None
        pod = (row["container_ip"] or "").strip()
        if not pod:
            raise InvalidInputError(where, "container_ip", "empty")
        utilization = percent_to_bps(row["value"] or "", source=where, field="value")
        if utilization is None:
            raise InvalidInputError(where, "value", "missing")
        rows.append(TraceRow(timestamp, pod, utilization))
    return rows


class TraceReplay:
    """Replays a trace as GPU samples: pod i of `pods` becomes GPU `gpu_uuids[i]`."""

    name = "trace"

    def __init__(
        self,
        rows: Sequence[TraceRow],
        gpu_uuids: Sequence[str],
        *,
        start_at: float,
        power_model: PowerModel | None = None,
        pods: Sequence[str] | None = None,
    ) -> None:
        self.pods = list(pods) if pods is not None else sorted({row.pod for row in rows})
        if len(gpu_uuids) < len(self.pods):
            raise InvalidInputError(
                "trace", "gpu_uuids", f"{len(self.pods)} pods need as many GPUs, got {len(gpu_uuids)}"
            )
        self.gpu_of = dict(zip(self.pods, gpu_uuids, strict=False))
        first = min(row.timestamp for row in rows)
        self.shift = start_at - first
        self.rows = sorted(rows, key=lambda r: r.timestamp)
        self.power_model = power_model
        self.end_at = max(row.timestamp for row in rows) + self.shift

    def samples(self, start: float | None = None, end: float | None = None) -> Iterable[GpuSample]:
        """Samples with start <= timestamp < end (replayed time)."""
        source = "trace+power-model" if self.power_model else "trace"
        for row in self.rows:
            timestamp = row.timestamp + self.shift
            if (start is not None and timestamp < start) or (end is not None and timestamp >= end):
                continue
            uuid = self.gpu_of.get(row.pod)
            if uuid is None:
                continue
            power = self.power_model.power_mw(row.utilization_bps) if self.power_model else None
            yield GpuSample(timestamp, uuid, row.utilization_bps, power, source=source)

    def poll(self) -> Iterable[GpuSample]:
        return list(self.samples())
