"""The example book in a PostgreSQL server: fit from it, forecast, write the forecast back.

Needs a server at ``$CHANNELSIM_TEST_PG_URL`` (``postgresql://user:password@host:port/db``);
``bash .ci/jobs/postgres.sh`` starts a throwaway one, loads the example book into it and runs
this file. Without the variable these tests skip locally; under ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import warnings

import pandas as pd
import pytest

from channelsim.cli import main
from tests.test_sql import QUERIES, _table, killed_write_leaves_previous_table

pytestmark = pytest.mark.postgres

URL_VAR = "CHANNELSIM_TEST_PG_URL"


@pytest.fixture(scope="module")
def pg_url():
    url = os.environ.get(URL_VAR)
    problem = None
    if not url:
        problem = f"${URL_VAR} is not set (bash .ci/jobs/postgres.sh starts a server)"
    else:
        try:
            import adbc_driver_postgresql  # noqa: F401
        except ImportError:
            problem = "adbc-driver-postgresql is not installed (pip install 'channelsim[sql]')"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL tests cannot run under CI: {problem}")
        pytest.skip(problem)
    from adbc_driver_postgresql import dbapi

    from channelsim._sql import read_query

    tables = read_query(url, "SELECT table_name FROM information_schema.tables")
    if "partners" not in set(tables["table_name"]):
        assert main(["example", "--sql", url]) == 0
    with dbapi.connect(url) as conn, conn.cursor() as cur:  # for schema-qualified output
        cur.execute("CREATE SCHEMA IF NOT EXISTS planning")
        conn.commit()
    return url


def _secret(url):
    from channelsim._sql import _secrets

    (secret,) = _secrets(url)
    return secret


def test_book_from_postgres_equals_book_from_files(pg_url):
    from channelsim.data import SqlQuery, load_book
    from channelsim.datasets import load_example

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_book(*(SqlQuery(pg_url, q) for q in QUERIES.values()))
    assert book.data_hash() == load_example().data_hash()


def test_fit_from_postgres_forecast_and_write_back(pg_url, tmp_path, monkeypatch, capsys):
    from channelsim._sql import read_sql_provenance
    from channelsim.model import ChannelModel

    monkeypatch.setenv("BOOK_DB", pg_url)
    model = tmp_path / "fit.nc"
    rc = main(["fit", "--sql", "env:BOOK_DB", "--query", QUERIES["panel"],
               "--quarters-query", QUERIES["quarters"],
               "--territories-query", QUERIES["territories"],
               "--draws", "30", "--tune", "60", "--chains", "1", "--seed", "2", "--quiet",
               "--out", str(model)])  # fmt: skip
    fit_out = capsys.readouterr()
    assert rc == 0, fit_out.err
    assert ChannelModel.load(model).book.source == 'query "SELECT * FROM partners"'
    base = ["forecast", str(model), "--horizon", "3", "--draws", "20", "--seed", "5", "--quiet"]
    from channelsim.datasets import load_example

    files = load_example().to_csv_dir(tmp_path / "example")  # the same panel as a file
    assert main([*base, "--panel", str(files.panel), "--out", str(tmp_path / "fc.csv")]) == 0
    # newer actuals from the database, the forecast into a schema-qualified table
    rc = main([*base, "--sql", "env:BOOK_DB", "--query", QUERIES["panel"],
               "--out-table", "planning.forecast"])  # fmt: skip
    out = capsys.readouterr()
    assert rc == 0, out.err
    table = _table(pg_url, "planning.forecast")
    file = pd.read_csv(tmp_path / "fc.csv", dtype={"id": str, "period": str})
    pd.testing.assert_frame_equal(table, file, check_dtype=False)
    prov = read_sql_provenance(pg_url, "planning.forecast")
    assert prov["seed"] == 5 and prov["database"] == "env:BOOK_DB"
    # the password is nowhere: not printed, not in the model file, not in provenance
    secret = _secret(pg_url)
    assert secret not in out.out + out.err + fit_out.out + fit_out.err
    assert secret.encode() not in model.read_bytes()
    rows = _table(pg_url, "planning.channelsim_provenance")
    assert not rows["provenance"].str.contains(secret).any()


def test_out_table_with_url_on_command_line_masks_password(
    pg_url, tmp_path, fc_world, monkeypatch, capsys
):
    from channelsim._sql import mask_url, read_sql_provenance
    from tests._fixtures_forecast import StubModel

    stub = StubModel(fc_world)
    monkeypatch.setattr("channelsim.cli._common.load_model_file", lambda p: stub)
    (tmp_path / "m.nc").write_bytes(b"stub")
    rc = main(["forecast", str(tmp_path / "m.nc"), "--horizon", "1", "--draws", "2", "--quiet",
               "--out-sql", pg_url, "--out-table", "stub_forecast"])  # fmt: skip
    out = capsys.readouterr()
    assert rc == 0
    assert out.out.strip() == f"{mask_url(pg_url)}#stub_forecast"
    assert _secret(pg_url) not in out.out + out.err
    assert _secret(pg_url) not in repr(read_sql_provenance(pg_url, "stub_forecast"))


def test_bad_query_and_missing_column_exit_2(pg_url, capsys):
    missing = "SELECT partner, territory, sales FROM partners"
    rc = main(["validate", "--sql", pg_url, "--query", missing,
               "--territories-query", "SELECT * FROM nowhere"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert 'query "SELECT * FROM nowhere": the query failed' in err and "nowhere" in err
    assert f"query \"{missing}\", column 'period': missing required column 'period'" in err
    assert _secret(pg_url) not in err


def test_write_killed_midway_leaves_previous_table(pg_url):
    killed_write_leaves_previous_table(pg_url)
