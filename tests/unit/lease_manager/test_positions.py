"""LeasePositions: transfers carry the lease, the asset's allow list guards them (canTransfer
answers ahead), only the manager mints, tokenURI renders the terms, ERC-165."""

from __future__ import annotations

import base64
import json
from functools import reduce

import pytest
from eth_utils import keccak

from tests.helpers import reverts
from tests.unit.lease_manager.conftest import PRICE, open_lease
from tests.unit.lease_manager.support import (
    ACTIVE,
    CLOSED,
    ZERO,
    align,
    allow_list,
    balance,
    lease_total,
    one,
    send,
)
from tests.unit.metrics_oracle.conftest import view


@pytest.fixture(autouse=True)
def epoch(leasing, w3) -> int:
    """The current epoch, freshly begun."""
    return align(w3, leasing.manager)


def can_transfer(manager, source, to, lease_id) -> bool:
    return bool(manager.functions.canTransfer(source, to, lease_id).call())


def test_transfer_carries_the_lease(leasing, suite, roles, epoch):
    m, positions, token = leasing.manager, leasing.positions, leasing.token
    buyer = roles.holders[2]
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=3)
    receipt = send(suite, positions.functions.transferFrom(roles.lessee, buyer, lease_id), roles.lessee)
    assert one(positions, receipt, "Transfer") == {"from": roles.lessee, "to": buyer, "tokenId": lease_id}
    assert positions.functions.ownerOf(lease_id).call() == buyer
    assert (positions.functions.balanceOf(roles.lessee).call(), positions.functions.balanceOf(buyer).call()) == (0, 1)
    assert tuple(positions.functions.authorizedOwner(buyer, lease_id).call()) == (buyer, True)
    assert tuple(positions.functions.authorizedOwner(roles.lessee, lease_id).call()) == (buyer, False)
    with reverts("LeaseNotOwner", leaseId=lease_id, caller=roles.lessee):
        send(suite, m.functions.terminate(lease_id), roles.lessee)
    before = balance(token, buyer)
    receipt = send(suite, m.functions.terminate(lease_id), buyer)
    refund = lease_total(2, PRICE, 3) * 9 // 10
    assert one(m, receipt, "LeaseClaimed") == {"leaseId": lease_id, "to": buyer, "amount": refund}
    assert balance(token, buyer) == before + refund


def test_allow_list_guards_transfers(leasing, suite, roles):
    m, positions, asset = leasing.manager, leasing.positions, leasing.asset_id
    allowed = roles.holders[2]
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=1, epochs=3)
    assert can_transfer(m, roles.lessee, roles.outsider, lease_id) is True  # no allow list yet
    allow_list(suite, leasing.terms, asset, roles.compliance, [allowed])

    assert can_transfer(m, roles.lessee, roles.outsider, lease_id) is False
    assert can_transfer(m, roles.lessee, allowed, lease_id) is True
    assert can_transfer(m, roles.outsider, allowed, lease_id) is False  # not the owner
    assert can_transfer(m, roles.lessee, ZERO, lease_id) is False
    with reverts("PositionsTransferNotAllowed", **{"from": roles.lessee, "to": roles.outsider, "leaseId": lease_id}):
        send(suite, positions.functions.transferFrom(roles.lessee, roles.outsider, lease_id), roles.lessee)
    # Holding a position needs no allow listing of the sender: only the recipient is checked.
    send(suite, positions.functions.transferFrom(roles.lessee, allowed, lease_id), roles.lessee)
    assert positions.functions.ownerOf(lease_id).call() == allowed
    assert can_transfer(m, allowed, roles.lessee, lease_id) is False

    send(suite, leasing.terms.functions.setLesseeAllowListEnabled(asset, False), roles.compliance)
    assert can_transfer(m, allowed, roles.outsider, lease_id) is True
    send(suite, positions.functions.safeTransferFrom(allowed, roles.outsider, lease_id), allowed)
    assert positions.functions.ownerOf(lease_id).call() == roles.outsider


def test_only_the_manager_mints(leasing, suite, roles):
    positions = leasing.positions
    assert positions.functions.manager().call() == leasing.manager.address
    assert leasing.manager.functions.positions().call() == positions.address
    for caller in (roles.outsider, roles.admin, roles.lessee):
        with reverts("PositionsOnlyManager", caller=caller):
            send(suite, positions.functions.mint(caller, 999), caller)


def test_token_uri_renders_the_terms(leasing, suite, roles, epoch):
    m, positions, asset = leasing.manager, leasing.positions, leasing.asset_id
    lease_id, _ = open_lease(m, suite.sender, roles.lessee, asset, gpus=3, epochs=4, start=epoch + 2)

    def metadata() -> dict:
        uri = positions.functions.tokenURI(lease_id).call()
        prefix = "data:application/json;base64,"
        assert uri.startswith(prefix)
        return json.loads(base64.b64decode(uri[len(prefix) :], validate=True))

    def expected(end: int, status: int) -> dict:
        values = [asset, 3, epoch + 2, end, PRICE, 9_900, status]
        names = ["asset", "gpus", "start epoch", "end epoch", "price per GPU-hour", "uptime target bps", "status"]
        return {
            "name": f"GPU lease #{lease_id}",
            "description": f"Right to use 3 GPUs of compute-rwa asset {asset}, settled against oracle-measured uptime.",
            "attributes": [{"trait_type": n, "value": v} for n, v in zip(names, values, strict=True)],
        }

    assert metadata() == expected(epoch + 6, ACTIVE)
    send(suite, m.functions.terminate(lease_id), roles.lessee)  # before its start: closed at once
    assert metadata() == expected(epoch + 2, CLOSED)
    with reverts("ERC721NonexistentToken", tokenId=999):
        view(positions, "tokenURI", 999)


def test_erc165_and_metadata(leasing):
    positions = leasing.positions
    selectors = [keccak(text=s)[:4] for s in ("mint(address,uint256)", "authorizedOwner(address,uint256)", "manager()")]
    lease_positions_id = reduce(lambda a, b: bytes(x ^ y for x, y in zip(a, b, strict=True)), selectors)
    assert lease_positions_id == bytes.fromhex("eecf3ed2")
    for interface, supported in [
        ("80ac58cd", True),  # ERC-721
        ("5b5e139f", True),  # ERC-721 metadata
        ("01ffc9a7", True),  # ERC-165
        (lease_positions_id.hex(), True),  # ILeasePositions
        ("780e9d63", False),  # ERC-721 enumerable
        ("ffffffff", False),
    ]:
        assert positions.functions.supportsInterface(bytes.fromhex(interface)).call() is supported, interface
    assert positions.functions.name().call() == "compute-rwa GPU lease"
    assert positions.functions.symbol().call() == "GPULEASE"
