"""A lending market under the share token's holder allow list (docs/security.md, gap 11, and
the limitation "with the share token's allow list on, the market and every liquidator must be
allowed").

Posted collateral moves as share transfers, and the share token checks both ends of each
(ERC-7943: ERC7943CannotSend / ERC7943CannotReceive): posting needs the borrower and the
market allowed, withdrawing and liquidating need the market and the receiver allowed. A
refusal reverts the whole call, so the market's books stay as they were. Borrowing, repaying
and lending move only the loan token and are not affected."""

from __future__ import annotations

import pytest

from tests.lending_support import DUSD, distribute
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    SHARE,
    balance,
    borrow,
    deposit,
    liquidate,
    position,
    post,
    price_for,
    repay,
    reverts,
    send,
    set_price,
    totals,
)

BORROWED = 10_000 * DUSD  # against 4 shares at 10,000 dUSD: at most 32,000 (2 shares: 16,000)
# The liquidation case (as test_liquidate.py): 30,000 borrowed, then the price down to 9,000
# a share, so that 4 shares carry at most 28,800 and seizing one leaves the position healthy.
UNDERWATER_DEBT = 30_000 * DUSD
DROPPED = price_for(9_000 * DUSD)


def _allow(suite, roles, lending, accounts, allowed=True):
    suite.sender.transact(lending.share.functions.setAllowed(list(accounts), allowed), roles.compliance, "ST")


@pytest.fixture
def listed(suite, roles, lending):
    """`lending` (shares already handed out) with the allow list switched on, nobody allowed,
    and the lender's supply in place (loan tokens only: the list does not see it)."""
    suite.sender.transact(lending.share.functions.setAllowListEnabled(True), roles.compliance, "ST")
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    return lending


def _books(lending, borrower):
    return position(lending, borrower), totals(lending)[1:], balance(lending.share, lending.address)


def test_a_market_off_the_list_cannot_take_collateral(suite, roles, listed):
    lending, borrower = listed, roles.borrower
    before = _books(lending, borrower)
    # Nobody allowed: the borrower, as sender, is the first end the token checks.
    with reverts("ERC7943CannotSend", account=borrower):
        post(suite, lending, borrower, BORROWER_SHARES)
    _allow(suite, roles, lending, [borrower])
    with reverts("ERC7943CannotReceive", account=lending.address):
        post(suite, lending, borrower, BORROWER_SHARES)
    # Nothing was booked, and there is nothing to borrow against.
    assert _books(lending, borrower) == before == ((0, 0), (0, 0), 0)
    with reverts("MarketInsufficientCollateral", borrower=borrower, maxDebt=0):
        borrow(suite, lending, borrower, BORROWED)


def test_an_allowed_market_and_borrower_post_borrow_and_withdraw(suite, roles, listed):
    lending, borrower = listed, roles.borrower
    _allow(suite, roles, lending, [borrower, lending.address])
    post(suite, lending, borrower, BORROWER_SHARES)
    borrow(suite, lending, borrower, BORROWED)
    assert position(lending, borrower)[1] == BORROWER_SHARES
    # Withdrawing to oneself works; to an account off the list it does not, books untouched.
    send(suite, lending.market.functions.withdrawCollateral(SHARE, borrower), borrower)
    before = _books(lending, borrower)
    with reverts("ERC7943CannotReceive", account=roles.outsider):
        send(suite, lending.market.functions.withdrawCollateral(SHARE, roles.outsider), borrower)
    assert _books(lending, borrower) == before
    repay(suite, lending, borrower, 0, position(lending, borrower)[0])
    send(suite, lending.market.functions.withdrawCollateral(3 * SHARE, borrower), borrower)
    assert position(lending, borrower) == (0, 0)
    assert balance(lending.share, borrower) == BORROWER_SHARES


@pytest.fixture
def underwater(suite, roles, listed):
    """Market and borrower allowed, 30,000 dUSD borrowed, the price down to 9,000 a share."""
    _allow(suite, roles, listed, [roles.borrower, listed.address])
    post(suite, listed, roles.borrower, BORROWER_SHARES)
    borrow(suite, listed, roles.borrower, UNDERWATER_DEBT)
    set_price(suite, listed, DROPPED, roles.admin)
    return listed


def test_a_liquidator_off_the_list_cannot_receive_seized_shares(suite, roles, underwater, liquidator):
    lending = underwater
    before = _books(lending, roles.borrower)
    paid = balance(lending.loan, liquidator)
    with reverts("ERC7943CannotReceive", account=liquidator):
        liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)
    # The seizure is the market's last step but one: its refusal undoes the whole liquidation.
    assert _books(lending, roles.borrower) == before
    assert balance(lending.loan, liquidator) == paid

    _allow(suite, roles, lending, [liquidator])
    liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)
    assert balance(lending.share, liquidator) == SHARE
    assert position(lending, roles.borrower)[1] == BORROWER_SHARES - SHARE
    assert balance(lending.share, lending.address) == BORROWER_SHARES - SHARE
    assert balance(lending.loan, liquidator) < paid


def test_a_market_taken_off_the_list_holds_its_collateral(suite, roles, underwater, liquidator):
    # The market as sender is refused: no liquidation, no withdrawal, while the debt stands.
    lending = underwater
    _allow(suite, roles, lending, [liquidator])
    _allow(suite, roles, lending, [lending.address], allowed=False)
    with reverts("ERC7943CannotSend", account=lending.address):
        liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)
    # Loan-token legs go on: the borrower repays enough to be healthy again, but its shares
    # stay in the market until the market is allowed back.
    repay(suite, lending, roles.borrower, 15_000 * DUSD, 0)
    with reverts("ERC7943CannotSend", account=lending.address):
        send(suite, lending.market.functions.withdrawCollateral(SHARE, roles.borrower), roles.borrower)
    _allow(suite, roles, lending, [lending.address])
    send(suite, lending.market.functions.withdrawCollateral(SHARE, roles.borrower), roles.borrower)
    assert balance(lending.share, roles.borrower) == SHARE


def test_the_list_sees_share_transfers_only_not_who_a_position_belongs_to(suite, roles, listed):
    # An allowed poster can post for an account that is not on the list: the position, its
    # borrowing power and its revenue are that account's, and it can withdraw to any allowed
    # address. The allow list governs who holds shares, not who owns a market position.
    lending, poster, owner = listed, roles.borrower, roles.outsider
    _allow(suite, roles, lending, [poster, lending.address])
    post(suite, lending, poster, BORROWER_SHARES, on_behalf=owner)
    assert position(lending, owner) == (0, BORROWER_SHARES)
    borrow(suite, lending, owner, BORROWED)
    assert balance(lending.loan, owner) == BORROWED
    distribute(suite, lending.asset_id, 1_000 * DUSD, roles.lessee, roles.admin)
    earned = lending.market.functions.revenueOf(owner).call()
    assert earned > 0
    send(suite, lending.market.functions.claimRevenue(owner), owner)
    assert balance(lending.loan, owner) == BORROWED + earned  # dUSD is also the payment token
    repay(suite, lending, poster, 0, position(lending, owner)[0], on_behalf=owner)
    with reverts("ERC7943CannotReceive", account=owner):
        send(suite, lending.market.functions.withdrawCollateral(SHARE, owner), owner)
    send(suite, lending.market.functions.withdrawCollateral(SHARE, poster), owner)
    assert balance(lending.share, poster) == SHARE
