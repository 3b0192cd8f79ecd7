"""Interactive report charts (plotly) and the policy explorer they filter.

The frontier and the top-policies charts are plotly figures: hovering a point shows the policy's
levers and its differences from the status quo with their intervals; clicking a point filters the
policy explorer table below to that policy. No point carries a text label on the chart (labels
of thousands of policies cannot help overlapping); highlighted policies are named in the legend.

plotly's JavaScript comes from the installed ``plotly`` package (:func:`plotly_js`) and is inlined
once in the page, so the report stays one file that works offline; nothing is fetched from a
CDN. The chart builders take a :class:`~channelsim.scenario.Comparison` only and are reused by
any report section that shows policies as points.

Depends on plotly, numpy and pandas.
"""

from __future__ import annotations

import html

import numpy as np

from channelsim.scenario import OBJECTIVES, Comparison, lever_label

__all__ = [
    "EXPLORER_JS",
    "explorer_table",
    "figure_div",
    "frontier_figure",
    "hover_text",
    "plotly_js",
    "top_policies_figure",
]

SQ_COLOR = "#4d4d4d"
PALETTE = ["#1b6ca8", "#e07b39", "#3a9d5d", "#b83b5e", "#7c5cbf", "#c2a633", "#2aa1a6"]
GREY = "#b9c0c7"


def plotly_js() -> str:
    """plotly.js as shipped inside the installed ``plotly`` wheel (inlined in the report).

    Examples
    --------
    >>> len(plotly_js()) > 1_000_000
    True
    """
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _e(x) -> str:
    return html.escape(str(x))


def _fmt_level(v) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.3g}"
    return str(v).replace("_", " ")


def _names(comp: Comparison) -> list[str]:
    return list(dict.fromkeys([*comp.objectives, *comp.frontier]))


def hover_text(comp: Comparison, p: int) -> str:
    """Tooltip of policy ``p``: rank, levers, and each objective's change with its interval.

    Examples
    --------
    >>> callable(hover_text)
    True
    """
    t = comp.table.loc[p]
    head = (
        "<b>status quo</b>"
        if p == 0
        else f"<b>policy {p}</b> (rank {int(t['rank'])}"
        + (", on the frontier)" if t["on_frontier"] else ")")
    )
    levers = "<br>".join(f"{_e(lever_label(k))}: {_e(_fmt_level(t[k]))}" for k in comp.levers)
    lines = []
    for m in _names(comp):
        obj = OBJECTIVES[m]
        if p == 0:
            lines.append(f"{_e(obj.label)}: {obj.format(t[m])}")
        else:
            lines.append(
                f"{_e(obj.label)}: {obj.format(t[f'{m}_diff'], diff=True)} "
                f"[{obj.format(t[f'{m}_lo'], diff=True)}, {obj.format(t[f'{m}_hi'], diff=True)}]"
            )
    note = "" if p == 0 else f"<br><i>changes vs status quo, {comp.level:.0%} intervals</i>"
    return f"{head}<br>{levers}<br>{'<br>'.join(lines)}{note}"


def _scale(name: str) -> tuple[float, str]:
    return (100.0, " (%)") if OBJECTIVES[name].percent else (1.0, "")


def _better(name: str) -> str:
    return "higher is better" if OBJECTIVES[name].sense == "max" else "lower is better"


def _layout(title: str, **kw) -> dict:
    return {
        "title": {"text": title, "x": 0.01, "font": {"size": 15}},
        "template": "plotly_white",
        "margin": {"l": 70, "r": 20, "t": 50, "b": 60},
        "hoverlabel": {"align": "left", "font": {"size": 12}},
        "legend": {"orientation": "h", "y": -0.18},
        **kw,
    }


def frontier_figure(comp: Comparison):
    """Every policy on the two frontier objectives, the Pareto frontier and the top policies.

    Returns a ``plotly.graph_objects.Figure``; each point's ``customdata`` is
    ``[policy, tooltip]``.

    Examples
    --------
    >>> callable(frontier_figure)
    True
    """
    import plotly.graph_objects as go

    xname, yname = comp.frontier
    sx, ux = _scale(xname)
    sy, uy = _scale(yname)
    t = comp.table
    tips = {int(p): hover_text(comp, int(p)) for p in t.index}

    def trace(idx, **kw):
        idx = [int(p) for p in idx]
        return go.Scatter(
            x=(t.loc[idx, xname] * sx).tolist(),
            y=(t.loc[idx, yname] * sy).tolist(),
            customdata=[[p, tips[p]] for p in idx],
            hovertemplate="%{customdata[1]}<extra></extra>",
            **kw,
        )

    fig = go.Figure()
    fig.add_trace(
        trace(
            t.index,
            mode="markers",
            name="policies",
            marker={"color": GREY, "size": 6 if len(t) > 200 else 9},
        )
    )
    front = t[t["on_frontier"]].sort_values(xname)
    fig.add_trace(
        trace(
            front.index,
            mode="lines+markers",
            name="frontier (no policy does better on both)",
            line={"color": PALETTE[0], "width": 2},
            marker={"color": PALETTE[0], "size": 8},
        )
    )
    for i, p in enumerate(comp.highlight):
        fig.add_trace(
            trace(
                [p],
                mode="markers",
                name="status quo" if p == 0 else f"policy {p} (rank {int(t.loc[p, 'rank'])})",
                marker={
                    "color": SQ_COLOR if p == 0 else PALETTE[(i - 1) % len(PALETTE)],
                    "size": 16 if p == 0 else 11,
                    "symbol": "star" if p == 0 else "diamond",
                    "line": {"color": "white", "width": 1},
                },
            )
        )
    fig.update_layout(
        **_layout(
            "Forecast accuracy vs quota attainment, every policy",
            height=560,
            xaxis={"title": {"text": f"{OBJECTIVES[xname].label}{ux} ({_better(xname)})"}},
            yaxis={"title": {"text": f"{OBJECTIVES[yname].label}{uy} ({_better(yname)})"}},
            hovermode="closest",
        )
    )
    return fig


def top_policies_figure(comp: Comparison, n: int = 10):
    """The top policies' change in the primary objective with its interval (one row each).

    Examples
    --------
    >>> callable(top_policies_figure)
    True
    """
    import plotly.graph_objects as go

    name = comp.primary
    s, unit = _scale(name)
    top = comp.top(n, distinct=len(comp.preset_levers) < len(comp.levers))
    pols = [int(p) for p in top.index][::-1]  # best on top
    t = comp.table
    d = t.loc[pols]
    fig = go.Figure(
        go.Scatter(
            x=(d[f"{name}_diff"] * s).tolist(),
            y=[f"policy {p}" for p in pols],
            mode="markers",
            marker={"color": PALETTE[0], "size": 11},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": ((d[f"{name}_hi"] - d[f"{name}_diff"]) * s).tolist(),
                "arrayminus": ((d[f"{name}_diff"] - d[f"{name}_lo"]) * s).tolist(),
                "color": PALETTE[0],
                "thickness": 1.5,
            },
            customdata=[[p, hover_text(comp, p)] for p in pols],
            hovertemplate="%{customdata[1]}<extra></extra>",
            name="top policies",
            showlegend=False,
        )
    )
    fig.add_vline(x=0, line={"color": SQ_COLOR, "dash": "dot", "width": 1})
    fig.update_layout(
        **_layout(
            f"Top policies: change in {OBJECTIVES[name].label} against the status quo "
            f"({comp.level:.0%} interval)",
            height=max(260, 34 * len(pols) + 120),
            xaxis={"title": {"text": f"difference in {OBJECTIVES[name].label}{unit}"}},
            yaxis={"automargin": True},
            hovermode="closest",
        )
    )
    return fig


def figure_div(fig, div_id: str) -> str:
    """A figure as an HTML ``<div>`` plus its inline plotting script (plotly.js not included).

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> "Plotly.newPlot" in figure_div(go.Figure(), "x")
    True
    """
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )


def explorer_table(comp: Comparison, n_show: int = 20) -> str:
    """Every policy in one table (rank order); the best ``n_show`` shown until a point is clicked.

    Examples
    --------
    >>> callable(explorer_table)
    True
    """
    names = _names(comp)
    order = [0, *[int(p) for p in comp.top(len(comp.table)).index]]
    head = "".join(f"<th>{_e(OBJECTIVES[m].label)}</th>" for m in names)
    rows = []
    for i, p in enumerate(order):
        t = comp.table.loc[p]
        cells = []
        for m in names:
            obj = OBJECTIVES[m]
            if p == 0:
                cells.append(f"<td class='num'>{obj.format(t[m])}</td>")
                continue
            good, bad = obj.sign * t[f"{m}_lo"] > 0, obj.sign * t[f"{m}_hi"] < 0
            cls = "good" if good else "bad" if bad else ""
            cells.append(
                f"<td class='num {cls}'>{obj.format(t[f'{m}_diff'], diff=True)} <span class='note'>"
                f"[{obj.format(t[f'{m}_lo'], diff=True)}, {obj.format(t[f'{m}_hi'], diff=True)}]"
                "</span></td>"
            )
        tag = "<span class='tag'>frontier</span>" if t["on_frontier"] else ""
        label = "<b>status quo</b>" if p == 0 else f"policy {p} {tag}"
        rank = "" if p == 0 else int(t["rank"])
        hidden = "" if i <= n_show else " hidden"
        rows.append(
            f"<tr data-policy='{p}' data-frontier='{int(bool(t['on_frontier']))}' "
            f"data-top='{int(i <= n_show)}'{hidden}><td class='num'>{rank}</td><td>{label}</td>"
            f"<td class='changes'>{_e(t['changes'])}</td>{''.join(cells)}</tr>"
        )
    return (
        "<div class='explorer-bar'><span id='explorer-status'>Showing the status quo and the "
        f"{min(n_show, len(order) - 1)} best of {len(order) - 1:,} policies. Click a point in a chart "
        "to see that policy.</span> <button type='button' data-show='top'>best</button>"
        "<button type='button' data-show='frontier'>frontier</button>"
        "<button type='button' data-show='all'>all</button></div>"
        "<table id='explorer'><thead><tr><th>rank</th><th>policy</th><th>what changes from "
        f"today</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


#: Inline script: clicking a chart point filters the explorer; the buttons reset it.
EXPLORER_JS = """
(function () {
  var table = document.getElementById('explorer');
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var status = document.getElementById('explorer-status');
  function show(test, text) {
    var n = 0;
    rows.forEach(function (r) { var on = test(r); r.hidden = !on; if (on) { n += 1; } });
    status.textContent = text.replace('{n}', n);
  }
  window.channelsimShowPolicy = function (p) {
    show(function (r) { return r.dataset.policy === String(p) || r.dataset.policy === '0'; },
         'Showing policy ' + p + ' beside the status quo. ');
  };
  document.querySelectorAll('.explorer-bar button').forEach(function (b) {
    b.addEventListener('click', function () {
      var k = b.dataset.show;
      show(function (r) {
        return k === 'all' || r.dataset.policy === '0' ||
          (k === 'top' ? r.dataset.top === '1' : r.dataset.frontier === '1');
      }, 'Showing {n} rows (' + k + ').');
    });
  });
  document.querySelectorAll('.cs-plot .plotly-graph-div').forEach(function (gd) {
    if (!gd.on) { return; }
    gd.on('plotly_click', function (ev) {
      if (ev && ev.points && ev.points.length) {
        window.channelsimShowPolicy(ev.points[0].customdata[0]);
        table.scrollIntoView({behavior: 'smooth', block: 'start'});
      }
    });
  });
})();
"""
