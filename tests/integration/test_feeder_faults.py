"""Fault injection: the feeder is killed (SIGKILL) at random moments and restarted, and the chain
is stopped and restarted, once under a running feeder; in the end every replayed epoch is on-chain exactly once.

The feeder runs as the operator runs it, `compute-rwa oracle replay` in a subprocess, over the
bundled Alibaba GenAI trace on two 8-GPU assets (22 hourly epochs, 44 reports). The chain is
anvil with `--state`, so a graceful stop keeps its blocks and a restart on the same port
continues them. "Exactly once" is checked from the chain's own history: the reports decoded
from every successful submitReports transaction, and the oracle's stored epochs.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak

from compute_rwa import DeployPlan, SuiteClient, deploy_suite
from compute_rwa.chain import LocalChain
from compute_rwa.deploy import OraclePlan
from compute_rwa.fleet import GPU_MODELS, GpuNode
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.inventory import write_inventory_file
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.oracle.reports import unpack_reports
from compute_rwa.telemetry.aggregate import AssetInventory
from compute_rwa.telemetry.traces import BUNDLED_TRACE
from compute_rwa.tx import TxSender

SIGNER = Account.from_key(keccak(text="fault-injection signer"))
EPOCHS = 22
SEED = int(os.environ.get("FEEDER_FAULT_SEED", "20261130"))


class Rig:
    """Chain (restartable on the same port and state), suite, oracle, and the feeder's files."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.state = tmp / "anvil-state.json"
        self.chain = LocalChain("anvil", extra_args=("--state", str(self.state)))
        self.chain.start()
        self.port = self.chain.port
        w3 = self.chain.web3()
        admin, operator = w3.eth.accounts[0], w3.eth.accounts[1]
        self.admin = admin
        now = int(w3.eth.get_block("latest")["timestamp"])
        plan = DeployPlan(
            operators=(operator,),
            admin_transfer_delay=0,
            oracle=OraclePlan(genesis=now // 3600 * 3600 - 30 * 3600, signers=(SIGNER.address,), threshold=1),
        )
        self.deployments = tmp / "deployments"
        deployment = deploy_suite(w3, admin, plan, directory=self.deployments, echo=lambda _: None)
        suite = SuiteClient(w3, deployment, TxSender(w3))
        assert deployment.oracle is not None
        self.oracle_address = deployment.oracle
        oracle = OracleClient(w3, deployment.oracle, suite.sender)
        token = suite.payment_token
        suite.sender.transact(token.functions.mint(admin, 10**12), admin, "USD")
        suite.sender.transact(token.functions.approve(oracle.address, 2**256 - 1), admin, "USD")
        oracle.deposit_bond(SIGNER.address, 2_000 * 10**6, admin)
        inventories = []
        for i in range(2):
            node = GpuNode(f"fault-node-{i}", GPU_MODELS["H800"], 8, "cn-beijing")
            reg = node.registration(operator=operator, owner=admin, payment_token=token.address)
            asset_id, _ = suite.register_asset(reg, operator)
            inventories.append(AssetInventory(asset_id, node.gpu_uuids, reg.rated_tflops))
        self.asset_ids = [i.asset_id for i in inventories]
        self.inventory = tmp / "inventory.json"
        write_inventory_file(self.inventory, inventories)
        self.outbox = tmp / "outbox.sqlite"
        self.last_ended = oracle.last_ended_epoch()
        assert self.last_ended is not None and self.last_ended + 1 >= EPOCHS

    def restart_chain(self, stopped: bool = False) -> None:
        if not stopped:
            self.chain.stop()  # SIGTERM: anvil dumps its state to --state
        self.chain = LocalChain("anvil", port=self.port, extra_args=("--state", str(self.state)))
        self.chain.start()

    def feeder(self) -> subprocess.Popen[bytes]:
        trace = resources.files("compute_rwa.data.traces").joinpath(BUNDLED_TRACE)
        command = [
            sys.executable,
            "-m",
            "compute_rwa.cli",
            "oracle",
            "replay",
            str(trace),
            "--rpc",
            self.chain.url,
            "--deployments",
            str(self.deployments),
            "--inventory",
            str(self.inventory),
            "--outbox",
            str(self.outbox),
            "--from",
            self.admin,
            "--start-epoch",
            str(self.last_ended + 1 - EPOCHS),
        ]
        env = {**os.environ, "COMPUTE_RWA_SIGNER_KEY": SIGNER.key.hex()}
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def rig(tmp_path: Path):
    made = Rig(tmp_path)
    yield made
    made.chain.stop()


def test_every_epoch_lands_exactly_once_across_kills_and_chain_restarts(rig: Rig):
    rng = random.Random(SEED)
    kills = restarts = runs = 0
    finished = False
    for attempt in range(80):
        runs += 1
        process = rig.feeder()
        if attempt == 3:
            # The chain goes away under a running feeder: it retries, gives up without losing
            # anything (exit 3, or 2 when the chain vanished before it connected), and the
            # chain comes back on the same port with its state.
            time.sleep(rng.uniform(0.5, 2.0))
            rig.chain.stop()
            process.wait(timeout=180)
            output = process.stdout.read().decode() if process.stdout else ""
            assert "Traceback" not in output, output
            assert process.returncode in (0, 2, 3), output
            rig.restart_chain(stopped=True)
            restarts += 1
            continue
        if attempt < 60 and kills < 6:
            # Kill at a random moment: while buffering samples, measuring, signing, sending or
            # waiting for a receipt. A run that finishes first is simply run again (idempotent).
            try:
                process.wait(timeout=rng.uniform(0.3, 2.5))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                if kills in (1, 4):  # stop the chain while the feeder is down, then bring it back
                    rig.restart_chain()
                    restarts += 1
                continue
        else:
            process.wait(timeout=300)
        output = process.stdout.read().decode() if process.stdout else ""
        assert "Traceback" not in output, output
        assert process.returncode in (0, 3), output  # 3: ran cleanly, something still to confirm
        if process.returncode == 0 and kills >= 6:
            finished = True
            break
    assert finished, "the feeder never completed"
    assert kills == 6 and restarts == 3, (kills, restarts)

    counts = Outbox(rig.outbox).counts()
    assert counts.get("pending", 0) == 0 and counts.get("sent", 0) == 0, counts
    assert counts.get("done", 0) == EPOCHS * len(rig.asset_ids), counts

    w3 = rig.chain.web3()
    oracle = OracleClient(w3, rig.oracle_address)
    landed: list[tuple[int, int]] = []
    for number in range(w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if tx["to"] != rig.oracle_address or w3.eth.get_transaction_receipt(tx["hash"])["status"] != 1:
                continue
            function, args = oracle.contract.decode_function_input(tx["input"])
            if function.fn_name == "submitReports":
                landed += [r.key for r in unpack_reports(bytes(args["reports"]))]
    first = rig.last_ended + 1 - EPOCHS
    expected = {(a, e) for a in rig.asset_ids for e in range(first, first + EPOCHS)}
    assert sorted(landed) == sorted(expected), "an epoch was lost or landed twice"
    for asset_id in rig.asset_ids:
        assert oracle.latest_epoch(asset_id) == first + EPOCHS - 1
    print(f"\nfault injection (seed {SEED}): {runs} feeder runs, {kills} SIGKILLs, {restarts} chain restarts")
