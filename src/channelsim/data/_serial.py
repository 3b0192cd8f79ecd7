"""Serialise a book's tables: content hash, xarray Dataset round trip, canonical CSV files.

Depends on numpy, pandas and xarray.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from channelsim._atomic import atomic_write
from channelsim.provenance import hasher

__all__ = [
    "FORMAT_VERSION",
    "META_ATTR",
    "TABLES",
    "BookFiles",
    "hash_tables",
    "tables_from_dataset",
    "tables_to_dataset",
    "write_csv_dir",
]

FORMAT_VERSION = 1
#: Dataset attribute holding the JSON description of the stored book.
META_ATTR = "channelsim_book"
#: Table names in a stored book, in order.
TABLES: tuple[str, ...] = ("panel", "quarters", "territories")
_SAFE = re.compile(r"^[A-Za-z0-9_]+$")


def _kind(s: pd.Series) -> str:
    if isinstance(s.dtype, pd.PeriodDtype):
        return f"period:{pd.PeriodIndex(s).freqstr}"
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(s.dtype):
        return "int"
    if pd.api.types.is_float_dtype(s.dtype):
        return "float"
    return "str"


def _hash_column(h, s: pd.Series) -> None:
    kind = _kind(s)
    h.update(f"{s.name}\x1e{kind}\x1e".encode())
    if kind.startswith("period"):
        h.update(pd.PeriodIndex(s).asi8.astype("<i8").tobytes())
    elif kind == "bool":
        h.update(s.to_numpy(dtype=np.uint8).tobytes())
    elif kind == "int":
        h.update(s.to_numpy(dtype="<i8").tobytes())
    elif kind == "float":
        v = s.to_numpy(dtype="<f8", na_value=np.nan).copy()
        v[np.isnan(v)] = np.nan  # one NaN bit pattern
        v[v == 0] = 0.0  # -0.0 and 0.0 alike
        h.update(v.tobytes())
    else:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)  # first-appearance order
        h.update(codes.astype("<i8").tobytes())
        h.update("\x1f".join(str(v) for v in uniques).encode())
    h.update(b"\x1d")


def hash_tables(tables: dict[str, pd.DataFrame | None], settings: dict) -> str:
    """sha256 hex digest of the tables' content and the settings that give them meaning.

    Independent of where the data came from (CSV, Parquet, DataFrame) and of the source
    name; column order and dtypes are the canonical ones.

    Examples
    --------
    >>> t = pd.DataFrame({"territory": ["T"], "target_partners": [3]})
    >>> a = hash_tables({"territories": t}, {"freq": "M"})
    >>> a == hash_tables({"territories": t.copy()}, {"freq": "M"}), len(a)
    (True, 64)
    """
    h = hasher()
    h.update(f"channelsim-book-v{FORMAT_VERSION}\n".encode())
    h.update(json.dumps(settings, sort_keys=True).encode())
    for name in TABLES:
        df = tables.get(name)
        if df is None:
            h.update(f"\n{name}:none".encode())
            continue
        h.update(f"\n{name}:{len(df)}:{len(df.columns)}\n".encode())
        for col in df.columns:
            _hash_column(h, df[col])
    return h.hexdigest()


def tables_to_dataset(tables: dict[str, pd.DataFrame | None], meta: dict) -> xr.Dataset:
    """Pack the tables into a Dataset that ``to_netcdf(engine="h5netcdf")`` can write.

    Each table gets its own row dimension ``book_<table>_row``; each column a variable
    ``book_<table>__<column>``; periods are stored as int64 ordinals, text as int32 codes
    (-1 missing) into ``book_<table>__<column>__values``, booleans as int8. The attribute
    ``channelsim_book`` holds the JSON of ``meta`` plus the column names and kinds, so
    :func:`tables_from_dataset` rebuilds the tables exactly.

    Examples
    --------
    >>> t = pd.DataFrame({"territory": ["T"], "target_partners": [3]})
    >>> ds = tables_to_dataset({"territories": t}, {})
    >>> tables_from_dataset(ds)[0]["territories"].equals(t)
    True
    """
    data_vars = {}
    columns: dict[str, list[list[str]] | None] = {}
    for name in TABLES:
        df = tables.get(name)
        if df is None:
            columns[name] = None
            continue
        dim = f"book_{name}_row"
        spec = []
        for i, col in enumerate(df.columns):
            s = df[col]
            kind = _kind(s)
            var = f"book_{name}__{col}" if _SAFE.match(str(col)) else f"book_{name}__c{i}"
            if kind.startswith("period"):
                values = pd.PeriodIndex(s).asi8.astype(np.int64)
            elif kind == "bool":
                values = s.to_numpy(dtype=np.int8)
            elif kind == "int":
                values = s.to_numpy(dtype=np.int64)
            elif kind == "float":
                values = s.to_numpy(dtype=np.float64, na_value=np.nan)
            else:  # dictionary-encoded: int32 codes (-1 missing) + the distinct values
                codes, uniques = pd.factorize(s, use_na_sentinel=True)
                values = codes.astype(np.int32)
                data_vars[f"{var}__values"] = xr.Variable(
                    f"{var}__value", np.array([str(v) for v in uniques], dtype=object)
                )
            data_vars[var] = xr.Variable(dim, np.array(values, copy=True))
            spec.append([str(col), kind, var])
        columns[name] = spec
    attrs = {
        META_ATTR: json.dumps({**meta, "format": FORMAT_VERSION, "columns": columns}),
        "book_data_hash": str(meta.get("data_hash", "")),
        "book_source": str(meta.get("source", "")),
    }
    return xr.Dataset(data_vars, attrs=attrs)


def tables_from_dataset(ds: xr.Dataset) -> tuple[dict[str, pd.DataFrame | None], dict]:
    """Inverse of :func:`tables_to_dataset`: the tables and the stored ``meta``.

    Raises
    ------
    ValueError
        If ``ds`` holds no channelsim book or one of a newer format.

    Examples
    --------
    >>> tables_from_dataset(xr.Dataset())
    Traceback (most recent call last):
    ...
    ValueError: this Dataset holds no channelsim book (attribute 'channelsim_book' missing)
    """
    if META_ATTR not in ds.attrs:
        raise ValueError(f"this Dataset holds no channelsim book (attribute '{META_ATTR}' missing)")
    meta = json.loads(ds.attrs[META_ATTR])
    if int(meta.get("format", 0)) > FORMAT_VERSION:
        raise ValueError(
            f"the stored book has format {meta['format']}, newer than this channelsim "
            f"understands ({FORMAT_VERSION}); upgrade channelsim"
        )
    tables: dict[str, pd.DataFrame | None] = {}
    for name in TABLES:
        spec = meta["columns"].get(name)
        if spec is None:
            tables[name] = None
            continue
        cols = {}
        for col, kind, var in spec:
            raw = np.asarray(ds[var].values)
            if kind.startswith("period:"):
                cols[col] = pd.PeriodIndex.from_ordinals(
                    raw.astype(np.int64), freq=kind.split(":", 1)[1]
                )
            elif kind == "bool":
                cols[col] = raw.astype(bool)
            elif kind == "int":
                cols[col] = raw.astype(np.int64)
            elif kind == "float":
                cols[col] = raw.astype(np.float64)
            else:
                uniques = [
                    v.decode() if isinstance(v, bytes) else str(v)
                    for v in np.asarray(ds[f"{var}__values"].values)
                ]
                cats = np.array([*uniques, np.nan], dtype=object)
                codes = raw.astype(np.int64)
                cols[col] = pd.Series(cats[codes], dtype="str")  # code -1 -> the NaN
        df = pd.DataFrame(cols)
        df = df.reset_index(drop=True)
        tables[name] = df
    meta = {k: v for k, v in meta.items() if k not in ("columns", "format")}
    return tables, meta


def _with_period_labels(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.PeriodDtype):
            out[col] = out[col].astype("str")
    return out


class BookFiles(NamedTuple):
    """Files written by :func:`write_csv_dir`, in ``load_book`` argument order.

    ``load_book(*files)`` reads them back; ``quarters`` is None without a quarter table.
    """

    panel: Path
    quarters: Path | None
    territories: Path


def write_csv_dir(
    directory: str | os.PathLike, tables: dict[str, pd.DataFrame | None]
) -> BookFiles:
    """Write ``partners.csv``, ``territory_quarters.csv`` and ``territories.csv``.

    Rows inserted to fill gaps are left out (reading the files back inserts them again),
    so ``load_book`` on the written panel gives the same book. Each file is written to a
    temporary file in the same folder and then renamed over the target.

    Examples
    --------
    >>> import tempfile
    >>> t = pd.DataFrame({"territory": ["T"], "target_partners": [3]})
    >>> p = pd.DataFrame({"partner": ["a"], "territory": ["T"], "sales": [1.0],
    ...                   "period": pd.PeriodIndex(["2024-01"], freq="M")})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = write_csv_dir(Path(d) / "out", {"panel": p, "territories": t})
    >>> files.panel.name, files.quarters, files.territories.name
    ('partners.csv', None, 'territories.csv')
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path | None] = {}
    names = {
        "panel": "partners.csv",
        "quarters": "territory_quarters.csv",
        "territories": "territories.csv",
    }
    for name in TABLES:
        df = tables.get(name)
        if df is None:
            written[name] = None
            continue
        if "filled" in df.columns:
            df = df.loc[~df["filled"].to_numpy(dtype=bool)].drop(columns="filled")
        path = directory / names[name]
        atomic_write(path, lambda tmp, df=df: _with_period_labels(df).to_csv(tmp, index=False))
        written[name] = path
    return BookFiles(**written)
