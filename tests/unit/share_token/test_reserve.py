from __future__ import annotations

from tests.conftest import fund
from tests.helpers import reverts


def _pay(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.distribute(asset, 10**9, roles.lessee)  # reserve: 50,000,000


def test_release_reserve_sends_it_to_holders(suite, asset, roles, tokens):
    _pay(suite, asset, roles, tokens)
    token = suite.share_token(asset)
    receipt = suite.sender.transact(token.functions.releaseReserve(20_000_000), roles.operator, "S")
    (event,) = token.events.ReserveReleased().process_receipt(receipt)
    assert (event["args"]["caller"], event["args"]["amount"]) == (roles.operator, 20_000_000)
    assert suite.pools(asset).reserve == 30_000_000
    assert suite.claimable(asset, roles.holders[0]) == 820_000_000


def test_release_reserve_reverts_beyond_the_reserve(suite, asset, roles, tokens):
    _pay(suite, asset, roles, tokens)
    with reverts("ShareInsufficientReserve", requested=50_000_001, available=50_000_000):
        suite.sender.transact(suite.share_token(asset).functions.releaseReserve(50_000_001), roles.operator, "S")


def test_release_reserve_reverts_for_zero(suite, asset, roles):
    with reverts("ShareZeroAmount"):
        suite.sender.transact(suite.share_token(asset).functions.releaseReserve(0), roles.operator, "S")


def test_release_reserve_reverts_for_outsider(suite, asset, roles):
    with reverts("ShareUnauthorizedOperator", caller=roles.outsider):
        suite.sender.transact(suite.share_token(asset).functions.releaseReserve(1), roles.outsider, "S")


def test_release_reserve_reverts_when_no_shares_exist(suite, asset, roles, tokens):
    from compute_rwa import AssetStatus

    _pay(suite, asset, roles, tokens)
    suite.set_asset_status(asset, AssetStatus.RETIRED, roles.operator)
    token = suite.share_token(asset)
    suite.sender.transact(token.functions.burn(8 * 10**18), roles.holders[0], "S")
    with reverts("ShareNoShares", assetId=asset):
        suite.sender.transact(token.functions.releaseReserve(1), roles.operator, "S")


def test_withdraw_reserve_pays_the_admins_recipient(suite, asset, roles, tokens):
    _pay(suite, asset, roles, tokens)
    token = suite.share_token(asset)
    receipt = suite.sender.transact(token.functions.withdrawReserve(roles.outsider, 10_000_000), roles.admin, "S")
    (event,) = token.events.ReserveWithdrawn().process_receipt(receipt)
    assert (event["args"]["recipient"], event["args"]["amount"]) == (roles.outsider, 10_000_000)
    assert tokens.usdc6.functions.balanceOf(roles.outsider).call() == 10_000_000


def test_withdraw_reserve_reverts_for_operator_and_zero_recipient(suite, asset, roles, tokens):
    _pay(suite, asset, roles, tokens)
    token = suite.share_token(asset)
    with reverts("ShareUnauthorized", caller=roles.operator):
        suite.sender.transact(token.functions.withdrawReserve(roles.operator, 1), roles.operator, "S")
    with reverts("ShareZeroAddress"):
        suite.sender.transact(
            token.functions.withdrawReserve("0x0000000000000000000000000000000000000000", 1), roles.admin, "S"
        )
