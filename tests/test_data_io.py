"""Book input/output: CSV vs Parquet vs DataFrame, data hash, NetCDF round trip, CSV folder,
the mapping parser, and the import rule (no PyMC)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from channelsim.data import (
    Book,
    BookWarning,
    MappingError,
    load_book,
    parse_mapping_pairs,
)

pytestmark = pytest.mark.filterwarnings("ignore::channelsim.data.BookWarning")

PANEL = pd.DataFrame(
    {
        "partner": ["007", "007", "007", "b", "b", "c", "c"],
        "territory": ["N", "N", "N", "N", "N", "S", "S"],
        "period": ["2024-01", "2024-02", "2024-04", "2024-02", "2024-03", "2024-01", "2024-02"],
        "stage": ["onboarding", "enabled", "active", "active", "productive", "active", "exited"],
        "sales": [0.0, 1.25, 1e-7, 123456.789, 0.1, 3.0, 0.0],
        "manager": ["Ann", "Ann", None, "Bo", "Bo", "Cy", "Cy"],
        "calls": [1, 2, 3, 4, 5, 6, 7],
    }
)
QUARTERS = pd.DataFrame(
    {
        "territory": ["N", "S", "N"],
        "quarter": ["2024Q1", "2024-Q1", "2024-05-15"],
        "quota": [100.0, 50.5, 120.0],
        "commit": [90.0, np.nan, 110.0],
        "manager": ["Ann", "Cy", "Ann"],
    }
)
TERR = pd.DataFrame({"territory": ["N", "S"], "target_partners": [3, 1]})


def files(tmp_path):
    """The same book as CSV and Parquet files."""
    out = {}
    for kind in ("csv", "parquet"):
        d = tmp_path / kind
        d.mkdir()
        for name, df in (("p", PANEL), ("q", QUARTERS), ("t", TERR)):
            path = d / f"{name}.{kind}"
            if kind == "csv":
                df.to_csv(path, index=False)
            else:
                df.to_parquet(path, index=False)
            out[(kind, name)] = path
    return out


def test_csv_parquet_dataframe_give_equal_books(tmp_path):
    f = files(tmp_path)
    from_df = load_book(PANEL, QUARTERS, TERR)
    from_csv = load_book(f[("csv", "p")], f[("csv", "q")], f[("csv", "t")])
    from_pq = load_book(str(f[("parquet", "p")]), f[("parquet", "q")], f[("parquet", "t")])
    assert from_csv.source == "p.csv" and from_pq.source == "p.parquet"
    for other in (from_csv, from_pq):
        pd.testing.assert_frame_equal(other.panel, from_df.panel)
        pd.testing.assert_frame_equal(other.quarters, from_df.quarters)
        pd.testing.assert_frame_equal(other.territories, from_df.territories)
        assert other.data_hash() == from_df.data_hash()
        assert other == from_df
    assert from_csv.partner_ids[0] == "007"  # CSV ids keep their leading zeros


def test_quarter_table_canonical():
    q = load_book(PANEL, QUARTERS, TERR).quarters
    assert list(q.columns) == ["territory", "quarter", "quota", "commit", "manager"]
    assert q["quarter"].dtype == pd.PeriodDtype("Q")
    assert [(t, str(p)) for t, p in zip(q["territory"], q["quarter"], strict=True)] == [
        ("N", "2024Q1"),
        ("N", "2024Q2"),
        ("S", "2024Q1"),
    ]
    assert np.isnan(q["commit"].iloc[2])


def test_fiscal_quarters_for_non_calendar_fiscal_year():
    q = pd.DataFrame({"territory": ["N"], "quarter": ["2024-02-10"], "quota": [1.0]})
    book = load_book(PANEL, q, TERR, fiscal_year_start_month=2)
    assert book.quarter_freq == "Q-JAN"
    quarter = book.quarters["quarter"].iloc[0]
    assert quarter.start_time == pd.Timestamp("2024-02-01")
    assert quarter.end_time.normalize() == pd.Timestamp("2024-04-30")


def test_data_hash_changes_with_content_and_is_stable_across_processes():
    book = load_book(PANEL, QUARTERS, TERR)
    changed = PANEL.copy()
    changed.loc[1, "sales"] = 1.2500001
    assert load_book(changed, QUARTERS, TERR).data_hash() != book.data_hash()
    assert load_book(PANEL, None, TERR).data_hash() != book.data_hash()
    code = (
        "import warnings, sys, pandas as pd; warnings.simplefilter('ignore');"
        "from channelsim.data import load_book;"
        f"p = pd.DataFrame({PANEL.to_dict(orient='list')!r});"
        f"q = pd.DataFrame({QUARTERS.to_dict(orient='list')!r});"
        f"t = pd.DataFrame({TERR.to_dict(orient='list')!r});"
        "print(load_book(p, q, t).data_hash());"
        "assert 'pymc' not in sys.modules"
    )
    out = subprocess.run(
        [sys.executable, "-c", code.replace("nan", "float('nan')")],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )
    assert out.stdout.strip() == book.data_hash()


def test_import_does_not_load_pymc():
    code = "import channelsim.data, sys; assert 'pymc' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_netcdf_round_trip(tmp_path):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", BookWarning)
        book = load_book(PANEL, QUARTERS, TERR, source_name="export.csv")
    assert book.warnings  # the gap in partner 007
    path = tmp_path / "book.nc"
    book.to_dataset().to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        back = Book.from_dataset(ds.load())
    pd.testing.assert_frame_equal(back.panel, book.panel)
    pd.testing.assert_frame_equal(back.quarters, book.quarters)
    pd.testing.assert_frame_equal(back.territories, book.territories)
    assert back.data_hash() == book.data_hash()
    assert back.source == "export.csv" and back.warnings == book.warnings
    assert (back.freq, back.fiscal_year_start_month, back.has_stages) == ("M", 1, True)
    np.testing.assert_array_equal(back.states(), book.states())


def test_dataset_round_trip_quarterly_one_stage_no_quarters(tmp_path):
    df = PANEL.drop(columns=["stage", "manager"]).assign(
        period=["2024Q1", "2024Q2", "2024Q4", "2024Q2", "2024Q3", "2024Q1", "2024Q2"]
    )
    book = load_book(df, fiscal_year_start_month=7)
    path = tmp_path / "b.nc"
    book.to_dataset().to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        back = Book.from_dataset(ds.load())
    assert back.quarters is None and back.freq == "Q" and not back.has_stages
    assert back.fiscal_year_start_month == 7
    pd.testing.assert_frame_equal(back.panel, book.panel)
    assert back == book


def test_from_dataset_refuses_altered_tables():
    ds = load_book(PANEL, QUARTERS, TERR).to_dataset()
    ds["book_panel__sales"].values[0] = 99.0
    with pytest.raises(ValueError, match="does not match its data hash"):
        Book.from_dataset(ds)
    with pytest.raises(ValueError, match="holds no channelsim book"):
        Book.from_dataset(xr.Dataset())


def test_to_csv_dir_round_trip(tmp_path):
    book = load_book(PANEL, QUARTERS, TERR)
    out = tmp_path / "new" / "folder"
    written = book.to_csv_dir(out)
    assert [p.name for p in written] == [
        "partners.csv",
        "territory_quarters.csv",
        "territories.csv",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)  # no temp files
    text = (out / "partners.csv").read_text().splitlines()
    assert text[0] == "partner,territory,period,stage,sales,manager,calls"
    assert text[1].startswith("007,N,2024-01,onboarding,")
    assert len(text) == 1 + len(PANEL)  # filled rows are not written
    assert "2024Q1" in (out / "territory_quarters.csv").read_text()
    back = load_book(*written)
    assert back.data_hash() == book.data_hash()
    pd.testing.assert_frame_equal(back.panel, book.panel)
    no_q = load_book(PANEL, territories=TERR).to_csv_dir(tmp_path / "noq")
    assert no_q.quarters is None and load_book(*no_q).quarters is None


# -------------------------------------------------------------------------- mapping parser
def test_parse_mapping_pairs():
    assert parse_mapping_pairs(["A=partner, B = territory", "C=sales"], "--map") == {
        "A": "partner",
        "B": "territory",
        "C": "sales",
    }
    assert parse_mapping_pairs(None, "--map") == {}
    assert parse_mapping_pairs({"Gold": "productive"}, "--stage-map") == {"Gold": "productive"}
    with pytest.raises(
        MappingError, match=r"--stage-map: expected SOURCE=CANONICAL.*'Gold', 'a=b=c'"
    ) as info:
        parse_mapping_pairs(["Gold", "a=b=c", "ok=active"], "--stage-map")
    assert info.value.is_bad_input is True
    with pytest.raises(MappingError, match="mapped twice"):
        parse_mapping_pairs(["A=partner", "A=territory"], "--map")


def test_cli_parse_mapping_delegates():
    from channelsim.cli._common import BadInput, parse_mapping

    assert parse_mapping(["Region=territory"], "--map") == {"Region": "territory"}
    with pytest.raises(BadInput, match="SOURCE=CANONICAL"):
        parse_mapping(["Region"], "--map")
