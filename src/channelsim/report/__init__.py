"""The leadership report: charts and one self-contained HTML file that works offline.

Static charts are matplotlib (Agg) PNGs; the frontier and top-policies charts are interactive
plotly figures (hover: a policy's levers and intervals; click: filter the policy explorer), with
plotly.js inlined from the installed package. Sits on top of :mod:`channelsim.scenario` (it draws
a :class:`~channelsim.scenario.Comparison`); depends on matplotlib, plotly, numpy and pandas.
Nothing here runs a simulation.
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
from channelsim.report._html import FINDINGS, findings, render_html
from channelsim.report._interactive import (
    explorer_table,
    frontier_figure,
    hover_text,
    plotly_js,
    top_policies_figure,
)
from channelsim.report._write import ReportFiles, render_charts, write_report

__all__ = [
    "CHARTS",
    "FINDINGS",
    "ReportFiles",
    "differences_chart",
    "distribution_chart",
    "explorer_table",
    "figure_png",
    "findings",
    "frontier_chart",
    "frontier_figure",
    "hover_text",
    "maturity_chart",
    "plotly_js",
    "render_charts",
    "render_html",
    "top_policies_figure",
    "tornado_chart",
    "write_report",
]
