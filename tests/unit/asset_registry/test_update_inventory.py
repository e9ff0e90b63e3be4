from __future__ import annotations

from tests.conftest import inventory_hash
from tests.helpers import reverts


def test_operator_rebinds_the_asset_to_a_new_inventory(suite, asset, roles):
    new_hash = inventory_hash("node-1-after-gpu-swap")
    receipt = suite.update_inventory(asset, new_hash, roles.operator)
    (event,) = suite.registry.events.InventoryUpdated().process_receipt(receipt)
    assert event["args"]["previousHash"] == inventory_hash("node-1")
    assert event["args"]["newHash"] == new_hash
    assert suite.registry.functions.inventoryHashOf(asset).call() == new_hash


def test_update_inventory_reverts_for_zero_hash(suite, asset, roles):
    with reverts("RegistryInvalidInventoryHash", assetId=asset, inventoryHash=b"\0" * 32):
        suite.update_inventory(asset, b"\0" * 32, roles.operator)


def test_update_inventory_reverts_for_unchanged_hash(suite, asset, roles):
    with reverts("RegistryInvalidInventoryHash", inventoryHash=inventory_hash("node-1")):
        suite.update_inventory(asset, inventory_hash("node-1"), roles.operator)


def test_update_inventory_reverts_for_outsider(suite, asset, roles):
    with reverts("RegistryUnauthorizedAssetOperator", caller=roles.outsider):
        suite.update_inventory(asset, inventory_hash("x"), roles.outsider)


def test_update_inventory_reverts_for_unknown_asset(suite, roles):
    with reverts("RegistryUnknownAsset", assetId=7):
        suite.update_inventory(7, inventory_hash("x"), roles.admin)
