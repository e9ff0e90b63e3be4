"""NVIDIA DCGM exporter metrics: the Prometheus text format it serves, parsed with the
Prometheus client library, and the Prometheus HTTP API that stores its scrapes."""

from __future__ import annotations

import json
import math
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from compute_rwa.errors import InvalidInputError, ToolchainError
from compute_rwa.telemetry.samples import GpuSample
from compute_rwa.telemetry.units import MAX_GPU_POWER_W

#: DCGM exporter field names: GPU utilization (%) and power draw (W).
UTIL = "DCGM_FI_DEV_GPU_UTIL"
POWER = "DCGM_FI_DEV_POWER_USAGE"


@dataclass
class _Partial:
    utilization_bps: int | None = None
    power_mw: int | None = None
    seen: set[str] = field(default_factory=set)


def _to_bps(value: float, where: str) -> int:
    if not 0 <= value <= 100:  # NaN fails too
        raise InvalidInputError(where, UTIL, f"outside 0-100%: {value}")
    return round(value * 100)


def _to_mw(value: float, where: str) -> int:
    # NaN is the exporter's "no value"; +Inf or more than any GPU draws is not a measurement.
    if not 0 <= value <= MAX_GPU_POWER_W:
        raise InvalidInputError(where, POWER, f"not a power in watts (0-{MAX_GPU_POWER_W} W): {value}")
    return round(value * 1000)


def _gpu_uuid(labels: dict[str, str], metric: str, where: str) -> str:
    uuid = labels.get("UUID", "").strip()
    if not uuid:
        raise InvalidInputError(where, f"{metric}.UUID", "label missing")
    if not uuid.isprintable() or any(c.isspace() for c in uuid):
        raise InvalidInputError(where, f"{metric}.UUID", f"not a GPU UUID: {uuid!r}")
    return uuid


def parse_exposition(text: str, *, source: str, timestamp: float) -> list[GpuSample]:
    """Samples from one DCGM exporter scrape (Prometheus text format), one per GPU UUID."""
    partial: dict[str, _Partial] = {}
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        # prometheus_client's parser reports some malformed lines (`# HELP` without a name) by
        # an IndexError rather than a ValueError: every one is malformed input.
        raise InvalidInputError(source, "exposition", f"not Prometheus text format ({exc!r})") from None
    for family in families:
        for sample in family.samples:
            if sample.name not in (UTIL, POWER):
                continue
            uuid = _gpu_uuid(sample.labels, sample.name, source)
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


def _number(value: str | float) -> float | None:
    """`value` as a float (NaN for a bool or an integer beyond floats); None when not a number."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.nan
    except ValueError:
        return None


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
        where = f"prometheus {self.base_url}"
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else f"a JSON {type(body).__name__}"
            raise InvalidInputError(where, metric, f"query failed: {error}")
        data = body.get("data")
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, list):
            raise InvalidInputError(where, metric, "answer without a data.result list")
        return result

    def poll(self) -> Iterable[GpuSample]:
        where = f"prometheus {self.base_url}"
        values: dict[str, _Partial] = {}
        stamps: dict[str, float] = {}
        for metric in (UTIL, POWER):
            for item in self._query(metric):
                labels = item.get("metric") if isinstance(item, dict) else None
                if not isinstance(labels, dict) or not isinstance(labels.get("UUID", ""), str):
                    raise InvalidInputError(where, f"{metric}.UUID", "label missing")
                uuid = _gpu_uuid(labels, metric, where)
                pair: Any = item.get("value")
                if not isinstance(pair, list) or len(pair) != 2:
                    raise InvalidInputError(where, metric, f"value is not a [time, number] pair: {pair!r}")
                stamp, raw = pair  # Prometheus sends the time as a number, the value as a string
                when = _number(stamp) if isinstance(stamp, int | float) else None
                if when is None or not math.isfinite(when) or when < 0:
                    raise InvalidInputError(where, f"{metric}.time", f"not a unix time: {stamp!r}")
                number = _number(raw) if isinstance(raw, str) else None
                if number is None:
                    raise InvalidInputError(where, metric, f"not a number: {raw!r}")
                entry = values.setdefault(uuid, _Partial())
                stamps[uuid] = max(stamps.get(uuid, 0.0), when)
                if metric == UTIL:
                    entry.utilization_bps = _to_bps(number, where)
                else:
                    entry.power_mw = _to_mw(number, where)
        now = time.time()
        return [
            GpuSample(stamps.get(uuid, now), uuid, p.utilization_bps, p.power_mw, source="prometheus")
            for uuid, p in sorted(values.items())
        ]
