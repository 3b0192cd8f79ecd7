"""Databases through ADBC: read a query into a DataFrame, write a table in one transaction.

Depends on pandas and pyarrow; the ADBC drivers (``pip install 'channelsim[sql]'``) are
imported only when a database is used.

URLs:

* ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db`` (SQLite files, embedded;
  the SQLAlchemy spelling);
* ``postgresql://user:password@host:port/dbname`` (also ``postgres://``; any libpq URI);
* ``env:VARIABLE``: the URL is read from that environment variable, so it never appears in a
  command line or a shell history. :data:`URL_ENV` (``CHANNELSIM_DB_URL``) is used when no URL
  is given.

Credentials never leave this module: :func:`mask_url` replaces the password (and any
``password=`` parameter) with ``***``, and every message raised here passes through it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

__all__ = [
    "PROVENANCE_TABLE",
    "SCHEMES",
    "URL_ENV",
    "SqlError",
    "SqlQuery",
    "check_table_name",
    "database_label",
    "mask_url",
    "read_query",
    "read_sql_provenance",
    "resolve_url",
    "write_sql_table",
]

#: Environment variable holding the database URL when ``--sql`` is not given.
URL_ENV = "CHANNELSIM_DB_URL"
#: Table beside every written table holding one provenance row per write.
PROVENANCE_TABLE = "channelsim_provenance"
#: URL schemes understood, and the ADBC driver package of each.
SCHEMES = {
    "sqlite": "adbc-driver-sqlite",
    "postgresql": "adbc-driver-postgresql",
    "postgres": "adbc-driver-postgresql",
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_STAGING = "__channelsim_staging"


class SqlError(ValueError):
    """A database input or output the user can fix (URL, driver, query, table name); exit 2.

    ``reason`` is the message without the query's name (for problem lists that name it).
    """

    is_bad_input = True

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


def mask_url(url: str) -> str:
    """``url`` with its password (userinfo or ``password=`` parameter) replaced by ``***``.

    Examples
    --------
    >>> mask_url("postgresql://ana:s3cret@db:5432/sales")
    'postgresql://ana:***@db:5432/sales'
    >>> mask_url("postgresql://db/sales?user=ana&password=s3cret")
    'postgresql://db/sales?user=ana&password=***'
    >>> mask_url("sqlite:///book.db")
    'sqlite:///book.db'
    """
    out = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/@:]*):[^@/]*@", r"\1:***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", out)


def _secrets(url: str) -> list[str]:
    found = re.findall(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@:]*:([^@/]*)@", url)
    found += re.findall(r"(?i)password=([^&\s]*)", url)
    return [s for s in found if s]


def _scrub(text: str, url: str) -> str:
    """``text`` with every secret of ``url`` (and the raw URL) masked; first lines only."""
    text = text.replace(url, mask_url(url))
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("Detail:", "Traceback", "  File", "query:"))]
    return " ".join(lines[:3])


def resolve_url(url: str | None, option: str = "--sql") -> str:
    """The database URL: ``url`` itself, the variable named by ``env:NAME``, or :data:`URL_ENV`.

    Raises
    ------
    SqlError
        No URL, an empty variable, or a scheme other than :data:`SCHEMES`.

    Examples
    --------
    >>> os.environ["BOOK_DB"] = "sqlite:///book.db"
    >>> resolve_url("env:BOOK_DB")
    'sqlite:///book.db'
    """
    if url is None or url == "":
        var, value = URL_ENV, os.environ.get(URL_ENV, "")
        if not value:
            raise SqlError(f"{option}: no database URL given and ${URL_ENV} is not set")
    elif url.startswith("env:"):
        var = url[4:]
        value = os.environ.get(var, "")
        if not value:
            raise SqlError(f"{option} {url}: environment variable ${var} is not set or empty")
    else:
        var, value = None, url
    scheme = value.split(":", 1)[0].lower() if "://" in value else ""
    if scheme not in SCHEMES:
        where = f" (from ${var})" if var else ""
        raise SqlError(
            f"{option}{where}: unsupported database URL {mask_url(value)!r}; use "
            "sqlite:///path.db or postgresql://user@host:port/dbname"
        )
    return value


def _connect(url: str):
    scheme = url.split(":", 1)[0].lower()
    package = SCHEMES[scheme]
    try:
        if scheme == "sqlite":
            from adbc_driver_sqlite import dbapi
        else:
            from adbc_driver_postgresql import dbapi
    except ImportError as exc:
        raise SqlError(
            f"{mask_url(url)}: the {package} driver is not installed; pip install 'channelsim[sql]'"
        ) from exc
    target = url[len("sqlite:///") :] if scheme == "sqlite" else url
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or not target:
            raise SqlError(f"{url}: no file; use sqlite:///relative.db or sqlite:////abs.db")
    elif scheme == "postgres":
        target = "postgresql" + url[len("postgres") :]
    try:
        return dbapi.connect(target)
    except Exception as exc:
        raise SqlError(f"could not connect to {mask_url(url)}: {_scrub(str(exc), url)}") from None


def _decimals_to_float(table):
    import pyarrow as pa

    cols = []
    for field, col in zip(table.schema, table.columns, strict=True):
        if pa.types.is_decimal(field.type):
            col = col.cast(pa.float64())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


@dataclass(frozen=True)
class SqlQuery:
    """A table given as a SQL query against a database, for :func:`channelsim.data.load_book`.

    Parameters
    ----------
    url : str
        Database URL, ``env:VARIABLE``, or None for ``$CHANNELSIM_DB_URL`` (see module docs).
    query : str
        A ``SELECT`` returning the table's columns (mapped and validated like a file's).

    Examples
    --------
    >>> SqlQuery("sqlite:///book.db", "SELECT * FROM partners").label
    'query "SELECT * FROM partners"'
    """

    url: str | None
    query: str

    @property
    def label(self) -> str:
        """How messages name this table: the query (never the URL)."""
        q = " ".join(self.query.split())
        return f'query "{q if len(q) <= 120 else q[:117] + "..."}"'


def read_query(url: str | None, query: str) -> pd.DataFrame:
    """Run ``query`` and return its rows as a DataFrame (decimals as float64).

    Raises
    ------
    SqlError
        Unusable URL or driver, failed connection, or a query the database refused; the
        message names the query and never shows a password.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "x.db"
    >>> _ = write_sql_table(pd.DataFrame({"a": [1, 2]}), f"sqlite:///{db}", "t", {"seed": 1})
    >>> read_query(f"sqlite:///{db}", "SELECT a FROM t ORDER BY a")["a"].tolist()
    [1, 2]
    """
    url = resolve_url(url)
    conn = _connect(url)
    label = SqlQuery(url, query).label
    try:
        with conn.cursor() as cur:
            try:
                cur.execute(query)
                table = cur.fetch_arrow_table()
            except Exception as exc:
                reason = f"the query failed on {mask_url(url)}: {_scrub(str(exc), url)}"
                raise SqlError(f"{label}: {reason}", reason) from None
        conn.rollback()
    finally:
        conn.close()
    return _decimals_to_float(table).to_pandas()


def check_table_name(name: str) -> None:
    """Refuse a table name :func:`write_sql_table` would not write, before any work is done.

    Examples
    --------
    >>> check_table_name("planning.forecast")
    """
    _split_name(name)


def database_label(url: str | None) -> str:
    """The database as provenance names it: the masked URL, or the variable it came from.

    Examples
    --------
    >>> database_label("env:BOOK_DB")
    'env:BOOK_DB'
    >>> database_label("postgresql://ana:pw@db/sales")
    'postgresql://ana:***@db/sales'
    """
    if url is None:
        return f"env:{URL_ENV}"
    return url if url.startswith("env:") else mask_url(url)


def _split_name(name: str) -> tuple[str | None, str]:
    if not _NAME.match(name or ""):
        raise SqlError(
            f"--out-table {name!r}: expected a table name (letters, digits, _), optionally "
            "schema-qualified (schema.table)"
        )
    schema, _, table = name.rpartition(".")
    return (schema or None), table


def _q(*parts: str | None) -> str:
    return ".".join(f'"{p}"' for p in parts if p)


def write_sql_table(
    frame: pd.DataFrame, url: str | None, table: str, meta: dict | None = None
) -> str:
    """Replace ``table`` with ``frame`` in one transaction, with a provenance row beside it.

    The rows go into a staging table; then, in the same transaction, the old table is dropped,
    the staging table renamed over it and one row (``table_name``, ``written_at`` UTC ISO
    time to the microsecond, ``provenance`` JSON) appended to :data:`PROVENANCE_TABLE`. Nothing is committed
    until all of it succeeded, so a failed or killed write leaves the previous table (and
    its provenance) readable and unchanged.

    Parameters
    ----------
    frame : pandas.DataFrame
    url : str or None
        Database URL, ``env:VARIABLE``, or None for ``$CHANNELSIM_DB_URL``.
    table : str
        ``name`` or ``schema.name``.
    meta : dict, optional
        Provenance record (JSON-serialisable; see :func:`channelsim.forecast.provenance`).

    Returns
    -------
    str
        Where it was written, as ``<masked url>#<table>``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'out.db'}"
    >>> write_sql_table(pd.DataFrame({"id": ["a"]}), url, "forecast", {"seed": 3})[-9:]
    '#forecast'
    >>> read_sql_provenance(url, "forecast")["seed"]
    3
    """
    import pyarrow as pa

    url = resolve_url(url, "--out-sql")
    schema, name = _split_name(table)
    data = pa.Table.from_pandas(frame, preserve_index=False)
    staging = name + _STAGING
    record = json.dumps(meta or {}, sort_keys=True)
    written = datetime.now(UTC).isoformat(timespec="microseconds")
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            try:
                cur.execute(f"DROP TABLE IF EXISTS {_q(schema, staging)}")
                cur.adbc_ingest(staging, _batches(data), mode="create", db_schema_name=schema)
                cur.execute(f"DROP TABLE IF EXISTS {_q(schema, name)}")
                cur.execute(f'ALTER TABLE {_q(schema, staging)} RENAME TO "{name}"')
                cur.execute(
                    f"CREATE TABLE IF NOT EXISTS {_q(schema, PROVENANCE_TABLE)} "
                    "(table_name TEXT, written_at TEXT, provenance TEXT)"
                )
                cur.execute(
                    f"INSERT INTO {_q(schema, PROVENANCE_TABLE)} VALUES (?, ?, ?)"
                    if url.startswith("sqlite")
                    else f"INSERT INTO {_q(schema, PROVENANCE_TABLE)} VALUES ($1, $2, $3)",
                    (name, written, record),
                )
                conn.commit()
            except BaseException as exc:
                conn.rollback()
                if isinstance(exc, Exception) and not isinstance(exc, SqlError):
                    raise SqlError(
                        f"writing table {table!r} to {mask_url(url)} failed (the previous "
                        f"table is unchanged): {_scrub(str(exc), url)}"
                    ) from None
                raise
    finally:
        conn.close()
    return f"{mask_url(url)}#{table}"


def _batches(data, rows: int = 10_000):
    """The rows as a stream of record batches (how they reach the driver)."""
    import pyarrow as pa

    return pa.RecordBatchReader.from_batches(data.schema, data.to_batches(max_chunksize=rows))


def read_sql_provenance(url: str | None, table: str) -> dict:
    """The provenance record of the last write of ``table`` ({} when there is none).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'p.db'}"
    >>> read_sql_provenance(url, "forecast")
    {}
    """
    url = resolve_url(url, "--out-sql")
    schema, name = _split_name(table)
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            try:
                cur.execute(
                    f"SELECT provenance FROM {_q(schema, PROVENANCE_TABLE)} "
                    f"WHERE table_name = '{name}' ORDER BY written_at"
                )
                rows = cur.fetchall()
            except Exception:
                rows = []
        conn.rollback()
    finally:
        conn.close()
    return json.loads(rows[-1][0]) if rows else {}
