"""Challenges: the window, the challenge bond, locks on the signers' bonds, and the three ends:
upheld (report void, signers slashed, challenger paid), rejected (bond shared among the
signers), expired (arbiter silent past the timeout: everything returned)."""

from __future__ import annotations

import pytest

from tests.helpers import b32, reverts
from tests.unit.metrics_oracle.conftest import (
    BOND,
    CHALLENGE_BOND,
    DISPUTE_WINDOW,
    MIN_BOND,
    RESOLUTION_TIMEOUT,
    SLASH,
    events,
    make_report,
    view,
)

OPEN, UPHELD, REJECTED, EXPIRED = 1, 2, 3, 4


def _balance(suite, account):
    return suite.payment_token.functions.balanceOf(account).call()


@pytest.fixture
def challenged(oracle, synced, keys, submit, challenger):
    """Epoch 10 of `synced`, signed by keys 1, 3, 4 and challenged by `challenger`."""
    submit([make_report(synced, 10)], [keys[1], keys[3], keys[4]])
    oracle.challenge(synced, 10, challenger)
    return synced, 10


def test_challenge_posts_the_bond_and_locks_the_signers(oracle, suite, synced, keys, submit, challenger, w3):
    submit([make_report(synced, 10)], [keys[1], keys[3], keys[4]])
    before = (_balance(suite, challenger), _balance(suite, oracle.address))
    receipt = oracle.challenge(synced, 10, challenger)

    opened_at = w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert events(oracle.contract, receipt, "ReportChallenged") == [
        {"assetId": synced, "epoch": 10, "challenger": challenger, "bond": CHALLENGE_BOND}
    ]
    assert (_balance(suite, challenger), _balance(suite, oracle.address)) == (
        before[0] - CHALLENGE_BOND,
        before[1] + CHALLENGE_BOND,
    )
    assert view(oracle.contract, "challengeOf", synced, 10) == [challenger, opened_at, OPEN, CHALLENGE_BOND]
    assert [oracle.bond_of(k.address)[1] for k in keys] == [0, SLASH, 0, SLASH, SLASH]


def test_the_window_closes_one_dispute_window_after_acceptance(oracle, synced, submit, challenger, warp):
    submit([make_report(synced, 10), make_report(synced, 11)])
    closes_at = oracle.report(synced, 10).updated_at + DISPUTE_WINDOW
    warp(closes_at - oracle.chain_time() - 60)
    oracle.challenge(synced, 10, challenger)  # still open
    warp(61)
    with reverts("OracleChallengeWindowClosed", assetId=synced, epoch=11, closedAt=closes_at):
        oracle.challenge(synced, 11, challenger)


def test_challenge_refusals(oracle, synced, roles, challenged, challenger, submit):
    with reverts("OracleAlreadyChallenged", assetId=synced, epoch=10):
        oracle.challenge(synced, 10, challenger)
    with reverts("OracleReportNotFound", assetId=synced, epoch=11):
        oracle.challenge(synced, 11, challenger)
    with reverts("OracleNoOpenChallenge", assetId=synced, epoch=11):
        oracle.resolve(synced, 11, True, roles.admin)
    with reverts("OracleNoOpenChallenge", assetId=synced, epoch=11):
        oracle.sender.transact(oracle.contract.functions.expireChallenge(synced, 11), roles.outsider, "O")
    # Without an allowance, the bond cannot be pulled.
    submit([make_report(synced, 12)])
    with reverts("ERC20InsufficientAllowance", spender=oracle.address, allowance=0, needed=CHALLENGE_BOND):
        oracle.challenge(synced, 12, roles.outsider)


def test_upheld_voids_the_report_slashes_and_pays_the_challenger(oracle, suite, roles, keys, challenged, challenger):
    asset_id, epoch = challenged
    before = _balance(suite, challenger)
    receipt = oracle.resolve(asset_id, epoch, True, roles.admin)

    slashed = [keys[1].address, keys[3].address, keys[4].address]
    assert events(oracle.contract, receipt, "SignerSlashed") == [
        {"signer": s, "assetId": asset_id, "epoch": epoch, "amount": SLASH} for s in slashed
    ]
    payout = 3 * SLASH + CHALLENGE_BOND
    assert events(oracle.contract, receipt, "ChallengeResolved") == [
        {"assetId": asset_id, "epoch": epoch, "upheld": True, "payout": payout}
    ]
    assert _balance(suite, challenger) == before + payout
    assert [oracle.bond_of(k.address)[:2] for k in keys] == [
        (BOND, 0),
        (BOND - SLASH, 0),
        (BOND, 0),
        (BOND - SLASH, 0),
        (BOND - SLASH, 0),
    ]
    assert view(oracle.contract, "challengeOf", asset_id, epoch)[2] == UPHELD
    assert oracle.report(asset_id, epoch).voided is True
    with reverts("OracleReportVoided", assetId=asset_id, epoch=epoch):
        view(oracle.contract, "latestReportChecked", asset_id, 10**9)
    with reverts("OracleAlreadyChallenged", assetId=asset_id, epoch=epoch):
        oracle.challenge(asset_id, epoch, challenger)
    with reverts("OracleNoOpenChallenge", assetId=asset_id, epoch=epoch):
        oracle.resolve(asset_id, epoch, False, roles.admin)


def test_rejected_shares_the_challenge_bond_among_the_signers(oracle, suite, roles, keys, challenged, challenger):
    asset_id, epoch = challenged
    before = _balance(suite, challenger)
    receipt = oracle.resolve(asset_id, epoch, False, roles.admin)

    # 100 dUSD over three signers: the first in configuration order takes the odd unit.
    share = CHALLENGE_BOND // 3
    credited = [(keys[1], share + 1), (keys[3], share), (keys[4], share)]
    assert events(oracle.contract, receipt, "BondDeposited") == [
        {"signer": k.address, "amount": amount, "bond": BOND + amount} for k, amount in credited
    ]
    assert events(oracle.contract, receipt, "ChallengeResolved") == [
        {"assetId": asset_id, "epoch": epoch, "upheld": False, "payout": CHALLENGE_BOND}
    ]
    assert events(oracle.contract, receipt, "SignerSlashed") == []
    assert _balance(suite, challenger) == before
    assert [oracle.bond_of(k.address)[:2] for k in keys] == [
        (BOND, 0),
        (BOND + share + 1, 0),
        (BOND, 0),
        (BOND + share, 0),
        (BOND + share, 0),
    ]
    assert view(oracle.contract, "challengeOf", asset_id, epoch)[2] == REJECTED
    assert oracle.report(asset_id, epoch).voided is False
    with reverts("OracleAlreadyChallenged", assetId=asset_id, epoch=epoch):  # one challenge per report
        oracle.challenge(asset_id, epoch, challenger)


def test_an_unanswered_challenge_expires_after_the_timeout(oracle, suite, roles, keys, challenged, challenger, warp):
    asset_id, epoch = challenged
    opened_at = view(oracle.contract, "challengeOf", asset_id, epoch)[1]
    expires_at = opened_at + RESOLUTION_TIMEOUT
    expire = oracle.contract.functions.expireChallenge(asset_id, epoch)
    warp(expires_at - oracle.chain_time() - 60)
    with reverts("OracleChallengeNotExpired", assetId=asset_id, epoch=epoch, expiresAt=expires_at):
        oracle.sender.transact(expire, roles.outsider, "O")

    warp(61)
    before = _balance(suite, challenger)
    receipt = oracle.sender.transact(expire, roles.outsider, "O")  # anyone may close it
    assert events(oracle.contract, receipt, "ChallengeExpired") == [
        {"assetId": asset_id, "epoch": epoch, "challenger": challenger}
    ]
    assert _balance(suite, challenger) == before + CHALLENGE_BOND
    assert [oracle.bond_of(k.address)[:2] for k in keys] == [(BOND, 0)] * 5
    assert view(oracle.contract, "challengeOf", asset_id, epoch)[2] == EXPIRED
    assert oracle.report(asset_id, epoch).voided is False
    with reverts("OracleNoOpenChallenge", assetId=asset_id, epoch=epoch):
        oracle.resolve(asset_id, epoch, True, roles.admin)
    with reverts("OracleNoOpenChallenge", assetId=asset_id, epoch=epoch):
        oracle.sender.transact(expire, roles.outsider, "O")


def test_the_arbiter_may_still_resolve_after_the_timeout(oracle, roles, challenged, warp):
    asset_id, epoch = challenged
    warp(RESOLUTION_TIMEOUT + 1)
    oracle.resolve(asset_id, epoch, True, roles.admin)
    assert oracle.report(asset_id, epoch).voided is True


def test_dispute_params(oracle, roles):
    def set_params(*params):
        return oracle.sender.transact(oracle.contract.functions.setDisputeParams(*params), roles.admin, "O")

    with reverts("OracleInvalidDisputeParams", field=b32("disputeWindow"), value=DISPUTE_WINDOW + 1):
        set_params(DISPUTE_WINDOW + 1, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, MIN_BOND)  # may not grow
    good = [DISPUTE_WINDOW // 2, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, MIN_BOND]
    receipt = set_params(*good)
    (updated,) = events(oracle.contract, receipt, "DisputeParamsUpdated")
    assert list(updated.values()) == good
    assert view(oracle.contract, "disputeParams") == good
    for index, field in enumerate(("disputeWindow", "resolutionTimeout", "challengeBond", "slashAmount")):
        params = list(good)
        params[index] = 0
        with reverts("OracleInvalidDisputeParams", field=b32(field), value=0):
            set_params(*params)
    with reverts("OracleInvalidDisputeParams", field=b32("minSignerBond"), value=SLASH - 1):
        set_params(DISPUTE_WINDOW // 2, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, SLASH - 1)
    set_params(DISPUTE_WINDOW // 2, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, SLASH)  # equal is fine
