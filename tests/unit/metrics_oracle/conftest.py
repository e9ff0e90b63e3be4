"""MetricsOracle test helpers: reports of the `asset` fixture, signing with the fixed oracle keys,
submitting, moving the chain's clock, a funded challenger.

The plain functions are imported by tests/security/test_oracle_attacks.py as well."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.reports import OracleDomain, Report, join_signatures, pack_reports, sign_batch
from compute_rwa.tx import guard
from tests.conftest import inventory_hash

HOUR = 3600
DAY = 24 * HOUR
# Deployment parameters (compute_rwa.deploy.OraclePlan defaults) and the fixture's bonds.
DISPUTE_WINDOW = DAY
RESOLUTION_TIMEOUT = 7 * DAY
CHALLENGE_BOND = 100 * 10**6
SLASH = 500 * 10**6
MIN_BOND = 1_000 * 10**6
BOND = 2_000 * 10**6
# The `asset` fixture: 8 GPUs, 7,912 TFLOPS and 5,600 W rated for the whole asset.
GPUS = 8
RATED_TFLOPS = 7912
RATED_POWER_W = 5600
NODE_1 = inventory_hash("node-1")
# Hard bounds for that asset over one-hour epochs (power and energy: rated + 10%).
MAX_BPS = 10_000
MAX_GPU_HOURS_MILLI = GPUS * 1000  # gpuCount x epochSeconds x 1,000 / 3,600
MAX_POWER_W = RATED_POWER_W * 11 // 10  # 6,160
MAX_ENERGY_WH = RATED_POWER_W * 11 // 10  # rated W x 1 h x 1.1 = 6,160 Wh


def make_report(asset_id: int, epoch: int, **fields: Any) -> Report:
    """A plausible report: 80% busy, 99% healthy, 4 kW mean power over the hour."""
    values: dict[str, Any] = {
        "inventory_hash": NODE_1,
        "utilization_bps": 8_000,
        "uptime_bps": 9_900,
        "gpu_hours_milli": 6_400,
        "energy_wh": 4_000,
        "avg_power_w": 4_000,
    }
    values.update(fields)
    return Report(asset_id=asset_id, epoch=epoch, **values)


def packed(reports: Sequence[Report] | bytes) -> bytes:
    return reports if isinstance(reports, bytes) else pack_reports(reports)


def sign(
    oracle: OracleClient,
    reports: Sequence[Report] | bytes,
    keys: Sequence[LocalAccount],
    domain: OracleDomain | None = None,
) -> bytes:
    """Concatenated signatures of `keys` over the batch (the oracle's current domain by default)."""
    data = packed(reports)
    domain = domain or oracle.domain()
    return join_signatures([sign_batch(domain, data, key) for key in keys])


def submit_batch(
    oracle: OracleClient,
    reports: Sequence[Report] | bytes,
    keys: Sequence[LocalAccount],
    transmitter: str,
    signatures: bytes | None = None,
) -> TxReceipt:
    """Signs (unless `signatures` is given) and transmits the batch; anyone may transmit."""
    data = packed(reports)
    sigs = sign(oracle, data, keys) if signatures is None else signatures
    return oracle.submit(data, sigs, transmitter)


def warp_chain(w3: Web3, seconds: int) -> int:
    """Moves the chain's clock forward and mines a block; returns the new block's timestamp."""
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return int(w3.eth.get_block("latest")["timestamp"])


def recovered(digest: bytes, signature: bytes) -> str:
    """The address a 65-byte r | s | v signature recovers to over `digest` (what ecrecover sees)."""
    return Web3.to_checksum_address(Account._recover_hash(digest, signature=signature))


def view(contract: Contract, name: str, *args: Any) -> Any:
    """A read whose revert becomes ContractRevertError (for `reverts`)."""
    return guard(name, name, contract.functions[name](*args).call)


def events(contract: Contract, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
    """Arguments of each `name` event `contract` emitted in the transaction."""
    return [dict(e["args"]) for e in contract.events[name]().process_receipt(receipt)]


@pytest.fixture
def keys(oracle_setup, w3) -> tuple[LocalAccount, ...]:
    """The five configured signer keys, with gas money so that they can withdraw their bonds."""
    for key in (*oracle_setup.keys, *oracle_setup.outsiders):
        w3.provider.make_request("anvil_setBalance", [key.address, hex(10**18)])
    return oracle_setup.keys


@pytest.fixture
def synced(oracle, asset, roles) -> int:
    """The `asset` fixture, its attestation loaded into the oracle."""
    oracle.sync_assets([asset], roles.outsider)
    return asset


@pytest.fixture
def last_epoch(oracle) -> int:
    """The newest ended epoch (reports from 0 up to it are accepted)."""
    epoch = oracle.last_ended_epoch()
    assert epoch is not None
    return epoch


@pytest.fixture
def submit(oracle, oracle_setup, roles) -> Callable[..., TxReceipt]:
    """submit(reports, keys=the first three signers): signs, and transmits from roles.outsider."""

    def run(reports: Sequence[Report] | bytes, keys: Sequence[LocalAccount] | None = None, **kw: Any) -> TxReceipt:
        return submit_batch(oracle, reports, oracle_setup.keys[:3] if keys is None else keys, roles.outsider, **kw)

    return run


@pytest.fixture
def warp(w3) -> Callable[[int], int]:
    """warp(seconds): moves the chain's clock forward; returns the new block's timestamp."""
    return lambda seconds: warp_chain(w3, seconds)


@pytest.fixture
def challenger(suite, oracle, roles) -> str:
    """roles.lessee, holding 1,000 bond tokens and having approved the oracle."""
    token = suite.payment_token
    suite.sender.transact(token.functions.mint(roles.lessee, 10 * CHALLENGE_BOND), roles.admin, "Token")
    suite.sender.transact(token.functions.approve(oracle.address, 2**256 - 1), roles.lessee, "Token")
    return roles.lessee


@pytest.fixture
def register_assets(suite, make_registration, oracle, roles) -> Callable[..., list[int]]:
    """register_assets(count, **registration fields): more synced assets (same inventory as `asset`)."""

    def run(count: int, **overrides: Any) -> list[int]:
        ids = [suite.register_asset(make_registration(**overrides), roles.operator)[0] for _ in range(count)]
        oracle.sync_assets(ids, roles.outsider)
        return ids

    return run


@pytest.fixture
def void(oracle, challenger, roles) -> Callable[[int, int], TxReceipt]:
    """void(asset_id, epoch): challenges the report and has the arbiter uphold the challenge."""

    def run(asset_id: int, epoch: int) -> TxReceipt:
        oracle.challenge(asset_id, epoch, challenger)
        return oracle.resolve(asset_id, epoch, True, roles.admin)

    return run
