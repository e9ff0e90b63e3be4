"""`compute-rwa abi …` and `compute-rwa docs …`: the integrator kit (ABIs as JSON files, the
contract reference generated from NatSpec)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from compute_rwa.chain import connect
from compute_rwa.deploy import registry_path
from compute_rwa.errors import DeploymentError
from compute_rwa.integrator.abi import export_abis, read_registry
from compute_rwa.integrator.docs import build_docs, stale_pages


@click.group("abi")
def abi() -> None:
    """ABIs of the suite's contracts and interfaces as JSON files.

    \b
    Examples:
      compute-rwa abi export abi/
      compute-rwa abi export abi/ --deployment deployments/31337.json
      compute-rwa abi export abi/ --rpc http://127.0.0.1:8545
    """


@abi.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--deployment",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Deployments registry file (deployments/<chainId>.json) whose addresses go into index.json.",
)
@click.option("--rpc", help="JSON-RPC endpoint: take the registry of the chain it serves (see --deployments).")
@click.option(
    "--deployments", type=click.Path(path_type=Path), help="Folder of <chainId>.json registries (with --rpc)."
)
def abi_export(directory: Path, deployment: Path | None, rpc: str | None, deployments: Path | None) -> None:
    """Write DIRECTORY/<Contract>.json (the ABI) for every deployable suite contract and
    interface, and DIRECTORY/index.json (contract -> file, kind, source; chain id and addresses
    when a deployment is given)."""
    if deployment is not None and rpc is not None:
        raise click.UsageError("give --deployment or --rpc, not both")
    if deployments is not None and rpc is None:
        raise click.UsageError("--deployments needs --rpc")
    registry: dict[str, Any] | None = None
    if deployment is not None:
        registry = read_registry(deployment)
    elif rpc is not None:
        chain_id = connect(rpc).eth.chain_id
        path = registry_path(chain_id, deployments)
        if not path.is_file():
            raise DeploymentError(f"no deployment recorded for chain {chain_id} at {path}")
        registry = read_registry(path)
    result = export_abis(directory, registry)
    addresses = sum(1 for entry in result.index["contracts"].values() if "address" in entry)
    where = f", {addresses} with addresses on chain {result.index['chain_id']}" if registry is not None else ""
    click.echo(f"wrote {len(result.files) - 1} ABIs and index.json to {directory}{where}")


@click.group("docs")
def docs() -> None:
    """The contract reference, generated from the artifacts' NatSpec and ABIs.

    \b
    Examples:
      compute-rwa docs build docs/reference
      compute-rwa docs build docs/reference --check
    """


@docs.command("build")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--check", is_flag=True, help="Write nothing; fail if DIRECTORY differs from what would be written.")
def docs_build(directory: Path, check: bool) -> None:
    """Render one Markdown page per suite contract and interface, and an index (README.md),
    into DIRECTORY (the committed reference is docs/reference)."""
    if check:
        stale = stale_pages(directory)
        if stale:
            raise click.ClickException(f"{directory} is out of date ({', '.join(stale)}); run `make docs`")
        click.echo(f"{directory} is up to date")
        return
    written = build_docs(directory)
    click.echo(f"wrote {len(written)} pages to {directory}")
