"""Raw, batched JSON-RPC for the stateful campaigns: one keep-alive connection of its own, since
requests (under web3) looks up proxy settings and rebuilds headers on every request, which costs
more than anvil answering."""

from __future__ import annotations

import http.client
import itertools
import json
from typing import Any
from urllib.parse import urlsplit

from web3 import Web3


class BatchRpc:
    def __init__(self, w3: Web3, timeout: float = 60) -> None:
        url = urlsplit(w3.provider.endpoint_uri)  # type: ignore[attr-defined]
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        self.ids = itertools.count(1)

    def post(self, queries: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """One JSON-RPC batch; the responses in the order of the queries."""
        ids = [next(self.ids) for _ in queries]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, queries, strict=True)
        ]
        body = json.dumps(payload)
        for retry in (True, False):
            try:
                self.connection.request("POST", "/", body, {"Content-Type": "application/json"})
                response = self.connection.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The node closed an idle keep-alive connection before reading the request.
                self.connection.close()
                if not retry:
                    raise
        assert response.status == 200, response.status
        answers = {a["id"]: a for a in json.loads(response.read())}
        return [answers[i] for i in ids]

    def rpc(self, method: str, params: list[Any]) -> Any:
        (response,) = self.post([(method, params)])
        assert "error" not in response, f"{method}: {response['error']}"
        return response["result"]
