"""Root fixtures: a local anvil chain on a free port for the whole session, the suite deployed
once, role accounts, payment tokens of awkward shapes, and isolation per test through
evm_snapshot / evm_revert (the equivalent of brownie's fn_isolation)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak
from hypothesis import settings
from web3 import Web3
from web3.contract import Contract

from compute_rwa import AssetRegistration, DeployPlan, SuiteClient, deploy_suite
from compute_rwa.chain import LocalChain
from compute_rwa.deploy import OraclePlan
from compute_rwa.oracle.client import OracleClient
from compute_rwa.tx import TxSender

# hypothesis draws the same examples on every `make test`, so a red CI run is never a coin toss
# and replays as it was; `HYPOTHESIS_PROFILE=explore` draws new ones (run it after a change to
# a parser or the CLI, and add what it finds as a regression example).
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@dataclass(frozen=True)
class Roles:
    admin: ChecksumAddress
    operator: ChecksumAddress
    compliance: ChecksumAddress
    pauser: ChecksumAddress
    treasury: ChecksumAddress
    lessee: ChecksumAddress
    lender: ChecksumAddress
    borrower: ChecksumAddress
    holders: tuple[ChecksumAddress, ...]
    outsider: ChecksumAddress
    second_operator: ChecksumAddress
    oracle_signers: tuple[ChecksumAddress, ...]


@pytest.fixture(scope="session")
def chain() -> Iterator[LocalChain]:
    with LocalChain("anvil", accounts=30) as local:
        yield local


@pytest.fixture(scope="session")
def w3(chain: LocalChain) -> Web3:
    return chain.web3()


@pytest.fixture(scope="session")
def roles(w3: Web3) -> Roles:
    a = w3.eth.accounts
    return Roles(
        admin=a[0],
        operator=a[1],
        compliance=a[2],
        pauser=a[3],
        treasury=a[4],
        lessee=a[5],
        lender=a[6],
        borrower=a[7],
        holders=tuple(a[8:14]),
        outsider=a[14],
        second_operator=a[15],
        oracle_signers=tuple(a[16:21]),
    )


@pytest.fixture(scope="session")
def admin(roles: Roles) -> ChecksumAddress:
    return roles.admin


@pytest.fixture(scope="session")
def operator(roles: Roles) -> ChecksumAddress:
    return roles.operator


@pytest.fixture(scope="session")
def holders(roles: Roles) -> tuple[ChecksumAddress, ...]:
    return roles.holders


@pytest.fixture(scope="session")
def oracle_signers(roles: Roles) -> tuple[ChecksumAddress, ...]:
    return roles.oracle_signers


GENESIS_EPOCHS_AGO = 1000


@pytest.fixture(scope="session")
def suite(w3: Web3, roles: Roles, tmp_path_factory: pytest.TempPathFactory) -> SuiteClient:
    plan = DeployPlan(
        treasury=roles.treasury,
        operators=(roles.operator, roles.second_operator),
        compliance_agents=(roles.compliance,),
        pausers=(roles.pauser,),
        protocol_fee_bps=500,
        admin_transfer_delay=3600,
        # Epoch 0 began GENESIS_EPOCHS_AGO hours ago: tests report ended epochs without warping.
        oracle=OraclePlan(genesis=int(w3.eth.get_block("latest")["timestamp"]) - GENESIS_EPOCHS_AGO * 3600),
    )
    sender = TxSender(w3)
    deployment = deploy_suite(
        w3, roles.admin, plan, sender=sender, directory=tmp_path_factory.mktemp("deployments"), echo=lambda _: None
    )
    return SuiteClient(w3, deployment, sender)


#: Oracle signer keys (fixed, so that failures reproduce): five configured, two outsiders.
ORACLE_KEYS: tuple[LocalAccount, ...] = tuple(Account.from_key(keccak(text=f"oracle-signer-{i}")) for i in range(7))
#: Bond each key holds (the deployment's minimum is 1,000 dUSD).
ORACLE_BOND = 2_000 * 10**6


@dataclass(frozen=True)
class OracleSetup:
    client: OracleClient
    keys: tuple[LocalAccount, ...]  # the configured signers, in configuration order
    outsiders: tuple[LocalAccount, ...]  # valid keys that are not signers
    threshold: int


@pytest.fixture(scope="session")
def oracle_setup(suite: SuiteClient, roles: Roles) -> OracleSetup:
    """The suite's oracle with 3-of-5 signers, every key bonded (outsiders too)."""
    assert suite.deployment.oracle is not None
    client = OracleClient(suite.w3, suite.deployment.oracle, suite.sender)
    keys, outsiders = ORACLE_KEYS[:5], ORACLE_KEYS[5:]
    token = suite.payment_token
    suite.sender.transact(token.functions.mint(roles.admin, 100 * ORACLE_BOND), roles.admin, "Token")
    suite.sender.transact(token.functions.approve(client.address, 2**256 - 1), roles.admin, "Token")
    for key in ORACLE_KEYS:
        client.deposit_bond(key.address, ORACLE_BOND, roles.admin)
    client.set_signers([k.address for k in keys], 3, roles.admin)
    return OracleSetup(client, keys, outsiders, 3)


@pytest.fixture
def oracle(oracle_setup: OracleSetup) -> OracleClient:
    return oracle_setup.client


@dataclass
class PaymentTokens:
    usdc6: Contract
    dai18: Contract
    usdt_noreturn: Contract
    fee_on_transfer: Contract


@pytest.fixture(scope="session")
def tokens(suite: SuiteClient, roles: Roles) -> PaymentTokens:
    deploy = suite.sender.deploy
    made = PaymentTokens(
        usdc6=suite.payment_token,
        dai18=deploy("MockStablecoin", roles.admin, "Dai-like", "DAI18", 18),
        usdt_noreturn=deploy("MockNoReturnToken", roles.admin),
        fee_on_transfer=deploy("MockFeeOnTransferToken", roles.admin, 100),
    )
    for token in (made.dai18, made.usdt_noreturn, made.fee_on_transfer):
        suite.sender.transact(suite.registry.functions.setPaymentTokenAllowed(token.address, True), roles.admin, "R")
    return made


@pytest.fixture(autouse=True)
def isolation(w3: Web3) -> Iterator[None]:
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


@pytest.fixture(params=["usdc6", "dai18", "usdt_noreturn"])
def payment_token(request: pytest.FixtureRequest, tokens: PaymentTokens) -> Contract:
    """Each payment-token shape the suite accepts: 6 and 18 decimals, and no return value."""
    token: Contract = getattr(tokens, request.param)
    return token


def inventory_hash(label: str) -> bytes:
    return keccak(text=f"inventory:{label}")


@pytest.fixture
def make_registration(roles: Roles, suite: SuiteClient) -> Callable[..., AssetRegistration]:
    def make(**overrides: object) -> AssetRegistration:
        fields: dict[str, object] = {
            "gpu_model": "NVIDIA H100 80GB HBM3",
            "gpu_count": 8,
            "rated_tflops": 7912,
            "rated_power_watts": 5600,
            "region": "us-east-1",
            "operator": roles.operator,
            "inventory_hash": inventory_hash("node-1"),
            "payment_token": suite.deployment.payment_token,
            "owner": roles.holders[0],
            "operator_fee_bps": 1000,
            "reserve_bps": 500,
        }
        fields.update(overrides)
        return AssetRegistration(**fields)  # type: ignore[arg-type]

    return make


@pytest.fixture
def asset(suite: SuiteClient, make_registration: Callable[..., AssetRegistration], roles: Roles) -> int:
    """An 8-GPU asset paying in the 6-decimal stablecoin, all shares with holders[0]."""
    asset_id, _ = suite.register_asset(make_registration(), roles.operator)
    return asset_id


def fund(suite: SuiteClient, token: Contract, to: str, amount: int, minter: str) -> None:
    suite.sender.transact(token.functions.mint(to, amount), minter, "Token")


ROOT = Path(__file__).resolve().parents[1]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.helpers import FIGURES

    if FIGURES:
        terminalreporter.section("campaign sizes and fault counts")
        for line in FIGURES:
            terminalreporter.write_line(line)
