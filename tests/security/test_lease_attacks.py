"""Attacks on the lease escrow: strangers settling, ending, extending, claiming or preempting
someone else's lease, calling the share token's lease entry points or the position minter
directly, a replaced lease manager, double settlement, re-entrant payment tokens, and
fee-on-transfer payment tokens. Each is refused with its own error, or pays only where it must."""

from __future__ import annotations

import pytest

from compute_rwa.tx import contract_at
from tests.helpers import reverts
from tests.unit.lease_manager.conftest import (
    DAY,
    Leasing,
    configure_asset,
    epoch_end,
    fund_and_approve,
    manager_contracts,
    open_lease,
    report_uptime,
    warp_to,
)
from tests.unit.lease_settlement.support import (
    ACTIVE,
    CHARGE,
    CLOSED,
    align,
    balance,
    distributions,
    report_status,
    settle,
    waterfall,
)
from tests.unit.metrics_oracle.conftest import events

MAX = 2**256 - 1


def _leasing(suite, asset_id, oracle, roles, token) -> Leasing:
    manager, terms, positions = manager_contracts(suite)
    configure_asset(suite, asset_id, roles.operator)
    oracle.sync_assets([asset_id], roles.outsider)
    fund_and_approve(suite, token, roles.lessee, 10**12, manager.address, roles.admin)
    share = contract_at(suite.w3, "ShareToken", suite.registry.functions.shareTokenOf(asset_id).call())
    return Leasing(manager, terms, positions, token, asset_id, share)


@pytest.fixture
def lm(suite, asset, oracle, roles) -> Leasing:
    """The `asset` fixture leasable at 2 dUSD per GPU-hour (the lease_manager helpers' setup)."""
    return _leasing(suite, asset, oracle, roles, suite.payment_token)


def _ready(lm, suite, oracle, oracle_setup, roles, w3, epochs=2, uptimes=None, reported=None):
    """Opens a 2-GPU lease of roles.lessee; lets `reported` of its epochs (all by default) end,
    be reported and become final. Returns (lease id, start epoch)."""
    start = align(w3, lm.manager) + 1
    lease_id, _ = open_lease(lm.manager, suite.sender, roles.lessee, lm.asset_id, gpus=2, epochs=epochs)
    reported = epochs if reported is None else reported
    warp_to(w3, epoch_end(lm.manager, start + reported - 1) + 60)
    epoch_list = list(range(start, start + reported))
    report_uptime(oracle, oracle_setup.keys, roles.outsider, lm.asset_id, epoch_list, uptimes or 10_000)
    warp_to(w3, report_status(oracle, lm.asset_id, epoch_list[-1])[2] + DAY + 1)
    return lease_id, start


def test_stranger_settling_pays_only_the_waterfall_and_the_position(suite, lm, oracle, oracle_setup, roles, w3):
    m, token, stranger = lm.manager, lm.token, roles.outsider
    lease_id, start = _ready(lm, suite, oracle, oracle_setup, roles, w3, epochs=2, uptimes=[10_000, 9_000])
    stranger_before, lessee_before = balance(token, stranger), balance(token, roles.lessee)
    held = balance(token, lm.share_token.address)

    _, receipt = settle(suite, m, lease_id, 2, stranger)

    released = 2 * CHARGE - 363_637
    assert distributions(lm.share_token, receipt) == [(m.address, released, *waterfall(released))]
    assert token.events.Transfer().process_receipt(receipt) == ()
    assert balance(token, stranger) == stranger_before
    assert balance(token, roles.lessee) == lessee_before
    assert balance(token, lm.share_token.address) == held
    assert suite.claimable(lm.asset_id, stranger) == 0
    assert m.functions.lease(lease_id).call()[-1] == 363_637  # the credit stays with the position
    with reverts("LeaseNotOwner", leaseId=lease_id, caller=stranger):
        suite.sender.transact(m.functions.claim(lease_id), stranger, "LM")


@pytest.mark.parametrize("action", ["terminate", "extend", "claim"])
def test_stranger_cannot_act_for_a_position(suite, lm, roles, w3, action):
    m = lm.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id)
    fund_and_approve(suite, lm.token, roles.outsider, 10**9, m.address, roles.admin)
    calls = {
        "terminate": m.functions.terminate(lease_id),
        "extend": m.functions.extend(lease_id, 1, MAX),
        "claim": m.functions.claim(lease_id),
    }
    for stranger in (roles.outsider, roles.operator, roles.admin):
        with reverts("LeaseNotOwner", leaseId=lease_id, caller=stranger):
            suite.sender.transact(calls[action], stranger, "LM")
    view = m.functions.lease(lease_id).call()
    assert (view[3], view[10], view[13]) == (view[2] + 10, ACTIVE, 10 * CHARGE)  # endEpoch, status, escrow


def test_approved_operator_claims_for_the_owner_not_itself(suite, lm, oracle, oracle_setup, roles, w3):
    m, token = lm.manager, lm.token
    lease_id, _ = _ready(lm, suite, oracle, oracle_setup, roles, w3, epochs=1, uptimes=[0])
    settle(suite, m, lease_id, 1, roles.outsider)
    suite.sender.transact(lm.positions.functions.approve(roles.outsider, lease_id), roles.lessee, "Positions")
    outsider_before, lessee_before = balance(token, roles.outsider), balance(token, roles.lessee)
    receipt = suite.sender.transact(m.functions.claim(lease_id), roles.outsider, "LM")
    assert events(m, receipt, "LeaseClaimed") == [{"leaseId": lease_id, "to": roles.lessee, "amount": CHARGE}]
    assert balance(token, roles.lessee) - lessee_before == CHARGE
    assert balance(token, roles.outsider) == outsider_before


@pytest.mark.parametrize("caller", ["outsider", "lessee", "second_operator", "compliance", "pauser"])
def test_only_the_asset_operator_or_admin_may_preempt(suite, lm, roles, w3, caller):
    m = lm.manager
    current = align(w3, m)
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id)
    account = getattr(roles, caller)
    with reverts("LeaseUnauthorizedOperator", assetId=lm.asset_id, caller=account):
        suite.sender.transact(m.functions.preempt(lease_id, current + 5), account, "LM")


@pytest.mark.parametrize("caller", ["outsider", "lessee", "admin", "operator"])
def test_nobody_but_the_manager_reaches_the_escrow_directly(suite, lm, roles, caller):
    open_lease(lm.manager, suite.sender, roles.lessee, lm.asset_id)
    account = getattr(roles, caller)
    held = balance(lm.token, lm.share_token.address)
    with reverts("ShareOnlyLeaseManager", caller=account):
        suite.sender.transact(lm.share_token.functions.payLeaseFunds(account, held), account, "S")
    with reverts("ShareOnlyLeaseManager", caller=account):
        suite.sender.transact(lm.share_token.functions.receiveLeaseRevenue(held), account, "S")
    assert balance(lm.token, lm.share_token.address) == held == 10 * CHARGE


@pytest.mark.parametrize("caller", ["outsider", "lessee", "admin"])
def test_positions_are_minted_by_the_manager_only(suite, lm, roles, caller):
    account = getattr(roles, caller)
    with reverts("PositionsOnlyManager", caller=account):
        suite.sender.transact(lm.positions.functions.mint(account, 777), account, "Positions")
    assert lm.positions.functions.balanceOf(account).call() == 0


def test_replaced_lease_manager_can_no_longer_move_escrow(suite, lm, oracle, oracle_setup, roles, w3):
    m, token, registry = lm.manager, lm.token, suite.registry
    # Long enough to be still running a day later, when its first epoch is final.
    lease_id, _ = _ready(lm, suite, oracle, oracle_setup, roles, w3, epochs=48, reported=2, uptimes=[10_000, 0])
    held = balance(token, lm.share_token.address)
    suite.sender.transact(registry.functions.setLeaseManager(roles.outsider), roles.admin, "R")

    # Settling (which would release to the waterfall), claiming and terminating (which would
    # pay out) all need the share token to take the old manager's word, and it no longer does.
    settle_fn = m.functions.settle(lease_id, 1)
    for fn, caller in ((settle_fn, roles.outsider), (m.functions.terminate(lease_id), roles.lessee)):
        with reverts("ShareOnlyLeaseManager", caller=m.address):
            suite.sender.transact(fn, caller, "LM")
    assert balance(token, lm.share_token.address) == held
    assert m.functions.lease(lease_id).call()[4] == m.functions.lease(lease_id).call()[2]  # nothing settled
    # Nor does it take new money into escrow it could not move: no new lease, no extension.
    request = (lm.asset_id, 1, 0, 2, 2**256 - 1, roles.lessee)
    for fn in (m.functions.open(request, [], []), m.functions.extend(lease_id, 1, 2**256 - 1)):
        with reverts("LeaseManagerReplaced", current=roles.outsider):
            suite.sender.transact(fn, roles.lessee, "LM")
    assert balance(token, lm.share_token.address) == held

    # Back in place, the same lease settles (the second epoch down: credited in full).
    suite.sender.transact(registry.functions.setLeaseManager(m.address), roles.admin, "R")
    _, receipt = settle(suite, m, lease_id, 2, roles.outsider)
    assert distributions(lm.share_token, receipt)[0][1] == CHARGE
    assert m.functions.lease(lease_id).call()[-1] == CHARGE
    suite.sender.transact(registry.functions.setLeaseManager(roles.outsider), roles.admin, "R")
    with reverts("ShareOnlyLeaseManager", caller=m.address):
        suite.sender.transact(m.functions.claim(lease_id), roles.lessee, "LM")
    assert balance(token, lm.share_token.address) == held


def test_an_epoch_settles_once(suite, lm, oracle, oracle_setup, roles, w3):
    m = lm.manager
    lease_id, start = _ready(lm, suite, oracle, oracle_setup, roles, w3, epochs=2, reported=1)
    _, first = settle(suite, m, lease_id, 5, roles.outsider)
    ready_at = epoch_end(m, start + 1) + DAY + 1  # the next epoch: unreported, within its grace
    for keeper in (roles.outsider, roles.lessee, roles.operator):
        with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start + 1, readyAt=ready_at):
            settle(suite, m, lease_id, 5, keeper)
    counts = m.functions.settleMany([lease_id, lease_id], 5).call({"from": roles.outsider})
    assert list(counts) == [0, 0]
    assert distributions(lm.share_token, first) == [(m.address, CHARGE, *waterfall(CHARGE))]
    pools = suite.pools(lm.asset_id)
    assert (pools.operator_fees, pools.protocol_fees, pools.reserve) == waterfall(CHARGE)[:3]
    assert suite.claimable(lm.asset_id, roles.holders[0]) == waterfall(CHARGE)[3]


def test_a_closed_lease_settles_no_more(suite, lm, oracle, oracle_setup, roles, w3):
    m = lm.manager
    lease_id, _ = _ready(lm, suite, oracle, oracle_setup, roles, w3, epochs=1)
    settle(suite, m, lease_id, 1, roles.outsider)
    with reverts("LeaseNotRunning", leaseId=lease_id, status=CLOSED):
        settle(suite, m, lease_id, 1, roles.outsider)
    assert suite.claimable(lm.asset_id, roles.holders[0]) == waterfall(CHARGE)[3]


def test_reentrant_holder_claims_released_lease_revenue_once(suite, make_registration, oracle, oracle_setup, roles, w3):
    hook = suite.sender.deploy("MockHookToken", roles.admin)
    suite.sender.transact(suite.registry.functions.setPaymentTokenAllowed(hook.address, True), roles.admin, "R")
    asset_id, share_address = suite.register_asset(make_registration(payment_token=hook.address), roles.operator)
    lm = _leasing(suite, asset_id, oracle, roles, hook)
    attacker = suite.sender.deploy("ReentrantHolder", roles.admin, share_address, hook.address)
    suite.transfer_shares(asset_id, roles.holders[0], attacker.address, 4 * 10**18)
    lease_id, _ = _ready(lm, suite, oracle, oracle_setup, roles, w3, epochs=1)
    settle(suite, lm.manager, lease_id, 1, roles.outsider)  # holders get 3.2 dUSD, half of it the attacker's

    suite.sender.transact(attacker.functions.arm(1, roles.outsider), roles.admin, "A")
    suite.sender.transact(attacker.functions.claim(), roles.admin, "A")

    assert attacker.functions.reentrantClaims().call() == 1
    assert attacker.functions.reentrantPaid().call() == 0
    assert balance(hook, attacker.address) == 1_600_000
    assert suite.claimable(asset_id, roles.holders[0]) == 1_600_000
    assert balance(hook, share_address) == CHARGE - 1_600_000


def test_position_is_not_minted_to_a_contract_that_cannot_hold_it(suite, lm, roles, tokens):
    """The mint is a safe mint: a contract without onERC721Received (a plain ERC-20 here; the
    ReentrantHolder mock has none either, so no receiver can re-enter `open`) makes the whole
    open revert, payment included."""
    receiver = tokens.dai18
    lessee_before = balance(lm.token, roles.lessee)
    with reverts("ERC721InvalidReceiver", receiver=receiver.address):
        open_lease(lm.manager, suite.sender, roles.lessee, lm.asset_id, recipient=receiver.address)
    assert balance(lm.token, roles.lessee) == lessee_before
    assert lm.manager.functions.leaseCount().call() == 0


def test_fee_on_transfer_payment_token_is_refused_at_open(suite, make_registration, oracle, roles, tokens):
    fot = tokens.fee_on_transfer
    asset_id, share_address = suite.register_asset(make_registration(payment_token=fot.address), roles.operator)
    lm = _leasing(suite, asset_id, oracle, roles, fot)
    # 2 GPUs x 10 epochs x 4 dUSD; the token burns 1% on the way.
    with reverts("LeaseFeeOnTransferToken", token=fot.address, expected=10 * CHARGE, received=10 * CHARGE * 99 // 100):
        open_lease(lm.manager, suite.sender, roles.lessee, asset_id, gpus=2, epochs=10)
    assert balance(fot, share_address) == 0
    assert lm.manager.functions.capacityOf(asset_id).call()[0] == 0  # nothing booked
    assert lm.manager.functions.leaseCount().call() == 0


def test_settling_zero_epochs_is_refused(suite, lm, roles):
    with reverts("LeaseZeroMaxEpochs"):
        suite.sender.transact(lm.manager.functions.settle(1, 0), roles.outsider, "LM")
    with reverts("LeaseZeroMaxEpochs"):
        suite.sender.transact(lm.manager.functions.settleMany([1], 0), roles.outsider, "LM")
