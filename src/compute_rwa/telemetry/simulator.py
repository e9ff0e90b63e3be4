"""A simulated GPU fleet: a deterministic (seeded) telemetry source for demos and tests.

Every GPU reports once per `sample_interval` on a grid anchored at `start_at`. Utilization
follows a daily cycle (a cosine peaking at `peak_hour_utc`), plus a steady per-GPU offset, plus
per-sample Gaussian noise, clamped to 0-10,000 bps; power comes from a `PowerModel`. A sample is
a pure function of (seed, GPU, slot), so `poll()` and `samples_between()` agree and two fleets
with the same seed produce identical samples. Faults can be injected: a GPU missing for a time
window (no sample: counted as down), or reporting unhealthy (a sample with `healthy=False` and no
readings, like "GPU is lost").
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from compute_rwa.errors import InvalidInputError
from compute_rwa.telemetry.samples import GpuSample
from compute_rwa.telemetry.traces import PowerModel

BPS = 10_000
SOURCE = "simulator"
#: An H100 SXM: about 70 W idle, 700 W at full load.
DEFAULT_POWER = PowerModel(idle_w=70, max_w=700)


class FaultKind(StrEnum):
    """How a GPU misbehaves during a fault window."""

    MISSING = "missing"  # no sample at all (the host stopped answering)
    UNHEALTHY = "unhealthy"  # a sample with healthy=False and no utilization or power


@dataclass(frozen=True)
class Fault:
    """GPU `gpu_uuid` misbehaves (`kind`) for samples with start <= timestamp < end (Unix seconds)."""

    gpu_uuid: str
    start: float
    end: float
    kind: FaultKind = FaultKind.MISSING


class SimulatedFleet:
    """A `TelemetrySource` over simulated GPUs.

    Arguments (all but `gpu_uuids` keyword-only):
    - `gpu_uuids`: the simulated GPUs, in the order their samples come out.
    - `sample_interval`: seconds between two samples of one GPU (the grid step).
    - `start_at`: Unix time of slot 0; default: now, rounded down to a multiple of the interval.
    - `seed`: everything random derives from it (and the GPU UUID and slot).
    - `power_model`: power in mW from utilization; default 70 W idle, 700 W full (H100 SXM).
    - `base_utilization_bps`: mean utilization of the fleet, in basis points.
    - `diurnal_amplitude_bps`: half the peak-to-trough swing of the daily cycle, in bps.
    - `peak_hour_utc`: hour of the day (UTC, 0-24) at which the daily cycle peaks.
    - `gpu_spread_bps`: each GPU gets a steady offset drawn uniformly from +-this, in bps.
    - `noise_bps`: standard deviation of the per-sample Gaussian noise, in bps.
    - `faults`: injected `Fault` windows.
    - `live`: False: each `poll()` returns the next slot and advances the simulated clock by one
      interval. True: `poll()` returns the slot `clock()` falls in, once (an empty list until
      the clock enters the next slot), as a live source would.
    - `clock`: the wall clock of live mode (Unix seconds), `time.time` by default.
    """

    name = SOURCE

    def __init__(
        self,
        gpu_uuids: Sequence[str],
        *,
        sample_interval: int = 60,
        start_at: float | None = None,
        seed: int = 0,
        power_model: PowerModel | None = None,
        base_utilization_bps: int = 5_500,
        diurnal_amplitude_bps: int = 2_500,
        peak_hour_utc: float = 15.0,
        gpu_spread_bps: int = 1_000,
        noise_bps: int = 600,
        faults: Iterable[Fault] = (),
        live: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        uuids = [u.strip() for u in gpu_uuids]
        if not uuids or any(not u for u in uuids):
            raise InvalidInputError("simulator", "gpu_uuids", "needs at least one non-empty GPU UUID")
        if len(set(uuids)) != len(uuids):
            raise InvalidInputError("simulator", "gpu_uuids", "a GPU UUID is listed twice")
        if isinstance(sample_interval, bool) or not isinstance(sample_interval, int) or sample_interval <= 0:
            raise InvalidInputError("simulator", "sample_interval", f"{sample_interval!r}, must be a positive integer")
        for name, value in (
            ("base_utilization_bps", base_utilization_bps),
            ("diurnal_amplitude_bps", diurnal_amplitude_bps),
            ("gpu_spread_bps", gpu_spread_bps),
            ("noise_bps", noise_bps),
        ):
            if not 0 <= value <= BPS:
                raise InvalidInputError("simulator", name, f"{value}, must lie in 0..{BPS}")
        if not 0 <= peak_hour_utc < 24:
            raise InvalidInputError("simulator", "peak_hour_utc", f"{peak_hour_utc}, must lie in [0, 24)")
        self.faults = tuple(faults)
        for fault in self.faults:
            if fault.gpu_uuid not in uuids:
                raise InvalidInputError("simulator", "faults", f"GPU {fault.gpu_uuid!r} is not in the fleet")
            if not fault.start < fault.end:
                raise InvalidInputError("simulator", "faults", f"window [{fault.start}, {fault.end}) is empty")
        self.gpu_uuids = tuple(uuids)
        self.sample_interval = sample_interval
        self.start_at = float(start_at if start_at is not None else clock() // sample_interval * sample_interval)
        self.seed = seed
        self.power_model = power_model or DEFAULT_POWER
        self.base_utilization_bps = base_utilization_bps
        self.diurnal_amplitude_bps = diurnal_amplitude_bps
        self.peak_hour_utc = peak_hour_utc
        self.gpu_spread_bps = gpu_spread_bps
        self.noise_bps = noise_bps
        self.live = live
        self._clock = clock
        #: Slot the next non-live poll() returns; in live mode, one past the last slot returned.
        self.next_slot = 0
        #: Steady per-GPU utilization offset, in bps.
        self.gpu_offset_bps = {
            uuid: random.Random(f"{seed}:{uuid}").randint(-gpu_spread_bps, gpu_spread_bps) for uuid in uuids
        }

    # ------------------------------------------------------------ the model

    def slot_time(self, slot: int) -> float:
        """Timestamp of slot `slot` (slot 0 is `start_at`)."""
        return self.start_at + slot * self.sample_interval

    def slot_at(self, timestamp: float) -> int:
        """The slot whose interval [slot_time, slot_time + interval) holds `timestamp`."""
        return math.floor((timestamp - self.start_at) / self.sample_interval)

    @property
    def now(self) -> float:
        """Simulated time of the next non-live poll()."""
        return self.slot_time(self.next_slot)

    def utilization_bps(self, gpu_uuid: str, slot: int) -> int:
        """The utilization GPU `gpu_uuid` reports in `slot` when healthy (ignores faults)."""
        timestamp = self.slot_time(slot)
        hour = (timestamp % 86_400) / 3_600
        diurnal = self.diurnal_amplitude_bps * math.cos(2 * math.pi * (hour - self.peak_hour_utc) / 24)
        noise = random.Random(f"{self.seed}:{gpu_uuid}:{slot}").gauss(0.0, self.noise_bps) if self.noise_bps else 0.0
        value = self.base_utilization_bps + diurnal + self.gpu_offset_bps[gpu_uuid] + noise
        return min(BPS, max(0, round(value)))

    def fault_at(self, gpu_uuid: str, timestamp: float) -> FaultKind | None:
        """The fault GPU `gpu_uuid` is in at `timestamp` (MISSING wins over UNHEALTHY)."""
        kinds = {f.kind for f in self.faults if f.gpu_uuid == gpu_uuid and f.start <= timestamp < f.end}
        if FaultKind.MISSING in kinds:
            return FaultKind.MISSING
        return FaultKind.UNHEALTHY if kinds else None

    def sample(self, gpu_uuid: str, slot: int) -> GpuSample | None:
        """What GPU `gpu_uuid` reports in `slot`; None when it is missing."""
        if gpu_uuid not in self.gpu_offset_bps:
            raise InvalidInputError("simulator", "gpu_uuid", f"{gpu_uuid!r} is not in the fleet")
        timestamp = self.slot_time(slot)
        fault = self.fault_at(gpu_uuid, timestamp)
        if fault is FaultKind.MISSING:
            return None
        if fault is FaultKind.UNHEALTHY:
            return GpuSample(timestamp, gpu_uuid, None, None, healthy=False, source=SOURCE)
        utilization = self.utilization_bps(gpu_uuid, slot)
        return GpuSample(timestamp, gpu_uuid, utilization, self.power_model.power_mw(utilization), source=SOURCE)

    def slot_samples(self, slot: int) -> list[GpuSample]:
        """One sample per GPU present in `slot`, in fleet order."""
        return [s for s in (self.sample(uuid, slot) for uuid in self.gpu_uuids) if s is not None]

    # ------------------------------------------------------------ as a source

    def samples_between(self, start: float, end: float) -> Iterator[GpuSample]:
        """Every sample with start <= timestamp < end, by time then fleet order (any range, the
        grid extends before `start_at` too); does not move the clock."""
        first = math.ceil((start - self.start_at) / self.sample_interval)
        slot = first
        while self.slot_time(slot) < end:
            yield from self.slot_samples(slot)
            slot += 1

    def poll(self) -> list[GpuSample]:
        """Non-live: the samples of the next slot, then the clock advances one interval.
        Live: the samples of the slot the wall clock is in, once; [] while still in that slot."""
        if not self.live:
            samples = self.slot_samples(self.next_slot)
            self.next_slot += 1
            return samples
        slot = self.slot_at(self._clock())
        if slot < self.next_slot:
            return []
        self.next_slot = slot + 1
        return self.slot_samples(slot)
