"""Morpho Blue, the peer of our LendingMarket, built from npm `@morpho-org/morpho-blue` 1.0.0.

The package ships Solidity sources only (`pragma solidity 0.8.19`). `compile_morpho` compiles
`src/Morpho.sol` with solcjs 0.8.19 (npm alias `solc-0.8.19`, through
tools/solcjs-standard-json.js) and Morpho's production settings (via-IR, optimizer runs
999,999, EVM Paris), and caches the artifact under build/peers/, keyed by a hash of the
standard-JSON input (every source, the settings) and the compiler version: the first run takes
about 15 s, later ones read the cache.

`MorphoBlue` deploys it and wraps the entry points the comparison needs, with Morpho's own
rounding mirrored in plain Python (`to_shares_up`, `liquidation_incentive`, `accrued`, ...) so
that tests can predict every amount exactly.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Final

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt

from compute_rwa.artifacts import PROJECT_ROOT, Artifact
from compute_rwa.errors import DeploymentError, ToolchainError
from compute_rwa.tx import Signer, TxSender, address_of, guard

#: npm package of the sources, and the solcjs alias that compiles them.
PACKAGE: Final = "@morpho-org/morpho-blue"
COMPILER_PACKAGE: Final = "solc-0.8.19"
#: Morpho Blue's production build: via-IR, 999,999 optimizer runs, EVM Paris.
SETTINGS: Final[dict[str, Any]] = {
    "viaIR": True,
    "optimizer": {"enabled": True, "runs": 999_999},
    "evmVersion": "paris",
}
ENTRY: Final = "src/Morpho.sol"
#: Events are declared in EventsLib; solc 0.8.19 leaves library events out of the emitter's ABI.
EVENTS_SOURCE: Final = "src/libraries/EventsLib.sol"
LABEL: Final = "MorphoBlue"

WAD: Final = 10**18
ORACLE_PRICE_SCALE: Final = 10**36
LIQUIDATION_CURSOR: Final = 3 * 10**17
MAX_LIQUIDATION_INCENTIVE_FACTOR: Final = 115 * 10**16
VIRTUAL_SHARES: Final = 10**6
VIRTUAL_ASSETS: Final = 1

_IMPORT = re.compile(r'\bimport\s+(?:\{[^}]*\}\s*from\s*|\*\s*as\s+\w+\s+from\s*|\w+\s+from\s*)?"([^"]+)"\s*;')


# ---------------------------------------------------------------------------------------------
# Compilation


def package_dir(root: Path = PROJECT_ROOT) -> Path:
    return root / "node_modules" / PACKAGE


def standard_json_input(source_root: Path | None = None) -> dict[str, Any]:
    """The standard-JSON input: Morpho.sol and everything it imports, by content."""
    source_root = source_root or package_dir()
    sources: dict[str, dict[str, str]] = {}
    pending = [ENTRY]
    while pending:
        key = pending.pop()
        if key in sources:
            continue
        path = source_root / key
        if not path.is_file():
            raise ToolchainError(f"{path}: Morpho Blue source missing; run `make setup` (npm ci)")
        content = path.read_text()
        sources[key] = {"content": content}
        for imported in _IMPORT.findall(content):
            if not imported.startswith("."):
                raise ToolchainError(f"{key}: unexpected non-relative import {imported!r}")
            pending.append(posixpath.normpath(posixpath.join(posixpath.dirname(key), imported)))
    return {
        "language": "Solidity",
        "sources": dict(sorted(sources.items())),
        "settings": {
            **SETTINGS,
            "outputSelection": {
                ENTRY: {"Morpho": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]},
                EVENTS_SOURCE: {"EventsLib": ["abi"]},
            },
        },
    }


def compiler_version(root: Path = PROJECT_ROOT) -> str:
    """The installed solcjs alias's version (from its package.json: no node start needed)."""
    manifest = root / "node_modules" / COMPILER_PACKAGE / "package.json"
    if not manifest.is_file():
        raise ToolchainError(f"{manifest}: {COMPILER_PACKAGE} not installed; run `make setup` (npm ci)")
    return str(json.loads(manifest.read_text())["version"])


def default_cache_dir() -> Path:
    return PROJECT_ROOT / "build" / "peers"


@cache
def compile_morpho(cache_dir: Path | None = None, root: Path = PROJECT_ROOT) -> Artifact:
    """Morpho Blue's artifact (ABI with its events, creation bytecode), compiled once per
    source/settings/compiler hash and then read from `cache_dir` (build/peers by default)."""
    compiler_input = standard_json_input(package_dir(root))
    version = compiler_version(root)
    digest = hashlib.sha256(
        json.dumps({"input": compiler_input, "compiler": version}, sort_keys=True).encode()
    ).hexdigest()
    directory = cache_dir or default_cache_dir()
    cached = directory / f"MorphoBlue-{digest[:16]}.json"
    if cached.is_file():
        data = json.loads(cached.read_text())
        if data.get("inputHash") == digest:
            return Artifact(name=LABEL, abi=data["abi"], bytecode=data["bytecode"])
    output = _run_solcjs(compiler_input, root)
    morpho = output["contracts"][ENTRY]["Morpho"]
    events = [item for item in output["contracts"][EVENTS_SOURCE]["EventsLib"]["abi"] if item["type"] == "event"]
    known = {item["name"] for item in morpho["abi"] if item["type"] == "event"}
    abi = morpho["abi"] + [item for item in events if item["name"] not in known]
    bytecode = "0x" + morpho["evm"]["bytecode"]["object"]
    record = {
        "contractName": LABEL,
        "source": f"{PACKAGE}@{_package_version(root)} {ENTRY}",
        "compiler": f"solcjs {version}",
        "settings": SETTINGS,
        "inputHash": digest,
        "abi": abi,
        "bytecode": bytecode,
        "deployedBytecode": "0x" + morpho["evm"]["deployedBytecode"]["object"],
    }
    directory.mkdir(parents=True, exist_ok=True)
    # Atomic: a concurrent reader sees the whole file or none.
    with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".tmp", delete=False) as handle:
        json.dump(record, handle)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, cached)
    return Artifact(name=LABEL, abi=abi, bytecode=bytecode)


def _package_version(root: Path) -> str:
    return str(json.loads((package_dir(root) / "package.json").read_text())["version"])


def _run_solcjs(compiler_input: dict[str, Any], root: Path) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise ToolchainError("node: not found on PATH (Morpho Blue is compiled with solcjs)")
    script = root / "tools" / "solcjs-standard-json.js"
    try:
        done = subprocess.run(
            [node, str(script), COMPILER_PACKAGE],
            input=json.dumps(compiler_input),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            cwd=root,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(f"{script}: compiling Morpho Blue took over {exc.timeout} s") from None
    if done.returncode != 0:
        raise ToolchainError(f"{script}: exit {done.returncode}: {done.stderr.strip()[-2000:]}")
    output: dict[str, Any] = json.loads(done.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise ToolchainError("Morpho Blue: " + "; ".join(str(e.get("formattedMessage", e)) for e in errors))
    return output


# ---------------------------------------------------------------------------------------------
# Morpho's data and math, in Python


@dataclass(frozen=True)
class MarketParams:
    """Morpho's MarketParams (field order of the struct)."""

    loan_token: ChecksumAddress
    collateral_token: ChecksumAddress
    oracle: ChecksumAddress
    irm: ChecksumAddress
    lltv: int

    @classmethod
    def of(cls, loan_token: str, collateral_token: str, oracle: str, irm: str, lltv: int) -> MarketParams:
        c = Web3.to_checksum_address
        return cls(c(loan_token), c(collateral_token), c(oracle), c(irm), lltv)

    def to_abi(self) -> tuple[str, str, str, str, int]:
        return (self.loan_token, self.collateral_token, self.oracle, self.irm, self.lltv)

    @property
    def id(self) -> bytes:
        """Morpho's market id: keccak256(abi.encode(marketParams))."""
        return bytes(keccak(abi_encode(["address", "address", "address", "address", "uint256"], self.to_abi())))


@dataclass(frozen=True)
class Position:
    supply_shares: int
    borrow_shares: int
    collateral: int


@dataclass(frozen=True)
class Market:
    """Morpho's Market: totals as of `last_update` (interest since then not included)."""

    total_supply_assets: int
    total_supply_shares: int
    total_borrow_assets: int
    total_borrow_shares: int
    last_update: int
    fee: int

    def accrued(self, borrow_rate: int, timestamp: int) -> Market:
        """The totals `_accrueInterest` would store at `timestamp` for a rate per second."""
        elapsed = timestamp - self.last_update
        if elapsed <= 0:
            return self
        interest = w_mul_down(self.total_borrow_assets, w_taylor_compounded(borrow_rate, elapsed))
        supply_assets = self.total_supply_assets + interest
        supply_shares = self.total_supply_shares
        if self.fee:
            fee_amount = w_mul_down(interest, self.fee)
            supply_shares += to_shares_down(fee_amount, supply_assets - fee_amount, supply_shares)
        return replace(
            self,
            total_supply_assets=supply_assets,
            total_supply_shares=supply_shares,
            total_borrow_assets=self.total_borrow_assets + interest,
            last_update=timestamp,
        )


@dataclass(frozen=True)
class Moved:
    """Assets and shares of one supply, withdraw, borrow or repay, from Morpho's event."""

    receipt: TxReceipt
    assets: int
    shares: int

    @property
    def gas(self) -> int:
        return int(self.receipt["gasUsed"])


@dataclass(frozen=True)
class Liquidation:
    receipt: TxReceipt
    repaid_assets: int
    repaid_shares: int
    seized_assets: int
    bad_debt_assets: int
    bad_debt_shares: int

    @property
    def gas(self) -> int:
        return int(self.receipt["gasUsed"])


def mul_div_down(x: int, y: int, d: int) -> int:
    return x * y // d


def mul_div_up(x: int, y: int, d: int) -> int:
    return (x * y + d - 1) // d


def w_mul_down(x: int, y: int) -> int:
    return mul_div_down(x, y, WAD)


def w_div_down(x: int, y: int) -> int:
    return mul_div_down(x, WAD, y)


def w_div_up(x: int, y: int) -> int:
    return mul_div_up(x, WAD, y)


def w_taylor_compounded(x: int, n: int) -> int:
    first = x * n
    second = mul_div_down(first, first, 2 * WAD)
    third = mul_div_down(second, first, 3 * WAD)
    return first + second + third


def to_shares_down(assets: int, total_assets: int, total_shares: int) -> int:
    return mul_div_down(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


def to_shares_up(assets: int, total_assets: int, total_shares: int) -> int:
    return mul_div_up(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


def to_assets_down(shares: int, total_assets: int, total_shares: int) -> int:
    return mul_div_down(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


def to_assets_up(shares: int, total_assets: int, total_shares: int) -> int:
    return mul_div_up(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


def liquidation_incentive(lltv: int) -> int:
    """min(1.15, 1 / (1 - 0.3 x (1 - lltv))) in WAD, rounded as Morpho rounds it."""
    return min(MAX_LIQUIDATION_INCENTIVE_FACTOR, w_div_down(WAD, WAD - w_mul_down(LIQUIDATION_CURSOR, WAD - lltv)))


def seized_for_repaid_shares(repaid_shares: int, market: Market, price: int, lltv: int) -> int:
    """Collateral a liquidation repaying `repaid_shares` seizes (market accrued to that block)."""
    repaid = to_assets_down(repaid_shares, market.total_borrow_assets, market.total_borrow_shares)
    return mul_div_down(w_mul_down(repaid, liquidation_incentive(lltv)), ORACLE_PRICE_SCALE, price)


def repaid_shares_for_seized(seized_assets: int, market: Market, price: int, lltv: int) -> int:
    """Borrow shares a liquidation seizing `seized_assets` repays (market accrued to that block)."""
    quoted = mul_div_up(seized_assets, price, ORACLE_PRICE_SCALE)
    return to_shares_up(
        w_div_up(quoted, liquidation_incentive(lltv)), market.total_borrow_assets, market.total_borrow_shares
    )


def max_borrow(collateral: int, price: int, lltv: int) -> int:
    """Most a position may owe and stay healthy: collateral x price / 1e36 x LLTV, rounded down."""
    return w_mul_down(mul_div_down(collateral, price, ORACLE_PRICE_SCALE), lltv)


# ---------------------------------------------------------------------------------------------
# The deployed contract


class MorphoBlue:
    """A deployed Morpho Blue singleton. Every transaction goes through `sender` (TxSender), so a
    revert raises ContractRevertError (Morpho's require strings come back as `Error(reason)`)."""

    def __init__(self, w3: Web3, address: str, sender: TxSender | None = None) -> None:
        self.w3 = w3
        self.sender = sender or TxSender(w3)
        self.artifact = compile_morpho()
        self.contract: Contract = w3.eth.contract(address=Web3.to_checksum_address(address), abi=self.artifact.abi)

    @property
    def address(self) -> ChecksumAddress:
        return self.contract.address

    @classmethod
    def deploy(
        cls, w3: Web3, owner: Signer, sender: TxSender | None = None, deployer: Signer | None = None
    ) -> MorphoBlue:
        """Deploys Morpho Blue with `owner` (from `deployer`, by default the owner)."""
        sender = sender or TxSender(w3)
        artifact = compile_morpho()
        signer = deployer or owner
        constructor = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor(address_of(owner))
        params: TxParams = {"from": address_of(signer)}
        if isinstance(signer, LocalAccount):
            tx = constructor.build_transaction(params)
            tx_hash = guard(LABEL, "constructor", lambda: _sign_and_send(w3, tx, signer))
        else:
            tx_hash = guard(LABEL, "constructor", lambda: constructor.transact(params))
        receipt = sender.wait(tx_hash)
        address = receipt.get("contractAddress")
        if receipt["status"] != 1 or address is None:
            raise DeploymentError(f"{LABEL}: deployment transaction {tx_hash.hex()} failed")
        return cls(w3, address, sender)

    def _tx(self, fn: ContractFunction, signer: Signer) -> TxReceipt:
        return self.sender.transact(fn, signer, LABEL)

    # -- owner ----------------------------------------------------------------------------------

    def enable_irm(self, irm: str, owner: Signer) -> TxReceipt:
        return self._tx(self.contract.functions.enableIrm(Web3.to_checksum_address(irm)), owner)

    def enable_lltv(self, lltv: int, owner: Signer) -> TxReceipt:
        return self._tx(self.contract.functions.enableLltv(lltv), owner)

    def set_fee(self, params: MarketParams, fee: int, owner: Signer) -> TxReceipt:
        return self._tx(self.contract.functions.setFee(params.to_abi(), fee), owner)

    # -- anyone ---------------------------------------------------------------------------------

    def create_market(self, params: MarketParams, signer: Signer) -> bytes:
        """Creates the market (its IRM and LLTV must be enabled); returns its id."""
        receipt = self._tx(self.contract.functions.createMarket(params.to_abi()), signer)
        (event,) = self.contract.events.CreateMarket().process_receipt(receipt, errors=DISCARD)
        market_id = bytes(event["args"]["id"])
        if market_id != params.id:
            raise DeploymentError(f"{LABEL}: market id {market_id.hex()} differs from {params.id.hex()}")
        return market_id

    def accrue_interest(self, params: MarketParams, signer: Signer) -> TxReceipt:
        return self._tx(self.contract.functions.accrueInterest(params.to_abi()), signer)

    def set_authorization(self, authorized: str, enabled: bool, signer: Signer) -> TxReceipt:
        return self._tx(self.contract.functions.setAuthorization(Web3.to_checksum_address(authorized), enabled), signer)

    # -- lenders --------------------------------------------------------------------------------

    def supply(self, params: MarketParams, assets: int, on_behalf: str, signer: Signer, shares: int = 0) -> Moved:
        """Supplies `assets` (or mints exactly `shares`) of the loan token for `on_behalf`."""
        fn = self.contract.functions.supply(params.to_abi(), assets, shares, _addr(on_behalf), b"")
        return self._moved(self._tx(fn, signer), "Supply")

    def withdraw(
        self, params: MarketParams, assets: int, on_behalf: str, receiver: str, signer: Signer, shares: int = 0
    ) -> Moved:
        fn = self.contract.functions.withdraw(params.to_abi(), assets, shares, _addr(on_behalf), _addr(receiver))
        return self._moved(self._tx(fn, signer), "Withdraw")

    # -- borrowers ------------------------------------------------------------------------------

    def supply_collateral(self, params: MarketParams, assets: int, on_behalf: str, signer: Signer) -> TxReceipt:
        return self._tx(
            self.contract.functions.supplyCollateral(params.to_abi(), assets, _addr(on_behalf), b""), signer
        )

    def withdraw_collateral(
        self, params: MarketParams, assets: int, on_behalf: str, receiver: str, signer: Signer
    ) -> TxReceipt:
        fn = self.contract.functions.withdrawCollateral(params.to_abi(), assets, _addr(on_behalf), _addr(receiver))
        return self._tx(fn, signer)

    def borrow(
        self, params: MarketParams, assets: int, on_behalf: str, receiver: str, signer: Signer, shares: int = 0
    ) -> Moved:
        """Borrows `assets` (or exactly `shares` of debt) against `on_behalf`'s collateral."""
        fn = self.contract.functions.borrow(params.to_abi(), assets, shares, _addr(on_behalf), _addr(receiver))
        return self._moved(self._tx(fn, signer), "Borrow")

    def repay(self, params: MarketParams, assets: int, on_behalf: str, signer: Signer, shares: int = 0) -> Moved:
        """Repays `assets` (or exactly `shares` of debt) of `on_behalf`'s debt from the signer."""
        fn = self.contract.functions.repay(params.to_abi(), assets, shares, _addr(on_behalf), b"")
        return self._moved(self._tx(fn, signer), "Repay")

    # -- liquidators ----------------------------------------------------------------------------

    def liquidate(
        self, params: MarketParams, borrower: str, seized_assets: int, repaid_shares: int, signer: Signer
    ) -> Liquidation:
        """Liquidates an unhealthy position: seizes `seized_assets` collateral, or repays exactly
        `repaid_shares` of its debt (one of the two is zero)."""
        fn = self.contract.functions.liquidate(params.to_abi(), _addr(borrower), seized_assets, repaid_shares, b"")
        receipt = self._tx(fn, signer)
        (event,) = self.contract.events.Liquidate().process_receipt(receipt, errors=DISCARD)
        args = event["args"]
        return Liquidation(
            receipt,
            int(args["repaidAssets"]),
            int(args["repaidShares"]),
            int(args["seizedAssets"]),
            int(args["badDebtAssets"]),
            int(args["badDebtShares"]),
        )

    # -- reads ----------------------------------------------------------------------------------

    def owner(self) -> ChecksumAddress:
        return Web3.to_checksum_address(self.contract.functions.owner().call())

    def is_irm_enabled(self, irm: str) -> bool:
        return bool(self.contract.functions.isIrmEnabled(_addr(irm)).call())

    def is_lltv_enabled(self, lltv: int) -> bool:
        return bool(self.contract.functions.isLltvEnabled(lltv).call())

    def position(self, market_id: bytes, user: str) -> Position:
        supply_shares, borrow_shares, collateral = self.contract.functions.position(market_id, _addr(user)).call()
        return Position(int(supply_shares), int(borrow_shares), int(collateral))

    def market(self, market_id: bytes) -> Market:
        return Market(*(int(v) for v in self.contract.functions.market(market_id).call()))

    def market_params(self, market_id: bytes) -> MarketParams:
        loan, collateral, oracle, irm, lltv = self.contract.functions.idToMarketParams(market_id).call()
        return MarketParams.of(loan, collateral, oracle, irm, int(lltv))

    def debt_of(self, market_id: bytes, user: str) -> int:
        """Debt as of the market's last update (Morpho's own rounding: up)."""
        market = self.market(market_id)
        shares = self.position(market_id, user).borrow_shares
        return to_assets_up(shares, market.total_borrow_assets, market.total_borrow_shares)

    def _moved(self, receipt: TxReceipt, event_name: str) -> Moved:
        (event,) = self.contract.events[event_name]().process_receipt(receipt, errors=DISCARD)
        return Moved(receipt, int(event["args"]["assets"]), int(event["args"]["shares"]))


def _addr(address: str) -> ChecksumAddress:
    return Web3.to_checksum_address(address)


def _sign_and_send(w3: Web3, tx: TxParams, account: LocalAccount) -> HexBytes:
    tx = dict(tx)  # type: ignore[assignment]
    tx.setdefault("nonce", w3.eth.get_transaction_count(account.address, "pending"))
    tx.setdefault("chainId", w3.eth.chain_id)
    signed = account.sign_transaction(tx)  # type: ignore[arg-type]
    return w3.eth.send_raw_transaction(signed.raw_transaction)
