from __future__ import annotations

from compute_rwa.models import FeeKind
from tests.conftest import fund
from tests.helpers import reverts


def _pay(suite, asset, roles, tokens, amount=1_000_000_000):
    fund(suite, tokens.usdc6, roles.lessee, amount, roles.admin)
    suite.distribute(asset, amount, roles.lessee)


def test_withdraw_operator_fees_pays_the_asset_operator(suite, asset, roles, tokens):
    _pay(suite, asset, roles, tokens)
    token = suite.share_token(asset)
    receipt = suite.sender.transact(token.functions.withdrawOperatorFees(), roles.outsider, "S")
    (event,) = token.events.FeesWithdrawn().process_receipt(receipt)
    assert (event["args"]["kind"], event["args"]["recipient"], event["args"]["amount"]) == (
        FeeKind.OPERATOR,
        roles.operator,
        100_000_000,
    )
    assert tokens.usdc6.functions.balanceOf(roles.operator).call() == 100_000_000
    assert suite.pools(asset).operator_fees == 0


def test_withdraw_protocol_fees_pays_the_treasury(suite, asset, roles, tokens):
    _pay(suite, asset, roles, tokens)
    token = suite.share_token(asset)
    suite.sender.transact(token.functions.withdrawProtocolFees(), roles.outsider, "S")
    assert tokens.usdc6.functions.balanceOf(roles.treasury).call() == 50_000_000
    assert suite.pools(asset).protocol_fees == 0


def test_withdrawing_empty_fee_pools_is_a_no_op(suite, asset, roles):
    token = suite.share_token(asset)
    for fn in (token.functions.withdrawOperatorFees(), token.functions.withdrawProtocolFees()):
        assert fn.call({"from": roles.outsider}) == 0
        receipt = suite.sender.transact(fn, roles.outsider, "S")
        assert token.events.FeesWithdrawn().process_receipt(receipt) == ()


def test_set_fee_rates_by_operator_applies_to_later_payments(suite, asset, roles, tokens):
    token = suite.share_token(asset)
    receipt = suite.sender.transact(token.functions.setFeeRates(2500, 1000), roles.operator, "S")
    events = token.events.FeeRateUpdated().process_receipt(receipt)
    assert [(e["args"]["kind"], e["args"]["previousBps"], e["args"]["newBps"]) for e in events] == [
        (FeeKind.OPERATOR, 1000, 2500),
        (FeeKind.RESERVE, 500, 1000),
    ]
    _pay(suite, asset, roles, tokens)
    assert suite.claimable(asset, roles.holders[0]) == 600_000_000  # 100% - 25% - 5% - 10%


def test_set_fee_rates_by_admin(suite, asset, roles):
    suite.sender.transact(suite.share_token(asset).functions.setFeeRates(0, 0), roles.admin, "S")
    assert suite.share_token(asset).functions.feeRates().call() == [0, 500, 0]


def test_set_fee_rates_reverts_above_caps(suite, asset, roles):
    token = suite.share_token(asset)
    with reverts("ShareFeeAboveCap", kind=FeeKind.OPERATOR, bps=2501, capBps=2500):
        suite.sender.transact(token.functions.setFeeRates(2501, 0), roles.operator, "S")
    with reverts("ShareFeeAboveCap", kind=FeeKind.RESERVE, bps=1001, capBps=1000):
        suite.sender.transact(token.functions.setFeeRates(0, 1001), roles.operator, "S")


def test_set_fee_rates_reverts_for_outsider_and_other_operator(suite, asset, roles):
    token = suite.share_token(asset)
    for caller in (roles.outsider, roles.second_operator, roles.holders[0]):
        with reverts("ShareUnauthorizedOperator", caller=caller, assetOperator=roles.operator):
            suite.sender.transact(token.functions.setFeeRates(0, 0), caller, "S")


def test_set_protocol_fee_by_admin_only(suite, asset, roles):
    token = suite.share_token(asset)
    receipt = suite.sender.transact(token.functions.setProtocolFeeBps(0), roles.admin, "S")
    (event,) = token.events.FeeRateUpdated().process_receipt(receipt)
    assert (event["args"]["kind"], event["args"]["newBps"]) == (FeeKind.PROTOCOL, 0)
    with reverts("ShareUnauthorized", caller=roles.operator, role=b"\0" * 32):
        suite.sender.transact(token.functions.setProtocolFeeBps(100), roles.operator, "S")
    with reverts("ShareFeeAboveCap", kind=FeeKind.PROTOCOL, bps=1001, capBps=1000):
        suite.sender.transact(token.functions.setProtocolFeeBps(1001), roles.admin, "S")
