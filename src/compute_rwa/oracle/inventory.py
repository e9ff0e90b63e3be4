"""The operator's inventory file: which GPU UUIDs make up which asset.

The feeder maps every sample to an asset by its GPU UUID, from the same list whose hash the
registry attests; this module loads that list and refuses to start when it does not hash to
what the registry holds (a report against it would be rejected on-chain anyway).

Format (JSON): `[{"asset_id": 1, "gpu_uuids": ["GPU-…", …]}, …]`. Rated TFLOPS come from the
registry, not the file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compute_rwa.client import SuiteClient
from compute_rwa.errors import InvalidInputError
from compute_rwa.telemetry.aggregate import AssetInventory


def parse_inventory_file(path: Path) -> list[tuple[int, tuple[str, ...]]]:
    """(asset id, GPU UUIDs) pairs from the file; every problem names the entry and field."""
    source = str(path)
    try:
        data: Any = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise InvalidInputError(source, "file", f"not readable JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, list) or not data:
        raise InvalidInputError(source, "file", "expected a non-empty JSON list of assets")
    entries: list[tuple[int, tuple[str, ...]]] = []
    seen: set[int] = set()
    owner: dict[str, int] = {}
    for index, entry in enumerate(data):
        where = f"{source}[{index}]"
        if not isinstance(entry, dict):
            raise InvalidInputError(where, "entry", "expected an object")
        asset_id = entry.get("asset_id")
        if not isinstance(asset_id, int) or isinstance(asset_id, bool) or not 0 < asset_id < 1 << 64:
            raise InvalidInputError(where, "asset_id", f"expected a positive integer (uint64), got {asset_id!r:.80}")
        if asset_id in seen:
            raise InvalidInputError(where, "asset_id", f"asset {asset_id} listed twice")
        seen.add(asset_id)
        uuids = entry.get("gpu_uuids")
        if not isinstance(uuids, list) or not uuids or not all(isinstance(u, str) and u.strip() for u in uuids):
            raise InvalidInputError(where, "gpu_uuids", "expected a non-empty list of GPU UUID strings")
        listed = tuple(u.strip() for u in uuids)
        for uuid in listed:
            if uuid in owner:
                where_else = "this asset" if owner[uuid] == asset_id else f"asset {owner[uuid]}"
                raise InvalidInputError(where, "gpu_uuids", f"{uuid!r:.80} is listed twice (also in {where_else})")
            owner[uuid] = asset_id
        entries.append((asset_id, listed))
    return entries


def write_inventory_file(path: Path, inventories: Sequence[AssetInventory]) -> None:
    items = [{"asset_id": i.asset_id, "gpu_uuids": list(i.gpu_uuids)} for i in inventories]
    path.write_text(json.dumps(items, indent=2) + "\n")


def load_inventories(path: Path, suite: SuiteClient) -> list[AssetInventory]:
    """The file's assets, checked against the registry's attested inventory hashes."""
    inventories = []
    for asset_id, uuids in parse_inventory_file(path):
        spec = suite.asset(asset_id)
        inventory = AssetInventory(asset_id, uuids, spec.rated_tflops)
        if inventory.inventory_hash != spec.inventory_hash:
            raise InvalidInputError(
                f"{path} asset {asset_id}",
                "gpu_uuids",
                f"hash to 0x{inventory.inventory_hash.hex()}, but the registry attests 0x{spec.inventory_hash.hex()}",
            )
        if len(uuids) != spec.gpu_count:
            raise InvalidInputError(
                f"{path} asset {asset_id}", "gpu_uuids", f"{len(uuids)} GPUs listed, registry says {spec.gpu_count}"
            )
        inventories.append(inventory)
    return inventories
