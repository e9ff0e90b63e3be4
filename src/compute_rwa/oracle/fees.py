"""Transaction fees: EIP-1559 or legacy (`Fees`), and the fees of a replacement (`bump_fees`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fees (`max_fee`, `tip`), or a legacy `gas_price` on chains without a base fee."""

    max_fee: int | None = None
    tip: int | None = None
    gas_price: int | None = None

    @property
    def highest(self) -> int:
        """The most a unit of gas may cost under these fees."""
        return self.gas_price if self.gas_price is not None else int(self.max_fee or 0)

    def params(self) -> dict[str, int]:
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        assert self.max_fee is not None and self.tip is not None
        return {"maxFeePerGas": self.max_fee, "maxPriorityFeePerGas": self.tip, "type": 2}

    def describe(self) -> str:
        if self.gas_price is not None:
            return f"gasPrice {self.gas_price / 1e9:.3f} gwei"
        return f"maxFee {int(self.max_fee or 0) / 1e9:.3f} gwei, tip {int(self.tip or 0) / 1e9:.3f} gwei"


def bump_fees(old: Fees, fresh: Fees, factor: float) -> Fees:
    """Fees of a replacement: every old fee times `factor` and at least +10% (+1 wei) - nodes refuse
    a replacement that does not raise both the fee cap and the tip by 10% - and never below what
    the chain asks now (`fresh`), so that a replacement after a base-fee rise is not stuck too."""

    exact = Fraction(repr(factor))  # 1.125 is 9/8: no float rounding in wei amounts

    def up(value: int) -> int:
        return max(math.ceil(value * exact), value + value // 10 + 1)

    if old.gas_price is not None:
        return Fees(gas_price=max(up(old.gas_price), fresh.highest))
    assert old.max_fee is not None and old.tip is not None
    tip = max(up(old.tip), fresh.tip or 0)
    max_fee = max(up(old.max_fee), fresh.max_fee or 0, tip)
    return Fees(max_fee=max_fee, tip=tip)


def fee_columns(fees: Fees) -> dict[str, int | None]:
    return {"max_fee": fees.max_fee, "tip": fees.tip, "gas_price": fees.gas_price}
