"""The median of several operators' observations: the reports a transmitter proposes for signing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from compute_rwa.errors import InvalidInputError
from compute_rwa.oracle.reports import Report
from compute_rwa.oracle.tolerance import METRIC_FIELDS

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- median


@dataclass(frozen=True)
class Consensus:
    """The agreed reports, and the keys left out with the reason."""

    reports: list[Report]
    dropped: dict[tuple[int, int], str] = field(default_factory=dict)


def consensus(observations: Sequence[Sequence[Report]], *, min_observers: int = 1) -> Consensus:
    """Per (asset, epoch): the per-field lower median over the observers that reported it, so
    every value is one observer's integer. A key needs `min_observers` observers whose inventory
    hashes all agree, else it is dropped (and named in `dropped`). One report per observer and
    key counts (the first). Reports come out ordered by (epoch, asset)."""
    if min_observers < 1:
        raise InvalidInputError("median", "min_observers", f"{min_observers}, must be >= 1")
    by_key: dict[tuple[int, int], list[Report]] = {}
    for observed in observations:
        mine: dict[tuple[int, int], Report] = {}
        for r in observed:
            mine.setdefault(r.key, r)
        for key, r in mine.items():
            by_key.setdefault(key, []).append(r)
    agreed, dropped = [], {}
    for key in sorted(by_key, key=lambda k: (k[1], k[0])):
        reports = by_key[key]
        if len(reports) < min_observers:
            dropped[key] = f"{len(reports)} observer(s), {min_observers} needed"
            continue
        hashes = {r.inventory_hash for r in reports}
        if len(hashes) > 1:
            dropped[key] = f"observers disagree on the inventory hash ({len(hashes)} distinct)"
            continue
        values = {name: sorted(getattr(r, name) for r in reports)[(len(reports) - 1) // 2] for name in METRIC_FIELDS}
        agreed.append(Report(asset_id=key[0], epoch=key[1], inventory_hash=reports[0].inventory_hash, **values))
    return Consensus(agreed, dropped)


def median_reports(observations: list[list[Report]], *, min_observers: int = 1) -> list[Report]:
    """The agreed reports of `consensus`; dropped keys are logged as warnings."""
    result = consensus(observations, min_observers=min_observers)
    for (asset_id, epoch), reason in result.dropped.items():
        log.warning("asset %d epoch %d left out: %s", asset_id, epoch, reason)
    return result.reports
