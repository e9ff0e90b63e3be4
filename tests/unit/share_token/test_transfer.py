"""Share transfers never move revenue already earned (per-holder corrections)."""

from __future__ import annotations

from tests.conftest import fund
from tests.helpers import holders_part, reverts


def test_transfer_leaves_earned_revenue_with_the_sender(suite, asset, roles, tokens):
    a, b = roles.holders[0], roles.holders[1]
    fund(suite, tokens.usdc6, roles.lessee, 10**12, roles.admin)
    suite.distribute(asset, 10**9, roles.lessee)  # a owns all 8 shares: earns 800
    suite.transfer_shares(asset, a, b, 4 * 10**18)
    assert suite.claimable(asset, a) == 800_000_000
    assert suite.claimable(asset, b) == 0
    suite.distribute(asset, 10**9, roles.lessee)  # now split 4/4: 400 each
    assert suite.claimable(asset, a) == 1_200_000_000
    assert suite.claimable(asset, b) == 400_000_000


def test_transfer_from_uses_allowance_and_keeps_revenue(suite, asset, roles, tokens):
    a, b, spender = roles.holders[0], roles.holders[1], roles.outsider
    token = suite.share_token(asset)
    fund(suite, tokens.usdc6, roles.lessee, 10**12, roles.admin)
    suite.distribute(asset, 10**9, roles.lessee)
    suite.sender.transact(token.functions.approve(spender, 10**18), a, "S")
    suite.sender.transact(token.functions.transferFrom(a, b, 10**18), spender, "S")
    assert token.functions.balanceOf(b).call() == 10**18
    assert suite.claimable(asset, a) == 800_000_000
    assert suite.claimable(asset, b) == 0


def test_transfer_of_fractional_shares_keeps_every_wei(suite, asset, roles, tokens):
    a, b, c = roles.holders[0], roles.holders[1], roles.holders[2]
    fund(suite, tokens.usdc6, roles.lessee, 10**12, roles.admin)
    suite.distribute(asset, 333_333_333, roles.lessee)
    suite.transfer_shares(asset, a, b, 1_234_567_890_123_456_789)
    suite.transfer_shares(asset, b, c, 1)
    suite.distribute(asset, 777_777_777, roles.lessee)
    total = sum(suite.claimable(asset, h) for h in (a, b, c))
    paid_to_holders = holders_part(333_333_333) + holders_part(777_777_777)
    carried = suite.pools(asset).dust_e18 // 10**18  # waits for the next payment
    # Each holder's sub-unit remainder stays with it; at most one unit per holder is pending.
    assert paid_to_holders - carried - 3 <= total <= paid_to_holders - carried


def test_transfer_reverts_above_balance_with_erc20_error(suite, asset, roles):
    with reverts("ERC20InsufficientBalance", sender=roles.holders[1], balance=0, needed=1):
        suite.transfer_shares(asset, roles.holders[1], roles.holders[0], 1)


def test_transfer_to_oneself_changes_nothing(suite, asset, roles, tokens):
    a = roles.holders[0]
    fund(suite, tokens.usdc6, roles.lessee, 10**12, roles.admin)
    suite.distribute(asset, 10**9, roles.lessee)
    suite.transfer_shares(asset, a, a, 3 * 10**18)  # untracked holder: first touch is a self-transfer
    assert suite.claimable(asset, a) == 800_000_000
    suite.transfer_shares(asset, a, roles.holders[1], 10**18)
    suite.transfer_shares(asset, a, a, 10**18)  # tracked holder
    suite.distribute(asset, 10**9, roles.lessee)
    assert suite.claimable(asset, a) == 800_000_000 + 700_000_000
    assert suite.claimable(asset, roles.holders[1]) == 100_000_000
