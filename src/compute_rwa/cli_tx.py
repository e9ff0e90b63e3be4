"""How every command that sends transactions sends them: confirmations to wait for, EIP-1559 fee
caps and a timeout, shared by the `lease`, `market`, `valuation` and `oracle` groups (`deploy`
has the same options of its own). The options are recorded on the click context, and the
commands' clients are built with `cli_sender(w3)`."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import click
from web3 import Web3

from compute_rwa.errors import InvalidInputError
from compute_rwa.keys import load_signer
from compute_rwa.lease.models import TokenInfo, parse_decimal
from compute_rwa.tx import FeeCaps, Signer, TxSender

F = TypeVar("F", bound=Callable[..., Any])
_META = "compute_rwa.tx"


class AddressParam(click.ParamType):
    """An Ethereum address, checksummed; anything else is a usage error (exit status 2), found
    while the command line is parsed, before anything connects."""

    name = "ADDRESS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and Web3.is_address(value):
            return Web3.to_checksum_address(value)
        self.fail(f"not an address: {value!r:.80}", param, ctx)


class AmountParam(click.ParamType):
    """An amount of tokens as typed ("2.5", "1,000"; with `allow_all`, also "all"), checked for
    its form while the command line is parsed; it stays text, since its token units need the
    token's decimals, read on-chain (`parse_positive`)."""

    name = "AMOUNT"

    def __init__(self, allow_all: bool = False) -> None:
        self.allow_all = allow_all

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if self.allow_all and text.strip().lower() == "all":
            return text
        try:
            parse_decimal(text)
        except InvalidInputError as exc:
            self.fail(exc.problem, param, ctx)
        return text


class FiniteFloatRange(click.FloatRange):
    """click.FloatRange without its holes: click lets "nan" through any range (every comparison
    with NaN is false) and "inf" through one without a maximum; a duration of either crashes
    the wait that uses it."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r:.40} is not a finite number", param, ctx)
        return number


ADDRESS = AddressParam()
AMOUNT = AmountParam()
AMOUNT_OR_ALL = AmountParam(allow_all=True)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta.setdefault(_META, {})[param.name] = value
    return value


def _gwei(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    gwei = None
    if value is not None:
        try:
            gwei = Decimal(value)
        except InvalidOperation:
            gwei = Decimal("NaN")
        if not gwei.is_finite() or gwei < 0:
            raise click.BadParameter(f"not a fee in gwei: {value!r}", param=param)
    return _remember(ctx, param, gwei)  # type: ignore[no-any-return]


def tx_options(command: F) -> F:
    """--confirmations, --max-fee-gwei, --max-priority-fee-gwei, --timeout."""
    options = (
        click.option(
            "--confirmations", type=click.IntRange(1), default=1, show_default=True, expose_value=False,
            callback=_remember, help="Blocks each transaction waits for.",
        ),
        click.option(
            "--max-fee-gwei", metavar="GWEI", expose_value=False, callback=_gwei,
            help="Cap on the fee per gas (EIP-1559); refuse to send above it.",
        ),
        click.option(
            "--max-priority-fee-gwei", metavar="GWEI", expose_value=False, callback=_gwei,
            help="Cap on the priority fee (tip) per gas.",
        ),
        click.option(
            "--timeout", "tx_timeout", type=click.IntRange(1), default=300, show_default=True, expose_value=False,
            callback=_remember, help="Seconds to wait for each transaction.",
        ),
    )  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def cli_sender(w3: Web3) -> TxSender:
    """A TxSender with the current command's transaction options (defaults outside a command)."""
    ctx = click.get_current_context(silent=True)
    settings: dict[str, Any] = {} if ctx is None else ctx.meta.get(_META, {})
    return TxSender(
        w3,
        confirmations=settings.get("confirmations") or 1,
        timeout=float(settings.get("tx_timeout") or 300),
        fees=FeeCaps.from_gwei(settings.get("max_fee_gwei"), settings.get("max_priority_fee_gwei")),
    )


def cli_signer(keystore: Path | None, from_address: str | None) -> Signer:
    """The sending account: a key (keystore or $COMPUTE_RWA_PRIVATE_KEY), or (local chains) a
    node-unlocked address given with --from."""
    if from_address:
        if not Web3.is_address(from_address):
            raise click.BadParameter(f"not an address: {from_address!r}", param_hint="--from")
        return Web3.to_checksum_address(from_address)
    return load_signer(keystore)


def parse_positive(token: TokenInfo, text: str, hint: str) -> int:
    """`text` whole tokens ("2.5") as token units, above zero; a usage error naming `hint` if not."""
    try:
        amount = token.parse(text, hint)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.problem, param_hint=hint) from None
    if amount == 0:
        raise click.BadParameter("must be above zero", param_hint=hint)
    return amount
