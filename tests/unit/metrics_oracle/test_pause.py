"""setPaused stops report submission and new challenges; bonds and open disputes keep moving."""

from __future__ import annotations

from tests.helpers import reverts
from tests.unit.metrics_oracle.conftest import BOND, MIN_BOND, RESOLUTION_TIMEOUT, events, make_report, view


def _pause(oracle, roles, paused=True):
    return oracle.sender.transact(oracle.contract.functions.setPaused(paused), roles.pauser, "O")


def test_pause_and_resume(oracle, roles):
    receipt = _pause(oracle, roles)
    assert events(oracle.contract, receipt, "SubmissionsPaused") == [{"by": roles.pauser, "paused": True}]
    assert view(oracle.contract, "paused") is True
    receipt = _pause(oracle, roles, False)
    assert events(oracle.contract, receipt, "SubmissionsPaused") == [{"by": roles.pauser, "paused": False}]
    assert view(oracle.contract, "paused") is False


def test_pause_stops_submissions_and_challenges(oracle, roles, synced, submit, challenger):
    submit([make_report(synced, 10)])
    _pause(oracle, roles)
    with reverts("OraclePaused"):
        submit([make_report(synced, 11)])
    with reverts("OraclePaused"):
        oracle.challenge(synced, 10, challenger)

    _pause(oracle, roles, False)
    submit([make_report(synced, 11)])
    oracle.challenge(synced, 10, challenger)
    assert oracle.latest_epoch(synced) == 11


def test_bonds_and_open_challenges_keep_working_while_paused(oracle, roles, keys, synced, submit, challenger, warp):
    submit([make_report(synced, e) for e in (10, 11)])
    oracle.challenge(synced, 10, challenger)
    oracle.challenge(synced, 11, challenger)
    _pause(oracle, roles)

    oracle.withdraw_bond(BOND - MIN_BOND, roles.treasury, keys[3])
    oracle.deposit_bond(keys[3].address, 5, roles.admin)
    assert oracle.bond_of(keys[3].address)[0] == MIN_BOND + 5
    oracle.resolve(synced, 10, True, roles.admin)
    assert oracle.report(synced, 10).voided is True
    warp(RESOLUTION_TIMEOUT + 1)
    oracle.sender.transact(oracle.contract.functions.expireChallenge(synced, 11), roles.outsider, "O")
    assert view(oracle.contract, "challengeOf", synced, 11)[2] == 4
