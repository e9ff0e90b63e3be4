"""Leased and pledged at once: shares of an asset with a running lease are posted as
collateral and partly liquidated. The liquidation moves shares only: the lease, the asset's
booked capacity and the escrow do not change; the lease then settles normally and its revenue
reaches every holder pro rata - the owner who kept its shares, the liquidator for the seized
ones, and, through the market, the borrower for the shares still posted."""

from __future__ import annotations

from tests.lending_support import DUSD
from tests.unit.lease_manager.conftest import DISPUTE_WINDOW, PRICE, epoch_end, open_lease, report_uptime, warp_to
from tests.unit.lease_manager.support import booked, lease_of
from tests.unit.lease_settlement.support import CLOSED, align, settle
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
    set_price,
)

GPUS, EPOCHS = 4, 5


def test_a_liquidation_leaves_the_lease_alone(suite, roles, leasing, make_lending, liquidator, oracle_setup, w3):
    lending = make_lending()  # on the leased asset's shares
    manager, share, token = leasing.manager, leasing.share_token, leasing.token
    assert share.address == lending.share.address
    owner = roles.holders[0]

    start = align(w3, manager) + 1
    lease_id, _ = open_lease(manager, suite.sender, roles.lessee, leasing.asset_id, GPUS, EPOCHS)
    total = GPUS * PRICE * EPOCHS
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 30_000 * DUSD)
    set_price(suite, lending, price_for(9_000 * DUSD), roles.admin)
    lease_before = lease_of(manager, lease_id)
    assert (lease_before["status"], lease_before["escrow"], lease_before["gpus"]) == (1, total, GPUS)
    capacity = manager.functions.capacityOf(leasing.asset_id).call()
    assert capacity == [GPUS, 8]
    escrow = balance(token, share.address)
    holder_of_lease = leasing.positions.functions.ownerOf(lease_id).call()

    liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)

    assert balance(share, liquidator) == SHARE
    assert position(lending, roles.borrower)[1] == BORROWER_SHARES - SHARE
    assert lease_of(manager, lease_id) == lease_before
    assert manager.functions.capacityOf(leasing.asset_id).call() == capacity
    assert booked(manager, leasing.asset_id) == GPUS
    assert balance(token, share.address) == escrow
    assert leasing.positions.functions.ownerOf(lease_id).call() == holder_of_lease == roles.lessee

    # The lease runs its course and settles as if nothing had happened.
    last = start + EPOCHS - 1
    warp_to(w3, epoch_end(manager, last) + 60)
    receipt = report_uptime(
        oracle_setup.client, oracle_setup.keys, roles.outsider, leasing.asset_id, list(range(start, last + 1))
    )
    updated_at = int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    warp_to(w3, updated_at + DISPUTE_WINDOW + 1)
    rps_before = share.functions.revenuePerShareE18().call()
    claimable = {who: share.functions.claimableOf(who).call() for who in (owner, liquidator, lending.address)}
    revenue_before = lending.market.functions.revenueOf(roles.borrower).call()

    settled, _ = settle(suite, manager, lease_id, EPOCHS, roles.outsider)

    assert settled == EPOCHS
    assert lease_of(manager, lease_id)["status"] == CLOSED
    assert manager.functions.capacityOf(leasing.asset_id).call()[0] == 0
    rise = share.functions.revenuePerShareE18().call() - rps_before
    to_holders = total - total * 2_000 // 10_000  # 10% operator, 5% protocol, 5% reserve
    assert 8 * SHARE * rise // 10**18 <= to_holders < 8 * SHARE * rise // 10**18 + 8
    # Each holder's part of it, to the unit: 4 shares kept, 1 seized, 3 still posted.
    assert share.functions.claimableOf(owner).call() - claimable[owner] == 4 * SHARE * rise // 10**18
    assert share.functions.claimableOf(liquidator).call() - claimable[liquidator] == SHARE * rise // 10**18
    posted = 3 * SHARE * rise // 10**18
    assert share.functions.claimableOf(lending.address).call() - claimable[lending.address] == posted
    assert lending.market.functions.revenueOf(roles.borrower).call() - revenue_before == posted
    before = balance(token, roles.borrower)
    suite.sender.transact(lending.market.functions.claimRevenue(roles.borrower), roles.borrower, "LendingMarket")
    assert balance(token, roles.borrower) - before == revenue_before + posted
    before = balance(token, liquidator)
    suite.sender.transact(share.functions.claim(), liquidator, "ShareToken")
    assert balance(token, liquidator) - before == SHARE * rise // 10**18
