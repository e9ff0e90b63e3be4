"""`compute-rwa asset …` and `compute-rwa revenue …`: GPU assets, their shares and their revenue.

\b
Operators:
  compute-rwa asset register --model H100 --gpus 8 --region us-east-1 --inventory-file gpus.txt --rpc URL
  compute-rwa asset status 3 maintenance --rpc URL
  compute-rwa asset inventory 3 --inventory-file gpus.txt --rpc URL
Holders:
  compute-rwa asset list --rpc URL
  compute-rwa asset balance 3 0xHolder --rpc URL
  compute-rwa asset transfer 3 0xBuyer 1.5 --rpc URL               # 1.5 shares
  compute-rwa revenue claimable 0xHolder --rpc URL
  compute-rwa revenue claim 3 4 5 --rpc URL                        # one transaction (claimMany)
Payers of revenue:
  compute-rwa revenue distribute 3 1000 --rpc URL                  # 1,000 payment tokens

Shares are given in whole shares ("1.5"; one share per GPU), revenue in whole tokens of the
asset's payment token ("2.5"), both with the decimals read on-chain; --json prints token units.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from rich.console import Console
from rich.table import Table
from web3 import Web3
from web3.logs import DISCARD

from compute_rwa.chain import connect
from compute_rwa.cli_lease import read_options, write_options
from compute_rwa.cli_tx import ADDRESS, AMOUNT, cli_sender
from compute_rwa.cli_tx import cli_signer as _signer
from compute_rwa.cli_tx import parse_positive as _parse
from compute_rwa.client import SuiteClient
from compute_rwa.deploy import Deployment, registry_path
from compute_rwa.errors import DeploymentError, InvalidInputError
from compute_rwa.fleet import GPU_MODELS, inventory_hash
from compute_rwa.lease.models import TokenInfo
from compute_rwa.models import AssetRegistration, AssetSpec, AssetStatus, to_bytes32
from compute_rwa.tx import address_of, guard

console = Console()


# --------------------------------------------------------------------- plumbing


STATUSES = [s.name.lower() for s in AssetStatus]


class Suite:
    """The suite's client for one command, with the tokens it has looked up."""

    def __init__(self, client: SuiteClient) -> None:
        self.client = client
        self._tokens: dict[str, TokenInfo] = {}

    def token_info(self, address: str) -> TokenInfo:
        key = Web3.to_checksum_address(address)
        if key not in self._tokens:
            token = self.client.erc20(key)
            try:
                symbol = str(token.functions.symbol().call())
            except Exception:  # symbol() is optional in ERC-20
                symbol = "tokens"
            decimals = int(guard("PaymentToken", "decimals", token.functions.decimals().call))
            self._tokens[key] = TokenInfo(key, symbol, decimals)
        return self._tokens[key]

    def payment(self, asset_id: int) -> TokenInfo:
        """The asset's payment token (what revenue is paid and claimed in)."""
        share = self.client.share_token(asset_id)
        return self.token_info(guard("ShareToken", "paymentToken", share.functions.paymentToken().call))

    def shares(self, asset_id: int) -> TokenInfo:
        """The asset's share token (one share per GPU, 18 decimals)."""
        return self.token_info(self.client.share_token(asset_id).address)


def _suite(rpc: str, deployments: Path | None) -> Suite:
    w3 = connect(rpc)
    path = registry_path(w3.eth.chain_id, deployments)
    if not path.exists():
        raise DeploymentError(
            f"no deployment recorded for chain {w3.eth.chain_id} at {path}: pass --deployments, or check --rpc"
        )
    return Suite(SuiteClient(w3, Deployment.load(path), cli_sender(w3)))


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def _token_json(token: TokenInfo) -> dict[str, Any]:
    return {"address": token.address, "symbol": token.symbol, "decimals": token.decimals}


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def _bps(value: int) -> str:
    return f"{value / 100:.2f}%"


def _asset_json(spec: AssetSpec) -> dict[str, Any]:
    return {
        "asset_id": spec.asset_id,
        "gpu_model": spec.gpu_model,
        "gpu_count": spec.gpu_count,
        "rated_tflops": spec.rated_tflops,
        "rated_power_watts": spec.rated_power_watts,
        "region": spec.region,
        "status": spec.status.name.lower(),
        "operator": spec.operator,
        "share_token": spec.share_token,
        "inventory_hash": "0x" + spec.inventory_hash.hex(),
        "registered_at": spec.registered_at,
    }


_HASH = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_NVIDIA_SMI_L = re.compile(r"\(UUID:\s*([^)\s]+)\)")


def _hash_arg(text: str, hint: str) -> bytes:
    if not _HASH.fullmatch(text.strip()):
        raise click.BadParameter(f"not a 32-byte hex hash: {text!r}", param_hint=hint)
    raw = bytes(HexBytes(text.strip()))
    if not any(raw):
        raise click.BadParameter("must not be zero", param_hint=hint)
    return raw


def read_gpu_ids(path: Path, asset_id: int | None = None) -> list[str]:
    """The GPU identities a file lists: `nvidia-smi --query-gpu=uuid --format=csv,noheader` or
    `nvidia-smi -L` output, one identity per line (UUID or UUID:serial, `#` comments), a JSON
    list of them, `{"gpu_uuids": […]}`, or the feeder's inventory file
    (`[{"asset_id": …, "gpu_uuids": […]}, …]`, the entry of `asset_id`, or its only entry)."""
    hint = "--inventory-file"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{path}: not readable ({exc.__class__.__name__})", param_hint=hint) from None
    data: Any
    if text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json reads
            raise click.BadParameter(
                f"{path}: not valid JSON ({exc.__class__.__name__}: {exc})", param_hint=hint
            ) from None
        if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
            entries = [e for e in data if asset_id is None or e.get("asset_id") == asset_id]
            if len(entries) != 1:
                which = f"no entry for asset {asset_id}" if asset_id is not None and not entries else "several assets"
                raise click.BadParameter(f"{path}: {which}; give one asset's GPUs", param_hint=hint)
            data = entries[0]
        if isinstance(data, dict):
            data = data.get("gpu_uuids")
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            raise click.BadParameter(f"{path}: expected a JSON list of GPU UUID strings", param_hint=hint)
        ids = [item.strip() for item in data]
    else:
        ids = []
        for line in text.splitlines():
            listed = _NVIDIA_SMI_L.search(line)
            ids.append(listed.group(1) if listed else line.split("#", 1)[0].strip())
    ids = [gpu_id for gpu_id in ids if gpu_id]
    if not ids:
        raise click.BadParameter(f"{path}: lists no GPU", param_hint=hint)
    return ids


def _inventory_hash(ids: Sequence[str]) -> bytes:
    try:
        return inventory_hash(ids)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.problem, param_hint="--inventory-file") from None


# --------------------------------------------------------------------- asset


@click.group()
def asset() -> None:
    """GPU assets: list and show them, register one, change its status or hardware inventory,
    transfer shares and show balances. Shares are given in whole shares ("1.5"; one share per
    GPU); --json prints token units (18 decimals).

    \b
    Examples:
      compute-rwa asset list --rpc URL
      compute-rwa asset show 3 --rpc URL --json
      compute-rwa asset register --model H100 --gpus 8 --region us-east-1 --inventory-file gpus.txt --rpc URL
      compute-rwa asset status 3 maintenance --rpc URL
      compute-rwa asset transfer 3 0xBuyer 1.5 --rpc URL
      compute-rwa asset balance 3 0xHolder --rpc URL
    """


@asset.command("list")
@click.option("--status", "status_filter", type=click.Choice(STATUSES, case_sensitive=False), help="Only this status.")
@click.option("--operator", type=ADDRESS, help="Only assets of this operator.")
@read_options
def list_(
    status_filter: str | None, operator: ChecksumAddress | None, rpc: str, deployments: Path | None, as_json: bool
) -> None:
    """Every registered asset: hardware, region, status, operator (share tokens: `show`, --json).

    \b
    Examples:
      compute-rwa asset list --rpc URL
      compute-rwa asset list --status active --json --network sepolia
    """
    suite = _suite(rpc, deployments)
    specs = [
        s
        for s in suite.client.assets()
        if (status_filter is None or s.status.name.lower() == status_filter.lower())
        and (operator is None or s.operator == operator)
    ]
    if as_json:
        _echo_json([_asset_json(s) for s in specs])
        return
    table = Table(title=f"{len(specs)} GPU asset(s) on chain {suite.client.deployment.chain_id}")
    for column in ("id", "model", "GPUs", "TFLOPS", "power W", "region", "status", "operator"):
        numeric = column in ("id", "GPUs", "TFLOPS", "power W")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=numeric or column == "operator")
    for s in specs:
        table.add_row(
            str(s.asset_id),
            s.gpu_model,
            str(s.gpu_count),
            f"{s.rated_tflops:,}",
            f"{s.rated_power_watts:,}",
            s.region,
            s.status.name.lower(),
            _short(s.operator),
        )
    console.print(table)


@asset.command()
@click.argument("asset_id", type=click.IntRange(1))
@read_options
def show(asset_id: int, rpc: str, deployments: Path | None, as_json: bool) -> None:
    """ASSET_ID's hardware, status and attested inventory, its share token (supply, fees,
    pauses) and its payment token.

    \b
    Examples:
      compute-rwa asset show 3 --rpc URL
      compute-rwa asset show 3 --rpc URL --json | jq .inventory_hash
    """
    suite = _suite(rpc, deployments)
    spec = suite.client.asset(asset_id)
    share = suite.client.share_token(asset_id)
    shares, payment = suite.shares(asset_id), suite.payment(asset_id)
    supply = int(share.functions.totalSupply().call())
    operator_fee, protocol_fee, reserve = (int(v) for v in share.functions.feeRates().call())
    transfers_paused = bool(share.functions.transfersPaused().call())
    registry_paused = bool(suite.client.registry.functions.paused().call())
    if as_json:
        _echo_json(
            {
                **_asset_json(spec),
                "total_shares": supply,
                "share_token_info": _token_json(shares),
                "payment_token": _token_json(payment),
                "fee_rates": {
                    "operator_fee_bps": operator_fee,
                    "protocol_fee_bps": protocol_fee,
                    "reserve_bps": reserve,
                },
                "transfers_paused": transfers_paused,
                "registry_paused": registry_paused,
            }
        )
        return
    table = Table(title=f"Asset {asset_id}", show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # addresses and hashes whole, to copy
    table.add_row("hardware", f"{spec.gpu_count} × {spec.gpu_model}")
    table.add_row("rated", f"{spec.rated_tflops:,} TFLOPS, {spec.rated_power_watts:,} W")
    table.add_row("region", spec.region)
    table.add_row("status", spec.status.name.lower())
    table.add_row("operator", spec.operator)
    table.add_row("inventory hash", "0x" + spec.inventory_hash.hex())
    table.add_row("share token", f"{spec.share_token} ({shares.symbol}), {shares.format(supply, False)} shares")
    table.add_row("payment token", f"{payment.address} ({payment.symbol}, {payment.decimals} decimals)")
    table.add_row("fees", f"operator {_bps(operator_fee)}, protocol {_bps(protocol_fee)}, reserve {_bps(reserve)}")
    pauses = [name for name, on in (("share transfers", transfers_paused), ("revenue", registry_paused)) if on]
    table.add_row("paused", ", ".join(pauses) or "nothing")
    console.print(table)


@asset.command()
@click.option("--model", required=True, help=f"GPU model: a datasheet key ({', '.join(GPU_MODELS)}) or any name.")
@click.option("--gpus", type=click.IntRange(1, 1_000_000), help="GPU count (default: the inventory file's).")
@click.option("--tflops", type=click.IntRange(1), help="Rated TFLOPS of the whole asset (default: datasheet × GPUs).")
@click.option("--power-watts", type=click.IntRange(1), help="Rated power of the whole asset (default: datasheet).")
@click.option("--region", required=True, help="Where the GPUs are (at most 32 bytes).")
@click.option("--operator", type=ADDRESS, help="Operator of the asset (default: the sending account).")
@click.option("--inventory-hash", help="Attested hardware inventory: keccak256 of the sorted GPU identities (hex).")
@click.option(
    "--inventory-file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="GPU UUID list to hash instead (one per line, `nvidia-smi -L` output, or JSON).",
)
@click.option("--payment-token", type=ADDRESS, help="Token revenue is paid in (default: the deployment's).")
@click.option("--owner", type=ADDRESS, help="Receiver of every share (default: the sending account).")
@click.option(
    "--operator-fee-bps",
    type=click.IntRange(0, 10_000),
    default=0,
    show_default=True,
    help="Operator's cut of revenue.",
)
@click.option(
    "--reserve-bps",
    type=click.IntRange(0, 10_000),
    default=0,
    show_default=True,
    help="Part of revenue kept in reserve.",
)
@write_options
def register(
    model: str,
    gpus: int | None,
    tflops: int | None,
    power_watts: int | None,
    region: str,
    operator: ChecksumAddress | None,
    inventory_hash: str | None,
    inventory_file: Path | None,
    payment_token: ChecksumAddress | None,
    owner: ChecksumAddress | None,
    operator_fee_bps: int,
    reserve_bps: int,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Register a GPU asset (operators): its share token is created and one share per GPU
    minted to --owner. Give the inventory as --inventory-hash or --inventory-file.

    \b
    Examples:
      nvidia-smi --query-gpu=uuid --format=csv,noheader > gpus.txt
      compute-rwa asset register --model H100 --region us-east-1 --inventory-file gpus.txt \\
          --operator-fee-bps 1000 --reserve-bps 500 --rpc URL --keystore operator
      compute-rwa asset register --model "AMD MI300X" --gpus 8 --tflops 10456 --power-watts 6000 \\
          --region eu-west-1 --inventory-hash 0x… --owner 0xOwner --rpc URL --json
    """
    if (inventory_hash is None) == (inventory_file is None):
        raise click.UsageError("give --inventory-hash or --inventory-file (one of them)")
    if inventory_file is not None:
        ids = read_gpu_ids(inventory_file)
        attested = _inventory_hash(ids)
        listed = len(set(ids))
        if gpus is None:
            gpus = listed
        elif gpus != listed:
            raise click.BadParameter(f"{gpus}, but {inventory_file} lists {listed} GPU(s)", param_hint="--gpus")
    else:
        assert inventory_hash is not None
        attested = _hash_arg(inventory_hash, "--inventory-hash")
    if gpus is None:
        raise click.UsageError("give --gpus (or an --inventory-file to count)")
    datasheet = GPU_MODELS.get(model)
    name = datasheet.name if datasheet else model
    if datasheet is not None:
        tflops = tflops or datasheet.tflops_bf16_dense * gpus
        power_watts = power_watts or datasheet.board_power_watts * gpus
    if tflops is None or power_watts is None:
        raise click.UsageError(f"{model!r} has no datasheet here: give --tflops and --power-watts")
    for text, hint in ((name, "--model"), (region, "--region")):
        try:
            to_bytes32(text, hint)
        except InvalidInputError as exc:
            raise click.BadParameter(exc.problem, param_hint=hint) from None
    suite = _suite(rpc, deployments)
    signer = _signer(keystore, from_address)
    me = address_of(signer)
    registration = AssetRegistration(
        gpu_model=name,
        gpu_count=gpus,
        rated_tflops=tflops,
        rated_power_watts=power_watts,
        region=region,
        operator=operator or me,
        inventory_hash=attested,
        payment_token=payment_token or suite.client.deployment.payment_token,
        owner=owner or me,
        operator_fee_bps=operator_fee_bps,
        reserve_bps=reserve_bps,
    )
    asset_id, share_token = suite.client.register_asset(registration, signer)
    if as_json:
        spec = suite.client.asset(asset_id)
        _echo_json(
            {
                **_asset_json(spec),
                "owner": registration.owner,
                "total_shares": gpus * 10 ** suite.shares(asset_id).decimals,
                "payment_token": registration.payment_token,
                "operator_fee_bps": operator_fee_bps,
                "reserve_bps": reserve_bps,
            }
        )
        return
    console.print(
        f"registered asset {asset_id}: {gpus} × {name} in {region}, operator {registration.operator}; "
        f"share token {share_token}, {gpus} share(s) to {registration.owner}"
    )


@asset.command("status")
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("new_status", metavar="active|maintenance|retired", type=click.Choice(STATUSES, case_sensitive=False))
@write_options
def status_(
    asset_id: int,
    new_status: str,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Set ASSET_ID's status (its operator, or the admin). `retired` is final.

    \b
    Examples:
      compute-rwa asset status 3 maintenance --rpc URL --keystore operator
      compute-rwa asset status 3 active --rpc URL --json
    """
    suite = _suite(rpc, deployments)
    previous = suite.client.asset(asset_id).status
    target = AssetStatus[new_status.upper()]
    suite.client.set_asset_status(asset_id, target, _signer(keystore, from_address))
    if as_json:
        _echo_json({"asset_id": asset_id, "previous": previous.name.lower(), "status": target.name.lower()})
        return
    console.print(f"asset {asset_id}: {previous.name.lower()} → {target.name.lower()}")


@asset.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("new_hash", metavar="[HASH]", required=False)
@click.option(
    "--inventory-file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="GPU UUID list to hash instead of HASH (one per line, `nvidia-smi -L` output, or JSON).",
)
@write_options
def inventory(
    asset_id: int,
    new_hash: str | None,
    inventory_file: Path | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Attest ASSET_ID's new hardware inventory (its operator, or the admin): HASH, or the hash
    of --inventory-file. The oracle stops accepting reports against the old one at once.

    \b
    Examples:
      compute-rwa asset inventory 3 --inventory-file gpus.txt --rpc URL --keystore operator
      compute-rwa asset inventory 3 0x5c6b…e1 --rpc URL --json
    """
    if (new_hash is None) == (inventory_file is None):
        raise click.UsageError("give HASH or --inventory-file (one of them)")
    if inventory_file is not None:
        attested = _inventory_hash(read_gpu_ids(inventory_file, asset_id))
    else:
        assert new_hash is not None
        attested = _hash_arg(new_hash, "HASH")
    suite = _suite(rpc, deployments)
    previous = suite.client.asset(asset_id).inventory_hash
    suite.client.update_inventory(asset_id, attested, _signer(keystore, from_address))
    if as_json:
        _echo_json({"asset_id": asset_id, "previous": "0x" + previous.hex(), "inventory_hash": "0x" + attested.hex()})
        return
    console.print(f"asset {asset_id}: inventory 0x{previous.hex()} → 0x{attested.hex()}")


@asset.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("to", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@write_options
def transfer(
    asset_id: int,
    to: ChecksumAddress,
    amount: str,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Transfer AMOUNT shares of ASSET_ID (whole shares, "1.5") to TO. Revenue earned so far
    stays claimable by the sender.

    \b
    Examples:
      compute-rwa asset transfer 3 0xBuyer 1.5 --rpc URL --keystore holder
      compute-rwa asset transfer 3 0xBuyer 2 --rpc URL --json
    """
    suite = _suite(rpc, deployments)
    shares = suite.shares(asset_id)
    units = _parse(shares, amount, "AMOUNT")
    signer = _signer(keystore, from_address)
    suite.client.transfer_shares(asset_id, signer, to, units)
    sender = address_of(signer)
    left = suite.client.share_balance(asset_id, sender)
    if as_json:
        _echo_json(
            {
                "asset_id": asset_id,
                "from": sender,
                "to": to,
                "amount": units,
                "balance": left,
                "share_token": _token_json(shares),
            }
        )
        return
    console.print(
        f"transferred {shares.format(units, False)} share(s) of asset {asset_id} to {to}; "
        f"{sender} holds {shares.format(left, False)}"
    )


@asset.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("holder", type=ADDRESS)
@read_options
def balance(asset_id: int, holder: ChecksumAddress, rpc: str, deployments: Path | None, as_json: bool) -> None:
    """HOLDER's shares of ASSET_ID, its part of the asset, and the revenue it can claim.

    \b
    Examples:
      compute-rwa asset balance 3 0xHolder --rpc URL
      compute-rwa asset balance 3 0xHolder --rpc URL --json | jq .shares
    """
    suite = _suite(rpc, deployments)
    shares, payment = suite.shares(asset_id), suite.payment(asset_id)
    held = suite.client.share_balance(asset_id, holder)
    supply = int(suite.client.share_token(asset_id).functions.totalSupply().call())
    claimable = suite.client.claimable(asset_id, holder)
    if as_json:
        _echo_json(
            {
                "asset_id": asset_id,
                "holder": holder,
                "shares": held,
                "total_shares": supply,
                "claimable": claimable,
                "share_token": _token_json(shares),
                "payment_token": _token_json(payment),
            }
        )
        return
    part = f" ({held / supply:.2%})" if supply else ""
    console.print(
        f"{holder} holds {shares.format(held, False)} of {shares.format(supply, False)} share(s) of asset "
        f"{asset_id}{part}; claimable {payment.format(claimable)}"
    )


# --------------------------------------------------------------------- revenue


@click.group()
def revenue() -> None:
    """Revenue of GPU assets: pay it in (the waterfall takes operator, protocol and reserve
    fees, holders share the rest per share), see what holders can claim, claim it, and show
    the fee pools. Amounts are given in whole tokens of the asset's payment token ("2.5");
    --json prints token units.

    \b
    Examples:
      compute-rwa revenue distribute 3 1000 --rpc URL --keystore payer
      compute-rwa revenue claimable 0xHolder --rpc URL
      compute-rwa revenue claim 3 --rpc URL --keystore holder
      compute-rwa revenue claim 3 4 5 --rpc URL --keystore holder     # one transaction
      compute-rwa revenue pools 3 --rpc URL --json
    """


@revenue.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("amount", type=AMOUNT)
@write_options
def distribute(
    asset_id: int,
    amount: str,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Pay AMOUNT (whole payment tokens) into ASSET_ID's waterfall from the sending account
    (approves the share token first when needed).

    \b
    Examples:
      compute-rwa revenue distribute 3 1000 --rpc URL --keystore payer
      compute-rwa revenue distribute 3 2.5 --rpc URL --json
    """
    suite = _suite(rpc, deployments)
    payment = suite.payment(asset_id)
    units = _parse(payment, amount, "AMOUNT")
    signer = _signer(keystore, from_address)
    payer = address_of(signer)
    held = int(suite.client.erc20(payment.address).functions.balanceOf(payer).call())
    if held < units:
        raise InvalidInputError(
            f"payer {payer}", "AMOUNT", f"holds {payment.format(held)}, less than the {payment.format(units)} to pay"
        )
    receipt = suite.client.distribute(asset_id, units, signer)
    token = suite.client.share_token(asset_id)
    split = {"operator_fee": 0, "protocol_fee": 0, "to_reserve": 0, "to_holders": 0}
    for event in token.events.RevenueDistributed().process_receipt(receipt, errors=DISCARD):
        args = event["args"]
        for key, name in (
            ("operator_fee", "operatorFee"),
            ("protocol_fee", "protocolFee"),
            ("to_reserve", "toReserve"),
            ("to_holders", "toHolders"),
        ):
            split[key] += int(args[name])
    if as_json:
        _echo_json({"asset_id": asset_id, "payer": payer, "amount": units, **split, "token": _token_json(payment)})
        return
    console.print(
        f"distributed {payment.format(units)} to asset {asset_id}: {payment.format(split['to_holders'])} to holders, "
        f"operator fee {payment.format(split['operator_fee'])}, protocol fee {payment.format(split['protocol_fee'])}, "
        f"reserve {payment.format(split['to_reserve'])}"
    )


@revenue.command("claimable")
@click.argument("holder", type=ADDRESS)
@click.option("--asset", "asset_ids", type=click.IntRange(1), multiple=True, help="Only this asset (repeat).")
@read_options
def claimable_(
    holder: ChecksumAddress, asset_ids: tuple[int, ...], rpc: str, deployments: Path | None, as_json: bool
) -> None:
    """What HOLDER can claim from every asset (or the --asset ones), with its shares.

    \b
    Examples:
      compute-rwa revenue claimable 0xHolder --rpc URL
      compute-rwa revenue claimable 0xHolder --asset 3 --asset 4 --rpc URL --json
    """
    suite = _suite(rpc, deployments)
    ids = list(dict.fromkeys(asset_ids)) or [s.asset_id for s in suite.client.assets()]
    held = {i: (suite.client.share_balance(i, holder), suite.client.claimable(i, holder)) for i in ids}
    if as_json:
        _echo_json(
            [
                {
                    "asset_id": i,
                    "holder": holder,
                    "shares": shares,
                    "claimable": amount,
                    "token": _token_json(suite.payment(i)),
                }
                for i, (shares, amount) in held.items()
            ]
        )
        return
    table = Table(title=f"Revenue {_short(holder)} can claim")
    for column in ("asset", "shares", "claimable"):
        table.add_column(column, justify="right")
    totals: dict[str, int] = {}
    for i, (shares, amount) in held.items():
        payment = suite.payment(i)
        table.add_row(str(i), suite.shares(i).format(shares, False), payment.format(amount))
        totals[payment.address] = totals.get(payment.address, 0) + amount
    console.print(table)
    for address, total in totals.items():
        console.print(f"total: {suite.token_info(address).format(total)}")


@revenue.command()
@click.argument("asset_ids", type=click.IntRange(1), nargs=-1, required=True)
@write_options
def claim(
    asset_ids: tuple[int, ...],
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Claim the sending account's revenue from ASSET_IDS: one asset with its share token's
    claim(), several in one transaction with the registry's claimMany().

    \b
    Examples:
      compute-rwa revenue claim 3 --rpc URL --keystore holder
      compute-rwa revenue claim 3 4 5 --rpc URL --keystore holder --json
    """
    ids = list(dict.fromkeys(asset_ids))
    suite = _suite(rpc, deployments)
    signer = _signer(keystore, from_address)
    holder = address_of(signer)
    paid = {ids[0]: suite.client.claim(ids[0], signer)} if len(ids) == 1 else suite.client.claim_many(ids, signer)
    if as_json:
        _echo_json(
            [
                {"asset_id": i, "holder": holder, "amount": paid.get(i, 0), "token": _token_json(suite.payment(i))}
                for i in ids
            ]
        )
        return
    for i in ids:
        console.print(f"claimed {suite.payment(i).format(paid.get(i, 0))} from asset {i} for {holder}")


@revenue.command()
@click.argument("asset_id", type=click.IntRange(1))
@read_options
def pools(asset_id: int, rpc: str, deployments: Path | None, as_json: bool) -> None:
    """What ASSET_ID's share token holds for its waterfall: operator and protocol fees not yet
    withdrawn, the reserve, and the fee rates.

    \b
    Examples:
      compute-rwa revenue pools 3 --rpc URL
      compute-rwa revenue pools 3 --rpc URL --json
    """
    suite = _suite(rpc, deployments)
    held = suite.client.pools(asset_id)
    token = suite.client.share_token(asset_id)
    operator_fee, protocol_fee, reserve = (int(v) for v in token.functions.feeRates().call())
    per_share = int(token.functions.revenuePerShareE18().call())
    payment = suite.payment(asset_id)
    if as_json:
        _echo_json(
            {
                "asset_id": asset_id,
                "operator_fees": held.operator_fees,
                "protocol_fees": held.protocol_fees,
                "reserve": held.reserve,
                "dust_e18": held.dust_e18,
                "revenue_per_share_e18": per_share,
                "fee_rates": {
                    "operator_fee_bps": operator_fee,
                    "protocol_fee_bps": protocol_fee,
                    "reserve_bps": reserve,
                },
                "token": _token_json(payment),
            }
        )
        return
    table = Table(title=f"Asset {asset_id}: revenue pools", show_header=False)
    table.add_row("operator fees", f"{payment.format(held.operator_fees)} ({_bps(operator_fee)} of revenue)")
    table.add_row("protocol fees", f"{payment.format(held.protocol_fees)} ({_bps(protocol_fee)})")
    table.add_row("reserve", f"{payment.format(held.reserve)} ({_bps(reserve)})")
    table.add_row("paid to holders per share", f"{payment.format(per_share)} since registration")
    console.print(table)
