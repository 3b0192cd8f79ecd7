"""``load_book``: read, validate and canonicalise a book's tables (DESIGN.md section 6).

Depends on numpy, pandas and the other private modules of :mod:`channelsim.data`.
"""

from __future__ import annotations

import difflib
import math
import os
import warnings as _warnings

import numpy as np
import pandas as pd

from channelsim._sql import SqlQuery
from channelsim._vocab import DEFAULT_STAGE_MAP, ONE_STAGE, STAGES, STATES
from channelsim.calendar import quarter_freq
from channelsim.data._book import Book
from channelsim.data._columns import text_column
from channelsim.data._errors import BookWarning, ProblemList
from channelsim.data._mapping import MappingError, parse_mapping_pairs
from channelsim.data._matrices import engaged_counts, panel_arrays
from channelsim.data._panel import build_panel, list_items
from channelsim.data._read import (
    ALL_CANONICAL,
    PANEL_COLUMNS,
    QUARTER_COLUMNS,
    TERRITORY_COLUMNS,
    apply_columns,
    read_table,
)
from channelsim.data._tables import build_quarters, build_territories

__all__ = ["DEFAULT_TARGET_FACTOR", "load_book"]

#: Default ``target_partners`` = ceil(factor × the most engaged partners a territory had).
DEFAULT_TARGET_FACTOR = 1.25
_OPTIONS = "options"

TableInput = str | os.PathLike | pd.DataFrame | SqlQuery


def _mapping(value, option: str, keyword: str, problems: ProblemList) -> dict[str, str]:
    try:
        return parse_mapping_pairs(value, option)
    except MappingError as exc:
        problems.add(_OPTIONS, None, None, f"{keyword} / {exc}")
        return {}


def _check_column_map(cmap: dict[str, str], problems: ProblemList) -> dict[str, str]:
    out = {}
    for src, dst in cmap.items():
        if dst.lower() in ALL_CANONICAL:
            out[src] = dst.lower()
            continue
        close = difflib.get_close_matches(dst.lower(), ALL_CANONICAL, n=1, cutoff=0.6)
        problems.add(
            _OPTIONS,
            None,
            None,
            f"--map / column_map: '{src}={dst}': '{dst}' is not a canonical column"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + f"; canonical columns: {', '.join(ALL_CANONICAL)} (other numeric columns pass "
            "through under their own names)",
        )
    return out


def _stage_lookup(smap: dict[str, str], problems: ProblemList) -> dict[str, str]:
    """Stage value -> canonical state: the user's map (exact and casefolded), then defaults."""
    canon = {s.casefold(): s for s in STATES}
    lookup: dict[str, str] = {k.casefold(): v for k, v in DEFAULT_STAGE_MAP.items()}
    for src, dst in smap.items():
        target = canon.get(dst.casefold())
        if target is None:
            close = difflib.get_close_matches(dst.casefold(), STATES, n=1, cutoff=0.6)
            problems.add(
                _OPTIONS,
                None,
                None,
                f"--stage-map / stage_map: '{src}={dst}': '{dst}' is not a lifecycle stage"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f"; allowed: {', '.join(STATES)}",
            )
            continue
        lookup[src.casefold()] = target
        lookup[src] = target
    return lookup


def _check_options(
    stage_timing: str, credits: str, fiscal_year_start_month, problems: ProblemList
) -> int:
    if stage_timing not in ("during", "end"):
        problems.add(
            _OPTIONS,
            None,
            None,
            f"--stage-timing / stage_timing must be 'during' or 'end', got {stage_timing!r}",
        )
    if credits not in ("error", "net"):
        problems.add(
            _OPTIONS, None, None, f"--credits / credits must be 'error' or 'net', got {credits!r}"
        )
    fy = fiscal_year_start_month
    if isinstance(fy, bool) or not isinstance(fy, int | np.integer) or not 1 <= int(fy) <= 12:
        problems.add(
            _OPTIONS,
            None,
            None,
            "--fiscal-year-start-month / fiscal_year_start_month must be a month number "
            f"1-12, got {fy!r}",
        )
        return 1
    return int(fy)


def _default_targets(
    panel: pd.DataFrame,
    has_stages: bool,
    given: pd.DataFrame | None,
    panel_label: str,
) -> tuple[pd.DataFrame, str | None]:
    """Fill ``target_partners`` for territories the table does not list."""
    stage_names = STAGES if has_stages else ONE_STAGE
    arrays = panel_arrays(panel, stage_names)
    counts = engaged_counts(arrays, stage_names, count_all_present=not has_stages)
    peak = counts.max(axis=1) if counts.size else np.zeros(len(arrays.territory_ids))
    listed = set() if given is None else set(given["territory"])
    rows, items = [], []
    for t, m in zip(arrays.territory_ids, peak, strict=True):
        if t in listed:
            continue
        target = max(1, math.ceil(DEFAULT_TARGET_FACTOR * int(m) - 1e-9))
        rows.append((t, target))
        items.append(f"{t}={target}")
    extra = pd.DataFrame(rows, columns=["territory", "target_partners"])
    parts = [df for df in (given, extra) if df is not None and len(df)]
    table = pd.concat(parts, ignore_index=True) if parts else extra
    table["territory"] = table["territory"].astype("str")
    table["target_partners"] = table["target_partners"].astype(np.int64)
    table = table.sort_values("territory", kind="stable").reset_index(drop=True)
    note = None
    if items:
        who = "partners" if has_stages else "partners present (one-stage book)"
        what = "in active, productive or strategic" if has_stages else ""
        note = (
            f"{panel_label}: default target_partners for {len(items)} "
            f"territor{'ies' if len(items) > 1 else 'y'} (ceil(1.25 × the most {who} "
            f"{what + ' ' if what else ''}in one period), at least 1): "
            f"{list_items(items, 10)}; give a territory table (--territories) to set them"
        )
    return table, note


def load_book(
    panel: TableInput,
    quarters: TableInput | None = None,
    territories: TableInput | None = None,
    *,
    column_map: dict[str, str] | None = None,
    stage_map: dict[str, str] | None = None,
    stage_timing: str = "during",
    credits: str = "error",
    fiscal_year_start_month: int = 1,
    source_name: str | None = None,
) -> Book:
    """Read and validate a partner-period panel and its optional side tables.

    All problems in all tables are collected first and raised together as one
    :class:`BookValidationError`; legal but suspicious input gives :class:`BookWarning`
    warnings, also kept in :attr:`Book.warnings`.

    Parameters
    ----------
    panel : str, os.PathLike pandas.DataFrame or SqlQuery
        Partner-period panel (``.csv`` or ``.parquet``/``.pq`` file, DataFrame, or
        ``SqlQuery(url, "SELECT ...")`` against SQLite or PostgreSQL): ``partner``, ``territory``,
        ``period``, ``sales``, optional ``stage`` and ``manager``; other numeric columns
        (activity counts) pass through as float64, other text columns are ignored with a
        warning. Periods: ``2024-01``, ``2024Q1``/``2024-Q1``, dates (read as their month),
        pandas Periods or Timestamps; monthly or quarterly, never mixed.
    quarters : str, os.PathLike pandas.DataFrame or SqlQuery, optional
        Territory-quarter table: ``territory``, ``quarter`` (``2024Q1``, ``2024-Q1`` or a
        date inside the quarter) and at least one of ``quota``, ``commit``, ``manager``.
        Quarter labels are calendar quarters when the fiscal year starts in January, April,
        July or October, else pandas fiscal quarters (see :attr:`Book.quarter_freq`).
    territories : str, os.PathLike pandas.DataFrame or SqlQuery, optional
        ``territory``, ``target_partners`` (whole number >= 1). Territories left out get
        ``ceil(1.25 × the most partners they ever had in active/productive/strategic in
        one period)`` (all present partners in a one-stage book), at least 1, with a warning.
    column_map : dict, optional
        ``{SOURCE: CANONICAL}`` column renames applied to every table (``--map``); sources
        match exactly, then case-insensitively. Columns already named like a canonical
        column in another case (``Partner``) are recognised without a mapping.
    stage_map : dict, optional
        ``{SOURCE: CANONICAL}`` stage value renames (``--stage-map``), matched exactly then
        case-insensitively, before canonical names (any case) and
        ``_vocab.DEFAULT_STAGE_MAP``.
    stage_timing : {"during", "end"}
        ``"end"`` for exports that record the stage at period end: the stage during a step
        is then the recorded stage of the partner's previous step (the first row keeps its
        own).
    credits : {"error", "net"}
        ``"error"``: negative sales are a problem. ``"net"``: rows of the same
        partner-period are summed (only then are duplicates legal) and a net-negative step
        is clipped to 0 with a warning.
    fiscal_year_start_month : int
        1-12; a quarterly panel needs 1, 4, 7 or 10.
    source_name : str, optional
        Name of the panel in messages; defaults to the file name or ``"<DataFrame>"``.

    Returns
    -------
    Book

    Raises
    ------
    BookValidationError
        Listing every problem (file, column, spreadsheet rows, message).

    Examples
    --------
    >>> df = pd.DataFrame({"Account": ["a", "a"], "Region": ["N", "N"],
    ...                    "period": ["2024-01-31", "2024-02-29"], "sales": [5, 7],
    ...                    "stage": ["New", "Gold"]})
    >>> book = load_book(df, territories=pd.DataFrame({"territory": ["N"],
    ...                  "target_partners": [3]}),
    ...                  column_map={"Account": "partner", "Region": "territory"},
    ...                  stage_map={"Gold": "active"})
    >>> book.panel["stage"].tolist(), [str(p) for p in book.periods]
    (['onboarding', 'active'], ['2024-01', '2024-02'])
    """
    problems = ProblemList()
    cmap = _check_column_map(_mapping(column_map, "--map", "column_map", problems), problems)
    lookup = _stage_lookup(_mapping(stage_map, "--stage-map", "stage_map", problems), problems)
    fy = _check_options(stage_timing, credits, fiscal_year_start_month, problems)

    pdf, plabel = read_table(panel, "<DataFrame>", problems, source_name)
    qdf = tdf = None
    qlabel, tlabel = "<quarters DataFrame>", "<territories DataFrame>"
    if quarters is not None:
        qdf, qlabel = read_table(quarters, qlabel, problems)
    if territories is not None:
        tdf, tlabel = read_table(territories, tlabel, problems)

    used: set[str] = set()
    if pdf is not None:
        pdf = apply_columns(pdf, cmap, PANEL_COLUMNS, plabel, problems, used)
    if qdf is not None:
        qdf = apply_columns(qdf, cmap, QUARTER_COLUMNS, qlabel, problems, used)
    if tdf is not None:
        tdf = apply_columns(tdf, cmap, TERRITORY_COLUMNS, tlabel, problems, used)
    read_all = pdf is not None and (quarters is None or qdf is not None)
    read_all = read_all and (territories is None or tdf is not None)
    unused = [s for s in cmap if s not in used]
    if unused and read_all:
        problems.add(
            _OPTIONS,
            None,
            None,
            f"--map / column_map: no column named {list_items([repr(s) for s in unused])} "
            "in any table",
        )

    notes: list[str] = []
    res = None
    if pdf is not None:
        res = build_panel(
            pdf,
            plabel,
            stage_lookup=lookup,
            stage_timing=stage_timing if stage_timing in ("during", "end") else "during",
            credits=credits if credits in ("error", "net") else "error",
            problems=problems,
        )
    if res is not None and res.freq == "Q" and fy not in (1, 4, 7, 10):
        problems.add(
            _OPTIONS,
            None,
            None,
            f"a quarterly panel needs a fiscal year starting in month 1, 4, 7 or 10 (got "
            f"--fiscal-year-start-month {fy}) so that fiscal quarters are calendar quarters; "
            "use a monthly panel for other fiscal years",
        )
    known = None
    if res is not None:
        known = set(res.panel["territory"].unique())
    elif pdf is not None and "territory" in pdf.columns:
        known = set(text_column(pdf["territory"]).dropna().unique())
    qtab = ttab = None
    if qdf is not None:
        qtab, qnotes = build_quarters(qdf, qlabel, known, quarter_freq(fy), problems)
        notes += qnotes
    if tdf is not None:
        ttab, tnotes = build_territories(tdf, tlabel, known, problems)
        notes += tnotes
    problems.raise_if_any()
    assert res is not None  # no problems means the panel was built

    ttab, target_note = _default_targets(res.panel, res.has_stages, ttab, plabel)
    notes = res.notes + notes + ([target_note] if target_note else [])
    for msg in notes:
        _warnings.warn(msg, BookWarning, stacklevel=2)
    return Book(
        res.panel,
        qtab,
        ttab,
        freq=res.freq,
        fiscal_year_start_month=fy,
        source=plabel,
        warnings=tuple(notes),
    )
