"""Signer bonds: deposits, what each kind of account may withdraw, and the bonded mask: a signer
whose bond falls below the minimum (slashed, or the minimum raised) stops counting."""

from __future__ import annotations

from compute_rwa.oracle.reports import pack_reports
from compute_rwa.tx import guard
from tests.helpers import b32, reverts
from tests.unit.metrics_oracle.conftest import (
    BOND,
    CHALLENGE_BOND,
    DAY,
    DISPUTE_WINDOW,
    MIN_BOND,
    RESOLUTION_TIMEOUT,
    SLASH,
    events,
    make_report,
    sign,
)

ZERO = "0x" + "00" * 20


def _balance(suite, account):
    return suite.payment_token.functions.balanceOf(account).call()


def test_anyone_may_fund_a_bond(oracle, suite, challenger, keys):
    before = _balance(suite, oracle.address)
    receipt = oracle.deposit_bond(keys[0].address, 250, challenger)
    assert events(oracle.contract, receipt, "BondDeposited") == [
        {"signer": keys[0].address, "amount": 250, "bond": BOND + 250}
    ]
    assert oracle.bond_of(keys[0].address) == (BOND + 250, 0, 0)
    assert _balance(suite, oracle.address) == before + 250


def test_deposit_refuses_zero_values(oracle, roles, keys):
    with reverts("OracleZeroValue", field=b32("signer")):
        oracle.deposit_bond(ZERO, 1, roles.admin)
    with reverts("OracleZeroValue", field=b32("amount")):
        oracle.deposit_bond(keys[0].address, 0, roles.admin)


def test_an_active_signer_keeps_the_minimum(oracle, suite, roles, keys):
    signer, free = keys[0], BOND - MIN_BOND
    with reverts("OracleBondLocked", signer=signer.address, requested=free + 1, withdrawable=free):
        oracle.withdraw_bond(free + 1, roles.treasury, signer)
    receipt = oracle.withdraw_bond(BOND - MIN_BOND, roles.treasury, signer)
    assert events(oracle.contract, receipt, "BondWithdrawn") == [
        {"signer": signer.address, "to": roles.treasury, "amount": BOND - MIN_BOND, "bond": MIN_BOND}
    ]
    assert _balance(suite, roles.treasury) == BOND - MIN_BOND
    with reverts("OracleBondLocked", signer=signer.address, requested=1, withdrawable=0):
        oracle.withdraw_bond(1, roles.treasury, signer)


def test_withdraw_refuses_zero_values(oracle, roles, keys):
    with reverts("OracleZeroValue", field=b32("amount")):
        oracle.withdraw_bond(0, roles.treasury, keys[0])
    with reverts("OracleZeroValue", field=b32("to")):
        oracle.withdraw_bond(1, ZERO, keys[0])


def test_a_never_configured_bond_is_free(oracle, oracle_setup, suite, roles, keys):
    outsider = oracle_setup.outsiders[0]
    oracle.withdraw_bond(BOND, roles.treasury, outsider)
    assert oracle.bond_of(outsider.address) == (0, 0, 0)
    assert _balance(suite, roles.treasury) == BOND
    with reverts("OracleBondLocked", signer=outsider.address, requested=1, withdrawable=0):
        oracle.withdraw_bond(1, roles.treasury, outsider)


def test_a_removed_signer_waits_one_dispute_window(oracle, roles, keys, warp):
    leaver = keys[4]
    oracle.set_signers([k.address for k in keys[:4]], 3, roles.admin)
    unlocks_at = oracle.bond_of(leaver.address)[2]
    with reverts("OracleBondLocked", signer=leaver.address, requested=1, withdrawable=0):
        oracle.withdraw_bond(1, roles.treasury, leaver)
    warp(unlocks_at - oracle.chain_time() - 60)
    with reverts("OracleBondLocked", signer=leaver.address, requested=1, withdrawable=0):
        oracle.withdraw_bond(1, roles.treasury, leaver)
    warp(61)  # past exitUnlocksAt
    oracle.withdraw_bond(BOND, roles.treasury, leaver)  # all of it: no minimum once out
    assert oracle.bond_of(leaver.address)[0] == 0


def test_locked_bond_stays_through_removal_and_is_slashed(oracle, roles, keys, synced, submit, challenger, warp):
    leaver = keys[4]
    submit([make_report(synced, 10)], keys[2:])
    oracle.challenge(synced, 10, challenger)
    oracle.set_signers([k.address for k in keys[:4]], 3, roles.admin)
    warp(DISPUTE_WINDOW + 1)
    assert oracle.bond_of(leaver.address)[:2] == (BOND, SLASH)
    with reverts("OracleBondLocked", signer=leaver.address, requested=BOND - SLASH + 1, withdrawable=BOND - SLASH):
        oracle.withdraw_bond(BOND - SLASH + 1, roles.treasury, leaver)
    oracle.withdraw_bond(BOND - SLASH, roles.treasury, leaver)

    oracle.resolve(synced, 10, True, roles.admin)  # the departed signer still pays
    assert oracle.bond_of(leaver.address)[:2] == (0, 0)


def test_locks_above_the_minimum_hold_an_active_bond(oracle, roles, keys, synced, submit, challenger):
    submit([make_report(synced, e) for e in (10, 11, 12)])
    for e in (10, 11, 12):
        oracle.challenge(synced, e, challenger)
    assert oracle.bond_of(keys[0].address)[:2] == (BOND, 3 * SLASH)
    free = BOND - 3 * SLASH
    with reverts("OracleBondLocked", signer=keys[0].address, requested=free + 1, withdrawable=free):
        oracle.withdraw_bond(free + 1, roles.treasury, keys[0])
    # A fourth challenge can only lock what is left free.
    submit([make_report(synced, 13)])
    oracle.challenge(synced, 13, challenger)
    assert oracle.bond_of(keys[0].address)[:2] == (BOND, BOND)
    with reverts("OracleBondLocked", signer=keys[0].address, requested=1, withdrawable=0):
        oracle.withdraw_bond(1, roles.treasury, keys[0])


def test_a_slashed_signer_stops_counting_until_it_tops_up(oracle, roles, keys, synced, submit, void):
    oracle.withdraw_bond(BOND - MIN_BOND, roles.treasury, keys[0])
    submit([make_report(synced, 10)], keys[:3])  # exactly the minimum still counts
    void(synced, 10)
    assert oracle.bond_of(keys[0].address)[0] == MIN_BOND - SLASH

    with reverts("OracleSignerBondTooLow", signer=keys[0].address, bond=MIN_BOND - SLASH, minBond=MIN_BOND):
        submit([make_report(synced, 11)], keys[:3])
    submit([make_report(synced, 11)], keys[1:4])  # the others (1,500 left each) still count

    oracle.deposit_bond(keys[0].address, SLASH - 1, roles.admin)
    with reverts("OracleSignerBondTooLow", signer=keys[0].address, bond=MIN_BOND - 1, minBond=MIN_BOND):
        submit([make_report(synced, 12)], keys[:3])
    oracle.deposit_bond(keys[0].address, 1, roles.admin)
    submit([make_report(synced, 12)], keys[:3])
    assert oracle.report(synced, 12).signers == 0b111


def test_raising_the_minimum_drops_signers_below_it(oracle, roles, keys, synced, submit):
    raised = BOND + 1
    oracle.sender.transact(
        oracle.contract.functions.setDisputeParams(DAY, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, raised),
        roles.admin,
        "O",
    )
    with reverts("OracleSignerBondTooLow", signer=keys[2].address, bond=BOND, minBond=raised):
        submit([make_report(synced, 10)], [keys[2], keys[0], keys[1]])
    for key in keys[:3]:
        oracle.deposit_bond(key.address, 1, roles.admin)
    submit([make_report(synced, 10)], keys[:3])
    with reverts("OracleSignerBondTooLow", signer=keys[3].address, bond=BOND, minBond=raised):
        submit([make_report(synced, 11)], keys[1:4])

    # Lowering it again brings everyone back at once.
    oracle.sender.transact(
        oracle.contract.functions.setDisputeParams(DAY, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, MIN_BOND),
        roles.admin,
        "O",
    )
    submit([make_report(synced, 11)], keys[2:])


def test_bonds_must_arrive_whole(suite, roles, tokens, keys):
    fot = tokens.fee_on_transfer  # burns 1% of every transfer
    genesis = suite.w3.eth.get_block("latest")["timestamp"] - DAY
    oracle = suite.sender.deploy(
        "MetricsOracle",
        roles.admin,
        roles.admin,
        3600,
        suite.registry.address,
        fot.address,
        3600,
        genesis,
        (DAY, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, MIN_BOND),
    )
    suite.sender.transact(fot.functions.mint(roles.admin, MIN_BOND), roles.admin, "T")
    suite.sender.transact(fot.functions.approve(oracle.address, MIN_BOND), roles.admin, "T")
    with reverts("OracleBondTransferShortfall", expected=MIN_BOND, received=MIN_BOND * 99 // 100):
        suite.sender.transact(oracle.functions.depositBond(keys[0].address, MIN_BOND), roles.admin, "O")


def test_a_leaving_signer_cannot_withdraw_in_the_last_second_of_a_challenge_window(
    oracle, oracle_setup, roles, keys, synced, challenger, w3
):
    # A report accepted in the same block that removes one of its signers: the report can be
    # challenged up to and including T + window, so the bond must stay until after that second.
    leaver = keys[4]
    data = pack_reports([make_report(synced, 10)])
    signatures = sign(oracle, data, keys[2:])
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        oracle.contract.functions.submitReports(data, signatures).transact({"from": roles.outsider, "gas": 10**6})
        oracle.contract.functions.setSigners([k.address for k in keys[:4]], 3).transact(
            {"from": roles.admin, "gas": 10**6}
        )
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    accepted_at = oracle.report(synced, 10).updated_at
    assert oracle.bond_of(leaver.address)[2] == accepted_at + DISPUTE_WINDOW

    w3.provider.make_request("evm_mine", [accepted_at + DISPUTE_WINDOW])  # the window's last second
    withdraw = oracle.contract.functions.withdrawBond(BOND, roles.treasury)
    challenge = oracle.contract.functions.challenge(synced, 10)
    guard("O", "challenge", lambda: challenge.call({"from": challenger}))  # still challengeable
    with reverts("OracleBondLocked", signer=leaver.address, requested=BOND, withdrawable=0):
        guard("O", "withdrawBond", lambda: withdraw.call({"from": leaver.address}))

    w3.provider.make_request("evm_mine", [accepted_at + DISPUTE_WINDOW + 1])
    with reverts("OracleChallengeWindowClosed", assetId=synced, epoch=10, closedAt=accepted_at + DISPUTE_WINDOW):
        guard("O", "challenge", lambda: challenge.call({"from": challenger}))
    guard("O", "withdrawBond", lambda: withdraw.call({"from": leaver.address}))
