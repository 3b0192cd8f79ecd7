"""The bundled example book: invariants, and that it is what its world generates."""

import numpy as np
import pandas as pd
import pytest

from channelsim._vocab import MATURITY_LEVELS, STAGES
from channelsim.data import load_book
from channelsim.datasets import (
    _example_files,
    example_world,
    load_example,
    make_book,
    regenerate_example,
)


@pytest.fixture(scope="module")
def example():
    return load_example()


def test_example_regenerates_exactly():
    shipped = [pd.read_csv(f, dtype={"period": str, "quarter": str}) for f in _example_files()]
    fresh = regenerate_example()
    for a, b in zip(shipped, fresh, strict=True):
        assert list(a.columns) == list(b.columns)
        for col in a.columns:
            if pd.api.types.is_float_dtype(a[col]):
                np.testing.assert_allclose(a[col].to_numpy(), b[col].to_numpy(), rtol=1e-9, atol=0)
            else:
                assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col


def test_example_book_invariants(example):
    book = example
    assert len(book.territory_ids) == 12
    assert 250 <= len(book.partner_ids) <= 400
    assert len(book.periods) == 36 and book.freq == "M"
    assert set(book.panel["stage"]) == set(STAGES)
    states = book.states()
    joined_late = (states[:, 0] < 0).sum()
    exited = (states[:, -1] == len(STAGES)).sum()
    assert joined_late > 30 and exited > 30


def test_example_book_revenue_concentration(example):
    by_partner = example.panel.groupby("partner")["sales"].sum().sort_values(ascending=False)
    top = by_partner.iloc[: len(by_partner) // 5].sum() / by_partner.sum()
    assert 0.75 <= top <= 0.90  # the usual 80/20 of channel programmes


def test_example_book_maturities_seasonality_commits(example):
    cov = example.coverage()
    assert set(cov.loc[cov.period == cov.period.min(), "maturity"]) == set(MATURITY_LEVELS)
    assert set(cov.loc[cov.period == cov.period.max(), "maturity"]) == set(MATURITY_LEVELS)
    monthly = example.panel.groupby("period")["sales"].sum()
    months = np.array([p.month for p in monthly.index])
    # quarter-end months sell more than the first month of their quarter on average
    assert monthly[months % 3 == 0].mean() > monthly[months % 3 == 1].mean()
    q = example.quarters
    assert q["quota"].notna().all() and q["commit"].notna().all()
    actual = (
        example.panel.assign(quarter=example.panel["period"].dt.asfreq("Q"))
        .groupby(["territory", "quarter"])["sales"]
        .sum()
    )
    merged = q.set_index(["territory", "quarter"]).join(actual.rename("actual"))
    ratio = np.log(merged["commit"] / merged["actual"])
    assert ratio.median() > 0.0  # CAM commits are optimistic


def test_make_book_any_size_and_one_stage():
    book, world = make_book(3, 30, 12, seed=5)
    assert len(book.territory_ids) == 3 and len(book.periods) == 12
    assert world.n_partners == 30
    b1, w1 = make_book(2, 10, 8, seed=1, has_stages=False)
    assert not b1.has_stages and w1.stage_names == ("active",)
    bq, _ = make_book(2, 10, 8, "Q", seed=1)
    assert bq.freq == "Q" and bq.steps_per_quarter == 1


def test_make_book_is_reproducible():
    a, _ = make_book(2, 12, 6, seed=3)
    b, _ = make_book(2, 12, 6, seed=3)
    c, _ = make_book(2, 12, 6, seed=4)
    assert a.data_hash() == b.data_hash() != c.data_hash()


def test_example_world_matches_book_origin(example):
    w = example_world()
    assert w.origin_period == example.periods[0]
    assert w.territory_ids == example.territory_ids
    np.testing.assert_array_equal(
        w.target_partners,
        example.territories.set_index("territory").loc[list(w.territory_ids), "target_partners"],
    )


def test_written_tables_validate_again(tmp_path, example):
    files = example.to_csv_dir(tmp_path)
    again = load_book(*files)
    assert again.data_hash() == example.data_hash()
