from __future__ import annotations

import pytest

from compute_rwa import AssetStatus
from compute_rwa.models import to_bytes32
from tests.conftest import inventory_hash
from tests.helpers import reverts

ZERO = "0x0000000000000000000000000000000000000000"


def test_register_asset_stores_the_full_spec_and_mints_one_share_per_gpu(suite, make_registration, roles, w3):
    registration = make_registration(gpu_count=16, region="eu-central-1", rated_tflops=15824)
    asset_id, token_address = suite.register_asset(registration, roles.operator)

    spec = suite.asset(asset_id)
    assert asset_id == 1
    assert spec.share_token == token_address
    assert (spec.gpu_model, spec.gpu_count, spec.rated_tflops, spec.rated_power_watts, spec.region) == (
        "NVIDIA H100 80GB HBM3",
        16,
        15824,
        5600,
        "eu-central-1",
    )
    assert spec.operator == roles.operator
    assert spec.inventory_hash == inventory_hash("node-1")
    assert spec.status is AssetStatus.ACTIVE
    assert spec.registered_at == w3.eth.get_block("latest")["timestamp"]

    token = suite.share_token(asset_id)
    assert token.functions.totalSupply().call() == 16 * 10**18
    assert token.functions.balanceOf(roles.holders[0]).call() == 16 * 10**18
    assert token.functions.decimals().call() == 18
    assert token.functions.assetId().call() == asset_id
    assert token.functions.registry().call() == suite.registry.address
    assert token.functions.paymentToken().call() == suite.deployment.payment_token
    assert token.functions.feeRates().call() == [1000, 500, 500]


def test_register_asset_emits_asset_registered_with_every_field(suite, make_registration, roles):
    receipt = suite.sender.transact(
        suite.registry.functions.registerAsset(make_registration().to_abi()), roles.operator, "R"
    )
    (event,) = suite.registry.events.AssetRegistered().process_receipt(receipt)
    args = event["args"]
    assert args["assetId"] == 1
    assert args["operator"] == roles.operator
    assert args["owner"] == roles.holders[0]
    assert args["gpuModel"] == to_bytes32("NVIDIA H100 80GB HBM3")
    assert args["gpuCount"] == 8
    assert args["inventoryHash"] == inventory_hash("node-1")


def test_register_asset_gives_each_asset_its_own_clone(suite, make_registration, roles):
    first_id, first = suite.register_asset(make_registration(), roles.operator)
    second_id, second = suite.register_asset(make_registration(gpu_count=4), roles.operator)
    assert (first_id, second_id) == (1, 2)
    assert first != second
    assert suite.asset_count() == 2
    assert suite.share_token(2).functions.name().call() == "compute-rwa GPU share #2"
    assert suite.share_token(2).functions.symbol().call() == "GPU2"
    # An EIP-1167 clone with 48 bytes of immutable arguments, not a full token deployment.
    assert len(suite.w3.eth.get_code(second)) == 45 + 48


def test_register_asset_reverts_for_caller_without_operator_role(suite, make_registration, roles):
    role = suite.registry.functions.OPERATOR_ROLE().call()
    with reverts("AccessControlUnauthorizedAccount", account=roles.outsider, neededRole=role):
        suite.register_asset(make_registration(), roles.outsider)


@pytest.mark.parametrize(
    ("field", "value", "name", "reported"),
    [
        ("gpu_count", 0, "gpuCount", 0),
        ("gpu_count", 1_000_001, "gpuCount", 1_000_001),
        ("rated_tflops", 0, "ratedTflops", 0),
        ("rated_power_watts", 0, "ratedPowerWatts", 0),
        ("inventory_hash", b"\0" * 32, "inventoryHash", 0),
    ],
)
def test_register_asset_reverts_for_out_of_range_spec(suite, make_registration, roles, field, value, name, reported):
    with reverts("RegistryInvalidSpec", field=name.encode().ljust(32, b"\0"), value=reported):
        suite.register_asset(make_registration(**{field: value}), roles.operator)


@pytest.mark.parametrize("field", ["gpuModel", "region"])
def test_register_asset_reverts_for_empty_short_strings(suite, make_registration, roles, field):
    abi = list(make_registration().to_abi())
    abi[0 if field == "gpuModel" else 4] = b"\0" * 32
    with reverts("RegistryInvalidSpec", field=field.encode().ljust(32, b"\0")):
        suite.sender.transact(suite.registry.functions.registerAsset(tuple(abi)), roles.operator, "R")


def test_register_asset_reverts_for_zero_owner(suite, make_registration, roles):
    with reverts("RegistryZeroAddress", field=b"owner".ljust(32, b"\0")):
        suite.register_asset(make_registration(owner=ZERO), roles.operator)


def test_register_asset_reverts_when_named_operator_lacks_role(suite, make_registration, roles):
    with reverts("RegistryOperatorLacksRole", operator=roles.outsider):
        suite.register_asset(make_registration(operator=roles.outsider), roles.operator)


def test_register_asset_reverts_for_payment_token_not_allowed(suite, make_registration, roles, tokens):
    suite.sender.transact(
        suite.registry.functions.setPaymentTokenAllowed(tokens.dai18.address, False), roles.admin, "R"
    )
    with reverts("RegistryPaymentTokenNotAllowed", token=tokens.dai18.address):
        suite.register_asset(make_registration(payment_token=tokens.dai18.address), roles.operator)


@pytest.mark.parametrize(
    ("field", "kind", "bps", "cap"), [("operator_fee_bps", 0, 2501, 2500), ("reserve_bps", 2, 1001, 1000)]
)
def test_register_asset_reverts_for_fee_above_cap(suite, make_registration, roles, field, kind, bps, cap):
    with reverts("ShareFeeAboveCap", kind=kind, bps=bps, capBps=cap):
        suite.register_asset(make_registration(**{field: bps}), roles.operator)


def test_register_asset_reverts_while_paused(suite, make_registration, roles):
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")
    with reverts("EnforcedPause"):
        suite.register_asset(make_registration(), roles.operator)


def test_register_asset_accepts_the_largest_fleet_node(suite, make_registration, roles):
    asset_id, _ = suite.register_asset(make_registration(gpu_count=1_000_000), roles.operator)
    assert suite.share_token(asset_id).functions.totalSupply().call() == 10**6 * 10**18
