"""The feeder: telemetry in, one report per asset and ended epoch out, each on-chain once.

Every step leaves its result in the operator's outbox (SQLite, WAL) before the next begins:
samples are buffered as they arrive, an ended epoch is measured from the buffer exactly once
(marked measured in the same database), and its reports wait there until the submitter has
seen them confirmed. A crash at any point resumes from the outbox: a sample already buffered
is not lost, an epoch already measured is not measured again (and, being deterministic,
re-measuring after a crash between the two writes produces the same bytes, which the outbox
accepts as the same report), a report already on chain counts as done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from compute_rwa.errors import ChainUnavailableError
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.oracle.reports import Report
from compute_rwa.oracle.submitter import SubmitResult, Submitter
from compute_rwa.telemetry.aggregate import AssetInventory, EpochAggregate, aggregate_epoch
from compute_rwa.telemetry.samples import GpuSample, TelemetrySource


@dataclass
class FeederStatus:
    """What the daemon shows while it runs."""

    samples_buffered: int = 0
    epochs_measured: list[int] = field(default_factory=list)
    last_measured: int | None = None
    outbox: dict[str, int] = field(default_factory=dict)
    confirmed: int = 0
    gas_used: int = 0
    unattested_gpus: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None


class Feeder:
    """Aggregates, queues and submits one operator's reports."""

    def __init__(
        self,
        oracle: OracleClient,
        outbox: Outbox,
        submitter: Submitter | None,
        inventories: Sequence[AssetInventory],
        *,
        sources: Sequence[TelemetrySource] = (),
        sample_interval: int = 60,
        grace: int = 120,
        first_epoch: int | None = None,
        observer: Callable[[int], list[Report]] | None = None,
        consensus_wait: int = 3600,
        clock: Callable[[], float] = time.time,
        echo: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.oracle = oracle
        self.outbox = outbox
        self.submitter = submitter
        self.inventories = list(inventories)
        self.sources = list(sources)
        self.sample_interval = sample_interval
        self.grace = grace
        self.first_epoch = first_epoch
        #: Several operators: the epoch's reports come from the signers' observations (their
        #: per-field median, `network.Transmitter.round`) instead of this host's telemetry.
        self.observer = observer
        self.consensus_wait = consensus_wait
        self.clock = clock
        self.echo = echo
        self.status = FeederStatus()

    # ------------------------------------------------------------ measuring

    def ingest(self, samples: Iterable[GpuSample]) -> int:
        """Buffers samples durably; returns how many."""
        batch = list(samples)
        if batch:
            self.outbox.record_samples(batch)
            self.status.samples_buffered += len(batch)
        return len(batch)

    def poll_sources(self) -> int:
        return sum(self.ingest(source.poll()) for source in self.sources)

    def aggregate(self, epoch: int) -> EpochAggregate:
        """Epoch `epoch` summarized from the buffered samples (no side effect)."""
        start = self.oracle.epoch_start(epoch)
        return aggregate_epoch(
            self.outbox.samples_between(start, start + self.oracle.epoch_seconds),
            epoch=epoch,
            genesis=self.oracle.genesis,
            epoch_seconds=self.oracle.epoch_seconds,
            sample_interval=self.sample_interval,
            inventories=self.inventories,
        )

    def observe(self, epoch: int) -> list[Report]:
        """This operator's own reports for `epoch`, as a signer service compares them."""
        return [Report.from_metrics(m) for m in self.aggregate(epoch).metrics.values()]

    def measure(self, epoch: int) -> list[Report]:
        """Aggregates epoch `epoch` from the buffer into the outbox, once."""
        if self.outbox.is_measured(epoch):
            return []
        if self.observer is not None:
            return self._measure_by_consensus(epoch)
        aggregate = self.aggregate(epoch)
        reports = [Report.from_metrics(m) for m in aggregate.metrics.values()]
        self.outbox.add(reports, measured_epoch=epoch)  # one transaction: reports and the mark
        self._note(aggregate)
        return reports

    def _measure_by_consensus(self, epoch: int) -> list[Report]:
        """The signers' median for every asset, queued once all agree — or, past
        `consensus_wait` after the epoch ended, whatever they agreed on (the rest is named and
        left unreported: on-chain, a missing epoch is a missing report, never a made-up one)."""
        assert self.observer is not None
        reports = self.observer(epoch)
        missing = {i.asset_id for i in self.inventories} - {r.asset_id for r in reports}
        ended_for = self.clock() - self.oracle.epoch_start(epoch + 1)
        if missing and ended_for < self.consensus_wait:
            self.echo(f"epoch {epoch}: no agreement yet on assets {sorted(missing)}; asking again next tick")
            return []
        if missing:
            self.echo(f"epoch {epoch}: assets {sorted(missing)} left unreported (signers never agreed)")
        self.outbox.add(reports, measured_epoch=epoch)
        self.status.epochs_measured.append(epoch)
        self.status.last_measured = epoch
        return reports

    def due_epochs(self, now: float) -> list[int]:
        """Ended epochs (past the grace period for late samples) not measured yet."""
        newest = self.oracle.epoch_at(int(now - self.grace)) - 1
        last = self.outbox.last_measured()
        start = last + 1 if last is not None else self.first_epoch
        if start is None:
            start = newest  # a new daemon starts with the epoch that just ended
        return list(range(max(start, 0), newest + 1))

    def measure_due(self, now: float | None = None) -> list[Report]:
        reports: list[Report] = []
        for epoch in self.due_epochs(self.clock() if now is None else now):
            reports += self.measure(epoch)
        return reports

    # ------------------------------------------------------------ submitting

    def submit(self) -> SubmitResult | None:
        """One submission round; a chain outage is reported, not raised (the daemon retries)."""
        if self.submitter is None:
            return None
        try:
            result = self.submitter.run_once()
        except ChainUnavailableError as exc:
            self.status.last_error = str(exc)
            self.echo(f"chain unavailable, will retry: {exc}")
            return None
        self.status.last_error = None
        self.status.confirmed += result.confirmed
        self.status.gas_used += result.gas_used
        return result

    def tick(self) -> None:
        """One daemon step: poll, measure what ended, submit, refresh the status."""
        self.poll_sources()
        self.measure_due()
        self.submit()
        self.status.outbox = self.outbox.counts()

    def run(self, stop: threading.Event, on_tick: Callable[[FeederStatus], None] | None = None) -> None:
        """Runs until `stop` is set, one tick per sample interval."""
        while not stop.is_set():
            started = self.clock()
            self.tick()
            if on_tick:
                on_tick(self.status)
            stop.wait(max(0.0, self.sample_interval - (self.clock() - started)))

    def replay(self, samples: Iterable[GpuSample], epochs: Sequence[int]) -> SubmitResult | None:
        """Back-fills recorded telemetry: buffer, measure each epoch, submit everything."""
        self.ingest(samples)
        for epoch in epochs:
            self.measure(epoch)
        result = self.submit()
        self.status.outbox = self.outbox.counts()
        return result

    def _note(self, aggregate: EpochAggregate) -> None:
        self.status.epochs_measured.append(aggregate.epoch)
        self.status.last_measured = aggregate.epoch
        for uuid, count in aggregate.unattested_gpus.items():
            self.status.unattested_gpus[uuid] = self.status.unattested_gpus.get(uuid, 0) + count
        if aggregate.unattested_gpus:
            # Never silently counted: a GPU outside every attested inventory is named.
            names = ", ".join(sorted(aggregate.unattested_gpus))
            self.echo(f"epoch {aggregate.epoch}: samples from GPUs outside the attested inventories: {names}")
