"""The model file: one NetCDF (HDF5) file with the posterior, the book and provenance.

Layout (groups): ``/`` attributes (format, format version, channelsim version, config JSON,
config hash, data hash, fit info JSON), ``posterior`` and ``sample_stats`` (ArviZ layout),
``book`` (:meth:`channelsim.data.Book.to_dataset`, lossless). Written atomically: a temporary
file in the target folder, then :func:`os.replace`.

Depends on xarray, h5netcdf and :mod:`channelsim.data` (never PyMC).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import xarray as xr

from channelsim._atomic import atomic_write

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "read_model_file", "write_model_file"]

FORMAT = "channelsim-model"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A model file that cannot be used: not a model file, another config or version."""

    is_bad_input = True


def write_model_file(
    path: str | os.PathLike,
    *,
    posterior: xr.Dataset,
    sample_stats: xr.Dataset,
    book_ds: xr.Dataset,
    attrs: dict,
) -> Path:
    """Write the model file atomically; creates the folder if missing."""

    def write(tmp: Path) -> None:
        root = xr.Dataset(attrs={"format": FORMAT, "format_version": FORMAT_VERSION, **attrs})
        root.to_netcdf(tmp, mode="w", engine="h5netcdf")
        for group, ds in (
            ("posterior", posterior),
            ("sample_stats", sample_stats),
            ("book", book_ds),
        ):
            ds.to_netcdf(tmp, mode="a", group=group, engine="h5netcdf")

    return atomic_write(path, write)


def read_model_file(path: str | os.PathLike) -> tuple[dict, xr.Dataset, xr.Dataset, xr.Dataset]:
    """``(attrs, posterior, sample_stats, book_ds)`` of a model file, fully loaded.

    Raises
    ------
    ModelFileError
        If the file is missing or not a channelsim model file.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as root:
            attrs = dict(root.attrs)
    except Exception as exc:
        raise ModelFileError(f"{path}: not a NetCDF/HDF5 file ({exc})") from None
    if attrs.get("format") != FORMAT:
        raise ModelFileError(
            f"{path}: not a channelsim model file (format {attrs.get('format')!r})"
        )
    if int(attrs.get("format_version", -1)) != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model file format {attrs.get('format_version')} is not supported "
            f"(this channelsim reads format {FORMAT_VERSION}); refit the model"
        )
    groups = []
    for group in ("posterior", "sample_stats", "book"):
        with xr.open_dataset(path, group=group, engine="h5netcdf") as ds:
            groups.append(ds.load())
    for key in ("config", "fit_info"):
        if isinstance(attrs.get(key), str):
            attrs[key] = json.loads(attrs[key]) if key == "fit_info" else attrs[key]
    return attrs, groups[0], groups[1], groups[2]
