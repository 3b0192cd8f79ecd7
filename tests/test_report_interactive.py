"""The interactive report: plotly inlined (offline), hover tooltips and click-to-filter in Chromium."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest

from channelsim.report import hover_text, plotly_js, write_report
from channelsim.scenario import OBJECTIVES, compare, lever_label
from tests._chromium import DevToolsPage


@pytest.fixture(scope="module")
def report(sweep_ds, tmp_path_factory):
    comp = compare(
        sweep_ds, meta={"title": "Hiring profiles", "seed": 7, "channelsim_version": "test"}
    )
    files = write_report(comp, tmp_path_factory.mktemp("interactive"))
    return comp, files


class _Refs(HTMLParser):
    """Every src/href attribute of the page's elements (script bodies are not parsed as tags)."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self.refs += [(tag, v or "") for k, v in attrs if k in {"src", "href"}]


def test_page_is_one_offline_file(report):
    comp, files = report
    page = files.html.read_text()
    parser = _Refs()
    parser.feed(page)
    # no element loads anything over the network: images are data URIs, links are anchors
    assert parser.refs, "expected images and anchors"
    for tag, ref in parser.refs:
        assert ref.startswith(("data:", "#")), (tag, ref[:80])
    # plotly.js is inlined once, from the installed package, and both charts are plotted
    assert page.count(plotly_js()) == 1
    assert parser.scripts >= 4  # plotly.js, two charts, the explorer
    assert "Plotly.newPlot" in page and "frontier-plot" in page and "top-plot" in page
    # the explorer table holds every policy once
    rows = re.findall(r"<tr data-policy='(\d+)'", page)
    assert sorted(map(int, rows)) == list(range(comp.n_policies))


def test_frontier_has_no_text_labels(report):
    comp, _ = report
    from channelsim.report import frontier_figure

    fig = frontier_figure(comp)
    # no trace draws text on the chart (labels would overlap); highlights are named in the legend
    assert all("text" not in (tr.mode or "") for tr in fig.data)
    assert not fig.layout.annotations
    names = [tr.name for tr in fig.data]
    assert (
        "status quo" in names
        and sum(n.startswith("policy ") for n in names) == len(comp.highlight) - 1
    )


def test_hover_text_names_levers_and_intervals(report):
    comp, _ = report
    p = int(comp.top(1).index[0])
    tip = hover_text(comp, p)
    t = comp.table.loc[p]
    assert f"policy {p}" in tip and f"rank {int(t['rank'])}" in tip
    for k in comp.levers:
        assert html.escape(lever_label(k)) in tip
    obj = OBJECTIVES[comp.primary]
    assert f"[{obj.format(t[f'{comp.primary}_lo'], diff=True)}, " in tip


_POINT = """
(() => {
  const gd = document.getElementById('frontier-plot');
  gd.scrollIntoView({block: 'center'});
  const tr = gd._fullData[1];                      // the frontier trace
  const i = Math.floor(tr.x.length / 2);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const r = gd.getBoundingClientRect();
  return JSON.stringify({x: r.left + xa._offset + xa.l2p(tr.x[i]),
                         y: r.top + ya._offset + ya.l2p(tr.y[i]),
                         policy: tr.customdata[i][0]});
})()
"""


def test_hover_and_click_in_headless_chromium(report, tmp_path):
    comp, files = report
    with DevToolsPage(tmp_path / "profile") as page:
        page.send("Network.enable")
        page.send(
            "Network.emulateNetworkConditions",
            offline=True,
            latency=0,
            downloadThroughput=-1,
            uploadThroughput=-1,
        )
        page.send("Page.enable")
        page.send("Page.navigate", url=files.html.resolve().as_uri())
        page.wait_event("Page.loadEventFired")
        # with networking off the charts still render: plotly is in the page
        assert page.wait_for(
            "(() => { const g = document.getElementById('frontier-plot');"
            " return !!(g && g._fullLayout && g.querySelectorAll('.point').length); })()"
        )
        n_points = page.evaluate("document.querySelectorAll('#frontier-plot .point').length")
        assert n_points >= comp.n_policies
        pt = json.loads(page.evaluate(_POINT))
        p = int(pt["policy"])
        assert comp.table.loc[p, "on_frontier"]
        page.mouse("mouseMoved", pt["x"], pt["y"])
        tip = page.wait_for(
            "(() => { const h = document.querySelector('#frontier-plot .hoverlayer .hovertext');"
            " return h ? h.textContent : ''; })()"
        )
        t = comp.table.loc[p]
        head = "status quo" if p == 0 else f"policy {p} (rank {int(t['rank'])}"
        assert head in tip, tip
        for k in comp.levers:
            assert f"{lever_label(k)}: {str(t[k]).replace('_', ' ')}" in tip, (k, tip)
        x_obj = OBJECTIVES[comp.frontier[0]]
        if p != 0:
            interval = (
                f"[{x_obj.format(t[f'{comp.frontier[0]}_lo'], diff=True)}, "
                f"{x_obj.format(t[f'{comp.frontier[0]}_hi'], diff=True)}]"
            )
            assert interval in tip, tip
        # clicking the point filters the explorer table to that policy (beside the status quo)
        page.mouse("mousePressed", pt["x"], pt["y"], button="left", clickCount=1)
        page.mouse("mouseReleased", pt["x"], pt["y"], button="left", clickCount=1)
        shown = page.wait_for(
            "(() => { const r = Array.from(document.querySelectorAll('#explorer tbody tr'))"
            ".filter(r => !r.hidden).map(r => r.dataset.policy);"
            f" return r.length <= 2 && r.includes('{p}') ? r : null; }})()"
        )
        assert sorted(map(int, shown)) == sorted({0, p})
        # the button restores every row
        page.evaluate("document.querySelector(\".explorer-bar button[data-show='all']\").click()")
        assert page.evaluate(
            "Array.from(document.querySelectorAll('#explorer tbody tr')).every(r => !r.hidden)"
        )
        urls = page.requested_urls()
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls
