"""Write forecast, backtest and quota tables by file suffix, atomically, with provenance.

* ``.parquet`` / ``.pq``: Parquet via pyarrow; provenance as JSON under the schema metadata
  key ``b"channelsim"``;
* ``.csv``: CSV plus a sidecar ``<file>.json`` (e.g. ``forecast.csv.json``) holding the
  provenance;
* ``.nc``: NetCDF (h5netcdf engine) of the Dataset; provenance in the global attributes
  (each key prefixed ``channelsim_`` and, for nested values, JSON text).

Database tables (:func:`write_sql_table`, from :mod:`channelsim._sql`): the rows go into a
staging table that replaces the target in one transaction, with a provenance row in
``channelsim_provenance``.

Every file is written to a temporary file in the target folder and then renamed over the
target with :func:`os.replace`, so a reader never sees half a file and an interrupted write
leaves the old file in place. Folders are created when missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from channelsim._atomic import atomic_write
from channelsim._sql import (
    check_table_name,
    database_label,
    read_sql_provenance,
    write_sql_table,
)
from channelsim.forecast._forecast import dataset_to_frame
from channelsim.provenance import file_hash, record

__all__ = [
    "PROVENANCE_KEY",
    "SUFFIXES",
    "OutputError",
    "atomic_write",
    "check_table_name",
    "database_label",
    "file_hash",
    "provenance",
    "read_provenance",
    "read_sql_provenance",
    "read_table",
    "write_sql_table",
    "write_table",
]

#: Key of the provenance record in Parquet schema metadata.
PROVENANCE_KEY = b"channelsim"
#: Suffixes :func:`write_table` understands.
SUFFIXES = (".parquet", ".pq", ".csv", ".nc")
_NC_PREFIX = "channelsim_"


class OutputError(ValueError):
    """An output path the writers cannot handle (unknown suffix); exits 2 in the CLI."""

    is_bad_input = True


def provenance(*, seed: int | None, model_hash: str | None = None, **extra) -> dict:
    """The provenance record written with every output.

    Parameters
    ----------
    seed : int or None
        Seed of the counter-based generator used.
    model_hash : str, optional
        Identity of the fitted model (hash of the model file, or of its config and data).
    **extra
        Other facts (origin, horizon, draws, data hash, ...). Values must be JSON-serialisable
        (numpy scalars are converted).

    Returns
    -------
    dict
        ``{"seed", "channelsim_version", "model_hash", **extra}``
        (:func:`channelsim.provenance.record`).

    Examples
    --------
    >>> sorted(provenance(seed=1, model_hash="abc", horizon=4))
    ['channelsim_version', 'horizon', 'model_hash', 'seed']
    """
    return record(seed=seed, model_hash=model_hash, **extra)


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, pd.Period | Path):
        return str(obj)
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise OutputError(
            f"{path}: unknown output format {suffix or '(no suffix)'!r}; "
            f"use one of {', '.join(SUFFIXES)}"
        )
    return suffix


def _to_frame(data: pd.DataFrame | xr.Dataset) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    return dataset_to_frame(data)


def _nc_attrs(meta: dict) -> dict:
    out = {}
    for k, v in meta.items():
        if v is None:
            v = ""
        elif isinstance(v, dict | list | tuple | bool):
            v = json.dumps(v, default=_json_default)
        out[_NC_PREFIX + k] = v
    return out


def write_table(
    data: pd.DataFrame | xr.Dataset,
    path: str | os.PathLike,
    meta: dict | None = None,
) -> Path:
    """Write a table (or Dataset) by ``path``'s suffix, atomically, with provenance.

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        A Dataset is written as is to ``.nc`` and as its tidy table otherwise
        (:func:`~channelsim.forecast.dataset_to_frame`); a DataFrame written to ``.nc``
        becomes a Dataset over a ``row`` dimension.
    path : path-like
        ``.parquet``/``.pq``, ``.csv`` (with a ``<file>.json`` sidecar) or ``.nc``.
    meta : dict, optional
        Provenance (see :func:`provenance`).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputError
        For an unknown suffix.

    Examples
    --------
    >>> import tempfile
    >>> df = pd.DataFrame({"id": ["a"], "mean": [1.0]})
    >>> p = write_table(df, Path(tempfile.mkdtemp()) / "t.csv", {"seed": 3})
    >>> read_provenance(p)["seed"]
    3
    """
    path = Path(path)
    suffix = _suffix(path)
    meta = dict(meta or {})
    if suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(_to_frame(data), preserve_index=False)
        md = dict(table.schema.metadata or {})
        md[PROVENANCE_KEY] = json.dumps(meta, default=_json_default).encode()
        table = table.replace_schema_metadata(md)
        return atomic_write(path, lambda tmp: pq.write_table(table, tmp))
    if suffix == ".csv":
        frame = _to_frame(data)
        sidecar = path.with_name(path.name + ".json")
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))
        atomic_write(
            sidecar,
            lambda tmp: tmp.write_text(
                json.dumps(meta, indent=2, default=_json_default) + "\n", encoding="utf-8"
            ),
        )
        return path
    ds = (
        data if isinstance(data, xr.Dataset) else xr.Dataset.from_dataframe(data.rename_axis("row"))
    )
    ds = ds.copy()
    ds.attrs = {**ds.attrs, **_nc_attrs(meta)}
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))


def read_provenance(path: str | os.PathLike) -> dict:
    """The provenance record stored with a file written by :func:`write_table`.

    Examples
    --------
    >>> import tempfile
    >>> p = write_table(pd.DataFrame({"a": [1]}), Path(tempfile.mkdtemp()) / "t.parquet",
    ...                 {"seed": 9, "model_hash": "h"})
    >>> read_provenance(p)["model_hash"]
    'h'
    """
    path = Path(path)
    suffix = _suffix(path)
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        md = pq.read_schema(path).metadata or {}
        raw = md.get(PROVENANCE_KEY)
        return json.loads(raw) if raw else {}
    if suffix == ".csv":
        sidecar = path.with_name(path.name + ".json")
        return json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        attrs = dict(ds.attrs)
    out = {}
    for k, v in attrs.items():
        if not k.startswith(_NC_PREFIX):
            continue
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str) and (v[:1] in ("[", "{") or v in ("true", "false")):
            try:
                v = json.loads(v)
            except ValueError:
                pass
        out[k[len(_NC_PREFIX) :]] = None if v == "" else v
    return out


def read_table(path: str | os.PathLike) -> pd.DataFrame | xr.Dataset:
    """Read a file written by :func:`write_table` (a Dataset for ``.nc``).

    Examples
    --------
    >>> import tempfile
    >>> p = write_table(pd.DataFrame({"a": [1.5]}), Path(tempfile.mkdtemp()) / "t.csv")
    >>> read_table(p)["a"].tolist()
    [1.5]
    """
    path = Path(path)
    suffix = _suffix(path)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path, dtype={"id": str, "period": str, "territory": str})
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()
