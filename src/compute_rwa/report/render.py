"""The dashboard as one self-contained HTML page: a Jinja2 template (autoescaped: asset models,
regions and token symbols come from the chain and are escaped), the stylesheet inline, and the
charts inlined as data: URIs. A Content-Security-Policy forbids the page any fetch, script or
frame, so opening it never touches the network."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from compute_rwa.lease import TokenInfo
from compute_rwa.market.models import MAX_UINT256, WAD
from compute_rwa.report.charts import Chart, asset_label
from compute_rwa.report.data import Dashboard, RevenueSource

#: Whole shares have 18 decimals (1 share = 1 GPU).
SHARE = 10**18


def render_html(dashboard: Dashboard, charts: list[Chart]) -> str:
    template = _environment().get_template("dashboard.html.j2")
    payment_tokens = {row.spec.asset_id: row.payment for row in dashboard.fleet}
    return template.render(
        d=dashboard,
        counts=dashboard.counts(),
        charts={chart.name: chart for chart in charts},
        label=lambda asset_id: asset_label(dashboard, asset_id),
        payment=lambda asset_id: payment_tokens.get(asset_id),
        payments=_payments(dashboard),
    )


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("compute_rwa.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        pct=pct,
        wad_pct=wad_pct,
        health=health,
        shares=shares,
        short=short,
        when=when,
        data_uri=data_uri,
    )
    return env


def _payments(dashboard: Dashboard) -> list[dict[str, Any]]:
    """Per asset: accruals to holders by source, what was paid in, and the latest one's time."""
    out = []
    for row in dashboard.fleet:
        points = [p for p in dashboard.revenue if p.asset_id == row.spec.asset_id]
        out.append(
            {
                "row": row,
                "count": len(points),
                **{source.value: sum(p.source is source for p in points) for source in RevenueSource},
                "to_holders": sum(p.to_holders for p in points),
                "last": max((p.timestamp for p in points), default=None),
            }
        )
    return out


# --------------------------------------------------------------------- filters


def money(amount: int | None, token: TokenInfo) -> str:
    """Token units as whole tokens to the cent: 1234567891, 6 decimals -> "1,234.57 dUSD"."""
    if amount is None:
        return "—"
    return f"{amount / 10**token.decimals:,.2f} {token.symbol}"


def pct(bps: int | None) -> str:
    return "—" if bps is None else f"{bps / 100:.2f}%"


def wad_pct(value: int) -> str:
    return f"{value * 100 / WAD:.2f}%"


def health(factor: int | None) -> str:
    if factor is None:
        return "no price"
    if factor == MAX_UINT256:
        return "no debt"
    return f"{factor / WAD:.3f}"


def shares(units: int) -> str:
    return f"{units / SHARE:,.4f}".rstrip("0").rstrip(".")


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def when(timestamp: int | None, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    if timestamp is None:
        return "—"
    return datetime.fromtimestamp(timestamp, UTC).strftime(fmt)


def data_uri(chart: Chart) -> str:
    return "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
