"""Public entry points: :func:`simulate` (summary Dataset) and :func:`simulate_partners`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from channelsim.policy import EffectSizes, Policy, PolicyGrid, pack_policies
from channelsim.rng import normalize_seed
from channelsim.simulate._dataset import build_dataset
from channelsim.simulate._kernel import NV, kernel_buffers
from channelsim.simulate._layout import world_arrays
from channelsim.simulate._partners_nb import recruit_counts
from channelsim.simulate._run import (
    SimulationError,
    execute,
    make_plan,
    run_numba,
    run_numpy,
)
from channelsim.world import StepCalendar, World, recruit_entity

__all__ = ["PartnerRun", "simulate", "simulate_partners"]


def simulate(
    world: World,
    policies: PolicyGrid | list[Policy | str] | Policy | str | None = None,
    *,
    n_paths: int = 100,
    n_steps: int = 12,
    seed: int | np.random.Generator | None = None,
    effects: EffectSizes | None = None,
    status_quo: Policy | None = None,
    by_territory: bool = False,
    policy_offset: int = 0,
    progress: bool = True,
    engine: str = "numba",
    block_size: int | None = None,
) -> xr.Dataset:
    """Simulate policies on a world; one row of results per (policy, path, quarter).

    Every policy runs on the same random numbers as the status quo on each path (common
    random numbers), so paired differences between policies have small standard errors.
    Levers act as offsets from the status quo's effort on the same path and step
    (DESIGN.md section 4; ``docs/simulator.md``).

    Parameters
    ----------
    world : World
        A world with lifecycle stages (one-stage worlds are refused).
    policies : PolicyGrid, list of Policy or preset names, Policy, or None
        Policy 0 is the status quo: with ``policy_offset == 0`` it is prepended unless the
        list already starts with it (a :class:`~channelsim.policy.PolicyGrid` always does).
    n_paths : int
        Paths; path ``p`` uses world draw ``p % n_draws``.
    n_steps : int
        Steps to simulate: a whole number of quarters.
    seed : int, numpy Generator or None
        Seed of the counter-based generator (None: fresh entropy, recorded in attrs).
    effects : EffectSizes, optional
        Effect sizes (default :class:`~channelsim.policy.EffectSizes`).
    status_quo : Policy, optional
        The policy the world was generated under (default
        ``Policy.status_quo(world)``; a grid's own status quo).
    by_territory : bool
        Add a ``territory`` dimension (default: totals over territories).
    policy_offset : int
        Global index of the first policy, for running a grid in chunks; results do not
        depend on chunking.
    progress : bool
        Show a progress bar over paths.
    engine : {"numba", "numpy"}
        ``numpy`` runs the reference (slow; for tests and checks).
    block_size : int, optional
        Paths per kernel call (the progress bar's step); results do not depend on it.

    Returns
    -------
    xarray.Dataset
        DESIGN.md section 7: dims ``policy``, ``path``, ``quarter`` (and ``territory``);
        lever coordinates ``hiring``, ``onboarding``, ``kpi``, ``compensation``,
        ``quota``; the variables of :data:`channelsim.policy.VARIABLES`; provenance attrs.

    Raises
    ------
    SimulationError
        Bad input, every problem listed (``is_bad_input``).

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> ds = simulate(draw_world(3, 30, seed=1), ["territory_pay", "gonik"], n_paths=8,
    ...               n_steps=12, seed=7, progress=False)
    >>> dict(ds.sizes)
    {'policy': 3, 'path': 8, 'quarter': 4, 'window': 3}
    >>> list(ds["compensation"].values)
    ['revenue_heavy', 'territory_building', 'gonik']
    """
    if engine not in ("numba", "numpy"):
        raise SimulationError([f"engine must be 'numba' or 'numpy', got {engine!r}"])
    _refuse_time_dynamics(world, "policy simulation")
    plan = make_plan(
        world,
        policies,
        n_paths=n_paths,
        n_steps=n_steps,
        seed=seed,
        effects=effects,
        status_quo=status_quo,
        policy_offset=policy_offset,
    )
    if engine == "numba":
        out = run_numba(plan, by_territory=by_territory, progress=progress, block_size=block_size)
    else:
        out = run_numpy(plan, by_territory=by_territory, progress=progress)
    return build_dataset(plan, out, by_territory=by_territory, engine=engine)


def _refuse_time_dynamics(world, what: str) -> None:
    """The kernels run the AR(1) time state only: refuse a state-space world clearly."""
    if getattr(world, "time_dynamics", None) is not None:
        raise SimulationError(
            [
                f"{what} does not run worlds with state-space territory dynamics yet "
                "(world.time_dynamics is set, from a model fitted with "
                "territory_dynamics='statespace'); forecasts do (channelsim.forecast), or "
                "fit with territory_dynamics='ar1' to simulate policies"
            ]
        )


@dataclass
class PartnerRun:
    """Per-partner draws of one policy: one path per world draw (the forecast layer's input).

    Partner arrays hold the origin's partners, then recruit slots (entering at step
    ``birth_step``; ``-1`` state where a slot was not used on a path).

    Attributes
    ----------
    calendar : StepCalendar
    draw : (path,) world draw of each path
    territory : (n,) territory index of each partner / slot
    entity : (n,) random-key entity (the origin's partner index, or the recruit slot key)
    birth_step : (n,) step a slot's recruit entered (-1 for the origin's partners)
    partner_ids : tuple of str
        The origin's ids, then ``<territory>/new`` for recruit slots.
    kappa : (path, n) capability (0 for unused slots)
    state : (path, n, step) int8 state code during each step (-1 absent)
    sales : (path, n, step) float64 sales (0 when absent or exited)
    eta : (path, territory, step) territory shock
    territory_ids, stage_names : tuple of str
    seed : int
    policy : dict of lever labels
    """

    calendar: StepCalendar
    draw: np.ndarray
    territory: np.ndarray
    entity: np.ndarray
    birth_step: np.ndarray
    partner_ids: tuple
    kappa: np.ndarray
    state: np.ndarray
    sales: np.ndarray
    eta: np.ndarray
    territory_ids: tuple
    stage_names: tuple
    seed: int
    policy: dict

    @property
    def n_paths(self) -> int:
        return int(self.sales.shape[0])

    @property
    def is_recruit(self) -> np.ndarray:
        return self.birth_step >= 0

    def territory_sales(self) -> np.ndarray:
        """(path, territory, step) sales summed over partners."""
        out = np.zeros((self.n_paths, len(self.territory_ids), self.sales.shape[2]))
        for t in range(len(self.territory_ids)):
            out[:, t] = self.sales[:, self.territory == t].sum(1)
        return out


def simulate_partners(
    world: World,
    n_steps: int,
    *,
    seed: int | np.random.Generator | None = None,
    policy: Policy | str | None = None,
    recruit: bool = True,
    draws=None,
    n_paths: int | None = None,
    effects: EffectSizes | None = None,
    status_quo: Policy | None = None,
    progress: bool = False,
) -> PartnerRun:
    """Per-partner, per-step sales draws of one policy (status quo by default).

    One path per world draw by default (``draws = arange(n_draws)``), so a posterior World
    with 1,000 draws gives 1,000 paths. Runs one-stage worlds under the status quo. Under
    the status quo the draws equal :func:`channelsim.world.generate` on the same seed
    (states exactly, amounts to 1e-9); recruit slots are kept only as many per
    territory-step as some path used.

    Parameters
    ----------
    world : World
    n_steps : int
    seed : int, Generator or None
    policy : Policy or preset name, optional
        Another policy runs with the status quo beside it (offsets, as in
        :func:`simulate`); needs a world with stages.
    recruit : bool
        False: no new partners (the existing book only).
    draws : array of int, optional
        World draw of each path (default all draws in order, or ``p % n_draws``).
    n_paths : int, optional
        Number of paths when ``draws`` is not given (default ``n_draws``).
    effects, status_quo : as in :func:`simulate`.
    progress : bool
        Show a progress bar over paths.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> run = simulate_partners(draw_world(3, 30, seed=1), 6, seed=2, n_paths=4)
    >>> run.sales.shape[0], run.sales.shape[2]
    (4, 6)
    """
    _refuse_time_dynamics(world, "simulate_partners")
    problems = []
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        problems.append(f"n_steps must be an integer >= 1, got {n_steps!r}")
    if draws is not None:
        draws = np.asarray(draws, dtype=np.int64).ravel()
        if draws.size == 0 or draws.min() < 0 or draws.max() >= world.n_draws:
            problems.append(f"draws must be indices in [0, {world.n_draws})")
        n_paths = draws.size
    elif n_paths is None:
        n_paths = world.n_draws
    if isinstance(n_paths, bool) or not isinstance(n_paths, (int, np.integer)) or n_paths < 1:
        problems.append(f"n_paths must be an integer >= 1, got {n_paths!r}")
    if problems:
        raise SimulationError(problems)
    if draws is None:
        draws = np.arange(n_paths, dtype=np.int64) % world.n_draws
    seed = normalize_seed(seed)
    sq = status_quo if status_quo is not None else Policy.status_quo(world)
    if isinstance(policy, str):
        policy = Policy.preset(policy)
    dynamic = policy is not None and policy != sq
    if dynamic:
        plan = make_plan(
            world,
            [sq, policy],
            n_paths=n_paths,
            n_steps=n_steps,
            seed=seed,
            effects=effects,
            status_quo=sq,
            policy_offset=0,
        )
        packed, cal = plan.packed, plan.calendar
        E = plan.effects.to_array()
    else:
        packed = pack_policies([sq], sq, world.steps_per_quarter)
        cal = world.calendar(n_steps)
        E = (effects or EffectSizes()).to_array()
    policy = policy if dynamic else sq
    T, P, J = world.n_territories, world.n_partners, int(n_steps)
    R = world.recruit_slots() if recruit else 0
    paths = np.arange(n_paths, dtype=np.int64)
    # recruit-slot layout: R per territory-step under another policy; under the status quo
    # only as many as the most any path drew (a cheap pre-pass over the counts)
    if R and not dynamic:
        counts = recruit_counts(
            paths, draws, np.uint64(seed), world_arrays(world)["recruit_rate"], J, R
        )
        slot_cnt = counts.max(axis=0).T.copy() if n_paths else np.zeros((J, T), np.int64)
    else:
        slot_cnt = np.full((J, T), R, dtype=np.int64)
    slot_base = (P + np.concatenate([[0], np.cumsum(slot_cnt.ravel())[:-1]])).reshape(J, T)
    slot_base = np.ascontiguousarray(slot_base.astype(np.int64))
    n_out = P + int(slot_cnt.sum())
    jj, tt = np.meshgrid(np.arange(J), np.arange(T), indexing="ij")
    rep = slot_cnt.ravel()
    slot_j = np.repeat(jj.ravel(), rep)
    slot_t = np.repeat(tt.ravel(), rep)
    slot_k = np.concatenate([np.arange(n) for n in rep]) if rep.sum() else np.zeros(0, np.int64)

    territory = np.concatenate([world.partner_territory, slot_t]).astype(np.int64)
    entity = np.concatenate([np.arange(P, dtype=np.int64), recruit_entity(slot_j, slot_t, slot_k)])
    birth = np.concatenate([np.full(P, -1, dtype=np.int64), slot_j]).astype(np.int64)
    ids = tuple(world.partner_ids) + tuple(f"{world.territory_ids[t]}/new" for t in slot_t)

    sales = np.zeros((n_paths, n_out, J))
    state = np.full((n_paths, n_out, J), -1, dtype=np.int8)
    kappa = np.zeros((n_paths, n_out))
    eta = np.zeros((n_paths, T, J))
    n_sl = len(packed)
    out = np.zeros((n_paths, NV, n_sl, cal.n_quarters if dynamic else 1, 1))
    flat = kernel_buffers(world, cal, packed, E, slot_base, slot_cnt)
    execute(
        paths, draws, seed, flat, R, False, dynamic, n_sl - 1, out, (sales, state, kappa, eta),
        progress=progress, desc="simulate_partners",
    )  # fmt: skip
    return PartnerRun(
        calendar=cal,
        draw=draws,
        territory=territory,
        entity=entity,
        birth_step=birth,
        partner_ids=ids,
        kappa=kappa,
        state=state,
        sales=sales,
        eta=eta,
        territory_ids=world.territory_ids,
        stage_names=world.stage_names,
        seed=seed,
        policy=policy.labels(),
    )
