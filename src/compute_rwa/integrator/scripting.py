"""What the scripts in examples/ share: their command-line options, the deployment they run
against, and who signs. Kept small on purpose: each example shows the contract calls itself."""

from __future__ import annotations

import argparse
from pathlib import Path

from web3 import Web3

from compute_rwa.chain import connect
from compute_rwa.deploy import Deployment
from compute_rwa.errors import DeploymentError, InvalidInputError
from compute_rwa.keys import load_key_from_env
from compute_rwa.tx import Signer

SIGNER_HELP = "an address the node signs for (dev chains), or env:VAR for a private key in $VAR"


def example_parser(description: str | None) -> argparse.ArgumentParser:
    """An argument parser with the options every example takes: --rpc and --deployment."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rpc", required=True, help="JSON-RPC endpoint URL of the chain")
    parser.add_argument(
        "--deployment", required=True, type=Path, help="deployments registry file (deployments/<chainId>.json)"
    )
    return parser


def open_deployment(rpc: str, path: Path) -> tuple[Web3, Deployment]:
    """Connects to `rpc` and loads the deployment recorded in `path`, checking they are the same
    chain."""
    w3 = connect(rpc)
    deployment = Deployment.load(path)
    if deployment.chain_id != w3.eth.chain_id:
        raise DeploymentError(f"{path} records chain {deployment.chain_id}, but {rpc} serves {w3.eth.chain_id}")
    return w3, deployment


def parse_signer(value: str) -> Signer:
    """`0x…`: an account the node holds unlocked (anvil, Ganache); `env:VAR`: the private key in
    environment variable VAR (never printed)."""
    if value.startswith("env:"):
        return load_key_from_env(value.removeprefix("env:"))
    if not Web3.is_address(value):
        raise InvalidInputError("command line", "signer", f"not an address or env:VAR: {value!r}")
    return Web3.to_checksum_address(value)
