"""One operator's signer: its own observations, the equivocation guard, and its HTTP server.

A signer signs only when every field of every report lies within tolerance of its own observation
(`Tolerances`), and never signs two different values for the same (chain, oracle, config version,
asset, epoch).

HTTP API of a signer (JSON bodies, standard library server):
- `GET /health` -> `{"address", "version"}`
- `POST /observe {"epoch": int, "asset_ids": [int]}` -> `{"reports": ["0x<61-byte report>", ...]}`
- `POST /sign {"chain_id": int, "oracle": address, "config_version": int, "reports": "0x..."}`
  -> `{"signature": "0x<65 bytes>", "signer": address}`, or 409
  `{"signer": address, "refused": [{"asset_id", "epoch", "field", "proposed", "observed", "reason"}]}`
- malformed requests -> 400 `{"error": message, "field": name}`.
The signer's private key is never logged, returned or put in an exception.
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, is_checksum_address, to_checksum_address

from compute_rwa import __version__
from compute_rwa.errors import InvalidInputError
from compute_rwa.oracle.reports import REPORT_BYTES, OracleDomain, Report, sign_batch, unpack_reports
from compute_rwa.oracle.tolerance import METRIC_FIELDS, Refusal, SigningRefusedError, Tolerances

log = logging.getLogger(__name__)

#: A signer's own measurement: (epoch, asset ids) -> its reports (ids it cannot measure are left out).
Observe = Callable[[int, Sequence[int]], list[Report]]

#: Largest request body a signer reads (a full batch of 255 reports is ~31 KB as hex).
MAX_BODY_BYTES = 1 << 20
#: Most asset ids one /observe request may name.
MAX_OBSERVE_ASSETS = 10_000


# ---------------------------------------------------------------------------- equivocation guard


class _SignedLedger:
    """What this signer has signed, per (chain, oracle, config version, asset, epoch): in memory,
    and in a SQLite file when a path is given (so a restart cannot be tricked into equivocating)."""

    def __init__(self, path: Path | None) -> None:
        self._memory: dict[tuple[int, str, int, int, int], bytes] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # asset ids are uint64 and do not fit SQLite's signed INTEGER: stored as decimal text.
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS signed (chain_id TEXT NOT NULL, oracle TEXT NOT NULL, "
                "config_version INTEGER NOT NULL, asset_id TEXT NOT NULL, epoch INTEGER NOT NULL, "
                "report BLOB NOT NULL, signed_at REAL NOT NULL, "
                "PRIMARY KEY (chain_id, oracle, config_version, asset_id, epoch))"
            )

    @staticmethod
    def _key(domain: OracleDomain, report: Report) -> tuple[int, str, int, int, int]:
        return (domain.chain_id, domain.oracle.lower(), domain.config_version, report.asset_id, report.epoch)

    def previous(self, domain: OracleDomain, report: Report) -> bytes | None:
        key = self._key(domain, report)
        if key in self._memory:
            return self._memory[key]
        if self._db is None:
            return None
        row = self._db.execute(
            "SELECT report FROM signed WHERE chain_id = ? AND oracle = ? AND config_version = ? "
            "AND asset_id = ? AND epoch = ?",
            (str(key[0]), key[1], key[2], str(key[3]), key[4]),
        ).fetchone()
        if row is None:
            return None
        self._memory[key] = bytes(row[0])
        return self._memory[key]

    def record(self, domain: OracleDomain, reports: Sequence[Report]) -> None:
        now = time.time()
        if self._db is not None:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = []
                for r in reports:
                    chain_id, oracle, version, asset_id, epoch = self._key(domain, r)
                    rows.append((str(chain_id), oracle, version, str(asset_id), epoch, r.pack(), now))
                self._db.executemany("INSERT OR IGNORE INTO signed VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        for r in reports:
            self._memory.setdefault(self._key(domain, r), r.pack())

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# ---------------------------------------------------------------------------- signer service


class SignerService:
    """One operator's signer: its key, its own observations, and an HTTP JSON server.

    `observe(epoch, asset_ids)` is the operator's measurement (typically `aggregate_epoch` over
    its own telemetry); it is asked again on every /sign, so a signer always judges a batch
    against its freshest view. `chain_id` / `oracle`, when given, restrict what it signs for.
    `ledger_path` makes the equivocation guard survive restarts. `host` / `port` are where
    `start()` (and `with service:`) bind unless told otherwise; port 0 takes a free port.
    """

    def __init__(
        self,
        account: LocalAccount,
        observe: Observe,
        *,
        tolerances: Tolerances | None = None,
        ledger_path: Path | str | None = None,
        chain_id: int | None = None,
        oracle: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._account = account
        self.host, self.port = host, port
        self._observe = observe
        self.tolerances = tolerances or Tolerances()
        self.chain_id = chain_id
        self.oracle = to_checksum_address(oracle) if oracle is not None else None
        self._ledger = _SignedLedger(Path(ledger_path) if ledger_path is not None else None)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"SignerService(address={self.address}, url={self._url_or_none()})"

    @property
    def address(self) -> ChecksumAddress:
        return to_checksum_address(self._account.address)

    # ------------------------------------------------------------ the two operations

    def observations(self, epoch: int, asset_ids: Sequence[int]) -> list[Report]:
        """This signer's reports for `epoch`, restricted to `asset_ids` (one per asset)."""
        wanted = set(asset_ids)
        out: dict[int, Report] = {}
        for report in self._observe(epoch, list(asset_ids)):
            if report.epoch == epoch and report.asset_id in wanted:
                out.setdefault(report.asset_id, report)
        return [out[a] for a in sorted(out)]

    def review(self, domain: OracleDomain, reports: Sequence[Report]) -> list[Refusal]:
        """Every reason not to sign `reports` under `domain` (empty: it would sign)."""
        refused = self._observation_refusals(domain, reports)
        with self._lock:
            return refused + self._ledger_refusals(domain, reports)

    def sign(self, domain: OracleDomain, packed: bytes) -> bytes:
        """The 65-byte signature of `packed` under `domain`; raises SigningRefusedError with the
        reasons when any report is outside tolerance, unobserved or equivocating."""
        reports = unpack_reports(packed)
        refused = self._observation_refusals(domain, reports)
        with self._lock:  # check and record atomically: two racing batches cannot both pass
            refused += self._ledger_refusals(domain, reports)
            if refused:
                raise SigningRefusedError(self.address, refused)
            self._ledger.record(domain, reports)  # written before the signature leaves
            return sign_batch(domain, packed, self._account)

    def _observation_refusals(self, domain: OracleDomain, reports: Sequence[Report]) -> list[Refusal]:
        refused: list[Refusal] = []
        if self.chain_id is not None and domain.chain_id != self.chain_id:
            refused.append(Refusal(0, 0, "chain_id", domain.chain_id, self.chain_id, "not the signer's chain"))
        if self.oracle is not None and to_checksum_address(domain.oracle) != self.oracle:
            refused.append(Refusal(0, 0, "oracle", domain.oracle, self.oracle, "not the signer's oracle"))
        seen: dict[tuple[int, int], Report] = {}
        for r in reports:
            if r.key in seen and seen[r.key] != r:
                refused.append(Refusal(r.asset_id, r.epoch, "duplicate", None, None, "two reports for one key"))
            seen[r.key] = r
        observed: dict[tuple[int, int], Report] = {}
        for epoch in sorted({r.epoch for r in reports}):
            assets = sorted({r.asset_id for r in reports if r.epoch == epoch})
            try:
                mine = self.observations(epoch, assets)
            except Exception as exc:  # the operator's measurement failed: refuse, do not crash
                log.warning("observation of epoch %d failed: %s", epoch, exc.__class__.__name__)
                mine = []
            observed.update((o.key, o) for o in mine)
        for r in reports:
            own = observed.get(r.key)
            if own is None:
                refused.append(Refusal(r.asset_id, r.epoch, "observation", None, None, "no observation of this key"))
            else:
                refused.extend(self.tolerances.check(r, own))
        return refused

    def _ledger_refusals(self, domain: OracleDomain, reports: Sequence[Report]) -> list[Refusal]:
        refused: list[Refusal] = []
        for r in reports:
            previous = self._ledger.previous(domain, r)
            if previous is None or previous == r.pack():
                continue
            before = Report.unpack(previous)
            for name in ("inventory_hash", *METRIC_FIELDS):
                p, o = getattr(r, name), getattr(before, name)
                if p != o:
                    shown = ("0x" + p.hex(), "0x" + o.hex()) if isinstance(p, bytes) else (p, o)
                    refused.append(
                        Refusal(r.asset_id, r.epoch, name, shown[0], shown[1], "equivocation: signed other values")
                    )
        return refused

    # ------------------------------------------------------------ server

    def start(self, host: str | None = None, port: int | None = None) -> str:
        """Serves the API on host:port (default: the constructor's; port 0: a free port) in a
        background thread; returns the URL."""
        if self._server is not None:
            raise InvalidInputError("signer service", "start", f"already serving at {self.url}")
        bind = (self.host if host is None else host, self.port if port is None else port)
        server_class = _Server6 if ":" in bind[0] else _Server
        server = server_class(bind, _Handler)
        server.signer = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=f"signer-{self.address}", daemon=True
        )
        self._thread.start()
        log.info("signer %s serving at %s", self.address, self.url)
        return self.url

    def stop(self) -> None:
        """Stops serving (no-op when not serving); the ledger stays open for a later start()."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def close(self) -> None:
        self.stop()
        with self._lock:
            self._ledger.close()

    def _url_or_none(self) -> str | None:
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"

    @property
    def url(self) -> str:
        url = self._url_or_none()
        if url is None:
            raise InvalidInputError("signer service", "url", "not serving (call start())")
        return url

    def __enter__(self) -> SignerService:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    signer: SignerService


class _Server6(_Server):
    address_family = socket.AF_INET6


class _BadRequestError(Exception):
    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def _int_field(body: dict[str, Any], name: str, bits: int, minimum: int = 0) -> int:
    if name not in body:
        raise _BadRequestError(name, f"field {name!r} is missing")
    value: object = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadRequestError(name, f"field {name!r} must be an integer, got {type(value).__name__}")
    if not minimum <= value < 1 << bits:
        raise _BadRequestError(name, f"field {name!r} must lie in [{minimum}, 2^{bits}), got {value}")
    return value


def _hex_field(body: dict[str, Any], name: str) -> bytes:
    value = body.get(name)
    if not isinstance(value, str):
        raise _BadRequestError(name, f"field {name!r} must be a hex string")
    text = value[2:] if value[:2].lower() == "0x" else value
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise _BadRequestError(name, f"field {name!r} is not valid hex") from None


def _is_address(text: str) -> bool:
    """0x + 40 hex digits, and a valid EIP-55 checksum when the case is mixed."""
    if not is_address(text):
        return False
    digits = text.removeprefix("0x").removeprefix("0X")
    return digits in (digits.lower(), digits.upper()) or is_checksum_address(text)


class _Handler(BaseHTTPRequestHandler):
    server_version = f"compute-rwa-signer/{__version__}"
    timeout = 30  # seconds a client may take to send its request

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    @property
    def signer(self) -> SignerService:
        assert isinstance(self.server, _Server)
        return self.server.signer

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.rstrip("/") == "/health":
            self._reply(200, {"address": self.signer.address, "version": __version__})
        else:
            self._reply(404, {"error": f"no such path {self.path!r}", "field": "path"})

    def do_POST(self) -> None:  # noqa: N802
        routes = {"/observe": self._observe, "/sign": self._sign}
        route = routes.get(self.path.rstrip("/"))
        try:
            if route is None:
                raise _BadRequestError("path", f"no such path {self.path!r}", 404)
            route(self._body())
        except _BadRequestError as exc:
            self._reply(exc.status, {"error": str(exc), "field": exc.field})
        except InvalidInputError as exc:
            self._reply(400, {"error": str(exc), "field": exc.field})
        except Exception as exc:  # never a traceback (or anything else) to the client
            log.exception("signer request %s failed", self.path)
            self._reply(500, {"error": f"internal error ({exc.__class__.__name__})", "field": None})

    def _body(self) -> dict[str, Any]:
        raw_length = self.headers.get("Content-Length")
        try:
            length = int(raw_length) if raw_length is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            raise _BadRequestError("Content-Length", "header Content-Length missing or invalid")
        if length > MAX_BODY_BYTES:
            raise _BadRequestError("Content-Length", f"body of {length} bytes exceeds {MAX_BODY_BYTES}", 413)
        try:
            body = json.loads(self.rfile.read(length))
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than json can read
            raise _BadRequestError("body", "body is not JSON") from None
        if not isinstance(body, dict):
            raise _BadRequestError("body", "body must be a JSON object")
        return body

    def _observe(self, body: dict[str, Any]) -> None:
        epoch = _int_field(body, "epoch", 32)
        ids = body.get("asset_ids")
        if not isinstance(ids, list):
            raise _BadRequestError("asset_ids", "field 'asset_ids' must be a list of integers")
        if len(ids) > MAX_OBSERVE_ASSETS:
            raise _BadRequestError("asset_ids", f"field 'asset_ids' names more than {MAX_OBSERVE_ASSETS} assets")
        for value in ids:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 64:
                raise _BadRequestError("asset_ids", f"field 'asset_ids' holds {value!r}, not a uint64")
        reports = self.signer.observations(epoch, ids)
        self._reply(200, {"reports": ["0x" + r.pack().hex() for r in reports]})

    def _sign(self, body: dict[str, Any]) -> None:
        chain_id = _int_field(body, "chain_id", 256, minimum=1)
        oracle = body.get("oracle")
        if not isinstance(oracle, str) or not _is_address(oracle):
            raise _BadRequestError("oracle", "field 'oracle' must be an address (0x + 40 hex, valid checksum)")
        config_version = _int_field(body, "config_version", 24)
        packed = _hex_field(body, "reports")
        if not packed or len(packed) % REPORT_BYTES:
            raise _BadRequestError("reports", f"field 'reports' must be a positive multiple of {REPORT_BYTES} bytes")
        try:
            count = len(unpack_reports(packed))
        except InvalidInputError as exc:
            raise _BadRequestError("reports", f"field 'reports': {exc}") from None
        domain = OracleDomain(chain_id, to_checksum_address(oracle), config_version)
        try:
            signature = self.signer.sign(domain, packed)
        except SigningRefusedError as exc:
            log.info("refused to sign %d report(s): %s", count, exc)
            self._reply(409, {"signer": self.signer.address, "refused": [r.to_json() for r in exc.refusals]})
            return
        self._reply(200, {"signature": "0x" + signature.hex(), "signer": self.signer.address})
