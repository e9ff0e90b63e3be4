"""`compute-rwa oracle …`: what an oracle operator runs and inspects.

\b
A single operator runs one process that measures, signs and submits:
  compute-rwa oracle run --rpc URL --inventory inventory.json --outbox feeder.sqlite --source nvml
Several operators each run a signer service, and one of them (or anyone) transmits:
  compute-rwa oracle serve-signer --rpc URL --inventory inventory.json --source prometheus --port 8701
  compute-rwa oracle run --rpc URL --inventory inventory.json --outbox feeder.sqlite \\
      --signer-url http://op1:8701 --signer-url http://op2:8701 --signer-url http://op3:8701
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import click
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.live import Live
from rich.progress import Progress
from rich.table import Table
from web3 import Web3

from compute_rwa.chain import connect
from compute_rwa.cli_tx import ADDRESS, FiniteFloatRange, cli_sender, tx_options
from compute_rwa.cli_tx import cli_signer as _transmitter
from compute_rwa.client import SuiteClient
from compute_rwa.deploy import Deployment, registry_path
from compute_rwa.errors import ContractRevertError, DeploymentError, InvalidInputError
from compute_rwa.keys import KEYSTORE, load_key_from_env, load_signer
from compute_rwa.oracle.client import Metric, OracleClient
from compute_rwa.oracle.feeder import Feeder, FeederStatus
from compute_rwa.oracle.inventory import load_inventories, parse_inventory_file
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.oracle.quorum import LocalQuorum, Quorum
from compute_rwa.oracle.reports import Report
from compute_rwa.oracle.submitter import Submitter
from compute_rwa.telemetry.aggregate import AssetInventory
from compute_rwa.telemetry.samples import TelemetrySource

console = Console()
SIGNER_KEY_ENV = "COMPUTE_RWA_SIGNER_KEY"
#: Exit status of `replay` / `run --once` when reports remain queued (safe to run again).
EXIT_UNFINISHED = 3
# Past these a wait is a mistake, and past about 2**33 seconds the socket layer overflows.
MAX_RPC_TIMEOUT = 3600.0
MAX_CONFIRM_TIMEOUT = 86_400.0

rpc_option = click.option(
    "--rpc",
    "--network",
    "rpc",
    required=True,
    envvar="COMPUTE_RWA_RPC",
    help="JSON-RPC endpoint: an http(s) URL, or a brownie network id (see `brownie networks list`).",
)
deployments_option = click.option(
    "--deployments",
    type=click.Path(path_type=Path),
    help="Folder of <chainId>.json deployment records, or one record file.",
)


def sender_options(command: click.decorators.FC) -> click.decorators.FC:
    """--keystore / --from: who pays for a transaction (see `_transmitter`); and how it is sent
    (confirmations, fee caps, timeout: `cli_tx.tx_options`)."""
    command = tx_options(command)
    command = click.option("--from", "from_address", type=ADDRESS, help="A node-unlocked address (local chains).")(
        command
    )
    keystore = click.option(
        "--keystore", type=KEYSTORE, help="Keystore of the paying account: a path or an account name."
    )
    return keystore(command)


def _suite(rpc: str, deployments: Path | None, rpc_timeout: float = 60.0) -> tuple[SuiteClient, OracleClient]:
    w3 = connect(rpc, timeout=rpc_timeout)
    path = registry_path(w3.eth.chain_id, deployments)
    if not path.exists():
        raise DeploymentError(f"no deployment recorded for chain {w3.eth.chain_id} at {path}")
    deployment = Deployment.load(path)
    if deployment.oracle is None:
        raise DeploymentError(f"{path}: this deployment has no MetricsOracle")
    suite = SuiteClient(w3, deployment, cli_sender(w3))
    return suite, OracleClient(w3, deployment.oracle, suite.sender)


def _signer_keys(keystores: Sequence[Path]) -> list[LocalAccount]:
    keys = [load_signer(path) for path in keystores]
    if not keys and os.environ.get(SIGNER_KEY_ENV):
        keys.append(load_key_from_env(SIGNER_KEY_ENV))
    return keys


def _quorum(oracle: OracleClient, keystores: Sequence[Path], urls: Sequence[str]) -> Quorum:
    if urls:
        from compute_rwa.oracle.network import RemoteQuorum

        return RemoteQuorum(list(urls), oracle.signer_config().threshold)
    keys = _signer_keys(keystores)
    if not keys:
        raise InvalidInputError(
            "command line", "--signer-keystore", f"give signer keystores, --signer-url, or set {SIGNER_KEY_ENV}"
        )
    return LocalQuorum(keys)


def _source(
    kind: str, prometheus_url: str | None, inventories: Sequence[AssetInventory], interval: int
) -> TelemetrySource:
    if kind == "nvml":
        from compute_rwa.telemetry.nvml import NvmlSource

        return NvmlSource()
    if kind == "nvidia-smi":
        from compute_rwa.telemetry.nvidia_smi import NvidiaSmiSource

        return NvidiaSmiSource()
    if kind == "prometheus":
        if not prometheus_url:
            raise click.BadParameter("--prometheus-url is required with --source prometheus")
        from compute_rwa.telemetry.dcgm import PrometheusSource

        return PrometheusSource(prometheus_url)
    from compute_rwa.telemetry.simulator import SimulatedFleet

    uuids = [uuid for inventory in inventories for uuid in inventory.gpu_uuids]
    return SimulatedFleet(uuids, sample_interval=interval, live=True)


@click.group()
def oracle() -> None:
    """Run the oracle feeder, serve a signer, read reports, post bonds, dispute reports."""


@oracle.command()
@rpc_option
@deployments_option
@click.option("--outbox", type=click.Path(path_type=Path, dir_okay=False), help="The feeder's outbox, for its queue.")
def status(rpc: str, deployments: Path | None, outbox: Path | None) -> None:
    """Signer set, epochs, every asset's newest report, and the feeder's queue."""
    suite, client = _suite(rpc, deployments)
    config = client.signer_config()
    last = client.last_ended_epoch()
    console.print(
        f"MetricsOracle {client.address}: config v{config.version}, {config.threshold} of {len(config.signers)} "
        f"signers; epoch {client.epoch_seconds} s from {client.genesis}; last ended epoch {last}"
    )
    for signer in config.signers:
        bond, locked, _ = client.bond_of(signer)
        console.print(f"  signer {signer}: bond {bond:,} (locked {locked:,})")
    table = Table(title="Newest report per asset")
    for column in (
        "asset",
        "epoch",
        "age",
        "utilization",
        "uptime",
        "GPU-h",
        "energy Wh",
        "power W",
        "GFLOPS/W",
        "valid",
    ):
        table.add_column(column, justify="right")
    now = client.chain_time()
    for spec in suite.assets():
        report = client.latest_report(spec.asset_id)
        if report is None:
            table.add_row(str(spec.asset_id), "-", "-", "-", "-", "-", "-", "-", "-", "-")
            continue
        table.add_row(
            str(spec.asset_id),
            str(report.epoch),
            f"{(now - report.updated_at) // 60} min",
            f"{report.utilization_bps / 100:.2f}%",
            f"{report.uptime_bps / 100:.2f}%",
            f"{report.gpu_hours_milli / 1000:.3f}",
            f"{report.energy_wh:,}",
            f"{report.avg_power_w:,}",
            f"{report.efficiency_gflops_per_w:,}",
            "no (voided)" if report.voided else "yes",
        )
    console.print(table)
    if outbox is not None:
        console.print(f"outbox {outbox}: {Outbox(outbox, read_only=True).counts()}")


@oracle.command()
@click.argument("asset_id", type=click.IntRange(1))
@rpc_option
@deployments_option
@click.option("--epochs", type=click.IntRange(1, 168), default=24, show_default=True, help="How many recent epochs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def show(asset_id: int, rpc: str, deployments: Path | None, epochs: int, as_json: bool) -> None:
    """Recent reports of ASSET_ID, newest first, with trailing averages."""
    _suite_, client = _suite(rpc, deployments)
    latest = client.latest_epoch(asset_id)
    reports = []
    if latest is not None:
        for epoch in range(latest, max(-1, latest - epochs), -1):
            try:
                reports.append(client.report(asset_id, epoch))
            except ContractRevertError:  # an epoch without a report (never sent, rotated out)
                continue
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in reports], indent=2))
        return
    table = Table(title=f"Asset {asset_id}: reports of the last {epochs} epochs")
    for column in ("epoch", "utilization", "uptime", "GPU-h", "energy Wh", "power W", "GFLOPS/W", "valid"):
        table.add_column(column, justify="right")
    for r in reports:
        table.add_row(
            str(r.epoch),
            f"{r.utilization_bps / 100:.2f}%",
            f"{r.uptime_bps / 100:.2f}%",
            f"{r.gpu_hours_milli / 1000:.3f}",
            f"{r.energy_wh:,}",
            f"{r.avg_power_w:,}",
            f"{r.efficiency_gflops_per_w:,}",
            "no (voided)" if r.voided else "yes",
        )
    console.print(table)
    if latest is not None:
        for metric in (Metric.UTILIZATION, Metric.UPTIME):
            average, count = client.trailing_average(asset_id, metric, epochs)
            console.print(f"trailing {metric.name.lower()}: {average / 100:.2f}% over {count} valid report(s)")


def _feeder_options(command: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(
        [
            rpc_option,
            deployments_option,
            click.option(
                "--inventory",
                type=click.Path(path_type=Path, exists=True, dir_okay=False),
                required=True,
                help="JSON list of {asset_id, gpu_uuids}; must hash to the registry's attestation.",
            ),
            click.option(
                "--outbox",
                type=click.Path(path_type=Path, dir_okay=False),
                required=True,
                help="SQLite file holding buffered samples and reports until they are on-chain.",
            ),
            click.option("--keystore", type=KEYSTORE, help="Transmitter keystore: a path or an account name."),
            click.option(
                "--from", "from_address", type=ADDRESS, help="Transmit from a node-unlocked address (local chains)."
            ),
            click.option(
                "--signer-keystore",
                "signer_keystores",
                multiple=True,
                type=click.Path(path_type=Path, exists=True),
                help=f"Oracle signer keystore(s) held by this process (or set {SIGNER_KEY_ENV}).",
            ),
            click.option(
                "--signer-url", "signer_urls", multiple=True, help="Remote signer services (several operators)."
            ),
            click.option("--sample-interval", type=click.IntRange(1), default=60, show_default=True, help="Seconds."),
            # A hung endpoint must not hold the feeder for long, and on a chain with short blocks a
            # transaction unmined after a few blocks is better replaced soon: both are the operator's call.
            click.option(
                "--rpc-timeout",
                type=FiniteFloatRange(min=0, min_open=True, max=MAX_RPC_TIMEOUT),
                default=60.0,
                show_default=True,
                help="Seconds to wait for one JSON-RPC answer; a request left unanswered is retried with backoff.",
            ),
            click.option(
                "--confirm-timeout",
                type=FiniteFloatRange(min=0, min_open=True, max=MAX_CONFIRM_TIMEOUT),
                default=60.0,
                show_default=True,
                help="Seconds to wait for a sent transaction before replacing it (same nonce, higher fees).",
            ),
        ]
    ):
        command = option(command)
    return command


def _feeder(
    rpc: str,
    deployments: Path | None,
    inventory: Path,
    outbox_path: Path,
    keystore: Path | None,
    from_address: str | None,
    signer_keystores: Sequence[Path],
    signer_urls: Sequence[str],
    sample_interval: int,
    sources: Sequence[TelemetrySource] = (),
    *,
    rpc_timeout: float = 60.0,
    confirm_timeout: float = 60.0,
) -> tuple[Feeder, OracleClient, list[AssetInventory]]:
    parse_inventory_file(inventory)  # malformed: reported before connecting
    suite, client = _suite(rpc, deployments, rpc_timeout)
    inventories = load_inventories(inventory, suite)
    outbox = Outbox(outbox_path)
    submitter = Submitter(
        client,
        outbox,
        _quorum(client, signer_keystores, signer_urls),
        _transmitter(keystore, from_address),
        confirm_timeout=confirm_timeout,
        echo=console.print,
    )
    observer = None
    if signer_urls:
        # Several operators: the reports are the median of the signers' own observations.
        from compute_rwa.oracle.network import Transmitter

        transmitter = Transmitter(list(signer_urls), client.signer_config().threshold)
        ids = [i.asset_id for i in inventories]

        def observer(epoch: int) -> list[Report]:
            return transmitter.round(epoch, ids)

    feeder = Feeder(
        client,
        outbox,
        submitter,
        inventories,
        sources=sources,
        sample_interval=sample_interval,
        observer=observer,
        echo=console.print,
    )
    return feeder, client, inventories


@oracle.command()
@_feeder_options
@click.option(
    "--source",
    type=click.Choice(["nvml", "nvidia-smi", "prometheus", "simulator"]),
    default="nvml",
    show_default=True,
    help="Where GPU telemetry comes from.",
)
@click.option("--prometheus-url", help="Prometheus server scraping the DCGM exporter (with --source prometheus).")
@click.option("--once", is_flag=True, help="One poll/measure/submit round, then exit (cron-style).")
def run(
    rpc: str,
    deployments: Path | None,
    inventory: Path,
    outbox: Path,
    keystore: Path | None,
    from_address: str | None,
    signer_keystores: tuple[Path, ...],
    signer_urls: tuple[str, ...],
    sample_interval: int,
    rpc_timeout: float,
    confirm_timeout: float,
    source: str,
    prometheus_url: str | None,
    once: bool,
) -> None:
    """The feeder daemon: poll telemetry, measure every ended epoch, submit, show live status.

    Stop it with Ctrl-C at any moment: samples, measured epochs and unconfirmed reports are in
    the outbox and the next start continues from there.
    """
    feeder, client, inventories = _feeder(
        rpc,
        deployments,
        inventory,
        outbox,
        keystore,
        from_address,
        signer_keystores,
        signer_urls,
        sample_interval,
        rpc_timeout=rpc_timeout,
        confirm_timeout=confirm_timeout,
    )
    if not signer_urls:  # with remote signers, the observations are theirs
        feeder.sources = [_source(source, prometheus_url, inventories, sample_interval)]
    if once:
        feeder.tick()
        console.print(_status_table(feeder.status, client))
        return
    stop = threading.Event()
    with Live(_status_table(feeder.status, client), console=console, refresh_per_second=1) as live:
        try:
            feeder.run(stop, on_tick=lambda s: live.update(_status_table(s, client)))
        except KeyboardInterrupt:
            stop.set()
    console.print("stopped; the outbox keeps everything not yet confirmed")


def _status_table(status: FeederStatus, client: OracleClient) -> Table:
    table = Table(title=f"oracle feeder -> {client.address}", show_header=False)
    table.add_row("samples buffered", f"{status.samples_buffered:,}")
    table.add_row("last measured epoch", str(status.last_measured))
    table.add_row("outbox", ", ".join(f"{k} {v}" for k, v in status.outbox.items()) or "-")
    table.add_row("confirmed this run", f"{status.confirmed:,} reports, {status.gas_used:,} gas")
    table.add_row("GPUs outside the inventory", ", ".join(sorted(status.unattested_gpus)) or "none")
    table.add_row("last error", status.last_error or "none")
    return table


@oracle.command()
@click.argument("trace", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@_feeder_options
@click.option("--start-epoch", type=click.IntRange(0), help="Epoch the trace's first sample falls in.")
@click.option("--idle-watts", type=click.IntRange(0), default=70, show_default=True, help="Power model: idle W/GPU.")
@click.option("--max-watts", type=click.IntRange(1), default=700, show_default=True, help="Power model: full W/GPU.")
def replay(
    trace: Path,
    rpc: str,
    deployments: Path | None,
    inventory: Path,
    outbox: Path,
    keystore: Path | None,
    from_address: str | None,
    signer_keystores: tuple[Path, ...],
    signer_urls: tuple[str, ...],
    sample_interval: int,
    rpc_timeout: float,
    confirm_timeout: float,
    start_epoch: int | None,
    idle_watts: int,
    max_watts: int,
) -> None:
    """Replay a recorded duty-cycle TRACE (CSV: value,timestamp_anon,container_ip) through the
    feeder: pods become the inventory's GPUs in order, every ended epoch is measured and
    submitted. Safe to re-run: epochs already measured or on-chain are not sent again."""
    from compute_rwa.telemetry.traces import PowerModel, TraceReplay, read_duty_cycle_trace

    rows = read_duty_cycle_trace(trace)  # malformed: reported before connecting
    feeder, client, inventories = _feeder(
        rpc,
        deployments,
        inventory,
        outbox,
        keystore,
        from_address,
        signer_keystores,
        signer_urls,
        sample_interval,
        rpc_timeout=rpc_timeout,
        confirm_timeout=confirm_timeout,
    )
    duration = max(r.timestamp for r in rows) - min(r.timestamp for r in rows)
    epochs_covered = int(duration // client.epoch_seconds)
    last_ended = client.last_ended_epoch()
    if last_ended is None or last_ended + 1 < epochs_covered:
        raise click.ClickException(
            f"the chain has {0 if last_ended is None else last_ended + 1} ended epoch(s); "
            f"the trace needs {epochs_covered}"
        )
    first = start_epoch if start_epoch is not None else last_ended + 1 - epochs_covered
    uuids = [uuid for inventory_ in inventories for uuid in inventory_.gpu_uuids]
    source = TraceReplay(rows, uuids, start_at=client.epoch_start(first), power_model=PowerModel(idle_watts, max_watts))
    epochs = [e for e in range(first, first + epochs_covered) if e <= last_ended]
    with Progress(console=console) as progress:
        task = progress.add_task("measuring epochs", total=len(epochs))
        feeder.ingest(source.samples())
        for epoch in epochs:
            feeder.measure(epoch)
            progress.advance(task)
    result = feeder.submit()
    counts = feeder.outbox.counts()
    console.print(
        f"replayed {len(epochs)} epoch(s) ({first}..{first + len(epochs) - 1}) for {len(inventories)} asset(s); "
        f"outbox {counts}; confirmed {result.confirmed if result else 0} report(s)"
    )
    if counts.get("pending", 0) or counts.get("sent", 0):
        # Nothing is lost: the outbox keeps them. Exit 3 tells a script to run again later.
        console.print("some reports are not confirmed yet (chain unavailable?); run again to finish")
        raise SystemExit(EXIT_UNFINISHED)


@oracle.command("serve-signer")
@rpc_option
@deployments_option
@click.option("--inventory", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True)
@click.option(
    "--outbox", type=click.Path(path_type=Path, dir_okay=False), required=True, help="This signer's own sample buffer."
)
@click.option(
    "--signer-keystore", type=click.Path(path_type=Path, exists=True), help=f"Signer key (or {SIGNER_KEY_ENV})."
)
@click.option("--source", type=click.Choice(["nvml", "nvidia-smi", "prometheus", "simulator"]), default="nvml")
@click.option("--prometheus-url")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8701, show_default=True)
@click.option("--sample-interval", type=click.IntRange(1), default=60, show_default=True)
def serve_signer(
    rpc: str,
    deployments: Path | None,
    inventory: Path,
    outbox: Path,
    signer_keystore: Path | None,
    source: str,
    prometheus_url: str | None,
    host: str,
    port: int,
    sample_interval: int,
) -> None:
    """Serve this operator's signer: observe its own telemetry, sign batches that agree with it."""
    from compute_rwa.oracle.network import SignerService

    parse_inventory_file(inventory)  # malformed: reported before connecting
    suite, client = _suite(rpc, deployments)
    inventories = load_inventories(inventory, suite)
    keys = _signer_keys([signer_keystore] if signer_keystore else [])
    if not keys:
        raise InvalidInputError("command line", "--signer-keystore", f"give a keystore or set {SIGNER_KEY_ENV}")
    feeder = Feeder(
        client,
        Outbox(outbox),
        None,
        inventories,
        sources=[_source(source, prometheus_url, inventories, sample_interval)],
        sample_interval=sample_interval,
    )

    def observe(epoch: int, asset_ids: Sequence[int]) -> list[Report]:
        wanted = set(asset_ids)
        return [r for r in feeder.observe(epoch) if r.asset_id in wanted]

    service = SignerService(keys[0], observe, host=host, port=port)
    stop = threading.Event()
    with service:
        console.print(f"signer {keys[0].address} serving on {service.url}")
        try:
            while not stop.wait(sample_interval):
                feeder.poll_sources()
        except KeyboardInterrupt:
            pass


@oracle.command()
@click.argument("asset_ids", type=click.IntRange(1), nargs=-1, required=True)
@rpc_option
@deployments_option
@sender_options
def sync(
    asset_ids: tuple[int, ...], rpc: str, deployments: Path | None, keystore: Path | None, from_address: str | None
) -> None:
    """Load ASSET_IDS' attestations into the oracle (needed once before their first report)."""
    _suite_, client = _suite(rpc, deployments)
    receipt = client.sync_assets(list(asset_ids), _transmitter(keystore, from_address))
    console.print(f"synced {len(asset_ids)} asset(s), gas {receipt['gasUsed']:,}")


@oracle.command()
@click.argument("signer", type=ADDRESS)
@click.argument("amount", type=click.IntRange(1))
@rpc_option
@deployments_option
@sender_options
def bond(
    signer: str, amount: int, rpc: str, deployments: Path | None, keystore: Path | None, from_address: str | None
) -> None:
    """Post AMOUNT (bond-token base units) as SIGNER's bond (approves the oracle first)."""
    suite, client = _suite(rpc, deployments)
    payer = _transmitter(keystore, from_address)
    token = suite.erc20(client.contract.functions.bondToken().call())
    suite.sender.transact(token.functions.approve(client.address, amount), payer, "BondToken")
    client.deposit_bond(Web3.to_checksum_address(signer), amount, payer)
    bond_, locked, _ = client.bond_of(signer)
    console.print(f"{signer}: bond {bond_:,}, locked {locked:,}")


@oracle.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("epoch", type=click.IntRange(0))
@rpc_option
@deployments_option
@sender_options
def challenge(
    asset_id: int, epoch: int, rpc: str, deployments: Path | None, keystore: Path | None, from_address: str | None
) -> None:
    """Challenge ASSET_ID's report for EPOCH (posts the challenge bond)."""
    suite, client = _suite(rpc, deployments)
    challenger = _transmitter(keystore, from_address)
    _w, _t, challenge_bond, _s, _m = client.contract.functions.disputeParams().call()
    token = suite.erc20(client.contract.functions.bondToken().call())
    suite.sender.transact(token.functions.approve(client.address, challenge_bond), challenger, "BondToken")
    client.challenge(asset_id, epoch, challenger)
    console.print(f"challenged asset {asset_id} epoch {epoch} (bond {challenge_bond:,})")


@oracle.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("metric", type=click.Choice([m.name.lower() for m in Metric]))
@rpc_option
@deployments_option
@sender_options
def feed(
    asset_id: int, metric: str, rpc: str, deployments: Path | None, keystore: Path | None, from_address: str | None
) -> None:
    """Deploy a Chainlink AggregatorV3Interface feed for ASSET_ID's METRIC and print its address."""
    suite, client = _suite(rpc, deployments)
    contract = suite.sender.deploy(
        "MetricFeed", _transmitter(keystore, from_address), client.address, asset_id, int(Metric[metric.upper()])
    )
    console.print(f"{contract.functions.description().call()}: {contract.address}")


@oracle.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("epoch", type=click.IntRange(0))
@click.option("--uphold/--reject", required=True, help="Uphold voids the report and slashes its signers.")
@rpc_option
@deployments_option
@sender_options
def resolve(
    asset_id: int,
    epoch: int,
    uphold: bool,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
) -> None:
    """Arbiter: decide the open challenge of ASSET_ID's report for EPOCH."""
    _suite_, client = _suite(rpc, deployments)
    client.resolve(asset_id, epoch, uphold, _transmitter(keystore, from_address))
    verdict = "upheld: the report is void" if uphold else "rejected: the report stands"
    console.print(f"challenge of asset {asset_id} epoch {epoch} {verdict}")


@oracle.command("withdraw-bond")
@click.argument("amount", type=click.IntRange(1))
@click.option("--to", "to_address", type=ADDRESS, required=True, help="Receiver of the withdrawn bond.")
@rpc_option
@deployments_option
@sender_options
def withdraw_bond(
    amount: int, to_address: str, rpc: str, deployments: Path | None, keystore: Path | None, from_address: str | None
) -> None:
    """Signer: withdraw AMOUNT of free bond (a removed signer waits one dispute window)."""
    _suite_, client = _suite(rpc, deployments)
    signer = _transmitter(keystore, from_address)
    client.withdraw_bond(amount, Web3.to_checksum_address(to_address), signer)
    bond_, locked, _ = client.bond_of(signer if isinstance(signer, str) else signer.address)
    console.print(f"withdrew {amount:,}; bond now {bond_:,} (locked {locked:,})")
