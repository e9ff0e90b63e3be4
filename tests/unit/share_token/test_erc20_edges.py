"""OpenZeppelin's ERC-20 and access-control errors still reach callers through the suite."""

from __future__ import annotations

import pytest

from compute_rwa import ContractRevertError
from tests.helpers import reverts

ZERO = "0x0000000000000000000000000000000000000000"


def test_transfer_to_zero_address_is_refused(suite, asset, roles):
    with reverts("ERC20InvalidReceiver", receiver=ZERO):
        suite.transfer_shares(asset, roles.holders[0], ZERO, 1)


def test_approve_of_zero_spender_is_refused(suite, asset, roles):
    with reverts("ERC20InvalidSpender", spender=ZERO):
        suite.sender.transact(suite.share_token(asset).functions.approve(ZERO, 1), roles.holders[0], "S")


def test_renouncing_a_role_for_someone_else_is_refused(suite, roles):
    role = suite.registry.functions.OPERATOR_ROLE().call()
    with reverts("AccessControlBadConfirmation"):
        suite.sender.transact(suite.registry.functions.renounceRole(role, roles.operator), roles.outsider, "R")


def test_registry_refuses_a_zero_admin(suite, roles):
    args = (ZERO, 0, suite.deployment.share_token_implementation, roles.treasury, 500)
    with pytest.raises(ContractRevertError) as info:
        suite.sender.deploy("AssetRegistry", roles.admin, *args)
    assert info.value.error_name == "AccessControlInvalidDefaultAdmin"
