"""LeaseManager.extend and terminate: costs, escrow, refunds and fees to the wei, who may call,
and when each is refused."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.unit.lease_manager.conftest import MAX, PRICE, configure_asset, open_lease
from tests.unit.lease_manager.support import (
    ACTIVE,
    BPS,
    CLOSED,
    FEE_BPS,
    MAINTENANCE,
    PREEMPTED,
    RETIRED,
    TERMINATED,
    align,
    balance,
    events,
    fund,
    lease_of,
    lease_total,
    one,
    pause_registry,
    send,
    set_asset_status,
    warp_into,
    waterfall,
)


@pytest.fixture(autouse=True)
def epoch(leasing, w3) -> int:
    """The current epoch, freshly begun."""
    return align(w3, leasing.manager)


def extend(suite, manager, lease_id, epochs, sender, max_cost=MAX):
    return send(suite, manager.functions.extend(lease_id, epochs, max_cost), sender)


def terminate(suite, manager, lease_id, sender):
    return send(suite, manager.functions.terminate(lease_id), sender)


# ----------------------------------------------------------------- extend


def test_extend_pays_the_current_price_into_escrow(leasing, suite, roles, epoch):
    m, token, share = leasing.manager, leasing.token, leasing.share_token
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=5)
    total, cost = lease_total(2, PRICE, 5), lease_total(2, PRICE, 3)
    payer_before, escrow_before = balance(token, roles.lessee), balance(token, share.address)
    with reverts("LeasePriceAboveMax", quote=cost, maxTotalPrice=cost - 1):
        extend(suite, m, lease_id, 3, roles.lessee, max_cost=cost - 1)
    assert m.functions.extend(lease_id, 3, cost).call({"from": roles.lessee}) == cost

    receipt = extend(suite, m, lease_id, 3, roles.lessee, max_cost=cost)
    assert one(m, receipt, "LeaseExtended") == {
        "leaseId": lease_id,
        "epochs": 3,
        "newEndEpoch": epoch + 9,
        "pricePerGpuHour": PRICE,
        "cost": cost,
    }
    terms = lease_of(m, lease_id)
    assert (terms["startEpoch"], terms["nextEpoch"], terms["endEpoch"]) == (epoch + 1, epoch + 1, epoch + 9)
    assert (terms["escrow"], terms["pricePerGpuHour"], terms["status"]) == (total + cost, PRICE, ACTIVE)
    assert balance(token, roles.lessee) == payer_before - cost
    assert balance(token, share.address) == escrow_before + cost

    # A new price list applies to extensions from now on; the lease keeps its opening price.
    configure_asset(suite, leasing.asset_id, roles.operator, price=3 * PRICE)
    receipt = extend(suite, m, lease_id, 1, roles.lessee)
    assert (one(m, receipt, "LeaseExtended")["cost"], lease_of(m, lease_id)["pricePerGpuHour"]) == (6 * PRICE, PRICE)
    assert lease_of(m, lease_id)["escrow"] == total + cost + 6 * PRICE


def test_only_the_position_owner_or_approved_may_extend(leasing, suite, roles, epoch):
    m, positions, token = leasing.manager, leasing.positions, leasing.token
    owner = roles.holders[1]
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=2, recipient=owner)
    for stranger in (roles.outsider, roles.lessee):  # the payer holds no position
        with reverts("LeaseNotOwner", leaseId=lease_id, caller=stranger):
            extend(suite, m, lease_id, 1, stranger)
    with reverts("LeaseUnknown", leaseId=999):
        extend(suite, m, 999, 1, roles.lessee)

    send(suite, positions.functions.approve(roles.outsider, lease_id), owner)
    send(suite, positions.functions.setApprovalForAll(roles.borrower, True), owner)
    for agent in (roles.outsider, roles.borrower):
        fund(suite, token, agent, m.address, roles.admin, amount=PRICE)
        receipt = extend(suite, m, lease_id, 1, agent)
        assert one(m, receipt, "LeaseExtended")["cost"] == PRICE
        assert balance(token, agent) == 0  # the agent pays
    assert lease_of(m, lease_id)["endEpoch"] == epoch + 5
    assert positions.functions.ownerOf(lease_id).call() == owner


def test_extend_refused_once_not_running(leasing, suite, roles, w3, epoch):
    m = leasing.manager
    running, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=5)
    unstarted, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=5, start=epoch + 3)
    terminate(suite, m, unstarted, roles.lessee)  # never starts: closed at once
    with reverts("LeaseNotRunning", leaseId=unstarted, status=CLOSED):
        extend(suite, m, unstarted, 1, roles.lessee)
    warp_into(w3, m, epoch + 2)
    terminate(suite, m, running, roles.lessee)
    with reverts("LeaseNotRunning", leaseId=running, status=TERMINATED):
        extend(suite, m, running, 1, roles.lessee)
    preempted, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=10)
    fund(suite, leasing.token, roles.operator, m.address, roles.admin)
    send(suite, m.functions.preempt(preempted, epoch + 8), roles.operator)
    with reverts("LeaseNotRunning", leaseId=preempted, status=PREEMPTED):
        extend(suite, m, preempted, 1, roles.lessee)


def test_extend_refused_after_the_end(leasing, suite, roles, w3, epoch):
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=2)
    warp_into(w3, m, epoch + 2, offset=3_000)  # last epoch: still extendable
    extend(suite, m, lease_id, 1, roles.lessee)
    warp_into(w3, m, epoch + 4)
    with reverts("LeaseAlreadyEnded", leaseId=lease_id, endEpoch=epoch + 4, currentEpoch=epoch + 4):
        extend(suite, m, lease_id, 1, roles.lessee)


def test_extend_duration_bounds(leasing, suite, roles):
    m = leasing.manager
    configure_asset(suite, leasing.asset_id, roles.operator, policy=(9_900, 1_000, 2_000, 2, 2, 10))
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=4)
    # maxEpochs counts the whole lease: 6 more epochs fit.
    for epochs in (1, 7):
        with reverts("LeaseInvalidDuration", epochs=epochs, minEpochs=2, maxEpochs=6):
            extend(suite, m, lease_id, epochs, roles.lessee)
    extend(suite, m, lease_id, 6, roles.lessee)
    assert lease_of(m, lease_id)["endEpoch"] - lease_of(m, lease_id)["startEpoch"] == 10
    with reverts("LeaseInvalidDuration", epochs=2, minEpochs=2, maxEpochs=0):
        extend(suite, m, lease_id, 2, roles.lessee)


def test_extend_after_the_policy_shrank_below_the_lease(leasing, suite, roles):
    """A lease already longer than today's maxEpochs cannot be extended: LeaseInvalidDuration with
    no room left (not an arithmetic panic)."""
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=10)
    configure_asset(suite, leasing.asset_id, roles.operator, policy=(9_900, 1_000, 2_000, 2, 1, 5))
    with reverts("LeaseInvalidDuration", epochs=1, minEpochs=1, maxEpochs=0):
        extend(suite, m, lease_id, 1, roles.lessee)


def test_extend_by_zero_epochs_is_an_invalid_duration(leasing, suite, roles):
    """As for open: 0 epochs is below minEpochs, not a zero price."""
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=10)
    with reverts("LeaseInvalidDuration", epochs=0, minEpochs=1, maxEpochs=990):
        extend(suite, m, lease_id, 0, roles.lessee)


def test_extend_refused_while_paused_or_inactive(leasing, suite, roles):
    m, asset = leasing.manager, leasing.asset_id
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=1, epochs=3)
    for status in (MAINTENANCE, RETIRED):
        set_asset_status(suite, asset, status, roles.operator)
        with reverts("LeaseAssetNotActive", assetId=asset, status=status):
            extend(suite, m, lease_id, 1, roles.lessee)
    pause_registry(suite, roles)
    with reverts("LeasePaused"):
        extend(suite, m, lease_id, 1, roles.lessee)


# -------------------------------------------------------------- terminate


def test_terminate_refunds_unused_escrow_minus_fee_to_the_owner(leasing, suite, roles, w3, epoch):
    m, token, share = leasing.manager, leasing.token, leasing.share_token
    configure_asset(suite, leasing.asset_id, roles.operator, price=1_234_567)
    owner, s = roles.holders[1], epoch + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=3, epochs=7, recipient=owner)
    total = lease_total(3, 1_234_567, 7)
    assert total == 25_925_907
    warp_into(w3, m, s + 2)  # service runs to the end of this epoch: newEnd = s + 3
    unused = total * (s + 7 - (s + 3)) // (s + 7 - s)
    fee = unused * FEE_BPS // BPS
    refund = unused - fee
    assert (unused, fee, refund) == (14_814_804, 1_481_480, 13_333_324)
    assert tuple(m.functions.terminate(lease_id).call({"from": owner})) == (refund, fee)
    owner_before, escrow_before, payer_before = (balance(token, a) for a in (owner, share.address, roles.lessee))
    per_share_before = share.functions.revenuePerShareE18().call()
    pools_before = share.functions.pools().call()

    receipt = terminate(suite, m, lease_id, owner)

    assert one(m, receipt, "LeaseTerminated") == {"leaseId": lease_id, "endEpoch": s + 3, "refund": refund, "fee": fee}
    assert one(m, receipt, "LeaseClaimed") == {"leaseId": lease_id, "to": owner, "amount": refund}
    assert one(share, receipt, "LeaseFundsPaid") == {"to": owner, "amount": refund}
    split = one(share, receipt, "RevenueDistributed")
    assert split == {"payer": m.address, **waterfall(fee)}
    assert share.functions.revenuePerShareE18().call() > per_share_before
    pools = share.functions.pools().call()
    assert [pools[i] - pools_before[i] for i in range(3)] == [
        split["operatorFee"],
        split["protocolFee"],
        split["toReserve"],
    ]
    assert balance(token, owner) == owner_before + refund
    assert balance(token, share.address) == escrow_before - refund  # the fee stays, for holders
    assert balance(token, roles.lessee) == payer_before
    terms = lease_of(m, lease_id)
    assert (terms["endEpoch"], terms["nextEpoch"], terms["status"]) == (s + 3, s, TERMINATED)
    assert (terms["escrow"], terms["claimable"]) == (total - unused, 0) == (11_111_103, 0)


def test_terminate_rounds_the_unused_part_down(leasing, suite, roles, w3, epoch):
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=3)
    configure_asset(suite, leasing.asset_id, roles.operator, price=1_000_003)
    extend(suite, m, lease_id, 4, roles.lessee)
    escrow = lease_total(2, PRICE, 3) + lease_total(2, 1_000_003, 4)
    assert escrow == 20_000_024
    warp_into(w3, m, epoch + 2)
    unused = escrow * 5 // 7  # 100,000,120 / 7 = 14,285,731.4
    receipt = terminate(suite, m, lease_id, roles.lessee)
    fee = unused * FEE_BPS // BPS
    ended = one(m, receipt, "LeaseTerminated")
    assert (ended["refund"], ended["fee"]) == (unused - fee, fee) == (12_857_158, 1_428_573)
    assert lease_of(m, lease_id)["escrow"] == escrow - unused == 5_714_293


@pytest.mark.parametrize("offset", [1, 4])
def test_terminate_before_the_start_refunds_everything_but_the_fee(leasing, suite, roles, epoch, offset):
    m, token = leasing.manager, leasing.token
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=3, start=epoch + offset)
    total = lease_total(2, PRICE, 3)
    before = balance(token, roles.lessee)
    receipt = terminate(suite, m, lease_id, roles.lessee)
    assert one(m, receipt, "LeaseTerminated") == {
        "leaseId": lease_id,
        "endEpoch": epoch + offset,
        "refund": total - total // 10,
        "fee": total // 10,
    }
    assert events(m, receipt, "LeaseClosed") == [{"leaseId": lease_id}]
    assert balance(token, roles.lessee) == before + total - total // 10
    terms = lease_of(m, lease_id)
    assert (terms["status"], terms["endEpoch"], terms["escrow"], terms["claimable"]) == (CLOSED, epoch + offset, 0, 0)
    with reverts("LeaseNotRunning", leaseId=lease_id, status=CLOSED):
        terminate(suite, m, lease_id, roles.lessee)


def test_terminate_without_fee_sends_nothing_to_holders(leasing, suite, roles, epoch):
    m, share = leasing.manager, leasing.share_token
    configure_asset(suite, leasing.asset_id, roles.operator, policy=(9_900, 0, 2_000, 2, 1, 1_000))
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=2)
    receipt = terminate(suite, m, lease_id, roles.lessee)
    assert (one(m, receipt, "LeaseTerminated")["refund"], one(m, receipt, "LeaseTerminated")["fee"]) == (2 * PRICE, 0)
    assert events(share, receipt, "RevenueDistributed") == []


def test_nothing_to_end_in_the_last_epoch(leasing, suite, roles, w3, epoch):
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=2)
    for now in (epoch + 2, epoch + 3, epoch + 6):  # last epoch, then after the end
        warp_into(w3, m, now)
        with reverts("LeaseNothingToEnd", leaseId=lease_id, endEpoch=epoch + 3):
            terminate(suite, m, lease_id, roles.lessee)


def test_only_the_owner_or_approved_may_terminate_and_the_owner_is_paid(leasing, suite, roles, epoch):
    m, token, positions = leasing.manager, leasing.token, leasing.positions
    owner = roles.holders[1]
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=2, recipient=owner)
    for stranger in (roles.outsider, roles.lessee):
        with reverts("LeaseNotOwner", leaseId=lease_id, caller=stranger):
            terminate(suite, m, lease_id, stranger)
    send(suite, positions.functions.approve(roles.outsider, lease_id), owner)
    owner_before, agent_before = balance(token, owner), balance(token, roles.outsider)
    receipt = terminate(suite, m, lease_id, roles.outsider)
    refund = lease_total(1, PRICE, 2) * 9 // 10
    assert one(m, receipt, "LeaseClaimed") == {"leaseId": lease_id, "to": owner, "amount": refund}
    assert (balance(token, owner), balance(token, roles.outsider)) == (owner_before + refund, agent_before)


def test_terminate_works_while_paused(leasing, suite, roles, w3, epoch):
    m = leasing.manager
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=4)
    warp_into(w3, m, epoch + 2)
    pause_registry(suite, roles)
    receipt = terminate(suite, m, lease_id, roles.lessee)
    unused = lease_total(2, PRICE, 2)  # epochs + 3 and + 4 cut off
    assert one(m, receipt, "LeaseTerminated")["refund"] == unused - unused // 10
    with reverts("LeaseNotRunning", leaseId=lease_id, status=TERMINATED):
        terminate(suite, m, lease_id, roles.lessee)


def test_terminate_after_preemption_pays_everything_owed(leasing, suite, roles, w3, epoch):
    m, token = leasing.manager, leasing.token
    s = epoch + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=10)
    fund(suite, token, roles.operator, m.address, roles.admin)
    send(suite, m.functions.preempt(lease_id, s + 5), roles.operator)
    assert lease_of(m, lease_id)["claimable"] == 20_000_000 + 4_000_000  # refund + 20% compensation
    warp_into(w3, m, s + 1)
    before = balance(token, roles.lessee)
    receipt = terminate(suite, m, lease_id, roles.lessee)
    # Escrow left 20,000,000 over [s, s + 5): [s + 2, s + 5) is cut off.
    assert one(m, receipt, "LeaseTerminated") == {
        "leaseId": lease_id,
        "endEpoch": s + 2,
        "refund": 10_800_000,
        "fee": 1_200_000,
    }
    assert one(m, receipt, "LeaseClaimed")["amount"] == 34_800_000
    assert balance(token, roles.lessee) == before + 34_800_000
    terms = lease_of(m, lease_id)
    assert (terms["status"], terms["endEpoch"], terms["escrow"], terms["claimable"]) == (
        TERMINATED,
        s + 2,
        8_000_000,
        0,
    )
