"""Fault campaign: the feeder is killed (SIGKILL) at 50+ random points, the chain is restarted (while
the feeder is down, and once under a running feeder), and its JSON-RPC endpoint times out, answers
"nonce too low" and "replacement transaction underpriced", and drops transactions; in the end every
replayed epoch is on-chain exactly once.

The feeder runs as the operator runs it, `compute-rwa oracle replay` in a subprocess, over the
bundled Alibaba GenAI trace on two 8-GPU assets (22 hourly epochs), replayed at four successive
start epochs (176 reports), through `rpc_fault_proxy.RpcFaultProxy` in front of the chain. The
chain is anvil with `--state`, so a graceful stop keeps its blocks and a restart on the same port
continues them; its block gas limit is lowered after deployment so that a batch holds two or three
reports and the reports take some seventy transactions, which the kills land between and inside.
"Exactly once" is checked from the chain's own history: the reports decoded from every successful
submitReports transaction, and the oracle's stored epochs.

The seed comes from FEEDER_FAULT_SEED; the summary line names it, so a failure can be rerun.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint

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
from tests.helpers import report_figures

from .rpc_fault_proxy import DROPPED, NONCE_TOO_LOW, TIMEOUT, UNDERPRICED, RpcFaultProxy

SIGNER = Account.from_key(keccak(text="fault-injection signer"))
SEED = int(os.environ.get("FEEDER_FAULT_SEED", "20261130"))
EPOCHS = 22  # hourly epochs the bundled trace covers
ROUNDS = 4  # the trace is replayed at this many successive start epochs
#: The next round is replayed once fewer reports than this wait to be sent (or confirmed).
ADVANCE_BELOW = 8
KILLS = 50
#: Kills after which the chain is stopped and restarted while the feeder is down.
RESTART_AFTER_KILLS = (1, 20, 40)
#: From this run on, the first one that sends has the chain stopped and restarted under it.
RESTART_UNDER_RUN = 6
#: Short, so that a held request and a dropped transaction cost seconds, not the default minute.
RPC_TIMEOUT = 2.0
CONFIRM_TIMEOUT = 2.0
#: Half of it (the submitter's budget) fits a batch of two or three reports; the asset sync fits.
BLOCK_GAS_LIMIT = 260_000


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
        genesis = now // 3600 * 3600 - (EPOCHS * ROUNDS + 8) * 3600
        plan = DeployPlan(
            operators=(operator,),
            admin_transfer_delay=0,
            oracle=OraclePlan(genesis=genesis, signers=(SIGNER.address,), threshold=1),
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
        last_ended = oracle.last_ended_epoch()
        assert last_ended is not None and last_ended + 1 >= EPOCHS * ROUNDS
        self.first_epoch = last_ended + 1 - EPOCHS * ROUNDS
        # Deployment needs a full block; the feeder gets a small one (kept in the state file).
        # Asked without connect()'s request cache, which has nothing to cache for these methods.
        uncached = Web3(HTTPProvider(self.chain.url))
        uncached.provider.make_request(RPCEndpoint("evm_setBlockGasLimit"), [hex(BLOCK_GAS_LIMIT)])
        uncached.provider.make_request(RPCEndpoint("evm_mine"), [])
        self.proxy = RpcFaultProxy(self.chain.url, seed=SEED, client_timeout=RPC_TIMEOUT).start()

    def restart_chain(self, stopped: bool = False) -> None:
        if not stopped:
            self.chain.stop()  # SIGTERM: anvil dumps its state to --state
        self.chain = LocalChain("anvil", port=self.port, extra_args=("--state", str(self.state)))
        self.chain.start()

    def round_epochs(self, round_: int) -> range:
        start = self.first_epoch + round_ * EPOCHS
        return range(start, start + EPOCHS)

    def measured(self, round_: int) -> bool:
        """Whether every epoch of the round is in the outbox (a replay killed early measured less)."""
        if not self.outbox.exists():
            return False
        with Outbox(self.outbox, read_only=True) as outbox:
            return all(outbox.is_measured(e) for e in self.round_epochs(round_))

    def backlog(self) -> int:
        """Reports in the outbox still to be sent or confirmed."""
        if not self.outbox.exists():
            return 0
        with Outbox(self.outbox, read_only=True) as outbox:
            counts = outbox.counts()
        return counts.get("pending", 0) + counts.get("sent", 0)

    def feeder(self, round_: int) -> FeederRun:
        trace = resources.files("compute_rwa.data.traces").joinpath(BUNDLED_TRACE)
        command = [
            sys.executable,
            "-m",
            "compute_rwa.cli",
            "oracle",
            "replay",
            str(trace),
            "--rpc",
            self.proxy.url,
            "--rpc-timeout",
            str(RPC_TIMEOUT),
            "--confirm-timeout",
            str(CONFIRM_TIMEOUT),
            "--deployments",
            str(self.deployments),
            "--inventory",
            str(self.inventory),
            "--outbox",
            str(self.outbox),
            "--from",
            self.admin,
            "--start-epoch",
            str(self.round_epochs(round_).start),
        ]
        # Unbuffered and wide: each line arrives whole as it is printed, to time kills by it.
        env = {**os.environ, "COMPUTE_RWA_SIGNER_KEY": SIGNER.key.hex(), "PYTHONUNBUFFERED": "1", "COLUMNS": "250"}
        return FeederRun(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))

    def close(self) -> None:
        self.proxy.stop()
        self.chain.stop()


class FeederRun:
    """One feeder subprocess, its output read line by line as it comes (the kills are timed by it)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.lines: list[str] = []
        self.measured = False  # the "measuring epochs" bar is printed once every epoch is measured
        self.submitter_lines: list[str] = []
        self._closed = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            with self._changed:
                self.lines.append(line)
                if self.measured and line and not line.startswith("replayed"):
                    self.submitter_lines.append(line)
                self.measured = self.measured or line.startswith("measuring epochs")
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_submitter(self, lines: int, timeout: float) -> bool:
        """Waits until the submitter has printed `lines` lines; False if the run ended first."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.submitter_lines) >= lines or self._closed, timeout)
            return len(self.submitter_lines) >= lines

    def phase(self) -> str:
        """Where the feeder was, from the last thing it printed."""
        if not self.measured:
            return "starting, buffering samples or measuring"
        last = self.submitter_lines[-1] if self.submitter_lines else ""
        if not last:
            return "reconciling, syncing or signing the first batch"
        if last.startswith(("sent ", "rebroadcast ", "replaced ")):
            return "awaiting a receipt"
        if last.startswith(("confirmed ", "synced ")) or "already on chain" in last:
            return "signing or estimating the next batch"
        if "retry" in last:
            return "backing off after an RPC failure"
        return "after another submitter message"

    def kill(self) -> str | None:
        """SIGKILLs the feeder; returns where it was, or None if it had already exited."""
        where = self.phase()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._reader.join(timeout=10)
        return where if self.process.returncode == -signal.SIGKILL else None

    def finish(self, timeout: float) -> int:
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return self.process.returncode


def kill_at_random_point(run: FeederRun, rng: random.Random, *, busy: bool) -> str | None:
    """Kills the run at a random moment; returns where it was, or None if it finished first.

    Some kills come at a random time in the first 1.5 s (the interpreter's start-up takes most of
    it, then the trace is buffered and measured); when the feeder has reports to send (`busy`),
    most come a moment after a random one of the submitter's first lines instead, so that they land
    between and inside transactions: after a broadcast, while awaiting a receipt, in a retry's
    backoff, while signing or estimating the next batch."""
    if not busy or rng.random() < 0.3:
        try:
            run.process.wait(timeout=rng.uniform(0.1, 1.5))
            return None
        except subprocess.TimeoutExpired:
            return run.kill()
    if not run.wait_for_submitter(rng.randint(1, 4), timeout=120):
        return None
    time.sleep(min(rng.expovariate(1 / 0.05), 0.5))
    return run.kill()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path)
    yield made
    made.close()


def test_every_epoch_lands_exactly_once_across_kills_restarts_and_rpc_faults(rig: Rig) -> None:
    rng = random.Random(SEED)
    kills = restarts = runs = 0
    kill_points: Counter[str] = Counter()
    round_ = 0
    exits: Counter[int] = Counter()  # exit statuses of the runs that were not killed
    under_restart_exit: int | None = None
    finished = False
    for attempt in range(300):
        busy = rig.backlog() > 0 or not rig.measured(round_)
        runs += 1
        run = rig.feeder(round_)
        if attempt >= RESTART_UNDER_RUN and under_restart_exit is None and busy:
            # The node goes away under a running feeder, mid-submission, and comes back on the same
            # port with its state a moment later; meanwhile the proxy answers 502. The feeder backs
            # off and carries on, or gives up without losing anything (exit 3). A run that ends
            # before it has sent anything leaves this to the next one.
            restarted = run.wait_for_submitter(rng.randint(1, 3), timeout=120) and run.process.poll() is None
            if restarted:
                rig.chain.stop()
                time.sleep(rng.uniform(0.5, 2.0))
                rig.restart_chain(stopped=True)
                restarts += 1
            returncode = run.finish(timeout=180)
            assert "Traceback" not in run.output, run.output
            assert returncode in (0, 3), run.output
            if restarted:
                under_restart_exit = returncode
        else:
            where = kill_at_random_point(run, rng, busy=busy) if kills < KILLS else None
            if where is not None:
                kills += 1
                kill_points[where] += 1
                assert "Traceback" not in run.output, run.output
                if kills in RESTART_AFTER_KILLS:  # stop the chain while the feeder is down, then bring it back
                    rig.restart_chain()
                    restarts += 1
            else:
                returncode = run.finish(timeout=300)
                assert "Traceback" not in run.output, run.output
                assert returncode in (0, 3), run.output  # 3: ran cleanly, something still to confirm
                exits[returncode] += 1
                if returncode == 0 and round_ == ROUNDS - 1 and kills >= KILLS:
                    finished = True
                    break
        # The next round is replayed once this one is measured (in the outbox) and its reports are
        # mostly sent: new epochs are queued while older ones are still in flight, and the kills
        # keep finding transactions to interrupt.
        while round_ < ROUNDS - 1 and rig.measured(round_) and rig.backlog() < ADVANCE_BELOW:
            round_ += 1
    assert finished, f"the feeder never completed ({runs} runs, {kills} kills)"

    counts = Outbox(rig.outbox).counts()
    w3 = rig.chain.web3()
    oracle = OracleClient(w3, rig.oracle_address)
    landed: list[tuple[int, int]] = []
    report_txs = 0
    for number in range(w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if tx["to"] != rig.oracle_address or w3.eth.get_transaction_receipt(tx["hash"])["status"] != 1:
                continue
            function, args = oracle.contract.decode_function_input(tx["input"])
            if function.fn_name == "submitReports":
                report_txs += 1
                landed += [r.key for r in unpack_reports(bytes(args["reports"]))]
    expected = {(a, e) for a in rig.asset_ids for r in range(ROUNDS) for e in rig.round_epochs(r)}
    lost = len(expected - set(landed))
    duplicated = len(landed) - len(set(landed)) + len(set(landed) - expected)
    faults = rig.proxy.counts
    report_figures(
        f"\nfeeder fault campaign (seed {SEED}): {runs} runs, {kills} SIGKILLs at random points, "
        f"{restarts} chain restarts, RPC faults: {faults[TIMEOUT]} timeouts, {faults[NONCE_TOO_LOW]} nonce-too-low, "
        f"{faults[UNDERPRICED]} underpriced, {faults[DROPPED]} dropped; {lost} lost, {duplicated} duplicated epochs"
    )
    print(
        f"  {len(expected)} reports in {report_txs} transactions; {rig.proxy.requests} RPC requests proxied; "
        f"runs not killed exited {dict(sorted(exits.items()))}, the one under the chain restart {under_restart_exit}"
    )
    print("  kills: " + ", ".join(f"{n} {where}" for where, n in kill_points.most_common()))
    print(f"  RPC faults: {rig.proxy.summary()}")

    assert lost == 0 and duplicated == 0, (lost, duplicated)
    assert kills >= KILLS and restarts == len(RESTART_AFTER_KILLS) + 1, (kills, restarts)
    assert all(faults[kind] > 0 for kind in (TIMEOUT, NONCE_TOO_LOW, UNDERPRICED, DROPPED)), faults
    assert counts.get("pending", 0) == 0 and counts.get("sent", 0) == 0, counts
    assert counts.get("done", 0) == len(expected), counts
    for asset_id in rig.asset_ids:
        assert oracle.latest_epoch(asset_id) == rig.round_epochs(ROUNDS - 1)[-1]
