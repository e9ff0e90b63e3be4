"""Local chains for demos, tests and benchmarks: anvil (default) or Ganache, both from npm,
started on a free port and stopped afterwards, so that runs never collide on 8545."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from web3 import Web3
from web3.providers.rpc import HTTPProvider

from compute_rwa.artifacts import PROJECT_ROOT
from compute_rwa.errors import ChainStartError, ToolchainError
from compute_rwa.networks import check_chain_id, resolve

ChainKind = Literal["anvil", "ganache"]

#: Chain ids the local chains use (anvil's default; Ganache's conventional one).
LOCAL_CHAIN_IDS: dict[ChainKind, int] = {"anvil": 31337, "ganache": 1337}


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _npm_bin(name: str) -> str:
    # anvil's npm entry point is a node wrapper around a native binary; a signal to the wrapper
    # is not passed on, so run the binary itself (stop() still signals the whole process group).
    native = sorted((PROJECT_ROOT / "node_modules" / "@foundry-rs").glob(f"{name}-*/bin/{name}"))
    if native:
        return str(native[0])
    local = PROJECT_ROOT / "node_modules" / ".bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise ToolchainError(f"{name}: not found in node_modules/.bin or PATH; run `make setup`")
    return found


def connect(target: str, timeout: float = 60.0) -> Web3:
    """A Web3 for a JSON-RPC endpoint: an http(s) URL, or a brownie network id whose configured
    chain id is checked against the node's (see compute_rwa.networks). The chain id is cached
    (it never changes under a running node) and calls carry an explicit zero sender, so that a
    read costs one request instead of four (web3.py would otherwise ask for eth_accounts and
    eth_chainId each time)."""
    endpoint = resolve(target)
    w3 = Web3(HTTPProvider(endpoint.url, request_kwargs={"timeout": timeout}, cache_allowed_requests=True))
    w3.eth.default_account = READ_ONLY_CALLER
    if endpoint.chain_id is not None:
        check_chain_id(endpoint, w3.eth.chain_id)
    return w3


#: `from` of read-only calls; transactions always name their real sender.
READ_ONLY_CALLER = Web3.to_checksum_address("0x" + "00" * 19 + "01")


@dataclass
class LocalChain:
    """A local dev chain process. Use as a context manager, or call start() and stop().

    Every account the node creates is unlocked and funded; transactions mine instantly unless
    `block_time` is set (seconds between blocks, to behave like a remote network).
    """

    kind: ChainKind = "anvil"
    port: int = 0
    block_time: int | None = None
    chain_id: int | None = None
    accounts: int = 20
    gas_limit: int = 30_000_000
    startup_timeout: float = 30.0
    #: Extra command-line flags for the node (e.g. anvil's `--state FILE` to survive a restart).
    extra_args: tuple[str, ...] = ()
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    #: Where anvil persists historical states (it defaults to ~/.foundry/anvil/tmp, which fills
    #: the disk when nodes die without cleaning up); removed by stop().
    _cache_dir: Path | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        chain_id = self.chain_id or LOCAL_CHAIN_IDS[self.kind]
        if self.kind == "anvil":
            cmd = [
                _npm_bin("anvil"),
                "--port",
                str(self.port),
                "--chain-id",
                str(chain_id),
                "--accounts",
                str(self.accounts),
                "--gas-limit",
                str(self.gas_limit),
                "--balance",
                "1000000",
                "--silent",
            ]
            if self.block_time:
                cmd += ["--block-time", str(self.block_time)]
            if self._cache_dir is not None:
                cmd += ["--cache-path", str(self._cache_dir)]
            return cmd + list(self.extra_args)
        cmd = [
            _npm_bin("ganache"),
            "--server.port",
            str(self.port),
            "--chain.chainId",
            str(chain_id),
            "--chain.hardfork",
            "shanghai",
            "--wallet.deterministic",
            "--wallet.totalAccounts",
            str(self.accounts),
            "--wallet.defaultBalance",
            "1000000",
            "--miner.blockGasLimit",
            str(self.gas_limit),
            "--logging.quiet",
        ]
        if self.block_time:
            cmd += ["--miner.blockTime", str(self.block_time)]
        return cmd

    def start(self) -> LocalChain:
        if self._process is not None:
            return self
        for _attempt in range(3):
            if not self.port:
                self.port = free_port()
            if self.kind == "anvil":
                self._cache_dir = Path(tempfile.mkdtemp(prefix="compute-rwa-anvil-"))
            self._process = subprocess.Popen(
                self.command(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={**os.environ, "NO_COLOR": "1"},
                cwd=Path.cwd(),
                # Its own process group, so that stop() reaches any child it spawns as well.
                start_new_session=True,
            )
            if self._wait_ready():
                return self
            self.stop()
            self.port = 0  # the port may have been taken in between: try another one
        raise ChainStartError(f"{self.kind}: no JSON-RPC answer after 3 attempts")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        w3 = Web3(HTTPProvider(self.url, request_kwargs={"timeout": 2}))
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                return False
            try:
                w3.eth.chain_id  # noqa: B018 - a cheap call that proves the node answers
                return True
            except Exception:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        self._signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._signal_group(process, signal.SIGKILL)
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
        cache_dir, self._cache_dir = self._cache_dir, None
        if cache_dir is not None:
            shutil.rmtree(cache_dir, ignore_errors=True)

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(process.pid, sig)

    def web3(self) -> Web3:
        return connect(self.url)

    def __enter__(self) -> LocalChain:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
