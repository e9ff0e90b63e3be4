"""AssetRegistry.setLeaseManager / leaseManager: the admin names the contract whose word share
tokens take for lease escrow; the deployment names the suite's LeaseManager."""

from __future__ import annotations

import pytest

from compute_rwa.tx import contract_at
from tests.helpers import reverts

ZERO = "0x0000000000000000000000000000000000000000"
DEFAULT_ADMIN_ROLE = b"\0" * 32


def test_deployed_registry_names_the_suite_lease_manager(suite):
    assert suite.deployment.lease_manager is not None
    assert suite.registry.functions.leaseManager().call() == suite.deployment.lease_manager
    manager = contract_at(suite.w3, "LeaseManager", suite.deployment.lease_manager)
    assert manager.functions.registry().call() == suite.registry.address


def test_set_lease_manager_updates_and_emits(suite, roles):
    registry = suite.registry
    receipt = suite.sender.transact(registry.functions.setLeaseManager(roles.outsider), roles.admin, "R")
    (event,) = registry.events.LeaseManagerUpdated().process_receipt(receipt)
    assert dict(event["args"]) == {"previousManager": suite.deployment.lease_manager, "newManager": roles.outsider}
    assert registry.functions.leaseManager().call() == roles.outsider


def test_set_lease_manager_to_zero_unsets_it(suite, roles):
    registry = suite.registry
    receipt = suite.sender.transact(registry.functions.setLeaseManager(ZERO), roles.admin, "R")
    (event,) = registry.events.LeaseManagerUpdated().process_receipt(receipt)
    assert dict(event["args"]) == {"previousManager": suite.deployment.lease_manager, "newManager": ZERO}
    assert registry.functions.leaseManager().call() == ZERO


def test_set_lease_manager_back_and_forth_reports_each_previous(suite, roles):
    registry = suite.registry
    suite.sender.transact(registry.functions.setLeaseManager(roles.outsider), roles.admin, "R")
    receipt = suite.sender.transact(
        registry.functions.setLeaseManager(suite.deployment.lease_manager), roles.admin, "R"
    )
    (event,) = registry.events.LeaseManagerUpdated().process_receipt(receipt)
    assert dict(event["args"]) == {"previousManager": roles.outsider, "newManager": suite.deployment.lease_manager}
    assert registry.functions.leaseManager().call() == suite.deployment.lease_manager


@pytest.mark.parametrize("caller", ["operator", "compliance", "pauser", "treasury", "outsider", "lessee"])
def test_set_lease_manager_reverts_for_non_admin(suite, roles, caller):
    account = getattr(roles, caller)
    with reverts("AccessControlUnauthorizedAccount", account=account, neededRole=DEFAULT_ADMIN_ROLE):
        suite.sender.transact(suite.registry.functions.setLeaseManager(account), account, "R")
    assert suite.registry.functions.leaseManager().call() == suite.deployment.lease_manager


def test_set_lease_manager_reverts_for_the_lease_manager_itself(suite, w3):
    """The manager holds no admin role: it cannot hand its place on (impersonated here)."""
    manager = suite.deployment.lease_manager
    w3.provider.make_request("anvil_impersonateAccount", [manager])
    w3.provider.make_request("anvil_setBalance", [manager, hex(10**18)])
    try:
        with reverts("AccessControlUnauthorizedAccount", account=manager, neededRole=DEFAULT_ADMIN_ROLE):
            suite.sender.transact(suite.registry.functions.setLeaseManager(ZERO), manager, "R")
    finally:
        w3.provider.make_request("anvil_stopImpersonatingAccount", [manager])
