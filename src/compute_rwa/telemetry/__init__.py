"""GPU telemetry for the oracle feeder: sources behind one interface, and epoch aggregation.

Sources: NVML (`nvml.NvmlSource`), `nvidia-smi` CSV (`nvidia_smi`), the DCGM exporter's
Prometheus format and a Prometheus server's HTTP API (`dcgm`), recorded traces (`traces`).
"""

from compute_rwa.telemetry.aggregate import AssetInventory, EpochAggregate, EpochMetrics, aggregate_epoch
from compute_rwa.telemetry.samples import GpuSample, TelemetrySource

__all__ = ["AssetInventory", "EpochAggregate", "EpochMetrics", "GpuSample", "TelemetrySource", "aggregate_epoch"]
