"""The documented bound on an asset's lifetime revenue (ShareToken's @dev Warning, README "Known
exposure and limits"): a holder's correction is kept in 176 signed bits, so moving shares that
carry more than about 4.8e34 units of earned revenue reverts (SafeCast), rather than wrapping.
Below the bound every path works. Beyond it a claim or a transfer whose correction would pass
176 bits reverts, and nothing is lost: a holder moves part of its shares (each correction then
fits) and claims."""

from __future__ import annotations

from tests.conftest import fund
from tests.helpers import holders_part, reverts

BOUND = 2**175  # the largest magnitude of a 176-bit signed correction (magnified by 1e18)
ALL = 8 * 10**18  # the asset's eight shares, all held by holders[0]


def _payment_for(holders_revenue: int) -> int:
    """A payment whose holders' part (after the 20% waterfall) is about `holders_revenue`."""
    return holders_revenue * 10 // 8


def test_below_the_bound_transfers_and_claims_work(suite, asset, roles, tokens):
    a, b = roles.holders[0], roles.holders[1]
    payment = _payment_for(4 * 10**34)
    fund(suite, tokens.usdc6, roles.lessee, payment, roles.admin)
    suite.distribute(asset, payment, roles.lessee)
    earned = suite.claimable(asset, a)
    assert earned * 10**18 < BOUND and earned >= holders_part(payment) - 1

    suite.transfer_shares(asset, a, b, ALL)  # the correction moves all of it: within 176 bits
    assert suite.claimable(asset, a) == earned and suite.claimable(asset, b) == 0
    assert suite.claim(asset, a) == earned


def test_beyond_the_bound_claims_and_transfers_revert_and_nothing_is_lost(suite, asset, roles, tokens):
    a, b = roles.holders[0], roles.holders[1]
    payment = _payment_for(5 * 10**34)
    fund(suite, tokens.usdc6, roles.lessee, payment, roles.admin)
    suite.distribute(asset, payment, roles.lessee)
    earned = suite.claimable(asset, a)
    assert earned * 10**18 > BOUND

    # Claiming it all at once would need a correction of earned x 1e18: more than 176 bits.
    with reverts("SafeCastOverflowedIntDowncast", bits=176):
        suite.claim(asset, a)
    # So would moving all eight shares.
    with reverts("SafeCastOverflowedIntDowncast", bits=176):
        suite.transfer_shares(asset, a, b, ALL)
    # Half of them is still within the bound, and the revenue earned stays with the sender.
    suite.transfer_shares(asset, a, b, ALL // 2)
    assert suite.claimable(asset, a) == earned and suite.claimable(asset, b) == 0
    assert suite.claim(asset, a) == earned
