"""Test helpers: assertions on decoded custom errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from compute_rwa import ContractRevertError

FIGURES: list[str] = []
"""Campaign sizes and fault counts, printed together at the end of the run (pytest captures a
test's own output), so `make test` shows them whether or not the tests pass."""


def report_figures(line: str) -> None:
    FIGURES.append(line.strip())
    print(line)


@contextmanager
def reverts(error_name: str, **expected_args: Any) -> Iterator[pytest.ExceptionInfo[ContractRevertError]]:
    """Asserts that the block reverts with custom error `error_name` and these argument values."""
    with pytest.raises(ContractRevertError) as info:
        yield info
    assert info.value.error_name == error_name, str(info.value)
    for key, value in expected_args.items():
        assert info.value.args_by_name[key] == value, f"{key}: {info.value}"


def b32(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


def holders_part(amount: int, operator_bps: int = 1000, protocol_bps: int = 500, reserve_bps: int = 500) -> int:
    """The holders' part of a payment after the waterfall (each fee rounds down)."""
    fees = sum(amount * bps // 10_000 for bps in (operator_bps, protocol_bps, reserve_bps))
    return amount - fees
