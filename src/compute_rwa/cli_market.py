"""`compute-rwa market …` and `compute-rwa valuation …`: lending against GPU shares.

\b
Lenders:
  compute-rwa market supply MARKET 10000 --rpc URL               # deposit 10,000 loan tokens
  compute-rwa market withdraw MARKET --all --rpc URL
Borrowers:
  compute-rwa market supply-collateral MARKET 2 --rpc URL        # post 2 shares
  compute-rwa market borrow MARKET 25000 --rpc URL
  compute-rwa market repay MARKET --all --rpc URL
  compute-rwa market withdraw-collateral MARKET --all --rpc URL
Keepers and liquidators (anyone):
  compute-rwa valuation update 3 --rpc URL
  compute-rwa market keep --once --rpc URL                       # refresh prices, liquidate what is unhealthy
  compute-rwa market liquidate MARKET 0xBorrower --rpc URL
Admin and market creators:
  compute-rwa valuation configure 3 --purchase-value 25000 --purchased-at 2025-06-01 --rpc URL
  compute-rwa market create 3 --lltv 0.8 --min-borrow 100 --rpc URL

Amounts are in whole tokens ("2.5"): loan-token amounts in the loan token's decimals, collateral
in shares (18 decimals), both read on-chain; --json prints token units.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress
from rich.console import Console
from rich.table import Table
from web3 import Web3

from compute_rwa.chain import connect
from compute_rwa.cli_lease import read_options, write_options
from compute_rwa.cli_tx import ADDRESS, AMOUNT, AMOUNT_OR_ALL, FiniteFloatRange, cli_sender
from compute_rwa.cli_tx import cli_signer as _signer
from compute_rwa.cli_tx import parse_positive as _parse
from compute_rwa.deploy import Deployment, registry_path
from compute_rwa.errors import DeploymentError, InvalidInputError
from compute_rwa.lease.models import TokenInfo, decimal_to_units, parse_decimal
from compute_rwa.market.client import MarketClient, MarketFactoryClient, ValuationClient
from compute_rwa.market.keeper import DEFAULT_REFRESH_AFTER, Keeper
from compute_rwa.market.models import (
    DEFAULT_LIQUIDATION_MARGIN_BPS,
    MAX_UINT256,
    WAD,
    KeeperReport,
    LiquidationPlan,
    LiquidationResult,
    MarketConfig,
    MarketInfo,
    MarketPosition,
    RateModel,
    ValuationConfig,
    ValuationView,
)
from compute_rwa.tx import contract_at

console = Console()

#: Exit status of `market keep --once` when something could not be done (and of every revert).
EXIT_FAILED = 2


# --------------------------------------------------------------------- plumbing


def _deployment(w3: Web3, deployments: Path | None) -> Deployment:
    path = registry_path(w3.eth.chain_id, deployments)
    if not path.exists():
        raise DeploymentError(f"no deployment recorded for chain {w3.eth.chain_id} at {path}")
    return Deployment.load(path)


def _factory(w3: Web3, deployments: Path | None) -> MarketFactoryClient:
    deployment = _deployment(w3, deployments)
    if deployment.market_factory is None:
        raise click.ClickException(f"the deployment on chain {deployment.chain_id} has no MarketFactory")
    return MarketFactoryClient(w3, deployment, cli_sender(w3))


def _valuation(w3: Web3, deployments: Path | None) -> ValuationClient:
    deployment = _deployment(w3, deployments)
    if deployment.valuator is None:
        raise click.ClickException(f"the deployment on chain {deployment.chain_id} has no ShareValuator")
    return ValuationClient(w3, deployment, cli_sender(w3))


def _checked_address(value: str, hint: str) -> ChecksumAddress:
    if not Web3.is_address(value):
        raise click.BadParameter(f"not an address: {value!r}", param_hint=hint)
    return Web3.to_checksum_address(value)


def _optional_address(value: str | None, hint: str) -> ChecksumAddress | None:
    return None if value is None else _checked_address(value, hint)


def _market(w3: Web3, address: str) -> MarketClient:
    market = _checked_address(address, "MARKET")
    if not w3.eth.get_code(market):
        raise click.BadParameter(f"no contract at {market} on chain {w3.eth.chain_id}", param_hint="MARKET")
    return MarketClient(w3, market, cli_sender(w3))


def _amount_or_all(token: TokenInfo, text: str | None, everything: bool) -> int | None:
    """AMOUNT in token units, or None for everything (`--all`, or `all` as the amount)."""
    if text is not None and text.strip().lower() == "all":
        text, everything = None, True
    if (text is None) == (not everything):
        raise click.UsageError("give an AMOUNT or --all (not both)")
    return None if text is None else _parse(token, text, "AMOUNT")


all_option = click.option("--all", "everything", is_flag=True, help="Everything (same as AMOUNT `all`).")


def _decimal(text: str | None, hint: str) -> Decimal | None:
    """A finite, non-negative decimal (ASCII digits, below 10^78); a usage error naming `hint`."""
    if text is None:
        return None
    try:
        return parse_decimal(text, hint)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.problem, param_hint=hint) from None


#: Latest time a valuation takes (ShareValuator keeps purchasedAt as a uint40).
_MAX_TIMESTAMP = (1 << 40) - 1


def _timestamp(text: str | None, hint: str) -> int | None:
    """Unix seconds, or an ISO date / date-time (UTC unless it says otherwise), from 1970 on."""
    if text is None:
        return None
    cleaned = text.strip()
    if cleaned.isascii() and cleaned.isdigit():
        if len(cleaned) > 13:  # past uint40 whatever the digits
            raise click.BadParameter(f"too late a time: {text!r:.80}", param_hint=hint)
        stamp = int(cleaned)
    else:
        try:
            moment = datetime.fromisoformat(cleaned)
        except ValueError:
            raise click.BadParameter(f"not a unix time or ISO date: {text!r:.80}", param_hint=hint) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        stamp = int(moment.timestamp())
    if not 0 <= stamp <= _MAX_TIMESTAMP:
        problem = f"must lie between 1970 and year 36812 (uint40 seconds): {text!r:.80}"
        raise click.BadParameter(problem, param_hint=hint)
    return stamp


def _lltv(text: str) -> int:
    """ "0.8" or "80%" as a WAD fraction, 0 < LLTV <= 0.98."""
    cleaned = text.strip()
    percent = cleaned.endswith("%")
    value = _decimal(cleaned.removesuffix("%"), "--lltv")
    assert value is not None
    fraction = value / 100 if percent else value
    problem = f"must be a fraction above 0 and at most 0.98 (or a percentage): {text!r:.80}"
    if not 0 < fraction <= Decimal("0.98"):
        raise click.BadParameter(problem, param_hint="--lltv")
    try:  # exactly: a 29th digit must not be rounded away
        return decimal_to_units(value, 16 if percent else 18, "--lltv")
    except InvalidInputError:
        raise click.BadParameter(problem, param_hint="--lltv") from None


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def _bps(value: int) -> str:
    return f"{value / 100:.2f}%"


def _wad_pct(value: int) -> str:
    return f"{value * 100 / WAD:.2f}%"


def _health(value: int | None) -> str:
    if value is None:
        return "unknown (no price)"
    if value == MAX_UINT256:
        return "no debt"
    return f"{value / WAD:.4f}"


def _stamp(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


# --------------------------------------------------------------------- market


@click.group()
def market() -> None:
    """Lend a stablecoin against GPU shares in isolated markets: lenders supply into the
    market's ERC-4626 vault; borrowers post shares as collateral and borrow up to their value x
    LLTV; anyone liquidates unhealthy positions (`keep` does it as a keeper). Amounts are in
    whole tokens ("2.5"; collateral in shares), `all` where shown; --json prints token units.

    \b
    Examples:
      compute-rwa market create 3 --lltv 0.8 --min-borrow 100 --rpc URL
      compute-rwa market supply MARKET 10000 --rpc URL --keystore lender.json
      compute-rwa market supply-collateral MARKET 2 --rpc URL --keystore borrower.json
      compute-rwa market borrow MARKET 25000 --rpc URL --keystore borrower.json
      compute-rwa market positions MARKET --rpc URL --json
      compute-rwa market repay MARKET --all --rpc URL --keystore borrower.json
      compute-rwa market keep --interval 60 --rpc URL --keystore keeper.json
    """


@market.command()
@click.argument("asset_id", type=click.IntRange(1), required=False)
@click.option("--share-token", type=ADDRESS, help="Collateral share token (instead of ASSET_ID).")
@click.option("--oracle", type=ADDRESS, help="IOracle price feed (default: the valuator's feed of the asset).")
@click.option(
    "--loan-token", type=ADDRESS, help="Lent token (default: the asset's payment token, which the feed prices in)."
)
@click.option(
    "--lltv", "lltv_text", default="0.8", show_default=True, help='Liquidation LTV: "0.8" or "80%" (at most 0.98).'
)
@click.option("--base-rate-bps", type=click.IntRange(0), default=0, show_default=True, help="Yearly rate at 0% use.")
@click.option("--slope1-bps", type=click.IntRange(0), default=400, show_default=True, help="Yearly rate added to kink.")
@click.option("--slope2-bps", type=click.IntRange(0), default=10_000, show_default=True, help="Added above the kink.")
@click.option("--kink-bps", type=click.IntRange(1, 9_999), default=8_000, show_default=True, help="Kink utilization.")
@click.option(
    "--min-borrow", type=AMOUNT, default="100", show_default=True, help="Smallest debt, in whole loan tokens."
)
@write_options
def create(
    asset_id: int | None,
    share_token: str | None,
    oracle: str | None,
    loan_token: str | None,
    lltv_text: str,
    base_rate_bps: int,
    slope1_bps: int,
    slope2_bps: int,
    kink_bps: int,
    min_borrow: str,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Create an isolated market lending a stablecoin against ASSET_ID's shares (anyone may;
    parameters are fixed for good). The market's address is printed.

    \b
    Examples:
      compute-rwa market create 3 --lltv 0.8 --min-borrow 100 --rpc URL
      compute-rwa market create 3 --lltv 70% --slope1-bps 600 --oracle 0xFeed --rpc URL
    """
    if (asset_id is None) == (share_token is None):
        raise click.UsageError("give ASSET_ID or --share-token (not both)")
    lltv = _lltv(lltv_text)
    w3 = connect(rpc)
    factory = _factory(w3, deployments)
    share = _optional_address(share_token, "--share-token")
    if share is None:
        registry = contract_at(w3, "AssetRegistry", _deployment(w3, deployments).registry)
        share = Web3.to_checksum_address(registry.functions.shareTokenOf(asset_id).call())
        if int(share, 16) == 0:
            raise click.BadParameter(f"asset {asset_id} is not registered", param_hint="ASSET_ID")
    share_contract = contract_at(w3, "ShareToken", share)
    price_feed = _optional_address(oracle, "--oracle")
    if price_feed is None:
        valued = int(share_contract.functions.assetId().call())
        price_feed = _valuation(w3, deployments).feed(valued)
        if price_feed is None:
            raise click.UsageError(
                f"asset {valued} has no valuation feed yet: run `compute-rwa valuation configure {valued}` "
                "or give --oracle"
            )
    loan = _optional_address(loan_token, "--loan-token")
    if loan is None:
        loan = Web3.to_checksum_address(share_contract.functions.paymentToken().call())
    rates = RateModel.from_annual_bps(base_rate_bps, slope1_bps, slope2_bps, kink_bps)
    config = MarketConfig(
        share_token=share,
        loan_token=loan,
        oracle=price_feed,
        lltv=lltv,
        rate_model=rates,
        min_borrow=_parse(factory.token_info(loan), min_borrow, "--min-borrow"),
    )
    created = factory.create(config, _signer(keystore, from_address))
    if as_json:
        _echo_json({**created.__dict__, "config": config.to_json()})
        return
    token = factory.token_info(loan)
    console.print(
        f"created market {created.market}: lends {token.symbol} against {share_contract.functions.symbol().call()} "
        f"at LLTV {_wad_pct(lltv)}, min borrow {token.format(config.min_borrow)}, priced by {price_feed}"
    )


@market.command()
@click.argument("market_address", metavar="MARKET", type=ADDRESS, required=False)
@click.option("--asset", "asset_id", type=click.IntRange(1), help="Without MARKET: only markets on this asset.")
@click.option("--lender", type=ADDRESS, help="With MARKET: also this lender's vault position.")
@read_options
def show(
    market_address: str | None,
    asset_id: int | None,
    lender: str | None,
    rpc: str,
    deployments: Path | None,
    as_json: bool,
) -> None:
    """MARKET's configuration and state (rates, totals, liquidity, price); without MARKET, every
    market the suite's factory created."""
    w3 = connect(rpc)
    lender_address = _optional_address(lender, "--lender")
    if market_address is None:
        _list_markets(w3, deployments, asset_id, as_json)
        return
    client = _market(w3, market_address)
    info = client.info()
    position = client.lender(lender_address) if lender_address else None
    if as_json:
        data = info.to_json()
        if position is not None:
            data["lender"] = dict(position.__dict__)
        _echo_json(data)
        return
    _info_table(info)
    if position is not None:
        loan = info.loan_token
        console.print(
            f"lender {position.owner}: {position.shares} vault shares worth {loan.format(position.assets)}, "
            f"{loan.format(position.max_withdraw)} withdrawable now"
        )


def _list_markets(w3: Web3, deployments: Path | None, asset_id: int | None, as_json: bool) -> None:
    factory = _factory(w3, deployments)
    created = factory.created()
    infos = [MarketClient(w3, c.market).info() for c in created]
    if asset_id is not None:
        infos = [i for i in infos if i.asset_id == asset_id]
    if as_json:
        _echo_json([i.to_json() for i in infos])
        return
    table = Table(title=f"{len(infos)} market(s)")
    for column in ("market", "asset", "lends", "LLTV", "supplied", "borrowed", "borrow APR", "share price"):
        table.add_column(column, justify="right", no_wrap=column == "market")
    for i in infos:
        loan = i.loan_token
        table.add_row(
            i.address,
            str(i.asset_id),
            loan.symbol,
            _bps(i.config.lltv_bps),
            loan.format(i.total_supply_assets, False),
            loan.format(i.total_borrow_assets, False),
            _bps(i.borrow_apr_bps),
            "unavailable" if i.share_price is None else loan.format(i.share_price, False),
        )
    console.print(table)


def _info_table(info: MarketInfo) -> None:
    loan, share = info.loan_token, info.collateral_token
    c = info.config
    base, slope1, slope2, kink = c.rate_model.annual_bps()
    table = Table(title=f"{info.name} ({info.symbol})", show_header=False)
    table.add_row("market", info.address)
    table.add_row("collateral", f"{share.symbol} (asset {info.asset_id}) {share.address}")
    table.add_row("lends", f"{loan.symbol} {loan.address}")
    table.add_row("oracle", c.oracle)
    price = "unavailable: " + (info.price_error or "") if info.share_price is None else loan.format(info.share_price)
    table.add_row("share price", price)
    table.add_row("LLTV", f"{_bps(c.lltv_bps)}; liquidation incentive {_wad_pct(info.liquidation_incentive - WAD)}")
    table.add_row(
        "rate curve", f"{_bps(base)} + {_bps(slope1)} up to {_bps(kink)} utilization, + {_bps(slope2)} above (yearly)"
    )
    table.add_row("min borrow", loan.format(c.min_borrow))
    table.add_row("supplied", loan.format(info.total_supply_assets))
    table.add_row("borrowed", f"{loan.format(info.total_borrow_assets)} ({_wad_pct(info.utilization)} utilization)")
    table.add_row("liquidity", loan.format(info.liquidity))
    table.add_row("rates now", f"borrow {_bps(info.borrow_apr_bps)}, supply {_bps(info.supply_apr_bps)} a year")
    console.print(table)


@market.command()
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@click.option("--receiver", type=ADDRESS, help="Receiver of the vault shares (default: the payer).")
@write_options
def supply(
    market_address: str,
    amount: str,
    receiver: str | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Lend: deposit AMOUNT loan tokens into MARKET's vault (approved first when needed)."""
    client = _market(connect(rpc), market_address)
    assets = _parse(client.loan, amount, "AMOUNT")
    result = client.supply(assets, _signer(keystore, from_address), receiver=_optional_address(receiver, "--receiver"))
    if as_json:
        _echo_json(result.__dict__)
        return
    console.print(f"supplied {client.loan.format(result.assets)}: {result.shares} vault shares to {result.owner}")


@market.command()
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("amount", type=AMOUNT_OR_ALL, required=False)
@all_option
@click.option("--receiver", type=ADDRESS, help="Receiver of the loan tokens (default: the lender).")
@write_options
def withdraw(
    market_address: str,
    amount: str | None,
    everything: bool,
    receiver: str | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Take AMOUNT loan tokens (or, with --all, every vault share) out of MARKET's vault, as far
    as its idle liquidity allows."""
    client = _market(connect(rpc), market_address)
    assets = _amount_or_all(client.loan, amount, everything)
    signer = _signer(keystore, from_address)
    to = _optional_address(receiver, "--receiver")
    result = (
        client.withdraw_all(signer, receiver=to) if assets is None else client.withdraw(assets, signer, receiver=to)
    )
    if as_json:
        _echo_json(result.__dict__)
        return
    console.print(
        f"withdrew {client.loan.format(result.assets)} to {result.receiver} ({result.shares} vault shares burnt)"
    )


@market.command("supply-collateral")
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@click.option("--on-behalf", type=ADDRESS, help="Borrower credited with the collateral (default: the payer).")
@write_options
def supply_collateral(
    market_address: str,
    amount: str,
    on_behalf: str | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Post AMOUNT shares as collateral (approved first when needed). Posted shares keep
    earning revenue for the borrower (see claim-revenue and auto-repay)."""
    client = _market(connect(rpc), market_address)
    assets = _parse(client.collateral, amount, "AMOUNT")
    result = client.supply_collateral(
        assets, _signer(keystore, from_address), on_behalf=_optional_address(on_behalf, "--on-behalf")
    )
    if as_json:
        _echo_json(result.__dict__)
        return
    console.print(f"posted {client.collateral.format(result.assets)} as collateral of {result.borrower}")


@market.command("withdraw-collateral")
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("amount", type=AMOUNT_OR_ALL, required=False)
@all_option
@click.option("--receiver", type=ADDRESS, help="Receiver of the shares (default: the borrower).")
@write_options
def withdraw_collateral(
    market_address: str,
    amount: str | None,
    everything: bool,
    receiver: str | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Take back AMOUNT shares (or, with --all, every share) of collateral; the position must
    stay healthy."""
    client = _market(connect(rpc), market_address)
    assets = _amount_or_all(client.collateral, amount, everything)
    result = client.withdraw_collateral(
        "all" if assets is None else assets,
        _signer(keystore, from_address),
        receiver=_optional_address(receiver, "--receiver"),
    )
    if as_json:
        _echo_json(result.__dict__)
        return
    console.print(f"withdrew {client.collateral.format(result.assets)} of collateral of {result.borrower}")


@market.command()
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@click.option("--receiver", type=ADDRESS, help="Receiver of the loan (default: the borrower).")
@write_options
def borrow(
    market_address: str,
    amount: str,
    receiver: str | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Borrow AMOUNT loan tokens against your collateral: the debt must stay within the
    collateral's value x LLTV and be at least the market's minimum."""
    client = _market(connect(rpc), market_address)
    assets = _parse(client.loan, amount, "AMOUNT")
    signer = _signer(keystore, from_address)
    result = client.borrow(assets, signer, receiver=_optional_address(receiver, "--receiver"))
    if as_json:
        _echo_json(result.__dict__)
        return
    position = client.position(result.borrower)
    console.print(
        f"borrowed {client.loan.format(result.assets)} to {result.receiver}; debt {client.loan.format(position.debt)}, "
        f"health factor {_health(position.health_factor)}"
    )


@market.command()
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("amount", type=AMOUNT_OR_ALL, required=False)
@all_option
@click.option("--on-behalf", type=ADDRESS, help="Borrower whose debt to repay (default: the payer).")
@write_options
def repay(
    market_address: str,
    amount: str | None,
    everything: bool,
    on_behalf: str | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Repay AMOUNT loan tokens of debt, or with --all all of it (interest to the block
    included). What is left must be zero or at least the market's minimum."""
    client = _market(connect(rpc), market_address)
    assets = _amount_or_all(client.loan, amount, everything)
    result = client.repay(
        "all" if assets is None else assets,
        _signer(keystore, from_address),
        on_behalf=_optional_address(on_behalf, "--on-behalf"),
    )
    if as_json:
        _echo_json(result.__dict__)
        return
    left = client.position(result.borrower).debt
    console.print(
        f"repaid {client.loan.format(result.assets)} of {result.borrower}'s debt; {client.loan.format(left)} left"
    )


@market.command()
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("borrower", type=ADDRESS)
@click.option(
    "--margin-bps",
    type=click.IntRange(0, 5_000),
    default=DEFAULT_LIQUIDATION_MARGIN_BPS,
    show_default=True,
    help="Health buffer the liquidation leaves (debt at most limit x (1 - margin)).",
)
@click.option("--dry-run", is_flag=True, help="Only show the plan.")
@write_options
def liquidate(
    market_address: str,
    borrower: str,
    margin_bps: int,
    dry_run: bool,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Liquidate BORROWER's unhealthy position: repay the least debt that restores its health
    (or all of it when what would be left is below the minimum), receiving collateral worth the
    repayment plus the incentive; an underwater position loses all its collateral and the rest
    of its debt is written off. The repayment is approved first."""
    client = _market(connect(rpc), market_address)
    who = _checked_address(borrower, "BORROWER")
    plan = client.plan_liquidation(who, margin_bps)
    if dry_run:
        if as_json:
            _echo_json(plan.to_json())
        else:
            console.print(_plan_text(client, plan))
        return
    result = client.liquidate(who, _signer(keystore, from_address), plan=plan)
    if as_json:
        _echo_json(result.to_json())
        return
    console.print(_result_text(client, result))


def _plan_text(client: MarketClient, plan: LiquidationPlan) -> str:
    loan, share = client.loan, client.collateral
    if plan.mode.value == "harvest":
        return f"{plan.borrower}: its own revenue (auto-repay) heals the position: harvest it"
    text = (
        f"{plan.borrower}: {plan.mode.value}: repay {loan.format(plan.repaid_assets)} "
        f"(approve up to {loan.format(plan.max_repaid_assets + 1)}), seize {share.format(plan.seized)}"
    )
    if plan.bad_debt_assets:
        text += f", write off {loan.format(plan.bad_debt_assets)} of bad debt"
    return text + f"; afterwards debt {loan.format(plan.debt_after)}, health {_health(plan.health_factor_after)}"


def _result_text(client: MarketClient, r: LiquidationResult) -> str:
    loan, share = client.loan, client.collateral
    if r.mode.value == "harvest":
        return f"harvested {loan.format(r.repaid_assets)} of {r.borrower}'s revenue into its debt"
    text = (
        f"liquidated {r.borrower} ({r.mode.value}): repaid {loan.format(r.repaid_assets)}, "
        f"seized {share.format(r.seized_collateral)}"
    )
    if r.bad_debt_assets:
        text += f", {loan.format(r.bad_debt_assets)} of bad debt written off"
    return text + (
        f"; position now {share.format(r.collateral_after)} collateral, {loan.format(r.debt_after)} debt, "
        f"health {_health(r.health_factor_after)}"
    )


@market.command()
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("borrowers", type=ADDRESS, nargs=-1)
@click.option("--unhealthy", is_flag=True, help="Only positions that can be liquidated.")
@click.option("--all", "show_all", is_flag=True, help="Also positions with nothing left.")
@read_options
def positions(
    market_address: str,
    borrowers: tuple[str, ...],
    unhealthy: bool,
    show_all: bool,
    rpc: str,
    deployments: Path | None,
    as_json: bool,
) -> None:
    """Borrowers' positions in MARKET (BORROWERS, default: everyone who posted collateral or
    borrowed): collateral, debt, limit, health factor, revenue earned, auto-repay."""
    who = [_checked_address(b, "BORROWERS") for b in borrowers]
    client = _market(connect(rpc), market_address)
    found = client.positions(who or None)
    if not who and not show_all:
        found = [p for p in found if not p.empty]
    if unhealthy:
        found = [p for p in found if p.liquidatable]
    if as_json:
        _echo_json([p.to_json() for p in found])
        return
    _positions_table(client, found)


def _positions_table(client: MarketClient, found: list[MarketPosition]) -> None:
    loan, share = client.loan, client.collateral
    table = Table(title=f"{len(found)} position(s) in {client.address}")
    for column in ("borrower", "collateral", "debt", "limit", "health", "revenue", "auto-repay"):
        table.add_column(column, justify="right", no_wrap=column == "borrower")
    for p in found:
        health = _health(p.health_factor)
        table.add_row(
            p.borrower,
            share.format(p.collateral, False),
            loan.format(p.debt, False),
            "?" if p.max_debt is None else loan.format(p.max_debt, False),
            f"[red]{health}[/red]" if p.liquidatable else health,
            loan.format(p.earned_revenue, False),
            "on" if p.auto_repay else "off",
        )
    console.print(table)


@market.command("auto-repay")
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.option("--on/--off", "enabled", required=True, help="Repay debt from the collateral's revenue, or not.")
@write_options
def auto_repay(
    market_address: str,
    enabled: bool,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Opt in (or out) of repaying your debt from the revenue your posted shares earn; anyone
    may then `harvest` it, and a liquidation applies it first."""
    client = _market(connect(rpc), market_address)
    signer = _signer(keystore, from_address)
    state = client.set_auto_repay(enabled, signer)
    if as_json:
        _echo_json({"market": client.address, "auto_repay": state})
        return
    console.print(f"auto-repay {'on' if state else 'off'} in {client.address}")


@market.command()
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.argument("borrower", type=ADDRESS)
@write_options
def harvest(
    market_address: str,
    borrower: str,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Apply BORROWER's earned revenue to its debt (BORROWER opted in to auto-repay; anyone)."""
    client = _market(connect(rpc), market_address)
    result = client.harvest(_checked_address(borrower, "BORROWER"), _signer(keystore, from_address))
    if as_json:
        _echo_json(result.__dict__)
        return
    console.print(f"applied {client.loan.format(result.amount)} of revenue to {result.borrower}'s debt")


@market.command("claim-revenue")
@click.argument("market_address", metavar="MARKET", type=ADDRESS)
@click.option("--receiver", type=ADDRESS, help="Receiver of the revenue (default: the borrower).")
@write_options
def claim_revenue(
    market_address: str,
    receiver: str | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Claim the revenue your posted collateral earned (in the asset's payment token)."""
    client = _market(connect(rpc), market_address)
    result = client.claim_revenue(_signer(keystore, from_address), receiver=_optional_address(receiver, "--receiver"))
    if as_json:
        _echo_json(result.__dict__)
        return
    console.print(f"paid {client.loan.format(result.amount)} of revenue earned by {result.borrower}'s collateral")


@market.command()
@click.argument("market_addresses", metavar="[MARKETS]...", type=ADDRESS, nargs=-1)
@click.option("--asset", "asset_ids", type=click.IntRange(1), multiple=True, help="Keep this asset's markets (repeat).")
@click.option(
    "--update-valuation/--no-update-valuation",
    default=True,
    show_default=True,
    help="Refresh the valuations markets read before checking positions.",
)
@click.option(
    "--refresh-after",
    type=click.IntRange(0),
    default=DEFAULT_REFRESH_AFTER,
    show_default=True,
    help="Seconds after which a usable valuation is refreshed anyway (0: every round).",
)
@click.option("--margin-bps", type=click.IntRange(0, 5_000), default=DEFAULT_LIQUIDATION_MARGIN_BPS, show_default=True)
@click.option("--once", is_flag=True, help="One round, then exit (status 2 if anything failed).")
@click.option("--interval", type=FiniteFloatRange(0.1), default=60.0, show_default=True, help="Seconds between rounds.")
@click.option("--rounds", type=click.IntRange(1), help="Stop after this many rounds (default: run until stopped).")
@write_options
def keep(
    market_addresses: tuple[str, ...],
    asset_ids: tuple[int, ...],
    update_valuation: bool,
    refresh_after: int,
    margin_bps: int,
    once: bool,
    interval: float,
    rounds: int | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Keeper for MARKETS (default: every market of the factory, or those of --asset): refresh
    the valuations the markets price collateral with, find unhealthy positions among every
    borrower, and liquidate them (or harvest an opted-in borrower whose revenue heals it),
    paying with the keeper's loan tokens. Runs every --interval seconds until stopped, or one
    round with --once; --json prints one JSON report per round.

    \b
    Examples:
      compute-rwa market keep --once --rpc URL --keystore keeper.json
      compute-rwa market keep MARKET --interval 30 --rpc URL --keystore keeper.json
    """
    addresses = [_checked_address(m, "MARKETS") for m in market_addresses]
    w3 = connect(rpc)
    valuation = None
    if update_valuation:
        deployment = _deployment(w3, deployments)
        valuation = None if deployment.valuator is None else ValuationClient(w3, deployment, cli_sender(w3))
    if asset_ids or not addresses:
        factory = _factory(w3, deployments)
        if asset_ids:
            registry = contract_at(w3, "AssetRegistry", _deployment(w3, deployments).registry)
            for asset_id in asset_ids:
                share = registry.functions.shareTokenOf(asset_id).call()
                addresses += factory.markets_of(share)
        else:
            addresses = factory.markets()
    markets = [_market(w3, a) for a in dict.fromkeys(addresses)]
    if not markets:
        raise click.ClickException("no market to keep")
    keeper = Keeper(
        markets,
        _signer(keystore, from_address),
        valuation=valuation,
        update_valuations=update_valuation,
        refresh_after=refresh_after,
        margin_bps=margin_bps,
        on_event=None if as_json else console.print,
    )

    def show_report(report: KeeperReport) -> None:
        if as_json:
            click.echo(json.dumps(report.to_json(), indent=None if not once else 2))
        else:
            _print_report(report)

    if once:
        report = keeper.run_once()
        show_report(report)
        if not report.ok:
            click.get_current_context().exit(EXIT_FAILED)
        return
    if not as_json:
        console.print(f"keeping {len(markets)} market(s) every {interval:g} s (Ctrl-C to stop)")
    try:
        keeper.run(interval, rounds=rounds, on_report=show_report)
    except KeyboardInterrupt:
        if not as_json:
            console.print("stopped")


def _print_report(report: KeeperReport) -> None:
    console.print(
        f"{_stamp(report.chain_time)}: {report.markets} market(s), {report.positions_checked} position(s) with debt, "
        f"{report.unhealthy} unhealthy, {len(report.liquidations)} liquidated"
    )
    for failure in report.failures:
        console.print(f"  [red]{failure.stage} failed[/red] for {failure.subject}: {failure.error}")


# --------------------------------------------------------------------- valuation


@click.group()
def valuation() -> None:
    """Value GPU shares on-chain for lending: price = min(depreciated hardware value,
    capitalized trailing income x oracle utilization). The admin configures each asset;
    anyone (a keeper) updates it; markets read it through the asset's price feed.

    \b
    Examples:
      compute-rwa valuation configure 3 --purchase-value 25000 --purchased-at 2025-06-01 \\
          --useful-life-years 4 --salvage-pct 10 --cap-rate-pct 20 --rpc URL --keystore admin.json
      compute-rwa valuation update 3 --rpc URL
      compute-rwa valuation show 3 --rpc URL --json
    """


@valuation.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.option("--purchase-value", help="Hardware value of one share when bought, whole payment tokens.")
@click.option("--purchased-at", help="When it was bought: unix seconds or an ISO date (UTC) [now].")
@click.option("--useful-life-years", help="Years of straight-line depreciation [4].")
@click.option("--salvage-pct", help="Value left after the useful life, percent [10].")
@click.option("--cap-rate-pct", help="Yearly capitalization rate of income, percent [20].")
@click.option("--utilization-window", type=click.IntRange(1, 65_535), help="Oracle epochs of utilization [24].")
@click.option("--revenue-window-days", help="Trailing revenue window, days [7].")
@click.option("--max-metrics-age-hours", help="Oracle metrics older than this make the valuation stale [6].")
@click.option("--max-price-age-hours", help="A stored price is usable this long [24].")
@click.option("--min-price", help="Lowest acceptable price per share, whole tokens [one unit].")
@click.option("--max-price", help="Highest acceptable price per share, whole tokens [1000000].")
@write_options
def configure(
    asset_id: int,
    purchase_value: str | None,
    purchased_at: str | None,
    useful_life_years: str | None,
    salvage_pct: str | None,
    cap_rate_pct: str | None,
    utilization_window: int | None,
    revenue_window_days: str | None,
    max_metrics_age_hours: str | None,
    max_price_age_hours: str | None,
    min_price: str | None,
    max_price: str | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Set ASSET_ID's valuation parameters (the registry's admin). A first configuration needs
    --purchase-value (defaults in brackets); later ones change only the options given. The
    stored valuation restarts: run `valuation update` afterwards.

    \b
    Examples:
      compute-rwa valuation configure 3 --purchase-value 28000 --useful-life-years 4 --rpc URL
      compute-rwa valuation configure 3 --purchased-at 2025-06-01 --cap-rate-pct 18 --rpc URL
    """
    changes: dict[str, Any] = {}  # parsed before connecting: bad input is reported as such
    for field, text in (
        ("purchase_value", purchase_value),
        ("useful_life_years", useful_life_years),
        ("salvage_pct", salvage_pct),
        ("cap_rate_pct", cap_rate_pct),
        ("revenue_window_days", revenue_window_days),
        ("max_metrics_age_hours", max_metrics_age_hours),
        ("max_price_age_hours", max_price_age_hours),
        ("min_price", min_price),
        ("max_price", max_price),
    ):
        value = _decimal(text, "--" + field.replace("_", "-"))
        if value is not None:
            changes[field] = value
    bought = _timestamp(purchased_at, "--purchased-at")
    if bought is not None:
        changes["purchased_at"] = bought
    if utilization_window is not None:
        changes["utilization_window_epochs"] = utilization_window
    client = _valuation(connect(rpc), deployments)
    current = client.config(asset_id)
    if current is None:
        if "purchase_value" not in changes:
            raise click.UsageError(f"asset {asset_id} has no valuation yet: give --purchase-value")
        changes.setdefault("purchased_at", client.chain_time())  # bought now
        config = ValuationConfig(**changes)
    else:
        config = replace(current, **changes)
    try:
        config.to_abi(client.token(asset_id).decimals)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.problem, param_hint="--" + exc.field.replace("_", "-")) from None
    stored = client.configure(asset_id, config, _signer(keystore, from_address))
    if as_json:
        _echo_json({"asset_id": asset_id, **stored.to_json(), "feed": client.feed(asset_id)})
        return
    token = client.token(asset_id)
    console.print(
        f"asset {asset_id} valuation configured: {stored.purchase_value} {token.symbol} per share "
        f"bought {_stamp(stored.purchased_at)}, {stored.useful_life_years} years to {stored.salvage_pct}% salvage; "
        f"income at a {stored.cap_rate_pct}% cap rate over {stored.revenue_window_days} days x "
        f"{stored.utilization_window_epochs} epochs of utilization; feed {client.feed(asset_id)}"
    )
    console.print("run `compute-rwa valuation update` to store a price with these parameters")


@valuation.command()
@click.argument("asset_ids", type=click.IntRange(1), nargs=-1, required=True)
@write_options
def update(
    asset_ids: tuple[int, ...],
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Compute and store the valuation of ASSET_IDS now (anyone). A status other than ok says
    what is missing (history too short, no metrics, metrics stale, …); lending refuses it."""
    client = _valuation(connect(rpc), deployments)
    signer = _signer(keystore, from_address)
    views = [client.update(asset_id, signer) for asset_id in asset_ids]
    if as_json:
        _echo_json([v.to_json() for v in views])
        return
    for view in views:
        token = client.token(view.asset_id)
        legs = view.legs
        detail = ""
        if legs is not None:
            detail = (
                f" (hardware {token.format(legs.hardware_value)}, income {token.format(legs.income_value)} at "
                f"{_bps(legs.utilization_bps)} utilization)"
            )
        console.print(
            f"asset {view.asset_id}: round {view.round} {view.status_name}, "
            f"{token.format(view.price)} per share{detail}"
        )


@valuation.command("show")
@click.argument("asset_id", type=click.IntRange(1))
@read_options
def valuation_show(asset_id: int, rpc: str, deployments: Path | None, as_json: bool) -> None:
    """ASSET_ID's stored valuation (status, price per share, age, round), the legs an update
    would compute now, its parameters and its price feed."""
    client = _valuation(connect(rpc), deployments)
    view = client.show(asset_id)
    config = client.config(asset_id)
    if as_json:
        _echo_json({**view.to_json(), "config": None if config is None else config.to_json()})
        return
    _valuation_table(client, view, config)


def _valuation_table(client: ValuationClient, view: ValuationView, config: ValuationConfig | None) -> None:
    token = client.token(view.asset_id)
    table = Table(title=f"Valuation of asset {view.asset_id}", show_header=False)
    usable = "usable" if view.usable else ("stale" if view.status.name == "OK" else "not usable")
    table.add_row("stored", f"{token.format(view.price)} per share, {view.status_name} ({usable}), round {view.round}")
    if view.updated_at:
        table.add_row("updated", f"{_stamp(view.updated_at)}, usable for {view.max_age // 3600} h")
    if view.preview_status is not None and view.preview_price is not None:
        table.add_row("now", f"{token.format(view.preview_price)} per share, {view.preview_status.label}")
    if view.legs is not None:
        legs = view.legs
        table.add_row("hardware leg", token.format(legs.hardware_value))
        income = token.format(legs.income_value)
        if legs.annual_income is not None:
            income += f" ({token.format(legs.annual_income)} a year at {_bps(legs.utilization_bps)} utilization)"
        table.add_row("income leg", income)
    if config is None:
        table.add_row("parameters", "not configured")
    else:
        table.add_row(
            "parameters",
            f"bought {_stamp(config.purchased_at)} at {config.purchase_value} {token.symbol}, "
            f"{config.useful_life_years} y life, {config.salvage_pct}% salvage, {config.cap_rate_pct}% cap rate",
        )
    table.add_row("feed", view.feed or "none")
    console.print(table)
