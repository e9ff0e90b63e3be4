"""Writes the dashboard: `index.html` (self-contained) and each chart as a PNG beside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compute_rwa.errors import InvalidInputError
from compute_rwa.report.charts import draw_charts
from compute_rwa.report.data import Dashboard
from compute_rwa.report.render import render_html

HTML_NAME = "index.html"


@dataclass(frozen=True)
class ReportFiles:
    """What `write_report` wrote."""

    html: Path
    charts: tuple[Path, ...]

    def to_json(self) -> dict[str, Any]:
        return {"html": str(self.html), "charts": [str(path) for path in self.charts]}


def write_report(dashboard: Dashboard, out: Path) -> ReportFiles:
    """Draws the charts, renders the page and writes both under `out` (created if needed;
    files of an earlier report there are replaced)."""
    charts = draw_charts(dashboard)
    html = render_html(dashboard, charts)
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for chart in charts:
            path = out / f"{chart.name}.png"
            path.write_bytes(chart.png)
            paths.append(path)
        page = out / HTML_NAME
        page.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError("report", "out", f"cannot write under {out}: {exc.strerror or exc}") from None
    return ReportFiles(page, tuple(paths))
