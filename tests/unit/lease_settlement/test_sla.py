"""SLA credits at settlement: ceil(charge x (target - uptime) / target) below target, the
no-report rule (wait for the grace, then a full credit), and which oracle reports count: only
reports accepted within the grace that can no longer be voided."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.unit.lease_manager.conftest import DAY, POLICY, configure_asset, epoch_end, open_lease, warp_to
from tests.unit.lease_settlement.support import (
    CHALLENGED,
    CHARGE,
    CLOSED,
    DISPUTABLE,
    FINAL,
    RESOLUTION_TIMEOUT,
    VOIDED,
    align,
    balance,
    deadline,
    distributions,
    lease_events,
    report_status,
    settle,
    sla_credit,
)
from tests.unit.metrics_oracle.conftest import events


def _credit_event(lease_id, epoch, uptime, reported, credit):
    return {"leaseId": lease_id, "epoch": epoch, "uptimeBps": uptime, "reported": reported, "credit": credit}


@pytest.mark.parametrize("uptime", [9_900, 9_950, 10_000])
def test_uptime_at_or_above_target_credits_nothing(leasing, suite, roles, ready, lease_view, uptime):
    lease_id, _ = ready(gpus=2, epochs=1, uptimes=uptime)
    _, receipt = settle(suite, leasing.manager, lease_id, 1, roles.outsider)
    assert lease_events(leasing.manager, receipt, "SlaCredit") == []
    (event,) = lease_events(leasing.manager, receipt, "LeaseSettled")
    assert (event["released"], event["credited"]) == (CHARGE, 0)
    assert lease_view(lease_id)["claimable"] == 0


@pytest.mark.parametrize(
    ("uptime", "credit"),
    [
        (9_000, 363_637),  # 4,000,000 x 900 / 9,900 = 363,636.36..., rounded up
        (9_899, 405),  # 404.04... rounded up
        (4_950, 2_000_000),  # exactly half the target: no rounding
        (1, 3_999_596),  # 4,000,000 x 9,899 / 9,900 = 3,999,595.95..., rounded up
    ],
)
def test_uptime_below_target_credits_the_shortfall_rounded_up(leasing, suite, roles, ready, lease_view, uptime, credit):
    assert sla_credit(CHARGE, uptime) == credit
    lease_id, start = ready(gpus=2, epochs=1, uptimes=uptime)
    _, receipt = settle(suite, leasing.manager, lease_id, 1, roles.outsider)
    assert lease_events(leasing.manager, receipt, "SlaCredit") == [_credit_event(lease_id, start, uptime, True, credit)]
    (event,) = lease_events(leasing.manager, receipt, "LeaseSettled")
    assert (event["released"], event["credited"]) == (CHARGE - credit, credit)
    assert distributions(leasing.share_token, receipt)[0][1] == CHARGE - credit
    lv = lease_view(lease_id)
    assert (lv["claimable"], lv["escrow"]) == (credit, 0)


def test_zero_uptime_credits_the_whole_charge_and_releases_nothing(leasing, suite, roles, ready, lease_view):
    lease_id, start = ready(gpus=2, epochs=1, uptimes=0)
    held = balance(leasing.token, leasing.share_token.address)
    _, receipt = settle(suite, leasing.manager, lease_id, 1, roles.outsider)
    assert lease_events(leasing.manager, receipt, "SlaCredit") == [_credit_event(lease_id, start, 0, True, CHARGE)]
    assert distributions(leasing.share_token, receipt) == []  # nothing released: no waterfall run
    assert suite.claimable(leasing.asset_id, roles.holders[0]) == 0
    assert balance(leasing.token, leasing.share_token.address) == held
    assert (lease_view(lease_id)["claimable"], lease_view(lease_id)["status"]) == (CHARGE, CLOSED)


def test_claimable_grows_with_each_credited_settlement(leasing, suite, roles, ready, lease_view):
    lease_id, _ = ready(gpus=2, epochs=2, uptimes=[9_000, 0])
    settle(suite, leasing.manager, lease_id, 1, roles.outsider)
    assert lease_view(lease_id)["claimable"] == 363_637
    settle(suite, leasing.manager, lease_id, 1, roles.outsider)
    assert lease_view(lease_id)["claimable"] == 363_637 + CHARGE


def test_no_report_waits_for_the_grace_then_credits_in_full(leasing, suite, roles, w3, ready, lease_view):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    warp_to(w3, deadline(m, start) - 60)
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=deadline(m, start) + 1):
        settle(suite, m, lease_id, 1, roles.outsider)

    warp_to(w3, deadline(m, start) + 1)
    _, receipt = settle(suite, m, lease_id, 1, roles.outsider)

    assert lease_events(m, receipt, "SlaCredit") == [_credit_event(lease_id, start, 0, False, CHARGE)]
    (event,) = lease_events(m, receipt, "LeaseSettled")
    assert (event["released"], event["credited"]) == (0, CHARGE)
    assert (lease_view(lease_id)["claimable"], lease_view(lease_id)["status"]) == (CHARGE, CLOSED)


@pytest.mark.parametrize("wait_until_final", [False, True])
def test_report_accepted_after_the_grace_is_ignored(
    leasing, suite, oracle, roles, w3, ready, report, lease_view, wait_until_final
):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    warp_to(w3, deadline(m, start) + 60)
    updated_at = report([start], 10_000)
    assert updated_at > deadline(m, start)
    if wait_until_final:
        warp_to(w3, updated_at + DAY + 1)
    status = report_status(oracle, leasing.asset_id, start)
    assert status == (FINAL if wait_until_final else DISPUTABLE, 10_000, updated_at, updated_at + DAY)

    _, receipt = settle(suite, m, lease_id, 1, roles.outsider)

    assert lease_events(m, receipt, "SlaCredit") == [_credit_event(lease_id, start, 0, False, CHARGE)]
    assert lease_view(lease_id)["claimable"] == CHARGE


def test_report_accepted_within_the_grace_is_used_once_final(leasing, suite, roles, w3, ready, report, lease_view):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    warp_to(w3, deadline(m, start) - 3_600)
    updated_at = report([start], 9_000)
    assert updated_at <= deadline(m, start)
    warp_to(w3, deadline(m, start) + 60)  # the grace is over, the report still disputable
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=updated_at + DAY + 1):
        settle(suite, m, lease_id, 1, roles.outsider)

    warp_to(w3, updated_at + DAY + 1)
    _, receipt = settle(suite, m, lease_id, 1, roles.outsider)

    assert lease_events(m, receipt, "SlaCredit") == [_credit_event(lease_id, start, 9_000, True, 363_637)]
    assert lease_view(lease_id)["claimable"] == 363_637


def test_voided_report_is_never_used(leasing, suite, oracle, roles, w3, ready, report, challenger, lease_view):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    report([start], 10_000)
    oracle.challenge(leasing.asset_id, start, challenger)
    oracle.resolve(leasing.asset_id, start, True, roles.admin)
    assert report_status(oracle, leasing.asset_id, start)[:2] == (VOIDED, 0)
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=deadline(m, start) + 1):
        settle(suite, m, lease_id, 1, roles.outsider)

    warp_to(w3, deadline(m, start) + 1)
    _, receipt = settle(suite, m, lease_id, 1, roles.outsider)

    assert lease_events(m, receipt, "SlaCredit") == [_credit_event(lease_id, start, 0, False, CHARGE)]
    assert lease_view(lease_id)["claimable"] == CHARGE


def test_rejected_challenge_lets_the_report_be_used(
    leasing, suite, oracle, roles, w3, ready, report, challenger, lease_view
):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    updated_at = report([start], 9_000)
    oracle.challenge(leasing.asset_id, start, challenger)
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=0):
        settle(suite, m, lease_id, 1, roles.outsider)
    oracle.resolve(leasing.asset_id, start, False, roles.admin)
    # Rejected inside the window: the report waits for its window like any other.
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=updated_at + DAY + 1):
        settle(suite, m, lease_id, 1, roles.outsider)

    warp_to(w3, updated_at + DAY + 1)
    _, receipt = settle(suite, m, lease_id, 1, roles.outsider)

    assert lease_events(m, receipt, "SlaCredit") == [_credit_event(lease_id, start, 9_000, True, 363_637)]
    assert lease_view(lease_id)["claimable"] == 363_637


def test_open_challenge_blocks_settlement_past_the_grace_until_resolved(
    leasing, suite, oracle, roles, w3, ready, report, challenger, lease_view
):
    m = leasing.manager
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    report([start], 10_000)
    oracle.challenge(leasing.asset_id, start, challenger)
    warp_to(w3, deadline(m, start) + 3 * DAY)
    assert report_status(oracle, leasing.asset_id, start)[0] == CHALLENGED
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=0):
        settle(suite, m, lease_id, 1, roles.outsider)

    oracle.resolve(leasing.asset_id, start, True, roles.admin)  # voided, and the grace is over
    _, receipt = settle(suite, m, lease_id, 1, roles.outsider)

    assert lease_events(m, receipt, "SlaCredit") == [_credit_event(lease_id, start, 0, False, CHARGE)]


def test_expired_challenge_lets_the_report_be_used(
    leasing, suite, oracle, roles, w3, ready, report, challenger, lease_view
):
    m, asset_id = leasing.manager, leasing.asset_id
    lease_id, start = ready(gpus=2, epochs=1, uptimes=None)
    report([start], 9_000)
    receipt = oracle.challenge(asset_id, start, challenger)
    opened_at = int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    warp_to(w3, opened_at + RESOLUTION_TIMEOUT + 1)
    with reverts("LeaseNothingToSettle", leaseId=lease_id, epoch=start, readyAt=0):
        settle(suite, m, lease_id, 1, roles.outsider)

    suite.sender.transact(oracle.contract.functions.expireChallenge(asset_id, start), roles.outsider, "Oracle")
    assert report_status(oracle, asset_id, start)[0] == FINAL
    _, receipt = settle(suite, m, lease_id, 1, roles.outsider)

    assert lease_events(m, receipt, "SlaCredit") == [_credit_event(lease_id, start, 9_000, True, 363_637)]
    assert lease_view(lease_id)["claimable"] == 363_637


def test_zero_uptime_target_never_credits(leasing, suite, roles, w3, report, lease_view):
    m = leasing.manager
    configure_asset(suite, leasing.asset_id, roles.operator, policy=(0, *POLICY[1:]))
    start = align(w3, m) + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=2)
    assert lease_view(lease_id)["uptimeTargetBps"] == 0
    warp_to(w3, epoch_end(m, start + 1) + 60)
    updated_at = report([start], 0)  # start + 1 stays unreported
    warp_to(w3, max(updated_at + DAY, deadline(m, start + 1)) + 1)

    _, receipt = settle(suite, m, lease_id, 2, roles.outsider)

    assert lease_events(m, receipt, "SlaCredit") == []
    (event,) = lease_events(m, receipt, "LeaseSettled")
    assert (event["released"], event["credited"]) == (2 * CHARGE, 0)
    assert lease_view(lease_id)["claimable"] == 0


def test_mixed_uptimes_credit_the_exact_sum(leasing, suite, roles, w3, report, lease_view):
    m = leasing.manager
    start = align(w3, m) + 1
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=6)
    warp_to(w3, epoch_end(m, start + 5) + 60)
    uptimes = [10_000, 9_899, 5_000, 0, 9_900]
    updated_at = report([start + i for i in range(5)], uptimes)  # the sixth is never reported
    warp_to(w3, max(updated_at + DAY, deadline(m, start + 5)) + 1)

    _, receipt = settle(suite, m, lease_id, 6, roles.outsider)

    expected = [
        _credit_event(lease_id, start + 1, 9_899, True, 405),
        _credit_event(lease_id, start + 2, 5_000, True, 1_979_798),
        _credit_event(lease_id, start + 3, 0, True, CHARGE),
        _credit_event(lease_id, start + 5, 0, False, CHARGE),
    ]
    assert lease_events(m, receipt, "SlaCredit") == expected
    credited = 405 + 1_979_798 + 2 * CHARGE
    assert credited == sum(sla_credit(CHARGE, u) for u in [*uptimes, 0])
    (event,) = lease_events(m, receipt, "LeaseSettled")
    assert (event["released"], event["credited"]) == (6 * CHARGE - credited, credited)
    assert distributions(leasing.share_token, receipt)[0][1] == 6 * CHARGE - credited
    lv = lease_view(lease_id)
    assert (lv["claimable"], lv["escrow"], lv["status"]) == (credited, 0, CLOSED)


def test_credits_are_claimed_by_the_current_position_owner(leasing, suite, roles, ready, lease_view):
    m, token, new_owner = leasing.manager, leasing.token, roles.holders[1]
    lease_id, _ = ready(gpus=2, epochs=1, uptimes=0)
    suite.sender.transact(
        leasing.positions.functions.transferFrom(roles.lessee, new_owner, lease_id), roles.lessee, "Positions"
    )
    settle(suite, m, lease_id, 1, roles.outsider)
    assert lease_view(lease_id)["claimable"] == CHARGE
    with reverts("LeaseNotOwner", leaseId=lease_id, caller=roles.lessee):
        suite.sender.transact(m.functions.claim(lease_id), roles.lessee, "LM")

    owner_before, lessee_before = balance(token, new_owner), balance(token, roles.lessee)
    held = balance(token, leasing.share_token.address)
    receipt = suite.sender.transact(m.functions.claim(lease_id), new_owner, "LM")

    assert events(m, receipt, "LeaseClaimed") == [{"leaseId": lease_id, "to": new_owner, "amount": CHARGE}]
    assert events(leasing.share_token, receipt, "LeaseFundsPaid") == [{"to": new_owner, "amount": CHARGE}]
    assert balance(token, new_owner) - owner_before == CHARGE
    assert balance(token, roles.lessee) == lessee_before
    assert held - balance(token, leasing.share_token.address) == CHARGE
    assert lease_view(lease_id)["claimable"] == 0
    with reverts("LeaseNothingToClaim", leaseId=lease_id):
        suite.sender.transact(m.functions.claim(lease_id), new_owner, "LM")
