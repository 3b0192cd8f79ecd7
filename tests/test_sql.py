"""Books read from a database and tables written back (SQLite, the embedded case).

The same paths against a PostgreSQL server are in ``test_sql_postgres.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from channelsim._sql import (
    PROVENANCE_TABLE,
    SqlError,
    mask_url,
    read_query,
    read_sql_provenance,
    write_sql_table,
)
from channelsim.cli import main
from channelsim.data import SqlQuery, load_book
from tests._fixtures_forecast import StubModel

pytest.importorskip("adbc_driver_sqlite", reason="the SQLite ADBC driver is in the dev extra")


@pytest.fixture(scope="module")
def example_db(tmp_path_factory):
    """The example book in a SQLite file, loaded with ``channelsim example --sql``."""
    db = tmp_path_factory.mktemp("db") / "book.db"
    url = f"sqlite:///{db}"
    assert main(["example", "--sql", url]) == 0
    return url


QUERIES = {
    "panel": "SELECT * FROM partners",
    "quarters": "SELECT * FROM territory_quarters",
    "territories": "SELECT * FROM territories",
}


def test_book_from_sqlite_equals_book_from_files(example_db):
    from channelsim.datasets import load_example

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_book(*(SqlQuery(example_db, q) for q in QUERIES.values()))
    assert book.data_hash() == load_example().data_hash()
    assert book.source == 'query "SELECT * FROM partners"'


def test_validate_cli_from_sqlite_with_env_url_and_query_file(
    example_db, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("BOOK_DB", example_db)
    qfile = tmp_path / "panel.sql"
    qfile.write_text("SELECT partner, territory, period, stage, sales\nFROM partners")
    rc = main(["validate", "--sql", "env:BOOK_DB", "--query", f"@{qfile}",
               "--territories-query", QUERIES["territories"]])  # fmt: skip
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "326 (228 at 2026-12, 98 exited)" in out.out
    # no --sql: the documented variable
    monkeypatch.setenv("CHANNELSIM_DB_URL", example_db)
    assert main(["validate", "--query", QUERIES["panel"]]) == 0


def test_column_map_applies_to_queries(example_db, capsys):
    q = "SELECT partner AS Account_ID, territory AS Region, period, sales AS Revenue FROM partners"
    rc = main(["validate", "--sql", example_db, "--query", q,
               "--map", "Account_ID=partner,Region=territory,Revenue=sales"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err


def test_bad_query_and_missing_column_exit_2_naming_them(example_db, capsys):
    bad = "SELECT * FROM no_such_table"
    missing = "SELECT partner, territory, period, sales AS revenue FROM partners"
    rc = main(["validate", "--sql", example_db, "--query", missing,
               "--quarters-query", bad])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert f'query "{bad}": the query failed' in err and "no such table" in err
    assert f"query \"{missing}\", column 'sales': missing required column 'sales'" in err
    assert "--map revenue=sales" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--query", "SELECT 1", "panel.csv"], "not both"),
        (["--sql", "sqlite:///x.db"], "--sql needs --query"),
        (["--sql", "mysql://h/db", "--query", "SELECT 1"], "unsupported database URL"),
        (["--sql", "env:CHANNELSIM_NOT_SET", "--query", "SELECT 1"], "is not set"),
        (["--sql", "sqlite://book.db", "--query", "SELECT 1"], "use sqlite:///relative.db"),
        ([], "no panel"),
    ],
)
def test_sql_option_errors_exit_2(args, expect, capsys, monkeypatch):
    monkeypatch.delenv("CHANNELSIM_NOT_SET", raising=False)
    assert main(["validate", *args]) == 2
    assert expect in capsys.readouterr().err


def test_credentials_never_printed(capsys):
    pytest.importorskip("adbc_driver_postgresql", reason="the PostgreSQL driver is in dev")
    url = "postgresql://ana:s3cr3t-pw@127.0.0.1:1/sales"  # port 1: nothing listens
    assert main(["validate", "--sql", url, "--query", "SELECT 1"]) == 2
    err = capsys.readouterr().err
    assert "could not connect" in err and "ana:***@127.0.0.1:1" in err
    assert "s3cr3t-pw" not in err


def test_mask_url():
    assert mask_url("postgresql://a:b@h:5/d") == "postgresql://a:***@h:5/d"
    assert mask_url("postgresql://h/d?password=x&user=a") == "postgresql://h/d?password=***&user=a"
    assert mask_url("postgresql://a@h/d") == "postgresql://a@h/d"


def test_decimal_and_date_columns_are_read(tmp_path):
    url = f"sqlite:///{tmp_path / 'types.db'}"
    write_sql_table(pd.DataFrame({"a": [1]}), url, "t")
    df = read_query(url, "SELECT CAST(2.5 AS REAL) AS x, '2024-01-31' AS d")
    assert df["x"].tolist() == [2.5] and df["d"].tolist() == ["2024-01-31"]


# ---------------------------------------------------------------- writing tables back


def _table(url, name):
    return read_query(url, f"SELECT * FROM {name}")


def test_write_replaces_table_and_appends_provenance(tmp_path):
    url = f"sqlite:///{tmp_path / 'out.db'}"
    first = pd.DataFrame({"id": ["a", "b"], "mean": [1.0, 2.0]})
    second = pd.DataFrame({"id": ["c"], "mean": [3.0], "q10": [0.5]})
    assert write_sql_table(first, url, "forecast", {"seed": 1}).endswith("#forecast")
    write_sql_table(second, url, "forecast", {"seed": 2})
    pd.testing.assert_frame_equal(_table(url, "forecast"), second)
    assert read_sql_provenance(url, "forecast") == {"seed": 2}
    prov = _table(url, PROVENANCE_TABLE)
    assert prov["table_name"].tolist() == ["forecast", "forecast"]
    assert [json.loads(p)["seed"] for p in prov["provenance"]] == [1, 2]
    tables = _table(url, "sqlite_master")["name"].tolist()
    assert not [t for t in tables if "staging" in t]


def test_bad_table_name_is_bad_input(tmp_path):
    with pytest.raises(SqlError, match="expected a table name"):
        write_sql_table(pd.DataFrame({"a": [1]}), f"sqlite:///{tmp_path / 'x.db'}", "a; drop")


def _big(n=50_000, value=1.0):
    return pd.DataFrame({"id": [f"p{i}" for i in range(n)], "mean": np.full(n, value)})


def test_write_failing_midway_leaves_previous_table(tmp_path, monkeypatch):
    import pyarrow as pa

    import channelsim._sql as sql

    url = f"sqlite:///{tmp_path / 'out.db'}"
    write_sql_table(_big(value=1.0), url, "forecast", {"seed": 1})
    seen = []

    def failing(data, rows=10_000):
        def gen():
            for batch in data.to_batches(max_chunksize=rows):
                if len(seen) * rows >= data.num_rows // 2:
                    raise RuntimeError("injected failure after half the rows")
                seen.append(batch.num_rows)
                yield batch

        return pa.RecordBatchReader.from_batches(data.schema, gen())

    monkeypatch.setattr(sql, "_batches", failing)
    with pytest.raises(SqlError, match="previous table is unchanged"):
        write_sql_table(_big(value=2.0), url, "forecast", {"seed": 2})
    assert sum(seen) >= 20_000  # half the rows reached the database before the failure
    old = _table(url, "forecast")
    assert len(old) == 50_000 and (old["mean"] == 1.0).all()
    assert read_sql_provenance(url, "forecast") == {"seed": 1}


KILLER = """
import os, signal, sys
import numpy as np, pandas as pd, pyarrow as pa
import channelsim._sql as sql
def killing(data, rows=10_000):
    def gen():
        for i, batch in enumerate(data.to_batches(max_chunksize=rows)):
            if i == data.num_rows // rows // 2:
                os.kill(os.getpid(), signal.SIGKILL)
            yield batch
    return pa.RecordBatchReader.from_batches(data.schema, gen())
sql._batches = killing
n = 50_000
sql.write_sql_table(pd.DataFrame({"id": [f"p{i}" for i in range(n)], "mean": np.full(n, 2.0)}),
                    sys.argv[1], "forecast", {"seed": 2})
"""


def killed_write_leaves_previous_table(url):
    """Shared by the SQLite and PostgreSQL tests: SIGKILL a writer halfway through."""
    write_sql_table(_big(value=1.0), url, "forecast", {"seed": 1})
    proc = subprocess.run([sys.executable, "-c", KILLER, url], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr  # killed, not finished
    old = _table(url, "forecast")
    assert len(old) == 50_000 and (old["mean"] == 1.0).all()
    assert read_sql_provenance(url, "forecast") == {"seed": 1}


def test_write_killed_midway_leaves_previous_table(tmp_path):
    killed_write_leaves_previous_table(f"sqlite:///{tmp_path / 'out.db'}")


# ---------------------------------------------------------------- forecast / quota CLI


@pytest.fixture
def stub_model_file(tmp_path, fc_world, monkeypatch):
    path = tmp_path / "model.nc"
    path.write_bytes(b"stub")
    stub = StubModel(fc_world)
    monkeypatch.setattr("channelsim.cli._common.load_model_file", lambda p: stub)
    return path


def test_forecast_and_quota_out_table_equal_the_files(stub_model_file, tmp_path):
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    base = ["forecast", str(stub_model_file), "--horizon", "2", "--draws", "3", "--seed", "4",
            "--quiet"]  # fmt: skip
    assert main([*base, "--out", str(tmp_path / "f.csv"), "--out-table", "fc",
                 "--out-sql", url]) == 0  # fmt: skip
    from channelsim.forecast import read_provenance

    table = _table(url, "fc")
    file = pd.read_csv(tmp_path / "f.csv", dtype={"id": str, "period": str})
    pd.testing.assert_frame_equal(table, file, check_dtype=False)
    assert read_sql_provenance(url, "fc") == read_provenance(tmp_path / "f.csv")
    assert read_sql_provenance(url, "fc")["seed"] == 4
    q = ["quota", str(stub_model_file), "--year", "2024", "--draws", "20", "--quiet",
         "--out-table", "planning_quotas", "--out-sql", url]  # fmt: skip
    assert main(q) == 0
    quotas = _table(url, "planning_quotas")
    assert quotas["territory"].tolist()[-1] == "total" and (quotas["quota"] > 0).all()
    assert read_sql_provenance(url, "planning_quotas")["probability"] == 0.6


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        ([], "give --out FILE, --out-table NAME"),
        (["--out-table", "bad name"], "expected a table name"),
        (["--out-sql", "sqlite:///x.db", "--out", "f.csv"], "--out-sql needs --out-table"),
    ],
)
def test_forecast_output_options_exit_2(stub_model_file, extra, expect, capsys):
    assert main(["forecast", str(stub_model_file), "--horizon", "1", *extra]) == 2
    assert expect in capsys.readouterr().err


def test_forecast_newer_actuals_from_sqlite_equal_the_file(model_file, model_book, tmp_path):
    """``forecast --sql --query`` (newer actuals from a database) = ``--panel FILE``."""
    files = model_book.to_csv_dir(tmp_path / "book")
    url = f"sqlite:///{tmp_path / 'book.db'}"
    write_sql_table(pd.read_csv(files.panel, dtype=str), url, "partners")
    base = ["forecast", str(model_file), "--horizon", "2", "--draws", "4", "--seed", "3", "--quiet"]
    assert main([*base, "--panel", str(files.panel), "--out", str(tmp_path / "a.csv")]) == 0
    assert main([*base, "--sql", url, "--query", "SELECT * FROM partners",
                 "--out-table", "fc"]) == 0  # fmt: skip
    a = pd.read_csv(tmp_path / "a.csv", dtype={"id": str, "period": str})
    pd.testing.assert_frame_equal(_table(url, "fc"), a, check_dtype=False)
    prov = read_sql_provenance(url, "fc")
    assert prov["panel"] == 'query "SELECT * FROM partners"' and prov["database"] == url
