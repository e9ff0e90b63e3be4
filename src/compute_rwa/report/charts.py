"""The dashboard's charts as PNG images, drawn with matplotlib's object API on its Agg canvas
(no pyplot, no display, no global state): metrics per asset over time, revenue per share over
time, the lease book as a timeline, and the health of every loan."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC

from matplotlib.axes import Axes
from matplotlib.dates import ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from compute_rwa.lease import LeaseStatus
from compute_rwa.market.models import MAX_UINT256, WAD
from compute_rwa.report.data import AssetMetrics, Dashboard, LeaseRow, MarketRow, MetricPoint

#: Pixels per inch of the PNGs (a 10 x 4 inch chart is 1100 x 440 pixels).
DPI = 110
_DAY = 86_400
#: Rows of the lease and loan charts at most (the tables list every one).
CHART_ROWS = 40
#: Health factors above this are drawn at it (the table has the exact value).
HEALTH_AXIS_MAX = 3.0

_INK = "#1f2933"
_GRID = "#d9e2ec"
_PALETTE = ("#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626")
_LEASE_COLOURS = {
    LeaseStatus.ACTIVE: "#2563eb",
    LeaseStatus.TERMINATED: "#d97706",
    LeaseStatus.PREEMPTED: "#7c3aed",
    LeaseStatus.CLOSED: "#64748b",
}


@dataclass(frozen=True)
class Chart:
    """One chart: its file name (without .png), title, text alternative and PNG bytes."""

    name: str
    title: str
    alt: str
    png: bytes

    @property
    def width(self) -> int:
        return int.from_bytes(self.png[16:20], "big")

    @property
    def height(self) -> int:
        return int.from_bytes(self.png[20:24], "big")


def draw_charts(dashboard: Dashboard) -> list[Chart]:
    """Every chart the data allows (a chart without data is left out, and its section says so)."""
    charts = [
        _metrics_chart(dashboard),
        _revenue_chart(dashboard),
        _lease_chart(dashboard.leases, dashboard.chain_time),
        _health_chart(dashboard.markets),
    ]
    return [chart for chart in charts if chart is not None]


def asset_label(dashboard: Dashboard, asset_id: int) -> str:
    """ "#3 H800 SXM5 80GB": the asset's id and its model without the vendor."""
    for row in dashboard.fleet:
        if row.spec.asset_id == asset_id:
            return f"#{asset_id} {row.spec.gpu_model.removeprefix('NVIDIA ')}"
    return f"#{asset_id}"


def _chart_label(dashboard: Dashboard, asset_id: int) -> str:
    """`asset_label` for matplotlib, which reads text between dollar signs as mathtext."""
    return asset_label(dashboard, asset_id).replace("$", r"\$")


# --------------------------------------------------------------------- charts


def _metrics_chart(dashboard: Dashboard) -> Chart | None:
    series = [m for m in dashboard.metrics if m.points]
    if not series:
        return None
    figure = _figure(10, 7.2)
    axes = figure.subplots(3, 1, sharex=True)
    rows: tuple[tuple[Axes, str, Callable[[MetricPoint], float]], ...] = (
        (axes[0], "utilization %", lambda p: p.utilization_bps / 100),
        (axes[1], "uptime %", lambda p: p.uptime_bps / 100),
        (axes[2], "efficiency GFLOPS/W", lambda p: float(p.efficiency_gflops_per_w)),
    )
    for index, metrics in enumerate(series):
        colour = _PALETTE[index % len(_PALETTE)]
        for ax, _label, value in rows:
            times, values = _with_gaps(metrics, dashboard.epoch_seconds or 3600, value)
            ax.plot(times, values, color=colour, linewidth=1.6, marker="o", markersize=2.5)
        voided = [p for p in metrics.points if p.voided]
        if voided:
            axes[1].scatter(
                [_time(p.start) for p in voided], [0.0] * len(voided), color="#dc2626", marker="x", zorder=3, s=36
            )
    for ax, label, _value in rows:
        _style(ax)
        ax.set_ylabel(label)
    axes[0].set_ylim(0, 100)
    axes[1].set_ylim(-4, 104)
    axes[0].set_title("Utilization, uptime and efficiency per epoch (MetricsOracle)", loc="left", color=_INK)
    _date_axis(axes[2])
    handles = [
        Patch(color=_PALETTE[i % len(_PALETTE)], label=_chart_label(dashboard, m.asset_id))
        for i, m in enumerate(series)
    ]
    if any(m.voided for m in series):
        handles.append(Patch(color="#dc2626", label="voided report (×)"))
    figure.legend(handles=handles, loc="lower center", ncols=min(len(handles), 4), frameon=False)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.16, hspace=0.12)
    reports = sum(len(m.points) for m in series)
    return Chart(
        "metrics",
        "Utilization, uptime and efficiency over time",
        f"Line charts of utilization, uptime and efficiency of {len(series)} asset(s) over {reports} oracle reports.",
        _png(figure),
    )


def _revenue_chart(dashboard: Dashboard) -> Chart | None:
    if not dashboard.revenue:
        return None
    decimals = {row.spec.asset_id: row.payment.decimals for row in dashboard.fleet}
    registered = {row.spec.asset_id: row.spec.registered_at for row in dashboard.fleet}
    symbols = sorted({row.payment.symbol for row in dashboard.fleet})
    figure = _figure(10, 4.8)
    ax = figure.subplots()
    asset_ids = sorted({p.asset_id for p in dashboard.revenue})
    for index, asset_id in enumerate(asset_ids):
        points = [p for p in dashboard.revenue if p.asset_id == asset_id]
        scale = 10 ** decimals.get(asset_id, 0)
        first = min(registered.get(asset_id, points[0].timestamp), points[0].timestamp)
        times = [_time(first), *(_time(p.timestamp) for p in points), _time(dashboard.chain_time)]
        values = [0.0, *(p.revenue_per_share / scale for p in points), points[-1].revenue_per_share / scale]
        colour = _PALETTE[index % len(_PALETTE)]
        ax.step(times, values, where="post", color=colour, linewidth=1.8, label=_chart_label(dashboard, asset_id))
        ax.plot(times[1:-1], values[1:-1], "o", color=colour, markersize=2.5)
    _style(ax)
    _date_axis(ax)
    ax.set_ylabel(f"per share, {symbols[0]}" if len(symbols) == 1 else "per share, payment token")
    ax.set_title("Revenue paid to holders per share, cumulative", loc="left", color=_INK)
    figure.legend(loc="lower center", ncols=min(len(asset_ids), 4), frameon=False)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.28)
    return Chart(
        "revenue_per_share",
        "Revenue per share over time",
        f"Step chart of cumulative revenue per share of {len(asset_ids)} asset(s) over "
        f"{len(dashboard.revenue)} payments.",
        _png(figure),
    )


def _lease_chart(book: Sequence[LeaseRow], now: int) -> Chart | None:
    if not book:
        return None
    leases = book[-CHART_ROWS:]
    figure = _figure(10, max(2.6, 1.4 + 0.36 * len(leases)))
    ax = figure.subplots()
    for row, lease in enumerate(leases):
        colour = _LEASE_COLOURS.get(lease.lease.status, "#64748b")
        start, end, settled = _time(lease.starts_at), _time(lease.ends_at), _time(lease.settled_until)
        ax.barh(row, end - start, left=start, height=0.6, color=colour, alpha=0.3, edgecolor=colour)
        if lease.settled_until > lease.starts_at:
            ax.barh(row, settled - start, left=start, height=0.6, color=colour)
    ax.axvline(_time(now), color="#dc2626", linewidth=1.2, linestyle="--")
    ax.set_yticks(range(len(leases)))
    ax.set_yticklabels([f"lease {r.lease.lease_id} · asset {r.lease.asset_id} · {r.lease.gpus} GPU" for r in leases])
    ax.invert_yaxis()
    _style(ax)
    _date_axis(ax)
    shown = "" if len(leases) == len(book) else f" (newest {len(leases)} of {len(book)})"
    ax.set_title(f"Lease book{shown}: booked epochs, solid once settled; dashed: now", loc="left", color=_INK)
    statuses = sorted({r.lease.status for r in leases})
    figure.legend(
        handles=[Patch(color=_LEASE_COLOURS.get(s, "#64748b"), label=s.name.lower()) for s in statuses],
        frameon=False,
        loc="lower center",
        ncols=len(statuses),
    )
    height = figure.get_figheight()
    figure.subplots_adjust(left=0.26, right=0.98, top=1 - 0.35 / height, bottom=0.95 / height)
    return Chart(
        "leases",
        "Lease book timeline",
        f"Timeline of {len(leases)} lease(s){shown}: booked and settled epochs, coloured by status.",
        _png(figure),
    )


def _health_chart(markets: Sequence[MarketRow]) -> Chart | None:
    indebted = [
        (market, position)
        for market in markets
        for position in market.positions
        if position.has_debt and position.health_factor is not None
    ]
    if not indebted:
        return None
    bars = sorted(indebted, key=lambda bar: _health(bar[1].health_factor))[:CHART_ROWS]
    figure = _figure(10, max(2.2, 1.0 + 0.42 * len(bars)))
    ax = figure.subplots()
    values = [min(_health(position.health_factor), HEALTH_AXIS_MAX) for _market, position in bars]
    colours = ["#dc2626" if v < 1 else "#d97706" if v < 1.1 else "#059669" for v in values]
    ax.barh(range(len(bars)), values, color=colours, height=0.6)
    for row, value in enumerate(values):
        text = f"{value:.2f}" if value < HEALTH_AXIS_MAX else f"≥ {HEALTH_AXIS_MAX:.0f}"
        ax.text(value + 0.03, row, text, va="center", color=_INK, fontsize=9)
    ax.axvline(1.0, color="#dc2626", linewidth=1.2, linestyle="--")
    ax.set_yticks(range(len(bars)))
    ax.set_yticklabels([f"asset {m.info.asset_id} · {p.borrower[:8]}…{p.borrower[-4:]}" for m, p in bars])
    ax.invert_yaxis()
    ax.set_xlim(0, HEALTH_AXIS_MAX + 0.35)
    _style(ax)
    ax.set_xlabel("health factor (debt limit ÷ debt); liquidatable below 1")
    shown = "" if len(bars) == len(indebted) else f", the {len(bars)} lowest of {len(indebted)}"
    ax.set_title(f"Loan health per borrower (LendingMarket, ShareValuator price{shown})", loc="left", color=_INK)
    figure.subplots_adjust(left=0.26, right=0.98, top=0.86, bottom=max(0.16, 0.6 / figure.get_figheight()))
    return Chart(
        "loan_health",
        "Loan health",
        f"Bar chart of the health factor of {len(bars)} borrowing position(s); below 1 is liquidatable.",
        _png(figure),
    )


# --------------------------------------------------------------------- helpers


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, facecolor="white")


def _health(factor: int | None) -> float:
    """A health factor (WAD; 2**256 - 1 without debt) as a float; None (no price) as infinite."""
    return math.inf if factor is None or factor == MAX_UINT256 else factor / WAD


def _style(ax: Axes) -> None:
    ax.grid(True, color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=_INK, labelsize=9)


def _date_axis(ax: Axes) -> None:
    ax.xaxis_date(tz=UTC)
    formatter = ConciseDateFormatter(ax.xaxis.get_major_locator(), tz=UTC)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)
    ax.set_xlabel("chain time (UTC)")


def _time(timestamp: int) -> float:
    """A unix time as matplotlib's date number: days since 1970-01-01 (its default epoch)."""
    return timestamp / _DAY


def _with_gaps(
    metrics: AssetMetrics, epoch_seconds: int, value: Callable[[MetricPoint], float]
) -> tuple[list[float], list[float]]:
    """Valid points as a line that breaks where epochs are missing or voided."""
    times: list[float] = []
    values: list[float] = []
    previous: MetricPoint | None = None
    for point in metrics.valid:
        if previous is not None and point.epoch != previous.epoch + 1:
            times.append(_time(previous.start + epoch_seconds))
            values.append(math.nan)
        times.append(_time(point.start))
        values.append(value(point))
        previous = point
    return times, values


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
