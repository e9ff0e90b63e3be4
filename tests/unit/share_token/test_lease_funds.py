"""ShareToken.receiveLeaseRevenue and payLeaseFunds: the lease manager's two entry points into
the escrow it keeps in share tokens. Only registry.leaseManager() may call them; the first runs
the waterfall on tokens already held, the second pays them out.

To call them from a test, the admin points the registry at an ordinary account (`manager`)."""

from __future__ import annotations

import pytest

from tests.conftest import fund
from tests.helpers import reverts

ESCROW = 1_000_000_000  # 1,000 dUSD already held by the share token


@pytest.fixture
def manager(suite, roles) -> str:
    """roles.borrower, named lease manager by the admin."""
    suite.sender.transact(suite.registry.functions.setLeaseManager(roles.borrower), roles.admin, "R")
    return roles.borrower


@pytest.fixture
def share(suite, asset, tokens, roles):
    """The `asset` fixture's share token, holding ESCROW payment tokens (as lease escrow would)."""
    token = suite.share_token(asset)
    fund(suite, tokens.usdc6, token.address, ESCROW, roles.admin)
    return token


def _balance(token, account) -> int:
    return int(token.functions.balanceOf(account).call())


def _distributed(share, receipt):
    (event,) = share.events.RevenueDistributed().process_receipt(receipt)
    a = event["args"]
    return (a["payer"], a["amount"], a["operatorFee"], a["protocolFee"], a["toReserve"], a["toHolders"])


@pytest.mark.parametrize("caller", ["admin", "operator", "outsider", "lessee"])
def test_receive_lease_revenue_only_from_the_lease_manager(suite, roles, share, caller):
    account = getattr(roles, caller)
    with reverts("ShareOnlyLeaseManager", caller=account):
        suite.sender.transact(share.functions.receiveLeaseRevenue(1_000_000), account, "S")
    with reverts("ShareOnlyLeaseManager", caller=account):
        suite.sender.transact(share.functions.receiveLeaseRevenue(0), account, "S")  # checked first


@pytest.mark.parametrize("caller", ["admin", "operator", "outsider", "lessee"])
def test_pay_lease_funds_only_from_the_lease_manager(suite, roles, share, tokens, caller):
    account = getattr(roles, caller)
    with reverts("ShareOnlyLeaseManager", caller=account):
        suite.sender.transact(share.functions.payLeaseFunds(account, 1_000_000), account, "S")
    assert _balance(tokens.usdc6, share.address) == ESCROW


def test_deployed_lease_manager_is_the_only_caller_by_default(suite, roles, share):
    assert suite.registry.functions.leaseManager().call() == suite.deployment.lease_manager
    with reverts("ShareOnlyLeaseManager", caller=roles.borrower):
        suite.sender.transact(share.functions.receiveLeaseRevenue(1_000_000), roles.borrower, "S")


def test_receive_lease_revenue_of_zero_reverts(suite, manager, share):
    with reverts("ShareZeroAmount"):
        suite.sender.transact(share.functions.receiveLeaseRevenue(0), manager, "S")


def test_receive_lease_revenue_splits_like_distribute_and_moves_no_tokens(suite, asset, roles, manager, share, tokens):
    receipt = suite.sender.transact(share.functions.receiveLeaseRevenue(ESCROW), manager, "S")

    # 10% operator, 5% protocol, 5% reserve, 80% holders: distribute's waterfall.
    assert _distributed(share, receipt) == (manager, ESCROW, 100_000_000, 50_000_000, 50_000_000, 800_000_000)
    assert tokens.usdc6.events.Transfer().process_receipt(receipt) == ()
    assert _balance(tokens.usdc6, share.address) == ESCROW
    assert _balance(tokens.usdc6, manager) == 0
    pools = suite.pools(asset)
    assert (pools.operator_fees, pools.protocol_fees, pools.reserve, pools.dust_e18) == (
        100_000_000,
        50_000_000,
        50_000_000,
        0,
    )
    assert suite.claimable(asset, roles.holders[0]) == 800_000_000


def test_receive_lease_revenue_matches_distribute_on_a_twin_asset(suite, make_registration, roles, manager, share):
    twin, _ = suite.register_asset(make_registration(), roles.operator)
    fund(suite, suite.payment_token, roles.lessee, 10**9, roles.admin)
    amount = 123_456_789
    by_lease = _distributed(share, suite.sender.transact(share.functions.receiveLeaseRevenue(amount), manager, "S"))
    by_payment = _distributed(suite.share_token(twin), suite.distribute(twin, amount, roles.lessee))
    assert by_lease[1:] == by_payment[1:] == (amount, 12_345_678, 6_172_839, 6_172_839, 98_765_433)
    assert suite.pools(share.functions.assetId().call()) == suite.pools(twin)


def test_receive_lease_revenue_works_while_the_registry_is_paused(suite, asset, roles, manager, share):
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")
    fund(suite, suite.payment_token, roles.lessee, 10**9, roles.admin)
    with reverts("ShareRevenuePaused"):
        suite.distribute(asset, 1_000_000, roles.lessee)  # new money is refused
    receipt = suite.sender.transact(share.functions.receiveLeaseRevenue(ESCROW), manager, "S")
    assert _distributed(share, receipt)[1] == ESCROW  # released escrow is not
    assert suite.claimable(asset, roles.holders[0]) == 800_000_000


def test_pay_lease_funds_transfers_and_emits(suite, roles, manager, share, tokens):
    to = roles.lessee
    before = _balance(tokens.usdc6, to)
    receipt = suite.sender.transact(share.functions.payLeaseFunds(to, 250_000_000), manager, "S")

    (paid,) = share.events.LeaseFundsPaid().process_receipt(receipt)
    assert dict(paid["args"]) == {"to": to, "amount": 250_000_000}
    (transfer,) = tokens.usdc6.events.Transfer().process_receipt(receipt)
    assert (transfer["args"]["from"], transfer["args"]["to"], transfer["args"]["value"]) == (
        share.address,
        to,
        250_000_000,
    )
    assert _balance(tokens.usdc6, to) - before == 250_000_000
    assert _balance(tokens.usdc6, share.address) == ESCROW - 250_000_000
    assert suite.pools(share.functions.assetId().call()).reserve == 0  # no accounting touched


def test_pay_lease_funds_works_while_the_registry_is_paused(suite, roles, manager, share, tokens):
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")
    suite.sender.transact(share.functions.payLeaseFunds(roles.outsider, ESCROW), manager, "S")
    assert _balance(tokens.usdc6, roles.outsider) == ESCROW
    assert _balance(tokens.usdc6, share.address) == 0


def test_pay_lease_funds_cannot_pay_more_than_held(suite, roles, manager, share, tokens):
    with reverts("ERC20InsufficientBalance", sender=share.address, balance=ESCROW, needed=ESCROW + 1):
        suite.sender.transact(share.functions.payLeaseFunds(roles.outsider, ESCROW + 1), manager, "S")
