"""LeaseManager capacity: the booked counter, releaseCapacity, releaseFirst in open, hand-over
from predecessors, and when a shortened lease gives its GPUs back."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.unit.lease_manager.conftest import MAX, PRICE, open_lease
from tests.unit.lease_manager.support import (
    ACTIVE,
    CLOSED,
    MAX_BATCH,
    align,
    booked,
    epoch_start,
    events,
    lease_of,
    lease_total,
    new_asset,
    one,
    open_request,
    send,
    try_open,
    warp_into,
)


@pytest.fixture(autouse=True)
def epoch(leasing, w3) -> int:
    """The current epoch, freshly begun."""
    return align(w3, leasing.manager)


def release(suite, manager, ids, sender):
    return send(suite, manager.functions.releaseCapacity(list(ids)), sender)


def test_capacity_of_an_asset_before_its_first_lease(leasing, suite, roles, make_registration):
    """capacityOf names the asset's GPU count before any lease was opened, as after (the count is
    cached on the first lease; quote reads the registry when it is not cached, capacityOf does not)."""
    asset, _ = new_asset(suite, make_registration, roles)
    assert tuple(leasing.manager.functions.capacityOf(asset).call()) == (0, 8)


def test_booked_counter_never_passes_the_gpu_count(leasing, suite, roles, epoch):
    m, asset = leasing.manager, leasing.asset_id
    open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=3)
    assert tuple(m.functions.capacityOf(asset).call()) == (2, 8)
    m.functions.quote(asset, 6, 3).call()  # a quote books nothing
    assert booked(m, asset) == 2
    open_lease(m, suite.sender, roles.lessee, asset, gpus=3, epochs=1)
    assert booked(m, asset) == 5
    open_lease(m, suite.sender, roles.lessee, asset, gpus=3, epochs=2, start=epoch + 50)  # future: booked now
    assert booked(m, asset) == 8
    for gpus in (1, 8):
        with reverts("LeaseInsufficientCapacity", assetId=asset, requested=gpus, available=0):
            try_open(suite, m, roles.lessee, open_request(asset, gpus, 1, start=epoch + 100, recipient=roles.lessee))
    assert tuple(m.functions.capacityOf(asset).call()) == (8, 8)


def test_release_capacity_once_the_last_epoch_begins(leasing, suite, roles, w3, epoch):
    m, asset = leasing.manager, leasing.asset_id
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=2)
    end = epoch + 3
    with reverts("LeaseCapacityInUse", leaseId=lease_id, releasableAt=epoch_start(m, end)):
        release(suite, m, [lease_id], roles.outsider)
    warp_into(w3, m, end - 1, offset=3_000)  # in its last epoch: still in use
    with reverts("LeaseCapacityInUse", leaseId=lease_id, releasableAt=epoch_start(m, end)):
        release(suite, m, [lease_id], roles.outsider)
    assert booked(m, asset) == 2

    warp_into(w3, m, end)
    receipt = release(suite, m, [lease_id], roles.outsider)  # anyone
    assert one(m, receipt, "CapacityReleased") == {"leaseId": lease_id, "assetId": asset, "gpus": 2, "booked": 0}
    assert booked(m, asset) == 0
    terms = lease_of(m, lease_id)
    assert (terms["capacityReleased"], terms["status"], terms["escrow"]) == (True, ACTIVE, lease_total(2, PRICE, 2))
    with reverts("LeaseCapacityAlreadyReleased", leaseId=lease_id):
        release(suite, m, [lease_id], roles.outsider)


def test_release_capacity_unknown_ids_and_batch(leasing, suite, roles):
    m = leasing.manager
    for lease_id in (0, 999):
        with reverts("LeaseUnknown", leaseId=lease_id):
            release(suite, m, [lease_id], roles.outsider)
    with reverts("LeaseBatchTooLarge", size=MAX_BATCH + 1, maxSize=MAX_BATCH):
        release(suite, m, range(1, MAX_BATCH + 2), roles.outsider)


def test_release_first_of_another_asset_is_unknown(leasing, suite, roles, make_registration, w3, epoch):
    m, asset = leasing.manager, leasing.asset_id
    other, _ = new_asset(suite, make_registration, roles)
    foreign, _ = open_lease(m, suite.sender, roles.lessee, other, gpus=1, epochs=1)
    warp_into(w3, m, epoch + 2)  # it has ended
    with reverts("LeaseUnknown", leaseId=foreign):
        try_open(suite, m, roles.lessee, open_request(asset, 1, 1, recipient=roles.lessee), release=[foreign])
    assert booked(m, other) == 1


def test_open_releases_ended_leases_first(leasing, suite, roles, w3, epoch):
    m, asset = leasing.manager, leasing.asset_id
    ended, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=5, epochs=1)
    running, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=3, epochs=2)
    warp_into(w3, m, epoch + 2)  # `ended` is over, `running` in its last epoch
    request = open_request(asset, 5, 1, recipient=roles.lessee)
    with reverts("LeaseInsufficientCapacity", assetId=asset, requested=5, available=0):
        try_open(suite, m, roles.lessee, request)
    with reverts("LeaseCapacityInUse", leaseId=running, releasableAt=epoch_start(m, epoch + 3)):
        try_open(suite, m, roles.lessee, request, release=[ended, running])

    receipt = try_open(suite, m, roles.lessee, request, release=[ended])
    assert events(m, receipt, "CapacityReleased") == [{"leaseId": ended, "assetId": asset, "gpus": 5, "booked": 3}]
    assert one(m, receipt, "LeaseOpened")["gpus"] == 5
    assert booked(m, asset) == 8
    assert lease_of(m, ended)["capacityReleased"] is True


def test_predecessor_hands_over_and_both_give_back_their_part(leasing, suite, roles, w3, epoch):
    m, asset = leasing.manager, leasing.asset_id
    s = epoch + 1
    first, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=6, epochs=3)
    assert booked(m, asset) == 6
    second, receipt = open_lease(
        m, suite.sender, roles.lessee, asset, gpus=4, epochs=2, start=s + 3, predecessors=[first]
    )
    assert one(m, receipt, "CapacityHandedOver") == {"fromLeaseId": first, "toLeaseId": second, "gpus": 4}
    assert booked(m, asset) == 6  # all four came from `first`
    assert (lease_of(m, first)["handedOver"], lease_of(m, second)["handedOver"]) == (4, 0)
    open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=10)  # from free capacity
    assert booked(m, asset) == 8
    with reverts("LeaseInsufficientCapacity", assetId=asset, requested=1, available=0):
        try_open(suite, m, roles.lessee, open_request(asset, 1, 1, recipient=roles.lessee))

    warp_into(w3, m, s + 3)
    receipt = release(suite, m, [first], roles.outsider)  # only what it kept
    assert one(m, receipt, "CapacityReleased") == {"leaseId": first, "assetId": asset, "gpus": 2, "booked": 6}
    open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=10)
    assert booked(m, asset) == 8

    warp_into(w3, m, s + 5)
    receipt = release(suite, m, [second], roles.outsider)  # all of its GPUs
    assert one(m, receipt, "CapacityReleased") == {"leaseId": second, "assetId": asset, "gpus": 4, "booked": 4}
    assert booked(m, asset) == 4


def test_only_the_remainder_comes_from_free_capacity(leasing, suite, roles, epoch):
    m, asset = leasing.manager, leasing.asset_id
    first, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=6, epochs=3)
    open_lease(m, suite.sender, roles.lessee, asset, gpus=1, epochs=10)
    request = open_request(asset, 8, 2, start=epoch + 4, recipient=roles.lessee)
    with reverts("LeaseInsufficientCapacity", assetId=asset, requested=2, available=1):
        try_open(suite, m, roles.lessee, request, predecessors=[first])
    assert lease_of(m, first)["handedOver"] == 0

    request = open_request(asset, 7, 2, start=epoch + 4, recipient=roles.lessee)
    receipt = try_open(suite, m, roles.lessee, request, predecessors=[first])
    later = one(m, receipt, "LeaseOpened")["leaseId"]
    assert one(m, receipt, "CapacityHandedOver") == {"fromLeaseId": first, "toLeaseId": later, "gpus": 6}
    assert booked(m, asset) == 8


def test_several_predecessors_hand_over_in_order(leasing, suite, roles, epoch):
    m, asset = leasing.manager, leasing.asset_id
    a, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=2)
    b, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=4, epochs=3)
    c, receipt = open_lease(
        m, suite.sender, roles.lessee, asset, gpus=5, epochs=1, start=epoch + 4, predecessors=[a, b]
    )
    assert events(m, receipt, "CapacityHandedOver") == [
        {"fromLeaseId": a, "toLeaseId": c, "gpus": 2},
        {"fromLeaseId": b, "toLeaseId": c, "gpus": 3},
    ]
    assert booked(m, asset) == 6
    d, receipt = open_lease(m, suite.sender, roles.lessee, asset, gpus=3, epochs=1, start=epoch + 5, predecessors=[b])
    assert events(m, receipt, "CapacityHandedOver") == [{"fromLeaseId": b, "toLeaseId": d, "gpus": 1}]
    assert booked(m, asset) == 8
    assert [lease_of(m, i)["handedOver"] for i in (a, b, c, d)] == [2, 4, 0, 0]


def test_invalid_predecessors(leasing, suite, roles, make_registration, w3, epoch):
    m, asset = leasing.manager, leasing.asset_id
    s = epoch + 1

    def refused(pred, pred_end, start, gpus=1):
        with reverts("LeaseInvalidPredecessor", predecessorId=pred, endEpoch=pred_end, startEpoch=start):
            try_open(
                suite,
                m,
                roles.lessee,
                open_request(asset, gpus, 1, start=start, recipient=roles.lessee),
                predecessors=[pred],
            )

    late, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=1, epochs=3)
    refused(late, s + 3, s + 2)  # ends after the new start
    other, _ = new_asset(suite, make_registration, roles)
    foreign, _ = open_lease(m, suite.sender, roles.lessee, other, gpus=1, epochs=1)
    refused(foreign, s + 1, s + 5)  # another asset
    refused(999, 0, s + 5)  # no such lease
    small, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=1)
    open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=1, start=s + 1, predecessors=[small])
    refused(small, s + 1, s + 2)  # nothing left to hand over
    short, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=1, epochs=1)
    warp_into(w3, m, s + 1)
    release(suite, m, [short], roles.outsider)
    refused(short, s + 1, s + 3)  # capacity already released


def test_a_lease_that_handed_over_cannot_be_extended_but_may_end(leasing, suite, roles, w3, epoch):
    m, asset = leasing.manager, leasing.asset_id
    first, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=6, epochs=4)
    open_lease(m, suite.sender, roles.lessee, asset, gpus=4, epochs=2, start=epoch + 5, predecessors=[first])
    with reverts("LeaseCapacityPromised", leaseId=first, handedOver=4):
        send(suite, m.functions.extend(first, 1, MAX), roles.lessee)

    receipt = send(suite, m.functions.terminate(first), roles.lessee)  # ends at epoch + 1
    assert one(m, receipt, "LeaseTerminated")["endEpoch"] == epoch + 1
    warp_into(w3, m, epoch + 1)
    receipt = release(suite, m, [first], roles.outsider)
    assert one(m, receipt, "CapacityReleased") == {"leaseId": first, "assetId": asset, "gpus": 2, "booked": 4}


def test_future_lease_terminated_before_it_starts_holds_capacity_until_its_start(leasing, suite, roles, w3, epoch):
    m, asset = leasing.manager, leasing.asset_id
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=3, epochs=2, start=epoch + 5)
    receipt = send(suite, m.functions.terminate(lease_id), roles.lessee)
    assert one(m, receipt, "LeaseTerminated")["endEpoch"] == epoch + 5
    terms = lease_of(m, lease_id)
    assert (terms["endEpoch"], terms["status"], terms["capacityReleased"]) == (epoch + 5, CLOSED, False)
    assert booked(m, asset) == 3
    warp_into(w3, m, epoch + 4)
    with reverts("LeaseCapacityInUse", leaseId=lease_id, releasableAt=epoch_start(m, epoch + 5)):
        release(suite, m, [lease_id], roles.outsider)
    warp_into(w3, m, epoch + 5)
    receipt = release(suite, m, [lease_id], roles.outsider)
    assert one(m, receipt, "CapacityReleased") == {"leaseId": lease_id, "assetId": asset, "gpus": 3, "booked": 0}
