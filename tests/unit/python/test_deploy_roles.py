"""Who holds which role after `deploy_suite` (docs/security.md section 6: "The deployer holds
every role after `deploy`; grant them to their real holders", deployer-guide.md).

Roles live on two contracts only, the registry and the oracle (every other contract asks the
registry). With a default plan the deployer holds each of them, and nobody else holds any:
the holders are rebuilt from the RoleGranted and RoleRevoked events, so a grant to a third
party would show. Holders named in the plan take the roles instead of the deployer, and a
deployment for another admin grants nothing but that admin's role."""

from __future__ import annotations

from collections import defaultdict

import pytest

from compute_rwa import DeployPlan, deploy_suite
from compute_rwa.artifacts import load_artifact
from compute_rwa.tx import contract_at

ZERO = "0x0000000000000000000000000000000000000000"
TWO_DAYS = 2 * 24 * 3600  # DeployPlan's default admin_transfer_delay

#: Every role there is, by contract (the Roles library's four, plus each admin role).
ROLES = {
    "AssetRegistry": {"DEFAULT_ADMIN_ROLE", "OPERATOR_ROLE", "COMPLIANCE_ROLE", "PAUSER_ROLE"},
    "MetricsOracle": {"DEFAULT_ADMIN_ROLE", "ARBITER_ROLE", "PAUSER_ROLE"},
}
#: The suite's other contracts: no roles, owner or admin of their own.
ROLELESS = (
    "ShareToken", "LeaseTerms", "LeaseManager", "LeasePositions", "ShareValuator", "SharePriceFeed",
    "MarketFactory", "LendingMarket", "MetricFeed",
)  # fmt: skip


def _quiet(_line: str) -> None:
    pass


@pytest.fixture
def deployer(w3):
    """An unlocked account none of the fixtures' roles use, so that what it holds came from
    this deployment alone."""
    return w3.eth.accounts[25]


def _contracts(w3, deployment):
    return {
        "AssetRegistry": contract_at(w3, "AssetRegistry", deployment.registry),
        "MetricsOracle": contract_at(w3, "MetricsOracle", deployment.oracle),
    }


def _holders(name, contract, from_block):
    """Role name -> accounts holding it on `contract` (the `name` of ROLES), replaying every
    grant and revocation since `from_block`."""
    names = {contract.functions[role]().call(): role for role in ROLES[name]}
    held = defaultdict(set)
    grants = contract.events.RoleGranted().get_logs(from_block=from_block)
    revokes = contract.events.RoleRevoked().get_logs(from_block=from_block)
    for log in sorted([*grants, *revokes], key=lambda e: (e["blockNumber"], e["logIndex"])):
        accounts, account = held[names[log["args"]["role"]]], log["args"]["account"]
        if log["event"] == "RoleGranted":
            accounts.add(account)
        else:
            accounts.discard(account)
    return {role: accounts for role, accounts in held.items() if accounts}


def test_roles_exist_on_the_registry_and_the_oracle_only():
    for name, expected in ROLES.items():
        abi = load_artifact(name).abi
        constants = {i["name"] for i in abi if i["type"] == "function" and i["name"].endswith("_ROLE")}
        assert constants == expected, name  # a new role fails here until its holder is decided
    for name in ROLELESS:
        functions = {i["name"] for i in load_artifact(name).abi if i["type"] == "function"}
        assert not {n for n in functions if n.endswith("_ROLE")}, name
        assert functions.isdisjoint({"hasRole", "grantRole", "owner", "transferOwnership"}), name


def test_a_default_deployment_leaves_every_role_with_the_deployer(w3, deployer, tmp_path):
    start = w3.eth.block_number
    deployment = deploy_suite(w3, deployer, DeployPlan(), directory=tmp_path, echo=_quiet)
    for name, contract in _contracts(w3, deployment).items():
        # Each role, held by the deployer and by nobody else.
        assert _holders(name, contract, start + 1) == {role: {deployer} for role in ROLES[name]}, name
        for role in ROLES[name]:
            assert contract.functions.hasRole(contract.functions[role]().call(), deployer).call(), (name, role)
        assert contract.functions.defaultAdmin().call() == deployer
        assert contract.functions.pendingDefaultAdmin().call() == [ZERO, 0]
        assert contract.functions.defaultAdminDelay().call() == TWO_DAYS
    # Not a role, but the same advice: the protocol's fees go to the deployer until changed.
    assert _contracts(w3, deployment)["AssetRegistry"].functions.treasury().call() == deployer


def test_holders_named_in_the_plan_take_those_roles_instead_of_the_deployer(suite, roles):
    # The session's own deployment (tests/conftest.py) names operators, a compliance agent and
    # a pauser, but no arbiter: the deployer, roles.admin, keeps the admin roles and the
    # oracle's arbiter role, and holds none of the named ones.
    expected = {
        "AssetRegistry": {
            "DEFAULT_ADMIN_ROLE": {roles.admin},
            "OPERATOR_ROLE": {roles.operator, roles.second_operator},
            "COMPLIANCE_ROLE": {roles.compliance},
            "PAUSER_ROLE": {roles.pauser},
        },
        "MetricsOracle": {
            "DEFAULT_ADMIN_ROLE": {roles.admin},
            "ARBITER_ROLE": {roles.admin},
            "PAUSER_ROLE": {roles.pauser},
        },
    }
    named = {roles.admin, roles.operator, roles.second_operator, roles.compliance, roles.pauser, roles.treasury}
    for name, contract in _contracts(suite.w3, suite.deployment).items():
        for role, holders in expected[name].items():
            role_id = contract.functions[role]().call()
            held = {account for account in named if contract.functions.hasRole(role_id, account).call()}
            assert held == holders, (name, role)


def test_a_deployment_for_another_admin_grants_nothing_else(w3, deployer, roles, tmp_path):
    # With `admin` set to someone else the deployer cannot configure: the admin role is the
    # only one held, by that admin, and the deployer keeps nothing.
    start = w3.eth.block_number
    deployment = deploy_suite(w3, deployer, DeployPlan(admin=roles.outsider), directory=tmp_path, echo=_quiet)
    for name, contract in _contracts(w3, deployment).items():
        assert _holders(name, contract, start + 1) == {"DEFAULT_ADMIN_ROLE": {roles.outsider}}, name
        assert contract.functions.defaultAdmin().call() == roles.outsider
    registry = _contracts(w3, deployment)["AssetRegistry"]
    # Nor the wiring that needs the admin: that is left to the admin as well.
    assert registry.functions.leaseManager().call() == ZERO
    assert registry.functions.inventoryListener().call() == ZERO
    assert registry.functions.isPaymentTokenAllowed(deployment.payment_token).call() is False
