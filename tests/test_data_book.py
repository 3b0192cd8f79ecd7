"""The canonical book built by ``load_book``: periods, mappings, stages, exits, gaps,
warnings, default targets, coverage/maturity and the summary."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from channelsim._vocab import MATURITY_THRESHOLDS, ONE_STAGE, STAGES, STATES
from channelsim.data import BookValidationError, BookWarning, load_book

EX = len(STAGES)  # state code of "exited" in a book with stages

ROWS = [
    ("p1", "N", "2024-01", "onboarding", 0.0),
    ("p1", "N", "2024-02", "enabled", 10.0),
    ("p1", "N", "2024-03", "active", 20.0),
    ("p2", "N", "2024-01", "active", 50.0),
    ("p2", "N", "2024-02", "productive", 60.0),
    ("p2", "N", "2024-03", "productive", 70.0),
    ("p3", "S", "2024-01", "active", 5.0),
    ("p3", "S", "2024-02", "active", 6.0),
    ("p3", "S", "2024-03", "strategic", 7.0),
]
COLS = ["partner", "territory", "period", "stage", "sales"]
TERR = pd.DataFrame({"territory": ["N", "S"], "target_partners": [3, 2]})


def panel(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS)


def quiet_load(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BookWarning)  # these inputs must load without warnings
        return load_book(*args, **kwargs)


def load_warned(match: str, *args, **kwargs):
    """Load, check a BookWarning matching ``match`` was issued and recorded in the book."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BookWarning)
        book = load_book(*args, **kwargs)
    issued = [str(w.message) for w in caught if issubclass(w.category, BookWarning)]
    assert any(re.search(match, m) for m in issued), issued
    assert issued == list(book.warnings)
    return book


# ------------------------------------------------------------------------------- basics
def test_canonical_panel_and_settings():
    book = quiet_load(panel().sample(frac=1, random_state=3), territories=TERR)
    p = book.panel
    assert list(p.columns) == ["partner", "territory", "period", "stage", "sales", "filled"]
    assert p["partner"].tolist() == ["p1"] * 3 + ["p2"] * 3 + ["p3"] * 3
    assert isinstance(p["period"].dtype, pd.PeriodDtype) and p["period"].dtype.freq.n == 1
    assert p["sales"].dtype == np.float64 and p["filled"].dtype == bool
    assert book.freq == "M" and book.steps_per_quarter == 3
    assert book.has_stages and book.stage_names == STAGES and book.state_names == STATES
    assert book.partner_ids == ("p1", "p2", "p3") and book.territory_ids == ("N", "S")
    assert [str(x) for x in book.periods] == ["2024-01", "2024-02", "2024-03"]
    assert book.warnings == () and book.source == "<DataFrame>"
    assert book.states().dtype == np.int8 and book.states().shape == (3, 3)
    assert book.states()[0].tolist() == [0, 1, 2]


def test_book_is_read_only():
    book = quiet_load(panel(), territories=TERR)
    p = book.panel
    p.loc[0, "sales"] = 1e9
    s = book.states()
    s[:] = 0
    assert book.panel.loc[0, "sales"] == 0.0
    assert book.states()[0].tolist() == [0, 1, 2]


def test_one_stage_book():
    df = panel().drop(columns="stage")
    book = load_warned("default target_partners", df)
    assert not book.has_stages and book.stage_names == ONE_STAGE
    assert book.state_names == ("active", "exited")
    assert (book.states() == 0).all()
    cov = book.coverage()
    assert len(cov) == 0
    assert list(cov.columns) == [
        "territory",
        "period",
        "engaged",
        "target_partners",
        "coverage",
        "maturity",
    ]
    # one-stage default targets count every present partner: N has 2, S has 1
    t = book.territories.set_index("territory")["target_partners"]
    assert t.to_dict() == {"N": math.ceil(1.25 * 2), "S": math.ceil(1.25 * 1)}


# ------------------------------------------------------------------------------ periods
@pytest.mark.parametrize(
    "values",
    [
        ["2024-01", "2024-02", "2024-03"],
        ["2024-01-31", "2024-02-29", "2024-03-31"],
        ["2024-01-01", "2024/02/01", "2024-03-15T00:00:00"],
        ["Jan 2024", "February-2024", "2024-Mar"],
        list(pd.to_datetime(["2024-01-31", "2024-02-01", "2024-03-09"])),
        list(pd.period_range("2024-01", periods=3, freq="M")),
    ],
    ids=["label", "month-end", "mixed-dates", "month-names", "timestamps", "periods"],
)
def test_monthly_period_forms(values):
    df = panel()
    df["period"] = values * 3
    if isinstance(values[0], pd.Period):
        df["period"] = pd.PeriodIndex(df["period"])
    book = quiet_load(df, territories=TERR)
    assert book.freq == "M"
    assert [str(x) for x in book.periods] == ["2024-01", "2024-02", "2024-03"]


@pytest.mark.parametrize(
    "values", [["2024Q1", "2024-Q2", "2024q3"], ["Q1 2024", "Q2 2024", "Q3 2024"]]
)
def test_quarterly_periods(values):
    df = panel()
    df["period"] = values * 3
    book = quiet_load(df, territories=TERR)
    assert book.freq == "Q" and book.steps_per_quarter == 1
    assert [str(x) for x in book.periods] == ["2024Q1", "2024Q2", "2024Q3"]
    assert book.panel["period"].dtype == pd.PeriodDtype("Q")


def test_quarter_end_dates_hint_in_warning():
    df = panel()
    df["period"] = ["2024-03-31", "2024-06-30", "2024-09-30"] * 3
    book = load_warned("same month of its quarter", df, territories=TERR)
    assert book.freq == "M"  # dates are months, as documented; the warning says how to fix it


# ----------------------------------------------------------------------------- mappings
def test_column_and_stage_mapping():
    df = panel().rename(
        columns={
            "partner": "Account_ID",
            "territory": "Region",
            "sales": "Revenue",
            "stage": "Tier",
        }
    )
    df["Tier"] = [
        "New",
        "Silver",
        "Gold",
        "gold",
        "Platinum",
        "PLATINUM",
        "ACTIVE",
        "Active",
        "Gold",
    ]
    book = quiet_load(
        df,
        territories=TERR,
        column_map={
            "account_id": "partner",
            "Region": "Territory",
            "Revenue": "sales",
            "Tier": "stage",
        },
        stage_map={"Silver": "enabled", "gold": "active", "Platinum": "productive"},
    )
    assert book.panel["stage"].tolist() == [
        "onboarding",  # DEFAULT_STAGE_MAP: new -> onboarding
        "enabled",
        "active",
        "active",
        "productive",
        "productive",
        "active",  # canonical name, any case
        "active",
        "active",
    ]
    assert book.partner_ids == ("p1", "p2", "p3")


def test_canonical_names_in_other_case_need_no_map():
    df = panel().rename(columns={"partner": "Partner", "sales": " SALES "})
    assert quiet_load(df, territories=TERR).partner_ids == ("p1", "p2", "p3")


def test_user_stage_map_overrides_defaults():
    df = panel()
    df.loc[0, "stage"] = "new"
    book = quiet_load(df, territories=TERR, stage_map={"NEW": "enabled"})
    assert book.panel["stage"].iloc[0] == "enabled"


# -------------------------------------------------------------------------------- timing
def test_stage_timing_end_shifts_by_one_step():
    rows = [
        ("a", "N", "2024-01", "enabled", 1.0),
        ("a", "N", "2024-02", "active", 2.0),
        ("a", "N", "2024-03", "exited", 3.0),  # exited at the end of March: sold in March
        ("b", "N", "2024-02", "onboarding", 0.0),
        ("b", "N", "2024-03", "enabled", 1.0),
    ]
    book = quiet_load(panel(rows), territories=TERR.iloc[:1], stage_timing="end")
    assert book.panel["stage"].tolist() == [
        "enabled",
        "enabled",
        "active",
        "onboarding",
        "onboarding",
    ]
    e, a = STATES.index("enabled"), STATES.index("active")
    assert book.states().tolist() == [[e, e, a], [-1, 0, 0]]
    with pytest.raises(BookValidationError, match="exited"):
        load_book(panel(rows), territories=TERR.iloc[:1])  # "during": sales on an exited step


# --------------------------------------------------------------------------------- exits
def test_implicit_and_explicit_exits():
    rows = [*ROWS, ("p1", "N", "2024-04", "active", 1.0), ("p4", "S", "2024-02", "onboarding", 0.0)]
    rows += [("p2", "N", "2024-04", "exited", np.nan), ("p3", "S", "2024-04", "strategic", 1.0)]
    rows += [("p4", "S", "2024-03", "Churned", 0.0)]
    book = quiet_load(panel(rows), territories=TERR)
    st = book.states()
    assert book.partner_ids == ("p1", "p2", "p3", "p4")
    assert st[1].tolist() == [2, 3, 3, EX]  # explicit exited row (empty sales -> 0)
    assert st[3].tolist() == [-1, 0, EX, EX]  # "Churned" -> exited, then stays exited
    sales = book.sales_matrix()
    assert np.isnan(sales[1, 3]) and np.isnan(sales[3, 0]) and np.isnan(sales[3, 2:]).all()
    assert sales[0].tolist() == [0.0, 10.0, 20.0, 1.0]
    tm = book.territory_matrix()
    assert tm.dtype == np.int32 and tm[3].tolist() == [-1, 1, 1, 1]
    # a partner whose last row is before the panel's end has exited from the next step on
    short = [r for r in rows if not (r[0] == "p3" and r[2] == "2024-04")]
    st2 = quiet_load(panel(short), territories=TERR).states()
    assert st2[2].tolist() == [2, 2, 4, EX]
    assert quiet_load(panel(short), territories=TERR).territory_matrix()[2].tolist() == [1] * 4


# ---------------------------------------------------------------------------------- gaps
def test_gap_filling():
    rows = [r for r in ROWS if not (r[0] == "p1" and r[2] == "2024-02")]
    rows += [("p1", "N", "2024-05", "productive", 3.0), ("p2", "N", "2024-05", "productive", 1.0)]
    rows += [("p3", "S", "2024-05", "strategic", 1.0)]
    book = load_warned(
        r"3 partners have gaps.*4 missing steps.*'p1' \(2\)", panel(rows), territories=TERR
    )
    p = book.panel
    filled = p[p["filled"]]
    assert list(zip(filled["partner"], filled["period"].astype(str), strict=True)) == [
        ("p1", "2024-02"),
        ("p1", "2024-04"),
        ("p2", "2024-04"),
        ("p3", "2024-04"),
    ]
    assert (filled["sales"] == 0).all()
    assert filled["stage"].tolist() == ["onboarding", "active", "productive", "strategic"]
    assert len(p) == 15 and not p[~p["filled"]]["filled"].any()


def test_activity_columns_pass_through_and_text_columns_are_ignored():
    df = panel()
    df["calls"] = ["1", "2", "", "4", "5", "6", "7", "8", "9"]
    df["comment"] = "hello"
    book = load_warned("ignored column 'comment'", df, territories=TERR)
    assert book.panel["calls"].dtype == np.float64
    assert np.isnan(book.panel["calls"].iloc[2]) and "comment" not in book.panel.columns


# ------------------------------------------------------------------------------ warnings
def test_territory_move_warning_territory_per_row():
    df = panel()
    df.loc[2, "territory"] = "S"
    book = load_warned(
        r"1 partner moves territory.*'p1' \(N → S from 2024-03\)", df, territories=TERR
    )
    assert book.territory_matrix()[0].tolist() == [0, 0, 1]


def test_backward_stage_warning_only_for_more_than_one_step():
    rows = [
        ("a", "N", "2024-01", "productive", 1.0),
        ("a", "N", "2024-02", "enabled", 1.0),  # two steps back: warned
        ("b", "N", "2024-01", "productive", 1.0),
        ("b", "N", "2024-02", "active", 1.0),  # one step back: fine
        ("c", "N", "2024-01", "strategic", 1.0),
        ("c", "N", "2024-02", "dormant", 0.0),  # into dormant: fine
        ("c", "N", "2024-03", "onboarding", 0.0),  # out of dormant: fine
    ]
    book = load_warned(
        r"1 partner moves back.*'a' \(productive → enabled in 2024-02\)",
        panel(rows),
        territories=TERR.iloc[:1],
    )
    assert len(book.warnings) == 1


def test_default_target_partners():
    rows = [(f"q{i}", "N", "2024-01", "active", 1.0) for i in range(5)]
    rows += [(f"q{i}", "N", "2024-02", "productive" if i < 3 else "enabled", 1.0) for i in range(5)]
    rows += [("s1", "S", "2024-01", "onboarding", 0.0), ("s1", "S", "2024-02", "enabled", 0.0)]
    given = pd.DataFrame({"territory": ["S"], "target_partners": [7]})
    book = load_warned(
        r"default target_partners for 1 territory.*N=7", panel(rows), territories=given
    )
    t = book.territories
    assert t["target_partners"].dtype == np.int64
    assert t.set_index("territory")["target_partners"].to_dict() == {
        "N": math.ceil(1.25 * 5),
        "S": 7,
    }
    book2 = load_warned(r"N=7, S=1", panel(rows))  # S never had an engaged partner: minimum 1
    assert book2.territories["target_partners"].tolist() == [7, 1]


def test_credits_net_sums_rows_and_clips_negative():
    rows = [
        *ROWS,
        ("p1", "N", "2024-02", "enabled", -4.0),
        ("p2", "N", "2024-03", "productive", -100.0),
    ]
    book = load_warned(
        r"1 partner-period net negative.*'p2' 2024-03 \(-30.00\)",
        panel(rows),
        territories=TERR,
        credits="net",
    )
    s = book.panel.set_index(["partner", book.panel["period"].astype(str)])["sales"]
    assert s[("p1", "2024-02")] == 6.0 and s[("p2", "2024-03")] == 0.0
    assert len(book.panel) == 9


# ------------------------------------------------------------------- coverage / maturity
def test_coverage_and_maturity_thresholds():
    target = 20
    engaged = [4, 5, 11, 12, 16, 17, 25]  # coverage .2 .25 .55 .6 .8 .85 1 (capped)
    rows = []
    for m, k in enumerate(engaged, start=1):
        for i in range(25):
            rows.append((f"x{i:02d}", "T", f"2024-{m:02d}", "active" if i < k else "enabled", 1.0))
    book = quiet_load(
        panel(rows), territories=pd.DataFrame({"territory": ["T"], "target_partners": [target]})
    )
    cov = book.coverage()
    assert cov["engaged"].tolist() == engaged
    assert (cov["target_partners"] == target).all()
    expected = [min(1.0, k / target) for k in engaged]
    np.testing.assert_allclose(cov["coverage"], expected)
    assert cov["maturity"].tolist() == [
        "nascent",
        "building",
        "building",
        "developing",
        "developing",
        "mature",
        "mature",
    ]
    assert MATURITY_THRESHOLDS == (0.25, 0.60, 0.85)
    assert isinstance(cov["period"].dtype, pd.PeriodDtype)


def test_coverage_counts_only_engaged_stages_and_territory_per_step():
    book = quiet_load(panel(), territories=TERR)
    cov = book.coverage().set_index(
        ["territory", cov_period := book.coverage()["period"].astype(str)]
    )
    assert cov_period.tolist()[:3] == ["2024-01", "2024-02", "2024-03"]
    # N: p1 onboarding/enabled/active, p2 active/productive/productive
    assert cov.loc["N", "engaged"].tolist() == [1, 1, 2]
    assert cov.loc["S", "engaged"].tolist() == [1, 1, 1]
    assert cov.loc["N", "maturity"].tolist() == ["building", "building", "developing"]


# ------------------------------------------------------------------------------- views
def test_to_xarray():
    book = quiet_load(panel(), territories=TERR)
    ds = book.to_xarray()
    assert ds["sales"].dims == ("partner", "period")
    assert ds["state"].dtype == np.int8 and ds["territory"].dtype == np.int32
    assert ds["period"].values.tolist() == ["2024-01", "2024-02", "2024-03"]
    assert ds["partner"].values.tolist() == ["p1", "p2", "p3"]
    assert ds.attrs["freq"] == "M" and ds.attrs["has_stages"] == 1
    assert list(ds.attrs["stage_names"]) == list(STAGES)
    assert ds.attrs["data_hash"] == book.data_hash() and ds.attrs["source"] == "<DataFrame>"


def test_summary_table_and_text():
    rows = [*ROWS, ("p4", "S", "2024-01", "active", 100.0)]  # p4 left after January
    book = quiet_load(panel(rows), territories=TERR)
    tab = book.summary()
    assert list(tab.columns) == [
        "territory",
        "maturity",
        "stage",
        "partners",
        "sales_last_12m",
        "share",
    ]
    total = tab.iloc[-1]
    assert total["territory"] == "total" and total["partners"] == 4
    assert total["sales_last_12m"] == pytest.approx(328.0) and total["share"] == 1.0
    body = tab.iloc[:-1]
    assert body["share"].sum() == pytest.approx(1.0)
    assert body["partners"].sum() == 4
    s_exit = body[(body["territory"] == "S") & (body["stage"] == "exited")]
    assert s_exit["partners"].tolist() == [1] and s_exit["sales_last_12m"].tolist() == [100.0]
    assert set(body.loc[body["territory"] == "N", "maturity"]) == {"developing"}
    text = book.summary_text()
    assert "<DataFrame>" in text and "2024-01 to 2024-03" in text
    assert "partners:    4 (3 at 2024-03, 1 exited); territories: 2" in text
    # top 20% = 1 partner (p2, 180 of 328)
    assert f"1 partner made {180 / 328:.1%} of sales" in text
    assert "total" in text.splitlines()[-1]


def test_repr_and_equality():
    a = quiet_load(panel(), territories=TERR)
    b = quiet_load(panel().iloc[::-1], territories=TERR, source_name="other.csv")
    assert a == b and hash(a) == hash(b) and b.source == "other.csv"
    c = quiet_load(panel(), territories=TERR, fiscal_year_start_month=4)
    assert c != a
    assert "3 partners, 2 territories, 3 monthly steps" in repr(a)
