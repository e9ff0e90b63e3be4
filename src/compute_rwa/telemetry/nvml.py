"""NVML (nvidia-ml-py) on the machine the feeder runs on: the most direct source."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from compute_rwa.errors import ToolchainError
from compute_rwa.telemetry.samples import GpuSample


class NvmlSource:
    """Polls every GPU NVML sees: utilization (%), power (mW), and whether the GPU answers."""

    name = "nvml"

    def __init__(self) -> None:
        try:
            import pynvml
        except ImportError:  # pragma: no cover - nvidia-ml-py is a pinned dependency
            raise ToolchainError("nvml: nvidia-ml-py is not installed") from None
        self._nvml: Any = pynvml
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            raise ToolchainError(f"nvml: no NVIDIA driver or GPU here ({exc})") from None

    def poll(self) -> Iterable[GpuSample]:
        nvml = self._nvml
        now = time.time()
        samples = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            uuid = nvml.nvmlDeviceGetUUID(handle)
            uuid = uuid.decode() if isinstance(uuid, bytes) else str(uuid)
            healthy = True
            try:
                utilization: int | None = int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu) * 100
            except nvml.NVMLError_NotSupported:
                utilization = None  # MIG mode: no whole-GPU utilization
            except nvml.NVMLError_GpuIsLost:
                utilization, healthy = None, False
            try:
                power: int | None = int(nvml.nvmlDeviceGetPowerUsage(handle))  # milliwatts
            except nvml.NVMLError_NotSupported:
                power = None
            except nvml.NVMLError_GpuIsLost:
                power, healthy = None, False
            samples.append(GpuSample(now, uuid, utilization, power, healthy=healthy, source="nvml"))
        return samples

    def close(self) -> None:
        self._nvml.nvmlShutdown()
