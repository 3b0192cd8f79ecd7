"""The self-contained HTML report: inline CSS and JavaScript, static charts as base64 PNGs.

The frontier and top-policies charts are interactive (plotly, its JavaScript inlined from the
installed package, see :mod:`channelsim.report._interactive`); the page fetches nothing and opens
offline. ``interactive=False`` gives the older script-free page with PNG charts only.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from channelsim.provenance import VERSION_KEY
from channelsim.report._interactive import (
    EXPLORER_JS,
    explorer_table,
    figure_div,
    frontier_figure,
    plotly_js,
    top_policies_figure,
)
from channelsim.scenario import OBJECTIVES, Comparison, lever_label

__all__ = ["FINDINGS", "findings", "render_html"]

CSS = """
:root { --ink:#1d2733; --muted:#5b6775; --line:#dde2e7; --accent:#1b6ca8; --good:#1f7a3a;
        --bad:#a33a3a; --bg:#ffffff; --panel:#f5f7f9; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: var(--bg); margin: 0; line-height: 1.45; font-size: 15px; }
header { background: #12344d; color: #fff; padding: 28px 48px 22px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 650; }
header .question { font-size: 17px; margin: 0 0 10px; color: #d8e6f2; }
header .run { font-size: 13px; color: #a9c3d8; margin: 0; }
nav { padding: 10px 48px; border-bottom: 1px solid var(--line); font-size: 13px;
      background: var(--panel); }
nav a { color: var(--accent); margin-right: 16px; text-decoration: none; }
main { padding: 8px 48px 40px; max-width: 1180px; }
h2 { font-size: 20px; margin: 34px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
p.note, .caption { color: var(--muted); font-size: 13px; }
.findings { background: var(--panel); border-left: 4px solid var(--accent); padding: 12px 20px;
            margin: 18px 0; }
.findings li { margin: 6px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 10px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left;
         vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num .note { display: block; font-size: 11px; white-space: nowrap; }
td.changes { min-width: 220px; }
figure img { display: block; margin: 0 auto; }
td.good { color: var(--good); } td.bad { color: var(--bad); }
figure { margin: 16px 0 26px; }
figure img { max-width: 100%; border: 1px solid var(--line); }
.page { break-before: page; page-break-before: always; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 11px;
       background: #e3eef7; color: var(--accent); }
.assumption { color: #8a5a00; font-weight: 600; }
.explorer-bar { font-size: 13px; color: var(--muted); margin: 14px 0 4px; }
.explorer-bar button { font-size: 12px; margin-left: 6px; padding: 2px 10px; cursor: pointer;
                       border: 1px solid var(--line); background: var(--panel); border-radius: 3px; }
.cs-plot { margin: 12px 0 20px; border: 1px solid var(--line); }
footer { color: var(--muted); font-size: 12px; padding: 18px 48px; border-top: 1px solid var(--line); }
"""


def _e(x) -> str:
    return html.escape(str(x))


def _fmt_diff(name: str, row: pd.Series) -> tuple[str, str]:
    obj = OBJECTIVES[name]
    d, lo, hi = row[f"{name}_diff"], row[f"{name}_lo"], row[f"{name}_hi"]
    txt = f"{obj.format(d, diff=True)} <span class='note'>[{obj.format(lo, diff=True)}, {obj.format(hi, diff=True)}]</span>"
    good = obj.sign * lo > 0
    bad = obj.sign * hi < 0
    return txt, ("good" if good else "bad" if bad else "")


def _best_policy(comp: Comparison, n: int) -> list[str]:
    prim = OBJECTIVES[comp.primary]
    top = comp.top(n)
    best = top.iloc[0]
    p = int(top.index[0])
    d = comp.differences.loc[(p, comp.primary)]
    return [
        f"Best policy by {_e(prim.label)}: <b>policy {p}</b> ({_e(best['changes'])}). "
        f"It changes {_e(prim.label)} by <b>{prim.format(d['diff'], diff=True)}</b> "
        f"({comp.level:.0%} interval {prim.format(d['lo'], diff=True)} to "
        f"{prim.format(d['hi'], diff=True)}) and does better than the status quo on "
        f"{d['p_beats']:.0%} of simulated futures."
    ]


def _other_objectives(comp: Comparison, n: int) -> list[str]:
    p = int(comp.top(n).index[0])
    out = []
    for name in comp.objectives:
        if name == comp.primary:
            continue
        obj = OBJECTIVES[name]
        dd = comp.differences.loc[(p, name)]
        verdict = (
            "better"
            if obj.sign * dd["lo"] > 0
            else "worse"
            if obj.sign * dd["hi"] < 0
            else "about the same"
        )
        out.append(
            f"{_e(obj.label[0].upper() + obj.label[1:])} under policy {p}: "
            f"{obj.format(dd['diff'], diff=True)} ({verdict} than today)."
        )
    return out


def _accuracy_finding(comp: Comparison, p: int) -> str:
    """Commit and statistical-forecast APE of policy ``p`` against the status quo over the
    transition (first four quarters) and at steady state (last four)."""
    bq = comp.by_quarter
    names = [n for n in ("commit_ape", "stat_ape") if n in bq]
    if not names or bq.sizes.get("quarter", 0) < 8:
        return ""
    parts = []
    for name in names:
        da = bq[name]
        win = [da.isel(quarter=sl) for sl in (slice(0, 4), slice(-4, None))]
        pol = [float(w.sel(policy=p).mean()) for w in win]
        sq = [float(w.sel(policy=0).mean()) for w in win]
        what = "commit error" if name == "commit_ape" else "statistical forecast error"
        parts.append(
            f"{what} {pol[0]:.1%} in the first four quarters and {pol[1]:.1%} in the last "
            f"four (status quo {sq[0]:.1%} and {sq[1]:.1%})"
        )
    return f"Forecast accuracy under policy {p}: " + "; ".join(parts) + "."


def _accuracy(comp: Comparison, n: int) -> list[str]:
    """Forecast accuracy of the best policy on the primary objective (transition, steady state)."""
    top = comp.top(n)
    sentence = _accuracy_finding(comp, int(top.index[0])) if not top.empty else ""
    return [sentence] if sentence else []


def _frontier_size(comp: Comparison, n: int) -> list[str]:
    front = comp.table[comp.table["on_frontier"]]
    return [
        f"{len(front)} of {comp.n_policies} policies are on the frontier of "
        f"{_e(OBJECTIVES[comp.frontier[0]].label)} and {_e(OBJECTIVES[comp.frontier[1]].label)}."
    ]


def _top_lever(comp: Comparison, n: int) -> list[str]:
    prim = OBJECTIVES[comp.primary]
    sens = comp.sensitivity.get(comp.primary)
    if sens is None or sens.empty:
        return []
    lever, row = sens.index[0], sens.iloc[0]
    return [
        f"The lever that moves {_e(prim.label)} most is <b>{_e(lever_label(str(lever)))}</b>: "
        f"from {_e(str(row['low_level']).replace('_', ' '))} to "
        f"{_e(str(row['high_level']).replace('_', ' '))} is worth "
        f"{prim.format(row['range'], diff=True)} on average (it explains "
        f"{row['first_order']:.0%} of the variation between policies)."
    ]


def _robustness(comp: Comparison, n: int) -> list[str]:
    es = comp.effect_sensitivity
    if es is None or es.empty:
        return []
    same = int(es["same_top"].sum())
    return [
        f"Across the ranges of the assumed effect sizes the best policy stays on top in "
        f"{same} of {len(es)} settings (worst rank of today's best: "
        f"{int(es['base_top_rank'].max())})."
    ]


#: The key findings in order: each ``(comparison, n) -> list of HTML sentences`` (empty when it
#: has nothing to say). Add a finding by appending a function here.
FINDINGS = [_best_policy, _other_objectives, _accuracy, _frontier_size, _top_lever, _robustness]


def findings(comp: Comparison, n: int = 3) -> list[str]:
    """Plain-language key findings (HTML-escaped sentences), one group per :data:`FINDINGS` entry.

    Examples
    --------
    >>> from channelsim.report import findings
    >>> callable(findings)
    True
    """
    if comp.top(n).empty:
        return ["Only the status quo was run."]
    return [s for finding in FINDINGS for s in finding(comp, n)]


def _top_table(comp: Comparison, n: int) -> str:
    names = comp.objectives
    head = "".join(f"<th>{_e(OBJECTIVES[m].label)}</th>" for m in names)
    rows = []
    for p, row in _top(comp, n).iterrows():
        cells = []
        for m in names:
            txt, cls = _fmt_diff(m, row)
            cells.append(f"<td class='num {cls}'>{txt}</td>")
        frontier = "<span class='tag'>frontier</span>" if row["on_frontier"] else ""
        rows.append(
            f"<tr><td class='num'>{int(row['rank'])}</td><td>policy {int(p)} {frontier}</td>"
            f"<td class='changes'>{_e(row['changes'])}</td>{''.join(cells)}"
            f"<td class='num'>{row[f'{comp.primary}_p_beats']:.0%}</td></tr>"
        )
    sq = comp.table.loc[0]
    base = "".join(f"<td class='num'>{OBJECTIVES[m].format(sq[m])}</td>" for m in names)
    rows.append(
        f"<tr><td></td><td><b>status quo</b></td><td>{_e(_levers_text(comp, 0))}</td>{base}<td></td></tr>"
    )
    return (
        "<table><thead><tr><th>rank</th><th>policy</th><th>what changes from today</th>"
        f"{head}<th>P(beats status quo)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _top(comp: Comparison, n: int):
    """Top policies for the tables: one per preset combination when parameters were sampled."""
    return comp.top(n, distinct=len(comp.preset_levers) < len(comp.levers))


def _levers_text(comp: Comparison, p: int) -> str:
    t = comp.table.loc[p]
    return "; ".join(f"{lever_label(k)}: {_fmt_level(t[k])}" for k in comp.levers)


def _levers_table(comp: Comparison, n: int) -> str:
    pols = [0, *[int(p) for p in _top(comp, n).index]]
    head = "".join(f"<th>{_e(lever_label(k))}</th>" for k in comp.levers)
    rows = []
    for p in pols:
        t = comp.table.loc[p]
        cells = "".join(f"<td>{_e(_fmt_level(t[k]))}</td>" for k in comp.levers)
        rows.append(f"<tr><td>{'status quo' if p == 0 else f'policy {p}'}</td>{cells}</tr>")
    return f"<table><thead><tr><th>policy</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _fmt_level(v) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.3g}"
    return str(v).replace("_", " ")


def _sensitivity_table(comp: Comparison) -> str:
    name = comp.primary
    obj = OBJECTIVES[name]
    sens = comp.sensitivity.get(name)
    if sens is None or sens.empty:
        return "<p class='note'>No lever varies in this scenario.</p>"
    rows = "".join(
        f"<tr><td>{_e(lever_label(str(lv)))}</td><td>{_e(r['kind'])}</td>"
        f"<td>{_e(str(r['low_level']).replace('_', ' '))}</td><td class='num'>{obj.format(r['low'], diff=True)}</td>"
        f"<td>{_e(str(r['high_level']).replace('_', ' '))}</td><td class='num'>{obj.format(r['high'], diff=True)}</td>"
        f"<td class='num'>{r['first_order']:.2f}</td></tr>"
        for lv, r in sens.iterrows()
    )
    return (
        f"<table><thead><tr><th>lever</th><th>kind</th><th>lowest setting</th><th>{_e(obj.label)}</th>"
        f"<th>highest setting</th><th>{_e(obj.label)}</th><th>variance share S</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _effect_sensitivity_table(comp: Comparison) -> str:
    es = comp.effect_sensitivity
    if es is None or es.empty:
        return (
            "<p class='note'>Not run: the scenario gives no ranges for its effect sizes "
            "(add <code>[effects.ranges]</code> to test how the ranking depends on them).</p>"
        )
    rows = "".join(
        f"<tr><td>{_e(s)}</td><td>policy {int(r['top_policy'])}</td>"
        f"<td>{'yes' if r['same_top'] else '<b>no</b>'}</td><td class='num'>{int(r['base_top_rank'])}</td>"
        f"<td class='num'>{r['top_k_overlap']:.0%}</td><td class='num'>{r['kendall_tau']:.2f}</td></tr>"
        for s, r in es.iterrows()
    )
    return (
        "<table><thead><tr><th>effect-size setting</th><th>best policy</th><th>same best?</th>"
        "<th>rank of today's best</th><th>top-5 kept</th><th>rank correlation (Kendall)</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _effects_table(comp: Comparison) -> str:
    eff = comp.effects
    if eff is None or eff.empty:
        return "<p class='note'>No effect sizes were recorded for this run.</p>"
    rows = []
    for name, r in eff.iterrows():
        src = str(r.get("source", "") or "assumption")
        src_html = (
            "<span class='assumption'>assumption</span>"
            if src.strip().lower() == "assumption"
            else _e(src)
        )
        rng = r.get("range", "")
        rows.append(
            f"<tr><td><code>{_e(name)}</code></td><td class='num'>{_e(_fmt_level(r['value']))}</td>"
            f"<td class='num'>{_e(rng)}</td><td>{_e(r.get('meaning', ''))}</td><td>{src_html}</td></tr>"
        )
    return (
        "<table><thead><tr><th>effect size</th><th>value used</th><th>range tested</th>"
        "<th>what it does</th><th>source</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(
    comp: Comparison,
    images: Mapping[str, bytes],
    captions: Mapping[str, str],
    *,
    n_top: int = 10,
    interactive: bool = True,
) -> str:
    """The report as one self-contained HTML string.

    The frontier and the top policies are interactive plotly charts (hover: a policy's levers
    and intervals; click: filter the policy explorer table), with plotly.js inlined; the other
    charts are embedded as base64 PNGs. Nothing is loaded from the network.

    Parameters
    ----------
    comp : Comparison
    images : mapping of chart name to PNG bytes
    captions : mapping of chart name to caption text
    n_top : int
        Rows of the top-policies table (and policies shown in the explorer at first).
    interactive : bool
        False: no scripts, the frontier as a PNG and a static top-policies table.

    Examples
    --------
    >>> from channelsim.report import render_html
    >>> callable(render_html)
    True
    """
    m = comp.meta
    title = m.get("title") or m.get("name") or "Policy comparison"
    question = m.get("question", "")
    run = (
        f"{comp.n_policies:,} policies &middot; {comp.n_paths:,} simulated paths each &middot; "
        f"{m.get('quarters', comp.by_quarter.sizes.get('quarter', '?'))} quarters &middot; "
        f"seed {_e(m.get('seed', '?'))} &middot; world: {_e(m.get('world', 'default'))} &middot; "
        f"channelsim {_e(m.get(VERSION_KEY, ''))}"
    )

    def fig(name: str, heading: str, anchor: str) -> str:
        if name not in images:
            return ""
        b64 = base64.b64encode(images[name]).decode("ascii")
        return (
            f"<h2 id='{anchor}'>{_e(heading)}</h2><figure><img alt='{_e(heading)}' "
            f"src='data:image/png;base64,{b64}'><figcaption class='caption'>"
            f"{_e(captions.get(name, ''))}</figcaption></figure>"
        )

    items = "".join(f"<li>{s}</li>" for s in findings(comp))
    distinct_note = (
        "; one row per combination of presets, at its best sampled setting"
        if len(comp.preset_levers) < len(comp.levers)
        else ""
    )
    body = f"""
<header><h1>{_e(title)}</h1><p class="question">{_e(question)}</p><p class="run">{run}</p></header>
<nav><a href="#frontier">Frontier</a><a href="#top">Top policies</a><a href="#differences">Differences</a>
<a href="#distributions">Distributions</a><a href="#maturity">Channel maturity</a>
<a href="#sensitivity">Lever sensitivity</a><a href="#robustness">Robustness</a>
<a href="#effects">Assumed effect sizes</a><a href="#method">Method</a></nav>
<main>
<div class="findings"><b>Key findings</b><ul>{items}</ul></div>
{_frontier_section(comp, fig, captions) if interactive else fig("frontier", "Frontier: forecast accuracy vs attainment", "frontier")}
<h2 id="top">Top policies</h2>
<p class="note">Ranked by {_e(OBJECTIVES[comp.primary].label) if "score" not in m.get("ranking", "") else "the weighted score"}{distinct_note}.
Each cell is the average change against the status quo over the same simulated futures, with its
{comp.level:.0%} interval in brackets; green where the whole interval is an improvement, red where
it is all worse. {"The status quo's row gives today's levels; click a point in a chart to pick a policy." if interactive else "The last row gives today's levels."}</p>
{_top_section(comp, n_top) if interactive else _top_table(comp, n_top)}
<p class="note">Lever choices of the status quo and the top policies:</p>
{_levers_table(comp, n_top)}
{fig("differences", "Differences from the status quo", "differences")}
{fig("distributions", "Attainment and forecast error across simulated futures", "distributions")}
{fig("maturity", "Channel maturity over time", "maturity")}
{fig("tornado", "Lever sensitivity", "sensitivity")}
{_sensitivity_table(comp)}
<h2 id="robustness">Robustness to the assumed effect sizes</h2>
<p class="note">The top policies rerun with each effect size at the ends of its range (one at a time).
If the best policy stays on top, the answer does not hinge on that assumption.</p>
{_effect_sensitivity_table(comp)}
<section class="page">
<h2 id="effects">Assumed effect sizes</h2>
<p class="note">No company's history says what a different hiring profile or pay plan would do,
so these are explicit assumptions. Each acts as an offset from the status quo (a policy with every
effect at zero changes nothing in partner sales or commits). Where published evidence exists it is
cited; otherwise the source reads <span class="assumption">assumption</span>.</p>
{_effects_table(comp)}
</section>
<h2 id="method">Method</h2>
<p class="note">Every policy is simulated on the same {comp.n_paths:,} paths as the status quo,
with the same random numbers (common random numbers), so differences are paired path by path and
their uncertainty is small even when each policy's own outcomes vary widely. P(beats status quo)
is the share of paths on which the policy does better (ties count half). The frontier holds the
policies that no other policy beats on both of its objectives. Lever sensitivity averages over
all policies run at each setting of a lever; S is the first-order share of variance
(Var E[Y | lever] / Var Y).</p>
</main>
<footer>Generated by channelsim {_e(m.get(VERSION_KEY, ""))} from {_e(m.get("source", "a scenario"))}.
Provenance: {_e(m.get("provenance", ""))}</footer>
"""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_e(title)}</title>"
        f"<style>{CSS}</style>{_head_script(interactive)}</head><body>{body}"
        f"{_tail_script(interactive)}</body></html>\n"
    )


def _head_script(interactive: bool) -> str:
    if not interactive:
        return ""

    return f"<script type='text/javascript'>{plotly_js()}</script>"


def _tail_script(interactive: bool) -> str:
    if not interactive:
        return ""

    return f"<script type='text/javascript'>{EXPLORER_JS}</script>"


def _frontier_section(comp: Comparison, fig, captions: Mapping[str, str]) -> str:
    return (
        "<h2 id='frontier'>Frontier: forecast accuracy vs attainment</h2>"
        f"<div class='cs-plot' id='frontier-chart'>{figure_div(frontier_figure(comp), 'frontier-plot')}</div>"
        f"<p class='caption'>{_e(captions.get('frontier', ''))} Hover a point for the policy's "
        "levers and intervals; click it to show the policy in the explorer table.</p>"
    )


def _top_section(comp: Comparison, n_top: int) -> str:
    return (
        f"<div class='cs-plot' id='top-chart'>{figure_div(top_policies_figure(comp, n_top), 'top-plot')}</div>"
        f"{explorer_table(comp, n_show=n_top)}"
    )
