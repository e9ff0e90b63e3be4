from __future__ import annotations

import pytest

from compute_rwa import AssetStatus
from tests.helpers import reverts


def test_operator_moves_asset_to_maintenance_and_back(suite, asset, roles):
    receipt = suite.set_asset_status(asset, AssetStatus.MAINTENANCE, roles.operator)
    (event,) = suite.registry.events.AssetStatusChanged().process_receipt(receipt)
    assert (event["args"]["previousStatus"], event["args"]["newStatus"]) == (0, 1)
    assert suite.asset(asset).status is AssetStatus.MAINTENANCE
    suite.set_asset_status(asset, AssetStatus.ACTIVE, roles.operator)
    assert suite.asset(asset).status is AssetStatus.ACTIVE


def test_admin_may_retire_any_asset(suite, asset, roles):
    suite.set_asset_status(asset, AssetStatus.RETIRED, roles.admin)
    assert suite.registry.functions.assetStatus(asset).call() == AssetStatus.RETIRED


@pytest.mark.parametrize("status", [AssetStatus.ACTIVE, AssetStatus.MAINTENANCE, AssetStatus.RETIRED])
def test_retired_is_final(suite, asset, roles, status):
    suite.set_asset_status(asset, AssetStatus.RETIRED, roles.operator)
    with reverts("RegistryInvalidStatusTransition", assetId=asset, **{"from": 2}, to=int(status)):
        suite.set_asset_status(asset, status, roles.operator)


def test_set_asset_status_reverts_for_unchanged_status(suite, asset, roles):
    with reverts("RegistryInvalidStatusTransition", assetId=asset, to=0):
        suite.set_asset_status(asset, AssetStatus.ACTIVE, roles.operator)


def test_set_asset_status_reverts_for_another_operator(suite, asset, roles):
    with reverts("RegistryUnauthorizedAssetOperator", assetId=asset, caller=roles.second_operator):
        suite.set_asset_status(asset, AssetStatus.MAINTENANCE, roles.second_operator)


def test_set_asset_status_reverts_for_operator_whose_role_was_revoked(suite, asset, roles):
    role = suite.registry.functions.OPERATOR_ROLE().call()
    suite.sender.transact(suite.registry.functions.revokeRole(role, roles.operator), roles.admin, "R")
    with reverts("RegistryUnauthorizedAssetOperator", caller=roles.operator):
        suite.set_asset_status(asset, AssetStatus.MAINTENANCE, roles.operator)


def test_set_asset_status_reverts_for_unknown_asset(suite, roles):
    with reverts("RegistryUnknownAsset", assetId=42):
        suite.set_asset_status(42, AssetStatus.MAINTENANCE, roles.admin)
