"""The leadership report: charts (matplotlib, Agg) and one self-contained HTML file.

Sits on top of :mod:`channelsim.scenario` (it draws a :class:`~channelsim.scenario.Comparison`);
depends on matplotlib, numpy and pandas. Nothing here runs a simulation.
"""

from channelsim.report._charts import (
    CHARTS,
    differences_chart,
    distribution_chart,
    figure_png,
    frontier_chart,
    maturity_chart,
    tornado_chart,
)
from channelsim.report._html import findings, render_html
from channelsim.report._write import ReportFiles, render_charts, write_report

__all__ = [
    "CHARTS",
    "ReportFiles",
    "differences_chart",
    "distribution_chart",
    "figure_png",
    "findings",
    "frontier_chart",
    "maturity_chart",
    "render_charts",
    "render_html",
    "tornado_chart",
    "write_report",
]
