"""LeaseManager.preempt and claim: who may preempt, the notice, refund and compensation (pulled
from the caller, owed to the position), and paying the position's owner."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.unit.lease_manager.conftest import PRICE, configure_asset, open_lease
from tests.unit.lease_manager.support import (
    CLOSED,
    PREEMPTED,
    TERMINATED,
    align,
    balance,
    booked,
    epoch_start,
    events,
    fund,
    lease_of,
    lease_total,
    one,
    pause_registry,
    send,
    warp_into,
)


@pytest.fixture(autouse=True)
def epoch(leasing, w3) -> int:
    """The current epoch, freshly begun."""
    return align(w3, leasing.manager)


@pytest.fixture
def operator(leasing, suite, roles) -> str:
    """The asset's operator, funded and having approved the manager (compensation is pulled)."""
    fund(suite, leasing.token, roles.operator, leasing.manager.address, roles.admin, amount=10**12)
    return roles.operator


def preempt(suite, manager, lease_id, effective, sender):
    return send(suite, manager.functions.preempt(lease_id, effective), sender)


def claim(suite, manager, lease_id, sender):
    return send(suite, manager.functions.claim(lease_id), sender)


# ---------------------------------------------------------------- preempt


def test_only_the_asset_operator_or_admin_may_preempt(leasing, suite, roles, epoch):
    m, asset = leasing.manager, leasing.asset_id
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=1, epochs=10)
    for caller in (roles.outsider, roles.second_operator, roles.lessee):
        with reverts("LeaseUnauthorizedOperator", assetId=asset, caller=caller):
            preempt(suite, m, lease_id, epoch + 5, caller)
    with reverts("LeaseUnknown", leaseId=999):
        preempt(suite, m, 999, epoch + 5, roles.admin)


def test_notice_is_enforced(leasing, suite, roles, operator, epoch):
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=10)
    earliest = epoch + 1 + 2  # the current epoch, then two whole epochs of notice
    for effective in (0, epoch, epoch + 1, earliest - 1):
        with reverts("LeaseNoticeTooShort", leaseId=lease_id, effectiveEpoch=effective, earliest=earliest):
            preempt(suite, m, lease_id, effective, operator)
    receipt = preempt(suite, m, lease_id, earliest, operator)
    assert one(m, receipt, "LeasePreempted")["endEpoch"] == earliest


def test_preempt_refunds_and_compensates_through_the_position(leasing, suite, roles, operator, w3, epoch):
    m, token, share = leasing.manager, leasing.token, leasing.share_token
    owner, s = roles.holders[1], epoch + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=10, recipient=owner)
    total = lease_total(2, PRICE, 10)
    warp_into(w3, m, s + 1)
    # [s + 4, s + 10) is lost: 6 of 10 unsettled epochs, refunded in full, plus 20%.
    refund, compensation = total * 6 // 10, total * 6 // 10 * 2_000 // 10_000
    assert (refund, compensation) == (24_000_000, 4_800_000)
    assert tuple(m.functions.preempt(lease_id, s + 4).call({"from": operator})) == (refund, compensation)
    operator_before, escrow_before, owner_before = (balance(token, a) for a in (operator, share.address, owner))

    receipt = preempt(suite, m, lease_id, s + 4, operator)

    assert one(m, receipt, "LeasePreempted") == {
        "leaseId": lease_id,
        "endEpoch": s + 4,
        "refund": refund,
        "compensation": compensation,
    }
    assert events(m, receipt, "LeaseClaimed") == []  # owed, not paid
    assert balance(token, operator) == operator_before - compensation
    assert balance(token, share.address) == escrow_before + compensation
    assert balance(token, owner) == owner_before
    terms = lease_of(m, lease_id)
    assert (terms["status"], terms["endEpoch"], terms["nextEpoch"]) == (PREEMPTED, s + 4, s)
    assert (terms["escrow"], terms["claimable"]) == (total - refund, refund + compensation)

    receipt = claim(suite, m, lease_id, owner)
    assert one(m, receipt, "LeaseClaimed") == {"leaseId": lease_id, "to": owner, "amount": 28_800_000}
    assert one(share, receipt, "LeaseFundsPaid") == {"to": owner, "amount": 28_800_000}
    assert balance(token, owner) == owner_before + 28_800_000
    assert balance(token, share.address) == escrow_before + compensation - 28_800_000
    assert lease_of(m, lease_id)["claimable"] == 0
    with reverts("LeaseNothingToClaim", leaseId=lease_id):
        claim(suite, m, lease_id, owner)


def test_admin_may_preempt_and_pays_the_compensation(leasing, suite, roles, epoch):
    m, token = leasing.manager, leasing.token
    fund(suite, token, roles.admin, m.address, roles.admin, amount=10**12)
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=5)
    admin_before = balance(token, roles.admin)
    receipt = preempt(suite, m, lease_id, epoch + 4, roles.admin)
    refund = lease_total(1, PRICE, 2)  # epochs + 4 and + 5
    assert one(m, receipt, "LeasePreempted") == {
        "leaseId": lease_id,
        "endEpoch": epoch + 4,
        "refund": refund,
        "compensation": refund // 5,
    }
    assert balance(token, roles.admin) == admin_before - refund // 5


def test_preempting_a_future_lease_ends_it_at_its_start(leasing, suite, roles, operator, epoch):
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=3, start=epoch + 10)
    total = lease_total(2, PRICE, 3)
    receipt = preempt(suite, m, lease_id, epoch + 3, operator)
    assert one(m, receipt, "LeasePreempted") == {
        "leaseId": lease_id,
        "endEpoch": epoch + 10,
        "refund": total,
        "compensation": total // 5,
    }
    assert events(m, receipt, "LeaseClosed") == [{"leaseId": lease_id}]
    terms = lease_of(m, lease_id)
    assert (terms["status"], terms["escrow"], terms["claimable"]) == (CLOSED, 0, total + total // 5)


def test_preempted_lease_gives_its_gpus_back_from_the_new_end(leasing, suite, roles, operator, w3, epoch):
    m, asset = leasing.manager, leasing.asset_id
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=3, epochs=10)
    preempt(suite, m, lease_id, epoch + 4, operator)
    warp_into(w3, m, epoch + 3)
    with reverts("LeaseCapacityInUse", leaseId=lease_id, releasableAt=epoch_start(m, epoch + 4)):
        send(suite, m.functions.releaseCapacity([lease_id]), roles.outsider)
    warp_into(w3, m, epoch + 4)
    receipt = send(suite, m.functions.releaseCapacity([lease_id]), roles.outsider)
    assert one(m, receipt, "CapacityReleased") == {"leaseId": lease_id, "assetId": asset, "gpus": 3, "booked": 0}
    assert booked(m, asset) == 0


def test_preempt_without_compensation_pulls_nothing(leasing, suite, roles, epoch):
    m, token = leasing.manager, leasing.token
    configure_asset(suite, leasing.asset_id, roles.operator, policy=(9_900, 1_000, 0, 2, 1, 1_000))
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=4)
    assert balance(token, roles.operator) == 0  # neither funded nor approved
    receipt = preempt(suite, m, lease_id, epoch + 3, roles.operator)
    ended = one(m, receipt, "LeasePreempted")
    assert (ended["refund"], ended["compensation"]) == (2 * PRICE, 0)
    assert lease_of(m, lease_id)["claimable"] == 2 * PRICE


def test_nothing_to_end(leasing, suite, roles, operator, epoch):
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=4)
    for effective in (epoch + 5, epoch + 9):
        with reverts("LeaseNothingToEnd", leaseId=lease_id, endEpoch=epoch + 5):
            preempt(suite, m, lease_id, effective, operator)


def test_preempt_refused_once_not_running(leasing, suite, roles, operator, w3, epoch):
    m = leasing.manager
    terminated, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=10)
    preempted, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=10)
    preempt(suite, m, preempted, epoch + 8, operator)
    with reverts("LeaseNotRunning", leaseId=preempted, status=PREEMPTED):
        preempt(suite, m, preempted, epoch + 5, operator)
    warp_into(w3, m, epoch + 2)
    send(suite, m.functions.terminate(terminated), roles.lessee)
    with reverts("LeaseNotRunning", leaseId=terminated, status=TERMINATED):
        preempt(suite, m, terminated, epoch + 6, operator)


def test_preempt_and_claim_work_while_paused(leasing, suite, roles, operator, epoch):
    m, token = leasing.manager, leasing.token
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=4)
    pause_registry(suite, roles)
    preempt(suite, m, lease_id, epoch + 3, operator)
    before = balance(token, roles.lessee)
    receipt = claim(suite, m, lease_id, roles.lessee)
    owed = 2 * PRICE + 2 * PRICE // 5
    assert one(m, receipt, "LeaseClaimed")["amount"] == owed
    assert balance(token, roles.lessee) == before + owed


# ------------------------------------------------------------------ claim


def test_claim_needs_something_owed_and_an_authorized_caller(leasing, suite, roles, operator, epoch):
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=4)
    with reverts("LeaseNothingToClaim", leaseId=lease_id):
        claim(suite, m, lease_id, roles.lessee)
    with reverts("LeaseUnknown", leaseId=999):
        claim(suite, m, 999, roles.lessee)
    preempt(suite, m, lease_id, epoch + 3, operator)
    for stranger in (roles.outsider, operator):
        with reverts("LeaseNotOwner", leaseId=lease_id, caller=stranger):
            claim(suite, m, lease_id, stranger)


def test_claim_by_an_approved_agent_pays_the_owner(leasing, suite, roles, operator, epoch):
    m, token, positions = leasing.manager, leasing.token, leasing.positions
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=4)
    preempt(suite, m, lease_id, epoch + 3, operator)
    send(suite, positions.functions.approve(roles.outsider, lease_id), roles.lessee)
    owner_before, agent_before = balance(token, roles.lessee), balance(token, roles.outsider)
    assert m.functions.claim(lease_id).call({"from": roles.outsider}) == 4_800_000
    receipt = claim(suite, m, lease_id, roles.outsider)
    assert one(m, receipt, "LeaseClaimed") == {"leaseId": lease_id, "to": roles.lessee, "amount": 4_800_000}
    assert (balance(token, roles.lessee), balance(token, roles.outsider)) == (owner_before + 4_800_000, agent_before)


def test_claim_after_transfer_pays_the_new_owner(leasing, suite, roles, operator, epoch):
    m, token, positions = leasing.manager, leasing.token, leasing.positions
    buyer = roles.holders[2]
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=4)
    preempt(suite, m, lease_id, epoch + 3, operator)
    send(suite, positions.functions.transferFrom(roles.lessee, buyer, lease_id), roles.lessee)
    with reverts("LeaseNotOwner", leaseId=lease_id, caller=roles.lessee):
        claim(suite, m, lease_id, roles.lessee)
    seller_before, buyer_before = balance(token, roles.lessee), balance(token, buyer)
    receipt = claim(suite, m, lease_id, buyer)
    assert one(m, receipt, "LeaseClaimed") == {"leaseId": lease_id, "to": buyer, "amount": 4_800_000}
    assert (balance(token, roles.lessee), balance(token, buyer)) == (seller_before, buyer_before + 4_800_000)
