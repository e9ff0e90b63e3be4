"""One reading of one GPU, in exact integer units, and the interface every source implements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class GpuSample:
    """A GPU's state at one instant, as a telemetry source reported it.

    Integers so that aggregation is exact: utilization in basis points (0-10,000), power in
    milliwatts. `None` means the source did not report the field (`[N/A]`, MIG instances have
    no whole-GPU utilization): unknown, never zero. A sample that came back marks the GPU up
    for its slot unless `healthy` is False (for example "GPU is lost", Xid errors).
    """

    timestamp: float  # seconds since the Unix epoch
    gpu_uuid: str
    utilization_bps: int | None
    power_mw: int | None
    healthy: bool = True
    source: str = ""


class TelemetrySource(Protocol):
    """Anything that yields GPU samples: a live poll (NVML, nvidia-smi, Prometheus) or a replay."""

    name: str

    def poll(self) -> Iterable[GpuSample]:
        """The samples available now (one per GPU for live sources)."""
        ...
