"""The leadership report: files, self-containment, and a headless-Chromium screenshot."""

from __future__ import annotations

import base64
import re
from html import escape as html_escape

import numpy as np
import pandas as pd
import pytest

from channelsim.report import CHARTS, findings, render_charts, render_html, write_report
from channelsim.scenario import compare
from tests._fixtures_scenario import chromium_screenshot


@pytest.fixture(scope="module")
def comparison(sweep):
    """The real sweep's comparison: effect sizes and sources as ``run_scenario`` records them."""
    return sweep.comparison


@pytest.fixture(scope="module")
def report_dir(comparison, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    files = write_report(comparison, out)
    return out, files


def test_report_files(report_dir, comparison):
    out, files = report_dir
    assert files.html == out / "report.html" and files.summary == out / "summary.csv"
    assert set(files.charts) == set(CHARTS)
    for png in files.charts.values():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = pd.read_csv(files.summary)
    assert len(summary) == comparison.n_policies and summary.loc[0, "policy"] == 0
    assert {"hiring", "changes", "attainment_diff", "attainment_p_beats", "rank"} <= set(summary)


def test_report_is_self_contained(report_dir, comparison):
    html = report_dir[1].html.read_text()
    # no external resources: every image is a data URI (the frontier is an inline plotly chart,
    # tested with plotly.js in test_report_interactive.py), no script is loaded from a URL
    srcs = re.findall(r"<img[^>]* src='([^']*)'", html)
    assert len(srcs) == len(CHARTS) - 1
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    for s in srcs:
        assert base64.b64decode(s.split(",", 1)[1])[:4] == b"\x89PNG"
    assert not re.search(r"<script[^>]*\ssrc=", html)
    static = render_html(comparison, render_charts(comparison), {}, interactive=False)
    assert "<script" not in static and "http://" not in static and "https://" not in static
    assert static.count("data:image/png;base64,") == len(CHARTS)
    for text in (
        "Hiring, onboarding and pay",
        "Top policies",
        "Assumed effect sizes",
        "class='assumption'>assumption",
        "Lever sensitivity",
        "Channel maturity over time",
        "P(beats status quo)",
    ):
        assert text in html
    # every effect size of EffectSizes is listed with the source the code documents for it
    effects = comparison.effects
    cited = effects[effects["source"].str.strip().str.lower() != "assumption"]
    assert len(cited) >= 1
    for name in effects.index:
        assert f"<code>{html_escape(name)}</code>" in html
    for source in cited["source"]:
        assert html_escape(source) in html


def test_findings_are_plain_language(comparison):
    f = findings(comparison)
    best = int(comparison.top(1).index[0])
    assert f[0].startswith(f"Best policy by average quota attainment: <b>policy {best}</b>")
    n_front = int(comparison.table["on_frontier"].sum())
    assert any(f"{n_front} of {comparison.n_policies} policies are on the frontier" in s for s in f)
    es = comparison.effect_sensitivity
    assert len(es) == 2  # co_sell at both ends of its range
    assert any(f"stays on top in {int(es['same_top'].sum())} of 2" in s for s in f)


def test_charts_render_for_a_single_lever_scenario(sweep_ds):
    small = sweep_ds.isel(policy=[0, 1]).assign_coords(policy=[0, 1])
    c = compare(small)
    images = render_charts(c)
    assert set(images) == set(CHARTS)


def test_report_renders_in_headless_chromium(report_dir, tmp_path):
    from PIL import Image

    files = report_dir[1]
    png = chromium_screenshot(files.html, tmp_path / "shot.png", tmp_path / "profile")
    img = np.asarray(Image.open(png).convert("RGB")).astype(float)
    assert img.shape[0] >= 1500 and img.shape[1] >= 1200
    # not blank: real variation and many colours
    assert img.std() > 20
    colours = np.unique(img.reshape(-1, 3).astype(np.uint8), axis=0)
    assert len(colours) > 200
    # the dark header band is at the top (CSS applied) and the page below it is mostly light
    header = img[10:60, 10:1200].mean(axis=(0, 1))
    assert (header < 90).all(), header
    assert img[400:].mean() > 180
    # the frontier chart is drawn near the top: its grey policy dots appear on the first screen
    grey = np.array([0xB9, 0xC0, 0xC7])
    assert (np.abs(img - grey).sum(axis=2) < 12).sum() > 100
