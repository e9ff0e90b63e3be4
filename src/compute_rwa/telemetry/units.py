"""Parsing values the way GPU tools print them: units inside values (`631.95 W`, `100 %`),
`[N/A]` and `[Not Supported]` for unsupported fields. Malformed input raises
InvalidInputError naming the source and the field; unsupported input returns None. Numbers are
ASCII decimals (what the tools print); values beyond physical bounds are refused, never clipped."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext

from compute_rwa.errors import InvalidInputError

#: How tools say "this field is not available here".
UNAVAILABLE = {
    "[n/a]",
    "n/a",
    "[not supported]",
    "not supported",
    "[unknown error]",
    "[requested functionality has been deprecated]",
    "",
}

#: ASCII only: `\d` would also take other scripts' digits ("٣٠٠ W"), which no GPU tool prints.
_NUMBER_WITH_UNIT = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%]*)\s*$", re.ASCII)

#: Most power one GPU can draw, in watts. The largest boards draw about 1-3 kW (a GB200
#: superchip, 2.7 kW); a reading above this is garbage, not a measurement.
MAX_GPU_POWER_W = 10_000


def parse_quantity(
    raw: str, *, source: str, field: str, unit: str, scale: int, maximum: int | None = None
) -> int | None:
    """`raw` as an integer count of 1/`scale` of `unit` (e.g. unit "W", scale 1000 → mW).

    Accepts a bare number or a number followed by `unit`; rounds half up to the integer unit.
    `maximum` (in the scaled unit) is the largest physically possible value; above it the
    input is refused.
    """
    text = raw.strip()
    if text.lower() in UNAVAILABLE:
        return None
    match = _NUMBER_WITH_UNIT.match(text)
    if match is None:
        raise InvalidInputError(source, field, f"not a number: {raw!r}")
    number, found_unit = match.groups()
    if found_unit and found_unit.lower() != unit.lower():
        raise InvalidInputError(source, field, f"unit {found_unit!r}, expected {unit!r}: {raw!r}")
    try:
        with localcontext() as exact:  # every digit kept: the default 28 would round long inputs
            exact.prec = len(number) + len(str(scale))
            value = Decimal(number) * scale
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise InvalidInputError(source, field, f"not a number: {raw!r}") from None
    if value < 0:
        raise InvalidInputError(source, field, f"negative: {raw!r}")
    if maximum is not None and value > maximum:
        raise InvalidInputError(source, field, f"above {maximum / scale:g} {unit}, not a physical value: {raw!r}")
    return int(value.to_integral_value(rounding="ROUND_HALF_UP"))


def power_to_mw(raw: str, *, source: str, field: str) -> int | None:
    """A GPU's power draw (`631.95 W`, `631.95`) in milliwatts, checked to lie in 0-MAX_GPU_POWER_W."""
    return parse_quantity(raw, source=source, field=field, unit="W", scale=1000, maximum=MAX_GPU_POWER_W * 1000)


def percent_to_bps(raw: str, *, source: str, field: str) -> int | None:
    """A percentage (`87`, `87 %`, `99.67`) as basis points, checked to lie in 0-100%."""
    bps = parse_quantity(raw, source=source, field=field, unit="%", scale=100)
    if bps is not None and bps > 10_000:
        raise InvalidInputError(source, field, f"above 100%: {raw!r}")
    return bps
