"""LeaseManager.settle and settleMany: the charge of each epoch released into the share token's
waterfall (no token moves), the rounding remainder on the last epoch, the loop bound, closing,
and LeaseNothingToSettle with the time each kind of wait ends."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.unit.lease_manager.conftest import DAY, PRICE, configure_asset, epoch_end, open_lease, warp_to
from tests.unit.lease_settlement.support import (
    ACTIVE,
    CHARGE,
    CLOSED,
    PREEMPTED,
    TERMINATED,
    align,
    balance,
    distributions,
    lease_events,
    report_status,
    settle,
    settle_many,
    waterfall,
)
from tests.unit.metrics_oracle.conftest import events


def test_settle_releases_one_charge_into_the_waterfall_without_moving_tokens(leasing, suite, roles, ready, lease_view):
    m, share = leasing.manager, leasing.share_token
    lease_id, start = ready(gpus=2, epochs=3)
    held = balance(leasing.token, share.address)
    assert held == 3 * CHARGE

    settled, receipt = settle(suite, m, lease_id, 1, roles.outsider)

    assert settled == 1
    assert distributions(share, receipt) == [(m.address, CHARGE, *waterfall(CHARGE))]
    assert waterfall(CHARGE) == (400_000, 200_000, 200_000, 3_200_000)
    assert balance(leasing.token, share.address) == held  # the escrow was there already
    assert suite.claimable(leasing.asset_id, roles.holders[0]) == 3_200_000
    pools = suite.pools(leasing.asset_id)
    assert (pools.operator_fees, pools.protocol_fees, pools.reserve) == (400_000, 200_000, 200_000)
    lv = lease_view(lease_id)
    assert (lv["nextEpoch"], lv["escrow"], lv["claimable"], lv["status"]) == (start + 1, 2 * CHARGE, 0, ACTIVE)


def test_lease_settled_event_carries_range_released_and_credited(leasing, suite, roles, ready):
    lease_id, start = ready(gpus=2, epochs=3)
    _, receipt = settle(suite, leasing.manager, lease_id, 2, roles.outsider)
    (event,) = lease_events(leasing.manager, receipt, "LeaseSettled")
    assert event == {
        "leaseId": lease_id,
        "fromEpoch": start,
        "toEpoch": start + 2,
        "released": 2 * CHARGE,
        "credited": 0,
    }
    assert lease_events(leasing.manager, receipt, "SlaCredit") == []
    assert lease_events(leasing.manager, receipt, "LeaseClosed") == []


def test_last_epoch_takes_the_rounding_remainder(leasing, suite, roles, w3, report, lease_view):
    # Dynamic pricing with the premium starting at 0% booked: opening 2 of 8 GPUs pays the mean
    # price over 0..2 booked (2.125 dUSD), the extension the point price at 2 booked (2.25 dUSD).
    m, share = leasing.manager, leasing.share_token
    configure_asset(suite, leasing.asset_id, roles.operator, dynamic=True, target_bps=0, max_premium_bps=5_000)
    start = align(w3, m) + 1
    lease_id, receipt = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=2)
    assert events(m, receipt, "LeaseOpened")[0]["total"] == 2 * 4_250_000
    receipt = suite.sender.transact(m.functions.extend(lease_id, 1, 2**256 - 1), roles.lessee, "LM")
    (extended,) = events(m, receipt, "LeaseExtended")
    assert (extended["cost"], extended["newEndEpoch"], extended["pricePerGpuHour"]) == (4_500_000, start + 3, 2_250_000)
    assert lease_view(lease_id)["escrow"] == 13_000_000  # not a multiple of 3 epochs

    warp_to(w3, epoch_end(m, start + 2) + 60)
    warp_to(w3, report([start, start + 1, start + 2]) + DAY + 1)
    released, escrows = [], []
    for _ in range(3):
        _, receipt = settle(suite, m, lease_id, 1, roles.outsider)
        released.append(distributions(share, receipt)[0][1])
        escrows.append(lease_view(lease_id)["escrow"])
    # 13,000,000 / 3, then 8,666,667 / 2, then the rest.
    assert released == [4_333_333, 4_333_333, 4_333_334]
    assert escrows == [8_666_667, 4_333_334, 0]
    assert sum(released) == 13_000_000
    assert lease_view(lease_id)["status"] == CLOSED


def test_max_epochs_bounds_the_loop(leasing, suite, roles, ready, lease_view):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=5)
    settled, receipt = settle(suite, m, lease_id, 2, roles.outsider)
    assert settled == 2
    assert (lease_events(m, receipt, "LeaseSettled")[0]["toEpoch"], lease_view(lease_id)["nextEpoch"]) == (
        start + 2,
        start + 2,
    )
    assert lease_view(lease_id)["escrow"] == 3 * CHARGE
    settled, receipt = settle(suite, m, lease_id, 2**256 - 1, roles.outsider)  # no overflow
    assert settled == 3
    (event,) = lease_events(m, receipt, "LeaseSettled")
    assert (event["fromEpoch"], event["toEpoch"], event["released"]) == (start + 2, start + 5, 3 * CHARGE)
    assert lease_view(lease_id)["status"] == CLOSED


def test_last_epoch_closes_the_lease_and_releases_its_capacity(leasing, suite, roles, ready, lease_view):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=2)
    assert m.functions.capacityOf(leasing.asset_id).call() == [2, 8]
    _, receipt = settle(suite, m, lease_id, 10, roles.outsider)
    assert lease_events(m, receipt, "LeaseClosed") == [{"leaseId": lease_id}]
    assert lease_events(m, receipt, "CapacityReleased") == [
        {"leaseId": lease_id, "assetId": leasing.asset_id, "gpus": 2, "booked": 0}
    ]
    assert m.functions.capacityOf(leasing.asset_id).call() == [0, 8]
    lv = lease_view(lease_id)
    assert (lv["status"], lv["capacityReleased"], lv["escrow"], lv["nextEpoch"]) == (CLOSED, True, 0, start + 2)
    with reverts("LeaseNotRunning", leaseId=lease_id, status=CLOSED):
        settle(suite, m, lease_id, 10, roles.outsider)


def test_closing_does_not_release_capacity_released_before(leasing, suite, roles, ready, lease_view):
    m = leasing.manager
    lease_id, _ = ready(gpus=2, epochs=2)
    suite.sender.transact(m.functions.releaseCapacity([lease_id]), roles.outsider, "LM")
    _, receipt = settle(suite, m, lease_id, 10, roles.outsider)
    assert lease_events(m, receipt, "LeaseClosed") == [{"leaseId": lease_id}]
    assert lease_events(m, receipt, "CapacityReleased") == []
    assert m.functions.capacityOf(leasing.asset_id).call() == [0, 8]
    assert lease_view(lease_id)["status"] == CLOSED


def test_nothing_to_settle_before_the_epoch_ends(leasing, suite, roles, w3):
    m = leasing.manager
    start = align(w3, m) + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id)
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=epoch_end(m, start)):
        settle(suite, m, lease_id, 1, roles.outsider)


def test_nothing_to_settle_while_the_report_is_disputable(leasing, suite, oracle, roles, w3, ready, report):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    updated_at = report([start])
    final_at = report_status(oracle, leasing.asset_id, start)[3]
    assert final_at == updated_at + DAY
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=updated_at + DAY + 1):
        settle(suite, m, lease_id, 1, roles.outsider)
    warp_to(w3, updated_at + DAY + 1)
    assert settle(suite, m, lease_id, 1, roles.outsider)[0] == 1


def test_nothing_to_settle_while_a_challenge_is_open(leasing, suite, oracle, roles, ready, report, challenger):
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    report([start])
    oracle.challenge(leasing.asset_id, start, challenger)
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=0):
        settle(suite, leasing.manager, lease_id, 1, roles.outsider)


def test_nothing_to_settle_without_a_report_until_the_grace_is_over(leasing, suite, roles, ready):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=epoch_end(m, start) + DAY + 1):
        settle(suite, m, lease_id, 1, roles.outsider)


def test_settle_stops_at_the_first_epoch_not_ready(leasing, suite, roles, w3, report, lease_view):
    m = leasing.manager
    start = align(w3, m) + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=3)
    warp_to(w3, epoch_end(m, start) + 60)
    warp_to(w3, report([start]) + DAY + 1)  # start + 1 has ended but is unreported, within grace
    settled, _ = settle(suite, m, lease_id, 10, roles.outsider)
    assert settled == 1
    assert lease_view(lease_id)["nextEpoch"] == start + 1
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start + 1, readyAt=epoch_end(m, start + 1) + DAY + 1):
        settle(suite, m, lease_id, 10, roles.outsider)


def test_settle_reverts_for_unknown_lease(leasing, suite, roles):
    with reverts("LeaseUnknown", leaseId=99):
        settle(suite, leasing.manager, 99, 1, roles.outsider)
    with reverts("LeaseUnknown", leaseId=99):
        settle_many(suite, leasing.manager, [99], 1, roles.outsider)


def test_settle_many_skips_leases_with_nothing_ready(leasing, suite, roles, w3, report, lease_view):
    m = leasing.manager
    start = align(w3, m) + 1
    running, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=2)
    short, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=1)
    future, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=1, start=start + 20)
    warp_to(w3, epoch_end(m, start + 1) + 60)
    warp_to(w3, report([start, start + 1]) + DAY + 1)
    settle(suite, m, short, 1, roles.outsider)  # closed

    counts, receipt = settle_many(suite, m, [running, future, short], 1, roles.outsider)

    assert counts == [1, 0, 0]
    assert [e["leaseId"] for e in lease_events(m, receipt, "LeaseSettled")] == [running]
    assert distributions(leasing.share_token, receipt) == [(m.address, PRICE, *waterfall(PRICE))]
    assert lease_view(running)["nextEpoch"] == start + 1
    assert lease_view(future)["nextEpoch"] == start + 20
    counts, _ = settle_many(suite, m, [running, running], 5, roles.outsider)
    assert counts == [1, 0]
    assert lease_view(running)["status"] == CLOSED


def test_settle_many_takes_fifty_and_refuses_fifty_one(leasing, suite, roles, ready, lease_view):
    m = leasing.manager
    lease_id, _ = ready(gpus=2, epochs=3)
    with reverts("LeaseBatchTooLarge", size=51, maxSize=50):
        settle_many(suite, m, [lease_id] * 51, 1, roles.outsider)
    # The same lease fifty times, one epoch each: three settle, the rest find it closed.
    counts, receipt = settle_many(suite, m, [lease_id] * 50, 1, roles.outsider)
    assert counts == [1, 1, 1] + [0] * 47
    assert len(distributions(leasing.share_token, receipt)) == 3
    assert lease_view(lease_id)["status"] == CLOSED


def test_terminated_lease_settles_its_last_epoch_and_closes(leasing, suite, roles, w3, report, lease_view):
    m = leasing.manager
    start = align(w3, m) + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=10)
    warp_to(w3, m.functions.epochStart(start).call() + 60)
    receipt = suite.sender.transact(m.functions.terminate(lease_id), roles.lessee, "LM")
    (terminated,) = events(m, receipt, "LeaseTerminated")
    # Nine epochs cut off: 36 dUSD unused, 10% fee.
    assert (terminated["endEpoch"], terminated["refund"], terminated["fee"]) == (start + 1, 32_400_000, 3_600_000)
    assert (lease_view(lease_id)["status"], lease_view(lease_id)["escrow"]) == (TERMINATED, CHARGE)

    warp_to(w3, epoch_end(m, start) + 60)
    warp_to(w3, report([start]) + DAY + 1)
    settled, receipt = settle(suite, m, lease_id, 10, roles.outsider)

    assert settled == 1
    assert distributions(leasing.share_token, receipt) == [(m.address, CHARGE, *waterfall(CHARGE))]
    assert lease_events(m, receipt, "LeaseClosed") == [{"leaseId": lease_id}]
    assert lease_events(m, receipt, "CapacityReleased")[0]["gpus"] == 2
    lv = lease_view(lease_id)
    assert (lv["status"], lv["escrow"], lv["endEpoch"], lv["capacityReleased"]) == (CLOSED, 0, start + 1, True)


def test_preempted_lease_settles_its_remaining_epochs_and_closes(leasing, suite, roles, w3, report, lease_view):
    m, token = leasing.manager, leasing.token
    current = align(w3, m)
    start = current + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=10)
    suite.sender.transact(token.functions.mint(roles.operator, 10**9), roles.admin, "Token")
    suite.sender.transact(token.functions.approve(m.address, 2**256 - 1), roles.operator, "Token")
    receipt = suite.sender.transact(m.functions.preempt(lease_id, current + 3), roles.operator, "LM")
    (preempted,) = events(m, receipt, "LeasePreempted")
    # Eight of ten epochs lost: 32 dUSD back, 20% compensation on top.
    assert (preempted["endEpoch"], preempted["refund"], preempted["compensation"]) == (start + 2, 32_000_000, 6_400_000)
    assert (lease_view(lease_id)["status"], lease_view(lease_id)["escrow"]) == (PREEMPTED, 2 * CHARGE)

    warp_to(w3, epoch_end(m, start + 1) + 60)
    warp_to(w3, report([start, start + 1]) + DAY + 1)
    settled, receipt = settle(suite, m, lease_id, 10, roles.outsider)

    assert settled == 2
    (event,) = lease_events(m, receipt, "LeaseSettled")
    assert (event["fromEpoch"], event["toEpoch"], event["released"]) == (start, start + 2, 2 * CHARGE)
    assert lease_events(m, receipt, "LeaseClosed") == [{"leaseId": lease_id}]
    lv = lease_view(lease_id)
    assert (lv["status"], lv["escrow"], lv["claimable"]) == (CLOSED, 0, 38_400_000)
    assert m.functions.capacityOf(leasing.asset_id).call() == [0, 8]


@pytest.mark.parametrize("keeper", ["outsider", "lessee"])
def test_settlement_keeps_working_while_the_registry_is_paused(leasing, suite, roles, ready, lease_view, keeper):
    lease_id, _ = ready(gpus=2, epochs=1)
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")
    settled, receipt = settle(suite, leasing.manager, lease_id, 1, getattr(roles, keeper))
    assert settled == 1
    assert distributions(leasing.share_token, receipt)[0][1] == CHARGE
    assert lease_view(lease_id)["status"] == CLOSED
