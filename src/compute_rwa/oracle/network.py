"""Several operators, one oracle: signer services, the median of their observations, and a quorum
of their signatures over HTTP.

Each operator runs a `SignerService` over its own telemetry. A transmitter (`Transmitter`) asks
every signer what it observed for (epoch, assets) (`POST /observe`), takes the per-field median
(`median_reports`) and puts the agreed reports in its outbox; its Submitter later asks every
signer to sign the batch (`RemoteQuorum`, `POST /sign`). A signer signs only when every field of
every report lies within tolerance of its own observation (`Tolerances`), and never signs two
different values for the same (chain, oracle, config version, asset, epoch).

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
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FuturesTimeoutError
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, is_checksum_address, to_checksum_address

from compute_rwa import __version__
from compute_rwa.errors import InvalidInputError, QuorumError
from compute_rwa.oracle.reports import (
    REPORT_BYTES,
    SIGNATURE_BYTES,
    OracleDomain,
    Report,
    join_signatures,
    recover_signer,
    sign_batch,
    unpack_reports,
)

if TYPE_CHECKING:
    from compute_rwa.oracle.quorum import Quorum

log = logging.getLogger(__name__)
T = TypeVar("T")

#: A signer's own measurement: (epoch, asset ids) -> its reports (ids it cannot measure are left out).
Observe = Callable[[int, Sequence[int]], list[Report]]

BPS = 10_000
#: Largest request body a signer reads (a full batch of 255 reports is ~31 KB as hex).
MAX_BODY_BYTES = 1 << 20
#: Most asset ids one /observe request may name.
MAX_OBSERVE_ASSETS = 10_000

_METRIC_FIELDS = ("utilization_bps", "uptime_bps", "gpu_hours_milli", "energy_wh", "avg_power_w")


# ---------------------------------------------------------------------------- tolerances


@dataclass(frozen=True)
class Refusal:
    """Why a signer will not sign one report: `field` names the report field at fault (or
    `observation` when the signer has none, `equivocation` when it signed other values)."""

    asset_id: int
    epoch: int
    field: str
    proposed: int | str | None
    observed: int | str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "epoch": self.epoch,
            "field": self.field,
            "proposed": self.proposed,
            "observed": self.observed,
            "reason": self.reason,
        }

    def describe(self) -> str:
        return (
            f"asset {self.asset_id} epoch {self.epoch} {self.field}: proposed {self.proposed}, "
            f"observed {self.observed} ({self.reason})"
        )


@dataclass(frozen=True)
class Tolerances:
    """How far a proposed report may lie from the signer's own observation.

    Utilization and uptime: +-`bps_abs` basis points (absolute). GPU-hours, energy and average
    power: +-`relative_bps` of the observed value, or the field's absolute floor when that is
    larger (values near zero). The inventory hash must be identical.
    """

    bps_abs: int = 200
    relative_bps: int = 500
    gpu_hours_milli_floor: int = 10
    energy_wh_floor: int = 10
    avg_power_w_floor: int = 5

    def allowed(self, name: str, observed: int) -> int:
        """The largest accepted |proposed - observed| for field `name`."""
        if name in ("utilization_bps", "uptime_bps"):
            return self.bps_abs
        floor = {
            "gpu_hours_milli": self.gpu_hours_milli_floor,
            "energy_wh": self.energy_wh_floor,
            "avg_power_w": self.avg_power_w_floor,
        }[name]
        return max(floor, observed * self.relative_bps // BPS)

    def check(self, proposed: Report, observed: Report) -> list[Refusal]:
        """Every field of `proposed` outside tolerance of `observed` (empty: acceptable)."""
        a, e = proposed.asset_id, proposed.epoch
        refused = []
        if proposed.inventory_hash != observed.inventory_hash:
            refused.append(
                Refusal(
                    a,
                    e,
                    "inventory_hash",
                    "0x" + proposed.inventory_hash.hex(),
                    "0x" + observed.inventory_hash.hex(),
                    "inventory hash differs",
                )
            )
        for name in _METRIC_FIELDS:
            p, o = getattr(proposed, name), getattr(observed, name)
            bound = self.allowed(name, o)
            if abs(p - o) > bound:
                refused.append(Refusal(a, e, name, p, o, f"differs by {abs(p - o)}, tolerance {bound}"))
        return refused


class SigningRefusedError(QuorumError):
    """A signer refused a batch; `refusals` lists each report field at fault."""

    def __init__(self, signer: str, refusals: Sequence[Refusal]) -> None:
        self.signer = signer
        self.refusals = tuple(refusals)
        super().__init__(f"signer {signer} refused: " + "; ".join(r.describe() for r in refusals))


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
            for name in ("inventory_hash", *_METRIC_FIELDS):
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
        except (ValueError, UnicodeDecodeError):
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


# ---------------------------------------------------------------------------- median


@dataclass(frozen=True)
class Consensus:
    """The agreed reports, and the keys left out with the reason."""

    reports: list[Report]
    dropped: dict[tuple[int, int], str] = field(default_factory=dict)


def consensus(observations: Sequence[Sequence[Report]], *, min_observers: int = 1) -> Consensus:
    """Per (asset, epoch): the per-field lower median over the observers that reported it, so
    every value is one observer's integer. A key needs `min_observers` observers whose inventory
    hashes all agree, else it is dropped (and named in `dropped`). One report per observer and
    key counts (the first). Reports come out ordered by (epoch, asset)."""
    if min_observers < 1:
        raise InvalidInputError("median", "min_observers", f"{min_observers}, must be >= 1")
    by_key: dict[tuple[int, int], list[Report]] = {}
    for observed in observations:
        mine: dict[tuple[int, int], Report] = {}
        for r in observed:
            mine.setdefault(r.key, r)
        for key, r in mine.items():
            by_key.setdefault(key, []).append(r)
    agreed, dropped = [], {}
    for key in sorted(by_key, key=lambda k: (k[1], k[0])):
        reports = by_key[key]
        if len(reports) < min_observers:
            dropped[key] = f"{len(reports)} observer(s), {min_observers} needed"
            continue
        hashes = {r.inventory_hash for r in reports}
        if len(hashes) > 1:
            dropped[key] = f"observers disagree on the inventory hash ({len(hashes)} distinct)"
            continue
        values = {name: sorted(getattr(r, name) for r in reports)[(len(reports) - 1) // 2] for name in _METRIC_FIELDS}
        agreed.append(Report(asset_id=key[0], epoch=key[1], inventory_hash=reports[0].inventory_hash, **values))
    return Consensus(agreed, dropped)


def median_reports(observations: list[list[Report]], *, min_observers: int = 1) -> list[Report]:
    """The agreed reports of `consensus`; dropped keys are logged as warnings."""
    result = consensus(observations, min_observers=min_observers)
    for (asset_id, epoch), reason in result.dropped.items():
        log.warning("asset %d epoch %d left out: %s", asset_id, epoch, reason)
    return result.reports


# ---------------------------------------------------------------------------- HTTP client side


class _UnreachableError(Exception):
    """No HTTP answer (refused, timed out, bad URL)."""


class _AnswerError(Exception):
    """An HTTP answer that yields nothing usable; the message says why."""


#: Signers are reached directly: no proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _request(url: str, body: dict[str, Any] | None, timeout: float) -> tuple[int, Any]:
    """(status, parsed JSON) of a GET (body None) or POST; _UnreachableError when no HTTP answer came."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            status, raw = int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (OSError, ValueError) as exc:  # URLError, refused, timeout, bad URL
        reason = getattr(exc, "reason", None) or exc
        raise _UnreachableError(str(reason) or exc.__class__.__name__) from None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def _http_failure(status: int, payload: Any) -> _AnswerError:
    error = payload.get("error") if isinstance(payload, dict) else None
    return _AnswerError(f"HTTP {status}" + (f" ({error})" if error else ""))


def health(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """A signer's `GET /health` answer ({"address", "version"}); QuorumError when unreachable."""
    try:
        status, payload = _request(url.rstrip("/") + "/health", None, timeout)
    except _UnreachableError as exc:
        raise QuorumError(f"signer {url} unreachable ({exc})") from None
    if status != 200 or not isinstance(payload, dict):
        raise QuorumError(f"signer {url}: {_http_failure(status, payload)}")
    return payload


def _fan_out(
    urls: Sequence[str], task: Callable[[str], T], deadline: float
) -> Generator[tuple[str, T | None, str], None, None]:
    """Runs `task(url)` for every URL in parallel; yields (url, result, "") or (url, None, why) as
    answers arrive, and (url, None, "no answer within ...") for those still out at `deadline`
    seconds. Breaking out of the loop abandons the rest."""
    pool = ThreadPoolExecutor(max_workers=len(urls), thread_name_prefix="signer-net")
    futures = {pool.submit(task, url): url for url in urls}
    pending = set(futures)
    try:
        for future in as_completed(futures, timeout=deadline):
            pending.discard(future)
            url = futures[future]
            try:
                yield url, future.result(), ""
            except _UnreachableError as exc:
                yield url, None, f"unreachable ({exc})"
            except _AnswerError as exc:
                yield url, None, str(exc)
            except Exception as exc:  # one signer's odd answer must not sink the round
                yield url, None, f"failed ({exc.__class__.__name__}: {exc})"
    except FuturesTimeoutError:
        for future in pending:
            yield futures[future], None, f"no answer within {deadline:g} s"
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _check_urls(urls: Sequence[str], threshold: int) -> list[str]:
    cleaned = [u.rstrip("/") for u in urls]
    if not cleaned:
        raise InvalidInputError("signer network", "urls", "no signer URL given")
    if len(set(cleaned)) != len(cleaned):
        raise InvalidInputError("signer network", "urls", "a signer URL is listed twice")
    if not 1 <= threshold <= len(cleaned):
        raise InvalidInputError("signer network", "threshold", f"{threshold}, must lie in 1..{len(cleaned)}")
    return cleaned


class QuorumShortfallError(QuorumError):
    """Fewer than the threshold signed; `failures` maps each signer URL that did not sign to why."""

    def __init__(self, signed: int, threshold: int, failures: dict[str, str]) -> None:
        self.signed = signed
        self.threshold = threshold
        self.failures = dict(failures)
        detail = "; ".join(f"{url}: {why}" for url, why in sorted(failures.items()))
        super().__init__(f"{signed} valid signature(s), {threshold} needed: {detail}")


class RemoteQuorum:
    """Implements `Quorum` over HTTP: asks every signer to sign, in parallel.

    A signature counts when it recovers to the address the signer claims, that address has not
    signed already (two URLs of one key count once) and, when `signers` is given, is one of
    them. Returns all valid signatures that come back within the deadline (2 x `timeout`),
    or, with `max_signatures`, as soon as that many are in.
    """

    def __init__(
        self,
        urls: Sequence[str],
        threshold: int,
        *,
        timeout: float = 10.0,
        signers: Iterable[str] | None = None,
        max_signatures: int | None = None,
    ) -> None:
        self.urls = _check_urls(urls, threshold)
        self.threshold = threshold
        self.timeout = timeout
        self.allowed = {to_checksum_address(s) for s in signers} if signers is not None else None
        if max_signatures is not None and max_signatures < threshold:
            raise InvalidInputError("signer network", "max_signatures", f"{max_signatures} < threshold {threshold}")
        self.max_signatures = max_signatures

    def _ask(self, url: str, domain: OracleDomain, packed: bytes) -> tuple[ChecksumAddress, bytes]:
        body = {
            "chain_id": domain.chain_id,
            "oracle": domain.oracle,
            "config_version": domain.config_version,
            "reports": "0x" + packed.hex(),
        }
        status, payload = _request(url + "/sign", body, self.timeout)
        if status == 409 and isinstance(payload, dict) and isinstance(payload.get("refused"), list):
            reasons = [
                f"asset {r.get('asset_id')} epoch {r.get('epoch')} {r.get('field')}: proposed {r.get('proposed')}, "
                f"observed {r.get('observed')}"
                for r in payload["refused"]
                if isinstance(r, dict)
            ]
            raise _AnswerError(f"refused ({'; '.join(reasons)})")
        if status != 200 or not isinstance(payload, dict):
            raise _http_failure(status, payload)
        try:
            signature = bytes.fromhex(str(payload.get("signature", "")).removeprefix("0x"))
            claimed = to_checksum_address(str(payload.get("signer", "")))
        except ValueError:
            raise _AnswerError("malformed answer (signature or signer)") from None
        if len(signature) != SIGNATURE_BYTES:
            raise _AnswerError(f"signature of {len(signature)} bytes")
        try:
            recovered = recover_signer(domain, packed, signature)
        except Exception:
            raise _AnswerError("signature does not recover") from None
        if recovered != claimed:
            raise _AnswerError(f"signature recovers to {recovered}, not the claimed {claimed}")
        if self.allowed is not None and recovered not in self.allowed:
            raise _AnswerError(f"{recovered} is not a configured signer")
        return recovered, signature

    def signatures(self, domain: OracleDomain, packed: bytes) -> bytes:
        """At least `threshold` concatenated signatures of distinct signers; QuorumShortfallError
        (a QuorumError) naming every signer that refused, failed or was unreachable otherwise."""
        unpack_reports(packed)  # malformed input is the caller's error, not the signers'
        got: dict[ChecksumAddress, bytes] = {}
        failures: dict[str, str] = {}
        answers = _fan_out(self.urls, lambda url: self._ask(url, domain, packed), 2 * self.timeout)
        try:
            for url, answer, why in answers:
                if answer is None:
                    failures[url] = why
                elif answer[0] in got:
                    failures[url] = f"duplicate signer {answer[0]}"
                else:
                    got[answer[0]] = answer[1]
                    if self.max_signatures is not None and len(got) >= self.max_signatures:
                        break
        finally:
            answers.close()
        if len(got) < self.threshold:
            raise QuorumShortfallError(len(got), self.threshold, failures)
        for url, why in failures.items():
            log.info("signer %s did not sign: %s", url, why)
        return join_signatures([got[a] for a in sorted(got)])


# ---------------------------------------------------------------------------- transmitter


class Transmitter:
    """One round: every signer's observation (in parallel; failures tolerated), their median.

    `round` returns the agreed reports and hands them to `submit` when given (e.g. `Outbox.add`);
    the Submitter later signs them through `RemoteQuorum`. A key needs `min_observers`
    observations (default: the threshold, as fewer could never gather a quorum).
    `last_failures` / `last_dropped` tell what the last round could not use.
    """

    def __init__(
        self,
        urls: Sequence[str],
        threshold: int,
        submit: Callable[[list[Report]], object] | None = None,
        *,
        timeout: float = 10.0,
        min_observers: int | None = None,
    ) -> None:
        self.urls = _check_urls(urls, threshold)
        self.threshold = threshold
        self.submit = submit
        self.timeout = timeout
        self.min_observers = threshold if min_observers is None else min_observers
        self.last_failures: dict[str, str] = {}
        self.last_dropped: dict[tuple[int, int], str] = {}

    def _observe(self, url: str, epoch: int, asset_ids: list[int]) -> list[Report]:
        status, payload = _request(url + "/observe", {"epoch": epoch, "asset_ids": asset_ids}, self.timeout)
        if status != 200 or not isinstance(payload, dict) or not isinstance(payload.get("reports"), list):
            raise _http_failure(status, payload)
        wanted = set(asset_ids)
        reports = []
        for item in payload["reports"]:
            try:
                report = Report.unpack(bytes.fromhex(str(item).removeprefix("0x")))
            except ValueError:  # InvalidInputError is a ValueError
                raise _AnswerError("malformed report in answer") from None
            if report.epoch == epoch and report.asset_id in wanted:
                reports.append(report)
        return reports

    def round(self, epoch: int, asset_ids: Sequence[int]) -> list[Report]:
        """The median reports of `epoch` for `asset_ids` that enough signers observed alike."""
        ids = sorted(set(asset_ids))
        observations: list[list[Report]] = []
        failures: dict[str, str] = {}
        for url, answer, why in _fan_out(self.urls, lambda url: self._observe(url, epoch, ids), 2 * self.timeout):
            if answer is None:
                failures[url] = why
                log.warning("signer %s gave no observation of epoch %d: %s", url, epoch, why)
            else:
                observations.append(answer)
        result = consensus(observations, min_observers=self.min_observers)
        dropped = dict(result.dropped)
        agreed = {r.asset_id for r in result.reports}
        for asset_id in ids:
            if asset_id not in agreed and (asset_id, epoch) not in dropped:
                dropped[(asset_id, epoch)] = "no signer observed it"
        for (asset_id, key_epoch), reason in dropped.items():
            log.warning("asset %d epoch %d left out: %s", asset_id, key_epoch, reason)
        self.last_failures, self.last_dropped = failures, dropped
        if self.submit is not None and result.reports:
            self.submit(result.reports)
        return result.reports


if TYPE_CHECKING:  # mypy checks that RemoteQuorum implements the Quorum protocol

    def _is_a_quorum(quorum: RemoteQuorum) -> Quorum:
        return quorum
