"""GPU fleets: real node lists (the Alibaba 2026 spot-GPU trace ships with the package) turned
into asset registrations, and the canonical hardware inventory hash the registry binds."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak

from compute_rwa.errors import InvalidInputError
from compute_rwa.models import AssetRegistration


@dataclass(frozen=True)
class GpuModelSpec:
    """Datasheet figures per GPU: dense BF16 tensor TFLOPS and board power in watts."""

    name: str
    tflops_bf16_dense: int
    board_power_watts: int


#: Models of the trace whose datasheets are public (NVIDIA). "GPU-series-N" are undisclosed.
GPU_MODELS: dict[str, GpuModelSpec] = {
    "A100-SXM4-80GB": GpuModelSpec("NVIDIA A100-SXM4-80GB", 312, 400),
    "A800-SXM4-80GB": GpuModelSpec("NVIDIA A800-SXM4-80GB", 312, 400),
    "H800": GpuModelSpec("NVIDIA H800 SXM5 80GB", 989, 700),
    "H100": GpuModelSpec("NVIDIA H100 80GB HBM3", 989, 700),
    "H200": GpuModelSpec("NVIDIA H200 141GB HBM3e", 989, 700),
    "A10": GpuModelSpec("NVIDIA A10", 125, 150),
    "L40S": GpuModelSpec("NVIDIA L40S", 362, 350),
}

_IDENTITY_NAMESPACE = uuid.UUID("6f1c5c1e-3d8a-4c55-9a7e-2f0f3c9b7a11")


def inventory_hash(gpu_ids: Iterable[str]) -> bytes:
    """keccak256 of the sorted GPU identities (UUID, or "UUID:serial"), one per line.

    Order-independent, so any tool that lists the same GPUs gets the same hash; the oracle
    feeder uses the same list to map telemetry to assets.
    """
    ids = sorted({gpu_id.strip() for gpu_id in gpu_ids})
    if not ids or any(not gpu_id for gpu_id in ids):
        raise InvalidInputError("inventory", "gpu_ids", "needs at least one non-empty GPU identity")
    return keccak("\n".join(ids).encode("utf-8"))


@dataclass(frozen=True)
class GpuNode:
    """One node of a fleet list."""

    node_name: str
    model: GpuModelSpec
    gpu_count: int
    region: str

    @property
    def gpu_uuids(self) -> tuple[str, ...]:
        """Stable per-GPU identities derived from the node id (the trace is anonymized;
        real operators use the UUIDs NVML reports)."""
        return tuple(
            f"GPU-{uuid.uuid5(_IDENTITY_NAMESPACE, f'{self.node_name}/{index}')}" for index in range(self.gpu_count)
        )

    @property
    def inventory_hash(self) -> bytes:
        return inventory_hash(self.gpu_uuids)

    def registration(
        self,
        *,
        operator: ChecksumAddress,
        owner: ChecksumAddress,
        payment_token: ChecksumAddress,
        operator_fee_bps: int = 1000,
        reserve_bps: int = 500,
    ) -> AssetRegistration:
        return AssetRegistration(
            gpu_model=self.model.name,
            gpu_count=self.gpu_count,
            rated_tflops=self.model.tflops_bf16_dense * self.gpu_count,
            rated_power_watts=self.model.board_power_watts * self.gpu_count,
            region=self.region,
            operator=operator,
            inventory_hash=self.inventory_hash,
            payment_token=payment_token,
            owner=owner,
            operator_fee_bps=operator_fee_bps,
            reserve_bps=reserve_bps,
        )


BUNDLED_FLEET = "alibaba_v2026spot_node_info_df.csv"
_REQUIRED_COLUMNS = ("gpu_model", "gpu_capacity_num", "node_name")


def load_fleet(
    path: Path | None = None,
    *,
    limit: int | None = None,
    models: Sequence[str] | None = None,
    region: str = "cn-hangzhou",
) -> list[GpuNode]:
    """Nodes of a fleet list (columns gpu_model, gpu_capacity_num, node_name) whose model has
    a public datasheet; by default the bundled Alibaba 2026 spot-GPU node list.

    Rows of undisclosed models are skipped; malformed rows raise InvalidInputError naming the
    file, the line and the field.
    """
    source = str(path) if path else f"compute_rwa/data/fleet/{BUNDLED_FLEET}"
    text = path.read_text() if path else resources.files("compute_rwa.data.fleet").joinpath(BUNDLED_FLEET).read_text()
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in _REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInputError(source, missing[0], f"column missing (header: {reader.fieldnames})")
    nodes: list[GpuNode] = []
    for line, row in enumerate(reader, start=2):
        model_key = (row["gpu_model"] or "").strip()
        if not model_key:
            raise InvalidInputError(f"{source}:{line}", "gpu_model", "empty")
        spec = GPU_MODELS.get(model_key)
        if spec is None or (models is not None and model_key not in models):
            continue
        raw_count = (row["gpu_capacity_num"] or "").strip()
        if not raw_count.isdigit() or int(raw_count) == 0:
            raise InvalidInputError(f"{source}:{line}", "gpu_capacity_num", f"not a positive integer: {raw_count!r}")
        node_name = (row["node_name"] or "").strip()
        if not node_name:
            raise InvalidInputError(f"{source}:{line}", "node_name", "empty")
        nodes.append(
            GpuNode(node_name=f"alibaba-spot-{node_name}", model=spec, gpu_count=int(raw_count), region=region)
        )
        if limit is not None and len(nodes) >= limit:
            break
    return nodes


def demo_fleet() -> list[GpuNode]:
    """A small mixed fleet for the demo: two A100 nodes, two H800 nodes, one A800 node."""
    picked: list[GpuNode] = []
    for model, count in (("A100-SXM4-80GB", 2), ("H800", 2), ("A800-SXM4-80GB", 1)):
        picked += load_fleet(models=[model], limit=count)
    return picked
