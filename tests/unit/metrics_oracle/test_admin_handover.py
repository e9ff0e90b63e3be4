"""The oracle's own admin hand-over (docs/security.md, gap 8: "tested on the registry only").

MetricsOracle is an OpenZeppelin AccessControlDefaultAdminRules, like the registry
(tests/unit/asset_registry/test_admin.py): the admin role moves in two steps with the
deployment's delay (3,600 s in the suite), is never granted directly, stays with the old
admin until the new one accepts, and only the named account can accept."""

from __future__ import annotations

import pytest

from compute_rwa.tx import contract_at
from tests.helpers import reverts
from tests.unit.metrics_oracle.conftest import events, view

ADMIN_ROLE = b"\0" * 32
DELAY = 3600  # the suite's admin_transfer_delay
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def oracle_contract(suite):
    """The suite's MetricsOracle (no signers or bonds needed: only its admin rules are used)."""
    return contract_at(suite.w3, "MetricsOracle", suite.deployment.oracle)


def _tx(suite, fn, sender):
    return suite.sender.transact(fn, sender, "MetricsOracle")


def _set_one_signer(suite, oracle, sender):
    """An admin-only call (setSigners, 1 of 1): the probe of who rules the oracle."""
    return _tx(suite, oracle.functions.setSigners([sender], 1), sender)


def test_the_deployment_names_the_admin_and_the_delay(oracle_contract, roles):
    assert view(oracle_contract, "defaultAdmin") == roles.admin
    assert view(oracle_contract, "owner") == roles.admin
    assert view(oracle_contract, "defaultAdminDelay") == DELAY
    assert view(oracle_contract, "pendingDefaultAdmin") == [ZERO, 0]


def test_admin_hand_over_takes_two_steps_and_a_delay(suite, oracle_contract, roles, warp):
    oracle, new_admin = oracle_contract, roles.outsider
    receipt = _tx(suite, oracle.functions.beginDefaultAdminTransfer(new_admin), roles.admin)
    (scheduled,) = events(oracle, receipt, "DefaultAdminTransferScheduled")
    schedule = scheduled["acceptSchedule"]
    assert scheduled["newAdmin"] == new_admin
    assert schedule == suite.w3.eth.get_block(receipt["blockNumber"])["timestamp"] + DELAY
    assert view(oracle, "pendingDefaultAdmin") == [new_admin, schedule]

    # Step two before the delay has run out: refused, naming the schedule.
    with reverts("AccessControlEnforcedDefaultAdminDelay", schedule=schedule):
        _tx(suite, oracle.functions.acceptDefaultAdminTransfer(), new_admin)
    warp(DELAY + 1)
    receipt = _tx(suite, oracle.functions.acceptDefaultAdminTransfer(), new_admin)

    assert events(oracle, receipt, "RoleRevoked") == [{"role": ADMIN_ROLE, "account": roles.admin, "sender": new_admin}]
    assert events(oracle, receipt, "RoleGranted") == [{"role": ADMIN_ROLE, "account": new_admin, "sender": new_admin}]
    assert (view(oracle, "owner"), view(oracle, "defaultAdmin")) == (new_admin, new_admin)
    assert view(oracle, "hasRole", ADMIN_ROLE, new_admin) is True
    assert view(oracle, "hasRole", ADMIN_ROLE, roles.admin) is False
    assert view(oracle, "pendingDefaultAdmin") == [ZERO, 0]


def test_admin_role_cannot_be_granted_revoked_or_renounced_directly(suite, oracle_contract, roles):
    oracle = oracle_contract
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        _tx(suite, oracle.functions.grantRole(ADMIN_ROLE, roles.outsider), roles.admin)
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        _tx(suite, oracle.functions.revokeRole(ADMIN_ROLE, roles.admin), roles.admin)
    # Renouncing is a hand-over to nobody: it needs the same two steps (none scheduled here).
    with reverts("AccessControlEnforcedDefaultAdminDelay", schedule=0):
        _tx(suite, oracle.functions.renounceRole(ADMIN_ROLE, roles.admin), roles.admin)
    assert view(oracle, "hasRole", ADMIN_ROLE, roles.outsider) is False
    assert view(oracle, "defaultAdmin") == roles.admin


def test_the_old_admin_keeps_power_until_the_new_one_accepts(suite, oracle_contract, roles, warp):
    oracle, old, new = oracle_contract, roles.admin, roles.outsider
    _tx(suite, oracle.functions.beginDefaultAdminTransfer(new), old)
    warp(DELAY + 1)
    # Scheduled and due, but not accepted: the old admin still rules, the new one not yet.
    _set_one_signer(suite, oracle, old)
    with reverts("AccessControlUnauthorizedAccount", account=new, neededRole=ADMIN_ROLE):
        _set_one_signer(suite, oracle, new)
    # So the old admin can still call the hand-over off, and the named account can no longer accept.
    _tx(suite, oracle.functions.cancelDefaultAdminTransfer(), old)
    with reverts("AccessControlInvalidDefaultAdmin", defaultAdmin=new):
        _tx(suite, oracle.functions.acceptDefaultAdminTransfer(), new)

    _tx(suite, oracle.functions.beginDefaultAdminTransfer(new), old)
    warp(DELAY + 1)
    _tx(suite, oracle.functions.acceptDefaultAdminTransfer(), new)
    with reverts("AccessControlUnauthorizedAccount", account=old, neededRole=ADMIN_ROLE):
        _set_one_signer(suite, oracle, old)
    _set_one_signer(suite, oracle, new)


def test_a_stranger_can_neither_accept_nor_begin_a_hand_over(suite, oracle_contract, roles, warp):
    oracle, new, stranger = oracle_contract, roles.outsider, roles.lessee
    with reverts("AccessControlUnauthorizedAccount", account=stranger, neededRole=ADMIN_ROLE):
        _tx(suite, oracle.functions.beginDefaultAdminTransfer(stranger), stranger)
    _tx(suite, oracle.functions.beginDefaultAdminTransfer(new), roles.admin)
    warp(DELAY + 1)
    # Due, but only the named account may take it: not a stranger, not the old admin.
    for caller in (stranger, roles.admin):
        with reverts("AccessControlInvalidDefaultAdmin", defaultAdmin=caller):
            _tx(suite, oracle.functions.acceptDefaultAdminTransfer(), caller)
    assert view(oracle, "defaultAdmin") == roles.admin
    assert view(oracle, "pendingDefaultAdmin")[0] == new


def test_the_hand_over_moves_the_admin_role_only(suite, oracle_contract, roles, warp):
    # The deployer was also made arbiter (the suite names no arbiters): accepting the admin
    # role does not take that away. The new admin must revoke it, which it can.
    oracle, old, new = oracle_contract, roles.admin, roles.outsider
    arbiter = view(oracle, "ARBITER_ROLE")
    assert view(oracle, "hasRole", arbiter, old) is True
    _tx(suite, oracle.functions.beginDefaultAdminTransfer(new), old)
    warp(DELAY + 1)
    _tx(suite, oracle.functions.acceptDefaultAdminTransfer(), new)
    assert view(oracle, "hasRole", arbiter, old) is True
    _tx(suite, oracle.functions.revokeRole(arbiter, old), new)
    assert view(oracle, "hasRole", arbiter, old) is False


def test_changing_the_delay_is_itself_delayed(suite, oracle_contract, roles):
    # Otherwise an admin could cut the delay to zero and hand over at once.
    oracle = oracle_contract
    receipt = _tx(suite, oracle.functions.changeDefaultAdminDelay(0), roles.admin)
    (scheduled,) = events(oracle, receipt, "DefaultAdminDelayChangeScheduled")
    now = suite.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    # Shrinking waits for the difference between the old and the new delay.
    assert (scheduled["newDelay"], scheduled["effectSchedule"]) == (0, now + DELAY)
    assert view(oracle, "defaultAdminDelay") == DELAY
    with reverts("AccessControlUnauthorizedAccount", account=roles.outsider, neededRole=ADMIN_ROLE):
        _tx(suite, oracle.functions.changeDefaultAdminDelay(0), roles.outsider)
