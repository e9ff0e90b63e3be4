"""LeaseManager.quote and open: exact prices (flat and dynamic, computed independently in
Python), the opened lease's terms, event, position and escrow, start epochs, every revert."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.unit.lease_manager.conftest import DAY, POLICY, PRICE, configure_asset, open_lease
from tests.unit.lease_manager.support import (
    ACTIVE,
    MAINTENANCE,
    MAX_BATCH,
    MAX_LEASE_EPOCHS,
    RETIRED,
    ZERO,
    align,
    allow_list,
    balance,
    booked,
    fund,
    lease_of,
    lease_total,
    mean_price,
    new_asset,
    one,
    open_request,
    pause_registry,
    send,
    set_asset_status,
    try_open,
)
from tests.unit.metrics_oracle.conftest import view


@pytest.fixture(autouse=True)
def epoch(leasing, w3) -> int:
    """The current epoch, freshly begun."""
    return align(w3, leasing.manager)


def quote(manager, asset_id: int, gpus: int, epochs: int) -> tuple[int, int]:
    return tuple(view(manager, "quote", asset_id, gpus, epochs))


# ------------------------------------------------------------------ quote


def test_quote_flat_price(leasing, suite, roles):
    m, asset = leasing.manager, leasing.asset_id
    assert quote(m, asset, 3, 5) == (30_000_000, PRICE) == (lease_total(3, PRICE, 5), PRICE)
    assert quote(m, asset, 1, 1) == (PRICE, PRICE)
    open_lease(m, suite.sender, roles.lessee, asset, gpus=6, epochs=2)
    # Without the premium curve, bookings do not move the price.
    assert quote(m, asset, 2, 7) == (28_000_000, PRICE)


# (target bps, max premium bps, GPUs booked before, GPUs quoted, mean price worked out by hand)
DYNAMIC_CASES = [
    pytest.param(5_000, 5_000, 0, 4, 2_000_000, id="range-ends-at-kink"),
    pytest.param(5_000, 5_000, 2, 4, 2_125_000, id="kink-inside-range"),
    pytest.param(7_000, 5_000, 2, 4, 2_008_334, id="kink-inside-range-rounds-up"),
    pytest.param(5_000, 5_000, 6, 2, 2_750_000, id="range-above-kink"),
    pytest.param(0, 10_000, 0, 8, 3_000_000, id="target-0-whole-asset"),
    pytest.param(2_500, 3_000, 3, 5, 2_350_000, id="target-25pct"),
    pytest.param(10_000, 100_000, 0, 8, 2_000_000, id="target-100pct-no-premium"),
]


@pytest.mark.parametrize(("target", "premium", "before", "gpus", "expected"), DYNAMIC_CASES)
def test_dynamic_quote_is_the_curve_mean_and_open_charges_it(
    leasing, suite, roles, target, premium, before, gpus, expected
):
    m, asset = leasing.manager, leasing.asset_id
    configure_asset(suite, asset, roles.operator, dynamic=True, target_bps=target, max_premium_bps=premium)
    if before:
        open_lease(m, suite.sender, roles.lessee, asset, gpus=before, epochs=3)
    price = mean_price(PRICE, target, premium, 8, before, before + gpus)
    assert price == expected
    total = lease_total(gpus, price, 6)
    assert quote(m, asset, gpus, 6) == (total, price)

    lease_id, receipt = open_lease(m, suite.sender, roles.lessee, asset, gpus=gpus, epochs=6)
    opened = one(m, receipt, "LeaseOpened")
    assert (opened["pricePerGpuHour"], opened["total"]) == (price, total)
    assert (lease_of(m, lease_id)["pricePerGpuHour"], lease_of(m, lease_id)["escrow"]) == (price, total)


def test_extension_pays_the_point_price_at_todays_booking(leasing, suite, roles):
    m, asset = leasing.manager, leasing.asset_id
    configure_asset(suite, asset, roles.operator, dynamic=True, target_bps=5_000, max_premium_bps=5_000)
    lease_id, receipt = open_lease(m, suite.sender, roles.lessee, asset, gpus=6, epochs=4)
    # Mean over 0 -> 6 of 8 GPUs: base up to the kink at 4, then up to 1.25 x base.
    assert one(m, receipt, "LeaseOpened")["pricePerGpuHour"] == mean_price(PRICE, 5_000, 5_000, 8, 0, 6) == 2_083_334

    receipt = send(suite, m.functions.extend(lease_id, 2, 2**256 - 1), roles.lessee)
    point = mean_price(PRICE, 5_000, 5_000, 8, 6, 6)
    assert point == 2_500_000
    extended = one(m, receipt, "LeaseExtended")
    assert (extended["pricePerGpuHour"], extended["cost"]) == (point, lease_total(6, point, 2)) == (point, 30_000_000)

    open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=4)  # fully booked now
    receipt = send(suite, m.functions.extend(lease_id, 1, 2**256 - 1), roles.lessee)
    extended = one(m, receipt, "LeaseExtended")
    assert (extended["pricePerGpuHour"], extended["cost"]) == (3_000_000, 18_000_000)


def test_quote_reverts(leasing, suite, roles, make_registration):
    m, asset = leasing.manager, leasing.asset_id
    with reverts("LeaseZeroGpus"):
        quote(m, asset, 0, 1)
    with reverts("LeaseInsufficientCapacity", assetId=asset, requested=9, available=8):
        quote(m, asset, 9, 1)
    with reverts("LeaseInvalidDuration", epochs=1_001, minEpochs=1, maxEpochs=1_000):
        quote(m, asset, 1, 1_001)
    unconfigured, _ = new_asset(suite, make_registration, roles, configure=False)
    with reverts("LeaseAssetNotConfigured", assetId=unconfigured):
        quote(m, unconfigured, 1, 1)


def test_zero_epochs_is_an_invalid_duration(leasing, suite, roles):
    """0 epochs is outside [minEpochs, maxEpochs]: quote and open should say so. (LeaseTerms.quote
    prices first, and a 0-epoch total of 0 reverts LeaseZeroPrice, "price too low for the epoch
    length", before LeaseManager checks the duration.)"""
    m, asset = leasing.manager, leasing.asset_id
    with reverts("LeaseInvalidDuration", epochs=0, minEpochs=1, maxEpochs=1_000):
        quote(m, asset, 1, 0)
    with reverts("LeaseInvalidDuration", epochs=0, minEpochs=1, maxEpochs=1_000):
        try_open(suite, m, roles.lessee, open_request(asset, 1, 0, recipient=roles.lessee))


# ------------------------------------------------------------------- open


def test_open_escrows_in_share_token_and_mints_to_recipient(
    leasing, suite, roles, make_registration, payment_token, epoch
):
    m, positions = leasing.manager, leasing.positions
    price = 2 * 10 ** payment_token.functions.decimals().call()
    asset, share = new_asset(suite, make_registration, roles, token=payment_token, price=price)
    fund(suite, payment_token, roles.lessee, m.address, roles.admin)
    payer, recipient = roles.lessee, roles.holders[1]
    total = lease_total(3, price, 5)
    payer_before, escrow_before = balance(payment_token, payer), balance(payment_token, share.address)
    count = m.functions.leaseCount().call()

    lease_id, receipt = open_lease(m, suite.sender, payer, asset, gpus=3, epochs=5, recipient=recipient)

    assert lease_id == count + 1 == m.functions.leaseCount().call()
    assert one(m, receipt, "LeaseOpened") == {
        "leaseId": lease_id,
        "assetId": asset,
        "lessee": recipient,
        "gpus": 3,
        "startEpoch": epoch + 1,
        "endEpoch": epoch + 6,
        "pricePerGpuHour": price,
        "total": total,
    }
    assert lease_of(m, lease_id) == {
        "assetId": asset,
        "gpus": 3,
        "startEpoch": epoch + 1,
        "endEpoch": epoch + 6,
        "nextEpoch": epoch + 1,
        "pricePerGpuHour": price,
        "uptimeTargetBps": POLICY[0],
        "terminationFeeBps": POLICY[1],
        "compensationBps": POLICY[2],
        "noticeEpochs": POLICY[3],
        "status": ACTIVE,
        "capacityReleased": False,
        "handedOver": 0,
        "escrow": total,
        "claimable": 0,
    }
    assert positions.functions.ownerOf(lease_id).call() == recipient
    assert positions.functions.balanceOf(recipient).call() == 1
    assert positions.functions.balanceOf(payer).call() == 0
    assert balance(payment_token, payer) == payer_before - total
    assert balance(payment_token, share.address) == escrow_before + total
    assert balance(payment_token, m.address) == 0
    assert tuple(m.functions.capacityOf(asset).call()) == (3, 8)


def test_policy_is_copied_at_opening(leasing, suite, roles):
    m, asset = leasing.manager, leasing.asset_id
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset)
    configure_asset(suite, asset, roles.operator, price=3 * PRICE, policy=(9_000, 2_000, 500, 10, 1, 100))
    terms = lease_of(m, lease_id)
    assert (terms["pricePerGpuHour"], terms["uptimeTargetBps"], terms["terminationFeeBps"]) == (PRICE, 9_900, 1_000)
    assert (terms["compensationBps"], terms["noticeEpochs"]) == (2_000, 2)
    later, _ = open_lease(m, suite.sender, roles.lessee, asset)
    terms = lease_of(m, later)
    assert (terms["pricePerGpuHour"], terms["uptimeTargetBps"], terms["terminationFeeBps"]) == (3 * PRICE, 9_000, 2_000)
    assert (terms["compensationBps"], terms["noticeEpochs"]) == (500, 10)


@pytest.mark.parametrize("offset", [1, 10, 1 + MAX_LEASE_EPOCHS])
def test_open_at_an_explicit_start(leasing, suite, roles, epoch, offset):
    m, asset = leasing.manager, leasing.asset_id
    lease_id, receipt = open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=4, start=epoch + offset)
    opened = one(m, receipt, "LeaseOpened")
    assert (opened["startEpoch"], opened["endEpoch"]) == (epoch + offset, epoch + offset + 4)
    terms = lease_of(m, lease_id)
    assert (terms["startEpoch"], terms["nextEpoch"], terms["endEpoch"]) == (
        epoch + offset,
        epoch + offset,
        epoch + offset + 4,
    )
    assert booked(m, asset) == 2  # held from the booking on


def test_start_in_the_past_or_present_or_too_far(leasing, suite, roles, epoch):
    m, asset = leasing.manager, leasing.asset_id
    for start in (epoch, epoch - 5, 1):
        with reverts("LeaseInvalidStart", startEpoch=start, earliest=epoch + 1):
            try_open(suite, m, roles.lessee, open_request(asset, 1, 1, start=start, recipient=roles.lessee))
    latest = epoch + 1 + MAX_LEASE_EPOCHS
    with reverts("LeaseStartTooLate", startEpoch=latest + 1, latest=latest):
        try_open(suite, m, roles.lessee, open_request(asset, 1, 1, start=latest + 1, recipient=roles.lessee))


def test_paused_registry_refuses(leasing, suite, roles):
    pause_registry(suite, roles)
    with reverts("LeasePaused"):
        try_open(suite, leasing.manager, roles.lessee, open_request(leasing.asset_id, 1, 1, recipient=roles.lessee))


@pytest.mark.parametrize("status", [MAINTENANCE, RETIRED])
def test_inactive_asset_refuses(leasing, suite, roles, status):
    set_asset_status(suite, leasing.asset_id, status, roles.operator)
    with reverts("LeaseAssetNotActive", assetId=leasing.asset_id, status=status):
        try_open(suite, leasing.manager, roles.lessee, open_request(leasing.asset_id, 1, 1, recipient=roles.lessee))


def test_unconfigured_asset_refuses(leasing, suite, roles, make_registration):
    asset, _ = new_asset(suite, make_registration, roles, configure=False)
    with reverts("LeaseAssetNotConfigured", assetId=asset):
        try_open(suite, leasing.manager, roles.lessee, open_request(asset, 1, 1, recipient=roles.lessee))


def test_zero_gpus(leasing, suite, roles):
    with reverts("LeaseZeroGpus"):
        try_open(suite, leasing.manager, roles.lessee, open_request(leasing.asset_id, 0, 1, recipient=roles.lessee))


@pytest.mark.parametrize("epochs", [2, 11])
def test_duration_outside_policy(leasing, suite, roles, epochs):
    configure_asset(suite, leasing.asset_id, roles.operator, policy=(9_900, 1_000, 2_000, 2, 3, 10))
    with reverts("LeaseInvalidDuration", epochs=epochs, minEpochs=3, maxEpochs=10):
        try_open(
            suite, leasing.manager, roles.lessee, open_request(leasing.asset_id, 1, epochs, recipient=roles.lessee)
        )
    for ok in (3, 10):
        lease_id, _ = open_lease(leasing.manager, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=ok)
        assert lease_of(leasing.manager, lease_id)["escrow"] == lease_total(1, PRICE, ok)


def test_price_above_max(leasing, suite, roles):
    m, asset = leasing.manager, leasing.asset_id
    total = lease_total(2, PRICE, 5)
    with reverts("LeasePriceAboveMax", quote=total, maxTotalPrice=total - 1):
        try_open(suite, m, roles.lessee, open_request(asset, 2, 5, max_total=total - 1, recipient=roles.lessee))
    _, receipt = open_lease(m, suite.sender, roles.lessee, asset, gpus=2, epochs=5, max_total=total)
    assert one(m, receipt, "LeaseOpened")["total"] == total


def test_insufficient_capacity(leasing, suite, roles):
    m, asset = leasing.manager, leasing.asset_id
    with reverts("LeaseInsufficientCapacity", assetId=asset, requested=9, available=8):
        try_open(suite, m, roles.lessee, open_request(asset, 9, 1, recipient=roles.lessee))
    open_lease(m, suite.sender, roles.lessee, asset, gpus=6, epochs=3)
    with reverts("LeaseInsufficientCapacity", assetId=asset, requested=3, available=2):
        try_open(suite, m, roles.lessee, open_request(asset, 3, 1, recipient=roles.lessee))
    assert booked(m, asset) == 6


def test_allow_list_checks_the_recipient(leasing, suite, roles):
    m, asset = leasing.manager, leasing.asset_id
    allow_list(suite, leasing.terms, asset, roles.compliance, [roles.holders[1]])
    with reverts("LeaseLesseeNotAllowed", assetId=asset, account=roles.lessee):
        try_open(suite, m, roles.lessee, open_request(asset, 1, 1, recipient=roles.lessee))
    # The payer need not be allowed; the holder of the position must.
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=1, epochs=1, recipient=roles.holders[1])
    assert leasing.positions.functions.ownerOf(lease_id).call() == roles.holders[1]
    send(suite, leasing.terms.functions.setLesseeAllowed(asset, [roles.lessee], True), roles.compliance)
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=1, epochs=1)
    assert leasing.positions.functions.ownerOf(lease_id).call() == roles.lessee


@pytest.mark.parametrize("which", ["release", "predecessors"])
def test_batch_too_large(leasing, suite, roles, epoch, which):
    request = open_request(leasing.asset_id, 1, 1, recipient=roles.lessee)
    with reverts("LeaseBatchTooLarge", size=MAX_BATCH + 1, maxSize=MAX_BATCH):
        try_open(suite, leasing.manager, roles.lessee, request, **{which: range(1, MAX_BATCH + 2)})
    # MAX_BATCH ids are taken, and the first (no such lease) is looked at.
    error = (
        ("LeaseUnknown", {"leaseId": 1}) if which == "release" else ("LeaseInvalidPredecessor", {"predecessorId": 1})
    )
    with reverts(error[0], **error[1]):
        try_open(suite, leasing.manager, roles.lessee, request, **{which: range(1, MAX_BATCH + 1)})


def test_recipient_zero_is_refused(leasing, suite, roles):
    with reverts("ERC721InvalidReceiver", receiver=ZERO):
        try_open(suite, leasing.manager, roles.lessee, open_request(leasing.asset_id, 1, 1, recipient=ZERO))


def test_fee_on_transfer_token_refused(leasing, suite, roles, make_registration, tokens):
    m, token = leasing.manager, tokens.fee_on_transfer
    asset, share = new_asset(suite, make_registration, roles, token=token)
    fund(suite, token, roles.lessee, m.address, roles.admin)
    total = lease_total(2, PRICE, 5)
    with reverts("LeaseFeeOnTransferToken", token=token.address, expected=total, received=total - total // 100):
        try_open(suite, m, roles.lessee, open_request(asset, 2, 5, recipient=roles.lessee))
    assert booked(m, asset) == 0
    assert balance(token, share.address) == 0


def test_zero_price(leasing, suite, roles, w3):
    """With hourly epochs a positive price never rounds to nothing; with one-minute epochs, a
    price of 59 per GPU-hour does for one GPU (59 x 60 / 3600 = 0) but not for two."""
    asset = leasing.asset_id
    configure_asset(suite, asset, roles.operator, price=1)
    assert quote(leasing.manager, asset, 1, 1) == (1, 1)

    now = int(w3.eth.get_block("latest")["timestamp"])
    minute_oracle = suite.sender.deploy(
        "MetricsOracle",
        roles.admin,
        roles.admin,
        3600,
        suite.registry.address,
        leasing.token.address,
        60,
        now - 1_000 * 60,
        (DAY, 7 * DAY, 100 * 10**6, 500 * 10**6, 1_000 * 10**6),
    )
    minute = suite.sender.deploy(
        "LeaseManager", roles.admin, suite.registry.address, minute_oracle.address, leasing.terms.address, DAY
    )
    configure_asset(suite, asset, roles.operator, price=59)
    # Only the manager the registry names takes leases (LeaseManagerReplaced otherwise).
    suite.sender.transact(suite.registry.functions.setLeaseManager(minute.address), roles.admin, "R")
    for epochs in (1, 5):
        with reverts("LeaseZeroPrice", assetId=asset):
            quote(minute, asset, 1, epochs)
    assert quote(minute, asset, 2, 5) == (lease_total(2, 59, 5, epoch_seconds=60), 59) == (5, 59)
    fund(suite, leasing.token, roles.lessee, minute.address, roles.admin)
    with reverts("LeaseZeroPrice", assetId=asset):
        try_open(suite, minute, roles.lessee, open_request(asset, 1, 3, recipient=roles.lessee))
