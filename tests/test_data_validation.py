"""Validation rules of ``channelsim.data.load_book``: one failing input per rule.

Every test checks that the problem names the file, the column and the spreadsheet rows
(header = row 1, first data row = row 2).
"""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from channelsim._vocab import STATES
from channelsim.data import BookValidationError, Problem, load_book

pytestmark = pytest.mark.filterwarnings("ignore::channelsim.data.BookWarning")

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


def panel(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS)


def write_csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(call, *args, **kwargs) -> list[Problem]:
    with pytest.raises(BookValidationError) as info:
        call(*args, **kwargs)
    return info.value.problems


def one(found: list[Problem], column: str | None, text: str) -> Problem:
    hits = [p for p in found if p.column == column and text in p.message]
    assert len(hits) == 1, f"expected one problem in column {column!r} with {text!r}: {found}"
    return hits[0]


# --------------------------------------------------------------------- 1. empty / unreadable
def test_header_only_csv_is_empty(tmp_path):
    path = write_csv(tmp_path, "p.csv", "partner,territory,period,sales\n")
    (p,) = problems(load_book, path)
    assert p.file == "p.csv" and "no data rows" in p.message


def test_empty_dataframe_is_a_problem():
    (p,) = problems(load_book, panel([]))
    assert p.file == "<DataFrame>" and "no data rows" in p.message


def test_missing_file_and_unreadable_type_reported_together(tmp_path):
    xlsx = tmp_path / "book.xlsx"
    xlsx.write_bytes(b"PK\x03\x04")
    found = problems(load_book, tmp_path / "missing.csv", quarters=xlsx)
    assert [p.file for p in found] == ["missing.csv", "book.xlsx"]
    assert "file not found" in found[0].message
    assert "unreadable file type '.xlsx'" in found[1].message


def test_empty_file_is_a_problem(tmp_path):
    path = write_csv(tmp_path, "p.csv", "")
    (p,) = problems(load_book, path)
    assert "empty" in p.message


# ------------------------------------------------------------------ 2. required columns
def test_missing_columns_did_you_mean_and_map_hint(tmp_path):
    path = write_csv(tmp_path, "p.csv", "Account_ID,Teritory,period,Revenue\na,N,2024-01,1\n")
    found = problems(load_book, path)
    assert {p.column for p in found} == {"partner", "territory", "sales"}
    part = one(found, "partner", "missing required column")
    assert part.file == "p.csv"
    assert "did you mean 'Account_ID'" in part.message
    assert "--map Account_ID=partner" in part.message
    assert "did you mean 'Teritory'" in one(found, "territory", "missing").message
    assert "--map Revenue=sales" in one(found, "sales", "missing").message


# ------------------------------------------------------------------------- 3. periods
def test_unparseable_periods_list_rows(tmp_path):
    df = panel()
    df.loc[[1, 4, 7], "period"] = ["Feb", "2024-13", "sometime"]
    p = one(problems(load_book, df), "period", "cannot read the period")
    assert p.rows == [3, 6, 9]
    assert "'Feb'" in p.message and "2024Q1" in p.message


def test_mixed_monthly_and_quarterly(tmp_path):
    df = panel()
    df.loc[8, "period"] = "2024Q1"
    p = one(problems(load_book, df), "period", "mixed monthly and quarterly")
    assert p.rows == [10] and p.file == "<DataFrame>"


def test_missing_period():
    df = panel()
    df.loc[2, "period"] = None
    assert one(problems(load_book, df), "period", "missing period").rows == [4]


# --------------------------------------------------------------------------- 4. sales
def test_non_numeric_and_missing_sales(tmp_path):
    text = "partner,territory,period,sales\na,N,2024-01,12\na,N,2024-02,1.2k\nb,N,2024-01,\n"
    found = problems(load_book, write_csv(tmp_path, "p.csv", text))
    bad = one(found, "sales", "must be a number")
    assert bad.rows == [3] and bad.file == "p.csv" and "'1.2k'" in bad.message
    assert one(found, "sales", "missing sales").rows == [4]


def test_nan_sales_in_dataframe():
    df = panel()
    df["sales"] = df["sales"].astype(object)
    df.loc[0, "sales"] = float("nan")
    df.loc[1, "sales"] = "n/a"
    found = problems(load_book, df)
    assert one(found, "sales", "missing sales").rows == [2]
    assert one(found, "sales", "must be a number").rows == [3]


# ------------------------------------------------------------------------- 5. credits
def test_negative_sales_are_credits_error():
    df = panel()
    df.loc[[2, 5], "sales"] = [-3.0, -1.0]
    p = one(problems(load_book, df), "sales", "negative sales")
    assert p.rows == [4, 7] and "--credits net" in p.message


# -------------------------------------------------------------------------- 6. stages
def test_unknown_stages_list_values_allowed_and_option():
    df = panel()
    df.loc[[0, 3, 6], "stage"] = ["Gold", "Gold", "Silver"]
    p = one(problems(load_book, df), "stage", "unknown stage")
    assert p.rows == [2, 5, 8]
    assert "'Gold' (2 rows)" in p.message and "'Silver' (1 row)" in p.message
    assert ", ".join(STATES) in p.message
    assert "--stage-map Gold=productive" in p.message


def test_missing_stage():
    df = panel()
    df.loc[4, "stage"] = None
    assert one(problems(load_book, df), "stage", "missing stage").rows == [6]


def test_positive_sales_on_exited_row():
    df = panel()
    df.loc[len(df)] = ["p3", "S", "2024-04", "exited", 9.0]
    p = one(problems(load_book, df), "sales", "exited")
    assert p.rows == [11]


def test_rows_after_exit_are_a_problem():
    df = panel()
    df.loc[len(df)] = ["p3", "S", "2024-04", "exited", 0.0]
    df.loc[len(df)] = ["p3", "S", "2024-05", "active", 3.0]
    p = one(problems(load_book, df), "stage", "after exiting")
    assert p.rows == [12] and "'p3'" in p.message


# ---------------------------------------------------------------------- 7. duplicates
def test_duplicate_partner_period_rows():
    df = pd.concat([panel(), panel().iloc[[1, 4]]], ignore_index=True)
    p = one(problems(load_book, df), None, "more than one row")
    assert p.rows == [3, 6, 11, 12]
    assert "2 partner-periods" in p.message and "--credits net" in p.message


# ------------------------------------------------------------ 8. territory-quarter table
def test_quarter_table_problems(tmp_path):
    text = (
        "territory,quarter,quota,commit\n"
        "N,2024Q1,100,90\n"  # 2
        "X,2024-Q2,10,10\n"  # 3 unknown territory
        "N,someday,10,10\n"  # 4 bad quarter
        "S,2024Q1,-5,ten\n"  # 5 negative quota, non-numeric commit
        "N,2024-02-15,1,1\n"  # 6 duplicate of row 2 (date inside 2024Q1)
    )
    found = problems(load_book, panel(), quarters=write_csv(tmp_path, "quotas.csv", text))
    assert {p.file for p in found} == {"quotas.csv"}
    unknown = one(found, "territory", "not in the panel")
    assert unknown.rows == [3] and "'X'" in unknown.message
    assert one(found, "quarter", "cannot read the quarter").rows == [4]
    assert one(found, "quota", "negative quota").rows == [5]
    assert one(found, "commit", "must be a number").rows == [5]
    assert one(found, None, "appears more than once").rows == [2, 6]


def test_quarter_table_needs_a_value_column():
    q = pd.DataFrame({"territory": ["N"], "quarter": ["2024Q1"]})
    p = one(problems(load_book, panel(), quarters=q), None, "at least one of")
    assert p.file == "<quarters DataFrame>"


# ----------------------------------------------------------------- 9. territory table
def test_territory_table_problems(tmp_path):
    text = "territory,target_partners\nN,2.5\nS,0\nW,3\nN,x\n"
    found = problems(load_book, panel(), territories=write_csv(tmp_path, "terr.csv", text))
    assert one(found, "territory", "not in the panel").rows == [4]
    assert one(found, "target_partners", "whole number").rows == [2, 3, 5]
    assert all(p.file == "terr.csv" for p in found)


def test_duplicate_territory_rows():
    t = pd.DataFrame({"territory": ["N", "N", "S"], "target_partners": [1, 2, 3]})
    assert one(problems(load_book, panel(), territories=t), "territory", "more than once").rows == [
        2,
        3,
    ]


# --------------------------------------------------------------------------- 10. options
def test_bad_options_all_reported():
    found = problems(
        load_book,
        panel(),
        column_map={"Foo": "partnr"},
        stage_map={"Gold": "platinum"},
        stage_timing="later",
        credits="ignore",
        fiscal_year_start_month=13,
    )
    assert all(p.file == "options" for p in found)
    assert "did you mean 'partner'" in one(found, None, "not a canonical column").message
    assert "platinum" in one(found, None, "not a lifecycle stage").message
    one(found, None, "stage_timing")
    one(found, None, "credits")
    one(found, None, "fiscal_year_start_month must be a month number")


def test_column_map_source_not_found():
    p = one(problems(load_book, panel(), column_map={"Acct": "partner"}), None, "no column named")
    assert "'Acct'" in p.message


def test_quarterly_panel_needs_aligned_fiscal_year():
    df = panel()
    df["period"] = df["period"].str.replace("2024-0", "2024Q")
    one(problems(load_book, df, fiscal_year_start_month=2), None, "quarterly panel needs")
    assert load_book(df, fiscal_year_start_month=4).freq == "Q"


def test_mapping_error_in_list_form_is_a_problem():
    p = one(problems(load_book, panel(), column_map=["Acct"]), None, "SOURCE=CANONICAL")
    assert p.file == "options"


# ---------------------------------------------------------------- error object and report
def test_all_problems_of_several_rules_in_one_error(tmp_path):
    text = (
        "partner,territory,period,stage,sales\n"
        "a,N,2024-01,Gold,1\n"
        "a,N,2024-02,active,-1\n"
        "b,,2024-01,active,2\n"
        "b,N,20240x,active,x\n"
    )
    with pytest.raises(BookValidationError) as info:
        load_book(write_csv(tmp_path, "multi.csv", text))
    err = info.value
    assert err.is_bad_input is True
    assert {(p.column, tuple(p.rows)) for p in err.problems} == {
        ("stage", (2,)),
        ("sales", (3,)),
        ("territory", (4,)),
        ("period", (5,)),
        ("sales", (5,)),
    }
    lines = str(err).splitlines()
    assert lines[0] == "5 problems in multi.csv:"
    assert len(lines) == 6
    assert "  - multi.csv, column 'stage', row 2: unknown stage value 'Gold'" in str(err)
    assert "  - multi.csv, column 'territory', row 4: missing territory id" in lines


def test_row_list_is_shortened():
    df = panel()
    df["sales"] = -1.0
    p = one(problems(load_book, df), "sales", "negative")
    assert p.rows == list(range(2, 11))
    assert "rows 2, 3, 4, 5, 6 and 4 more: negative" in str(p)


def test_problem_str_without_column_or_rows_and_pickling():
    assert str(Problem("x.csv", None, [], "bad")) == "x.csv: bad"
    err = BookValidationError([Problem("x.csv", None, [], "bad")])
    assert str(err) == "1 problem in x.csv:\n  - x.csv: bad"
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and str(back) == str(err)
