"""Admin and pauser entry points of the registry, and the two-step admin hand-over."""

from __future__ import annotations

import pytest

from compute_rwa import ContractRevertError
from tests.helpers import reverts

ZERO = "0x0000000000000000000000000000000000000000"


def test_set_payment_token_allowed_toggles_and_emits(suite, roles, tokens):
    registry = suite.registry
    receipt = suite.sender.transact(
        registry.functions.setPaymentTokenAllowed(tokens.dai18.address, False), roles.admin, "R"
    )
    (event,) = registry.events.PaymentTokenAllowed().process_receipt(receipt)
    assert (event["args"]["token"], event["args"]["allowed"]) == (tokens.dai18.address, False)
    assert registry.functions.isPaymentTokenAllowed(tokens.dai18.address).call() is False


def test_set_payment_token_allowed_reverts_for_address_without_code(suite, roles):
    with reverts("RegistryZeroAddress", field=b"paymentToken".ljust(32, b"\0")):
        suite.sender.transact(suite.registry.functions.setPaymentTokenAllowed(roles.outsider, True), roles.admin, "R")


def test_set_treasury_updates_and_emits(suite, roles):
    receipt = suite.sender.transact(suite.registry.functions.setTreasury(roles.outsider), roles.admin, "R")
    (event,) = suite.registry.events.TreasuryUpdated().process_receipt(receipt)
    assert (event["args"]["previousTreasury"], event["args"]["newTreasury"]) == (roles.treasury, roles.outsider)
    assert suite.registry.functions.treasury().call() == roles.outsider


def test_set_treasury_reverts_for_zero_address(suite, roles):
    with reverts("RegistryZeroAddress", field=b"treasury".ljust(32, b"\0")):
        suite.sender.transact(suite.registry.functions.setTreasury(ZERO), roles.admin, "R")


def test_set_default_protocol_fee_applies_to_new_assets_only(suite, asset, make_registration, roles):
    receipt = suite.sender.transact(suite.registry.functions.setDefaultProtocolFeeBps(250), roles.admin, "R")
    (event,) = suite.registry.events.DefaultProtocolFeeUpdated().process_receipt(receipt)
    assert (event["args"]["previousBps"], event["args"]["newBps"]) == (500, 250)
    new_asset, _ = suite.register_asset(make_registration(), roles.operator)
    assert suite.share_token(new_asset).functions.feeRates().call()[1] == 250
    assert suite.share_token(asset).functions.feeRates().call()[1] == 500


def test_set_default_protocol_fee_reverts_above_cap(suite, roles):
    with reverts("RegistryProtocolFeeAboveCap", bps=1001, capBps=1000):
        suite.sender.transact(suite.registry.functions.setDefaultProtocolFeeBps(1001), roles.admin, "R")


def test_pause_and_unpause_emit_and_toggle(suite, roles):
    registry = suite.registry
    receipt = suite.sender.transact(registry.functions.pause(), roles.pauser, "R")
    assert registry.events.Paused().process_receipt(receipt)[0]["args"]["account"] == roles.pauser
    assert registry.functions.paused().call() is True
    suite.sender.transact(registry.functions.unpause(), roles.pauser, "R")
    assert registry.functions.paused().call() is False


def test_unpause_reverts_when_not_paused(suite, roles):
    with reverts("ExpectedPause"):
        suite.sender.transact(suite.registry.functions.unpause(), roles.pauser, "R")


def test_pause_reverts_when_already_paused(suite, roles):
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")
    with reverts("EnforcedPause"):
        suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")


def test_admin_hand_over_takes_two_steps_and_a_delay(suite, roles, w3):
    registry = suite.registry
    new_admin = roles.outsider
    suite.sender.transact(registry.functions.beginDefaultAdminTransfer(new_admin), roles.admin, "R")
    # Accepting before the delay has passed fails; the old admin still rules.
    with reverts("AccessControlEnforcedDefaultAdminDelay"):
        suite.sender.transact(registry.functions.acceptDefaultAdminTransfer(), new_admin, "R")
    w3.provider.make_request("evm_increaseTime", [3601])
    w3.provider.make_request("evm_mine", [])
    suite.sender.transact(registry.functions.acceptDefaultAdminTransfer(), new_admin, "R")
    assert registry.functions.owner().call() == new_admin
    assert not registry.functions.hasRole(b"\0" * 32, roles.admin).call()


def test_admin_role_cannot_be_granted_directly(suite, roles):
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        suite.sender.transact(suite.registry.functions.grantRole(b"\0" * 32, roles.outsider), roles.admin, "R")


def test_constructor_rejects_bad_configuration(suite, roles):
    implementation = suite.deployment.share_token_implementation
    cases = [
        ((roles.admin, 0, roles.outsider, roles.treasury, 500), "RegistryZeroAddress"),
        ((roles.admin, 0, implementation, ZERO, 500), "RegistryZeroAddress"),
        ((roles.admin, 0, implementation, roles.treasury, 1001), "RegistryProtocolFeeAboveCap"),
    ]
    for args, error in cases:
        with pytest.raises(ContractRevertError) as info:
            suite.sender.deploy("AssetRegistry", roles.admin, *args)
        assert info.value.error_name == error
