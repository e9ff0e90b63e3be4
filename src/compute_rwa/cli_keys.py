"""`compute-rwa keys …`: encrypted keystores for deployers, operators and keepers.

Keystores are eth-account (geth, brownie) JSON files encrypted with a password. By default they
live in brownie's accounts folder (~/.brownie/accounts, or $COMPUTE_RWA_KEYSTORE_DIR), so that
`--keystore NAME` finds them and `brownie accounts list` shows them. Nothing else is written: the
key never touches the disk unencrypted and is never printed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from compute_rwa.keys import KEY_ENV, KEYSTORE_DIR_ENV, PASSWORD_ENV, keystore_dir, list_keystores, load_key_from_env
from compute_rwa.keys import new_keystore as write_keystore

console = Console()

dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help=f"Folder of keystores (default: ${KEYSTORE_DIR_ENV}, else ~/.brownie/accounts).",
)


@click.group()
def keys() -> None:
    """Create and list encrypted keystores (the format of eth-account, geth and brownie).

    \b
    Examples:
      compute-rwa keys new deployer                  # asks for a password twice
      COMPUTE_RWA_KEYSTORE_PASSWORD=... compute-rwa keys new keeper
      COMPUTE_RWA_PRIVATE_KEY=0x... compute-rwa keys new ops --from-env
      compute-rwa keys list
      compute-rwa deploy --network sepolia --keystore deployer
    """


@keys.command("new")
@click.argument("name")
@dir_option
@click.option("--from-env", is_flag=True, help=f"Encrypt the key in ${KEY_ENV} instead of a new random key.")
def new_key(name: str, directory: Path | None, from_env: bool) -> None:
    """Create keystore NAME.json: a new random key (or --from-env), encrypted with a password
    from $COMPUTE_RWA_KEYSTORE_PASSWORD or a hidden prompt. Prints the address only."""
    private_key = bytes(load_key_from_env(KEY_ENV).key) if from_env else None
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "Password for the new keystore", hide_input=True, confirmation_prompt=True
    )
    path, address = write_keystore(name, password, directory, private_key)
    click.echo(f"{name}: {address}")
    click.echo(f"  encrypted keystore {path}")
    click.echo(f"  use it with --keystore {name} (or the path); the password is not stored anywhere")


@keys.command("list")
@dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_keys(directory: Path | None, as_json: bool) -> None:
    """List the keystores in the keystore folder: name, address, file."""
    folder = directory or keystore_dir()
    found = list_keystores(folder)
    if as_json:
        click.echo(json.dumps([{"name": k.name, "address": k.address, "path": str(k.path)} for k in found], indent=2))
        return
    table = Table(title=f"{len(found)} keystore(s) in {folder}")
    for column in ("name", "address", "file"):
        table.add_column(column, no_wrap=column != "file", overflow="fold")
    for k in found:
        table.add_row(k.name, k.address or "unreadable", str(k.path))
    console.print(table)
