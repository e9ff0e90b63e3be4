"""The feeder's durable outbox: one SQLite file per operator, the unit of exactly-once.

A measured report is written here before anything is sent, and a signed transaction is written
here before it is broadcast, so that a crash at any point leaves enough on disk to finish the job
without measuring again or sending a second, different transaction for the same reports:

- `reports`: one row per (asset_id, epoch) holding the 61-byte packed report and its state,
  pending -> sent -> done, or rejected when the contract refuses it for good. A sent report can go
  back to pending (`release`) when its transaction is known not to have landed.
- `transactions`: every signed transaction that carried reports - raw bytes, nonce, fees, the
  report keys - linked by `replaced_by` when a stuck one was replaced at the same nonce. A nonce's
  chain of transactions is a `SentBatch`; at most one of them can ever be mined.
- `samples`: raw telemetry buffered across restarts, and `measured_epochs`: epochs already turned
  into reports, so that a restarted daemon neither loses nor re-measures an epoch.

The file runs in WAL mode with `synchronous=FULL` (a committed change survives power loss), is
written by one process (the feeder) and may be read meanwhile by others (`read_only=True`, the
status CLI). Every change that touches several rows runs in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from compute_rwa.errors import InvalidInputError
from compute_rwa.oracle.reports import REPORT_BYTES, Report
from compute_rwa.telemetry.samples import GpuSample

#: Version of the layout below; bump it and add a step to `_MIGRATIONS` when it changes.
SCHEMA_VERSION = 1

STATES = ("pending", "sent", "done", "rejected")

#: (asset_id, epoch): what identifies a report, on chain and here.
ReportKey = tuple[int, int]

#: SQLite integers are signed 64-bit; larger asset ids cannot be keys of this file.
_MAX_SQLITE_INT = (1 << 63) - 1

_SCHEMA = (
    f"""CREATE TABLE reports (
        asset_id INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        packed BLOB NOT NULL CHECK (length(packed) = {REPORT_BYTES}),
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'done', 'rejected')),
        tx_hash BLOB,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (asset_id, epoch)
    ) WITHOUT ROWID""",
    "CREATE INDEX reports_by_state ON reports (state, epoch, asset_id)",
    "CREATE INDEX reports_by_tx ON reports (tx_hash) WHERE tx_hash IS NOT NULL",
    # `batch` is the hash of the first transaction of a nonce's chain of replacements.
    # `raw_tx` is empty when the node signed and broadcast it itself (eth_sendTransaction).
    """CREATE TABLE transactions (
        tx_hash BLOB PRIMARY KEY,
        batch BLOB NOT NULL,
        nonce INTEGER NOT NULL,
        raw_tx BLOB NOT NULL,
        data BLOB NOT NULL,
        gas INTEGER NOT NULL,
        max_fee INTEGER,
        tip INTEGER,
        gas_price INTEGER,
        keys TEXT NOT NULL,
        sent_at REAL NOT NULL,
        replaced_by BLOB
    )""",
    "CREATE INDEX transactions_by_batch ON transactions (batch)",
    """CREATE TABLE samples (
        timestamp REAL NOT NULL,
        gpu_uuid TEXT NOT NULL,
        utilization_bps INTEGER,
        power_mw INTEGER,
        healthy INTEGER NOT NULL,
        source TEXT NOT NULL,
        UNIQUE (gpu_uuid, timestamp, source)
    )""",
    "CREATE INDEX samples_by_time ON samples (timestamp)",
    "CREATE TABLE measured_epochs (epoch INTEGER PRIMARY KEY, measured_at REAL NOT NULL)",
)

#: version -> statements that upgrade a file from that version to the next.
_MIGRATIONS: dict[int, tuple[str, ...]] = {}


@dataclass(frozen=True)
class ReportRow:
    """A report with its bookkeeping, as the status CLI shows it."""

    report: Report
    state: str
    tx_hash: bytes | None
    attempts: int
    error: str | None
    created_at: float
    updated_at: float

    @property
    def key(self) -> ReportKey:
        return self.report.key


@dataclass(frozen=True)
class SentTx:
    """One signed transaction that carried reports. Fees: `max_fee`/`tip` (EIP-1559) or
    `gas_price` (legacy). `raw_tx` is empty when the node signed it (it cannot be rebroadcast)."""

    tx_hash: bytes
    nonce: int
    raw_tx: bytes
    data: bytes
    gas: int
    max_fee: int | None
    tip: int | None
    gas_price: int | None
    keys: tuple[ReportKey, ...]
    sent_at: float
    replaced_by: bytes | None


@dataclass(frozen=True)
class SentBatch:
    """Reports awaiting confirmation and every transaction sent for them at one nonce (the
    original and its replacements, oldest first). Any one of them may be the one that is mined."""

    keys: tuple[ReportKey, ...]
    txs: tuple[SentTx, ...]

    @property
    def latest(self) -> SentTx:
        return self.txs[-1]

    @property
    def nonce(self) -> int:
        return self.latest.nonce

    @property
    def tx_hash(self) -> bytes:
        return self.latest.tx_hash

    @property
    def raw_tx(self) -> bytes:
        return self.latest.raw_tx

    @property
    def tx_hashes(self) -> tuple[bytes, ...]:
        return tuple(t.tx_hash for t in self.txs)


class Outbox:
    """The SQLite outbox of one operator (see the module docstring)."""

    def __init__(self, path: Path | str, *, read_only: bool = False, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        if read_only:
            if not self.path.exists():
                raise InvalidInputError("outbox", "path", f"{self.path} does not exist")
            uri = f"file:{self.path.resolve()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        try:
            self._configure()
        except BaseException:
            self._db.close()
            raise

    # ------------------------------------------------------------ file and schema

    def _configure(self) -> None:
        """WAL so that readers never block the writer; FULL so that a commit is on disk when it
        returns (the outbox is only worth something if a crash cannot undo a recorded send)."""
        if self.read_only:
            self._check_version(self._stored_version())
            return
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise InvalidInputError("outbox", "journal_mode", f"{self.path}: SQLite refused WAL mode ({mode})")
        self._db.execute("PRAGMA synchronous=FULL")
        with self._write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            version = self._stored_version()
            if version is None:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                return
            self._check_version(version)
            while version < SCHEMA_VERSION:
                for statement in _MIGRATIONS[version]:
                    db.execute(statement)
                version += 1
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))

    def _stored_version(self) -> int | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:  # no meta table: an empty file (read-only opens only)
            return None
        return None if row is None else int(row[0])

    def _check_version(self, version: int | None) -> None:
        if version is None:
            raise InvalidInputError("outbox", "schema_version", f"{self.path} is not an outbox (no schema version)")
        if version > SCHEMA_VERSION:
            raise InvalidInputError(
                "outbox", "schema_version", f"{self.path} has version {version}; this code knows up to {SCHEMA_VERSION}"
            )
        if version < SCHEMA_VERSION and self.read_only:
            raise InvalidInputError(
                "outbox", "schema_version", f"{self.path} has version {version}; open it writable once to upgrade"
            )

    def schema_version(self) -> int:
        version = self._stored_version()
        assert version is not None
        return version

    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE takes the write lock up front, so a reader's
        snapshot can never make the commit fail half-way; any exception rolls everything back."""
        if self.read_only:
            raise InvalidInputError("outbox", "mode", f"{self.path} is open read-only")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several SELECTs see one consistent snapshot."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------ identity

    def bind(self, chain_id: int, oracle: str) -> None:
        """Ties the file to one oracle on one chain (first call), or checks that it is that one:
        reconciling one oracle's outbox against another would mark reports done that never were."""
        wanted = {"chain_id": str(chain_id), "oracle": oracle.lower()}
        with self._write() as db:
            stored = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('chain_id', 'oracle')").fetchall())
            if not stored:
                db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(wanted.items()))
                return
        if stored != wanted:
            raise InvalidInputError(
                "outbox",
                "oracle",
                f"{self.path} belongs to oracle {stored.get('oracle')} on chain {stored.get('chain_id')}, "
                f"not {wanted['oracle']} on chain {wanted['chain_id']}",
            )

    # ------------------------------------------------------------ reports

    def add(self, reports: Iterable[Report], *, measured_epoch: int | None = None) -> int:
        """Stores new reports as pending; returns how many were new.

        Idempotent: a report already stored with the same bytes is skipped whatever its state. The
        same (asset, epoch) with different bytes raises InvalidInputError and nothing is stored: a
        report may be sent already, and two versions of one epoch must never both exist.
        `measured_epoch`, if given, is marked measured in the same transaction, so that a crash
        cannot leave an epoch's reports stored but the epoch unmarked (or the reverse)."""
        items = [(r, r.pack()) for r in reports]
        now = time.time()
        added = 0
        with self._write() as db:
            for report, packed in items:
                _check_key(report.key)
                row = db.execute(
                    "SELECT packed, state FROM reports WHERE asset_id = ? AND epoch = ?", report.key
                ).fetchone()
                if row is not None:
                    if bytes(row[0]) != packed:
                        raise InvalidInputError(
                            "outbox",
                            "asset/epoch",
                            f"{report.asset_id}/{report.epoch} is already stored ({row[1]}) with different values",
                        )
                    continue
                db.execute(
                    "INSERT INTO reports (asset_id, epoch, packed, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (report.asset_id, report.epoch, packed, now, now),
                )
                added += 1
            if measured_epoch is not None:
                db.execute(
                    "INSERT OR IGNORE INTO measured_epochs (epoch, measured_at) VALUES (?, ?)", (measured_epoch, now)
                )
        return added

    def get(self, key: ReportKey) -> ReportRow | None:
        with self._lock:
            sql = f"SELECT {_ROW_COLUMNS} FROM reports WHERE asset_id = ? AND epoch = ?"
            row = self._db.execute(sql, key).fetchone()
        return None if row is None else _report_row(row)

    def rows(self, state: str | None = None) -> list[ReportRow]:
        """Every report (or those in `state`), by (epoch, asset)."""
        if state is not None:
            _check_state(state)
        where, args = ("WHERE state = ?", (state,)) if state else ("", ())
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ROW_COLUMNS} FROM reports {where} ORDER BY epoch, asset_id", args
            ).fetchall()
        return [_report_row(r) for r in rows]

    def pending(self, limit: int | None = None) -> list[Report]:
        """Reports waiting to be sent, oldest epoch first (then by asset)."""
        sql = "SELECT packed FROM reports WHERE state = 'pending' ORDER BY epoch, asset_id"
        args: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            args = (limit,)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [Report.unpack(bytes(r[0])) for r in rows]

    def reports(self, keys: Iterable[ReportKey]) -> list[Report]:
        """The stored reports of `keys` (unknown keys are left out), by (epoch, asset)."""
        out = []
        with self._read() as db:
            for key in keys:
                row = db.execute("SELECT packed FROM reports WHERE asset_id = ? AND epoch = ?", key).fetchone()
                if row is not None:
                    out.append(Report.unpack(bytes(row[0])))
        return sorted(out, key=lambda r: (r.epoch, r.asset_id))

    def counts(self) -> dict[str, int]:
        with self._lock:
            found = dict(self._db.execute("SELECT state, COUNT(*) FROM reports GROUP BY state").fetchall())
        return {state: int(found.get(state, 0)) for state in STATES}

    # ------------------------------------------------------------ transactions

    def mark_sent(
        self,
        keys: Sequence[ReportKey],
        tx_hash: bytes,
        nonce: int,
        raw_tx: bytes,
        *,
        data: bytes = b"",
        gas: int = 0,
        max_fee: int | None = None,
        tip: int | None = None,
        gas_price: int | None = None,
    ) -> None:
        """Records a signed transaction carrying `keys` (all pending) and marks them sent.

        Called BEFORE the transaction is broadcast: after a crash the raw bytes are here to be
        rebroadcast, and the reports are not sent a second time in a different transaction."""
        keys = list(keys)
        if not keys:
            raise InvalidInputError("outbox", "keys", "a transaction must carry at least one report")
        now = time.time()
        with self._write() as db:
            for key in keys:
                row = db.execute("SELECT state FROM reports WHERE asset_id = ? AND epoch = ?", key).fetchone()
                if row is None or row[0] != "pending":
                    state = "unknown" if row is None else row[0]
                    raise InvalidInputError("outbox", "state", f"{key[0]}/{key[1]} is {state}, not pending")
            db.execute(
                "INSERT INTO transactions (tx_hash, batch, nonce, raw_tx, data, gas, max_fee, tip, gas_price, keys,"
                " sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tx_hash, tx_hash, nonce, raw_tx, data, gas, max_fee, tip, gas_price, _keys_json(keys), now),
            )
            db.executemany(
                "UPDATE reports SET state = 'sent', tx_hash = ?, attempts = attempts + 1, error = NULL,"
                " updated_at = ? WHERE asset_id = ? AND epoch = ?",
                [(tx_hash, now, *key) for key in keys],
            )

    def mark_replaced(
        self,
        old_hash: bytes,
        tx_hash: bytes,
        raw_tx: bytes,
        *,
        gas: int | None = None,
        max_fee: int | None = None,
        tip: int | None = None,
        gas_price: int | None = None,
    ) -> None:
        """Records `tx_hash`, a replacement of `old_hash` at the same nonce with the same calldata,
        before it is broadcast; the reports still sent in `old_hash` now point at it."""
        now = time.time()
        with self._write() as db:
            old = db.execute(
                "SELECT batch, nonce, data, gas, keys, replaced_by FROM transactions WHERE tx_hash = ?", (old_hash,)
            ).fetchone()
            if old is None:
                raise InvalidInputError("outbox", "tx_hash", f"0x{old_hash.hex()} is not a stored transaction")
            if old[5] is not None:
                raise InvalidInputError("outbox", "tx_hash", f"0x{old_hash.hex()} was already replaced")
            batch, nonce, data, old_gas, keys_json, _ = old
            db.execute(
                "INSERT INTO transactions (tx_hash, batch, nonce, raw_tx, data, gas, max_fee, tip, gas_price, keys,"
                " sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tx_hash, batch, nonce, raw_tx, data, old_gas if gas is None else gas, max_fee, tip, gas_price,
                 keys_json, now),
            )  # fmt: skip
            db.execute("UPDATE transactions SET replaced_by = ? WHERE tx_hash = ?", (tx_hash, old_hash))
            db.execute(
                "UPDATE reports SET tx_hash = ?, updated_at = ? WHERE tx_hash = ? AND state = 'sent'",
                (tx_hash, now, old_hash),
            )

    def in_flight(self) -> list[SentBatch]:
        """Sent reports not yet confirmed, grouped by their nonce's chain of transactions, by nonce."""
        with self._read() as db:
            rows = db.execute(
                "SELECT tx_hash, asset_id, epoch FROM reports WHERE state = 'sent' ORDER BY epoch, asset_id"
            ).fetchall()
            by_tx: dict[bytes, list[ReportKey]] = {}
            for tx_hash, asset_id, epoch in rows:
                by_tx.setdefault(bytes(tx_hash), []).append((int(asset_id), int(epoch)))
            batches = []
            for tx_hash, keys in by_tx.items():
                (batch,) = db.execute("SELECT batch FROM transactions WHERE tx_hash = ?", (tx_hash,)).fetchone()
                txs = db.execute(
                    f"SELECT {_TX_COLUMNS} FROM transactions WHERE batch = ? ORDER BY rowid", (batch,)
                ).fetchall()
                batches.append(SentBatch(tuple(keys), tuple(_sent_tx(t) for t in txs)))
        return sorted(batches, key=lambda b: b.nonce)

    def transactions(self) -> list[SentTx]:
        """Every transaction ever recorded, in the order they were recorded."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_TX_COLUMNS} FROM transactions ORDER BY rowid").fetchall()
        return [_sent_tx(r) for r in rows]

    def mark_done(self, keys: Iterable[ReportKey], tx_hash: bytes | None) -> int:
        """Marks pending or sent reports done: accepted on chain by `tx_hash`, or (None) found on
        chain already. Done and rejected reports are left as they are. Returns how many changed."""
        return self._set_state(keys, "done", tx_hash=tx_hash, error=None, from_states=("pending", "sent"))

    def mark_rejected(self, key: ReportKey, error: str) -> None:
        """The contract refuses this report for good (bounds, inventory): never send it again."""
        self._set_state([key], "rejected", tx_hash=None, error=error, from_states=("pending", "sent"))

    def release(self, keys: Iterable[ReportKey], error: str | None = None) -> int:
        """Sent reports whose transaction is known not to have landed go back to pending."""
        return self._set_state(keys, "pending", tx_hash=None, error=error, from_states=("sent",))

    def note(self, keys: Iterable[ReportKey], error: str) -> None:
        """Records why pending reports are still waiting (the status CLI shows it)."""
        now = time.time()
        with self._write() as db:
            db.executemany(
                "UPDATE reports SET error = ?, updated_at = ? WHERE asset_id = ? AND epoch = ? AND state = 'pending'",
                [(error, now, *key) for key in keys],
            )

    def _set_state(
        self,
        keys: Iterable[ReportKey],
        state: str,
        *,
        tx_hash: bytes | None,
        error: str | None,
        from_states: tuple[str, ...],
    ) -> int:
        now = time.time()
        marks = ", ".join("?" for _ in from_states)
        changed = 0
        with self._write() as db:
            for key in keys:
                cursor = db.execute(
                    f"UPDATE reports SET state = ?, tx_hash = ?, error = ?, updated_at = ?"
                    f" WHERE asset_id = ? AND epoch = ? AND state IN ({marks})",
                    (state, tx_hash, error, now, *key, *from_states),
                )
                changed += cursor.rowcount
        return changed

    # ------------------------------------------------------------ telemetry buffer

    def record_samples(self, samples: Iterable[GpuSample]) -> int:
        """Buffers samples; one already stored (same GPU, timestamp and source) is skipped, so a
        source re-read after a restart does not count twice. Returns how many were new."""
        rows = [(s.timestamp, s.gpu_uuid, s.utilization_bps, s.power_mw, int(s.healthy), s.source) for s in samples]
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO samples (timestamp, gpu_uuid, utilization_bps, power_mw, healthy, source)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            return db.total_changes - before

    def samples_between(self, start: float, end: float) -> list[GpuSample]:
        """Buffered samples with start <= timestamp < end, by time then GPU."""
        with self._lock:
            rows = self._db.execute(
                "SELECT timestamp, gpu_uuid, utilization_bps, power_mw, healthy, source FROM samples"
                " WHERE timestamp >= ? AND timestamp < ? ORDER BY timestamp, gpu_uuid, source",
                (start, end),
            ).fetchall()
        return [GpuSample(float(t), str(g), _opt_int(u), _opt_int(p), bool(h), str(s)) for t, g, u, p, h, s in rows]

    def prune_samples(self, before: float) -> int:
        """Drops samples older than `before` (epochs already measured); returns how many."""
        with self._write() as db:
            return db.execute("DELETE FROM samples WHERE timestamp < ?", (before,)).rowcount

    def mark_measured(self, epoch: int) -> None:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO measured_epochs (epoch, measured_at) VALUES (?, ?)", (epoch, time.time()))

    def is_measured(self, epoch: int) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM measured_epochs WHERE epoch = ?", (epoch,)).fetchone()
        return row is not None

    def last_measured(self) -> int | None:
        with self._lock:
            (epoch,) = self._db.execute("SELECT MAX(epoch) FROM measured_epochs").fetchone()
        return None if epoch is None else int(epoch)


_ROW_COLUMNS = "packed, state, tx_hash, attempts, error, created_at, updated_at"
_TX_COLUMNS = "tx_hash, nonce, raw_tx, data, gas, max_fee, tip, gas_price, keys, sent_at, replaced_by"


def _report_row(row: Sequence[Any]) -> ReportRow:
    packed, state, tx_hash, attempts, error, created_at, updated_at = row
    return ReportRow(
        Report.unpack(bytes(packed)),
        str(state),
        None if tx_hash is None else bytes(tx_hash),
        int(attempts),
        error,
        float(created_at),
        float(updated_at),
    )


def _sent_tx(row: Sequence[Any]) -> SentTx:
    tx_hash, nonce, raw_tx, data, gas, max_fee, tip, gas_price, keys, sent_at, replaced_by = row
    return SentTx(
        tx_hash=bytes(tx_hash),
        nonce=int(nonce),
        raw_tx=bytes(raw_tx),
        data=bytes(data),
        gas=int(gas),
        max_fee=_opt_int(max_fee),
        tip=_opt_int(tip),
        gas_price=_opt_int(gas_price),
        keys=tuple((int(a), int(e)) for a, e in json.loads(keys)),
        sent_at=float(sent_at),
        replaced_by=None if replaced_by is None else bytes(replaced_by),
    )


def _keys_json(keys: Iterable[ReportKey]) -> str:
    return json.dumps([[a, e] for a, e in keys])


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _check_key(key: ReportKey) -> None:
    if key[0] > _MAX_SQLITE_INT:
        raise InvalidInputError("outbox", "asset_id", f"{key[0]} does not fit a SQLite integer")


def _check_state(state: str) -> None:
    if state not in STATES:
        raise InvalidInputError("outbox", "state", f"{state!r} is not one of {', '.join(STATES)}")
