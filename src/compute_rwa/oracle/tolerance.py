"""What a signer accepts: how far a proposed report may lie from its own observation
(`Tolerances`), and why it refuses one (`Refusal`, `SigningRefusedError`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from compute_rwa.errors import QuorumError
from compute_rwa.oracle.reports import Report

BPS = 10_000

#: The report's measured fields, each checked against a tolerance (the inventory hash must match).
METRIC_FIELDS = ("utilization_bps", "uptime_bps", "gpu_hours_milli", "energy_wh", "avg_power_w")


# ---------------------------------------------------------------------------- tolerances


@dataclass(frozen=True)
class Refusal:
    """Why a signer will not sign one report: `field` names the report field at fault (or
    `observation` when the signer has none, `equivocation` when it signed other values)."""

    asset_id: int
    epoch: int
    field: str
    proposed: int | str | None
    observed: int | str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "epoch": self.epoch,
            "field": self.field,
            "proposed": self.proposed,
            "observed": self.observed,
            "reason": self.reason,
        }

    def describe(self) -> str:
        return (
            f"asset {self.asset_id} epoch {self.epoch} {self.field}: proposed {self.proposed}, "
            f"observed {self.observed} ({self.reason})"
        )


@dataclass(frozen=True)
class Tolerances:
    """How far a proposed report may lie from the signer's own observation.

    Utilization and uptime: +-`bps_abs` basis points (absolute). GPU-hours, energy and average
    power: +-`relative_bps` of the observed value, or the field's absolute floor when that is
    larger (values near zero). The inventory hash must be identical.
    """

    bps_abs: int = 200
    relative_bps: int = 500
    gpu_hours_milli_floor: int = 10
    energy_wh_floor: int = 10
    avg_power_w_floor: int = 5

    def allowed(self, name: str, observed: int) -> int:
        """The largest accepted |proposed - observed| for field `name`."""
        if name in ("utilization_bps", "uptime_bps"):
            return self.bps_abs
        floor = {
            "gpu_hours_milli": self.gpu_hours_milli_floor,
            "energy_wh": self.energy_wh_floor,
            "avg_power_w": self.avg_power_w_floor,
        }[name]
        return max(floor, observed * self.relative_bps // BPS)

    def check(self, proposed: Report, observed: Report) -> list[Refusal]:
        """Every field of `proposed` outside tolerance of `observed` (empty: acceptable)."""
        a, e = proposed.asset_id, proposed.epoch
        refused = []
        if proposed.inventory_hash != observed.inventory_hash:
            refused.append(
                Refusal(
                    a,
                    e,
                    "inventory_hash",
                    "0x" + proposed.inventory_hash.hex(),
                    "0x" + observed.inventory_hash.hex(),
                    "inventory hash differs",
                )
            )
        for name in METRIC_FIELDS:
            p, o = getattr(proposed, name), getattr(observed, name)
            bound = self.allowed(name, o)
            if abs(p - o) > bound:
                refused.append(Refusal(a, e, name, p, o, f"differs by {abs(p - o)}, tolerance {bound}"))
        return refused


class SigningRefusedError(QuorumError):
    """A signer refused a batch; `refusals` lists each report field at fault."""

    def __init__(self, signer: str, refusals: Sequence[Refusal]) -> None:
        self.signer = signer
        self.refusals = tuple(refusals)
        super().__init__(f"signer {signer} refused: " + "; ".join(r.describe() for r in refusals))
