"""A fault-injecting JSON-RPC proxy: a threaded HTTP server on a free local port in front of a node.

The feeder's fault campaign points the feeder at this proxy instead of the node, so that its RPC
calls fail the way they fail in production, behind a hosted endpoint or a load balancer:

- timeouts, on any method: the request is held past the client's timeout and never answered, the
  connection is closed without an answer, or a gateway answers HTTP 504. Half of them are first
  forwarded to the node, so the node acted on a request whose answer the client never saw (for
  eth_sendRawTransaction: the transaction is in the pool, or mined, yet the client saw a failure);
- on eth_sendRawTransaction, the node errors for a nonce already used and for a replacement
  without enough fee bump, in geth's and anvil's wording, either instead of forwarding (a backend
  whose view differs from the one that will mine) or after the node accepted the transaction (a
  load balancer that retried the request on a second backend and returned its refusal);
- dropped transactions: the transaction hash is answered, as a node whose pool later evicts the
  transaction would, but it is never forwarded, so it never mines unless the client sends it again
  or replaces it.

Whether a request is faulted is drawn from a seeded RNG. Broadcasts draw from a shuffled deck
(each kind of fault once per `DECK_SIZE` broadcasts, in a random place), so that even a short
campaign meets every kind; other requests time out with probability `timeout_rate`. While the
node is down the proxy answers 502 Bad Gateway, as nginx in front of a restarting node does.
Every injected fault is counted by kind (`counts`) and by kind and variant (`variants`).
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import rlp
from eth_utils.crypto import keccak

from compute_rwa.chain import free_port

#: Kinds of injected faults, as counted.
TIMEOUT, NONCE_TOO_LOW, UNDERPRICED, DROPPED = "timeout", "nonce too low", "underpriced", "dropped"
KINDS = (TIMEOUT, NONCE_TOO_LOW, UNDERPRICED, DROPPED)

#: One of each fault kind per this many broadcasts (eth_sendRawTransaction); the rest pass through.
DECK_SIZE = 12

#: What geth (core/txpool, JSON-RPC code -32000) and anvil (code -32003) answer for a broadcast whose
#: nonce is already used, and for one that would replace a pooled transaction without paying more.
_NODE_ERRORS: dict[str, dict[str, tuple[int, str]]] = {
    "geth": {
        NONCE_TOO_LOW: (-32000, "nonce too low: next nonce {next}, tx nonce {nonce}"),
        UNDERPRICED: (-32000, "replacement transaction underpriced"),
    },
    "anvil": {
        NONCE_TOO_LOW: (-32003, "nonce too low"),
        UNDERPRICED: (-32003, "replacement transaction underpriced"),
    },
}


class RpcFaultProxy:
    """Forwards JSON-RPC over HTTP to `upstream`, injecting faults (see the module docstring).

    `client_timeout` is the client's HTTP timeout: a held request is kept a little longer than it.
    Use as a context manager, or call start() and stop()."""

    def __init__(self, upstream: str, *, seed: int, client_timeout: float, timeout_rate: float = 0.01) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname is not None and parts.port is not None, upstream
        self.upstream = (parts.hostname, parts.port)
        self.client_timeout = client_timeout
        self.timeout_rate = timeout_rate
        self.counts: Counter[str] = Counter({kind: 0 for kind in KINDS})
        self.variants: Counter[str] = Counter()
        self.requests = 0
        self.broadcasts = 0
        self._rng = random.Random(seed)
        self._deck: list[str | None] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RpcFaultProxy:
        self.port = free_port()
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        server.daemon_threads = True  # a held request must not keep the test process alive
        server.proxy = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="rpc-fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes held requests
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> RpcFaultProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def summary(self) -> str:
        return ", ".join(f"{count} {variant}" for variant, count in sorted(self.variants.items()))

    # ------------------------------------------------------------ drawing faults

    def draw(self, method: str | None) -> tuple[str | None, bool, str]:
        """The fault for one request: (kind or None, forward to the node first?, variant)."""
        with self._lock:
            self.requests += 1
            if method == "eth_sendRawTransaction":
                self.broadcasts += 1
                if not self._deck:
                    self._deck = [*KINDS, *[None] * (DECK_SIZE - len(KINDS))]
                    self._rng.shuffle(self._deck)
                kind = self._deck.pop()
            else:
                kind = TIMEOUT if self._rng.random() < self.timeout_rate else None
            forward = kind != DROPPED and self._rng.random() < 0.5
            if kind == TIMEOUT:
                variant = self._rng.choice(("held past the client timeout", "connection closed", "HTTP 504"))
            else:
                variant = self._rng.choice(("geth", "anvil"))
            return kind, forward, variant

    def record(self, kind: str, variant: str, forwarded: bool, method: str | None) -> None:
        with self._lock:
            self.counts[kind] += 1
            where = "after the node had it" if forwarded else "never forwarded"
            on = "eth_sendRawTransaction" if method == "eth_sendRawTransaction" else "other calls"
            self.variants[f"{kind} ({variant}, {where}, {on})"] += 1

    # ------------------------------------------------------------ upstream

    def relay(self, body: bytes) -> tuple[int, bytes]:
        """The node's HTTP status and body for `body`; 502 when the node cannot be reached."""
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            connection.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        except OSError:
            return 502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        finally:
            connection.close()

    def hold(self) -> None:
        """Keeps a request unanswered until the client has given up on it."""
        self._closing.wait(self.client_timeout + 0.5)


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request on stderr would drown the test output

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        proxy: RpcFaultProxy = self.server.proxy  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        single = isinstance(request, dict)
        method = request.get("method") if single else None  # a batch request is passed through
        kind, forward, variant = proxy.draw(method if isinstance(method, str) else None)
        if kind is None:
            self._answer(*proxy.relay(body))
            return
        status, answer = proxy.relay(body) if forward else (200, b"")
        if forward and (status != 200 or "error" in json.loads(answer)):
            self._answer(status, answer)  # the node itself refused or is down: nothing to inject
            return
        proxy.record(kind, variant, forward, method)
        if kind == TIMEOUT:
            if variant == "held past the client timeout":
                proxy.hold()
            elif variant == "HTTP 504":
                self._answer(504, b"<html><body><h1>504 Gateway Time-out</h1></body></html>", "text/html")
            # else: the connection closes with no answer at all
            return
        assert request is not None
        raw = bytes.fromhex(str(request["params"][0]).removeprefix("0x"))
        if kind == DROPPED:
            self._json({"jsonrpc": "2.0", "id": request.get("id"), "result": "0x" + keccak(raw).hex()})
            return
        code, message = _NODE_ERRORS[variant][kind]
        nonce = _tx_nonce(raw)
        error = {"code": code, "message": message.format(next=nonce + 1, nonce=nonce)}
        self._json({"jsonrpc": "2.0", "id": request.get("id"), "error": error})

    def _json(self, payload: dict[str, Any]) -> None:
        self._answer(200, json.dumps(payload).encode())

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (it was killed, or timed out): nobody to answer


def _tx_nonce(raw: bytes) -> int:
    """The nonce of a signed transaction: an EIP-2718 typed one (type byte, then an RLP list that
    starts with chainId, nonce) or a legacy one (an RLP list that starts with the nonce)."""
    if raw and raw[0] < 0x7F:
        return int.from_bytes(rlp.decode(raw[1:])[1], "big")
    return int.from_bytes(rlp.decode(raw)[0], "big")
