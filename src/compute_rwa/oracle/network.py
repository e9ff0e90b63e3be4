"""Several operators, one oracle: signer services, the median of their observations, and a quorum
of their signatures over HTTP.

Each operator runs a `SignerService` over its own telemetry. A transmitter (`Transmitter`) asks
every signer what it observed for (epoch, assets) (`POST /observe`), takes the per-field median
(`median_reports`) and puts the agreed reports in its outbox; its Submitter later asks every
signer to sign the batch (`RemoteQuorum`, `POST /sign`). A signer signs only when every field of
every report lies within tolerance of its own observation (`Tolerances`), and never signs two
different values for the same (chain, oracle, config version, asset, epoch).

The signer side (`SignerService`) lives in `signer_service`, the tolerances in `tolerance` and the
median in `consensus`; this module is the client side and re-exports them.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FuturesTimeoutError
from typing import TYPE_CHECKING, Any, TypeVar

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from compute_rwa.errors import InvalidInputError, QuorumError
from compute_rwa.oracle.consensus import Consensus, consensus, median_reports
from compute_rwa.oracle.reports import (
    SIGNATURE_BYTES,
    OracleDomain,
    Report,
    join_signatures,
    recover_signer,
    unpack_reports,
)
from compute_rwa.oracle.signer_service import SignerService
from compute_rwa.oracle.tolerance import Refusal, SigningRefusedError, Tolerances

if TYPE_CHECKING:
    from compute_rwa.oracle.quorum import Quorum

__all__ = [
    "Consensus",
    "QuorumShortfallError",
    "Refusal",
    "RemoteQuorum",
    "SignerService",
    "SigningRefusedError",
    "Tolerances",
    "Transmitter",
    "consensus",
    "health",
    "median_reports",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


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
