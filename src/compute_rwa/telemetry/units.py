"""Parsing values the way GPU tools print them: units inside values (`631.95 W`, `100 %`),
`[N/A]` and `[Not Supported]` for unsupported fields. Malformed input raises
InvalidInputError naming the source and the field; unsupported input returns None."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

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

_NUMBER_WITH_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z%]*)\s*$")


def parse_quantity(raw: str, *, source: str, field: str, unit: str, scale: int) -> int | None:
    """`raw` as an integer count of 1/`scale` of `unit` (e.g. unit "W", scale 1000 → mW).

    Accepts a bare number or a number followed by `unit`; rounds half up to the integer unit.
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
        value = Decimal(number) * scale
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise InvalidInputError(source, field, f"not a number: {raw!r}") from None
    if value < 0:
        raise InvalidInputError(source, field, f"negative: {raw!r}")
    return int(value.to_integral_value(rounding="ROUND_HALF_UP"))


def percent_to_bps(raw: str, *, source: str, field: str) -> int | None:
    """A percentage (`87`, `87 %`, `99.67`) as basis points, checked to lie in 0-100%."""
    bps = parse_quantity(raw, source=source, field=field, unit="%", scale=100)
    if bps is not None and bps > 10_000:
        raise InvalidInputError(source, field, f"above 100%: {raw!r}")
    return bps
