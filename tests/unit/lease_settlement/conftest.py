"""Fixtures of the settlement tests: the lease_manager helpers' `leasing` and `lease_view`, a
funded challenger, and `ready`: a lease whose epochs have ended and been reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.lease_manager import conftest as lease_manager_fixtures
from tests.unit.lease_manager.conftest import DISPUTE_WINDOW, epoch_end, open_lease, report_uptime, warp_to
from tests.unit.lease_settlement.support import CHALLENGE_BOND, align, report_status

# The lease_manager helpers' fixtures, made visible to the tests of this folder.
leasing = lease_manager_fixtures.leasing
lease_view = lease_manager_fixtures.lease_view


@pytest.fixture
def keys(oracle_setup) -> Any:
    return oracle_setup.keys


@pytest.fixture
def challenger(suite, oracle, roles) -> str:
    """roles.lender, holding ten challenge bonds and having approved the oracle (not the lessee,
    whose balance the tests follow)."""
    token = suite.payment_token
    suite.sender.transact(token.functions.mint(roles.lender, 10 * CHALLENGE_BOND), roles.admin, "Token")
    suite.sender.transact(token.functions.approve(oracle.address, 2**256 - 1), roles.lender, "Token")
    return roles.lender


@pytest.fixture
def report(oracle, keys, roles, leasing) -> Callable[..., int]:
    """report(epochs, uptime or uptimes): submits reports of the leased asset; returns updatedAt."""

    def run(epochs: list[int], uptime: int | list[int] = 10_000) -> int:
        report_uptime(oracle, keys, roles.outsider, leasing.asset_id, epochs, uptime)
        return report_status(oracle, leasing.asset_id, epochs[-1])[2]

    return run


@pytest.fixture
def ready(leasing, suite, roles, w3, report) -> Callable[..., tuple[int, int]]:
    """ready(gpus=2, epochs=3, uptimes=10_000): aligns the clock, opens a lease of roles.lessee,
    lets every epoch end, reports them (unless uptimes is None) and waits until the reports are
    final. Returns (lease id, start epoch)."""

    def run(gpus: int = 2, epochs: int = 3, uptimes: int | list[int] | None = 10_000) -> tuple[int, int]:
        start = align(w3, leasing.manager) + 1
        lease_id, _ = open_lease(leasing.manager, suite.sender, roles.lessee, leasing.asset_id, gpus, epochs)
        last = start + epochs - 1
        warp_to(w3, epoch_end(leasing.manager, last) + 60)
        if uptimes is not None:
            updated_at = report(list(range(start, last + 1)), uptimes)
            warp_to(w3, updated_at + DISPUTE_WINDOW + 1)
        return lease_id, start

    return run
