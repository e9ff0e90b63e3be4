"""MetricsOracle.reportStatus, the one read settlement makes: Missing (never reported, or
rotated out of the 168-epoch ring), Voided, Disputable, Challenged and Final, with the uptime
(zero unless held and not voided), the acceptance time and the end of the dispute window."""

from __future__ import annotations

import pytest

from tests.helpers import b32, reverts
from tests.unit.lease_manager.conftest import DAY
from tests.unit.lease_settlement.support import (
    CHALLENGED,
    DISPUTABLE,
    FINAL,
    MISSING,
    RESOLUTION_TIMEOUT,
    VOIDED,
    report_status,
)
from tests.unit.metrics_oracle.conftest import make_report, submit_batch

RING = 168


@pytest.fixture
def asset_id(oracle, asset, roles) -> int:
    oracle.sync_assets([asset], roles.outsider)
    return asset


@pytest.fixture
def epoch(oracle) -> int:
    """An ended epoch old enough that epoch + RING has ended too."""
    last = oracle.last_ended_epoch()
    assert last is not None and last > RING + 10
    return last - RING - 10


@pytest.fixture
def submit(oracle, oracle_setup, roles, w3):
    """submit(asset, epoch, uptime): one report, 3 of 5 signers; returns its acceptance time."""

    def run(asset_id: int, epoch: int, uptime: int = 9_700) -> int:
        receipt = submit_batch(
            oracle, [make_report(asset_id, epoch, uptime_bps=uptime)], oracle_setup.keys[:3], roles.outsider
        )
        return int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])

    return run


def _mine_at(w3, timestamp: int) -> int:
    """Mines one block at exactly `timestamp`; returns its number."""
    w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])
    w3.provider.make_request("evm_mine", [])
    block = w3.eth.get_block("latest")
    assert int(block["timestamp"]) == timestamp
    return int(block["number"])


def test_never_reported_epoch_is_missing(oracle, asset_id, epoch, submit):
    assert report_status(oracle, asset_id, epoch) == (MISSING, 0, 0, 0)
    submit(asset_id, epoch)
    assert report_status(oracle, asset_id, epoch + 1) == (MISSING, 0, 0, 0)
    assert report_status(oracle, asset_id + 1, epoch) == (MISSING, 0, 0, 0)  # another asset


def test_fresh_report_is_disputable_until_its_window_closes(oracle, asset_id, epoch, submit, w3):
    updated_at = submit(asset_id, epoch, 9_700)
    final_at = updated_at + DAY
    assert report_status(oracle, asset_id, epoch) == (DISPUTABLE, 9_700, updated_at, final_at)
    at_close = _mine_at(w3, final_at)
    assert report_status(oracle, asset_id, epoch, at_close) == (DISPUTABLE, 9_700, updated_at, final_at)
    after = _mine_at(w3, final_at + 1)
    assert report_status(oracle, asset_id, epoch, after) == (FINAL, 9_700, updated_at, final_at)


def test_zero_uptime_report_is_held_not_missing(oracle, asset_id, epoch, submit, w3):
    updated_at = submit(asset_id, epoch, 0)
    _mine_at(w3, updated_at + DAY + 1)
    assert report_status(oracle, asset_id, epoch) == (FINAL, 0, updated_at, updated_at + DAY)


def test_challenged_report_keeps_its_uptime(oracle, asset_id, epoch, submit, challenger, w3):
    updated_at = submit(asset_id, epoch, 9_700)
    oracle.challenge(asset_id, epoch, challenger)
    assert report_status(oracle, asset_id, epoch) == (CHALLENGED, 9_700, updated_at, updated_at + DAY)
    _mine_at(w3, updated_at + 3 * DAY)  # past the window: still challenged, never final by itself
    assert report_status(oracle, asset_id, epoch) == (CHALLENGED, 9_700, updated_at, updated_at + DAY)


def test_voided_report_has_no_uptime(oracle, asset_id, epoch, submit, challenger, roles, w3):
    updated_at = submit(asset_id, epoch, 9_700)
    oracle.challenge(asset_id, epoch, challenger)
    oracle.resolve(asset_id, epoch, True, roles.admin)
    assert report_status(oracle, asset_id, epoch) == (VOIDED, 0, updated_at, updated_at + DAY)
    _mine_at(w3, updated_at + 2 * DAY)
    assert report_status(oracle, asset_id, epoch) == (VOIDED, 0, updated_at, updated_at + DAY)


def test_rejected_challenge_returns_the_report_to_its_window(oracle, asset_id, epoch, submit, challenger, roles, w3):
    updated_at = submit(asset_id, epoch, 9_700)
    oracle.challenge(asset_id, epoch, challenger)
    oracle.resolve(asset_id, epoch, False, roles.admin)
    assert report_status(oracle, asset_id, epoch) == (DISPUTABLE, 9_700, updated_at, updated_at + DAY)
    _mine_at(w3, updated_at + DAY + 1)
    assert report_status(oracle, asset_id, epoch) == (FINAL, 9_700, updated_at, updated_at + DAY)


def test_expired_challenge_leaves_a_final_report(oracle, asset_id, epoch, submit, challenger, roles, suite, w3):
    updated_at = submit(asset_id, epoch, 9_700)
    receipt = oracle.challenge(asset_id, epoch, challenger)
    opened_at = int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    _mine_at(w3, opened_at + RESOLUTION_TIMEOUT + 1)
    assert report_status(oracle, asset_id, epoch)[0] == CHALLENGED
    suite.sender.transact(oracle.contract.functions.expireChallenge(asset_id, epoch), roles.outsider, "Oracle")
    assert report_status(oracle, asset_id, epoch) == (FINAL, 9_700, updated_at, updated_at + DAY)


def test_epoch_rotated_out_of_the_ring_is_missing(oracle, asset_id, epoch, submit):
    assert oracle.ring_size == RING
    submit(asset_id, epoch, 9_700)
    updated_at = submit(asset_id, epoch + RING, 8_000)  # same ring slot
    assert report_status(oracle, asset_id, epoch) == (MISSING, 0, 0, 0)
    assert report_status(oracle, asset_id, epoch + RING) == (DISPUTABLE, 8_000, updated_at, updated_at + DAY)


def test_voided_epoch_rotated_out_is_missing(oracle, asset_id, epoch, submit, challenger, roles):
    submit(asset_id, epoch, 9_700)
    oracle.challenge(asset_id, epoch, challenger)
    oracle.resolve(asset_id, epoch, True, roles.admin)
    updated_at = submit(asset_id, epoch + RING, 8_000)
    assert report_status(oracle, asset_id, epoch) == (MISSING, 0, 0, 0)
    assert report_status(oracle, asset_id, epoch + RING) == (DISPUTABLE, 8_000, updated_at, updated_at + DAY)


def test_final_report_stays_final_because_the_window_cannot_grow(
    oracle, asset_id, epoch, submit, challenger, suite, roles, w3
):
    """`Final` promises a report can never be voided, and settlement relies on it. The oracle
    derives finalAt and the challenge deadline from the window in force now, so it refuses to
    lengthen the window (a longer one would reopen reports already final)."""
    updated_at = submit(asset_id, epoch, 9_700)
    _mine_at(w3, updated_at + DAY + 1)
    assert report_status(oracle, asset_id, epoch)[0] == FINAL
    _, timeout, bond, slash, min_bond = oracle.contract.functions.disputeParams().call()
    with reverts("OracleInvalidDisputeParams", field=b32("disputeWindow"), value=30 * DAY):
        suite.sender.transact(
            oracle.contract.functions.setDisputeParams(30 * DAY, timeout, bond, slash, min_bond), roles.admin, "Oracle"
        )
    assert report_status(oracle, asset_id, epoch) == (FINAL, 9_700, updated_at, updated_at + DAY)
    with reverts("OracleChallengeWindowClosed", assetId=asset_id, epoch=epoch, closedAt=updated_at + DAY):
        oracle.challenge(asset_id, epoch, challenger)
