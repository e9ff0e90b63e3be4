"""NVIDIA DCGM exporter metrics: the Prometheus text format it serves, parsed with the
Prometheus client library, and the Prometheus HTTP API that stores its scrapes."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from compute_rwa.errors import InvalidInputError, ToolchainError
from compute_rwa.telemetry.samples import GpuSample

#: DCGM exporter field names: GPU utilization (%) and power draw (W).
UTIL = "DCGM_FI_DEV_GPU_UTIL"
POWER = "DCGM_FI_DEV_POWER_USAGE"


@dataclass
class _Partial:
    utilization_bps: int | None = None
    power_mw: int | None = None
    seen: set[str] = field(default_factory=set)


def _to_bps(value: float, where: str) -> int:
    if not 0 <= value <= 100:
        raise InvalidInputError(where, UTIL, f"outside 0-100%: {value}")
    return round(value * 100)


def _to_mw(value: float, where: str) -> int:
    if value < 0 or value != value:  # NaN is the exporter's "no value"
        raise InvalidInputError(where, POWER, f"not a power in watts: {value}")
    return round(value * 1000)


def parse_exposition(text: str, *, source: str, timestamp: float) -> list[GpuSample]:
    """Samples from one DCGM exporter scrape (Prometheus text format), one per GPU UUID."""
    partial: dict[str, _Partial] = {}
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise InvalidInputError(source, "exposition", f"not Prometheus text format ({exc})") from None
    for family in families:
        for sample in family.samples:
            if sample.name not in (UTIL, POWER):
                continue
            uuid = sample.labels.get("UUID")
            if not uuid:
                raise InvalidInputError(source, f"{sample.name}.UUID", "label missing")
            entry = partial.setdefault(uuid, _Partial())
            if sample.name in entry.seen:
                raise InvalidInputError(source, f"{sample.name}{{UUID={uuid}}}", "reported twice in one scrape")
            entry.seen.add(sample.name)
            if sample.name == UTIL:
                entry.utilization_bps = _to_bps(sample.value, source)
            else:
                entry.power_mw = _to_mw(sample.value, source)
    return [
        GpuSample(timestamp, uuid, p.utilization_bps, p.power_mw, source="dcgm") for uuid, p in sorted(partial.items())
    ]


class PrometheusSource:
    """Reads the latest DCGM exporter values from a Prometheus server's HTTP API."""

    name = "prometheus"

    def __init__(self, base_url: str, timeout: float = 10.0, job: str | None = None) -> None:
        self.base_url, self.timeout, self.job = base_url.rstrip("/"), timeout, job

    def _query(self, metric: str) -> list[dict[str, object]]:
        selector = f'{metric}{{job="{self.job}"}}' if self.job else metric
        url = f"{self.base_url}/api/v1/query?{urllib.parse.urlencode({'query': selector})}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except (OSError, ValueError) as exc:
            raise ToolchainError(f"prometheus {self.base_url}: {exc}") from None
        if body.get("status") != "success":
            raise InvalidInputError(f"prometheus {self.base_url}", metric, f"query failed: {body.get('error')}")
        result: list[dict[str, object]] = body["data"]["result"]
        return result

    def poll(self) -> Iterable[GpuSample]:
        where = f"prometheus {self.base_url}"
        values: dict[str, _Partial] = {}
        stamps: dict[str, float] = {}
        for metric in (UTIL, POWER):
            for item in self._query(metric):
                labels = item.get("metric", {})
                uuid = labels.get("UUID") if isinstance(labels, dict) else None
                if not uuid:
                    raise InvalidInputError(where, f"{metric}.UUID", "label missing")
                pair: Any = item["value"]
                stamp, raw = pair[0], pair[1]
                try:
                    number = float(raw)
                except ValueError:
                    raise InvalidInputError(where, metric, f"not a number: {raw!r}") from None
                entry = values.setdefault(uuid, _Partial())
                stamps[uuid] = max(stamps.get(uuid, 0.0), float(stamp))
                if metric == UTIL:
                    entry.utilization_bps = _to_bps(number, where)
                else:
                    entry.power_mw = _to_mw(number, where)
        now = time.time()
        return [
            GpuSample(stamps.get(uuid, now), uuid, p.utilization_bps, p.power_mw, source="prometheus")
            for uuid, p in sorted(values.items())
        ]
