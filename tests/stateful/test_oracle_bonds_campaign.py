"""Stateful campaign over MetricsOracle's signer bonds and disputes: report batches (valid and
broken), bond deposits and withdrawals, challenges and their three ends (upheld, rejected,
expired), clock warps, signer-set changes and moves of the minimum bond.

A Python model keeps every key's bond, locked part and exit time, the signer configuration,
the dispute parameters, each held report (signers, acceptance time, voided) and each open
challenge (challenger, bond, the lock it put on each signer). Every transaction's outcome is
predicted from the model first: success, or the exact custom error with its arguments (a
transaction expected to revert is simulated for its error, then sent and must revert on chain
too). After every step, reading the chain:

1. conservation: the oracle's bond-token balance == the bonds of the seven keys + the bonds of
   the open challenges, to the unit;
2. for every key: locked <= bond, and bondOf == the model (bond, locked, exit time);
3. each asset's latest epoch never decreases and equals the model (the latest report too);
4. a voided report is never served: latestReportChecked and metricAt revert OracleReportVoided,
   and trailingAverage counts exactly the held, unvoided reports;
5. the signer configuration equals the model, its threshold a majority and <= the signers;
6. a key counts towards the quorum iff its bond >= the minimum: valid batches are signed by
   bonded keys only, and `probe_under_bonded` submits exactly `threshold` signatures including
   an under-bonded key, expecting OracleSignerBondTooLow.

ORACLE_CAMPAIGN_RUNS (default 80) and ORACLE_CAMPAIGN_STEPS (default 25) size it: hypothesis
examples, and steps per example. Hypothesis 6.27 spends its first ten examples on one- or
two-step runs, follows each new long run with up to five mutated copies of it, and switches
rules off at random per run (swarm testing), so the default asks for more examples than the
number of distinct runs it wants, and the dispute rules are composite: `challenge` accepts a
batch first when no report is in its window, `resolve` and `expire` open a challenge first when
none is open, `expire` moves the clock past the timeout when needed, `withdraw` sometimes has a
signer leave (and the clock pass its exit time) first. At the default size or above, the
campaign asserts that every kind of action ran at least once; it prints how often each ran and
in how many runs.

Transactions and reads go through raw JSON-RPC with calldata encoded here: web3's contract
wrapper re-derives the ABI on every call and estimates gas first, which costs more than the
call itself (the campaign sends thousands).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import function_abi_to_4byte_selector, get_abi_input_types, get_abi_output_types, keccak
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3 import Web3

from compute_rwa.artifacts import decode_error
from compute_rwa.oracle.client import Metric
from compute_rwa.oracle.reports import OracleDomain, Report, pack_reports
from tests.conftest import ORACLE_KEYS
from tests.helpers import b32, report_figures
from tests.stateful.rpc import BatchRpc
from tests.unit.metrics_oracle.conftest import (
    DAY,
    HOUR,
    MAX_BPS,
    MAX_ENERGY_WH,
    MAX_GPU_HOURS_MILLI,
    MAX_POWER_W,
    make_report,
    recovered,
)

DEFAULT_RUNS, DEFAULT_STEPS = 80, 25
RUNS = int(os.environ.get("ORACLE_CAMPAIGN_RUNS", str(DEFAULT_RUNS)))
STEPS = int(os.environ.get("ORACLE_CAMPAIGN_STEPS", str(DEFAULT_STEPS)))

#: Decisions that depend on the clock stay this far from any boundary: a transaction's block
#: comes a few (wall-clock) seconds after the latest block the model has seen.
MARGIN = 600
GAS = 3_000_000
NONE, OPEN, UPHELD, REJECTED, EXPIRED = 0, 1, 2, 3, 4
#: A key that is never a signer: signs batches that must fail with OracleUnknownSigner.
STRANGER = Account.from_key(keccak(text="oracle-campaign-stranger"))
#: Hard bounds of the 8-GPU, 5,600 W assets over one-hour epochs, in the contract's check order.
BOUNDS = (
    ("utilization_bps", "utilizationBps", MAX_BPS),
    ("uptime_bps", "uptimeBps", MAX_BPS),
    ("gpu_hours_milli", "gpuHoursMilli", MAX_GPU_HOURS_MILLI),
    ("avg_power_w", "avgPowerW", MAX_POWER_W),
    ("energy_wh", "energyWh", MAX_ENERGY_WH),
)
INVALID_KINDS = (
    "replay",
    "older",
    "too_few",
    "out_of_bound",
    "unknown_signer",
    "duplicate_signature",
    "not_ended",
    "unsynced",
)
REFUSAL_KINDS = (
    "challenge_closed",
    "challenge_again",
    "challenge_missing",
    "resolve_not_open",
    "expire_not_open",
    "expire_early",
    "bad_threshold",
    "duplicate_in_config",
    "min_below_slash",
)
#: Actions the campaign must have taken at least once (at its default size).
REQUIRED = (
    "submit",
    *(f"invalid:{k}" for k in INVALID_KINDS),
    "deposit",
    "withdraw:ok",
    "withdraw:locked",
    "withdraw:removed_signer",
    "challenge",
    "resolve:upheld",
    "resolve:rejected",
    "expire",
    "warp",
    "set_signers",
    "set_min_bond",
    "probe_under_bonded",
    *(f"refusal:{k}" for k in REFUSAL_KINDS),
)

#: None: the call succeeds; else (custom error name, its arguments by name).
Outcome = tuple[str, dict[str, Any]] | None


@dataclass
class Held:
    """A report the oracle holds, as the model expects it."""

    report: Report
    updated_at: int
    version: int
    signers: tuple[str, ...]  # in the order of that configuration
    bits: int
    voided: bool = False


@dataclass
class Dispute:
    challenger: str
    opened_at: int
    bond: int
    locks: dict[str, int] = field(default_factory=dict)  # signer -> amount, configuration order


class Chain(BatchRpc):
    """Raw JSON-RPC against the local node: calls (one at a time or many in one batch) and
    transactions, with calldata encoded and results decoded here."""

    def __init__(self, w3: Web3, *contracts: Any) -> None:
        super().__init__(w3)
        self.signatures: dict[tuple[bytes, str], bytes] = {}
        self.chain_id = int(w3.eth.chain_id)
        self.functions = {
            (c.address, item["name"]): (
                function_abi_to_4byte_selector(item),
                get_abi_input_types(item),
                get_abi_output_types(item),
            )
            for c in contracts
            for item in c.abi
            if item.get("type") == "function"
        }

    def sign(self, digest: bytes, key: LocalAccount) -> bytes:
        """r | s | v of `key` over `digest` (memoised: hypothesis re-runs the same batches)."""
        if (digest, key.address) not in self.signatures:
            signed = key.unsafe_sign_hash(digest)
            self.signatures[(digest, key.address)] = (
                signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
            )
        return self.signatures[(digest, key.address)]

    def warp(self, seconds: int) -> int:
        """Moves the clock forward, mines a block; returns its timestamp."""
        self.rpc("evm_increaseTime", [seconds])
        self.rpc("evm_mine", [])
        return self.now()

    def now(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def _data(self, contract: Any, name: str, args: tuple[Any, ...]) -> str:
        selector, inputs, _ = self.functions[(contract.address, name)]
        return "0x" + (selector + abi_encode(inputs, list(args))).hex()

    def _decode(self, contract: Any, name: str, response: dict[str, Any]) -> Any:
        """Outputs (one value unwrapped), or ("revert", error name, arguments)."""
        if "error" in response:
            data = response["error"].get("data") or "0x"
            return ("revert", *decode_error(bytes.fromhex(data.removeprefix("0x"))))
        _, _, outputs = self.functions[(contract.address, name)]
        values = abi_decode(outputs, bytes.fromhex(response["result"].removeprefix("0x")))
        return values[0] if len(values) == 1 else values

    def call(self, sender: str, contract: Any, name: str, *args: Any) -> Any:
        tx = {"from": sender, "to": contract.address, "data": self._data(contract, name, args)}
        (response,) = self.post([("eth_call", [tx, "latest"])])
        return self._decode(contract, name, response)

    def batch(self, calls: list[tuple[Any, str, tuple[Any, ...]]]) -> tuple[int, list[Any]]:
        """The latest block's timestamp and every call's result, in one round trip."""
        queries: list[tuple[str, list[Any]]] = [("eth_getBlockByNumber", ["latest", False])]
        for contract, name, args in calls:
            queries.append(("eth_call", [{"to": contract.address, "data": self._data(contract, name, args)}, "latest"]))
        block, *answers = self.post(queries)
        results = [self._decode(c, n, r) for (c, n, _), r in zip(calls, answers, strict=True)]
        return int(block["result"]["timestamp"], 16), results

    def send(self, sender: str | LocalAccount, contract: Any, name: str, *args: Any) -> tuple[int, int]:
        """Sends the transaction with a fixed gas limit (no estimate: a reverting one is mined
        too); returns its receipt status and its block's timestamp."""
        tx: dict[str, Any] = {"to": contract.address, "data": self._data(contract, name, args), "gas": hex(GAS)}
        if isinstance(sender, LocalAccount):
            nonce = int(self.rpc("eth_getTransactionCount", [sender.address, "pending"]), 16)
            signed = sender.sign_transaction(
                {
                    **tx,
                    "gas": GAS,
                    "nonce": nonce,
                    "chainId": self.chain_id,
                    "maxFeePerGas": 100 * 10**9,
                    "maxPriorityFeePerGas": 0,
                }
            )
            tx_hash = self.rpc("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])
        else:
            tx_hash = self.rpc("eth_sendTransaction", [{**tx, "from": sender}])
        # Automine: the receipt comes with the next block, usually at once.
        deadline = time.monotonic() + 30
        while (receipt := self.rpc("eth_getTransactionReceipt", [tx_hash])) is None:
            assert time.monotonic() < deadline, f"{name}: transaction {tx_hash} not mined"
            time.sleep(0.002)
        block = self.rpc("eth_getBlockByNumber", [receipt["blockNumber"], False])
        return int(receipt["status"], 16), int(block["timestamp"], 16)


def make_machine(suite, roles, w3, oracle, assets, unsynced, campaign):
    token = suite.payment_token
    contract = oracle.contract
    chain = Chain(w3, contract, token)
    keys: tuple[LocalAccount, ...] = ORACLE_KEYS
    addresses = [k.address for k in keys]
    key_of = {k.address: k for k in (*keys, STRANGER)}
    admin, transmitter, treasury, funder = roles.admin, roles.outsider, roles.treasury, roles.lender
    challengers = (roles.lessee, roles.borrower)
    genesis, epoch_seconds, ring_size = oracle.genesis, oracle.epoch_seconds, oracle.ring_size

    _, (config, params, *bonds) = chain.batch(
        [(contract, "signerConfig", ()), (contract, "disputeParams", ())]
        + [(contract, "bondOf", (a,)) for a in addresses]
    )
    initial = {
        "config": (config[0], config[1], [Web3.to_checksum_address(a) for a in config[2]]),
        "params": tuple(params),
        "bonds": dict(zip(addresses, bonds, strict=True)),
    }

    def attempt(sender: str | LocalAccount, target: Any, name: str, args: tuple[Any, ...], outcome: Outcome) -> int:
        """Sends the transaction expecting `outcome`. An expected revert is simulated first (for
        the exact error and arguments), then sent, and must revert on chain as well. Returns
        the block timestamp of a successful transaction, 0 after an expected revert."""
        if outcome is not None:
            address = sender.address if isinstance(sender, LocalAccount) else sender
            simulated = chain.call(address, target, name, *args)
            assert simulated == ("revert", *outcome), f"{name}: expected {outcome}, simulation gave {simulated}"
        status, stamp = chain.send(sender, target, name, *args)
        if outcome is None and status != 1:
            address = sender.address if isinstance(sender, LocalAccount) else sender
            raise AssertionError(f"{name}{args} reverted: {chain.call(address, target, name, *args)}")
        assert status == (1 if outcome is None else 0), f"{name}: status {status}, expected {outcome}"
        return stamp if outcome is None else 0

    def balance(account: str) -> int:
        return int(chain.call(account, token, "balanceOf", account))

    class OracleBondsMachine(RuleBasedStateMachine):
        # ------------------------------------------------------------ set-up

        @initialize()
        def start(self) -> None:
            campaign["runs"] += 1
            self.steps, self.kinds = -1, set()  # the first check follows this initialize step
            self.snapshot = chain.rpc("evm_snapshot", [])
            # Mine once: the model's clock is the latest block's, and a revert may leave the
            # node's clock offset ahead of the snapshot's block.
            self.now = chain.warp(1)
            # Every run starts from the same state: the fixture's 3-of-5 signers, all keys bonded.
            self.version, self.threshold, self.config = initial["config"]
            self.config = list(self.config)
            self.window, self.timeout, self.cbond, self.slash, self.min_bond = initial["params"]
            self.bond = {a: b for a, (b, _, _) in initial["bonds"].items()}
            self.locked = {a: locked for a, (_, locked, _) in initial["bonds"].items()}
            self.exit = {a: exit_at for a, (_, _, exit_at) in initial["bonds"].items()}
            self.latest: dict[int, int | None] = {a: None for a in assets}
            self.seen_latest = dict(self.latest)
            self.held: dict[tuple[int, int], Held] = {}
            self.status: dict[tuple[int, int], int] = {}
            self.open: dict[tuple[int, int], Dispute] = {}
            self.last_batch: tuple[int, bytes, bytes] | None = None  # version, reports, signatures

        def teardown(self) -> None:
            if hasattr(self, "snapshot"):
                chain.rpc("evm_revert", [self.snapshot])
                campaign["steps"].append(self.steps)
                campaign["runs with"].update(self.kinds)

        # ------------------------------------------------------------ model helpers

        def _count(self, kind: str) -> None:
            campaign["actions"][kind] += 1
            self.kinds.add(kind)

        def _epoch_at(self, timestamp: int) -> int:
            return (timestamp - genesis) // epoch_seconds

        def _ended(self, epoch: int) -> bool:
            if epoch < self._epoch_at(self.now):
                return True
            assert epoch >= self._epoch_at(self.now + MARGIN), "generated an epoch too close to its end"
            return False

        def _bonded(self) -> list[str]:
            return [a for a in self.config if self.bond[a] >= self.min_bond]

        def _under_bonded(self) -> list[str]:
            return [a for a in self.config if self.bond[a] < self.min_bond]

        def _quorum_possible(self) -> bool:
            return len(self._bonded()) >= self.threshold

        def _next_ok(self, asset: int) -> bool:
            """The asset's next epoch has ended (its first report can always find one)."""
            last = self.latest[asset]
            return last is None or last + 1 < self._epoch_at(self.now)

        def _eligible(self) -> list[int]:
            return [a for a in assets if self._next_ok(a)]

        def _next_epoch(self, data, asset: int) -> int:
            last = self.latest[asset]
            if last is None:
                return self._epoch_at(self.now) - 1 - data.draw(st.integers(0, 5), label="first epoch back")
            return last + 1

        def _withdrawable(self, a: str) -> int:
            bond, locked = self.bond[a], self.locked[a]
            if a in self.config:
                return max(0, bond - max(locked, self.min_bond))
            assert not self.now <= self.exit[a] < self.now + MARGIN, "exit time too close to call"
            return 0 if self.exit[a] >= self.now else bond - locked

        def _challengeable(self, key: tuple[int, int]) -> bool:
            held = self.held[key]
            return (
                not held.voided
                and self.status.get(key, NONE) == NONE
                and held.updated_at + self.window >= self.now + MARGIN
            )

        def _expired(self) -> list[tuple[int, int]]:
            return sorted(k for k, d in self.open.items() if d.opened_at + self.timeout < self.now)

        def _unexpired(self) -> list[tuple[int, int]]:
            return sorted(k for k, d in self.open.items() if d.opened_at + self.timeout >= self.now + MARGIN)

        def _expect_submit(self, reports: list[Report], signers: list[str]) -> Outcome:
            """What submitReports does with this batch, in the contract's order of checks."""
            if len(signers) < self.threshold:
                return "OracleQuorumNotMet", {"signatures": len(signers), "threshold": self.threshold}
            seen: set[str] = set()
            for a in signers:
                if a not in self.config:
                    return "OracleUnknownSigner", {"signer": a}
                if a in seen:
                    return "OracleDuplicateSigner", {"signer": a}
                seen.add(a)
                if self.bond[a] < self.min_bond:
                    return "OracleSignerBondTooLow", {"signer": a, "bond": self.bond[a], "minBond": self.min_bond}
            latest = dict(self.latest)
            for r in reports:
                where = {"assetId": r.asset_id, "epoch": r.epoch}
                if not self._ended(r.epoch):
                    return "OracleEpochNotEnded", {**where, "endsAt": genesis + (r.epoch + 1) * epoch_seconds}
                last = latest.get(r.asset_id)
                if last is not None and r.epoch == last:
                    return "OracleReportAlreadyAccepted", where
                if last is not None and r.epoch < last:
                    return "OracleEpochNotIncreasing", {**where, "latestEpoch": last}
                if r.asset_id not in assets:
                    return "OracleAssetNotSynced", {"assetId": r.asset_id}
                for attr, name, bound in BOUNDS:
                    value = getattr(r, attr)
                    if value > bound:
                        return "OracleValueOutOfBounds", {**where, "field": b32(name), "value": value, "bound": bound}
                latest[r.asset_id] = r.epoch
            return None

        def _domain(self) -> OracleDomain:
            return OracleDomain(chain.chain_id, oracle.address, self.version)

        def _submit(self, reports: list[Report], signers: list[str], signatures: bytes | None = None) -> Outcome:
            """Signs (in `signers` order) unless `signatures` is given, transmits, and checks the
            predicted outcome; on success records the reports. Returns the predicted outcome."""
            data = pack_reports(reports)
            if signatures is None:
                digest = self._domain().digest(data)
                signatures = b"".join(chain.sign(digest, key_of[a]) for a in signers)
            outcome = self._expect_submit(reports, signers)
            stamp = attempt(transmitter, contract, "submitReports", (data, signatures), outcome)
            if outcome is not None:
                return outcome
            bits = sum(1 << self.config.index(a) for a in set(signers))
            ordered = tuple(a for a in self.config if a in set(signers))
            for r in reports:
                # The ring keeps RING_SIZE epochs: a report overwrites the one RING_SIZE before.
                for old in [k for k in self.held if k[0] == r.asset_id and (r.epoch - k[1]) % ring_size == 0]:
                    del self.held[old]
                self.held[(r.asset_id, r.epoch)] = Held(r, stamp, self.version, ordered, bits)
                self.latest[r.asset_id] = r.epoch
            self.last_batch = (self.version, data, signatures)
            return None

        def _quorum(self, data) -> list[str]:
            """A random number (>= threshold) of bonded signers, in a random signing order."""
            bonded = self._bonded()
            size = data.draw(st.integers(self.threshold, len(bonded)), label="signatures")
            return data.draw(st.permutations(bonded), label="signing order")[:size]

        def _report(self, data, asset: int, epoch: int | None = None) -> Report:
            """A report within every bound, for `epoch` (default: the asset's next one)."""
            return make_report(
                asset,
                self._next_epoch(data, asset) if epoch is None else epoch,
                utilization_bps=data.draw(st.integers(0, MAX_BPS)),
                uptime_bps=data.draw(st.integers(0, MAX_BPS)),
                gpu_hours_milli=data.draw(st.integers(0, MAX_GPU_HOURS_MILLI)),
                energy_wh=data.draw(st.integers(0, MAX_ENERGY_WH)),
                avg_power_w=data.draw(st.integers(0, MAX_POWER_W)),
            )

        # ------------------------------------------------------------ reports

        @precondition(lambda self: self._can_submit())
        @rule(data=st.data())
        def submit(self, data) -> None:
            self._submit_valid(data)
            self._count("submit")

        def _can_submit(self) -> bool:
            return self._quorum_possible() and any(self._next_ok(a) for a in assets)

        def _submit_valid(self, data) -> list[Report]:
            """A valid batch: some assets at their next epoch, signed by >= threshold bonded keys."""
            eligible = self._eligible()
            count = data.draw(st.integers(1, len(eligible)), label="assets")
            reports = [self._report(data, a) for a in data.draw(st.permutations(eligible))[:count]]
            # Sometimes a second epoch of an asset, later in the same batch.
            for r in list(reports):
                if r.epoch + 1 < self._epoch_at(self.now) and data.draw(st.booleans(), label="two epochs"):
                    reports.append(self._report(data, r.asset_id, r.epoch + 1))
            assert self._submit(reports, self._quorum(data)) is None
            return reports

        # One rule per fault, each run when the state allows it: a batch that must revert as
        # a whole, naming its fault (always signed by a bonded quorum unless the fault is there).

        def _can_resubmit(self) -> bool:
            return self._quorum_possible() and any(self.latest[a] is not None for a in assets)

        @precondition(lambda self: self._can_resubmit())
        @rule(data=st.data())
        def submit_replay(self, data) -> None:
            """The last accepted batch again, byte for byte, or a report of a held epoch."""
            self._invalid(data, "replay")

        @precondition(lambda self: self._can_resubmit())
        @rule(data=st.data())
        def submit_older(self, data) -> None:
            self._invalid(data, "older")

        @precondition(lambda self: self._can_submit())
        @rule(data=st.data())
        def submit_too_few(self, data) -> None:
            self._invalid(data, "too_few")

        @precondition(lambda self: self._can_submit())
        @rule(data=st.data())
        def submit_unknown_signer(self, data) -> None:
            self._invalid(data, "unknown_signer")

        @precondition(lambda self: self._can_submit())
        @rule(data=st.data())
        def submit_duplicate_signature(self, data) -> None:
            self._invalid(data, "duplicate_signature")

        @precondition(lambda self: self._can_submit())
        @rule(data=st.data())
        def submit_out_of_bound(self, data) -> None:
            self._invalid(data, "out_of_bound")

        @precondition(lambda self: self._quorum_possible())
        @rule(data=st.data())
        def submit_not_ended(self, data) -> None:
            self._invalid(data, "not_ended")

        @precondition(lambda self: self._quorum_possible())
        @rule(data=st.data())
        def submit_unsynced(self, data) -> None:
            self._invalid(data, "unsynced")

        def _invalid(self, data, kind: str) -> None:
            """A batch that must revert as a whole, naming its fault, and change nothing."""
            with_report = [a for a in assets if self.latest[a] is not None]
            eligible = self._eligible()
            signers = self._quorum(data)
            exact = kind == "replay" and self.last_batch is not None and self.last_batch[0] == self.version
            if exact and data.draw(st.booleans(), label="byte for byte"):
                # The last accepted batch with its own signatures.
                _, raw, sigs = self.last_batch
                reports = [Report.unpack(raw[i : i + 61]) for i in range(0, len(raw), 61)]
                digest = self._domain().digest(raw)
                signed_by = [recovered(digest, sigs[i : i + 65]) for i in range(0, len(sigs), 65)]
                assert self._submit(reports, signed_by, sigs) is not None
                self._count("invalid:replay")
                return
            if kind == "replay":
                asset = data.draw(st.sampled_from(with_report))
                bad = self._report(data, asset, self.latest[asset])
            elif kind == "older":
                asset = data.draw(st.sampled_from(with_report))
                last = self.latest[asset]
                bad = self._report(data, asset, data.draw(st.integers(max(0, last - 200), last - 1)))
            elif kind == "not_ended":
                epoch = self._epoch_at(self.now + MARGIN) + data.draw(st.integers(0, 3))
                bad = self._report(data, data.draw(st.sampled_from(assets)), epoch)
            elif kind == "unsynced":
                bad = self._report(data, unsynced, self._epoch_at(self.now) - 1)
            else:
                bad = self._report(data, data.draw(st.sampled_from(eligible)))
                if kind == "out_of_bound":
                    attr, _, bound = data.draw(st.sampled_from(BOUNDS), label="field")
                    value = data.draw(st.one_of(st.just(bound + 1), st.integers(bound + 1, 2**16 - 1)))
                    bad = Report(**{**bad.__dict__, attr: value})
                elif kind == "too_few":
                    signers = signers[: self.threshold - 1]
                elif kind == "unknown_signer":
                    outside = [a for a in addresses if a not in self.config] or [STRANGER.address]
                    signers = signers[: self.threshold - 1]
                    signers.insert(data.draw(st.integers(0, len(signers))), data.draw(st.sampled_from(outside)))
                elif kind == "duplicate_signature":
                    signers = signers[: max(1, self.threshold - 1)]
                    signers.insert(data.draw(st.integers(1, len(signers))), data.draw(st.sampled_from(signers)))
            reports = [bad]
            # Sometimes behind a valid report of another asset: the whole batch must revert.
            others = [a for a in eligible if a != bad.asset_id]
            if others and data.draw(st.booleans(), label="valid report first"):
                reports.insert(0, self._report(data, data.draw(st.sampled_from(others))))
            assert self._submit(reports, signers) is not None, f"{kind}: the generated batch is valid"
            self._count(f"invalid:{kind}")

        @precondition(lambda self: any(self._next_ok(a) for a in assets))
        @rule(data=st.data())
        def probe_under_bonded(self, data) -> None:
            """Exactly `threshold` signatures, one of them (at least) from an under-bonded key.
            When every signer is bonded, the minimum first moves one unit above a signer's bond."""
            if not self._under_bonded():
                self._set_min_bond(self.bond[data.draw(st.sampled_from(self.config), label="signer")] + 1)
            under = data.draw(st.sampled_from(self._under_bonded()), label="under-bonded")
            signers = data.draw(st.permutations([a for a in self.config if a != under]))[: self.threshold - 1]
            signers.insert(data.draw(st.integers(0, len(signers))), under)
            report = self._report(data, data.draw(st.sampled_from(self._eligible())))
            outcome = self._submit([report], signers)
            assert outcome is not None and outcome[0] == "OracleSignerBondTooLow", outcome
            self._count("probe_under_bonded")

        # ------------------------------------------------------------ bonds

        @rule(
            index=st.integers(0, len(keys) - 1),
            amount=st.one_of(
                st.sampled_from([1, 100 * 10**6, 500 * 10**6, 1_000 * 10**6, 2_000 * 10**6]),
                st.integers(1, 3_000 * 10**6),
            ),
        )
        def deposit(self, index: int, amount: int) -> None:
            a = addresses[index]
            attempt(admin, token, "mint", (funder, amount), None)
            attempt(funder, contract, "depositBond", (a, amount), None)
            self.bond[a] += amount
            self._count("deposit")

        @rule(data=st.data())
        def withdraw(self, data) -> None:
            # Mostly a key that left the signer set (its bond unlocks at its exit time); when
            # none has, sometimes one leaves first.
            removed = [a for a in addresses if a not in self.config and self.exit[a]]
            if not removed and len(self.config) > 1 and not data.draw(st.integers(0, 3), label="remove one"):
                leaver = data.draw(st.sampled_from(self.config), label="leaver")
                staying = [s for s in self.config if s != leaver]
                self._set_signers(staying, len(staying) // 2 + 1)
                removed = [leaver]
            prefer_removed = removed and data.draw(st.integers(0, 3), label="prefer removed")
            a = data.draw(st.sampled_from(removed if prefer_removed else addresses), label="key")
            if a in removed and self.exit[a] >= self.now and data.draw(st.integers(0, 3), label="past the exit"):
                self.now = chain.warp(self.exit[a] - self.now + data.draw(st.integers(MARGIN, DAY)))
                self._count("warp:past_an_exit")
            if a not in self.config and self.now <= self.exit[a] < self.now + MARGIN:
                self.now = chain.warp(MARGIN)  # too close to the exit time to call
            free = self._withdrawable(a)
            amount = data.draw(
                st.one_of(
                    st.just(max(free, 1)),
                    st.just(free + 1),
                    st.integers(1, max(1, free)),
                    st.integers(1, self.bond[a] + 1),
                ),
                label="amount",
            )
            before = balance(treasury)
            if amount <= free:
                attempt(key_of[a], contract, "withdrawBond", (amount, treasury), None)
                assert balance(treasury) == before + amount
                self.bond[a] -= amount
                self._count("withdraw:ok")
                if a not in self.config and self.exit[a]:
                    self._count("withdraw:removed_signer")
            else:
                locked = ("OracleBondLocked", {"signer": a, "requested": amount, "withdrawable": free})
                attempt(key_of[a], contract, "withdrawBond", (amount, treasury), locked)
                assert balance(treasury) == before
                self._count("withdraw:locked")

        # ------------------------------------------------------------ disputes

        @precondition(lambda self: self._can_challenge())
        @rule(data=st.data())
        def challenge(self, data) -> None:
            self._challenge(data)

        def _can_challenge(self) -> bool:
            return any(self._challengeable(k) for k in self.held) or self._can_submit()

        def _challenge(self, data) -> tuple[int, int]:
            """Challenges a report in its window; when none is, or sometimes, a batch accepted
            just before (so that disputes do not wait on the `submit` rule)."""
            candidates = sorted(k for k in self.held if self._challengeable(k))
            if not candidates or (self._can_submit() and data.draw(st.booleans(), label="fresh report")):
                candidates = [(r.asset_id, r.epoch) for r in self._submit_valid(data)]
                self._count("submit")
            key = data.draw(st.sampled_from(candidates), label="report")
            challenger = data.draw(st.sampled_from(challengers), label="challenger")
            attempt(admin, token, "mint", (challenger, self.cbond), None)
            dispute = Dispute(challenger, attempt(challenger, contract, "challenge", key, None), self.cbond)
            for a in self.held[key].signers:
                amount = min(self.bond[a] - self.locked[a], self.slash)
                self.locked[a] += amount
                dispute.locks[a] = amount
            self.open[key] = dispute
            self.status[key] = OPEN
            self._count("challenge")
            return key

        @precondition(lambda self: self.open or self._can_challenge())
        @rule(data=st.data(), upheld=st.booleans())
        def resolve(self, data, upheld: bool) -> None:
            """The arbiter decides an open challenge (one is opened first if none is)."""
            key = (
                data.draw(st.sampled_from(sorted(self.open)), label="challenge") if self.open else self._challenge(data)
            )
            dispute = self.open.pop(key)
            before = balance(dispute.challenger)
            attempt(admin, contract, "resolveChallenge", (*key, upheld), None)
            for a, amount in dispute.locks.items():
                self.locked[a] -= amount
            if upheld:
                # The locked parts are slashed and paid out with the challenge bond.
                for a, amount in dispute.locks.items():
                    self.bond[a] -= amount
                payout = sum(dispute.locks.values()) + dispute.bond
                if key in self.held:
                    self.held[key].voided = True
            else:
                # The challenge bond goes to the accused signers; the first takes the odd units.
                share, remainder = divmod(dispute.bond, len(dispute.locks))
                for i, a in enumerate(dispute.locks):
                    self.bond[a] += share + (remainder if i == 0 else 0)
                payout = 0
            assert balance(dispute.challenger) == before + payout
            self.status[key] = UPHELD if upheld else REJECTED
            self._count("resolve:upheld" if upheld else "resolve:rejected")

        @precondition(lambda self: self.open or self._can_challenge())
        @rule(data=st.data())
        def expire(self, data) -> None:
            """Expires a challenge left unresolved past the timeout, moving the clock past it
            first if needed (and opening one first if none is)."""
            if not self.open:
                self._challenge(data)
            key = data.draw(st.sampled_from(self._expired() or sorted(self.open)), label="challenge")
            if self.open[key].opened_at + self.timeout >= self.now:
                self._warp_past_a_timeout(data, key)
            dispute = self.open.pop(key)
            before = balance(dispute.challenger)
            attempt(transmitter, contract, "expireChallenge", key, None)
            for a, amount in dispute.locks.items():
                self.locked[a] -= amount
            assert balance(dispute.challenger) == before + dispute.bond
            self.status[key] = EXPIRED
            self._count("expire")

        # ------------------------------------------------------------ time

        @rule(data=st.data(), seconds=st.one_of(st.integers(1, 6 * HOUR), st.integers(1, 8 * DAY)))
        def warp(self, data, seconds: int) -> None:
            if self._pending() and data.draw(st.booleans(), label="past a challenge's timeout"):
                self._warp_past_a_timeout(data)
            else:
                self.now = chain.warp(seconds)
                self._count("warp")

        def _pending(self) -> list[tuple[int, int]]:
            """Open challenges the arbiter still has time to resolve."""
            return sorted(k for k, d in self.open.items() if d.opened_at + self.timeout >= self.now)

        def _warp_past_a_timeout(self, data, key: tuple[int, int] | None = None) -> None:
            dispute = self.open[key or data.draw(st.sampled_from(self._pending()), label="challenge")]
            target = dispute.opened_at + self.timeout + data.draw(st.integers(1, HOUR))
            self.now = chain.warp(target - self.now)
            self._count("warp:past_a_timeout")

        # ------------------------------------------------------------ administration

        @rule(
            members=st.lists(st.integers(0, len(keys) - 1), min_size=1, max_size=len(keys), unique=True),
            data=st.data(),
        )
        def set_signers(self, members: list[int], data) -> None:
            signers = [addresses[i] for i in members]
            self._set_signers(signers, data.draw(st.integers(len(signers) // 2 + 1, len(signers)), label="threshold"))

        def _set_signers(self, signers: list[str], threshold: int) -> None:
            stamp = attempt(admin, contract, "setSigners", (signers, threshold), None)
            # Everyone in the previous set (staying or not) gets an exit time.
            for a in self.config:
                self.exit[a] = stamp + self.window
            self.config, self.threshold, self.version = signers, threshold, self.version + 1
            self._count("set_signers")

        @rule(
            data=st.data(),
            minimum=st.one_of(
                st.sampled_from([500 * 10**6, 1_000 * 10**6, 1_500 * 10**6, 2_000 * 10**6, 2_500 * 10**6]),
                st.integers(500 * 10**6, 3_000 * 10**6),
            ),
        )
        def set_min_bond(self, data, minimum: int) -> None:
            if data.draw(st.booleans(), label="at a signer's bond"):
                # Exactly a signer's bond (it still counts) or one unit above (it stops counting).
                bond = self.bond[data.draw(st.sampled_from(self.config), label="signer")]
                minimum = bond + data.draw(st.integers(0, 1), label="plus")
            self._set_min_bond(minimum)

        def _set_min_bond(self, minimum: int) -> None:
            minimum = max(minimum, self.slash)
            params = (self.window, self.timeout, self.cbond, self.slash, minimum)
            attempt(admin, contract, "setDisputeParams", params, None)
            self.min_bond = minimum
            self._count("set_min_bond")

        @rule(data=st.data())
        def challenge_refused(self, data) -> None:
            """A challenge after the window, a second one, or of a report never held."""
            self._refuse(data, ("challenge_closed", "challenge_again", "challenge_missing"))

        @precondition(
            lambda self: any(k not in self.open for k in self.held) or self._unexpired() or self._can_challenge()
        )
        @rule(data=st.data())
        def settle_refused(self, data) -> None:
            """Resolving or expiring what is not open, or expiring before the timeout (a
            challenge is opened first if none can be expired early)."""
            self._refuse(data, ("resolve_not_open", "expire_not_open", "expire_early"))

        @rule(data=st.data())
        def admin_refused(self, data) -> None:
            """A minority or oversized threshold, a signer listed twice, a minimum below the slash."""
            self._refuse(data, ("bad_threshold", "duplicate_in_config", "min_below_slash"))

        def _refuse(self, data, kinds: tuple[str, ...]) -> None:
            """Dispute and administration calls that must revert, with the exact error."""
            reported = sorted(self.held)
            fresh = [k for k in reported if not self.held[k].voided and self.status.get(k, NONE) == NONE]
            available: dict[str, list[Any]] = {
                # A report nobody challenged (accepted first if there is none; the clock moves
                # past its window if needed).
                "challenge_closed": fresh or (["submit one"] if self._can_submit() else []),
                "challenge_again": [k for k in reported if k not in fresh],
                "challenge_missing": [None],
                "resolve_not_open": [k for k in reported if k not in self.open],
                "expire_not_open": [k for k in reported if k not in self.open],
                "expire_early": self._unexpired() or (["open one"] if self._can_challenge() else []),
                "bad_threshold": [None],
                "duplicate_in_config": [None],
                "min_below_slash": [None],
            }
            usable = [k for k in kinds if available[k]]
            # Half the time, only among the refusals that need a challenge (rarer states).
            rare = [k for k in usable if k in ("challenge_closed", "challenge_again", "expire_early")]
            pool = rare if rare and data.draw(st.booleans(), label="prefer rare") else usable
            kind = data.draw(st.sampled_from(pool), label="kind")
            key = data.draw(st.sampled_from(available[kind]), label="target")
            if key == "open one":
                key = self._challenge(data)
            if key == "submit one":
                r = data.draw(st.sampled_from(self._submit_valid(data)), label="report")
                self._count("submit")
                key = (r.asset_id, r.epoch)
            where = {"assetId": key[0], "epoch": key[1]} if key else {}
            challenger = data.draw(st.sampled_from(challengers), label="challenger")
            if kind == "challenge_closed":
                closes = self.held[key].updated_at + self.window
                if closes >= self.now:
                    self.now = chain.warp(closes - self.now + data.draw(st.integers(1, DAY)))
                    self._count("warp:past_a_window")
                closed = {**where, "closedAt": closes}
                attempt(challenger, contract, "challenge", key, ("OracleChallengeWindowClosed", closed))
            elif kind == "challenge_again":
                attempt(challenger, contract, "challenge", key, ("OracleAlreadyChallenged", where))
            elif kind == "challenge_missing":
                asset = data.draw(st.sampled_from(assets))
                last = self.latest[asset]
                epoch = self._epoch_at(self.now) - 1 if last is None else last + data.draw(st.integers(1, 50))
                missing = ("OracleReportNotFound", {"assetId": asset, "epoch": epoch})
                attempt(challenger, contract, "challenge", (asset, epoch), missing)
            elif kind == "resolve_not_open":
                args = (*key, data.draw(st.booleans()))
                attempt(admin, contract, "resolveChallenge", args, ("OracleNoOpenChallenge", where))
            elif kind == "expire_not_open":
                attempt(transmitter, contract, "expireChallenge", key, ("OracleNoOpenChallenge", where))
            elif kind == "expire_early":
                early = {**where, "expiresAt": self.open[key].opened_at + self.timeout}
                attempt(transmitter, contract, "expireChallenge", key, ("OracleChallengeNotExpired", early))
            elif kind == "bad_threshold":
                members = data.draw(st.lists(st.sampled_from(addresses), min_size=1, max_size=7, unique=True))
                n = len(members)
                threshold = data.draw(st.one_of(st.integers(0, n // 2), st.integers(n + 1, 255)))
                bad = ("OracleInvalidSignerConfig", {"reason": b32("threshold"), "value": threshold})
                attempt(admin, contract, "setSigners", (members, threshold), bad)
            elif kind == "duplicate_in_config":
                members = data.draw(st.lists(st.sampled_from(addresses), min_size=1, max_size=6, unique=True))
                twice = data.draw(st.sampled_from(members))
                members.insert(data.draw(st.integers(members.index(twice) + 1, len(members))), twice)
                threshold = data.draw(st.integers(len(members) // 2 + 1, len(members)))
                bad = ("OracleInvalidSignerConfig", {"reason": b32("duplicateSigner"), "value": int(twice, 16)})
                attempt(admin, contract, "setSigners", (members, threshold), bad)
            elif kind == "min_below_slash":
                minimum = data.draw(st.integers(0, self.slash - 1))
                params = (self.window, self.timeout, self.cbond, self.slash, minimum)
                bad = ("OracleInvalidDisputeParams", {"field": b32("minSignerBond"), "value": minimum})
                attempt(admin, contract, "setDisputeParams", params, bad)
            self._count(f"refusal:{kind}")

        # ------------------------------------------------------------ invariants

        @invariant()
        def chain_matches_model(self) -> None:
            if not hasattr(self, "snapshot"):
                return  # before the initialize rule
            campaign["checks"] += 1
            self.steps += 1
            with_report = [a for a in assets if self.latest[a] is not None]
            challenged = sorted(self.status)
            voided = sorted(k for k, h in self.held.items() if h.voided)
            metrics = (Metric.UTILIZATION, Metric.EFFICIENCY)
            self.now, results = chain.batch(
                [
                    (token, "balanceOf", (oracle.address,)),
                    (contract, "signerConfig", ()),
                    (contract, "disputeParams", ()),
                    *((contract, "bondOf", (a,)) for a in addresses),
                    *((contract, "latestEpoch", (a,)) for a in assets),
                    *((contract, "latestReport", (a,)) for a in with_report),
                    *((contract, "latestReportChecked", (a, 2**64)) for a in with_report),
                    *((contract, "trailingAverage", (a, int(Metric.UTILIZATION), ring_size)) for a in with_report),
                    *((contract, "challengeOf", k) for k in challenged),
                    *((contract, "metricAt", (*k, int(m))) for k in voided for m in metrics),
                ]
            )
            answers = iter(results)
            oracle_balance = next(answers)
            version, threshold, signers = next(answers)
            params = tuple(next(answers))
            bonds = {a: tuple(next(answers)) for a in addresses}
            latest = {a: next(answers) for a in assets}
            raw_latest = {a: next(answers) for a in with_report}
            checked = {a: next(answers) for a in with_report}
            averages = {a: next(answers) for a in with_report}
            challenges = {k: next(answers) for k in challenged}
            metric_reads = list(answers)

            # (1) conservation, to the unit.
            open_bonds = sum(c[3] for c in challenges.values() if c[2] == OPEN)
            total_bonds = sum(b[0] for b in bonds.values())
            assert (
                oracle_balance == total_bonds + open_bonds
            ), f"oracle holds {oracle_balance}, bonds {total_bonds} + open challenge bonds {open_bonds}"
            assert open_bonds == sum(d.bond for d in self.open.values())
            # (2) bonds: locked <= bond, and exactly the model's (bond, locked, exit time).
            for a in addresses:
                bond, locked, _ = bonds[a]
                assert locked <= bond, f"{a}: locked {locked} > bond {bond}"
                model = (self.bond[a], self.locked[a], self.exit[a])
                assert bonds[a] == model, f"{a}: chain (bond, locked, exit) {bonds[a]}, model {model}"
            for k, (challenger, opened_at, status, bond) in challenges.items():
                assert status == self.status[k], f"challenge {k}: status {status}, model {self.status[k]}"
                if k in self.open:
                    d = self.open[k]
                    got = (Web3.to_checksum_address(challenger), opened_at, bond)
                    assert got == (d.challenger, d.opened_at, d.bond), f"challenge {k}: {got}"
            # (3) latest epochs never decrease and equal the model; the latest report too.
            for a in assets:
                exists, epoch = latest[a]
                got = epoch if exists else None
                assert got == self.latest[a], f"asset {a}: latest epoch {got}, model {self.latest[a]}"
                previous = self.seen_latest[a]
                assert previous is None or (got is not None and got >= previous), f"asset {a}: {previous} -> {got}"
                self.seen_latest[a] = got
            for a in with_report:
                held = self.held[(a, self.latest[a])]
                r, raw = held.report, raw_latest[a]
                expected = (r.epoch, r.utilization_bps, r.uptime_bps, r.gpu_hours_milli, r.energy_wh, r.avg_power_w)
                assert tuple(raw[:6]) == expected, f"asset {a}: latest report {raw}, model {r}"
                assert tuple(raw[7:]) == (held.updated_at, held.version, held.bits, held.voided), f"asset {a}: {raw}"
                # (4) a voided report is never served; the trailing average skips exactly those.
                if held.voided:
                    voided_error = ("revert", "OracleReportVoided", {"assetId": a, "epoch": r.epoch})
                    assert checked[a] == voided_error, f"asset {a}: latestReportChecked gave {checked[a]}"
                else:
                    assert checked[a][0] != "revert" and tuple(checked[a]) == tuple(raw), checked[a]
                window = [h for (b, e), h in self.held.items() if b == a and e > r.epoch - ring_size and not h.voided]
                average = sum(h.report.utilization_bps for h in window) // len(window) if window else 0
                assert tuple(averages[a]) == (average, len(window)), f"asset {a}: trailing {averages[a]}"
            for (a, e), answer in zip([k for k in voided for _ in metrics], metric_reads, strict=True):
                assert answer == ("revert", "OracleReportVoided", {"assetId": a, "epoch": e}), answer
            # (5) the signer configuration: the model's, with a majority threshold <= the signers.
            got_config = (version, threshold, [Web3.to_checksum_address(s) for s in signers])
            assert got_config == (self.version, self.threshold, self.config), got_config
            assert 1 <= threshold <= len(signers) and 2 * threshold > len(signers)
            assert params == (self.window, self.timeout, self.cbond, self.slash, self.min_bond)

    return OracleBondsMachine


def test_bonds_and_disputes_conserve_and_match_the_model(suite, roles, w3, oracle_setup, make_registration):
    oracle = oracle_setup.client
    token = suite.payment_token
    assert oracle.contract.functions.bondToken().call() == token.address
    # Nine assets: the campaign reports for four whose latest-epoch lanes sit in two storage
    # words (ids either side of a multiple of 8), and keeps one registered but never synced.
    ids = [suite.register_asset(make_registration(), roles.operator)[0] for _ in range(9)]
    assets = [ids[0], ids[-3], ids[-2], ids[-1]]
    assert len({a >> 3 for a in assets}) == 2, ids
    oracle.sync_assets(assets, roles.outsider)
    for key in ORACLE_KEYS:
        w3.provider.make_request("anvil_setBalance", [key.address, hex(10**20)])
    for payer in (roles.lender, roles.lessee, roles.borrower):
        suite.sender.transact(token.functions.approve(oracle.address, 2**256 - 1), payer, "Token")

    campaign: dict[str, Any] = {"runs": 0, "checks": 0, "steps": [], "actions": Counter(), "runs with": Counter()}
    run_state_machine_as_test(
        make_machine(suite, roles, w3, oracle, assets, ids[1], campaign),
        settings=settings(
            max_examples=RUNS,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # No Phase.target: its pareto optimisation re-runs (shrinks) the runs it found
            # most varied, which here would take most of the time for no new coverage.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
        ),
    )
    actions, steps = campaign["actions"], campaign["steps"]
    long_runs = sum(1 for s in steps if s >= STEPS * 4 // 5)
    report_figures(
        f"\noracle bonds campaign: {campaign['runs']} runs ({long_runs} of {STEPS * 4 // 5}+ rule steps), "
        f"{sum(steps)} rule steps, {campaign['checks']} invariant checks"
    )
    print(f"  {'action':32} {'times':>6} {'runs':>5}")
    for kind, count in sorted(actions.items()):
        print(f"  {kind:32} {count:6} {campaign['runs with'][kind]:5}")
    if RUNS >= DEFAULT_RUNS and STEPS >= DEFAULT_STEPS:
        missing = [kind for kind in REQUIRED if actions[kind] == 0]
        assert not missing, f"the campaign never exercised: {missing}"
