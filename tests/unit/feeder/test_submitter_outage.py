"""RPC outage: the node goes away (before a run, and between broadcasting and confirming); the
Submitter retries, gives up with ChainUnavailableError, and loses nothing. The node comes back on
the same port with the same state (anvil `--state FILE`: dumped on exit, loaded on start), and
the next run finishes the job with each report accepted exactly once.

The test runs its own chain, deployed once for the module, since it stops and restarts it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hexbytes import HexBytes
from web3 import Web3

from compute_rwa import AssetRegistration, DeployPlan, SuiteClient, deploy_suite
from compute_rwa.chain import LocalChain, connect
from compute_rwa.deploy import OraclePlan
from compute_rwa.errors import ChainUnavailableError
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.oracle.quorum import LocalQuorum
from compute_rwa.oracle.submitter import Submitter
from compute_rwa.tx import TxSender
from tests.conftest import ORACLE_BOND, ORACLE_KEYS
from tests.unit.feeder.conftest import EPOCH, assert_on_chain, feeder_inventory, make_report


@dataclass
class OwnChain:
    chain: LocalChain
    state: Path
    oracle: OracleClient
    assets: list[int]
    transmitter: str

    def stop(self) -> None:
        self.chain.stop()

    def restart(self) -> None:
        """The same node, port and state (anvil writes `--state` on a graceful exit)."""
        self.chain = LocalChain("anvil", port=self.chain.port, accounts=5, extra_args=("--state", str(self.state)))
        self.chain.start()


def deploy(w3: Web3, directory: Path) -> tuple[OracleClient, list[int]]:
    """The suite with a 3-of-5 bonded signer set and two registered assets."""
    admin, operator = w3.eth.accounts[:2]
    genesis = int(w3.eth.get_block("latest")["timestamp"]) - 1000 * 3600
    plan = DeployPlan(operators=(operator,), admin_transfer_delay=3600, oracle=OraclePlan(genesis=genesis))
    sender = TxSender(w3)
    deployment = deploy_suite(w3, admin, plan, sender=sender, directory=directory, echo=lambda _: None)
    suite = SuiteClient(w3, deployment, sender)
    assert suite.deployment.oracle is not None
    oracle = OracleClient(w3, suite.deployment.oracle, sender)
    token = suite.payment_token
    sender.transact(token.functions.mint(admin, 10 * ORACLE_BOND), admin, "Token")
    sender.transact(token.functions.approve(oracle.address, 2**256 - 1), admin, "Token")
    for key in ORACLE_KEYS[:5]:
        oracle.deposit_bond(key.address, ORACLE_BOND, admin)
    oracle.set_signers([k.address for k in ORACLE_KEYS[:5]], 3, admin)
    assets = []
    for n in (1, 2):
        registration = AssetRegistration(
            gpu_model="NVIDIA H100 80GB HBM3",
            gpu_count=8,
            rated_tflops=7912,
            rated_power_watts=5600,
            region="us-east-1",
            operator=operator,
            inventory_hash=feeder_inventory(n),
            payment_token=suite.deployment.payment_token,
            owner=admin,
            operator_fee_bps=1000,
            reserve_bps=500,
        )
        asset_id, _ = suite.register_asset(registration, operator)
        assets.append(asset_id)
    assert assets == [1, 2]
    return oracle, assets


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnChain]:
    workdir = tmp_path_factory.mktemp("outage")
    state = workdir / "anvil-state.json"
    chain = LocalChain("anvil", accounts=5, extra_args=("--state", str(state))).start()
    own = None
    try:
        w3 = connect(chain.url)
        oracle, assets = deploy(w3, workdir)
        own = OwnChain(chain, state, oracle, assets, w3.eth.accounts[4])
        yield own
    finally:
        # Tests restart the node: stop whichever process is current, not only the first one.
        (own.chain if own is not None else chain).stop()


def submitter(own: OwnChain, outbox: Outbox, lines: list[str]) -> Submitter:
    """A fresh daemon's Submitter: its own Web3 on the chain's URL (as after a process restart)."""
    oracle = OracleClient(connect(own.chain.url, timeout=2), own.oracle.address)
    quorum = LocalQuorum(ORACLE_KEYS[:5])
    return Submitter(
        oracle, outbox, quorum, Web3.to_checksum_address(own.transmitter),
        confirm_timeout=5, poll_interval=0.02, retries=2, backoff=0.01, echo=lines.append,
    )  # fmt: skip


def test_an_outage_loses_nothing_and_sends_nothing_twice(own: OwnChain, tmp_path: Path):
    lines: list[str] = []
    outbox = Outbox(tmp_path / "outbox.sqlite")
    first = [make_report(a, EPOCH) for a in own.assets]
    outbox.add(first)

    # 1. The node is down before the run: retries, then ChainUnavailableError; nothing changes.
    own.stop()
    with pytest.raises(ChainUnavailableError):
        submitter(own, outbox, lines).run_once()
    assert sum("retry" in line for line in lines) == 2  # two retries, then it gave up
    assert outbox.counts() == {"pending": 2, "sent": 0, "done": 0, "rejected": 0}
    assert outbox.transactions() == []

    # 2. Back with the same state: the run completes.
    own.restart()
    result = submitter(own, outbox, lines).run_once()
    assert result.confirmed == 2 and result.batches_sent == 1
    assert_on_chain(own.oracle, first)

    # 3. The node goes down right after the next batch was broadcast (and mined).
    second = [make_report(a, EPOCH + 1) for a in own.assets]
    outbox.add(second)
    dying = submitter(own, outbox, lines)

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("sent "):
            # Mined before the node goes: anvil answers eth_sendRawTransaction before it has
            # stored the block, and a SIGTERM in between dumps the new nonce without the block
            # (a crash mid-mining, which the no-receipt path covers; here the receipt must exist).
            tx_hash = HexBytes(line.rsplit(" tx ", 1)[1])
            dying.oracle.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=5, poll_latency=0.01)
            own.stop()

    dying.echo = echo
    with pytest.raises(ChainUnavailableError):
        dying.run_once()
    assert outbox.counts() == {"pending": 0, "sent": 2, "done": 2, "rejected": 0}
    (batch,) = outbox.in_flight()

    # 4. Restarted: the batch is settled from the chain, not sent again.
    own.restart()
    oracle = OracleClient(connect(own.chain.url), own.oracle.address)
    nonce = oracle.w3.eth.get_transaction_count(Web3.to_checksum_address(own.transmitter))
    result = submitter(own, outbox, lines).run_once()
    assert result.batches_sent == 0 and result.rebroadcasts == 0
    assert result.confirmed == 2 and result.tx_hashes == [batch.tx_hash]  # the receipt survived the restart
    assert oracle.w3.eth.get_transaction_count(Web3.to_checksum_address(own.transmitter)) == nonce
    assert outbox.counts() == {"pending": 0, "sent": 0, "done": 4, "rejected": 0}
    assert_on_chain(oracle, second)
    assert submitter(own, outbox, lines).run_once().idle
    outbox.close()
