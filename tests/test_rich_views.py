"""Rich notebook views: ``_repr_html_`` of Book, ChannelModel, Comparison and Forecast."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from channelsim.datasets import draw_world, load_example
from channelsim.forecast import forecast
from channelsim.scenario import OBJECTIVES, compare


class _Page(HTMLParser):
    """Text, tags and the attributes of every element of an HTML fragment (must be well formed)."""

    def __init__(self, fragment: str):
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.classes: list[str] = []
        self.stack: list[str] = []
        self.feed(fragment)
        self.close()
        assert not self.stack, f"unclosed tags: {self.stack}"

    VOID = frozenset({"br", "circle", "rect", "line", "polyline", "polygon", "path"})

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.classes += (dict(attrs).get("class") or "").split()
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(self.text)


def test_book_view():
    book = load_example()
    page = _Page(book._repr_html_())
    text = page.all_text
    assert f"{len(book.partner_ids):,} partners" in text
    assert f"{len(book.territory_ids):,} territories" in text
    assert f"total sales {np.nansum(book.sales_matrix()):,.0f}" in text
    assert "cs-card" in page.classes and "svg" in page.tags and "polyline" in page.tags
    summary = book.summary()
    assert str(summary["territory"].iloc[0]) in text
    assert page.tags.count("tr") == min(len(summary), 12) + 1


def test_model_view_has_a_diagnostics_badge(fitted_model):
    from channelsim.model import ChannelModel

    diag = fitted_model.check_diagnostics(warn=False)
    page = _Page(fitted_model._repr_html_())
    text = page.all_text
    assert ("cs-ok" if diag.ok else "cs-bad") in page.classes
    assert ("converged" if diag.ok else "not converged") in text
    assert f"max R-hat {diag.max_rhat:.3f}" in text
    assert f"min bulk ESS {diag.min_ess_bulk:.0f}" in text
    assert f"divergences {diag.divergences}" in text
    assert str(diag.table.index[0]) in text  # the worst parameter is named
    assert page.tags.count("rect") == min(len(diag.table), 8)  # its ESS bars
    unfitted = _Page(ChannelModel()._repr_html_())
    assert "not fitted" in unfitted.all_text


def test_comparison_view(sweep_ds):
    comp = compare(sweep_ds)
    page = _Page(comp._repr_html_())
    text = page.all_text
    p = int(comp.top(1).index[0])
    row = comp.table.loc[p]
    prim = OBJECTIVES[comp.primary]
    assert f"policy {p}" in text
    assert (
        f"{prim.format(row[f'{comp.primary}_diff'], diff=True)} "
        f"[{prim.format(row[f'{comp.primary}_lo'], diff=True)}, "
        f"{prim.format(row[f'{comp.primary}_hi'], diff=True)}]"
    ) in text
    assert f"{comp.n_policies:,} policies" in text
    # one point per policy; the status quo is the star
    assert page.tags.count("circle") == comp.n_policies - 1 and "★" in text


@pytest.fixture(scope="module")
def small_forecast():
    return forecast(draw_world(2, 10, seed=0), 3, seed=1, draws=40)


def test_forecast_view(small_forecast):
    fc = small_forecast
    page = _Page(fc._repr_html_())
    text = page.all_text
    total = fc.to_frame(levels=["total"])
    assert f"{total['mean'].iloc[0]:,.0f}" in text
    assert f"{fc.n_draws:,} draws" in text
    for t in fc.territory_ids:
        assert str(t) in text
    assert "polygon" in page.tags  # the interval band of the fan
