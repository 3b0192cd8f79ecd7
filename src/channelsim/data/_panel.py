"""Validate the partner-period panel and bring it to canonical form.

Depends on numpy, pandas and :mod:`channelsim._vocab`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from channelsim._vocab import EXITED, PROGRESSIVE_STAGES, STATES
from channelsim.data._columns import examples, numeric_column, text_column
from channelsim.data._errors import ProblemList
from channelsim.data._periods import KIND_MONTH, KIND_NONE, KIND_QUARTER, STEP_FREQ, parse_steps
from channelsim.data._read import PANEL_COLUMNS, PANEL_REQUIRED, missing_column_message

__all__ = ["PanelResult", "build_panel", "list_items"]

#: Column names the panel never passes through as activity counts.
_RESERVED = frozenset(("filled", "_row", "_ord"))


@dataclass
class PanelResult:
    """The canonical panel and what was learnt while building it."""

    panel: pd.DataFrame
    freq: str
    has_stages: bool
    notes: list[str] = field(default_factory=list)


def list_items(items: list[str], limit: int = 5) -> str:
    """Join the first few items of a list for a message.

    Examples
    --------
    >>> list_items(["a", "b", "c"], limit=2)
    'a, b and 1 more'
    """
    shown = ", ".join(items[:limit])
    more = len(items) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _first_per_partner(part: np.ndarray, mask: np.ndarray, describe, limit: int = 5) -> dict:
    """``{partner: description}`` of each flagged partner's first flagged row.

    Only the first ``limit`` partners are described (messages show no more); the others map
    to an empty string so the count stays right.
    """
    idx = np.flatnonzero(mask)
    _, first = np.unique(part[idx], return_index=True)
    first = np.sort(idx[first])
    return {part[i]: (describe(i) if k < limit else "") for k, i in enumerate(first)}


def _label(ordinal: int, freq: str) -> str:
    return str(pd.Period(ordinal=int(ordinal), freq=freq))


def _map_stages(
    raw: pd.Series,
    stage_lookup: dict[str, str],
    rows: np.ndarray,
    label: str,
    problems: ProblemList,
) -> tuple[pd.Series, np.ndarray]:
    """Canonical stage per row (NaN where missing/unknown) and a mask of bad rows."""
    txt = text_column(raw)
    missing = txt.isna().to_numpy()
    canon = {s.casefold(): s for s in STATES}
    mapped: dict[str, str | None] = {}
    for value in txt.dropna().unique():
        key = value.casefold()
        if value in stage_lookup:
            mapped[value] = stage_lookup[value]
        elif key in stage_lookup:
            mapped[value] = stage_lookup[key]
        elif key in canon:
            mapped[value] = canon[key]
        else:
            mapped[value] = None
    out = txt.map(mapped)
    unknown = ~missing & out.isna().to_numpy()
    if missing.any():
        hint = (
            "; the column is empty, drop it for a one-stage book"
            if missing.all()
            else "; every row needs a lifecycle stage"
        )
        problems.add(label, "stage", rows[missing], "missing stage" + hint)
    if unknown.any():
        counts = txt[unknown].value_counts()
        vals = [f"'{v}' ({n} row{'s' if n != 1 else ''})" for v, n in counts.items()]
        first = str(counts.index[0])
        problems.add(
            label,
            "stage",
            rows[unknown],
            f"unknown stage value{'s' if len(vals) > 1 else ''} {list_items(vals, 8)}; "
            f"allowed: {', '.join(STATES)}; map other names with --stage-map "
            f"{first}=productive (stage_map={{'{first}': 'productive'}})",
        )
    return out, missing | unknown


def build_panel(
    df: pd.DataFrame,
    label: str,
    *,
    stage_lookup: dict[str, str],
    stage_timing: str,
    credits: str,
    problems: ProblemList,
) -> PanelResult | None:
    """Validate a panel whose columns carry canonical names and build the canonical panel.

    Every problem goes to ``problems``; returns None when there was any (the caller raises
    once, with the problems of the other tables too).

    Parameters
    ----------
    df : pandas.DataFrame
        The panel with canonical column names and a ``RangeIndex`` (position ``i`` is
        spreadsheet row ``i + 2``).
    label : str
        File name used in messages.
    stage_lookup : dict
        User stage renames (source and casefolded source to canonical state).
    stage_timing : {"during", "end"}
        Whether ``stage`` is the stage during the step or at its end.
    credits : {"error", "net"}
        How negative sales are treated.
    problems : ProblemList
        Collects the problems.

    Returns
    -------
    PanelResult or None

    Examples
    --------
    >>> df = pd.DataFrame({"partner": ["a", "a"], "territory": ["T", "T"],
    ...                    "period": ["2024-01", "2024-02"], "sales": [1.0, 2.0]})
    >>> res = build_panel(df, "x", stage_lookup={}, stage_timing="during", credits="error",
    ...                   problems=ProblemList())
    >>> res.freq, res.panel["sales"].tolist()
    ('M', [1.0, 2.0])
    """
    n_before = len(problems)
    n = len(df)
    rows = np.arange(n) + 2
    bad = np.zeros(n, dtype=bool)
    columns = [str(c) for c in df.columns]
    missing_cols = [c for c in PANEL_REQUIRED if c not in df.columns]
    for c in missing_cols:
        problems.add(label, c, None, missing_column_message(c, columns))

    data: dict[str, object] = {}
    for col in ("partner", "territory"):
        if col in df.columns:
            txt = text_column(df[col])
            miss = txt.isna().to_numpy()
            if miss.any():
                problems.add(label, col, rows[miss], f"missing {col} id")
            bad |= miss
            data[col] = txt

    kind = np.zeros(n, dtype=np.int8)
    ordinal = np.zeros(n, dtype=np.int64)
    freq_kind = KIND_MONTH
    from_date = np.zeros(n, dtype=bool)
    if "period" in df.columns:
        kind, ordinal, from_date = parse_steps(df["period"])
        raw = df["period"]
        miss = raw.isna().to_numpy() | (raw.astype("str").str.strip().str.len() == 0).to_numpy()
        unparsed = (kind == KIND_NONE) & ~miss
        if miss.any():
            problems.add(label, "period", rows[miss], "missing period")
        if unparsed.any():
            problems.add(
                label,
                "period",
                rows[unparsed],
                f"cannot read the period {examples(raw[unparsed])}; expected a month like "
                "2024-01, a quarter like 2024Q1 or 2024-Q1, or a date like 2024-01-31",
            )
        bad |= kind == KIND_NONE
        n_m = int((kind == KIND_MONTH).sum())
        n_q = int((kind == KIND_QUARTER).sum())
        if n_m and n_q:
            minority = KIND_QUARTER if n_q <= n_m else KIND_MONTH
            problems.add(
                label,
                "period",
                rows[kind == minority],
                f"mixed monthly and quarterly periods ({n_m} monthly row{'s' if n_m > 1 else ''}, "
                f"{n_q} quarterly row{'s' if n_q > 1 else ''}); a panel uses one step: all "
                "months or all quarters",
            )
            bad |= kind == minority
        freq_kind = KIND_QUARTER if n_q > n_m else KIND_MONTH

    recorded_exit = np.zeros(n, dtype=bool)
    has_stages = "stage" in df.columns
    if has_stages:
        stage, stage_bad = _map_stages(df["stage"], stage_lookup, rows, label, problems)
        bad |= stage_bad
        recorded_exit = (stage == EXITED).to_numpy(dtype=bool)
        data["stage"] = stage

    if "sales" in df.columns:
        sales, miss, nonnum = numeric_column(df["sales"])
        if nonnum.any():
            problems.add(
                label,
                "sales",
                rows[nonnum],
                f"sales must be a number, got {examples(df['sales'][nonnum])} (no currency "
                "symbols or thousands separators)",
            )
        miss_bad = miss & ~recorded_exit
        if miss_bad.any():
            problems.add(
                label,
                "sales",
                rows[miss_bad],
                "missing sales; write 0 for a step without sales (a partner that left can "
                "have an empty cell only on a row with stage 'exited')",
            )
        neg = sales < 0
        if credits == "error" and neg.any():
            problems.add(
                label,
                "sales",
                rows[neg],
                "negative sales (credits); pass --credits net (credits='net') to net credits "
                "into their partner-period, or remove them",
            )
            bad |= neg
        bad |= nonnum | miss_bad
        data["sales"] = np.where(miss & recorded_exit, 0.0, sales)

    if "manager" in df.columns:
        data["manager"] = text_column(df["manager"])

    extras: list[str] = []
    ignored: list[str] = []
    for col in columns:
        if col in PANEL_COLUMNS:
            continue
        if col in _RESERVED:
            ignored.append(col)
            continue
        vals, miss, nonnum = numeric_column(df[col])
        if nonnum.any() or miss.all():
            ignored.append(col)
            continue
        extras.append(col)
        data[col] = vals
    notes: list[str] = []
    if ignored:
        notes.append(
            f"{label}: ignored column{'s' if len(ignored) > 1 else ''} "
            f"{list_items([repr(c) for c in ignored], 10)} (not a canonical column and not "
            "numeric activity counts)"
        )

    if missing_cols:
        return None

    work = pd.DataFrame(
        {
            "partner": data["partner"],
            "territory": data["territory"],
            "_ord": ordinal,
            **({"stage": data["stage"]} if has_stages else {}),
            "sales": data["sales"],
            **({"manager": data["manager"]} if "manager" in data else {}),
            **{c: data[c] for c in extras},
            "_row": rows,
        }
    )
    # duplicates among rows whose partner and period are readable
    key_ok = work["partner"].notna().to_numpy() & (kind == freq_kind)
    good = np.flatnonzero(key_ok)
    dup = np.zeros(n, dtype=bool)
    dup[good] = work.iloc[good].duplicated(["partner", "_ord"], keep=False).to_numpy()
    if credits == "error" and dup.any():
        dups = work.loc[dup]
        first = dups.iloc[0]
        where = f"partner '{first['partner']}' in {_label(first['_ord'], STEP_FREQ[freq_kind])}"
        n_groups = int(dups.groupby(["partner", "_ord"]).ngroups)
        problems.add(
            label,
            None,
            dups["_row"],
            f"{n_groups} partner-period{'s have' if n_groups > 1 else ' has'} more than one "
            f"row (first: {where}); keep one row per partner and period, or pass --credits "
            "net (credits='net') to sum them",
        )
        bad |= dup
    work = work.loc[~bad].reset_index(drop=True)
    if credits == "net":
        dup = work.duplicated(["partner", "_ord"], keep=False).to_numpy()
        if dup.any():
            work = _net_rows(work, dup, has_stages, extras, label, problems)

    if credits == "net":
        neg = work["sales"].to_numpy() < 0
        if neg.any():
            freq = STEP_FREQ[freq_kind]
            items = [
                f"'{p}' {_label(o, freq)} ({s:,.2f})"
                for p, o, s in work.loc[neg, ["partner", "_ord", "sales"]].itertuples(index=False)
            ]
            notes.append(
                f"{label}: {len(items)} partner-period{'s' if len(items) > 1 else ''} "
                f"net negative after netting credits, clipped to 0: {list_items(items)}"
            )
            work["sales"] = np.where(neg, 0.0, work["sales"].to_numpy())

    if len(problems) > n_before:
        return None
    return _finish(
        work, label, freq_kind, has_stages, extras, stage_timing, from_date, notes, problems
    )


def _net_rows(
    work: pd.DataFrame,
    dup: np.ndarray,
    has_stages: bool,
    extras: list[str],
    label: str,
    problems: ProblemList,
) -> pd.DataFrame:
    """Sum rows of the same partner-period (``credits="net"``)."""
    keys = ["partner", "_ord"]
    grouped = work.loc[dup].groupby(keys, sort=False)
    for col in ("territory", *(("stage",) if has_stages else ())):
        nun = grouped[col].transform("nunique").to_numpy()
        disagree = nun > 1
        if disagree.any():
            problems.add(
                label,
                col,
                work.loc[dup, "_row"].to_numpy()[disagree],
                f"rows of the same partner-period disagree on {col}; rows that are netted "
                f"together must have the same {col}",
            )
    agg: dict[str, object] = {"territory": "first", "sales": "sum", "_row": "min"}
    if has_stages:
        agg["stage"] = "first"
    if "manager" in work.columns:
        agg["manager"] = "last"
    for c in extras:
        agg[c] = lambda x: x.sum(min_count=1)
    netted = work.groupby(keys, sort=False, as_index=False).agg(agg)
    return netted[list(work.columns)].reset_index(drop=True)


def _fill_gaps(work: pd.DataFrame, extras: list[str]) -> pd.DataFrame:
    """Insert one row per missing step inside each partner's history."""
    work = work.sort_values(["partner", "_ord"], kind="stable").reset_index(drop=True)
    g = work.groupby("partner", sort=True)["_ord"]
    first = g.min()
    last = g.max()
    counts = (last - first + 1).to_numpy()
    if int(counts.sum()) == len(work):
        work["filled"] = False
        return work
    starts = np.repeat(first.to_numpy(), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    grid = pd.DataFrame(
        {"partner": np.repeat(first.index.to_numpy(), counts), "_ord": starts + offsets}
    )
    grid["partner"] = grid["partner"].astype("str")
    work = work.assign(_pos=np.arange(len(work)))
    full = grid.merge(work, on=["partner", "_ord"], how="left", sort=False)
    filled = full["_pos"].isna().to_numpy()
    # position of the partner's last real row at or before each step
    src = full["_pos"].ffill().to_numpy(dtype=np.int64)
    for col in work.columns:
        if col in ("partner", "_ord", "_pos", "sales", "_row", *extras):
            continue
        vals = work[col].to_numpy()[src]
        full[col] = pd.Series(vals, index=full.index).astype(work[col].dtype)
    full.loc[filled, "sales"] = 0.0
    for c in extras:
        full.loc[filled, c] = 0.0
    full["filled"] = filled
    return full.drop(columns="_pos")


def _finish(
    work: pd.DataFrame,
    label: str,
    freq_kind: int,
    has_stages: bool,
    extras: list[str],
    stage_timing: str,
    from_date: np.ndarray,
    notes: list[str],
    problems: ProblemList,
) -> PanelResult | None:
    n_before = len(problems)
    freq = STEP_FREQ[freq_kind]
    full = _fill_gaps(work, extras)
    filled = full["filled"].to_numpy()
    part = full["partner"].to_numpy()
    real = ~filled

    if filled.any():
        counts = pd.Series(part[filled]).value_counts(sort=False).sort_index()
        items = [f"'{p}' ({c})" for p, c in counts.items()]
        notes.append(
            f"{label}: {len(counts)} partner{'s have' if len(counts) > 1 else ' has'} gaps "
            f"inside {'their' if len(counts) > 1 else 'its'} history; {int(filled.sum())} "
            f"missing step{'s' if filled.sum() > 1 else ''} filled with zero sales: "
            f"{list_items(items)}"
        )
        months = np.unique(work["_ord"].to_numpy())
        if freq_kind == KIND_MONTH and from_date.all() and len(np.unique(months % 3)) == 1:
            notes.append(
                f"{label}: every period is a date in the same month of its quarter (e.g. "
                "quarter-end dates); dates are read as months, so the months between them were "
                "filled with zero sales; write quarters as 2024Q1 for a quarterly panel"
            )

    same_partner = np.r_[False, part[1:] == part[:-1]]
    ords = full["_ord"].to_numpy()
    if has_stages:
        stage = full["stage"].to_numpy(dtype=object)
        if stage_timing == "end":
            prev = np.r_[stage[:1], stage[:-1]]
            stage = np.where(same_partner, prev, stage)
            full["stage"] = pd.Series(stage, index=full.index).astype("str")
        is_exit = stage == EXITED
        sales = full["sales"].to_numpy()
        pos_exit = is_exit & (sales > 0) & real
        if pos_exit.any():
            why = " (with --stage-timing end, the step after a row saying 'exited')"
            problems.add(
                label,
                "sales",
                full.loc[pos_exit, "_row"].astype(int),
                "sales on a step where the partner has exited must be 0 or empty"
                + (why if stage_timing == "end" else ""),
            )
        exited_before = pd.Series(is_exit).groupby(part).cummax().to_numpy() & ~is_exit
        if exited_before.any():
            who = list(dict.fromkeys(part[exited_before]))
            problems.add(
                label,
                "stage",
                full.loc[exited_before & real, "_row"].astype(int),
                f"partner{'s' if len(who) > 1 else ''} {list_items([repr(w) for w in who])} "
                "have rows after exiting; 'exited' is final: give a returning partner a new id "
                "or correct the stage",
            )
        code = pd.Index(PROGRESSIVE_STAGES).get_indexer(stage).astype(np.int64)
        prev_code = np.r_[-1, code[:-1]]
        back = same_partner & (code >= 0) & (prev_code >= 0) & (prev_code - code > 1)
        if back.any():
            prev_stage = np.r_[stage[:1], stage[:-1]]
            first_back = _first_per_partner(
                part,
                back,
                lambda i: f"'{part[i]}' ({prev_stage[i]} → {stage[i]} in {_label(ords[i], freq)})",
            )
            notes.append(
                f"{label}: {len(first_back)} partner{'s move' if len(first_back) > 1 else ' moves'} "
                f"back more than one lifecycle stage in one step ({int(back.sum())} "
                f"time{'s' if back.sum() > 1 else ''}): {list_items(list(first_back.values()))}"
            )
    if len(problems) > n_before:
        return None

    terr = full["territory"].to_numpy(dtype=object)
    prev_terr = np.r_[terr[:1], terr[:-1]]
    moved = same_partner & (terr != prev_terr) & real
    if moved.any():
        first_move = _first_per_partner(
            part,
            moved,
            lambda i: f"'{part[i]}' ({prev_terr[i]} → {terr[i]} from {_label(ords[i], freq)})",
        )
        notes.append(
            f"{label}: {len(first_move)} partner{'s move' if len(first_move) > 1 else ' moves'} "
            f"territory (the territory is taken per row): {list_items(list(first_move.values()))}"
        )

    cols = ["partner", "territory", "period"]
    if has_stages:
        cols.append("stage")
    cols.append("sales")
    if "manager" in full.columns:
        cols.append("manager")
    cols += [*extras, "filled"]
    full["period"] = pd.PeriodIndex.from_ordinals(full["_ord"].to_numpy(), freq=freq)
    panel = full[cols].copy()
    for c in ("partner", "territory", "stage", "manager"):
        if c in panel.columns:
            panel[c] = panel[c].astype("str")
    panel["sales"] = panel["sales"].astype(np.float64)
    for c in extras:
        panel[c] = panel[c].astype(np.float64)
    panel["filled"] = panel["filled"].astype(bool)
    panel = panel.reset_index(drop=True)
    return PanelResult(
        panel=panel,
        freq="Q" if freq_kind == KIND_QUARTER else "M",
        has_stages=has_stages,
        notes=notes,
    )
