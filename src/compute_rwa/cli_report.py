"""`compute-rwa report`: the dashboard, written from on-chain data."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from compute_rwa.chain import connect
from compute_rwa.deploy import Deployment, registry_path
from compute_rwa.errors import DeploymentError, InvalidInputError

#: Progress goes to stderr, so that `--json` output stays clean on stdout.
console = Console(stderr=True)


@click.command()
@click.option("--rpc", required=True, envvar="COMPUTE_RWA_RPC", help="JSON-RPC endpoint URL.")
@click.option(
    "--deployment",
    "deployment_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Deployment record (default: deployments/<chainId>.json of the endpoint's chain).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for index.html and the charts' PNGs (created if needed).",
)
@click.option(
    "--epochs",
    type=click.IntRange(1, 168),
    help="Only the newest EPOCHS epochs of metrics per asset (default: all the oracle's ring holds).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary: files written and counts.")
def report(rpc: str, deployment_file: Path | None, out: Path, epochs: int | None, as_json: bool) -> None:
    """Write a self-contained HTML dashboard (and its charts as PNGs) from on-chain data: the
    fleet, utilization / uptime / efficiency over time, revenue per share over time, the lease
    book and loan health.

    \b
    Examples:
      compute-rwa report --rpc http://127.0.0.1:8545 --out report/
      compute-rwa report --rpc URL --deployment deployments/1.json --out /tmp/dash --json
    """
    from compute_rwa.report import collect, write_report  # matplotlib loads only for this command

    w3 = connect(rpc)
    chain_id = int(w3.eth.chain_id)
    deployment = _load(deployment_file or registry_path(chain_id), chain_id)
    say = (lambda _: None) if as_json else (lambda text: console.print(f"reading {text}"))
    dashboard = collect(w3, deployment, epochs=epochs, progress=say)
    files = write_report(dashboard, out)
    if as_json:
        summary = {
            "chain_id": dashboard.chain_id,
            "block": dashboard.block,
            **files.to_json(),
            "counts": dashboard.counts(),
            "notes": list(dashboard.notes),
        }
        click.echo(json.dumps(summary, indent=2))
        return
    counts = dashboard.counts()
    console.print(
        f"{counts['assets']} asset(s), {counts['reports']} report(s), {counts['revenue_events']} payment(s), "
        f"{counts['leases']} lease(s), {counts['markets']} market(s) with {counts['positions']} position(s)"
    )
    for note in dashboard.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    for path in files.charts:
        click.echo(f"chart      {path}")
    click.echo(f"dashboard  {files.html}")


def _load(path: Path, chain_id: int) -> Deployment:
    if not path.exists():
        raise DeploymentError(f"no deployment recorded for chain {chain_id} at {path} (give --deployment FILE)")
    try:
        deployment = Deployment.load(path)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(str(path), "(file)", f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except KeyError as exc:
        raise InvalidInputError(str(path), str(exc.args[0]), "missing from the deployment record") from None
    if deployment.chain_id != chain_id:
        raise DeploymentError(f"{path} records chain {deployment.chain_id}, but the endpoint serves chain {chain_id}")
    return deployment
