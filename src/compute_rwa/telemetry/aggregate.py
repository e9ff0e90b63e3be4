"""Epoch summaries from GPU samples, in the exact integer units the oracle contract takes.

Rules (the operator guide repeats them):
- An epoch of `epoch_seconds` is cut into slots of `sample_interval`; each GPU is expected to
  report once per slot. Extra samples in a slot are ignored (counted as duplicates).
- Uptime: the share of expected GPU-slots that came back healthy. A missing sample is down:
  never counted as up, never as idle.
- Utilization: the time-weighted mean over the slots that came back with a utilization (equal
  slots, so a plain mean). Slots without one (MIG, `[N/A]`) are unknown and left out.
- GPU-hours delivered: busy GPU time, sum of utilization x slot length, in milli-GPU-hours.
- Energy: the integral of power over the slots that reported it, in watt-hours (rectangle
  rule, one reading per slot); average power: the mean reported power summed over GPUs.
- Efficiency: rated TFLOPS x utilization / average power, in GFLOPS per watt.
- GPUs are mapped to assets by UUID, from the same inventory whose hash the registry holds; a
  GPU outside every inventory is reported, never counted.
All divisions round down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from compute_rwa.errors import InvalidInputError
from compute_rwa.fleet import inventory_hash
from compute_rwa.telemetry.samples import GpuSample

BPS = 10_000


@dataclass(frozen=True)
class AssetInventory:
    """An asset as the feeder sees it: its id, its attested GPUs and its rated throughput."""

    asset_id: int
    gpu_uuids: tuple[str, ...]
    rated_tflops: int

    @property
    def inventory_hash(self) -> bytes:
        return inventory_hash(self.gpu_uuids)


@dataclass(frozen=True)
class EpochMetrics:
    """One asset's epoch report, in contract units."""

    asset_id: int
    epoch: int
    inventory_hash: bytes
    utilization_bps: int
    uptime_bps: int
    gpu_hours_milli: int
    energy_wh: int
    avg_power_w: int
    efficiency_gflops_per_w: int
    samples_expected: int
    samples_healthy: int


@dataclass
class EpochAggregate:
    epoch: int
    metrics: dict[int, EpochMetrics]
    unattested_gpus: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    outside_epoch: int = 0


@dataclass
class _GpuSlots:
    healthy: int = 0
    utilization_sum: int = 0
    utilization_slots: int = 0
    power_sum_mw: int = 0
    power_slots: int = 0
    seen: set[int] = field(default_factory=set)


def aggregate_epoch(
    samples: Iterable[GpuSample],
    *,
    epoch: int,
    genesis: int,
    epoch_seconds: int,
    sample_interval: int,
    inventories: Sequence[AssetInventory],
) -> EpochAggregate:
    """Summarizes epoch `epoch` ([genesis + epoch * len, genesis + (epoch + 1) * len))."""
    if epoch_seconds <= 0 or sample_interval <= 0 or epoch_seconds % sample_interval:
        raise InvalidInputError("aggregate", "sample_interval", f"{sample_interval} s must divide {epoch_seconds} s")
    owner: dict[str, AssetInventory] = {}
    for inventory in inventories:
        for uuid in inventory.gpu_uuids:
            if uuid in owner:
                raise InvalidInputError("inventory", uuid, f"in assets {owner[uuid].asset_id} and {inventory.asset_id}")
            owner[uuid] = inventory
    start = genesis + epoch * epoch_seconds
    slots_per_gpu = epoch_seconds // sample_interval
    per_gpu: dict[str, _GpuSlots] = {uuid: _GpuSlots() for uuid in owner}
    result = EpochAggregate(epoch=epoch, metrics={})
    for sample in samples:
        offset = sample.timestamp - start
        if not 0 <= offset < epoch_seconds:
            result.outside_epoch += 1
            continue
        if sample.gpu_uuid not in owner:
            result.unattested_gpus[sample.gpu_uuid] += 1
            continue
        gpu = per_gpu[sample.gpu_uuid]
        slot = int(offset // sample_interval)
        if slot in gpu.seen:
            result.duplicates += 1
            continue
        gpu.seen.add(slot)
        if not sample.healthy:
            continue
        gpu.healthy += 1
        if sample.utilization_bps is not None:
            gpu.utilization_sum += sample.utilization_bps
            gpu.utilization_slots += 1
        if sample.power_mw is not None:
            gpu.power_sum_mw += sample.power_mw
            gpu.power_slots += 1
    for inventory in inventories:
        result.metrics[inventory.asset_id] = _summarize(
            inventory, [per_gpu[u] for u in inventory.gpu_uuids], epoch, slots_per_gpu, sample_interval
        )
    return result


def _summarize(
    inventory: AssetInventory, gpus: list[_GpuSlots], epoch: int, slots_per_gpu: int, interval: int
) -> EpochMetrics:
    expected = slots_per_gpu * len(gpus)
    healthy = sum(g.healthy for g in gpus)
    utilization_slots = sum(g.utilization_slots for g in gpus)
    utilization_sum = sum(g.utilization_sum for g in gpus)
    utilization_bps = utilization_sum // utilization_slots if utilization_slots else 0
    # milli-GPU-hours = sum(bps / 10,000 x seconds) / 3,600 x 1,000 = sum(bps x s) / 36,000
    gpu_hours_milli = utilization_sum * interval // 36_000
    energy_wh = sum(g.power_sum_mw for g in gpus) * interval // 3_600_000
    avg_power_w = sum(g.power_sum_mw // g.power_slots for g in gpus if g.power_slots) // 1000
    efficiency = inventory.rated_tflops * 1000 * utilization_bps // BPS // avg_power_w if avg_power_w else 0
    return EpochMetrics(
        asset_id=inventory.asset_id,
        epoch=epoch,
        inventory_hash=inventory.inventory_hash,
        utilization_bps=utilization_bps,
        uptime_bps=healthy * BPS // expected,
        gpu_hours_milli=gpu_hours_milli,
        energy_wh=energy_wh,
        avg_power_w=avg_power_w,
        efficiency_gflops_per_w=efficiency,
        samples_expected=expected,
        samples_healthy=healthy,
    )
