"""The true world after a run of the generative process: the oracle for calibration checks.

A book drawn with :func:`channelsim.datasets.make_book` comes from one path of
:func:`channelsim.world.generate`. :func:`world_after_run` turns the first ``k`` steps of that
path into the true :class:`~channelsim.world.World` at step ``k`` (the state at the end of a
book of ``k`` periods, its recruits included, partner ids as the book names them), so
forecasts from the *true* parameters can be scored against the book's later periods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from channelsim.world import World, WorldRun

__all__ = ["truth_fitter", "world_after_run"]


def world_after_run(
    world: World, run: WorldRun, n_steps: int | None = None, path: int = 0
) -> World:
    """The true world at step ``n_steps`` of path ``path`` of ``run`` (a one-draw World).

    Partners are the origin's partners followed by the recruits that entered in the first
    ``n_steps`` steps, named as :func:`channelsim.datasets.book_tables` names them
    (``P{n+1:04d}`` in order of entry); their state is the state during step
    ``n_steps - 1``, their capability the one drawn for them. The territory shock, trailing
    four quarters' sales and last quota carry over; the origin moves to the step after.

    Parameters
    ----------
    world : World
        The world the run started from.
    run : WorldRun
        ``generate(world, ...)``.
    n_steps : int, optional
        Steps of the run to keep (default all).
    path : int
        Path of the run (its world draw is kept).

    Returns
    -------
    World

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> from channelsim.world import generate
    >>> w = draw_world(2, 10, seed=0)
    >>> run = generate(w, 12, seed=3)
    >>> w6 = world_after_run(w, run, 6)
    >>> str(w6.origin_period), w6.n_partners >= 10
    ('2024-07', True)
    """
    total = run.sales.shape[2]
    k = total if n_steps is None else int(n_steps)
    if not 1 <= k <= total:
        raise ValueError(f"n_steps must be in 1..{total}, got {n_steps}")
    P = world.n_partners
    exited = world.exited
    state_full = run.state[path].astype(np.int64)  # (n, step)
    present_full = (state_full >= 0) & (state_full != exited)
    # the book's numbering: recruits used anywhere in the run, in slot order
    used_full = present_full.any(axis=1)
    recruit_slots = P + np.flatnonzero(used_full[P:])
    born = run.birth_step[recruit_slots]
    recruit_slots = recruit_slots[born < k]
    sel = np.concatenate([np.arange(P), recruit_slots])
    names = list(world.partner_ids) + [f"P{P + i + 1:04d}" for i in range(len(recruit_slots))]
    state = state_full[sel, k - 1]
    state = np.where(state < 0, exited, state)
    d = int(run.draw[path])
    base = world.select_draws([d])
    cal = run.calendar
    q_done = [q for q in range(cal.n_quarters) if np.flatnonzero(cal.quarter == q).max() < k]
    full = [q for q in q_done if cal.quarter_len[q] == world.steps_per_quarter]
    trailing = np.concatenate([world.trailing_sales, run.quarter_sales[path][:, full]], axis=1)[
        :, -4:
    ]
    last_quota = run.quota[path][:, full[-1]] if full else world.last_quota
    return replace(
        base,
        kappa=run.kappa[path, sel][None, :],
        partner_territory=run.territory[sel],
        partner_state=state,
        partner_ids=tuple(names),
        eta_last=run.eta[path, :, k - 1][None, :],
        trailing_sales=trailing,
        last_quota=last_quota,
        origin_period=cal.periods[k - 1] + 1,
        origin_step=world.origin_step + k,
    )


def truth_fitter(world: World, run: WorldRun, path: int = 0) -> Callable:
    """A backtest "fitter" that returns the true world at the end of each training book.

    For books drawn by :func:`channelsim.datasets.make_book` (``run`` is
    ``generate(world, n_steps, seed=seed)``): the oracle the fitted model is compared with.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> from channelsim.world import generate
    >>> w = draw_world(2, 10, seed=0)
    >>> fit = truth_fitter(w, generate(w, 12, seed=0))
    >>> fit.fingerprint
    'truth'
    """
    first = world.origin_period

    def fit(book, seed: int) -> World:
        k = int(book.periods[-1].ordinal - first.ordinal) + 1
        return world_after_run(world, run, k, path)

    fit.fingerprint = "truth"
    return fit
