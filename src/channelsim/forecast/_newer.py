"""Forecast from newer actuals with a model fitted on an older book (``forecast --panel``).

A batch job fits the model now and then but forecasts every period from the latest actuals.
:func:`world_from_newer_actuals` places the state at the end of the newer actuals into the
fitted model's world without refitting:

* the newer panel extends the model's book: its rows replace the book's from the newer
  panel's first period on (so a panel holding only the latest periods works, and so does a
  full re-export);
* each partner's lifecycle state and territory are those of the last period; partners new in
  the newer actuals get population capabilities ``kappa ~ N(0, sd_kappa)`` per draw and
  territories new in them population effects (the model's rules for unseen groups,
  :meth:`channelsim.model.ChannelModel.to_world`);
* parameters are **not** re-estimated, and neither are the territory shocks of the newer
  periods: ``eta`` is carried through the ``k`` newer periods by its AR(1) law,
  ``eta_k = rho^k eta_0 + sigma_eta sqrt(sum_{i<k} rho^(2i)) z`` per draw, so the newer
  actuals inform the forecast through the partners' states, not through the shocks. Refit to
  use them fully. A state-space world's territory state is carried the same way, by its own
  law (:meth:`channelsim.world.TerritoryStateSpace.advance`);
* trailing four quarters' sales come from the newer actuals (with the calendar's one
  fallback for short histories); the origin moves to the period
  after them.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from channelsim.calendar import FiscalCalendar
from channelsim.data import load_book
from channelsim.forecast._forecast import ForecastError

__all__ = ["combine_books", "world_from_newer_actuals"]


def combine_books(book, newer):
    """``book``'s rows before ``newer``'s first period, then ``newer``'s rows, as one Book.

    Raises
    ------
    ForecastError
        If the two differ in frequency or in having lifecycle stages, or ``newer`` ends
        before ``book``.
    """
    problems = []
    if newer.freq != book.freq:
        problems.append(
            f"the newer actuals are {newer.freq}-periodic, the model's book {book.freq}"
        )
    if newer.has_stages != book.has_stages:
        problems.append("the newer actuals and the model's book differ in having a stage column")
    if not problems and newer.periods[-1] < book.periods[-1]:
        problems.append(
            f"the newer actuals end at {newer.periods[-1]}, before the model's book "
            f"({book.periods[-1]})"
        )
    if problems:
        raise ForecastError("newer actuals: " + "; ".join(problems))
    old = book.panel
    old = old[old["period"] < newer.periods[0]]
    new = newer.panel
    cols = [c for c in old.columns if c in new.columns and c != "filled"]
    panel = pd.concat([old[cols], new[cols]], ignore_index=True)
    terr = pd.concat(
        [
            book.territories,
            newer.territories[~newer.territories.territory.isin(book.territory_ids)],
        ],
        ignore_index=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_book(
            panel,
            book.quarters,
            terr,
            fiscal_year_start_month=book.fiscal_year_start_month,
            source_name=f"{book.source} + {newer.source}",
        )


def _trailing(book, territory_ids) -> np.ndarray:
    """Sales of the last four complete fiscal quarters per territory
    (:meth:`channelsim.calendar.FiscalCalendar.trailing_sales`)."""
    sales = np.nan_to_num(book.sales_matrix(), nan=0.0)
    tm = book.territory_matrix()
    index = {t: i for i, t in enumerate(book.territory_ids)}
    per_step = np.zeros((len(territory_ids), sales.shape[1]))
    for k, t in enumerate(territory_ids):
        if t in index:
            per_step[k] = np.where(tm == index[t], sales, 0.0).sum(axis=0)
    return FiscalCalendar(book.fiscal_year_start_month).trailing_sales(book.periods, per_step)


def world_from_newer_actuals(model, newer, *, draws=None, seed: int = 0):
    """The fitted model's World placed at the end of newer actuals (see the module notes).

    Parameters
    ----------
    model : channelsim.model.ChannelModel
        A fitted model (its :attr:`book` is the book it was fitted on).
    newer : channelsim.data.Book
        Newer actuals: a panel extending the model's book (only its latest periods, or all).
    draws : int, array or None
        As for ``model.to_world``.
    seed : int
        For the choice of draws, unseen groups and the shock propagation.

    Returns
    -------
    channelsim.world.World
        Origin: the period after the newer actuals' last.
    """
    book = model.book
    combined = combine_books(book, newer)
    k_new = int(combined.periods[-1].ordinal - book.periods[-1].ordinal)
    states = combined.states()
    terr_m = combined.territory_matrix()
    names = combined.state_names
    S = len(combined.stage_names)
    last = states[:, -1].astype(np.int64)
    last_terr = np.array(combined.territory_ids, dtype=object)[np.maximum(terr_m[:, -1], 0)]
    known_p = set(book.partner_ids)
    present = (last >= 0) & (last < S)
    new_idx = [i for i, p in enumerate(combined.partner_ids) if p not in known_p and present[i]]
    extra_partners = (
        pd.DataFrame(
            {
                "partner": [combined.partner_ids[i] for i in new_idx],
                "territory": [last_terr[i] for i in new_idx],
                "stage": [names[last[i]] for i in new_idx],
            }
        )
        if new_idx
        else None
    )
    tt = combined.territories.set_index("territory")["target_partners"]
    extra_terr = {t: float(tt[t]) for t in combined.territory_ids if t not in book.territory_ids}
    world = model.to_world(
        draws,
        seed=seed,
        extra_territories=extra_terr or None,
        extra_partners=extra_partners,
        include_exited=True,
    )
    # states and territories at the end of the newer actuals
    row = {p: i for i, p in enumerate(combined.partner_ids)}
    tindex = {t: i for i, t in enumerate(world.territory_ids)}
    state = world.partner_state.copy()
    territory = world.partner_territory.copy()
    for j, pid in enumerate(world.partner_ids):
        i = row.get(pid)
        if i is None:  # in the old book but absent from the combined one: gone
            state[j] = world.exited
            continue
        state[j] = last[i] if last[i] >= 0 else world.exited
        territory[j] = tindex[str(last_terr[i])]
    # territory shocks carried through the newer periods by their AR(1) law
    eta = world.eta_last
    if k_new > 0:
        rho = world.rho[:, None]
        sd = world.sigma_eta[:, None] * np.sqrt(
            np.sum(rho[..., None] ** (2 * np.arange(k_new)), axis=-1)
        )
        z = np.random.default_rng([int(seed), 104729]).standard_normal(eta.shape)
        eta = rho**k_new * eta + sd * z
    dyn = world.time_dynamics
    if dyn is not None and k_new > 0:  # state-space: the state carried by its own law
        dyn = dyn.advance(k_new, np.random.default_rng([int(seed), 104729]))
    trailing = _trailing(combined, world.territory_ids)
    return replace(
        world,
        time_dynamics=dyn,
        partner_state=state,
        partner_territory=territory,
        eta_last=eta,
        trailing_sales=trailing,
        origin_period=combined.periods[-1] + 1,
        origin_step=world.origin_step + k_new,
    )
