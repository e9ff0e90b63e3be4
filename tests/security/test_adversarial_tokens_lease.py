"""Adversarial tokens and callers against every token-moving path of leasing and the share token
behind it: open, extend, settle, terminate (refund and fee), preempt (compensation), claim of
credits and refunds, holders' claim / claimMany and the fee payouts; over a token without return
values, an ERC-777-style hook token and a USDC/USDT-style blocklist token (with its fee switch
turned on mid-life), and lease positions sent to ERC-721 receivers that re-enter, refuse,
answer a wrong selector or burn their gas.

After each story the lease books are checked to the wei (adversarial_support.lease_books):
paid == released + credited + refunded + escrow, and the share token holds exactly what it
owes (escrow, lease claimables, fee pools, reserve, holders' claimables)."""

from __future__ import annotations

import pytest

from compute_rwa import ContractRevertError
from tests.helpers import reverts
from tests.security.adversarial_support import (
    KINDS,
    MAX,
    act,
    balance,
    calldata,
    lease_asset,
    lease_books,
    make_token,
    recorded,
    set_blocked,
    set_fee,
)
from tests.unit.lease_manager.conftest import DAY, epoch_end, open_lease, report_uptime, warp_to
from tests.unit.lease_manager.support import BPS, COMP_BPS, FEE_BPS, NOTICE, current_epoch, lease_of
from tests.unit.lease_settlement.support import (
    ACTIVE,
    CHARGE,
    CLOSED,
    PREEMPTED,
    TERMINATED,
    align,
    report_status,
    settle,
    sla_credit,
    waterfall,
)

SEND, RECEIVE = 1, 2  # HookedActor triggers
ACCEPT, REENTER, REFUSE, WRONG_SELECTOR, BURN_GAS = range(5)  # MaliciousPositionReceiver modes


@pytest.fixture
def lease_in(suite, make_registration, oracle, roles, tokens):
    """lease_in(kind): a leasable 8-GPU asset paying in the `kind` token (adversarial_support)."""
    return lambda kind: lease_asset(suite, make_registration, oracle, roles, make_token(suite, roles, tokens, kind))


def termination(m, lease_id):
    """(refund, fee, claimable before) that terminating `lease_id` now pays."""
    v = lease_of(m, lease_id)
    new_end = max(current_epoch(m) + 1, v["startEpoch"])
    unused = v["escrow"] * (v["endEpoch"] - new_end) // (v["endEpoch"] - v["nextEpoch"])
    fee = unused * FEE_BPS // BPS
    return unused - fee, fee, v["claimable"]


def preemption(m, lease_id, effective):
    v = lease_of(m, lease_id)
    new_end = max(effective, v["startEpoch"])
    refund = v["escrow"] * (v["endEpoch"] - new_end) // (v["endEpoch"] - v["nextEpoch"])
    return refund, refund * COMP_BPS // BPS


def report_and_finalize(w3, oracle, oracle_setup, roles, lm, epochs, uptimes):
    """Lets `epochs` end, reports them with `uptimes`, and waits until the reports are final."""
    warp_to(w3, epoch_end(lm.manager, epochs[-1]) + 60)
    report_uptime(oracle, oracle_setup.keys, roles.outsider, lm.asset_id, epochs, uptimes)
    warp_to(w3, report_status(oracle, lm.asset_id, epochs[-1])[2] + DAY + 1)


def tx(suite, fn, sender):
    return suite.sender.transact(fn, sender, "LeaseManager")


@pytest.mark.parametrize("kind", KINDS)
def test_every_lease_path_moves_exact_amounts(suite, lease_in, oracle, oracle_setup, roles, w3, kind):
    lm = lease_in(kind)
    m, token, share, lessee = lm.manager, lm.token, lm.share_token, roles.lessee
    first_block = w3.eth.block_number + 1
    lessee0, operator0, treasury0 = (balance(token, a) for a in (lessee, roles.operator, roles.treasury))

    s = align(w3, m) + 1
    a, _ = open_lease(m, suite.sender, lessee, lm.asset_id, gpus=2, epochs=4)
    b, _ = open_lease(m, suite.sender, lessee, lm.asset_id, gpus=2, epochs=48)
    c, _ = open_lease(m, suite.sender, lessee, lm.asset_id, gpus=1, epochs=48)
    tx(suite, m.functions.extend(a, 2, MAX), lessee)
    paid = 6 * CHARGE + 48 * CHARGE + 48 * CHARGE // 2
    assert balance(token, lessee) == lessee0 - paid
    assert balance(token, share.address) == paid

    uptimes = [10_000, 9_000, 10_000, 10_000, 10_000, 10_000]
    report_and_finalize(w3, oracle, oracle_setup, roles, lm, list(range(s, s + 6)), uptimes)
    credit = sla_credit(CHARGE, 9_000)
    for lease_id in (a, b):
        assert settle(suite, m, lease_id, 6, roles.outsider)[0] == 6
        assert lease_of(m, lease_id)["claimable"] == credit
    assert lease_of(m, a)["status"] == CLOSED

    before = balance(token, lessee)
    tx(suite, m.functions.claim(a), lessee)
    assert balance(token, lessee) == before + credit

    refund, fee, owed = termination(m, b)
    assert owed == credit
    before = balance(token, lessee)
    tx(suite, m.functions.terminate(b), lessee)
    assert balance(token, lessee) == before + refund + credit
    assert lease_of(m, b)["status"] == TERMINATED

    effective = current_epoch(m) + 1 + NOTICE
    refund_c, compensation = preemption(m, c, effective)
    before = balance(token, roles.operator)
    tx(suite, m.functions.preempt(c, effective), roles.operator)
    assert balance(token, roles.operator) == before - compensation
    assert lease_of(m, c)["claimable"] == refund_c + compensation
    before = balance(token, lessee)
    tx(suite, m.functions.claim(c), lessee)
    assert balance(token, lessee) == before + refund_c + compensation

    # Released: 6 epochs of A and of B less their credits, then B's termination fee; each
    # payment runs the waterfall on its own (each fee rounds down).
    splits = [waterfall(x) for x in (6 * CHARGE - credit, 6 * CHARGE - credit, fee)]
    ops, prot, res, holders_part = (sum(p[i] for p in splits) for i in range(4))
    released = 2 * (6 * CHARGE - credit) + fee
    assert tuple(share.functions.pools().call()[:3]) == (ops, prot, res)
    books = lease_books(lm, first_block, [a, b, c], [roles.holders[0]])
    assert (books.paid, books.released, books.credited, books.compensation) == (
        paid,
        released,
        2 * credit,
        compensation,
    )

    holder0 = balance(token, roles.holders[0])
    assert suite.claim(lm.asset_id, roles.holders[0]) == holders_part - holders_part % 8
    assert balance(token, roles.holders[0]) == holder0 + holders_part - holders_part % 8
    suite.sender.transact(share.functions.withdrawOperatorFees(), roles.outsider, "S")
    suite.sender.transact(share.functions.withdrawProtocolFees(), roles.outsider, "S")
    assert balance(token, roles.operator) == operator0 - compensation + ops
    assert balance(token, roles.treasury) == treasury0 + prot
    lease_books(lm, first_block, [a, b, c], [roles.holders[0]])


# ------------------------------------------------------------------ ERC-777-style hooks


def _hooked_lessee(suite, roles, lm):
    actor = suite.sender.deploy("HookedActor", roles.admin)
    suite.sender.transact(actor.functions.hook(lm.token.address), roles.admin, "A")
    suite.sender.transact(lm.token.functions.mint(actor.address, 10**12), roles.admin, "T")
    act(suite, actor, lm.token, "approve", lm.manager.address, MAX, sender=roles.admin)
    return actor


def _request(lm, recipient, gpus=2, epochs=10):
    return (lm.asset_id, gpus, 0, epochs, MAX, recipient)


def _reentries(lm, lease_id, recipient):
    """Re-entries into the manager and the share token, by name: (target, calldata)."""
    m, share = lm.manager, lm.share_token
    return {
        "open": (m, calldata(m, "open", _request(lm, recipient, gpus=1), [], [])),
        "extend": (m, calldata(m, "extend", lease_id, 1, MAX)),
        "terminate": (m, calldata(m, "terminate", lease_id)),
        "claim": (m, calldata(m, "claim", lease_id)),
        "releaseCapacity": (m, calldata(m, "releaseCapacity", [lease_id])),
        "settle": (m, calldata(m, "settle", lease_id, 1)),
        "distribute": (share, calldata(share, "distribute", 1)),
    }


GUARDED = ["open", "extend", "terminate", "claim", "releaseCapacity"]


@pytest.mark.parametrize("reentry", [*GUARDED, "settle"])
def test_a_lessee_re_entering_while_it_pays_for_a_lease(suite, lease_in, roles, w3, reentry):
    lm = lease_in("hook")
    m = lm.manager
    actor = _hooked_lessee(suite, roles, lm)
    first_block = w3.eth.block_number + 1
    start = align(w3, m) + 1
    act(suite, actor, m, "open", _request(lm, actor.address), [], [], sender=roles.admin)
    target, data = _reentries(lm, 1, actor.address)[reentry]
    suite.sender.transact(actor.functions.arm(SEND, target.address, data, True), roles.admin, "A")
    held = balance(lm.token, lm.share_token.address)

    act(suite, actor, m, "open", _request(lm, actor.address), [], [], sender=roles.admin)

    ok, error, args = recorded(actor)
    assert actor.functions.reentries().call() == 1
    if reentry == "settle":  # unguarded, and nothing of lease 1 has ended
        assert (ok, error, args) == (
            False,
            "LeaseNothingToSettle",
            {"leaseId": 1, "epoch": start, "readyAt": epoch_end(m, start)},
        )
    else:
        assert (ok, error) == (False, "ReentrancyGuardReentrantCall")
    assert m.functions.leaseCount().call() == 2
    assert balance(lm.token, lm.share_token.address) == held + 10 * CHARGE
    assert m.functions.capacityOf(lm.asset_id).call()[0] == 4
    lease_books(lm, first_block, [1, 2], [roles.holders[0]])


@pytest.mark.parametrize("reentry", [*GUARDED, "settle", "distribute"])
def test_an_owner_re_entering_while_it_is_refunded(suite, lease_in, roles, w3, reentry):
    lm = lease_in("hook")
    m = lm.manager
    actor = _hooked_lessee(suite, roles, lm)
    first_block = w3.eth.block_number + 1
    align(w3, m)
    act(suite, actor, m, "open", _request(lm, actor.address), [], [], sender=roles.admin)
    target, data = _reentries(lm, 1, actor.address)[reentry]
    suite.sender.transact(actor.functions.arm(RECEIVE, target.address, data, True), roles.admin, "A")
    refund, fee, _ = termination(m, 1)
    assert (refund, fee) == (10 * CHARGE - CHARGE, CHARGE)  # not started: all but the 10% fee
    before = balance(lm.token, actor.address)

    act(suite, actor, m, "terminate", 1, sender=roles.admin)

    ok, error, args = recorded(actor)
    if reentry == "settle":  # the lease closed before the refund was paid
        assert (ok, error, args) == (False, "LeaseNotRunning", {"leaseId": 1, "status": CLOSED})
    else:  # the manager's guard, or the share token's (held by payLeaseFunds)
        assert (ok, error) == (False, "ReentrancyGuardReentrantCall")
    assert balance(lm.token, actor.address) == before + refund
    view = lease_of(m, 1)
    assert (view["status"], view["escrow"], view["claimable"]) == (CLOSED, 0, 0)
    assert m.functions.leaseCount().call() == 1
    lease_books(lm, first_block, [1], [roles.holders[0]])


def test_a_refused_re_entry_undoes_the_refund(suite, lease_in, roles, w3):
    lm = lease_in("hook")
    m = lm.manager
    actor = _hooked_lessee(suite, roles, lm)
    align(w3, m)
    act(suite, actor, m, "open", _request(lm, actor.address), [], [], sender=roles.admin)
    suite.sender.transact(actor.functions.arm(RECEIVE, m.address, calldata(m, "claim", 1), False), roles.admin, "A")
    before = balance(lm.token, actor.address)
    with reverts("ReentrancyGuardReentrantCall"):
        act(suite, actor, m, "terminate", 1, sender=roles.admin)
    view = lease_of(m, 1)
    assert (view["status"], view["escrow"]) == (ACTIVE, 10 * CHARGE)
    assert balance(lm.token, actor.address) == before
    suite.sender.transact(actor.functions.arm(0, m.address, b"", False), roles.admin, "A")
    act(suite, actor, m, "terminate", 1, sender=roles.admin)
    assert balance(lm.token, actor.address) == before + 9 * CHARGE


def test_a_holder_claiming_while_it_pays_an_extension_is_caught_by_the_balance_check(suite, lease_in, roles, w3):
    """The share token's balance is the lease's escrow check: a claim out of it from the payer's
    tokensToSend, between the reading and the transfer, makes the extension refuse itself."""
    lm = lease_in("hook")
    m = lm.manager
    actor = _hooked_lessee(suite, roles, lm)
    suite.transfer_shares(lm.asset_id, roles.holders[0], actor.address, 4 * 10**18)
    suite.sender.transact(lm.token.functions.mint(roles.outsider, 10**9), roles.admin, "T")
    suite.distribute(lm.asset_id, 10**6, roles.outsider)  # 0.8 to holders, 0.4 the actor's
    align(w3, m)
    act(suite, actor, m, "open", _request(lm, actor.address), [], [], sender=roles.admin)
    share = lm.share_token
    suite.sender.transact(actor.functions.arm(SEND, share.address, calldata(share, "claim"), False), roles.admin, "A")
    view = lease_of(m, 1)

    with reverts("LeaseFeeOnTransferToken", token=lm.token.address, expected=CHARGE, received=CHARGE - 400_000):
        act(suite, actor, m, "extend", 1, 1, MAX, sender=roles.admin)

    assert lease_of(m, 1) == view
    assert share.functions.claimableOf(actor.address).call() == 400_000


def test_a_holder_re_entering_claim_many_is_paid_once(suite, lease_in, roles):
    lm = lease_in("hook")
    actor = _hooked_lessee(suite, roles, lm)
    suite.transfer_shares(lm.asset_id, roles.holders[0], actor.address, 4 * 10**18)
    suite.sender.transact(lm.token.functions.mint(roles.outsider, 10**9), roles.admin, "T")
    suite.distribute(lm.asset_id, 10**9, roles.outsider)
    registry = suite.registry
    again = calldata(registry, "claimMany", [lm.asset_id, lm.asset_id])
    suite.sender.transact(actor.functions.arm(RECEIVE, registry.address, again, False), roles.admin, "A")
    before = balance(lm.token, actor.address)

    act(suite, actor, registry, "claimMany", [lm.asset_id], sender=roles.admin)

    assert actor.functions.reentries().call() == 1
    assert recorded(actor)[0]  # the nested claimMany ran, and found nothing left
    assert balance(lm.token, actor.address) == before + 400_000_000
    assert suite.claimable(lm.asset_id, actor.address) == 0
    assert suite.claimable(lm.asset_id, roles.holders[0]) == 400_000_000


# ------------------------------------------------------------------ ERC-721 receivers


def _receiver(suite, roles):
    return suite.sender.deploy("MaliciousPositionReceiver", roles.admin)


@pytest.mark.parametrize("reentry", [*GUARDED, "settle", "transfer away"])
def test_a_receiver_re_entering_from_the_mint_of_its_position(suite, lease_in, roles, w3, reentry):
    lm = lease_in("usdc6")
    m, positions = lm.manager, lm.positions
    receiver = _receiver(suite, roles)
    start = align(w3, m) + 1
    first_block = w3.eth.block_number + 1
    lease_id = m.functions.leaseCount().call() + 1
    if reentry == "transfer away":
        target, data = positions, calldata(positions, "transferFrom", receiver.address, roles.outsider, lease_id)
    else:
        target, data = _reentries(lm, lease_id, receiver.address)[reentry]
    suite.sender.transact(receiver.functions.arm(target.address, data, True), roles.admin, "R")
    lessee0 = balance(lm.token, roles.lessee)

    open_lease(m, suite.sender, roles.lessee, lm.asset_id, recipient=receiver.address)

    assert receiver.functions.received().call() == 1
    ok, error, args = recorded(receiver)
    if reentry == "transfer away":
        assert ok
        assert positions.functions.ownerOf(lease_id).call() == roles.outsider
    else:
        assert positions.functions.ownerOf(lease_id).call() == receiver.address
        if reentry == "settle":
            assert (error, args) == (
                "LeaseNothingToSettle",
                {"leaseId": lease_id, "epoch": start, "readyAt": epoch_end(m, start)},
            )
        else:
            assert error == "ReentrancyGuardReentrantCall"
    view = lease_of(m, lease_id)
    assert (view["status"], view["escrow"], view["startEpoch"], view["endEpoch"]) == (
        ACTIVE,
        10 * CHARGE,
        start,
        start + 10,
    )
    assert balance(lm.token, roles.lessee) == lessee0 - 10 * CHARGE
    assert m.functions.capacityOf(lm.asset_id).call()[0] == 2
    lease_books(lm, first_block, [lease_id], [roles.holders[0]])


def test_a_receiver_whose_re_entry_fails_refuses_only_its_own_lease(suite, lease_in, roles, w3):
    lm = lease_in("usdc6")
    m = lm.manager
    receiver = _receiver(suite, roles)
    align(w3, m)
    other, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id)
    suite.sender.transact(receiver.functions.arm(m.address, calldata(m, "terminate", 2), False), roles.admin, "R")
    lessee0 = balance(lm.token, roles.lessee)
    with reverts("ReentrancyGuardReentrantCall"):
        open_lease(m, suite.sender, roles.lessee, lm.asset_id, recipient=receiver.address)
    assert balance(lm.token, roles.lessee) == lessee0
    assert m.functions.leaseCount().call() == other == 1
    assert m.functions.capacityOf(lm.asset_id).call()[0] == 2
    assert lease_of(m, other)["status"] == ACTIVE


@pytest.mark.parametrize("reentry", ["terminate", "transfer on"])
def test_a_receiver_acting_from_a_safe_transfer_acts_as_the_owner_it_now_is(suite, lease_in, roles, w3, reentry):
    """Outside the manager's guard, the receiver of a safeTransferFrom may use the position at
    once: it is its owner. The refund goes to it, never to the previous owner."""
    lm = lease_in("hook")
    m, positions = lm.manager, lm.positions
    receiver = _receiver(suite, roles)
    first_block = w3.eth.block_number + 1
    align(w3, m)
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id)
    data = {
        "terminate": calldata(m, "terminate", lease_id),
        "transfer on": calldata(positions, "transferFrom", receiver.address, roles.outsider, lease_id),
    }[reentry]
    target = m if reentry == "terminate" else positions
    suite.sender.transact(receiver.functions.arm(target.address, data, False), roles.admin, "R")
    refund, _, _ = termination(m, lease_id)
    lessee0 = balance(lm.token, roles.lessee)

    suite.sender.transact(
        positions.functions.safeTransferFrom(roles.lessee, receiver.address, lease_id), roles.lessee, "P"
    )

    assert (receiver.functions.lastFrom().call(), receiver.functions.lastTokenId().call()) == (roles.lessee, lease_id)
    assert balance(lm.token, roles.lessee) == lessee0
    if reentry == "terminate":
        assert balance(lm.token, receiver.address) == refund
        assert lease_of(m, lease_id)["status"] == CLOSED
        assert positions.functions.ownerOf(lease_id).call() == receiver.address
    else:
        assert positions.functions.ownerOf(lease_id).call() == roles.outsider
        assert lease_of(m, lease_id)["status"] == ACTIVE
    lease_books(lm, first_block, [lease_id], [roles.holders[0]])


@pytest.mark.parametrize(
    ("mode", "error"),
    [(REFUSE, "Error"), (WRONG_SELECTOR, "ERC721InvalidReceiver"), (BURN_GAS, "ERC721InvalidReceiver")],
)
def test_a_receiver_that_refuses_positions_bricks_only_its_own_transfers(suite, lease_in, roles, w3, mode, error):
    lm = lease_in("usdc6")
    m, positions = lm.manager, lm.positions
    receiver = _receiver(suite, roles)
    suite.sender.transact(receiver.functions.setMode(mode), roles.admin, "R")
    first_block = w3.eth.block_number + 1
    align(w3, m)
    lessee0 = balance(lm.token, roles.lessee)

    # Opened to it: the whole open reverts, payment included.
    with reverts(error):
        open_lease(m, suite.sender, roles.lessee, lm.asset_id, recipient=receiver.address)
    assert balance(lm.token, roles.lessee) == lessee0
    assert m.functions.leaseCount().call() == 0

    # Safely sent to it: the transfer reverts; the owner keeps the position and its rights.
    mine, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id)
    safe = positions.functions.safeTransferFrom(roles.lessee, receiver.address, mine)
    with reverts(error):
        suite.sender.transact(safe, roles.lessee, "P")
    assert positions.functions.ownerOf(mine).call() == roles.lessee
    refund, _, _ = termination(m, mine)
    tx(suite, m.functions.terminate(mine), roles.lessee)
    assert balance(lm.token, roles.lessee) == lessee0 - 10 * CHARGE + refund

    # A plain transfer skips the callback: the receiver then holds a working position.
    theirs, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id)
    plain = positions.functions.transferFrom(roles.lessee, receiver.address, theirs)
    suite.sender.transact(plain, roles.lessee, "P")
    refund2, _, _ = termination(m, theirs)
    act(suite, receiver, m, "terminate", theirs, sender=roles.admin)
    assert balance(lm.token, receiver.address) == refund2
    assert receiver.functions.received().call() == 0
    lease_books(lm, first_block, [mine, theirs], [roles.holders[0]])


# ------------------------------------------------------------------ blocklists


def test_a_blocked_holder_keeps_its_revenue_and_blocks_no_one(suite, lease_in, oracle, oracle_setup, roles, w3):
    lm = lease_in("blocklist")
    m, token = lm.manager, lm.token
    blocked, other = roles.holders[0], roles.holders[1]
    suite.transfer_shares(lm.asset_id, blocked, other, 2 * 10**18)
    second = lease_in("blocklist")
    suite.transfer_shares(second.asset_id, roles.holders[0], other, 8 * 10**18)
    suite.sender.transact(token.functions.mint(roles.outsider, 10**10), roles.admin, "T")
    suite.distribute(lm.asset_id, 8_000 * 10**6, roles.outsider)  # 6,400 to holders: 800 a share
    suite.sender.transact(second.token.functions.mint(roles.outsider, 10**10), roles.admin, "T")
    suite.distribute(second.asset_id, 1_000 * 10**6, roles.outsider)  # 800 to `other`
    set_blocked(suite, token, blocked, True, roles.admin)

    with reverts("Error", reason="blocklist: receiver blocked"):
        suite.claim(lm.asset_id, blocked)
    with reverts("Error", reason="blocklist: receiver blocked"):
        suite.claim_many([second.asset_id, lm.asset_id], blocked)
    assert suite.claimable(lm.asset_id, blocked) == 4_800 * 10**6
    assert suite.claim_many([lm.asset_id, second.asset_id], other) == {
        lm.asset_id: 1_600 * 10**6,
        second.asset_id: 800 * 10**6,
    }

    # Lease income keeps flowing to every holder, the blocked one included.
    first_block = w3.eth.block_number + 1
    s = align(w3, m) + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id, epochs=2)
    report_and_finalize(w3, oracle, oracle_setup, roles, lm, [s, s + 1], 10_000)
    settle(suite, m, lease_id, 2, roles.outsider)
    per_share = waterfall(2 * CHARGE)[3] // 8
    assert suite.claimable(lm.asset_id, blocked) == 4_800 * 10**6 + 6 * per_share
    lease_books(lm, first_block, [lease_id], [blocked, other])

    set_blocked(suite, token, blocked, False, roles.admin)
    before = balance(token, blocked)
    assert suite.claim(lm.asset_id, blocked) == 4_800 * 10**6 + 6 * per_share
    assert balance(token, blocked) == before + 4_800 * 10**6 + 6 * per_share
    lease_books(lm, first_block, [lease_id], [blocked, other])


def test_a_blocked_lessee_cannot_terminate_but_traps_no_one(suite, lease_in, oracle, oracle_setup, roles, w3):
    """Terminating pushes the refund (and any credits) to the owner: a blocked owner's
    termination reverts as a whole. Nothing of anyone else waits on it: the lease runs on and
    settles into the waterfall epoch by epoch; the position, an ERC-721 the stablecoin does not
    govern, can move to an account that may be paid, which then terminates."""
    lm = lease_in("blocklist")
    m, token = lm.manager, lm.token
    first_block = w3.eth.block_number + 1
    s = align(w3, m) + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id, epochs=48)
    report_and_finalize(w3, oracle, oracle_setup, roles, lm, [s, s + 1], [9_000, 10_000])
    settle(suite, m, lease_id, 1, roles.outsider)
    credit = sla_credit(CHARGE, 9_000)
    set_blocked(suite, token, roles.lessee, True, roles.admin)
    view = lease_of(m, lease_id)

    with reverts("Error", reason="blocklist: receiver blocked"):
        tx(suite, m.functions.terminate(lease_id), roles.lessee)
    with reverts("Error", reason="blocklist: receiver blocked"):
        tx(suite, m.functions.claim(lease_id), roles.lessee)
    assert lease_of(m, lease_id) == view

    holders_before = suite.claimable(lm.asset_id, roles.holders[0])
    settle(suite, m, lease_id, 1, roles.outsider)
    assert suite.claimable(lm.asset_id, roles.holders[0]) - holders_before == waterfall(CHARGE)[3]
    suite.claim(lm.asset_id, roles.holders[0])
    lease_books(lm, first_block, [lease_id], [roles.holders[0]])

    new_owner = roles.outsider
    suite.sender.transact(
        lm.positions.functions.transferFrom(roles.lessee, new_owner, lease_id), roles.lessee, "Positions"
    )
    refund, fee, owed = termination(m, lease_id)
    assert owed == credit
    before = balance(token, new_owner)
    tx(suite, m.functions.terminate(lease_id), new_owner)
    assert balance(token, new_owner) == before + refund + credit
    assert lease_of(m, lease_id)["status"] == TERMINATED
    books = lease_books(lm, first_block, [lease_id], [roles.holders[0]])
    assert books.fees == fee
    assert books.paid_out == refund + credit


def test_preempting_a_blocked_lessee_credits_the_position(suite, lease_in, oracle, oracle_setup, roles, w3):
    lm = lease_in("blocklist")
    m, token = lm.manager, lm.token
    first_block = w3.eth.block_number + 1
    align(w3, m)
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id, epochs=48)
    set_blocked(suite, token, roles.lessee, True, roles.admin)
    effective = current_epoch(m) + 1 + NOTICE
    refund, compensation = preemption(m, lease_id, effective)
    operator0 = balance(token, roles.operator)

    tx(suite, m.functions.preempt(lease_id, effective), roles.operator)

    assert balance(token, roles.operator) == operator0 - compensation
    view = lease_of(m, lease_id)
    assert (view["status"], view["claimable"]) == (PREEMPTED, refund + compensation)
    with reverts("Error", reason="blocklist: receiver blocked"):
        tx(suite, m.functions.claim(lease_id), roles.lessee)
    lease_books(lm, first_block, [lease_id], [roles.holders[0]])
    set_blocked(suite, token, roles.lessee, False, roles.admin)
    before = balance(token, roles.lessee)
    tx(suite, m.functions.claim(lease_id), roles.lessee)
    assert balance(token, roles.lessee) == before + refund + compensation
    lease_books(lm, first_block, [lease_id], [roles.holders[0]])


@pytest.mark.parametrize("party", ["operator", "treasury"])
def test_a_blocked_fee_recipient_keeps_its_pool_and_blocks_no_one(
    suite, lease_in, oracle, oracle_setup, roles, w3, party
):
    lm = lease_in("blocklist")
    m, token, share = lm.manager, lm.token, lm.share_token
    first_block = w3.eth.block_number + 1
    s = align(w3, m) + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id, epochs=48)
    report_and_finalize(w3, oracle, oracle_setup, roles, lm, [s, s + 1], 10_000)
    blocked = getattr(roles, party)
    set_blocked(suite, token, blocked, True, roles.admin)
    settle(suite, m, lease_id, 2, roles.outsider)  # the waterfall moves no tokens
    ops, prot, _, holders_part = waterfall(2 * CHARGE)
    blocked_fn, other_fn = share.functions.withdrawOperatorFees(), share.functions.withdrawProtocolFees()
    other_party, other_amount, amount = roles.treasury, prot, ops
    if party == "treasury":
        blocked_fn, other_fn = other_fn, blocked_fn
        other_party, other_amount, amount = roles.operator, ops, prot

    with reverts("Error", reason="blocklist: receiver blocked"):
        suite.sender.transact(blocked_fn, roles.outsider, "S")
    before = balance(token, other_party)
    suite.sender.transact(other_fn, roles.outsider, "S")
    assert balance(token, other_party) == before + other_amount
    assert suite.claim(lm.asset_id, roles.holders[0]) == holders_part
    refund, fee, _ = termination(m, lease_id)
    before = balance(token, roles.lessee)
    tx(suite, m.functions.terminate(lease_id), roles.lessee)
    assert balance(token, roles.lessee) == before + refund
    lease_books(lm, first_block, [lease_id], [roles.holders[0]])

    set_blocked(suite, token, blocked, False, roles.admin)
    before = balance(token, blocked)
    suite.sender.transact(blocked_fn, roles.outsider, "S")
    assert balance(token, blocked) == before + amount + waterfall(fee)[0 if party == "operator" else 1]
    lease_books(lm, first_block, [lease_id], [roles.holders[0]])


# ------------------------------------------------------------------ fee switched on mid-life


def test_a_fee_switched_on_mid_life_is_refused_on_pulls_and_exact_on_payouts(
    suite, lease_in, oracle, oracle_setup, roles, w3
):
    lm = lease_in("blocklist")
    m, token, share = lm.manager, lm.token, lm.share_token
    first_block = w3.eth.block_number + 1
    s = align(w3, m) + 1
    a, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id, epochs=48)
    b, _ = open_lease(m, suite.sender, roles.lessee, lm.asset_id, epochs=48)
    set_fee(suite, token, 100, roles.admin)  # 1% from now on

    with reverts("LeaseFeeOnTransferToken", token=token.address, expected=CHARGE, received=CHARGE - CHARGE // 100):
        tx(suite, m.functions.extend(a, 1, MAX), roles.lessee)
    with reverts("LeaseFeeOnTransferToken", token=token.address, expected=2 * CHARGE):
        open_lease(m, suite.sender, roles.lessee, lm.asset_id, epochs=2)
    effective = current_epoch(m) + 1 + NOTICE
    _, compensation = preemption(m, b, effective)
    with reverts("LeaseFeeOnTransferToken", token=token.address, expected=compensation):
        tx(suite, m.functions.preempt(b, effective), roles.operator)
    suite.sender.transact(token.functions.mint(roles.outsider, 10**9), roles.admin, "T")
    with reverts("ShareFeeOnTransferToken", token=token.address, expected=10**9, received=10**9 - 10**7):
        suite.distribute(lm.asset_id, 10**9, roles.outsider)

    # Settling moves no tokens; payouts leave the share token by exactly what it owed.
    report_and_finalize(w3, oracle, oracle_setup, roles, lm, [s, s + 1], 10_000)
    for lease_id in (a, b):
        settle(suite, m, lease_id, 2, roles.outsider)
    refund, _, _ = termination(m, a)
    held, before = balance(token, share.address), balance(token, roles.lessee)
    tx(suite, m.functions.terminate(a), roles.lessee)
    assert balance(token, share.address) == held - refund
    assert balance(token, roles.lessee) == before + refund - refund // 100
    owed = suite.claimable(lm.asset_id, roles.holders[0])
    held, before = balance(token, share.address), balance(token, roles.holders[0])
    assert suite.claim(lm.asset_id, roles.holders[0]) == owed
    assert balance(token, share.address) == held - owed
    assert balance(token, roles.holders[0]) == before + owed - owed // 100
    lease_books(lm, first_block, [a, b], [roles.holders[0]])


def test_a_blocked_lessee_cannot_open_and_nothing_is_booked(suite, lease_in, roles, w3):
    """A lessee blocked by the payment token cannot open: the pull reverts before anything is
    booked or minted."""
    lm = lease_in("blocklist")
    set_blocked(suite, lm.token, roles.lessee, True, roles.admin)
    with pytest.raises(ContractRevertError) as info:
        open_lease(lm.manager, suite.sender, roles.lessee, lm.asset_id)
    assert info.value.args_by_name == {"reason": "blocklist: sender blocked"}
    assert lm.manager.functions.leaseCount().call() == 0
    assert lm.manager.functions.capacityOf(lm.asset_id).call()[0] == 0
    assert balance(lm.token, lm.share_token.address) == 0
