"""syncAssets and the registry's inventory hook: the oracle checks each report against the
attestation it cached, and the registry refreshes that cache when an inventory changes."""

from __future__ import annotations

from tests.conftest import inventory_hash
from tests.helpers import reverts
from tests.unit.metrics_oracle.conftest import GPUS, NODE_1, RATED_POWER_W, RATED_TFLOPS, events, make_report

NODE_2 = inventory_hash("node-2")


def _prefix(h: bytes) -> bytes:
    """The attested part of an inventory hash: its first 160 bits."""
    return h[:20] + b"\0" * 12


def test_reports_need_a_synced_asset(oracle, asset, submit):
    assert oracle.asset_cache(asset) == (b"\0" * 20, 0, 0, 0)
    assert oracle.unsynced([asset]) == [asset]
    with reverts("OracleAssetNotSynced", assetId=asset):
        submit([make_report(asset, 10)])


def test_an_unsynced_asset_is_refused_even_for_a_zero_inventory(oracle, asset, submit):
    # The zero prefix of an empty cache must not match a report claiming a zero inventory.
    empty = make_report(asset, 10, inventory_hash=b"\0" * 32, gpu_hours_milli=0, energy_wh=0, avg_power_w=0)
    with reverts("OracleAssetNotSynced", assetId=asset):
        submit([empty])
    with reverts("OracleAssetNotSynced", assetId=999):  # never registered at all
        submit([make_report(999, 10, inventory_hash=b"\0" * 32, gpu_hours_milli=0, energy_wh=0, avg_power_w=0)])
    assert oracle.latest_epoch(asset) is None


def test_sync_assets_caches_attestation_and_ratings(oracle, asset, register_assets, make_registration, roles, suite):
    other, _ = suite.register_asset(
        make_registration(gpu_count=4, rated_tflops=3956, rated_power_watts=2800, inventory_hash=NODE_2), roles.operator
    )
    receipt = oracle.sync_assets([asset, other], roles.outsider)  # anyone may sync
    assert events(oracle.contract, receipt, "AssetSynced") == [
        {
            "assetId": asset,
            "inventoryHash": NODE_1,
            "gpuCount": GPUS,
            "ratedPowerW": RATED_POWER_W,
            "ratedTflops": RATED_TFLOPS,
        },
        {"assetId": other, "inventoryHash": NODE_2, "gpuCount": 4, "ratedPowerW": 2800, "ratedTflops": 3956},
    ]
    assert oracle.asset_cache(asset) == (NODE_1[:20], GPUS, RATED_POWER_W, RATED_TFLOPS)
    assert oracle.asset_cache(other) == (NODE_2[:20], 4, 2800, 3956)
    assert oracle.unsynced([asset, other]) == []


def test_sync_assets_limits(oracle, asset, roles):
    with reverts("RegistryUnknownAsset", assetId=77):
        oracle.sync_assets([asset, 77], roles.outsider)
    with reverts("OracleBatchTooLarge", count=501, maxCount=500):
        oracle.sync_assets([asset] * 501, roles.outsider)
    oracle.sync_assets([], roles.outsider)


def test_inventory_update_reaches_the_oracle_in_the_same_transaction(oracle, synced, suite, roles, submit):
    assert suite.registry.functions.inventoryListener().call() == oracle.address
    submit([make_report(synced, 10)])

    receipt = suite.sender.transact(suite.registry.functions.updateInventory(synced, NODE_2), roles.operator, "R")
    assert events(oracle.contract, receipt, "AssetSynced") == [
        {
            "assetId": synced,
            "inventoryHash": NODE_2,
            "gpuCount": GPUS,
            "ratedPowerW": RATED_POWER_W,
            "ratedTflops": RATED_TFLOPS,
        }
    ]
    with reverts("OracleInventoryMismatch", assetId=synced, epoch=11, reported=NODE_1, attestedPrefix=_prefix(NODE_2)):
        submit([make_report(synced, 11)])
    submit([make_report(synced, 11, inventory_hash=NODE_2)])
    assert oracle.latest_epoch(synced) == 11


def test_only_the_registry_may_call_the_hook(oracle, synced, roles):
    for caller in (roles.admin, roles.operator, roles.outsider):
        with reverts("OracleOnlyRegistry", caller=caller):
            oracle.sender.transact(oracle.contract.functions.onInventoryUpdated(synced, NODE_2), caller, "O")
    assert oracle.asset_cache(synced)[0] == NODE_1[:20]


def test_without_a_listener_the_oracle_keeps_its_cache_until_synced(oracle, synced, suite, roles, submit):
    receipt = suite.sender.transact(suite.registry.functions.setInventoryListener("0x" + "00" * 20), roles.admin, "R")
    (changed,) = suite.registry.events.InventoryListenerUpdated().process_receipt(receipt)
    assert (changed["args"]["previousListener"], changed["args"]["newListener"]) == (oracle.address, "0x" + "00" * 20)

    suite.sender.transact(suite.registry.functions.updateInventory(synced, NODE_2), roles.operator, "R")
    submit([make_report(synced, 10)])  # still the old attestation
    oracle.sync_assets([synced], roles.outsider)
    with reverts("OracleInventoryMismatch", assetId=synced, reported=NODE_1, attestedPrefix=_prefix(NODE_2)):
        submit([make_report(synced, 11)])


def test_only_the_first_160_bits_of_the_inventory_are_attested(oracle, synced, submit):
    # The cache keeps a 160-bit prefix: a hash differing only in its last 12 bytes matches.
    same_prefix = NODE_1[:20] + b"\xff" * 12
    submit([make_report(synced, 10, inventory_hash=same_prefix)])
    other = bytes([NODE_1[0] ^ 1]) + NODE_1[1:]
    with reverts("OracleInventoryMismatch", assetId=synced, reported=other, attestedPrefix=_prefix(NODE_1)):
        submit([make_report(synced, 11, inventory_hash=other)])
