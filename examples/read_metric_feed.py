"""Read one metric of a GPU asset through its MetricFeed, exactly as a Chainlink price feed.

What an integrator learns here:

- A `MetricFeed` is a plain Chainlink `AggregatorV3Interface`: read it with Chainlink's ABI
  (abi/AggregatorV3Interface.json) and the code you already have for price feeds. Each feed
  reports one (asset, metric) of the compute-rwa metrics oracle; anyone deploys one with
  `compute-rwa oracle feed ASSET METRIC`.
- Rounds are oracle epochs: roundId = epoch + 1 (round 0 never exists), startedAt = the
  epoch's first second, updatedAt = when the epoch's report was accepted on chain,
  answeredInRound = roundId.
- Scale: value = answer / 10**decimals(). Utilization and uptime have 4 decimals
  (10,000 = 100%), GPU-hours 3 (milli-GPU-hours), energy (Wh), average power (W) and
  efficiency (GFLOPS per watt) 0.
- The staleness check is the reader's, as with every Chainlink feed: a feed keeps answering its
  newest valid report, and skips voided (successfully challenged) ones, so that answer can be
  old. Refuse updatedAt older than you accept (an hourly oracle: a few hours), updatedAt = 0
  and answeredInRound < roundId. This script exits with status 1 when the check fails.
- History: getRoundData(roundId) reads earlier epochs; a round without a valid report reverts
  with a custom error, which compute_rwa.artifacts.decode_error turns into its name and values.
- The oracle itself offers the strict read: latestReportChecked(assetId, maxAge) reverts
  (OracleReportStale) instead of answering old data.

Run:
    python examples/read_metric_feed.py --rpc http://127.0.0.1:8545 \\
        --deployment deployments/31337.json --feed 0xFEED [--max-age 10800] [--history 3]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from hexbytes import HexBytes
from web3.exceptions import ContractCustomError, ContractLogicError

from compute_rwa.artifacts import decode_error
from compute_rwa.integrator.scripting import example_parser, open_deployment
from compute_rwa.oracle.client import Metric
from compute_rwa.tx import contract_at

#: What each metric's value (answer / 10**decimals) measures over its epoch.
UNITS = {
    Metric.UTILIZATION: "busy (1 = 100%)",
    Metric.UPTIME: "healthy (1 = 100%)",
    Metric.GPU_HOURS: "GPU-hours",
    Metric.ENERGY: "Wh",
    Metric.AVG_POWER: "W",
    Metric.EFFICIENCY: "GFLOPS per watt",
}


def when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def revert_reason(exc: ContractLogicError) -> str:
    """The custom error a call reverted with, as `Name(arg=value, ...)`."""
    data: Any = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    name, values = decode_error(bytes(HexBytes(data)) if data else b"")
    return f"{name}({', '.join(f'{k}={v}' for k, v in values.items())})"


def main(argv: list[str] | None = None) -> int:
    parser = example_parser(__doc__)
    parser.add_argument("--feed", required=True, help="address of a MetricFeed")
    parser.add_argument("--max-age", type=int, default=3 * 3600, help="oldest updatedAt accepted, in seconds")
    parser.add_argument("--history", type=int, default=3, help="earlier rounds to read")
    args = parser.parse_args(argv)
    w3, deployment = open_deployment(args.rpc, args.deployment)

    # 1. Read it as any Chainlink feed.
    feed = contract_at(w3, "AggregatorV3Interface", args.feed)
    decimals = feed.functions.decimals().call()
    print(f"feed {feed.address}: {feed.functions.description().call()!r}, decimals {decimals}")
    round_id, answer, started_at, updated_at, answered_in_round = feed.functions.latestRoundData().call()
    now = int(w3.eth.get_block("latest")["timestamp"])
    print(f"latest round {round_id}: answer {answer} = {answer / 10**decimals:g}")
    print(f"  startedAt {when(started_at)}, updatedAt {when(updated_at)} ({now - updated_at} s ago)")

    # 2. The checks every Chainlink reader applies before using the answer.
    problems = []
    if updated_at == 0:
        problems.append("updatedAt is 0: the round is not complete")
    if answered_in_round < round_id:
        problems.append(f"answeredInRound {answered_in_round} < roundId {round_id}: a carried-over answer")
    if answer < 0:
        problems.append("negative answer: no metric is negative")
    if now - updated_at > args.max_age:
        problems.append(f"stale: updated {now - updated_at} s ago, more than --max-age {args.max_age} s")

    # 3. What the feed measures: its own getters (MetricFeed's ABI) and the oracle behind it.
    metric_feed = contract_at(w3, "MetricFeed", args.feed)
    asset_id = metric_feed.functions.assetId().call()
    metric = Metric(metric_feed.functions.metric().call())
    oracle = contract_at(w3, "MetricsOracle", metric_feed.functions.oracle().call())
    if oracle.address != deployment.oracle:
        problems.append(f"the feed reads oracle {oracle.address}, not this deployment's {deployment.oracle}")
    epoch_seconds = oracle.functions.epochSeconds().call()
    epoch = round_id - 1
    print(
        f"asset {asset_id}, {metric.name.lower()}: {answer / 10**decimals:g} {UNITS[metric]} "
        f"over epoch {epoch} ({when(started_at)} to {when(started_at + epoch_seconds)})"
    )

    # 4. Earlier rounds; a missing or voided epoch reverts with the oracle's custom error.
    for earlier in range(round_id - 1, max(0, round_id - 1 - args.history) - 1, -1):
        try:
            _, value, started, updated, _ = feed.functions.getRoundData(earlier).call()
            print(f"  round {earlier} (epoch {earlier - 1}): {value / 10**decimals:g}, updatedAt {when(updated)}")
        except ContractLogicError as exc:
            print(f"  round {earlier}: reverts with {revert_reason(exc)}")

    # 5. The oracle's strict read: it reverts instead of answering a report older than maxAge.
    try:
        report = oracle.functions.latestReportChecked(asset_id, args.max_age).call()
        print(f"oracle.latestReportChecked(asset {asset_id}, maxAge {args.max_age}): epoch {report[0]}")
    except (ContractCustomError, ContractLogicError) as exc:
        print(f"oracle.latestReportChecked(asset {asset_id}, maxAge {args.max_age}) reverts: {revert_reason(exc)}")

    if problems:
        for problem in problems:
            print(f"REFUSED: {problem}")
        return 1
    print(f"usable: {answer / 10**decimals:g} {UNITS[metric]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
