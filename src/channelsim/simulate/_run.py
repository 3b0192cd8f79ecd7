"""Orchestration of a policy simulation: validate, pack, run the kernel over path blocks."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from channelsim.policy import (
    EffectSizes,
    PackedPolicies,
    Policy,
    PolicyChunk,
    PolicyError,
    PolicyGrid,
    PolicyHooks,
    pack_policies,
    quarter_variables,
)
from channelsim.rng import SeedError, normalize_seed
from channelsim.simulate._kernel import NV, kernel_buffers, run_block, run_paths_prange
from channelsim.simulate._numba_config import PARALLEL, n_threads
from channelsim.world import World, generate

__all__ = [
    "Plan",
    "SimulationError",
    "make_plan",
    "run_numba",
    "run_numpy",
]


class SimulationError(ValueError):
    """Invalid simulation input; lists every problem (the CLI exits 2 on it)."""

    is_bad_input = True

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(
            f"{len(self.problems)} problem(s) with the simulation:\n"
            + "\n".join(f"  - {p}" for p in self.problems)
        )


class Plan:
    """A validated simulation: the policies, their de-duplicated kernel slots, the inputs.

    ``slot_policies[0]`` is the status quo; ``policy_slot[i]`` is the slot of policy ``i``.
    """

    def __init__(
        self, world, policies, status_quo, effects, n_paths, n_steps, seed, offset, labels=None,
        parameters=None,
    ):  # fmt: skip
        self.world: World = world
        self.policies: list[Policy] = policies
        #: lever labels of each policy (a grid's own, else ``Policy.labels()``)
        self.labels: list[dict] = list(labels or [p.labels() for p in policies])
        #: sampled parameter values of each policy, ``"lever.parameter" -> (policy,)``
        self.parameters: dict[str, np.ndarray] = dict(parameters or {})
        self.status_quo: Policy = status_quo
        self.effects: EffectSizes = effects
        self.n_paths, self.n_steps, self.seed, self.offset = n_paths, n_steps, seed, offset
        slots: dict[Policy, int] = {status_quo: 0}
        for p in policies:
            slots.setdefault(p, len(slots))
        self.slot_policies: list[Policy] = list(slots)
        self.policy_slot = np.array([slots[p] for p in policies], dtype=np.int64)
        self.packed: PackedPolicies = pack_policies(
            self.slot_policies, status_quo, world.steps_per_quarter
        )
        self.calendar = world.calendar(n_steps)


def make_plan(
    world,
    policies,
    *,
    n_paths,
    n_steps,
    seed,
    effects,
    status_quo,
    policy_offset,
    require_stages: bool = True,
) -> Plan:
    """Validate the inputs of :func:`~channelsim.simulate.simulate`; list every problem."""
    problems: list[str] = []
    if not isinstance(world, World):
        raise SimulationError([f"world must be a channelsim.world.World, got {type(world)!r}"])
    if require_stages and not world.has_stages:
        problems.append(
            "policy simulation needs lifecycle stages: this world is one-stage (its panel had "
            "no stage column); forecasts work, but the policy levers act on stage moves"
        )
    for name, value, lo in (("n_paths", n_paths, 1), ("n_steps", n_steps, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
            problems.append(f"{name} must be an integer >= {lo}, got {value!r}")
    spq = world.steps_per_quarter
    if isinstance(n_steps, (int, np.integer)) and n_steps >= 1 and n_steps % spq:
        problems.append(
            f"n_steps must be a whole number of quarters ({spq} steps each), got {n_steps}"
        )
    if not isinstance(policy_offset, (int, np.integer)) or policy_offset < 0:
        problems.append(f"policy_offset must be a non-negative integer, got {policy_offset!r}")
    if effects is None:
        effects = EffectSizes()
    elif not isinstance(effects, EffectSizes):
        problems.append(f"effects must be EffectSizes, got {type(effects)!r}")
    try:
        seed = normalize_seed(seed)
    except SeedError as err:
        problems.extend(err.problems)
    pols: list[Policy] = []
    labels = parameters = None
    try:
        if isinstance(policies, PolicyGrid):
            if status_quo is None:
                status_quo = policies.status_quo
            pols = list(policies)
            labels = policies.labels().to_dict("records")
            parameters = policies.parameters
        elif isinstance(policies, PolicyChunk):
            if status_quo is None:
                status_quo = policies.status_quo
            pols, labels, parameters = list(policies.policies), policies.labels, policies.parameters
        elif policies is None:
            pols = []
        elif isinstance(policies, (Policy, str)):
            pols = [policies]
        elif isinstance(policies, Sequence):
            pols = list(policies)
        else:
            problems.append(
                f"policies must be a Policy, a list of them or a PolicyGrid, got {policies!r}"
            )
        pols = [Policy.preset(p) if isinstance(p, str) else p for p in pols]
        for i, p in enumerate(pols):
            if not isinstance(p, Policy):
                problems.append(f"policies[{i}] is not a Policy: {p!r}")
    except PolicyError as err:
        problems.extend(err.problems)
    if status_quo is None:
        status_quo = Policy.status_quo(world)
    if problems:
        raise SimulationError(problems)
    if policy_offset == 0 and (not pols or pols[0] != status_quo):
        pols = [status_quo, *pols]
        labels = None if labels is None else [status_quo.labels(), *labels]
        parameters = (
            None if parameters is None else {k: np.r_[np.nan, v] for k, v in parameters.items()}
        )
    return Plan(
        world,
        pols,
        status_quo,
        effects,
        int(n_paths),
        int(n_steps),
        seed,
        int(policy_offset),
        labels,
        parameters,
    )


def _block_paths(n_paths: int, block_size: int | None, threads: int) -> list[tuple[int, int]]:
    if block_size is None:
        block_size = max(1, math.ceil(n_paths / (8 * threads)))
    block_size = max(1, int(block_size))
    return [(lo, min(n_paths, lo + block_size)) for lo in range(0, n_paths, block_size)]


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit="path", leave=False)


def execute(
    paths, draws, seed, flat, R, by_territory, dynamics, pout, out, ps, *, progress, desc,
    block_size=None,
):  # fmt: skip
    """Run the path kernel over blocks of paths (threads, ``prange`` or serial, per
    ``CHANNELSIM_PARALLEL``); results do not depend on the mode, block size or threads."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    fb, ib, meta, spq = flat
    ps_sales, ps_state, ps_kappa, ps_eta = ps
    threads = n_threads()
    blocks = _block_paths(len(paths), block_size, threads)
    seed = np.uint64(seed)

    def work(lo, hi, fn=run_block):
        s = slice(lo, hi)
        part = ps_sales[s], ps_state[s], ps_kappa[s], ps_eta[s]
        fn(
            paths[s],
            draws[s],
            seed,
            fb,
            ib,
            meta,
            spq,
            R,
            by_territory,
            dynamics,
            pout,
            out[s],
            *part,
        )
        return hi - lo

    with _progress(len(paths), progress, desc) as bar:
        if PARALLEL == "prange":
            for lo, hi in blocks:
                bar.update(work(lo, hi, run_paths_prange))
        elif threads == 1 or len(blocks) == 1:
            for lo, hi in blocks:
                bar.update(work(lo, hi))
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                futures = [pool.submit(work, lo, hi) for lo, hi in blocks]
                for fut in as_completed(futures):
                    bar.update(fut.result())


def run_numba(plan: Plan, *, by_territory: bool, progress: bool, block_size=None) -> np.ndarray:
    """Run the kernel; returns (path, variable, slot, quarter, territory or 1)."""
    w = plan.world
    n_sl = len(plan.slot_policies)
    Tout = w.n_territories if by_territory else 1
    out = np.full((plan.n_paths, NV, n_sl, plan.calendar.n_quarters, Tout), np.nan)
    paths = np.arange(plan.n_paths, dtype=np.int64)
    J, T = plan.n_steps, w.n_territories
    slots = np.zeros((J, T), dtype=np.int64)
    flat = kernel_buffers(w, plan.calendar, plan.packed, plan.effects.to_array(), slots - 1, slots)
    n = plan.n_paths
    ps = (np.zeros((n, 0, 0)), np.zeros((n, 0, 0), np.int8), np.zeros((n, 0)), np.zeros((n, 0, 0)))
    execute(
        paths, paths % w.n_draws, plan.seed, flat, w.recruit_slots(), bool(by_territory), True,
        -1, out, ps, progress=progress, desc="simulate", block_size=block_size,
    )  # fmt: skip
    return out


def run_numpy(plan: Plan, *, by_territory: bool, progress: bool) -> np.ndarray:
    """The numpy reference: the world's ``generate`` with :class:`PolicyHooks` per slot."""
    w = plan.world
    sq = plan.status_quo
    n_sl = len(plan.slot_policies)
    Q = plan.calendar.n_quarters
    Tout = w.n_territories if by_territory else 1
    out = np.full((plan.n_paths, NV, n_sl, Q, Tout), np.nan)
    kw = {"seed": plan.seed, "n_paths": plan.n_paths}
    with _progress(n_sl, progress, "simulate (numpy)") as bar:
        ref = PolicyHooks(pack_policies([sq, sq], sq, w.steps_per_quarter), plan.effects)
        generate(w, plan.n_steps, quota_rule=sq.quota, hooks=ref, **kw)
        for sl, pol in enumerate(plan.slot_policies):
            if sl == 0:
                rec = ref.record
            else:
                packed = pack_policies([pol, sq], sq, w.steps_per_quarter)
                hooks = PolicyHooks(packed, plan.effects, reference=ref.trace)
                generate(w, plan.n_steps, quota_rule=pol.quota, hooks=hooks, **kw)
                rec = hooks.record
            v = quarter_variables(rec, w.target_partners, by_territory)  # (NV, path, Q, Tout)
            out[:, :, sl] = np.moveaxis(v, 0, 1)
            bar.update(1)
    return out
