"""setSigners: the configuration rules, the version every signature is bound to, and what
happens to the signers a new configuration leaves out."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak

from tests.helpers import b32, reverts
from tests.unit.metrics_oracle.conftest import DISPUTE_WINDOW, MIN_BOND, events, make_report, view

ZERO = "0x" + "00" * 20


def _addresses(n: int) -> list[str]:
    return [Account.from_key(keccak(text=f"config-{i}")).address for i in range(n)]


def _invalid(oracle, roles, signers, threshold, reason, value):
    with reverts("OracleInvalidSignerConfig", reason=b32(reason), value=value):
        oracle.set_signers(signers, threshold, roles.admin)


def test_signer_count_must_be_between_one_and_sixteen(oracle, roles):
    _invalid(oracle, roles, [], 1, "signerCount", 0)
    _invalid(oracle, roles, _addresses(17), 9, "signerCount", 17)


@pytest.mark.parametrize(
    ("count", "threshold"),
    [(5, 0), (5, 2), (4, 2), (2, 1), (1, 0), (5, 6), (1, 2), (16, 255)],
)
def test_threshold_must_be_a_majority_no_larger_than_the_set(oracle, roles, count, threshold):
    # A quorum above the number of signers could never be met (duplicates are refused).
    _invalid(oracle, roles, _addresses(count), threshold, "threshold", threshold)


def test_zero_and_duplicate_signers_are_refused(oracle, roles, oracle_setup):
    signers = _addresses(4)
    _invalid(oracle, roles, [*signers[:2], ZERO, signers[2]], 3, "zeroSigner", 2)
    _invalid(oracle, roles, [*signers, signers[1]], 3, "duplicateSigner", int(signers[1], 16))
    # A current signer named twice as well (the old configuration is cleared first).
    current = [k.address for k in oracle_setup.keys]
    _invalid(oracle, roles, [current[0], current[0]], 2, "duplicateSigner", int(current[0], 16))
    assert oracle.signer_config().version == 1


@pytest.mark.parametrize(("count", "threshold"), [(1, 1), (2, 2), (3, 2), (16, 9), (16, 16)])
def test_valid_extremes_are_accepted(oracle, roles, count, threshold):
    signers = _addresses(count)
    oracle.set_signers(signers, threshold, roles.admin)
    config = oracle.signer_config()
    assert (config.version, config.threshold, list(config.signers)) == (2, threshold, signers)


def test_set_signers_bumps_the_version_that_reports_are_signed_for(oracle, roles, keys, synced, submit):
    old = [k.address for k in keys]
    new_keys = [keys[4], keys[3], keys[2], keys[1]]  # another order, keys[0] left out
    receipt = oracle.set_signers([k.address for k in new_keys], 3, roles.admin)

    assert events(oracle.contract, receipt, "SignersUpdated") == [
        {"version": 2, "signers": [k.address for k in new_keys], "threshold": 3}
    ]
    assert oracle.signer_config().version == 2
    assert view(oracle.contract, "signersOf", 1) == old
    assert view(oracle.contract, "signersOf", 2) == [k.address for k in new_keys]
    assert view(oracle.contract, "signersOf", 3) == []
    assert oracle.domain().config_version == 2

    # Bit positions follow the new order: keys[4] is position 0 now.
    submit([make_report(synced, 20)], [keys[4], keys[2], keys[1]])
    held = oracle.report(synced, 20)
    assert (held.config_version, held.signers) == (2, 0b1101)
    with reverts("OracleUnknownSigner", signer=keys[0].address):
        submit([make_report(synced, 21)], [keys[0], keys[1], keys[2]])


def test_left_out_signers_unlock_one_dispute_window_after_the_change(oracle, roles, keys, w3):
    for key in keys:
        assert oracle.bond_of(key.address)[2] == 0
    receipt = oracle.set_signers([k.address for k in keys[:3]], 2, roles.admin)
    changed_at = w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    for key in keys:
        # Every previous signer is stamped; for the ones kept it never matters while active.
        assert oracle.bond_of(key.address)[2] == changed_at + DISPUTE_WINDOW


def test_a_new_signer_without_bond_does_not_count(oracle, roles, keys, synced, submit):
    fresh = Account.from_key(keccak(text="unbonded-signer"))
    oracle.set_signers([fresh.address, *(k.address for k in keys[:4])], 3, roles.admin)
    with reverts("OracleSignerBondTooLow", signer=fresh.address, bond=0, minBond=MIN_BOND):
        submit([make_report(synced, 30)], [fresh, keys[0], keys[1]])
    submit([make_report(synced, 30)], [keys[0], keys[1], keys[2]])
    assert oracle.report(synced, 30).signers == 0b01110

    oracle.deposit_bond(fresh.address, MIN_BOND, roles.admin)  # exactly the minimum counts
    submit([make_report(synced, 31)], [fresh, keys[0], keys[1]])
    assert oracle.report(synced, 31).signers == 0b00111


def test_a_removed_signer_can_be_configured_again(oracle, roles, keys, synced, submit):
    oracle.set_signers([k.address for k in keys[1:]], 3, roles.admin)
    oracle.set_signers([k.address for k in keys], 3, roles.admin)
    assert oracle.signer_config().version == 3
    submit([make_report(synced, 40)], keys[:3])
    assert oracle.report(synced, 40).config_version == 3
