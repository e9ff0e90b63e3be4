"""Sends the outbox's pending reports to MetricsOracle, exactly once, whatever fails.

`Submitter.run_once` reconciles what earlier runs left in flight, marks reports the chain already
holds as done, syncs assets the oracle has not loaded yet, then sends the rest in batches and waits
for each. The rules that make it exactly-once:

- The outbox is the truth about intent: a signed transaction is written there BEFORE it is
  broadcast, so a crash leaves either nothing sent or the exact bytes to rebroadcast. Replacements
  of a stuck transaction reuse its nonce, so at most one of them is ever mined.
- A batch is finished only from chain state: a receipt (success: done; revert: back to pending
  unless the chain holds the report), or the account's nonce moving past the batch's nonce with no
  receipt of ours (another transaction took the nonce: back to pending).
- The contract itself refuses a report it already holds, and an epoch older than the asset's
  latest, so even a duplicate transaction cannot store a report twice. To make sure an older epoch
  is never overtaken (and so lost), reports go in (epoch, asset) order (a back-fill may carry
  several epochs of one asset in one batch, ascending), nothing new is sent while an earlier batch
  is still in flight, and an asset whose report has to wait holds back its later epochs too.
- Transient RPC failures are retried with exponential backoff, then surface as
  ChainUnavailableError; the next call picks up from the outbox.

Gas is estimated before signing a transaction, so a report the contract would refuse is found
without paying for a reverted transaction: the revert names the report (its assetId, and epoch
where the error has one), which is rejected, deferred or fixed (asset sync) while the rest go on.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3.exceptions import ProviderConnectionError, TransactionNotFound, Web3RPCError
from web3.types import RPCEndpoint, TxParams, TxReceipt

from compute_rwa.errors import ChainUnavailableError, ContractRevertError, InvalidInputError
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.fees import Fees, bump_fees, fee_columns
from compute_rwa.oracle.outbox import Outbox, ReportKey, SentBatch, SentTx
from compute_rwa.oracle.quorum import Quorum
from compute_rwa.oracle.reports import OracleDomain, Report, pack_reports
from compute_rwa.oracle.rpc_errors import above_gas_cap, classify, describe_revert, rpc_value, unsupported
from compute_rwa.oracle.rpc_errors import culprit as revert_culprit
from compute_rwa.tx import address_of, guard

__all__ = [
    "TRANSIENT_ERRORS",
    "Fees",
    "SubmitResult",
    "Submitter",
    "bump_fees",
    "describe_revert",
]

T = TypeVar("T")

#: Failures of the transport, not of the request: worth asking again.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.HTTPError,
    requests.exceptions.ChunkedEncodingError,
    ProviderConnectionError,
)

#: Reverts meaning the chain already holds the report, or a newer epoch of its asset.
_SETTLED_ERRORS = frozenset({"OracleReportAlreadyAccepted", "OracleEpochNotIncreasing"})

_RECEIPT_LOOKUPS = 3  # a node may index a block's receipts a moment after its nonce count moves


def _silent(_line: str) -> None:
    pass


@dataclass
class SubmitResult:
    """What one `run_once` did. `tx_hashes` are this account's transactions mined during the run
    (report batches, asset syncs, reverted ones too); `gas_used` sums their receipts."""

    batches_sent: int = 0
    confirmed: int = 0
    already_on_chain: int = 0
    rejected: int = 0
    synced: int = 0
    replacements: int = 0
    rebroadcasts: int = 0
    gas_used: int = 0
    tx_hashes: list[bytes] = field(default_factory=list)
    in_flight: int = 0  # reports still awaiting confirmation when the run ended
    pending: int = 0  # reports still waiting to be sent when the run ended

    @property
    def idle(self) -> bool:
        """Nothing was sent (not even again), confirmed or changed."""
        return not (
            self.batches_sent
            or self.replacements
            or self.rebroadcasts
            or self.confirmed
            or self.already_on_chain
            or self.rejected
            or self.synced
        )


@dataclass(frozen=True)
class _Outcome:
    """How a nonce's transactions ended: one of ours was mined (and succeeded or reverted), or
    the nonce was used by a transaction we did not record."""

    kind: Literal["mined", "reverted", "dropped"]
    tx_hash: bytes | None = None
    receipt: TxReceipt | None = None


@dataclass
class _RunPlan:
    """What one run has learned so far, so that it neither loops nor overtakes a waiting epoch."""

    current_epoch: int
    domain: OracleDomain
    #: asset -> its first epoch that must not be sent this run (and so none after it).
    blocked: dict[int, int] = field(default_factory=dict)
    #: reports of this epoch and later wait for a later run (the epoch has not ended on chain).
    epoch_limit: int | None = None
    sends: Counter[ReportKey] = field(default_factory=Counter)
    resynced: set[int] = field(default_factory=set)

    def block(self, report: Report) -> None:
        self.blocked[report.asset_id] = min(report.epoch, self.blocked.get(report.asset_id, report.epoch))

    def allows(self, report: Report) -> bool:
        if report.epoch >= self.current_epoch:
            return False
        if self.epoch_limit is not None and report.epoch >= self.epoch_limit:
            return False
        return report.epoch < self.blocked.get(report.asset_id, report.epoch + 1)


class _StopRunError(Exception):
    """Ends the sending part of a run early; what was not sent stays pending for the next run."""


class Submitter:
    """Sends an outbox's reports through one account (see the module docstring).

    `account` is a LocalAccount (signed here) or an address the node holds unlocked (signed by the
    node with eth_signTransaction, or sent with eth_sendTransaction where the node cannot sign
    without sending; such a transaction is recorded right after it is sent instead of before).
    """

    def __init__(
        self,
        oracle: OracleClient,
        outbox: Outbox,
        quorum: Quorum,
        account: LocalAccount | ChecksumAddress,
        *,
        max_batch: int | None = None,
        block_gas_fraction: float = 0.5,
        confirm_timeout: float = 60.0,
        fee_bump: float = 1.125,
        retries: int = 5,
        backoff: float = 0.5,
        echo: Callable[[str], None] = _silent,
        poll_interval: float = 1.0,
        max_replacements: int = 3,
        max_fee_cap: int | None = None,
        priority_fee: int | None = None,
        gas_margin: float = 1.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _require(max_batch is None or max_batch >= 1, "max_batch", f"{max_batch} (at least 1)")
        _require(0 < block_gas_fraction <= 1, "block_gas_fraction", f"{block_gas_fraction} (0 < x <= 1)")
        _require(confirm_timeout >= 0, "confirm_timeout", f"{confirm_timeout} (not negative)")
        _require(fee_bump >= 1, "fee_bump", f"{fee_bump} (at least 1; replacements add 10% anyway)")
        _require(retries >= 0 and backoff >= 0, "retries", f"{retries} retries, backoff {backoff}")
        _require(poll_interval > 0, "poll_interval", f"{poll_interval} (positive)")
        _require(max_replacements >= 0, "max_replacements", f"{max_replacements} (not negative)")
        _require(gas_margin >= 1, "gas_margin", f"{gas_margin} (at least 1)")
        self.oracle = oracle
        self.outbox = outbox
        self.quorum = quorum
        self.account = account
        self.address = address_of(account)
        self.w3 = oracle.w3
        self.max_batch = max_batch
        self.block_gas_fraction = block_gas_fraction
        self.confirm_timeout = confirm_timeout
        self.fee_bump = fee_bump
        self.retries = retries
        self.backoff = backoff
        self.echo = echo
        self.poll_interval = poll_interval
        self.max_replacements = max_replacements
        self.max_fee_cap = max_fee_cap
        self.priority_fee = priority_fee
        self.gas_margin = gas_margin
        self._sleep = sleep
        self._synced: set[int] = set()  # assets seen synced (a sync never undoes itself)
        self._node_signs: bool | None = None  # whether the node answers eth_signTransaction
        self._used_nonce = 0  # the account's mined nonce count last seen: no nonce below it is free

    # ------------------------------------------------------------ the run

    def run_once(self) -> SubmitResult:
        """Reconciles, then sends everything pending and waits for it.

        Safe to call again after any exception (ChainUnavailableError, a crash): the outbox holds
        what was sent, and the next call finishes it before sending anything new."""
        result = SubmitResult()
        chain_id = self._rpc("eth_chainId", lambda: self.oracle.chain_id)
        self.outbox.bind(chain_id, self.oracle.address)
        stuck = self._reconcile_in_flight(result)
        self._settle(self.outbox.pending(), result)
        if stuck:
            self.echo("an earlier transaction is still unconfirmed: nothing new is sent behind it")
        else:
            self._send_pending(result)
        result.in_flight = sum(len(b.keys) for b in self.outbox.in_flight())
        result.pending = self.outbox.counts()["pending"]
        return result

    def _reconcile_in_flight(self, result: SubmitResult) -> bool:
        """Finishes the batches earlier runs left in flight: from a receipt if there is one, else by
        rebroadcasting and waiting (replacing if need be). Returns True if one is still unconfirmed."""
        for batch in self.outbox.in_flight():
            outcome = self._check(batch)
            if outcome is None:
                self._rebroadcast(batch, result)
                batch, outcome = self._confirm(batch, result, recorded=True)
            if outcome is None:
                return True
            self._finish(batch, outcome, result)
        return False

    def _send_pending(self, result: SubmitResult) -> None:
        """Sends pending reports batch by batch, waiting for each, until none is left that may go."""
        if not self.outbox.pending(limit=1):
            return
        plan = _RunPlan(
            current_epoch=self._rpc("chain time", lambda: self.oracle.epoch_at(self.oracle.chain_time())),
            domain=self._rpc("signerConfig", self.oracle.domain),
        )
        try:
            while batch := self._next_batch(plan):
                if not self._ensure_synced(batch, plan, result):
                    continue
                try:
                    reports, data, gas = self._fit(batch, plan.domain)
                except ContractRevertError as err:
                    self._on_revert(err, batch, plan, result)
                    continue
                plan.sends.update(r.key for r in reports)
                sent = self._send_batch(reports, data, gas, result)
                sent, outcome = self._confirm(sent, result, recorded=True)
                if outcome is None:
                    raise _StopRunError(f"tx 0x{sent.tx_hash.hex()} not mined yet; it stays in flight")
                self._finish(sent, outcome, result)
        except _StopRunError as stop:
            self.echo(f"stopping this run: {stop}")

    def _next_batch(self, plan: _RunPlan) -> list[Report]:
        """The next batch: pending reports in (epoch, asset) order that this run may send, at most
        the batch size. An asset may contribute several epochs (the outbox order makes them
        ascending, as the contract requires), but none after one that must wait: a blocked
        report blocks every later epoch of its asset, so an older epoch is never overtaken."""
        limit = self._batch_limit()
        chosen: list[Report] = []
        for report in self.outbox.pending():
            if not plan.allows(report):
                plan.block(report)
                continue
            if plan.sends[report.key] >= 2:
                # Sent twice this run and back to pending each time: leave it to the next run.
                plan.block(report)
                continue
            chosen.append(report)
            if len(chosen) >= limit:
                break
        return chosen

    def _batch_limit(self) -> int:
        contract_max = self._rpc("MAX_BATCH_SIZE", lambda: self.oracle.max_batch_size)
        return contract_max if self.max_batch is None else min(self.max_batch, contract_max)

    # ------------------------------------------------------------ reconciliation

    def _settle(self, reports: Sequence[Report], result: SubmitResult) -> int:
        """Marks the reports the chain will never take again: held -> done (no transaction of
        ours), behind a newer epoch but never accepted -> rejected as superseded. Returns how many."""
        if not reports:
            return 0
        ids = sorted({r.asset_id for r in reports})
        latest = self._rpc("latestEpoch", lambda: self.oracle.latest_epochs(ids))
        held: list[ReportKey] = []
        changed = 0
        for r in reports:
            newest = latest[r.asset_id]
            if newest is None or r.epoch > newest:
                continue
            if r.epoch == newest or self._was_accepted(r, newest):
                held.append(r.key)
                continue
            self.outbox.mark_rejected(r.key, f"superseded: the oracle holds epoch {newest} of asset {r.asset_id}")
            self.echo(f"report {r.asset_id}/{r.epoch}: superseded by epoch {newest} on chain, never accepted")
            result.rejected += 1
            changed += 1
        if held:
            done = self.outbox.mark_done(held, None)
            if done:
                self.echo(f"{done} report(s) already on chain: marked done without a transaction")
            result.already_on_chain += done
            changed += done
        return changed

    def _was_accepted(self, report: Report, newest: int) -> bool:
        """Whether an epoch older than the asset's newest was accepted. The ring holds the last
        RING_SIZE epochs; an epoch older than that can no longer be told apart, and counts as done."""
        ring = self._rpc("RING_SIZE", lambda: self.oracle.ring_size)
        if newest - report.epoch >= ring:
            return True
        try:
            self._rpc("getReport", lambda: self.oracle.report(report.asset_id, report.epoch))
        except ContractRevertError as err:
            if err.error_name == "OracleReportNotFound":
                return False
            raise
        return True

    def _check(self, batch: SentBatch) -> _Outcome | None:
        """How the batch's nonce ended, or None while it is unused. The nonce count is asked first:
        once it has moved past the batch, a receipt of ours exists or never will."""
        mined_nonces = self._rpc("eth_getTransactionCount", lambda: self._nonce_count("latest"))
        self._used_nonce = max(self._used_nonce, mined_nonces)
        if mined_nonces <= batch.nonce:
            return None
        for attempt in range(_RECEIPT_LOOKUPS):
            for tx_hash in reversed(batch.tx_hashes):
                receipt = self._receipt(tx_hash)
                if receipt is not None:
                    kind: Literal["mined", "reverted"] = "mined" if receipt["status"] == 1 else "reverted"
                    return _Outcome(kind, tx_hash, receipt)
            if attempt + 1 < _RECEIPT_LOOKUPS:
                self._sleep(self.poll_interval)
        return _Outcome("dropped")

    def _finish(self, batch: SentBatch, outcome: _Outcome, result: SubmitResult) -> None:
        """Records how a batch ended. Only a successful receipt marks its reports done; otherwise
        the chain decides each report: held (someone else sent it) -> done, else back to pending."""
        if outcome.receipt is not None and outcome.tx_hash is not None:
            result.gas_used += int(outcome.receipt["gasUsed"])
            result.tx_hashes.append(outcome.tx_hash)
        if not batch.keys:  # an asset sync: nothing to record
            return
        if outcome.kind == "mined":
            assert outcome.tx_hash is not None
            done = self.outbox.mark_done(batch.keys, outcome.tx_hash)
            result.confirmed += done
            self.echo(f"confirmed {done} report(s) in tx 0x{outcome.tx_hash.hex()}")
            return
        why = "reverted on chain" if outcome.kind == "reverted" else "its nonce was used by another transaction"
        self._settle(self.outbox.reports(batch.keys), result)
        released = self.outbox.release(batch.keys, f"tx 0x{batch.tx_hash.hex()} {why}")
        self.echo(f"tx 0x{batch.tx_hash.hex()} {why}: {released} report(s) back to pending")

    # ------------------------------------------------------------ reverts

    def _on_revert(self, err: ContractRevertError, batch: list[Report], plan: _RunPlan, result: SubmitResult) -> None:
        """Handles a batch the contract refuses (found by gas estimation, before any transaction).
        The revert names one report; it is rejected, deferred or its asset synced, and the caller
        builds the next batch. A refusal that names no report of the batch is not the reports'
        fault (quorum, pause, configuration): it is raised, and nothing in the outbox changes."""
        culprit = revert_culprit(err, batch)
        text = describe_revert(err)
        if err.error_name in _SETTLED_ERRORS and self._settle(batch, result):
            return
        if culprit is None:
            self.echo(f"batch refused: {text}")
            raise err
        name, key = err.error_name, f"{culprit.asset_id}/{culprit.epoch}"
        if name in _SETTLED_ERRORS:
            plan.block(culprit)  # the estimate and the reads disagree (a node behind): next run
            self.echo(f"report {key}: {text}, yet the oracle does not show it; waits for a later run")
        elif name == "OracleEpochNotEnded":
            plan.epoch_limit = culprit.epoch if plan.epoch_limit is None else min(plan.epoch_limit, culprit.epoch)
            self.echo(f"report {key}: epoch not ended on chain yet; waits for a later run")
        elif name in ("OracleAssetNotSynced", "OracleInventoryMismatch") and culprit.asset_id not in plan.resynced:
            # The oracle's copy of the registry may be missing or stale: load it once, then retry.
            plan.resynced.add(culprit.asset_id)
            self._sync([culprit.asset_id], batch, result)
        elif name == "OracleAssetNotSynced":
            plan.block(culprit)
            self.outbox.note([culprit.key], text)
            self.echo(f"report {key}: asset still not synced after syncAssets; waits for a later run")
        elif name in ("OracleInventoryMismatch", "OracleValueOutOfBounds"):
            self._reject(culprit, text, result)
        else:
            self.echo(f"report {key} refused: {text}")
            raise err

    def _reject(self, report: Report, text: str, result: SubmitResult) -> None:
        self.outbox.mark_rejected(report.key, text)
        result.rejected += 1
        self.echo(f"rejected report {report.asset_id}/{report.epoch}: {text}")

    # ------------------------------------------------------------ asset sync

    def _ensure_synced(self, batch: list[Report], plan: _RunPlan, result: SubmitResult) -> bool:
        """Syncs the batch's assets the oracle has not loaded yet (an asset must be synced before
        its first report). Returns False when the batch changed (a report was rejected)."""
        unknown = sorted({r.asset_id for r in batch} - self._synced)
        if not unknown:
            return True
        unsynced = self._rpc("assetCache", lambda: self.oracle.unsynced(unknown))
        self._synced.update(set(unknown) - set(unsynced))
        if not unsynced:
            return True
        plan.resynced.update(unsynced)
        rejected_before = result.rejected
        self._sync(unsynced, batch, result)
        return result.rejected == rejected_before

    def _sync(self, asset_ids: list[int], batch: list[Report], result: SubmitResult) -> None:
        """Calls syncAssets and waits for it. An asset the registry refuses (syncAssets reverts for
        it alone) can never be reported: its report in the batch is rejected with the reason."""
        data = self._encode("syncAssets", [asset_ids])
        try:
            gas = self._estimate(data, "syncAssets")
        except ContractRevertError as err:
            if len(asset_ids) > 1:
                for asset_id in asset_ids:
                    self._sync([asset_id], batch, result)
                return
            for report in batch:
                if report.asset_id == asset_ids[0]:
                    self._reject(report, f"syncAssets failed: {describe_revert(err)}", result)
            return
        sent = self._send(data, gas, keys=None, result=result)
        sent, outcome = self._confirm(sent, result, recorded=False)
        if outcome is None or outcome.kind != "mined":
            state = "not mined" if outcome is None else outcome.kind
            raise _StopRunError(f"syncAssets transaction 0x{sent.tx_hash.hex()} {state}")
        self._finish(sent, outcome, result)
        self._synced.update(asset_ids)
        result.synced += len(asset_ids)
        self.echo(f"synced asset(s) {', '.join(map(str, asset_ids))} in tx 0x{sent.tx_hash.hex()}")

    # ------------------------------------------------------------ batches and gas

    def _fit(self, batch: list[Report], domain: OracleDomain) -> tuple[list[Report], bytes, int]:
        """Signs and estimates the batch, halving it until the estimate fits `block_gas_fraction`
        of the block gas limit (a batch above the whole limit, which nodes refuse to estimate, is
        halved too). Returns the reports that fit, the calldata and the gas to send with.
        A revert of the estimate (a report the contract refuses) is raised as ContractRevertError."""
        block_limit = int(self._rpc("eth_getBlockByNumber", lambda: self.w3.eth.get_block("latest"))["gasLimit"])
        budget = int(block_limit * self.block_gas_fraction)
        size = len(batch)
        while True:
            part = batch[:size]
            packed = pack_reports(part)
            data = self._encode("submitReports", [packed, self.quorum.signatures(domain, packed)])
            try:
                estimate: int | None = self._estimate(data, "submitReports")
            except Web3RPCError as exc:
                # A batch that needs more than a whole block is not estimated at all: the node
                # refuses ("gas required exceeds allowance"). It is over the budget all the same.
                if not above_gas_cap(exc):
                    raise
                estimate = None
            if estimate is not None and estimate <= budget:
                return part, data, min(math.ceil(estimate * self.gas_margin), block_limit)
            if size == 1:
                needs = f"{estimate} gas" if estimate is not None else f"more gas than the block limit {block_limit}"
                raise InvalidInputError(
                    "submitter", "block_gas_fraction", f"one report needs {needs}, over the budget {budget}"
                )
            size //= 2

    def _encode(self, function: str, args: list[Any]) -> bytes:
        return bytes(HexBytes(self.oracle.contract.encode_abi(function, args=args)))

    def _estimate(self, data: bytes, function: str) -> int:
        params: TxParams = {"from": self.address, "to": self.oracle.address, "data": data}

        def estimate() -> int:
            return int(guard("MetricsOracle", function, lambda: self.w3.eth.estimate_gas(params)))

        return self._rpc("eth_estimateGas", estimate)

    # ------------------------------------------------------------ sending

    def _send_batch(self, reports: list[Report], data: bytes, gas: int, result: SubmitResult) -> SentBatch:
        keys = [r.key for r in reports]
        sent = self._send(data, gas, keys=keys, result=result)
        result.batches_sent += 1
        epochs = sorted({r.epoch for r in reports})
        span = str(epochs[0]) if len(epochs) == 1 else f"{epochs[0]}-{epochs[-1]}"
        self.echo(f"sent {len(keys)} report(s), epoch(s) {span}, nonce {sent.nonce}, tx 0x{sent.tx_hash.hex()}")
        return sent

    def _send(self, data: bytes, gas: int, *, keys: list[ReportKey] | None, result: SubmitResult) -> SentBatch:
        """Signs and broadcasts a new transaction at the next free nonce. With `keys` it is recorded
        in the outbox first (after, where the node signs only by sending)."""
        pending_nonce = self._rpc("eth_getTransactionCount", lambda: self._nonce_count("pending"))
        nonce = max(pending_nonce, self._used_nonce)
        fees = self._fees()
        tx = self._tx_params(data, gas, nonce, fees)
        signed = self._sign(tx)
        if signed is None:
            tx_hash, raw = self._send_by_node(tx), b""
            if tx_hash is None:
                raise _StopRunError(f"nonce {nonce} was taken while sending")
            if keys is not None:
                self.outbox.mark_sent(keys, tx_hash, nonce, raw, data=data, gas=gas, **fee_columns(fees))
        else:
            raw, tx_hash = signed
            if keys is not None:
                self.outbox.mark_sent(keys, tx_hash, nonce, raw, data=data, gas=gas, **fee_columns(fees))
            self._broadcast(raw)
        tx_record = SentTx(tx_hash, nonce, raw, data, gas, fees.max_fee, fees.tip, fees.gas_price,
                           tuple(keys or ()), time.time(), None)  # fmt: skip
        return SentBatch(tuple(keys or ()), (tx_record,))

    def _rebroadcast(self, batch: SentBatch, result: SubmitResult) -> None:
        """Broadcasts a recorded transaction again: after a crash it may never have left, and a
        node may have dropped it from its pool. The same bytes have the same hash, so this can
        never add a second transaction."""
        if not batch.raw_tx:
            return  # signed by the node when sent: only a replacement can be sent again
        status = self._broadcast(batch.raw_tx)
        result.rebroadcasts += 1
        self.echo(f"rebroadcast tx 0x{batch.tx_hash.hex()} (nonce {batch.nonce}): {status}")

    def _broadcast(self, raw: bytes) -> str:
        """Sends signed bytes. "already known" means the pool has them; "nonce used" means a
        transaction at this nonce was mined (maybe this one): both are left to `_check`."""
        try:
            self._rpc("eth_sendRawTransaction", lambda: self.w3.eth.send_raw_transaction(raw))
        except Web3RPCError as exc:
            status = classify(exc)
            if status is None:
                raise
            return status
        return "sent"

    def _confirm(self, batch: SentBatch, result: SubmitResult, *, recorded: bool) -> tuple[SentBatch, _Outcome | None]:
        """Waits up to `confirm_timeout` for the batch's nonce to be used; if it is not, replaces
        the transaction at the same nonce with higher fees, up to `max_replacements` times.
        Returns the batch with every transaction sent for it, and the outcome (None: still open)."""
        for replacements in itertools.count():
            outcome = self._wait(batch)
            if outcome is not None or replacements >= self.max_replacements:
                return batch, outcome
            replaced = self._replace(batch, result, recorded=recorded)
            if replaced is None:
                return batch, None
            batch = replaced
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, batch: SentBatch) -> _Outcome | None:
        deadline = time.monotonic() + self.confirm_timeout
        while True:
            outcome = self._check(batch)
            left = deadline - time.monotonic()
            if outcome is not None or left <= 0:
                return outcome
            self._sleep(min(self.poll_interval, left))

    def _replace(self, batch: SentBatch, result: SubmitResult, *, recorded: bool) -> SentBatch | None:
        """Sends the batch's calldata again at its nonce with bumped fees, recorded before it is
        broadcast. Returns None when the fee cap forbids a higher bid (the old one keeps waiting)."""
        old = batch.latest
        fees = bump_fees(Fees(old.max_fee, old.tip, old.gas_price), self._fees(), self.fee_bump)
        if self.max_fee_cap is not None and fees.highest > self.max_fee_cap:
            self.echo(f"tx 0x{old.tx_hash.hex()} unconfirmed; a replacement would exceed the fee cap")
            return None
        tx = self._tx_params(old.data, old.gas, old.nonce, fees)
        signed = self._sign(tx)
        if signed is None:
            tx_hash, raw = self._send_by_node(tx), b""
            if tx_hash is None:
                return batch  # the nonce was used meanwhile: `_check` will say by which transaction
            if recorded:
                self.outbox.mark_replaced(old.tx_hash, tx_hash, raw, gas=old.gas, **fee_columns(fees))
        else:
            raw, tx_hash = signed
            if recorded:
                self.outbox.mark_replaced(old.tx_hash, tx_hash, raw, gas=old.gas, **fee_columns(fees))
            self._broadcast(raw)
        result.replacements += 1
        self.echo(f"replaced tx 0x{old.tx_hash.hex()} with 0x{tx_hash.hex()} (nonce {old.nonce}, {fees.describe()})")
        new = SentTx(tx_hash, old.nonce, raw, old.data, old.gas, fees.max_fee, fees.tip, fees.gas_price, old.keys,
                     time.time(), None)  # fmt: skip
        return SentBatch(batch.keys, (*batch.txs, new))

    # ------------------------------------------------------------ signing and fees

    def _tx_params(self, data: bytes, gas: int, nonce: int, fees: Fees) -> TxParams:
        chain_id = self._rpc("eth_chainId", lambda: self.oracle.chain_id)
        tx: dict[str, Any] = {
            "chainId": chain_id,
            "from": self.address,
            "to": self.oracle.address,
            "nonce": nonce,
            "gas": gas,
            "value": 0,
            "data": data,
            **fees.params(),
        }
        return tx  # type: ignore[return-value]

    def _sign(self, tx: TxParams) -> tuple[bytes, bytes] | None:
        """(raw bytes, hash) of the signed transaction, or None if only the node can send it."""
        if isinstance(self.account, LocalAccount):
            signed = self.account.sign_transaction(tx)  # type: ignore[arg-type]
            return bytes(signed.raw_transaction), bytes(signed.hash)
        if self._node_signs is False:
            return None
        try:
            raw = self._rpc("eth_signTransaction", lambda: self._node_sign(tx))
        except Web3RPCError as exc:
            if not unsupported(exc):
                raise
            self._node_signs = False
            self.echo("the node does not sign transactions (eth_signTransaction): it will send them itself")
            return None
        self._node_signs = True
        return raw, keccak(raw)

    def _node_sign(self, tx: TxParams) -> bytes:
        """eth_signTransaction, asked directly: geth answers {raw, tx}, anvil the raw hex alone,
        and web3.py's formatter expects the former."""
        params = {k: rpc_value(v) for k, v in tx.items()}
        answer = self.w3.manager.request_blocking(RPCEndpoint("eth_signTransaction"), [params])
        raw = answer.get("raw") if isinstance(answer, dict) else answer
        if not isinstance(raw, str | bytes):
            raise InvalidInputError("eth_signTransaction", "result", f"unexpected answer {type(answer).__name__}")
        return bytes(HexBytes(raw))

    def _send_by_node(self, tx: TxParams) -> bytes | None:
        """eth_sendTransaction; None if the nonce is already used."""
        try:
            return bytes(self._rpc("eth_sendTransaction", lambda: self.w3.eth.send_transaction(tx)))
        except Web3RPCError as exc:
            if classify(exc) == "nonce used":
                return None
            raise

    def _fees(self) -> Fees:
        """EIP-1559 fees from the latest block (maxFee = 2 x baseFee + tip: stays valid through
        several full blocks), or the legacy gas price on a chain without a base fee."""
        block = self._rpc("eth_getBlockByNumber", lambda: self.w3.eth.get_block("latest"))
        base = block.get("baseFeePerGas")
        if base is None:
            return Fees(gas_price=int(self._rpc("eth_gasPrice", lambda: self.w3.eth.gas_price)))
        tip = self.priority_fee
        if tip is None:
            tip = int(self._rpc("eth_maxPriorityFeePerGas", lambda: self.w3.eth.max_priority_fee))
        return Fees(max_fee=2 * int(base) + tip, tip=tip)

    def _nonce_count(self, block: Literal["latest", "pending"]) -> int:
        return int(self.w3.eth.get_transaction_count(self.address, block))

    def _receipt(self, tx_hash: bytes) -> TxReceipt | None:
        def lookup() -> TxReceipt | None:
            try:
                return self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                return None

        return self._rpc("eth_getTransactionReceipt", lookup)

    # ------------------------------------------------------------ transport

    def _rpc(self, what: str, action: Callable[[], T]) -> T:
        """Runs one RPC interaction, retrying transport failures with exponential backoff
        (`backoff`, x2 each time, `retries` times), then raising ChainUnavailableError. The
        endpoint is not named: RPC URLs often carry API keys."""
        delay = self.backoff
        for attempt in itertools.count():
            try:
                return action()
            except ChainUnavailableError:
                raise
            except TRANSIENT_ERRORS as exc:
                if attempt >= self.retries:
                    raise ChainUnavailableError(
                        f"{what}: no answer from the JSON-RPC endpoint after {attempt + 1} attempt(s) "
                        f"({type(exc).__name__})"
                    ) from exc
                self.echo(f"{what}: {type(exc).__name__}; retry {attempt + 1}/{self.retries} in {delay:.2f}s")
                self._sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


def _require(ok: bool, name: str, problem: str) -> None:
    if not ok:
        raise InvalidInputError("Submitter", name, problem)
