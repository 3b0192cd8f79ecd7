"""Write the report folder: ``report.html``, ``summary.csv`` and ``charts/*.png``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from channelsim._atomic import atomic_write_bytes
from channelsim.report._charts import CHARTS, figure_png
from channelsim.report._html import render_html
from channelsim.scenario import Comparison

__all__ = ["ReportFiles", "render_charts", "write_report"]


@dataclass
class ReportFiles:
    """Paths written by :func:`write_report`."""

    html: Path
    summary: Path
    charts: dict[str, Path] = field(default_factory=dict)


def render_charts(comp: Comparison) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, keyed by name (see ``CHARTS``).

    Examples
    --------
    >>> from channelsim.report import render_charts
    >>> callable(render_charts)
    True
    """
    return {name: figure_png(fn(comp)) for name, (fn, _) in CHARTS.items()}


def write_report(
    comp: Comparison, out_dir: str | os.PathLike, *, n_top: int = 10, interactive: bool = True
) -> ReportFiles:
    """Write the leadership report for a comparison into ``out_dir``.

    Writes ``report.html`` (self-contained and offline: interactive frontier and top-policies
    charts with plotly.js inlined from the installed package, the other charts as base64 PNGs,
    inline CSS, no network access), ``summary.csv`` (one row per policy: levers, plain-language
    changes, every objective's mean, difference from the status quo, interval, standard error,
    P(beats status quo) and rank, the overall rank and frontier flag; status quo first) and
    ``charts/<name>.png``. Each file is written to a temporary name and renamed.

    Parameters
    ----------
    comp : Comparison
        From :func:`channelsim.scenario.compare` or :func:`channelsim.scenario.run_scenario`.
    out_dir : path
        Created when missing.
    n_top : int
        Rows of the top-policies table.
    interactive : bool
        False writes the script-free page (every chart a PNG).

    Returns
    -------
    ReportFiles

    Examples
    --------
    >>> from channelsim.report import write_report
    >>> callable(write_report)
    True
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = render_charts(comp)
    charts = {}
    for name, png in images.items():
        path = out / "charts" / f"{name}.png"
        atomic_write_bytes(path, png)
        charts[name] = path
    captions = {name: cap for name, (_, cap) in CHARTS.items()}
    html_path = out / "report.html"
    atomic_write_bytes(
        html_path,
        render_html(comp, images, captions, n_top=n_top, interactive=interactive).encode("utf-8"),
    )
    csv_path = out / "summary.csv"
    atomic_write_bytes(csv_path, comp.summary_frame().to_csv(index=False).encode("utf-8"))
    return ReportFiles(html=html_path, summary=csv_path, charts=charts)
