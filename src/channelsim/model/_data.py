"""The book as the model sees it: index arrays and sufficient statistics.

Built once per fit from a validated :class:`~channelsim.data.Book`; everything the PyMC
models, the commit stage, the posterior predictive checks and ``to_world`` need, as plain
numpy arrays. No per-row parameters are ever stored: the hurdle is aggregated to
(partner, stage, territory) cells (binomial counts), transitions to (territory, from-state)
move counts (multinomial), recruits to per-territory totals (Poisson); only the log amounts
of positive sales stay per row.

Depends on numpy and pandas (never PyMC).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from channelsim._vocab import PROGRESSIVE_STAGES
from channelsim.calendar import season_index

__all__ = ["ModelData", "allowed_moves", "centring", "prepare"]


def allowed_moves(stage_names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The allowed non-stay moves ``(from_state, to_state)`` of the world's transitions.

    Progressive stages may advance one stage, go dormant or exit (``strategic`` cannot
    advance); ``dormant`` may reactivate to ``active`` or exit; a one-stage world may only
    exit. The order is by from-state, then to-state.

    Examples
    --------
    >>> allowed_moves(("active",))
    (array([0]), array([1]))
    """
    S = len(stage_names)
    exited = S
    frm: list[int] = []
    to: list[int] = []
    if S == 1:
        return np.array([0]), np.array([1])
    dormant = stage_names.index("dormant")
    active = stage_names.index("active")
    for i, name in enumerate(stage_names):
        dest: list[int] = []
        if name == "dormant":
            dest = [active, exited]
        else:
            if i + 1 < len(PROGRESSIVE_STAGES):
                dest.append(i + 1)
            dest += [dormant, exited]
        for d in sorted(dest):
            frm.append(i)
            to.append(d)
    return np.array(frm), np.array(to)


def _move_category(i: int, d: int, stage_names: tuple[str, ...]) -> int:
    """The allowed destination an observed move ``i -> d`` counts as, or -1 if none.

    A step that skips stages counts as an advance; a dormant partner coming back in any
    progressive stage counts as reactivating; demotions between progressive stages are
    moves the world does not have (-1).
    """
    S = len(stage_names)
    if d == i or d == S:
        return d
    if S == 1:
        return -1
    dormant = stage_names.index("dormant")
    if i == dormant:
        return stage_names.index("active")
    if d == dormant:
        return dormant
    if d > i and i + 1 < len(PROGRESSIVE_STAGES):
        return i + 1
    return -1


@dataclass
class ModelData:
    """Arrays of a book for the model (see :func:`prepare`).

    Attributes
    ----------
    stage_names, state_names, territory_ids, partner_ids : tuple of str
    periods : pandas.PeriodIndex
    steps_per_quarter, fiscal_year_start_month : int
    states : (P, N) int8
        Book state codes (-1 before joining, ``S`` once exited).
    territory : (P, N) int
        Territory per step (-1 before joining).
    sales : (P, N) float
        Sales (NaN where absent or exited).
    home : (P,) int
        Territory of each partner's first step (capability is centred on it).
    modal_stage : (P,) int
        Each partner's most frequent stage among its positive sales (among its present
        steps if it has none); its level is centred on that stage's.
    season : (N,) int
        Season index of each step: calendar month - 1, or calendar quarter - 1.
    cell_p, cell_s, cell_t, cell_n, cell_k : (C,) int
        Hurdle cells: partner, stage, territory, steps present and steps with a sale.
    amt_p, amt_s, amt_t, amt_j : (A,) int
        Positive sales rows, sorted by stage: partner, stage, territory, step.
    amt_logy : (A,) float
        Log of each positive sale.
    move_from, move_to : (M,) int
        Allowed moves (:func:`allowed_moves`).
    stay_counts : (T, S) int
        Steps on which a partner stayed in its stage.
    move_counts : (T, M) int
        Moves of each allowed kind.
    moves_dropped : int
        Observed moves the world does not allow (demotions), left out of the likelihood.
    recruits : (T,) int
        Partners entering after the first step, by territory of entry.
    recruit_exposure : int
        Steps in which a recruit could be seen (``N - 1``).
    target_partners : (T,) float
    commit_t, commit_j : (Q,) int
        Territory and first step of each quarter with a commit and an observed state before.
    commit_log : (Q,) float
        Log commit of those quarters.
    amount_location : float
        Median log positive sale (the centre of the amount priors unless configured).
    """

    stage_names: tuple[str, ...]
    state_names: tuple[str, ...]
    territory_ids: tuple[str, ...]
    partner_ids: tuple[str, ...]
    periods: pd.PeriodIndex
    steps_per_quarter: int
    fiscal_year_start_month: int
    states: np.ndarray
    territory: np.ndarray
    sales: np.ndarray
    home: np.ndarray
    modal_stage: np.ndarray
    season: np.ndarray
    cell_p: np.ndarray
    cell_s: np.ndarray
    cell_t: np.ndarray
    cell_n: np.ndarray
    cell_k: np.ndarray
    amt_p: np.ndarray
    amt_s: np.ndarray
    amt_t: np.ndarray
    amt_j: np.ndarray
    amt_logy: np.ndarray
    move_from: np.ndarray
    move_to: np.ndarray
    stay_counts: np.ndarray
    move_counts: np.ndarray
    moves_dropped: int
    recruits: np.ndarray
    recruit_exposure: int
    target_partners: np.ndarray
    commit_t: np.ndarray
    commit_j: np.ndarray
    commit_log: np.ndarray
    amount_location: float
    notes: list[str] = field(default_factory=list)

    @property
    def S(self) -> int:
        return len(self.stage_names)

    @property
    def K(self) -> int:
        return len(self.state_names)

    @property
    def T(self) -> int:
        return len(self.territory_ids)

    @property
    def P(self) -> int:
        return len(self.partner_ids)

    @property
    def N(self) -> int:
        return len(self.periods)

    @property
    def n_seasons(self) -> int:
        return 4 * self.steps_per_quarter

    @property
    def M(self) -> int:
        return len(self.move_from)

    @property
    def movers(self) -> np.ndarray:
        """Indices of positive rows whose territory differs from the partner's home."""
        return np.flatnonzero(self.amt_t != self.home[self.amt_p])

    def present_rows(self) -> tuple[np.ndarray, ...]:
        """``(p, j, s, t, y)`` of every present (not exited) partner-step."""
        pres = (self.states >= 0) & (self.states < self.S)
        p, j = np.nonzero(pres)
        return (
            p,
            j,
            self.states[p, j].astype(np.int64),
            self.territory[p, j].astype(np.int64),
            (self.sales[p, j]),
        )


def prepare(book, amount_location: float | None = None) -> ModelData:
    """Turn a validated book into :class:`ModelData`.

    Parameters
    ----------
    book : channelsim.data.Book
    amount_location : float, optional
        Centre of the log-amount priors; default the median log positive sale.

    Returns
    -------
    ModelData

    Raises
    ------
    ValueError
        (``is_bad_input``) if the book has no positive sale or a single period.
    """
    stage_names = tuple(book.stage_names)
    S = len(stage_names)
    states = np.asarray(book.states())
    sales = np.asarray(book.sales_matrix(), dtype=np.float64)
    terr = np.asarray(book.territory_matrix()).astype(np.int64)
    periods = book.periods
    P, N = states.shape
    T = len(book.territory_ids)
    spq = int(book.steps_per_quarter)
    problems = []
    if N < 2:
        problems.append("the book needs at least two periods to fit transitions")
    pres = (states >= 0) & (states < S)
    p, j = np.nonzero(pres)
    s = states[p, j].astype(np.int64)
    t = terr[p, j]
    y = sales[p, j]
    pos = y > 0
    if not pos.any():
        problems.append("the book has no positive sale")
    if problems:
        err = ValueError("cannot fit this book: " + "; ".join(problems))
        err.is_bad_input = True  # type: ignore[attr-defined]
        raise err
    first = np.argmax(states >= 0, axis=1)
    home = terr[np.arange(P), first]

    counts = np.zeros((P, S))
    np.add.at(counts, (p, s), 1.0)
    np.add.at(counts, (p[pos], s[pos]), float(len(p)))  # positive sales dominate
    modal = np.argmax(counts, axis=1).astype(np.int64)

    # Hurdle cells (partner, stage, territory).
    key = (p * S + s) * T + t
    uk, inv = np.unique(key, return_inverse=True)
    cell_n = np.bincount(inv).astype(np.int64)
    cell_k = np.bincount(inv, weights=pos).astype(np.int64)

    # Positive rows sorted by stage.
    order = np.argsort(s[pos], kind="stable")
    amt_logy = np.log(y[pos])[order]
    loc = float(np.median(amt_logy)) if amount_location is None else float(amount_location)

    # Transitions between consecutive steps.
    move_from, move_to = allowed_moves(stage_names)
    move_index = {
        (int(a), int(b)): k for k, (a, b) in enumerate(zip(move_from, move_to, strict=True))
    }
    stay = np.zeros((T, S), dtype=np.int64)
    moves = np.zeros((T, len(move_from)), dtype=np.int64)
    a = states[:, :-1].astype(np.int64)
    b = states[:, 1:].astype(np.int64)
    ta = terr[:, :-1]
    ok = (a >= 0) & (a < S) & (b >= 0)
    dropped = 0
    pairs, counts = np.unique(np.stack([ta[ok], a[ok], b[ok]]), axis=1, return_counts=True)
    for (tt, i, d), c in zip(pairs.T, counts, strict=True):
        cat = _move_category(int(i), int(d), stage_names)
        if cat == i:
            stay[tt, i] += c
        elif cat < 0:
            dropped += int(c)
        else:
            moves[tt, move_index[(int(i), cat)]] += c

    # Recruits: partners whose first step is after the book's first.
    recruits = np.bincount(home[first > 0], minlength=T).astype(np.int64)
    tp = book.territories.set_index("territory")["target_partners"]
    target = np.array([float(tp[tid]) for tid in book.territory_ids])

    # Commits: quarters whose first step has an observed step before it.
    commit_t, commit_j, commit_log = _commits(book, periods, spq)
    notes = []
    if dropped:
        notes.append(
            f"{dropped} demotion(s) between progressive stages are not moves of the world "
            "and were left out of the transition likelihood"
        )
    return ModelData(
        stage_names=stage_names,
        state_names=tuple(book.state_names),
        territory_ids=tuple(book.territory_ids),
        partner_ids=tuple(book.partner_ids),
        periods=periods,
        steps_per_quarter=spq,
        fiscal_year_start_month=int(book.fiscal_year_start_month),
        states=states,
        territory=terr,
        sales=sales,
        home=home.astype(np.int64),
        modal_stage=modal,
        season=season_index(periods, spq),
        cell_p=(uk // (S * T)).astype(np.int64),
        cell_s=((uk // T) % S).astype(np.int64),
        cell_t=(uk % T).astype(np.int64),
        cell_n=cell_n,
        cell_k=cell_k,
        amt_p=p[pos][order],
        amt_s=s[pos][order],
        amt_t=t[pos][order],
        amt_j=j[pos][order],
        amt_logy=amt_logy,
        move_from=move_from,
        move_to=move_to,
        stay_counts=stay,
        move_counts=moves,
        moves_dropped=dropped,
        recruits=recruits,
        recruit_exposure=N - 1,
        target_partners=target,
        commit_t=commit_t,
        commit_j=commit_j,
        commit_log=commit_log,
        amount_location=loc,
        notes=notes,
    )


def _commits(book, periods: pd.PeriodIndex, spq: int):
    q = book.quarters
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if q is None or "commit" not in q.columns:
        return empty
    q = q[q["commit"].notna() & (q["commit"] > 0)]
    if q.empty:
        return empty
    tindex = {tid: i for i, tid in enumerate(book.territory_ids)}
    start = pd.PeriodIndex(q["quarter"]).start_time
    first = pd.PeriodIndex(start.to_period(periods.freq))
    pos = np.asarray(first.asi8) - int(periods[0].ordinal)
    t_idx = np.array([tindex.get(str(x), -1) for x in q["territory"]])
    keep = (pos >= 1) & (pos < len(periods)) & (t_idx >= 0)
    del spq
    return (
        t_idx[keep].astype(np.int64),
        pos[keep].astype(np.int64),
        np.log(q["commit"].to_numpy(dtype=np.float64)[keep]),
    )


def centring(data: ModelData) -> dict:
    """Which hierarchical terms are sampled centred, decided from how much data each has.

    A group effect with much data per group samples best centred (the data pin it, the
    population spread is learnt from the pinned values); one with little data samples best
    non-centred (the prior dominates and a centred form would make a funnel with the spread).
    The rules (counts of observations per group; a few observations already outweigh the
    priors' scales here):

    * partner level ``u``: centred for partners with at least 3 positive sales;
    * territory x stage deviations: centred if the median (territory, stage) cell has at
      least 30 positive sales;
    * territory hurdle deviations: centred if the median territory has at least 200
      partner-steps;
    * territory levels: centred if the median territory has at least 16 partners;
    * the territory shock ``eta``: centred if the median (territory, step) cell has at least
      300 positive sales (then each cell's shock is pinned by its data, about ten times
      the AR(1) prior's precision at typical spreads; below, the prior matters and the
      non-centred form mixed better: at a median of 74 sales, 1,000 partners in 8
      territories, max R-hat 1.05 against 1.10 centred, at 300 draws);

    and territory-level groups only with at least 8 territories: with fewer, their spread is
    barely identified and a centred form makes a funnel whatever the data per territory.

    Returns
    -------
    dict
        ``u_centred`` (P,) bool and booleans ``dev_ts``, ``h_dev``, ``B_dev``, ``eta``.
    """
    n_pos = np.bincount(data.amt_p, minlength=data.P)
    cell = np.bincount(data.amt_t * data.S + data.amt_s, minlength=data.T * data.S)
    steps_t = np.bincount(data.cell_t, weights=data.cell_n, minlength=data.T)
    partners_t = np.bincount(data.home, minlength=data.T)
    many = data.T >= 8
    return {
        "u_centred": n_pos >= 3,
        "dev_ts": bool(many and np.median(cell) >= 30),
        "h_dev": bool(many and np.median(steps_t) >= 200),
        "B_dev": bool(many and np.median(partners_t) >= 16),
        "eta": bool(
            np.median(np.bincount(data.amt_t * data.N + data.amt_j, minlength=data.T * data.N))
            >= 300
        ),
    }
