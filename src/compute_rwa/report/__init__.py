"""The dashboard: on-chain data read through the project's clients (`data`), drawn as charts
(`charts`, matplotlib), rendered as one self-contained HTML page (`render`, Jinja2) and written
with the charts as PNGs (`writer`). `compute-rwa report` is its command line."""

from compute_rwa.report.charts import Chart, draw_charts
from compute_rwa.report.data import (
    AssetMetrics,
    Dashboard,
    FleetRow,
    LeaseRow,
    MarketRow,
    MetricPoint,
    RevenuePoint,
    RevenueSource,
    ShareAccumulator,
    collect,
)
from compute_rwa.report.render import render_html
from compute_rwa.report.writer import HTML_NAME, ReportFiles, write_report

__all__ = [
    "HTML_NAME",
    "AssetMetrics",
    "Chart",
    "Dashboard",
    "FleetRow",
    "LeaseRow",
    "MarketRow",
    "MetricPoint",
    "ReportFiles",
    "RevenuePoint",
    "RevenueSource",
    "ShareAccumulator",
    "collect",
    "draw_charts",
    "render_html",
    "write_report",
]
