"""The data contract: validate input tables and hold the canonical book (DESIGN.md section 6).

``load_book`` reads a partner-period panel (CSV, Parquet, DataFrame or a SQL query,
:class:`SqlQuery`) with optional
territory-quarter and territory tables, lists every problem at once in a
:class:`BookValidationError`, and returns a :class:`Book`: the canonical pandas tables plus
dense (partner, period) arrays, channel-maturity coverage, an xarray view and a lossless
Dataset round trip.

Layer rule: depends only on numpy, pandas, xarray (pyarrow and h5netcdf as I/O engines) and
:mod:`channelsim._vocab` (and :mod:`channelsim._sql`, whose ADBC drivers load only for a
:class:`SqlQuery`); never imports PyMC or numba.
"""

from __future__ import annotations

from channelsim._sql import SqlQuery
from channelsim.data._book import Book
from channelsim.data._errors import BookValidationError, BookWarning, Problem
from channelsim.data._load import load_book
from channelsim.data._mapping import MappingError, parse_mapping_pairs
from channelsim.data._quota_fit import QuotaFit, fit_quota_rule, territory_quarter_sales

__all__ = [
    "Book",
    "BookValidationError",
    "BookWarning",
    "MappingError",
    "Problem",
    "QuotaFit",
    "SqlQuery",
    "fit_quota_rule",
    "load_book",
    "parse_mapping_pairs",
    "territory_quarter_sales",
]
