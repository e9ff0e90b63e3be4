from __future__ import annotations

from eth_utils import keccak

from tests.helpers import reverts


def test_role_constants_are_namespaced_hashes(suite):
    registry = suite.registry
    assert registry.functions.OPERATOR_ROLE().call() == keccak(text="compute-rwa.role.operator")
    assert registry.functions.COMPLIANCE_ROLE().call() == keccak(text="compute-rwa.role.compliance")
    assert registry.functions.PAUSER_ROLE().call() == keccak(text="compute-rwa.role.pauser")
    assert registry.functions.MAX_GPU_COUNT().call() == 1_000_000
    assert registry.functions.MAX_CLAIM_BATCH().call() == 64


def test_configuration_views(suite, roles):
    registry = suite.registry
    assert registry.functions.treasury().call() == roles.treasury
    assert registry.functions.defaultProtocolFeeBps().call() == 500
    assert registry.functions.shareTokenImplementation().call() == suite.deployment.share_token_implementation
    assert registry.functions.assetCount().call() == 0


def test_per_asset_views_agree_with_the_spec(suite, asset, roles):
    registry = suite.registry
    spec = suite.asset(asset)
    assert registry.functions.shareTokenOf(asset).call() == spec.share_token
    assert registry.functions.assetOperator(asset).call() == roles.operator
    assert registry.functions.assetStatus(asset).call() == 0
    assert registry.functions.inventoryHashOf(asset).call() == spec.inventory_hash


def test_views_revert_for_unknown_asset(suite):
    for view in ("assetSpec", "shareTokenOf", "assetOperator", "assetStatus", "inventoryHashOf"):
        with reverts("RegistryUnknownAsset", assetId=5):
            from compute_rwa.tx import guard

            guard("AssetRegistry", view, suite.registry.functions[view](5).call)
