"""`compute-rwa`: the command line for deployers, operators and holders."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
import requests
from eth_typing import ChecksumAddress
from rich.console import Console
from rich.table import Table
from web3 import Web3
from web3.exceptions import ProviderConnectionError

from compute_rwa.chain import connect
from compute_rwa.cli_assets import asset, revenue
from compute_rwa.cli_integrator import abi, docs
from compute_rwa.cli_keys import keys
from compute_rwa.cli_lease import lease
from compute_rwa.cli_market import market, valuation
from compute_rwa.cli_oracle import deployments_option, oracle, rpc_option
from compute_rwa.cli_report import report
from compute_rwa.client import SuiteClient
from compute_rwa.deploy import Deployment, DeployPlan, OraclePlan, deploy_suite, registry_path
from compute_rwa.errors import (
    ChainUnavailableError,
    ComputeRwaError,
    DeploymentError,
    FeeCapExceededError,
    InvalidInputError,
)
from compute_rwa.keys import KEYSTORE, load_signer
from compute_rwa.networks import resolve
from compute_rwa.tx import FeeCaps, TxSender, gwei_text

console = Console()


def _client(rpc: str, deployments: Path | None) -> SuiteClient:
    w3 = connect(rpc)
    path = registry_path(w3.eth.chain_id, deployments)
    if not path.exists():
        raise DeploymentError(f"no deployment recorded for chain {w3.eth.chain_id} at {path}")
    return SuiteClient(w3, Deployment.load(path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """GPU compute capacity as a real-world asset: deploy the suite, inspect assets and revenue,
    run the usage and efficiency oracle's feeder, lease GPUs and settle leases, value shares and
    lend against them.

    \b
    Examples:
      compute-rwa demo
      COMPUTE_RWA_PRIVATE_KEY=0x... compute-rwa deploy --rpc http://127.0.0.1:8545
      compute-rwa keys new deployer
      compute-rwa deploy --network sepolia --keystore deployer --confirmations 3 --max-fee-gwei 30
      compute-rwa asset list --rpc http://127.0.0.1:8545 --json
      compute-rwa asset register --model H100 --region us-east-1 --inventory-file gpus.txt --rpc URL
      compute-rwa revenue distribute 1 1000 --rpc URL
      compute-rwa revenue claim 1 2 3 --rpc URL
      compute-rwa oracle run --rpc URL --inventory inventory.json --outbox feeder.sqlite --source nvml
      compute-rwa oracle status --rpc URL
      compute-rwa lease quote 1 2 24 --rpc URL
      compute-rwa lease open 1 2 24 --rpc URL --max-total 100
      compute-rwa lease settle --all --rpc URL
      compute-rwa valuation show 1 --rpc URL
      compute-rwa market create 1 --lltv 0.8 --min-borrow 100 --rpc URL
      compute-rwa market borrow MARKET 2500 --rpc URL
      compute-rwa market keep --once --rpc URL
    """


@main.command()
def demo() -> None:
    """Run the end-to-end demo on a local anvil it starts and stops itself."""
    from compute_rwa.demo import run

    run(console)


def _address(_ctx: click.Context, param: click.Parameter, value: str | None) -> ChecksumAddress | None:
    if value is None:
        return None
    if not Web3.is_address(value):
        raise click.BadParameter(f"not an Ethereum address: {value!r}", param=param)
    return Web3.to_checksum_address(value)


def _addresses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[ChecksumAddress, ...]:
    return tuple(a for a in (_address(ctx, param, v) for v in values) if a is not None)


def _gwei(_ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        gwei = Decimal(value)
    except InvalidOperation:
        gwei = Decimal("NaN")
    if not gwei.is_finite() or gwei < 0:
        raise click.BadParameter(f"not a fee in gwei: {value!r}", param=param)
    return gwei


@main.command()
@rpc_option
@click.option("--keystore", type=KEYSTORE, help="Deployer's encrypted keystore: a path, or an account name.")
@click.option(
    "--payment-token", callback=_address, help="Stablecoin address (a mock is deployed when omitted: local chains)."
)
@click.option("--treasury", callback=_address, help="Receiver of protocol fees (default: the deployer).")
@click.option("--protocol-fee-bps", type=click.IntRange(0, 1000), default=500, show_default=True)
@click.option("--admin-delay", type=int, default=2 * 24 * 3600, show_default=True, help="Admin hand-over delay, s.")
@click.option(
    "--confirmations", type=click.IntRange(1), default=1, show_default=True, help="Blocks each transaction waits for."
)
@click.option(
    "--max-fee-gwei", metavar="GWEI", callback=_gwei, help="Cap on the fee per gas (EIP-1559); refuse to send above it."
)
@click.option("--max-priority-fee-gwei", metavar="GWEI", callback=_gwei, help="Cap on the priority fee (tip) per gas.")
@click.option(
    "--timeout", type=click.IntRange(1), default=300, show_default=True, help="Seconds to wait for each transaction."
)
@deployments_option
@click.option("--oracle-signer", "oracle_signers", multiple=True, callback=_addresses, help="Oracle signer (repeat).")
@click.option("--oracle-threshold", type=click.IntRange(1, 16), default=1, show_default=True, help="Signatures needed.")
@click.option("--epoch-seconds", type=click.IntRange(60, 86400), default=3600, show_default=True, help="Oracle epoch.")
@click.option("--bond-token", callback=_address, help="Token of oracle bonds (default: the payment token).")
@click.option(
    "--lease-report-grace",
    type=click.IntRange(1),
    default=24 * 3600,
    show_default=True,
    help="Seconds after an epoch by which its report must land to settle leases; later, the epoch counts as down.",
)
def deploy(
    rpc: str,
    keystore: Path | None,
    payment_token: ChecksumAddress | None,
    treasury: ChecksumAddress | None,
    protocol_fee_bps: int,
    admin_delay: int,
    confirmations: int,
    max_fee_gwei: Decimal | None,
    max_priority_fee_gwei: Decimal | None,
    timeout: int,
    deployments: Path | None,
    oracle_signers: tuple[ChecksumAddress, ...],
    oracle_threshold: int,
    epoch_seconds: int,
    bond_token: ChecksumAddress | None,
    lease_report_grace: int,
) -> None:
    """Deploy the suite (or resume an interrupted deployment) and record its addresses in
    deployments/<chainId>.json. Every step is recorded as it is done: after a failure, run the
    same command again and it continues where it stopped."""
    w3 = connect(rpc)
    signer = load_signer(keystore)
    fees = FeeCaps.from_gwei(max_fee_gwei, max_priority_fee_gwei)
    caps = ", ".join(
        f"{label} {gwei_text(cap)}"
        for label, cap in (("max fee", fees.max_fee), ("max priority fee", fees.max_priority_fee))
        if cap is not None
    )
    console.print(
        f"Network {resolve(rpc).describe()}, chain {w3.eth.chain_id}: {confirmations} confirmation(s) per "
        f"transaction; fees {caps or 'as the node suggests'}"
    )
    plan = DeployPlan(
        treasury=treasury,
        payment_token=payment_token,
        protocol_fee_bps=protocol_fee_bps,
        admin_transfer_delay=admin_delay,
        oracle=OraclePlan(
            epoch_seconds=epoch_seconds, bond_token=bond_token, signers=oracle_signers, threshold=oracle_threshold
        ),
        lease_report_grace=lease_report_grace,
    )
    result = deploy_suite(
        w3,
        signer,
        plan,
        sender=TxSender(w3, confirmations=confirmations, timeout=timeout, fees=fees),
        directory=deployments,
        echo=console.print,
    )
    console.print(
        f"registry {result.registry}, oracle {result.oracle}, lease manager {result.lease_manager} (positions "
        f"{result.lease_positions}, terms {result.lease_terms}) on chain {result.chain_id}"
    )


@main.command(hidden=True)
@rpc_option
@deployments_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def assets(rpc: str, deployments: Path | None, as_json: bool) -> None:
    """List registered GPU assets (kept for scripts; see `asset list`)."""
    client = _client(rpc, deployments)
    specs = client.assets()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {**spec.__dict__, "status": spec.status.name, "inventory_hash": "0x" + spec.inventory_hash.hex()}
                    for spec in specs
                ],
                indent=2,
            )
        )
        return
    table = Table(title=f"GPU assets on chain {client.deployment.chain_id}")
    for column in ("id", "model", "GPUs", "TFLOPS", "power W", "region", "status", "share token"):
        table.add_column(column)
    for s in specs:
        table.add_row(
            str(s.asset_id),
            s.gpu_model,
            str(s.gpu_count),
            str(s.rated_tflops),
            str(s.rated_power_watts),
            s.region,
            s.status.name.lower(),
            s.share_token,
        )
    console.print(table)


@main.command(hidden=True)
@click.argument("holder")
@rpc_option
@deployments_option
def claimable(holder: str, rpc: str, deployments: Path | None) -> None:
    """Show what HOLDER can claim from every asset, in payment-token units (kept for scripts;
    see `revenue claimable`)."""
    client = _client(rpc, deployments)
    for spec in client.assets():
        click.echo(f"{spec.asset_id}\t{client.claimable(spec.asset_id, holder)}")


@main.group()
def telemetry() -> None:
    """Check GPU telemetry the way the oracle feeder will read it."""


@telemetry.command("read")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["nvidia-smi", "dcgm"]),
    required=True,
    help="nvidia-smi --query-gpu CSV, or a DCGM exporter scrape (Prometheus text).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def telemetry_read(path: Path, fmt: str, as_json: bool) -> None:
    """Parse a saved telemetry file and show the samples the feeder would take from it.

    \b
    Examples:
      nvidia-smi --query-gpu=timestamp,uuid,utilization.gpu,power.draw --format=csv > now.csv
      compute-rwa telemetry read now.csv --format nvidia-smi
      curl -s localhost:9400/metrics > scrape.prom && compute-rwa telemetry read scrape.prom --format dcgm
    """
    from compute_rwa.telemetry.dcgm import parse_exposition
    from compute_rwa.telemetry.nvidia_smi import parse_query_gpu_csv

    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(str(path), "file", f"not a readable text file ({exc.__class__.__name__})") from None
    if fmt == "nvidia-smi":
        samples = parse_query_gpu_csv(text, source=str(path))
    else:
        samples = parse_exposition(text, source=str(path), timestamp=path.stat().st_mtime)
    if as_json:
        click.echo(json.dumps([sample.__dict__ for sample in samples], indent=2))
        return
    table = Table(title=f"{len(samples)} GPU sample(s) from {path.name}")
    for column in ("GPU", "utilization", "power", "healthy"):
        table.add_column(column)
    for sample in samples:
        utilization = "unknown" if sample.utilization_bps is None else f"{sample.utilization_bps / 100:.2f}%"
        power = "unknown" if sample.power_mw is None else f"{sample.power_mw / 1000:.3f} W"
        table.add_row(sample.gpu_uuid, utilization, power, "yes" if sample.healthy else "no")
    console.print(table)


main.add_command(asset)
main.add_command(revenue)
main.add_command(keys)
main.add_command(oracle)
main.add_command(lease)
main.add_command(market)
main.add_command(valuation)
main.add_command(report)
main.add_command(abi)
main.add_command(docs)


#: Exit status when the chain did not answer: nothing was lost, run the command again later.
EXIT_CHAIN_UNAVAILABLE = 3
#: Exit status when the network's base fee is above --max-fee-gwei: nothing was sent.
EXIT_FEE_CAP = 4


def run() -> None:
    try:
        main(standalone_mode=True)
    except ChainUnavailableError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CHAIN_UNAVAILABLE)
    except FeeCapExceededError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FEE_CAP)
    except ComputeRwaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ProviderConnectionError) as exc:
        # The endpoint went away between calls that the submitter does not wrap (start-up reads).
        click.echo(f"error: chain unavailable ({exc.__class__.__name__}); run again later", err=True)
        sys.exit(EXIT_CHAIN_UNAVAILABLE)


if __name__ == "__main__":
    run()
