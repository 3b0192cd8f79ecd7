"""The validated book: canonical tables plus their dense and labelled views.

Depends on numpy, pandas, xarray and :mod:`channelsim._vocab`.
"""

from __future__ import annotations

import os
from functools import cached_property

import numpy as np
import pandas as pd
import xarray as xr

from channelsim._html_repr import card, svg_line, table
from channelsim._vocab import ONE_STAGE, STAGES, state_names
from channelsim.calendar import quarter_freq
from channelsim.data._matrices import (
    PanelArrays,
    engaged_counts,
    maturity_labels,
    panel_arrays,
)
from channelsim.data._periods import period_labels
from channelsim.data._quota_fit import QuotaFit, fit_quota_rule
from channelsim.data._serial import (
    BookFiles,
    hash_tables,
    tables_from_dataset,
    tables_to_dataset,
    write_csv_dir,
)
from channelsim.data._summary import summary_table, summary_text

__all__ = ["Book"]

_COVERAGE_COLUMNS = ("territory", "period", "engaged", "target_partners", "coverage", "maturity")


class Book:
    """A validated partner-period book: the canonical tables every layer works from.

    Build one with :func:`channelsim.data.load_book` (which validates the input) or
    :meth:`Book.from_dataset`; the constructor takes tables that are already canonical.
    A book is read-only: the table properties return copies (cheap under pandas
    copy-on-write) and the array methods return new arrays.

    Parameters
    ----------
    panel : pandas.DataFrame
        Canonical panel: ``partner``, ``territory``, ``period`` (Period), optional ``stage``,
        ``sales`` (float64, >= 0), optional ``manager``, activity columns (float64) and
        ``filled`` (bool), sorted by partner and period with no holes inside a partner.
    quarters : pandas.DataFrame or None
        Canonical territory-quarter table (``territory``, ``quarter`` and any of ``quota``,
        ``commit``, ``manager``).
    territories : pandas.DataFrame
        ``territory``, ``target_partners`` (int64), one row per panel territory.
    freq : {"M", "Q"}
        The step of the panel.
    fiscal_year_start_month : int
        First month of the fiscal year, 1-12.
    source : str
        Name of the input, for messages and provenance.
    warnings : tuple of str
        Warnings raised while loading.

    Examples
    --------
    >>> from channelsim.data import load_book
    >>> df = pd.DataFrame({"partner": ["a", "a", "b"], "territory": ["T"] * 3,
    ...                    "period": ["2024-01", "2024-02", "2024-02"],
    ...                    "sales": [10.0, 0.0, 5.0]})
    >>> book = load_book(df, territories=pd.DataFrame({"territory": ["T"],
    ...                                                "target_partners": [2]}))
    >>> book.freq, book.partner_ids, book.states().tolist()
    ('M', ('a', 'b'), [[0, 0], [-1, 0]])
    """

    def __init__(
        self,
        panel: pd.DataFrame,
        quarters: pd.DataFrame | None,
        territories: pd.DataFrame,
        *,
        freq: str,
        fiscal_year_start_month: int = 1,
        source: str = "<DataFrame>",
        warnings: tuple[str, ...] | list[str] = (),
    ) -> None:
        if freq not in ("M", "Q"):
            raise ValueError(f"freq must be 'M' or 'Q', got {freq!r}")
        self._panel = panel
        self._quarters = quarters
        self._territories = territories
        self._freq = freq
        self._fy = int(fiscal_year_start_month)
        self._source = str(source)
        self._warnings = tuple(warnings)
        self._quota_fit: QuotaFit | None = None

    # ----------------------------------------------------------------- tables and settings
    @property
    def panel(self) -> pd.DataFrame:
        """The canonical partner-period panel (a copy)."""
        return self._panel.copy(deep=False)

    @property
    def quarters(self) -> pd.DataFrame | None:
        """The territory-quarter table, or None (a copy)."""
        return None if self._quarters is None else self._quarters.copy(deep=False)

    @property
    def territories(self) -> pd.DataFrame:
        """Territory table with ``target_partners`` for every panel territory (a copy)."""
        return self._territories.copy(deep=False)

    @property
    def freq(self) -> str:
        """``"M"`` (monthly steps) or ``"Q"`` (quarterly steps)."""
        return self._freq

    @property
    def steps_per_quarter(self) -> int:
        """3 for a monthly panel, 1 for a quarterly one."""
        return 3 if self._freq == "M" else 1

    @property
    def fiscal_year_start_month(self) -> int:
        """First month (1-12) of the fiscal year."""
        return self._fy

    @property
    def quarter_freq(self) -> str:
        """pandas frequency of the (fiscal) quarters, e.g. ``"Q-DEC"``; see ``quarters``."""
        return quarter_freq(self._fy)

    @property
    def has_stages(self) -> bool:
        """Whether the panel had a lifecycle ``stage`` column."""
        return "stage" in self._panel.columns

    @property
    def stage_names(self) -> tuple[str, ...]:
        """``_vocab.STAGES`` with stages, ``_vocab.ONE_STAGE`` without."""
        return STAGES if self.has_stages else ONE_STAGE

    @property
    def state_names(self) -> tuple[str, ...]:
        """The stage names followed by ``exited``."""
        return state_names(self.stage_names)

    @property
    def source(self) -> str:
        """Name of the input (file name or ``"<DataFrame>"``)."""
        return self._source

    @property
    def warnings(self) -> tuple[str, ...]:
        """Warnings raised while loading (also issued as :class:`BookWarning`)."""
        return self._warnings

    @cached_property
    def _arrays(self) -> PanelArrays:
        return panel_arrays(self._panel, self.stage_names)

    @property
    def periods(self) -> pd.PeriodIndex:
        """Every step from the first to the last period of the panel."""
        return self._arrays.periods

    @property
    def partner_ids(self) -> tuple[str, ...]:
        """Partner ids, sorted; row order of the arrays."""
        return self._arrays.partner_ids

    @property
    def territory_ids(self) -> tuple[str, ...]:
        """Territory ids, sorted; the codes of :meth:`territory_matrix`."""
        return self._arrays.territory_ids

    # ---------------------------------------------------------------------------- arrays
    def states(self) -> np.ndarray:
        """State codes, int8 (n_partners, n_periods).

        The code indexes :attr:`state_names`; -1 before a partner's first row;
        ``len(stage_names)`` (exited) from an explicit ``exited`` row on and from the step
        after a partner's last row when that is before the panel's last period. In a
        one-stage book every present step is 0 (``active``).
        """
        return self._arrays.states.copy()

    def sales_matrix(self) -> np.ndarray:
        """Sales, float64 (n_partners, n_periods); NaN before joining and once exited."""
        return self._arrays.sales.copy()

    def territory_matrix(self) -> np.ndarray:
        """Index into :attr:`territory_ids` per step, int32 (n_partners, n_periods).

        -1 before joining; the last known territory is carried into exited steps.
        """
        return self._arrays.territory.copy()

    # ---------------------------------------------------------------- channel maturity
    def coverage(self) -> pd.DataFrame:
        """Channel maturity of every territory at every step.

        Returns
        -------
        pandas.DataFrame
            ``territory``, ``period``, ``engaged`` (partners in active, productive or
            strategic), ``target_partners``, ``coverage`` = min(1, engaged / target) and
            ``maturity`` (one of ``_vocab.MATURITY_LEVELS`` by
            ``_vocab.MATURITY_THRESHOLDS``). Empty, with these columns, for a one-stage book.
        """
        if not self.has_stages:
            return pd.DataFrame(
                {
                    "territory": pd.Series([], dtype="str"),
                    "period": pd.PeriodIndex([], freq=self.periods.freq),
                    "engaged": pd.Series([], dtype=np.int64),
                    "target_partners": pd.Series([], dtype=np.int64),
                    "coverage": pd.Series([], dtype=np.float64),
                    "maturity": pd.Series([], dtype="str"),
                }
            )
        engaged = engaged_counts(self._arrays, self.stage_names, count_all_present=False)
        target = self._target_array()
        cov = np.minimum(1.0, engaged / target[:, None])
        n_terr, n_t = engaged.shape
        return pd.DataFrame(
            {
                "territory": pd.Series(np.repeat(self.territory_ids, n_t), dtype="str"),
                "period": pd.PeriodIndex(np.tile(self.periods, n_terr)),
                "engaged": engaged.ravel().astype(np.int64),
                "target_partners": np.repeat(target, n_t).astype(np.int64),
                "coverage": cov.ravel(),
                "maturity": pd.Series(maturity_labels(cov.ravel()), dtype="str"),
            },
            columns=list(_COVERAGE_COLUMNS),
        )

    def _target_array(self) -> np.ndarray:
        lookup = dict(
            zip(self._territories["territory"], self._territories["target_partners"], strict=True)
        )
        return np.array([int(lookup[t]) for t in self.territory_ids], dtype=np.int64)

    # ------------------------------------------------------------------------- views
    def to_xarray(self) -> xr.Dataset:
        """Dense labelled view: ``sales``, ``state`` (int8), ``territory`` (int32 codes).

        Dims ``(partner, period)``; ``period`` coordinates are strings like ``"2024-01"`` or
        ``"2024Q1"``. Attributes: source, freq, has_stages (0/1), stage_names, state_names,
        territory_ids, steps_per_quarter, fiscal_year_start_month, data_hash.
        """
        dims = ("partner", "period")
        return xr.Dataset(
            {
                "sales": (dims, self.sales_matrix()),
                "state": (dims, self.states()),
                "territory": (dims, self.territory_matrix()),
            },
            coords={
                "partner": np.array(self.partner_ids, dtype=object),
                "period": np.array(period_labels(self.periods), dtype=object),
            },
            attrs={
                "source": self.source,
                "freq": self.freq,
                "has_stages": int(self.has_stages),
                "stage_names": list(self.stage_names),
                "state_names": list(self.state_names),
                "territory_ids": list(self.territory_ids),
                "steps_per_quarter": self.steps_per_quarter,
                "fiscal_year_start_month": self.fiscal_year_start_month,
                "data_hash": self.data_hash(),
            },
        )

    def summary(self) -> pd.DataFrame:
        """Partners and recent sales by territory, channel maturity and lifecycle stage.

        See :func:`channelsim.data._summary.summary_table`.
        """
        return summary_table(self)

    def summary_text(self) -> str:
        """A short header about the book followed by :meth:`summary` as text."""
        return summary_text(self)

    def quota_fit(self) -> QuotaFit:
        """The status quo's quota rule fitted to the territory-quarter table (least squares;
        the default ratchet only without quotas). See
        :func:`channelsim.data.fit_quota_rule`."""
        if self._quota_fit is None:
            self._quota_fit = fit_quota_rule(self)
        return self._quota_fit

    # ---------------------------------------------------------------- identity and I/O
    def _settings(self) -> dict:
        return {
            "freq": self.freq,
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "has_stages": self.has_stages,
        }

    def _tables(self) -> dict[str, pd.DataFrame | None]:
        return {"panel": self._panel, "quarters": self._quarters, "territories": self._territories}

    def data_hash(self) -> str:
        """sha256 hex digest of the canonical tables and settings.

        The same data gives the same hash whether it came from CSV, Parquet or a DataFrame;
        the source name and warnings do not count.
        """
        if "_hash" not in self.__dict__:
            self.__dict__["_hash"] = hash_tables(self._tables(), self._settings())
        return self.__dict__["_hash"]

    def to_dataset(self) -> xr.Dataset:
        """The whole book (three tables and settings) as a Dataset; see :meth:`from_dataset`.

        The Dataset can be written with ``ds.to_netcdf(path, engine="h5netcdf")``.
        """
        meta = {
            **self._settings(),
            "source": self.source,
            "warnings": list(self.warnings),
            "data_hash": self.data_hash(),
        }
        return tables_to_dataset(self._tables(), meta)

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> Book:
        """Rebuild a book stored with :meth:`to_dataset`.

        Raises
        ------
        ValueError
            If ``ds`` holds no book, or its tables do not match the stored data hash.
        """
        tables, meta = tables_from_dataset(ds)
        book = cls(
            tables["panel"],
            tables["quarters"],
            tables["territories"],
            freq=meta["freq"],
            fiscal_year_start_month=int(meta["fiscal_year_start_month"]),
            source=meta.get("source", "<Dataset>"),
            warnings=tuple(meta.get("warnings", ())),
        )
        stored = meta.get("data_hash")
        if stored and stored != book.data_hash():
            raise ValueError(
                "the stored book does not match its data hash (the file was altered or "
                f"damaged): stored {stored[:12]}…, computed {book.data_hash()[:12]}…"
            )
        return book

    def to_csv_dir(self, directory: str | os.PathLike) -> BookFiles:
        """Write the canonical tables as CSV files into ``directory`` (created if missing).

        Files: ``partners.csv``, ``territory_quarters.csv`` (only with a quarter table) and
        ``territories.csv``; periods as ``2024-01`` / ``2024Q1``; rows inserted to fill gaps
        are left out (loading the folder's files inserts them again). Each file is written
        atomically (temporary file in the same folder, then renamed).

        Returns
        -------
        BookFiles
            Named tuple ``(panel, quarters, territories)`` of the paths written
            (``quarters`` None without a quarter table), so ``load_book(*files)`` reads the
            book back.
        """
        return write_csv_dir(directory, self._tables())

    # -------------------------------------------------------------------------- dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Book):
            return NotImplemented
        return self.data_hash() == other.data_hash()

    def __hash__(self) -> int:
        return hash(self.data_hash())

    def _repr_html_(self) -> str:
        """Notebook view: size and span, total sales per step (inline SVG), :meth:`summary`."""
        kind = "monthly" if self.freq == "M" else "quarterly"
        total = np.nansum(self.sales_matrix(), axis=0)
        sub = (
            f"{len(self.partner_ids):,} partners &middot; {len(self.territory_ids):,} territories "
            f"&middot; {len(self.periods)} {kind} steps {self.periods[0]}..{self.periods[-1]} "
            f"&middot; {'lifecycle stages' if self.has_stages else 'one stage'} &middot; "
            f"total sales {total.sum():,.0f}"
        )
        chart = svg_line([str(p) for p in self.periods], total, title="total sales per step")
        return card(f"Book: {self.source}", sub, chart, table(self.summary(), max_rows=12))

    def __repr__(self) -> str:
        kind = "monthly" if self.freq == "M" else "quarterly"
        return (
            f"<Book {self.source!r}: {len(self.partner_ids)} partners, "
            f"{len(self.territory_ids)} territories, {len(self.periods)} {kind} steps "
            f"{self.periods[0]}..{self.periods[-1]}, "
            f"{'lifecycle stages' if self.has_stages else 'one stage'}>"
        )
