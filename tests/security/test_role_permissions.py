"""Every privileged entry point refuses every account that lacks the power it needs."""

from __future__ import annotations

import pytest

from compute_rwa import ContractRevertError
from compute_rwa.tx import contract_at

UNAUTHORIZED = {
    "AccessControlUnauthorizedAccount",
    "RegistryUnauthorizedAssetOperator",
    "ShareUnauthorized",
    "ShareUnauthorizedOperator",
    "ShareOnlyRegistry",
    "AccessControlEnforcedDefaultAdminRules",
    "LeaseUnauthorizedOperator",
    "LeaseUnauthorized",
    "ShareOnlyLeaseManager",
    "PositionsOnlyManager",
    "ValuationUnauthorized",
}

ACCOUNTS = ("admin", "operator", "second_operator", "compliance", "pauser", "treasury", "holder", "outsider")


def _privileged_calls(suite, asset, roles, make_registration, oracle):
    registry = suite.registry
    token = suite.share_token(asset)
    operator_role = registry.functions.OPERATOR_ROLE().call()
    someone = roles.outsider
    o = oracle.functions
    d = suite.deployment
    terms = contract_at(suite.w3, "LeaseTerms", d.lease_terms).functions
    positions = contract_at(suite.w3, "LeasePositions", d.lease_positions).functions
    valuator = contract_at(suite.w3, "ShareValuator", d.valuator).functions
    now = suite.w3.eth.get_block("latest")["timestamp"]
    valuation = (10**9, now - 1, 3600 * 24 * 365, 0, 1_000, 1, 3600, 3600, 3600, 1, 10**12)
    return {
        # name: (function, accounts allowed to call it)
        "registerAsset": (
            registry.functions.registerAsset(make_registration().to_abi()),
            {"operator", "second_operator"},
        ),
        "setAssetStatus": (registry.functions.setAssetStatus(asset, 1), {"admin", "operator"}),
        "updateInventory": (registry.functions.updateInventory(asset, b"\x07" * 32), {"admin", "operator"}),
        "setPaymentTokenAllowed": (
            registry.functions.setPaymentTokenAllowed(suite.deployment.payment_token, True),
            {"admin"},
        ),
        "setTreasury": (registry.functions.setTreasury(someone), {"admin"}),
        "setDefaultProtocolFeeBps": (registry.functions.setDefaultProtocolFeeBps(100), {"admin"}),
        "pause": (registry.functions.pause(), {"pauser"}),
        "grantRole": (registry.functions.grantRole(operator_role, someone), {"admin"}),
        "revokeRole": (registry.functions.revokeRole(operator_role, roles.second_operator), {"admin"}),
        "beginDefaultAdminTransfer": (registry.functions.beginDefaultAdminTransfer(someone), {"admin"}),
        "initialize": (token.functions.initialize(someone, 1, 0, 0, 0), set()),
        "claimFor": (token.functions.claimFor(roles.holders[0]), set()),
        "releaseReserve": (token.functions.releaseReserve(1), {"admin", "operator"}),
        "withdrawReserve": (token.functions.withdrawReserve(someone, 1), {"admin"}),
        "setFeeRates": (token.functions.setFeeRates(0, 0), {"admin", "operator"}),
        "setProtocolFeeBps": (token.functions.setProtocolFeeBps(0), {"admin"}),
        "setAllowListEnabled": (token.functions.setAllowListEnabled(True), {"compliance"}),
        "setAllowed": (token.functions.setAllowed([someone], True), {"compliance"}),
        "setFrozenTokens": (token.functions.setFrozenTokens(roles.holders[0], 1), {"compliance"}),
        "forcedTransfer": (token.functions.forcedTransfer(roles.holders[0], someone, 1), {"compliance"}),
        "setTransfersPaused": (token.functions.setTransfersPaused(True), {"pauser"}),
        "setInventoryListener": (registry.functions.setInventoryListener(someone), {"admin"}),
        "oracle.setSigners": (o.setSigners([someone], 1), {"admin"}),
        "oracle.setDisputeParams": (o.setDisputeParams(3600, 3600, 1, 1, 1), {"admin"}),
        "oracle.setPaused": (o.setPaused(True), {"pauser"}),
        "oracle.resolveChallenge": (o.resolveChallenge(asset, 0, True), {"admin"}),  # the arbiter
        "setLeaseManager": (registry.functions.setLeaseManager(someone), {"admin"}),
        "receiveLeaseRevenue": (token.functions.receiveLeaseRevenue(1), set()),  # the lease manager only
        "payLeaseFunds": (token.functions.payLeaseFunds(someone, 1), set()),
        "lease.setPricing": (terms.setPricing(asset, (1, False, 0, 0)), {"admin", "operator"}),
        "lease.setPolicy": (terms.setPolicy(asset, (9_900, 0, 0, 0, 1, 10)), {"admin", "operator"}),
        "lease.setLesseeAllowListEnabled": (terms.setLesseeAllowListEnabled(asset, True), {"compliance"}),
        "lease.setLesseeAllowed": (terms.setLesseeAllowed(asset, [someone], True), {"compliance"}),
        "positions.mint": (positions.mint(someone, 1), set()),  # the lease manager only
        "valuation.configure": (valuator.configure(asset, valuation), {"admin"}),
        "valuation.setSequencerFeed": (valuator.setSequencerFeed(someone, 3600), {"admin"}),
    }


def _role_gated(suite, oracle):
    """Calls that OpenZeppelin's onlyRole guards: refused with AccessControlUnauthorizedAccount
    naming the caller and this role."""
    admin_role = b"\0" * 32
    return {
        "setInventoryListener": admin_role,
        "setLeaseManager": admin_role,
        "oracle.setSigners": admin_role,
        "oracle.setDisputeParams": admin_role,
        "oracle.setPaused": oracle.functions.PAUSER_ROLE().call(),
        "oracle.resolveChallenge": oracle.functions.ARBITER_ROLE().call(),
    }


@pytest.mark.parametrize("account_name", ACCOUNTS)
def test_privileged_functions_refuse_every_other_role(suite, asset, roles, make_registration, oracle, account_name):
    account = {
        "admin": roles.admin,
        "operator": roles.operator,
        "second_operator": roles.second_operator,
        "compliance": roles.compliance,
        "pauser": roles.pauser,
        "treasury": roles.treasury,
        "holder": roles.holders[0],
        "outsider": roles.outsider,
    }[account_name]
    refused = []
    gated = _role_gated(suite, oracle.contract)
    for name, (fn, allowed) in _privileged_calls(suite, asset, roles, make_registration, oracle.contract).items():
        if account_name in allowed:
            continue
        with pytest.raises(ContractRevertError) as info:
            suite.sender.transact(fn, account, name)
        assert info.value.error_name in UNAUTHORIZED, f"{name} by {account_name}: {info.value}"
        if name in gated:
            assert info.value.error_name == "AccessControlUnauthorizedAccount", f"{name}: {info.value}"
            assert info.value.args_by_name == {"account": account, "neededRole": gated[name]}, name
        refused.append(name)
    assert refused, "every account is refused something"
