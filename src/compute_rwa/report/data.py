"""What the dashboard shows, read from the chain through the project's clients into typed values:

- the fleet: `SuiteClient` (AssetRegistry specs, each ShareToken's symbol and accumulator) and,
  where the deployment has one, `ValuationClient` (each asset's stored share price);
- metrics over time: `OracleClient`, every report the MetricsOracle's ring still holds;
- revenue per share over time: the share tokens' `RevenueDistributed` and `ReserveReleased`
  events, with the accumulator (`revenuePerShareE18`) replayed from them as the token computes it;
- the lease book: `LeaseClient` (every lease) and the manager's `SlaCredit` events;
- loan health: `MarketFactoryClient` (every market), `MarketClient` (its state and every
  borrower's position) and `ValuationClient` (the collateral's valuation).

Amounts stay ints in token units; the renderer formats them with each token's decimals."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import LogReceipt

from compute_rwa.client import SuiteClient
from compute_rwa.deploy import Deployment
from compute_rwa.lease import Lease, LeaseClient, TokenInfo
from compute_rwa.market import MarketClient, MarketFactoryClient, MarketInfo, MarketPosition, ValuationClient
from compute_rwa.market import ValuationView as Valuation
from compute_rwa.models import AssetSpec
from compute_rwa.oracle.client import OnchainReport, OracleClient
from compute_rwa.tx import guard

#: Block range of one eth_getLogs request.
DEFAULT_LOG_CHUNK = 10_000
#: Units of one whole share (1 share = 1 GPU).
SHARE = 10**18
#: Calls in one JSON-RPC batch.
BATCH_SIZE = 500
#: `ReportStatus.Missing` of `MetricsOracle.reportStatus`: the ring holds no report for the epoch.
_MISSING = 0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FleetRow:
    """One registered asset, its share token and what its holders have earned per share."""

    spec: AssetSpec
    share_symbol: str
    payment: TokenInfo
    #: Revenue paid to holders per whole share since registration (payment-token units; the
    #: token's accumulator `revenuePerShareE18`, which per 1e18-unit share is exactly that).
    revenue_per_share: int
    #: Paid to holders in total (the `toHolders` of every `RevenueDistributed`).
    revenue_to_holders: int
    #: The stored valuation, when the deployment has a ShareValuator and the asset a price.
    valuation: Valuation | None


@dataclass(frozen=True)
class MetricPoint:
    """One epoch's report as the oracle holds it (voided reports are kept, flagged)."""

    epoch: int
    #: Start of the epoch (unix seconds, the oracle's clock).
    start: int
    utilization_bps: int
    uptime_bps: int
    efficiency_gflops_per_w: int
    voided: bool

    @classmethod
    def of(cls, report: OnchainReport, start: int) -> MetricPoint:
        return cls(
            report.epoch,
            start,
            report.utilization_bps,
            report.uptime_bps,
            report.efficiency_gflops_per_w,
            report.voided,
        )


@dataclass(frozen=True)
class AssetMetrics:
    """The reports of one asset in the oracle's ring, oldest first."""

    asset_id: int
    points: tuple[MetricPoint, ...]

    @property
    def valid(self) -> tuple[MetricPoint, ...]:
        return tuple(p for p in self.points if not p.voided)

    @property
    def voided(self) -> int:
        return len(self.points) - len(self.valid)

    def mean_bps(self, field: str) -> int | None:
        """Mean of `field` over the valid reports (None without any)."""
        valid = self.valid
        return None if not valid else sum(int(getattr(p, field)) for p in valid) // len(valid)


class RevenueSource(str, Enum):
    """Where revenue paid to holders came from."""

    #: `distribute` by anyone.
    DIRECT = "direct"
    #: Lease escrow the LeaseManager released as epochs settled (`receiveLeaseRevenue`).
    LEASES = "leases"
    #: The asset's reserve, released to holders by its operator or the admin.
    RESERVE = "reserve"


@dataclass(frozen=True)
class RevenuePoint:
    """One accrual to an asset's holders (`RevenueDistributed` or `ReserveReleased`)."""

    asset_id: int
    block: int
    timestamp: int
    #: Who paid (or released the reserve).
    payer: ChecksumAddress
    source: RevenueSource
    #: Paid in (before the waterfall's fees; the amount released for the reserve).
    amount: int
    to_holders: int
    #: Revenue per whole share to date, right after this accrual (payment-token units).
    revenue_per_share: int


@dataclass(frozen=True)
class LeaseRow:
    """A lease with its payment token, its epochs as times, and the SLA credits it was given."""

    lease: Lease
    token: TokenInfo
    #: Start of the first epoch, end of the last, and end of the last settled (unix seconds).
    starts_at: int
    ends_at: int
    settled_until: int
    credits: int
    credited_epochs: int


@dataclass(frozen=True)
class MarketRow:
    """A lending market, its borrowers' positions (empty ones left out), and the valuation of
    its collateral."""

    info: MarketInfo
    positions: tuple[MarketPosition, ...]
    valuation: Valuation | None


@dataclass(frozen=True)
class Dashboard:
    """Everything the report shows, read at (about) one block."""

    chain_id: int
    block: int
    #: The block's timestamp: the chain's "now".
    chain_time: int
    registry: ChecksumAddress
    fleet: tuple[FleetRow, ...]
    metrics: tuple[AssetMetrics, ...]
    epoch_seconds: int | None
    revenue: tuple[RevenuePoint, ...]
    leases: tuple[LeaseRow, ...]
    markets: tuple[MarketRow, ...]
    #: Parts of the deployment that are missing or could not be read, said plainly.
    notes: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        return {
            "assets": len(self.fleet),
            "reports": sum(len(m.points) for m in self.metrics),
            "voided_reports": sum(m.voided for m in self.metrics),
            "revenue_events": len(self.revenue),
            "leases": len(self.leases),
            "markets": len(self.markets),
            "positions": sum(len(m.positions) for m in self.markets),
        }


def collect(
    w3: Web3,
    deployment: Deployment,
    *,
    epochs: int | None = None,
    log_chunk: int = DEFAULT_LOG_CHUNK,
    progress: Progress | None = None,
) -> Dashboard:
    """Reads the dashboard's data. `epochs` bounds the metrics to the newest that many epochs of
    each asset (default: all the ring holds)."""
    say = progress or (lambda _: None)
    reader = _Reader(w3, log_chunk)
    latest = w3.eth.get_block("latest")
    block, chain_time = int(latest["number"]), int(latest["timestamp"])
    suite = SuiteClient(w3, deployment)
    from_block = reader.deployment_block(deployment.registry)
    notes: list[str] = []

    specs = suite.assets()
    say(f"fleet: {len(specs)} asset(s)")
    tokens = {spec.asset_id: suite.share_token(spec.asset_id) for spec in specs}
    valuations = _valuations(w3, deployment, specs, notes)

    say("revenue: RevenueDistributed, ReserveReleased and burn events")
    revenue = _revenue(reader, specs, tokens, deployment.lease_manager, from_block, block, notes)
    fleet = tuple(_fleet_row(suite, reader, spec, tokens[spec.asset_id], revenue, valuations) for spec in specs)

    metrics: tuple[AssetMetrics, ...] = ()
    epoch_seconds = None
    if deployment.oracle is None:
        notes.append("This deployment has no MetricsOracle: no utilization, uptime or efficiency to show.")
    else:
        oracle = OracleClient(w3, deployment.oracle)
        epoch_seconds = oracle.epoch_seconds
        say("metrics: reports held in the oracle's ring")
        metrics = _metrics(reader, oracle, [s.asset_id for s in specs], epochs)

    leases: tuple[LeaseRow, ...] = ()
    if deployment.lease_manager is None:
        notes.append("This deployment has no LeaseManager: no lease book.")
    else:
        say("leases: LeaseManager")
        leases = _leases(reader, LeaseClient(w3, deployment, from_block=from_block, log_chunk=log_chunk), block)

    markets: tuple[MarketRow, ...] = ()
    if deployment.market_factory is None:
        notes.append("This deployment has no MarketFactory: no lending markets.")
    else:
        say("loans: MarketFactory, markets and positions")
        markets = _markets(w3, deployment, from_block, log_chunk, valuations)

    return Dashboard(
        chain_id=int(w3.eth.chain_id),
        block=block,
        chain_time=chain_time,
        registry=deployment.registry,
        fleet=fleet,
        metrics=metrics,
        epoch_seconds=epoch_seconds,
        revenue=revenue,
        leases=leases,
        markets=markets,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------- fleet and valuations


def _fleet_row(
    suite: SuiteClient,
    reader: _Reader,
    spec: AssetSpec,
    token: Contract,
    revenue: Sequence[RevenuePoint],
    valuations: dict[int, Valuation],
) -> FleetRow:
    symbol, payment, accumulator = reader.batch(
        [token.functions.symbol(), token.functions.paymentToken(), token.functions.revenuePerShareE18()]
    )
    return FleetRow(
        spec=spec,
        share_symbol=str(symbol),
        payment=reader.token_info(str(payment)),
        revenue_per_share=int(accumulator),
        revenue_to_holders=sum(p.to_holders for p in revenue if p.asset_id == spec.asset_id),
        valuation=valuations.get(spec.asset_id),
    )


def _valuations(w3: Web3, deployment: Deployment, specs: Sequence[AssetSpec], notes: list[str]) -> dict[int, Valuation]:
    """Stored valuations of the assets that have one (round > 0)."""
    if deployment.valuator is None:
        notes.append("This deployment has no ShareValuator: no share prices.")
        return {}
    client = ValuationClient(w3, deployment)
    found = {}
    for spec in specs:
        view = client.show(spec.asset_id)
        if view.round > 0 or view.legs is not None:
            found[spec.asset_id] = view
    return found


# --------------------------------------------------------------------- revenue


def _revenue(
    reader: _Reader,
    specs: Sequence[AssetSpec],
    tokens: dict[int, Contract],
    lease_manager: ChecksumAddress | None,
    from_block: int,
    to_block: int,
    notes: list[str],
) -> tuple[RevenuePoint, ...]:
    """Every accrual to the fleet's holders (`RevenueDistributed`, `ReserveReleased`) with the
    revenue per share right after it, in chain order. The accumulator is replayed from the
    events as each ShareToken computes it (supply from registration less burns, remainder
    carried), so two payments in one transaction each get their own value and no historical
    state is needed. One log scan for accruals and one for burns, across all the tokens."""
    if not tokens:
        return ()
    by_address = {token.address: asset_id for asset_id, token in tokens.items()}
    events = next(iter(tokens.values())).events
    accrual_topics = [events.RevenueDistributed.topic, events.ReserveReleased.topic]
    burn_topics = [events.Transfer.topic, None, "0x" + "00" * 32]  # Transfer(from, to = 0)
    logs = reader.logs(list(by_address), [accrual_topics], from_block, to_block)
    logs += reader.logs(list(by_address), burn_topics, from_block, to_block)
    logs.sort(key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))
    times = reader.block_times(sorted({int(log["blockNumber"]) for log in logs}))
    accumulators = {spec.asset_id: ShareAccumulator(spec.gpu_count * SHARE) for spec in specs}
    manager = None if lease_manager is None else Web3.to_checksum_address(lease_manager)
    points = []
    for log in logs:
        asset_id = by_address[Web3.to_checksum_address(log["address"])]
        token, accumulator = tokens[asset_id], accumulators[asset_id]
        topic = HexBytes(log["topics"][0])
        if topic == HexBytes(events.Transfer.topic):
            accumulator.burn(int(token.events.Transfer().process_log(log)["args"]["value"]))
            continue
        reserve = topic == HexBytes(events.ReserveReleased.topic)
        event = (token.events.ReserveReleased if reserve else token.events.RevenueDistributed)().process_log(log)
        args = event["args"]
        payer = Web3.to_checksum_address(args["caller"] if reserve else args["payer"])
        to_holders = int(args["amount"] if reserve else args["toHolders"])
        if reserve:
            source = RevenueSource.RESERVE
        else:
            source = RevenueSource.LEASES if payer == manager else RevenueSource.DIRECT
        points.append(
            RevenuePoint(
                asset_id=asset_id,
                block=int(log["blockNumber"]),
                timestamp=times[int(log["blockNumber"])],
                payer=payer,
                source=source,
                amount=int(args["amount"]),
                to_holders=to_holders,
                revenue_per_share=accumulator.accrue(to_holders),
            )
        )
    drift = [
        asset_id
        for asset_id, token in tokens.items()
        if accumulators[asset_id].per_share != int(token.functions.revenuePerShareE18().call())
    ]
    if drift:
        notes.append(
            f"Revenue per share over time of asset(s) {', '.join(map(str, drift))} does not end at the share "
            "token's accumulator: the node returned incomplete logs; the fleet table has the exact figure."
        )
    return tuple(points)


class ShareAccumulator:
    """A ShareToken's revenue-per-share accumulator (`RevenueMath.accumulate`), replayed: the
    per-share value in payment-token units per whole share, the carried remainder (1e18 scale)
    and the share supply it divides by."""

    def __init__(self, supply: int) -> None:
        self.supply = supply
        self.per_share = 0
        self.carried = 0

    def accrue(self, to_holders: int) -> int:
        """Adds a payment to holders; returns revenue per whole share after it."""
        if self.supply > 0:  # with no shares the token sends it to the reserve (toHolders is 0)
            total = to_holders * SHARE + self.carried
            self.per_share += total // self.supply
            self.carried = total % self.supply
        return self.per_share

    def burn(self, units: int) -> None:
        self.supply -= units


# --------------------------------------------------------------------- metrics


def _metrics(
    reader: _Reader, oracle: OracleClient, asset_ids: Sequence[int], epochs: int | None
) -> tuple[AssetMetrics, ...]:
    """Every report each asset's ring holds (up to the newest `epochs`), oldest first: one batch
    of `reportStatus` (which never reverts) to find them, one of `getReport` to read them."""
    depth = oracle.ring_size if epochs is None else min(epochs, oracle.ring_size)
    latest = oracle.latest_epochs(asset_ids) if asset_ids else {}
    wanted = [
        (asset_id, epoch)
        for asset_id in asset_ids
        if (newest := latest[asset_id]) is not None
        for epoch in range(max(0, newest - depth + 1), newest + 1)
    ]
    f = oracle.contract.functions
    statuses = reader.batch([f.reportStatus(a, e) for a, e in wanted])
    held = [key for key, status in zip(wanted, statuses, strict=True) if int(status[0]) != _MISSING]
    reports = reader.batch([f.getReport(a, e) for a, e in held])
    points: dict[int, list[MetricPoint]] = {a: [] for a in asset_ids}
    for (asset_id, epoch), raw in zip(held, reports, strict=True):
        points[asset_id].append(MetricPoint.of(OnchainReport.from_abi(asset_id, raw), oracle.epoch_start(epoch)))
    return tuple(AssetMetrics(a, tuple(points[a])) for a in asset_ids)


# --------------------------------------------------------------------- leases


def _leases(reader: _Reader, client: LeaseClient, to_block: int) -> tuple[LeaseRow, ...]:
    credits: dict[int, list[int]] = {}
    event = client.manager.events.SlaCredit
    for log in reader.logs([client.manager.address], [event.topic], client.from_block, to_block):
        args = event().process_log(log)["args"]
        credits.setdefault(int(args["leaseId"]), []).append(int(args["credit"]))
    return tuple(
        LeaseRow(
            lease=lease,
            token=client.token(lease.asset_id),
            starts_at=client.epoch_start(lease.start_epoch),
            ends_at=client.epoch_start(lease.end_epoch),
            settled_until=client.epoch_start(lease.next_epoch),
            credits=sum(credits.get(lease.lease_id, [])),
            credited_epochs=len(credits.get(lease.lease_id, [])),
        )
        for lease in client.leases()
    )


# --------------------------------------------------------------------- loans


def _markets(
    w3: Web3, deployment: Deployment, from_block: int, log_chunk: int, valuations: dict[int, Valuation]
) -> tuple[MarketRow, ...]:
    factory = MarketFactoryClient(w3, deployment, from_block=from_block, log_chunk=log_chunk)
    rows = []
    for created in factory.created():
        market = MarketClient(w3, created.market, from_block=from_block, log_chunk=log_chunk)
        info = market.info()
        positions = tuple(p for p in market.positions() if not p.empty)
        rows.append(MarketRow(info, positions, valuations.get(info.asset_id)))
    return tuple(rows)


# --------------------------------------------------------------------- reads


class _Reader:
    """Batched contract reads, chunked log scans, block times and token metadata."""

    def __init__(self, w3: Web3, log_chunk: int) -> None:
        self.w3 = w3
        self.log_chunk = log_chunk
        self._tokens: dict[str, TokenInfo] = {}

    def batch(self, calls: Sequence[ContractFunction]) -> list[Any]:
        """Contract reads in JSON-RPC batches (one at a time where the node refuses batches)."""
        out: list[Any] = []
        for page in _pages(calls):
            try:
                with self.w3.batch_requests() as batch:
                    for call in page:
                        batch.add(call)
                    out += batch.execute()
            except Exception:  # a node without batches, or a reverted read: one by one
                out += [guard("report", call.fn_name, call.call) for call in page]
        return out

    def logs(
        self, addresses: list[ChecksumAddress], topics: list[Any], from_block: int, to_block: int
    ) -> list[LogReceipt]:
        """Logs matching `topics` emitted by any of `addresses`, in chain order, `log_chunk`
        blocks a request."""
        out: list[LogReceipt] = []
        start = from_block
        while start <= to_block:
            end = min(to_block, start + self.log_chunk - 1)
            out += self.w3.eth.get_logs({"address": addresses, "topics": topics, "fromBlock": start, "toBlock": end})
            start = end + 1
        return sorted(out, key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))

    def block_times(self, blocks: Sequence[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for page in _pages(blocks):
            with self.w3.batch_requests() as batch:
                for number in page:
                    batch.add(self.w3.eth.get_block(number))
                found: list[Any] = list(batch.execute())
            out.update({int(b["number"]): int(b["timestamp"]) for b in found})
        return out

    def token_info(self, address: str) -> TokenInfo:
        key = Web3.to_checksum_address(address)
        if key not in self._tokens:
            token = self.w3.eth.contract(address=key, abi=_ERC20_METADATA)
            try:
                symbol = str(token.functions.symbol().call())
            except Exception:  # symbol() is optional in ERC-20
                symbol = "tokens"
            decimals = int(guard("ERC20", "decimals", token.functions.decimals().call))
            self._tokens[key] = TokenInfo(key, symbol, decimals)
        return self._tokens[key]

    def deployment_block(self, address: ChecksumAddress) -> int:
        """The block that created `address` (bisecting eth_getCode), or 0 on nodes without the
        historical state to tell."""
        try:
            high = int(self.w3.eth.block_number)
            low = 0
            while low < high:
                mid = (low + high) // 2
                if self.w3.eth.get_code(address, block_identifier=mid):
                    high = mid
                else:
                    low = mid + 1
            return low
        except Exception:  # pruned nodes refuse old state
            return 0


def _pages(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


_ERC20_METADATA = [
    {"name": "symbol", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "string"}]},
    {"name": "decimals", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "uint8"}]},
]
