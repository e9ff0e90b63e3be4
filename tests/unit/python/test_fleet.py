from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from compute_rwa import InvalidInputError
from compute_rwa.fleet import GPU_MODELS, demo_fleet, inventory_hash, load_fleet

BUNDLED_SHA256 = "1aba161961a5a4a1a61aa581383c5e5abe3400b59f8597ba8c4eef7597bc9d18"


def test_bundled_fleet_is_the_unmodified_alibaba_file():
    data = resources.files("compute_rwa.data.fleet").joinpath("alibaba_v2026spot_node_info_df.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == BUNDLED_SHA256


def test_load_fleet_keeps_only_models_with_public_datasheets():
    nodes = load_fleet()
    models = {node.model.name for node in nodes}
    assert models == {GPU_MODELS[m].name for m in ("A10", "A100-SXM4-80GB", "H800", "A800-SXM4-80GB")}
    # Counts from the trace: 2494 A10 + 432 A100 + 219 H800 + 22 A800.
    assert len(nodes) == 2494 + 432 + 219 + 22


def test_demo_fleet_mixes_models_with_real_gpu_counts():
    fleet = demo_fleet()
    assert [n.model.name for n in fleet].count(GPU_MODELS["H800"].name) == 2
    assert all(n.gpu_count == 8 for n in fleet)
    registration = fleet[0].registration(
        operator="0x" + "11" * 20, owner="0x" + "22" * 20, payment_token="0x" + "33" * 20
    )
    assert registration.rated_tflops == 8 * 312
    assert registration.rated_power_watts == 8 * 400


def test_inventory_hash_ignores_order_and_duplicates():
    assert inventory_hash(["GPU-b", "GPU-a"]) == inventory_hash(["GPU-a", "GPU-b", "GPU-a"])
    assert inventory_hash(["GPU-a"]) != inventory_hash(["GPU-b"])
    node = demo_fleet()[0]
    assert node.inventory_hash == inventory_hash(node.gpu_uuids)
    assert len(set(node.gpu_uuids)) == node.gpu_count


def test_inventory_hash_rejects_an_empty_inventory():
    with pytest.raises(InvalidInputError, match="gpu_ids"):
        inventory_hash([])


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("gpu_model,node_name\nH800,1\n", "gpu_capacity_num"),
        ("gpu_model,gpu_capacity_num,node_name\nH800,eight,1\n", "gpu_capacity_num"),
        ("gpu_model,gpu_capacity_num,node_name\nH800,0,1\n", "gpu_capacity_num"),
        ("gpu_model,gpu_capacity_num,node_name\n,8,1\n", "gpu_model"),
        ("gpu_model,gpu_capacity_num,node_name\nH800,8,\n", "node_name"),
    ],
)
def test_malformed_fleet_rows_name_the_file_line_and_field(tmp_path, content, field):
    path = tmp_path / "fleet.csv"
    path.write_text(content)
    with pytest.raises(InvalidInputError) as info:
        load_fleet(path)
    assert info.value.field == field
    assert str(path) in info.value.source
