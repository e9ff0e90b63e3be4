"""Replay of recorded GPU utilization traces (CSV), for demos, tests and back-fills.

The bundled trace is Alibaba's 2026 GenAI serving trace (16 pods, ~60 s samples, 22.8 h).
Each pod is replayed as one GPU; its timestamps are shifted so the trace starts at `start_at`.
Traces carry no power: a `PowerModel` may derive it from utilization (idle + utilization x
(max - idle)), and the samples then say so in their `source`.
"""

from __future__ import annotations

import csv
import math
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
    try:
        if path is not None:
            text = path.read_text()
        else:
            text = resources.files("compute_rwa.data.traces").joinpath(BUNDLED_TRACE).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(source, "file", f"not a readable text file ({exc.__class__.__name__})") from None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader, None)
        for column in ("value", "timestamp_anon", "container_ip"):
            if header is None or header.count(column) != 1:
                found = "missing" if header is None or column not in header else "named twice"
                raise InvalidInputError(source, column, f"column {found} (header: {header})")
        assert header is not None
        index = {column: header.index(column) for column in ("value", "timestamp_anon", "container_ip")}
        rows = []
        for line, cells in enumerate(reader, start=2):
            where = f"{source}:{line}"
            if not cells:
                continue
            if len(cells) != len(header):
                raise InvalidInputError(where, "row", f"{len(cells)} cells, header has {len(header)}")
            raw_time = cells[index["timestamp_anon"]].strip()
            try:
                timestamp = float(raw_time)
            except ValueError:
                raise InvalidInputError(where, "timestamp_anon", f"not a number: {raw_time!r}") from None
            if not math.isfinite(timestamp):
                raise InvalidInputError(where, "timestamp_anon", f"not a finite time: {raw_time!r}")
            pod = cells[index["container_ip"]].strip()
            if not pod:
                raise InvalidInputError(where, "container_ip", "empty")
            utilization = percent_to_bps(cells[index["value"]], source=where, field="value")
            if utilization is None:
                raise InvalidInputError(where, "value", "missing")
            rows.append(TraceRow(timestamp, pod, utilization))
    except csv.Error as exc:  # an over-long field (> 128 KiB), a broken quote
        raise InvalidInputError(source, "csv", f"not CSV ({exc})") from None
    if not rows:
        raise InvalidInputError(source, "rows", "the trace has no samples")
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
        if not rows:
            raise InvalidInputError("trace", "rows", "the trace has no samples")
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
