"""The status-quo generative process in plain numpy: the executable specification.

Loops over steps; vectorised over paths and partners. Each piece of a step is a small
function of arrays so that the policy reference (:mod:`channelsim.policy`) can run the same
process with offsets instead of writing it again. :mod:`channelsim.simulate` computes the same
in numba; tests hold the two equal on the same keys.

Order within step ``j`` (``m = origin_step + j``):

1. at the first step of a quarter: the company's statistical forecast of the quarter
   (:func:`expected_sales`, from the state during the step before, corrected by the learnt
   log-level offset of :mod:`channelsim.world._forecaster`) and the quota;
2. end-of-step transitions of the previous step's state (key ``TRANSITION``, step ``j``);
3. recruits enter at the first stage (``RECRUIT_COUNT`` per territory, capability
   ``RECRUIT_KAPPA`` per slot);
4. the territory shock ``eta`` (``SHOCK``);
5. sales of every present partner (``HURDLE``, ``AMOUNT``);
6. at the last step of a quarter: quarter sales and the trailing sales the quota rule uses;
   the CAM's commit (belief from the forecast and a private signal keyed ``COMMIT`` k=1,
   report noise keyed ``COMMIT`` k=0); the forecaster's update on the booked quarter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from channelsim import rng
from channelsim.rng import Purpose
from channelsim.world import _forecaster as fc
from channelsim.world._expected import expected_sales, logistic
from channelsim.world._schema import StepCalendar, World, engaged_stage_mask

__all__ = [
    "RECRUIT_ENTITY_BASE",
    "ProcessHooks",
    "WorldRun",
    "draw_recruits",
    "draw_sales",
    "draw_shock",
    "draw_transitions",
    "generate",
    "initial_state",
    "quota_update",
    "recruit_entity",
    "row_sum",
]

#: Random-key entity of recruit slot ``(step j, territory t, slot k)`` is
#: ``RECRUIT_ENTITY_BASE + (j << 24) + (t << 8) + k``: independent of how many recruits other
#: territories or steps drew, so common random numbers survive different recruit counts.
RECRUIT_ENTITY_BASE = 1 << 40


def recruit_entity(step, territory, k):
    """Random-key entity of a recruit slot (see :data:`RECRUIT_ENTITY_BASE`)."""
    return (
        RECRUIT_ENTITY_BASE
        + (np.asarray(step, dtype=np.int64) << 24)
        + (np.asarray(territory, dtype=np.int64) << 8)
        + np.asarray(k, dtype=np.int64)
    )


class ProcessHooks:
    """Optional callbacks through which :func:`generate` runs the process with offsets.

    The policy reference (:mod:`channelsim.policy`) subclasses this to run the *same* loop
    under another policy: it modifies commit parameters, transition probabilities, recruit
    rates and log sales amounts, and observes each step. Every method of this base class is
    the identity, so ``generate(..., hooks=ProcessHooks())`` equals ``generate(...)`` bit for
    bit. ``generate`` calls them in this order within step ``j`` (see the module docstring):
    :meth:`step_start`; at a quarter's first step :meth:`quarter_start`;
    :meth:`transition_probs`; :meth:`recruit_rate`; :meth:`log_sales`; :meth:`step_end`; at
    a quarter's last step :meth:`quarter_end`, :meth:`commit_terms`, :meth:`commit_shift`,
    :meth:`commit_made`.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> w = draw_world(2, 10, seed=1)
    >>> a = generate(w, 3, seed=1)
    >>> b = generate(w, 3, seed=1, hooks=ProcessHooks())
    >>> bool((a.sales == b.sales).all())
    True
    """

    def start(self, ctx: dict) -> None:
        """Called once before step 0 with the run's layout.

        ``ctx`` holds ``world``, ``calendar``, ``draw`` (path,), ``paths`` (path,), ``seed``,
        ``territory`` / ``entity`` / ``birth_step`` (n,) of partners and recruit slots,
        ``state`` (path, n) at the origin, ``slots`` (recruit slots per territory-step) and
        ``quota_rule``.
        """

    def step_start(self, j: int) -> None:
        """Called at the start of step ``j``."""

    def quarter_start(self, q: int, mean, var, quota) -> None:
        """Observe the company's forecast (mean, variance) and quota (path, territory) of
        quarter ``q``."""

    def commit_terms(self, q: int):
        """``(log_factor, noise_factor)`` broadcasting to (path, territory): the CAM's signal
        log-sd falls by ``log_factor`` and its report noise is scaled by ``noise_factor``
        (status quo: 0 and 1)."""
        return 0.0, 1.0

    def commit_shift(self, q: int, belief_sd):
        """``(delta, delta_sq)``: the plan's optimal log shift of the report from the belief
        mean and the status quo plan's (:func:`~channelsim.world._forecaster.solve_shift`);
        without a policy both are 0 (the status quo's report is the calibrated one)."""
        return 0.0, 0.0

    def commit_made(self, q: int, commit, belief_mean) -> None:
        """Observe quarter ``q``'s commits and the CAMs' belief means (path, territory)."""

    def transition_probs(self, j: int, probs, state):
        """End-of-step transition probabilities (path, n, state) of the partners in ``state``."""
        return probs

    def recruit_rate(self, j: int, rate):
        """Poisson recruit rate (path, territory) of step ``j``."""
        return rate

    def log_sales(self, j: int, log_mean):
        """Log-normal location (path, n) of step ``j``'s sales amounts."""
        return log_mean

    def step_end(self, j: int, state, sales) -> None:
        """Observe the state (path, n) during step ``j`` and its sales (path, n)."""

    def quarter_end(self, q: int, sales):
        """Quarter ``q``'s booked territory sales (path, territory), as the quota rule sees
        them; ``sales`` is the sum of the partners' sales."""
        return sales


@dataclass
class WorldRun:
    """Result of :func:`generate`; partner arrays hold the origin's partners, then recruit slots.

    Attributes
    ----------
    calendar : StepCalendar
    draw : (path,) index of the world draw each path uses
    territory : (n,) territory of each partner / slot
    entity : (n,) random-key entity of each partner / slot
    birth_step : (n,) step a slot's recruit entered (-1 for the origin's partners)
    kappa : (path, n) capability (0 for unused slots)
    state : (path, n, step) int8 state during each step, -1 when not present
    sales : (path, n, step) float64
    eta : (path, territory, step)
    recruits : (path, territory, step) recruits entering
    engaged : (path, territory, step) partners in engaged stages
    expected, expected_var : (path, territory, quarter) the model's closed form
    forecast, forecast_var : (path, territory, quarter) the company's learning forecast
    belief : (path, territory, quarter) the CAM's belief mean on log sales
    commit, quota, quarter_sales : (path, territory, quarter)
    """

    calendar: StepCalendar
    draw: np.ndarray
    territory: np.ndarray
    entity: np.ndarray
    birth_step: np.ndarray
    kappa: np.ndarray
    state: np.ndarray
    sales: np.ndarray
    eta: np.ndarray
    recruits: np.ndarray
    engaged: np.ndarray
    expected: np.ndarray
    expected_var: np.ndarray
    forecast: np.ndarray
    forecast_var: np.ndarray
    belief: np.ndarray
    commit: np.ndarray
    quota: np.ndarray
    quarter_sales: np.ndarray
    seed: int

    def territory_sales(self) -> np.ndarray:
        """(path, territory, step) sales summed over partners."""
        out = np.zeros((self.sales.shape[0], self.eta.shape[1], self.sales.shape[2]))
        np.add.at(out, (slice(None), self.territory), self.sales)
        return out


def row_sum(x) -> np.ndarray:
    """Sums over the last axis, added left to right: ``x.sum(-1)`` may add in another order
    depending on how many rows there are, and a path's numbers must not depend on how many
    paths run beside it."""
    if x.shape[-1] == 0:
        return np.zeros(x.shape[:-1])
    return np.cumsum(x, axis=-1)[..., -1]


def initial_state(world: World, n_paths: int = 1, draws=None) -> dict:
    """The state at the origin as ``expected_sales`` takes it, for the origin's partners."""
    draw = _draws(world, n_paths, draws)
    return {
        "state": np.broadcast_to(world.partner_state, (n_paths, world.n_partners)).copy(),
        "kappa": world.kappa[draw].copy(),
        "territory": world.partner_territory.copy(),
        "eta": world.eta_last[draw].copy(),
        "draw": draw,
    }


def _draws(world: World, n_paths: int, draws) -> np.ndarray:
    if draws is None:
        return np.arange(n_paths, dtype=np.int64) % world.n_draws
    draws = np.asarray(draws, dtype=np.int64)
    if draws.shape != (n_paths,) or draws.min() < 0 or draws.max() >= world.n_draws:
        raise ValueError(f"draws must be {n_paths} indices in [0, {world.n_draws})")
    return draws


def draw_transitions(seed, paths, entity, step, state, probs, exited):
    """End-of-step transition of present, not exited partners.

    ``probs`` (path, n, K) are the transition rows of each partner's current state.
    """
    h = rng.key(seed, Purpose.TRANSITION, paths[:, None], entity[None, :], step)
    new = rng.categorical(h, probs)
    moving = (state >= 0) & (state != exited)
    return np.where(moving, new, state)


def draw_recruits(seed, paths, step, rate, slots):
    """Recruit counts (path, T) ~ Poisson(rate), capped at ``slots``."""
    T = rate.shape[1]
    h = rng.key(seed, Purpose.RECRUIT_COUNT, paths[:, None], np.arange(T)[None, :], step)
    return np.minimum(rng.poisson(h, rate), slots)


def draw_shock(seed, paths, step, eta_prev, rho, sigma_eta):
    """``eta_t = rho eta_{t-1} + sigma_eta z`` for every path and territory."""
    T = eta_prev.shape[1]
    z = rng.normal(rng.key(seed, Purpose.SHOCK, paths[:, None], np.arange(T)[None, :], step))
    return rho[:, None] * eta_prev + sigma_eta[:, None] * z


def draw_sales(seed, paths, entity, step, p_pos, log_mean, sigma, present):
    """Hurdle times log-normal amount; zero where not ``present``.

    ``p_pos``, ``log_mean``, ``sigma`` are (path, n) arrays for each partner's stage.
    """
    hh = rng.key(seed, Purpose.HURDLE, paths[:, None], entity[None, :], step)
    ha = rng.key(seed, Purpose.AMOUNT, paths[:, None], entity[None, :], step)
    pos = rng.uniform(hh) < p_pos
    amount = np.exp(log_mean + sigma * rng.normal(ha))
    return np.where(present & pos, amount, 0.0)


def quota_update(rule, last_quota, trailing, mean, frac):
    """Quota for a quarter under ``rule``; returns (quota, new full-quarter quota)."""
    if rule.kind == "forecast":
        quota = mean * (1.0 + rule.stretch)
        full = np.where(frac > 0, quota / frac, quota)
        return quota, full
    target = (1.0 + rule.growth) * trailing.mean(axis=-1)
    w = np.where(target > last_quota, rule.up, rule.down)
    full = last_quota + w * (target - last_quota)
    return full * frac, full


def generate(
    world: World,
    n_steps: int,
    *,
    seed: int,
    n_paths: int = 1,
    draws=None,
    recruit: bool = True,
    quota_rule=None,
    hooks: ProcessHooks | None = None,
) -> WorldRun:
    """Run the status-quo generative process forward ``n_steps`` steps from the origin.

    Parameters
    ----------
    world : World
    n_steps : int
        Steps to simulate.
    seed : int
        Non-negative seed of the counter-based generator.
    n_paths : int
        Independent paths; path ``p`` uses draw ``draws[p]`` (default ``p % n_draws``).
    draws : array of int, optional
    recruit : bool
        Whether new partners are recruited (forecasts of the existing book switch this off).
    quota_rule : QuotaRule, optional
        Overrides ``world.quota_rule``.
    hooks : ProcessHooks, optional
        Callbacks that run the same process with offsets (the policy reference). ``None``
        (the default) and the base :class:`ProcessHooks` leave the process unchanged.

    Returns
    -------
    WorldRun

    Examples
    --------
    >>> from channelsim.datasets import example_world
    >>> run = generate(example_world(), 6, seed=1, n_paths=2)
    >>> run.sales.shape[0], run.sales.shape[2]
    (2, 6)
    """
    world.refuse_time_dynamics("world.generate")
    if n_steps < 1:
        raise ValueError("n_steps must be at least 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    rule = quota_rule or world.quota_rule
    cal = world.calendar(n_steps)
    draw = _draws(world, n_paths, draws)
    paths = np.arange(n_paths, dtype=np.int64)
    T, P = world.n_territories, world.n_partners
    exited = world.exited
    R = world.recruit_slots() if recruit else 0

    # Partner / slot layout.
    slot_j, slot_t, slot_k = np.meshgrid(
        np.arange(n_steps), np.arange(T), np.arange(R), indexing="ij"
    )
    slot_j, slot_t, slot_k = slot_j.ravel(), slot_t.ravel(), slot_k.ravel()
    territory = np.concatenate([world.partner_territory, slot_t]).astype(np.int64)
    entity = np.concatenate([np.arange(P, dtype=np.int64), recruit_entity(slot_j, slot_t, slot_k)])
    birth = np.concatenate([np.full(P, -1, dtype=np.int64), slot_j])
    N = territory.size
    kappa = np.zeros((n_paths, N))
    kappa[:, :P] = world.kappa[draw]
    st = np.full((n_paths, N), -1, dtype=np.int64)
    st[:, :P] = world.partner_state

    out_state = np.full((n_paths, N, n_steps), -1, dtype=np.int8)
    out_sales = np.zeros((n_paths, N, n_steps))
    out_eta = np.zeros((n_paths, T, n_steps))
    out_rec = np.zeros((n_paths, T, n_steps), dtype=np.int64)
    out_eng = np.zeros((n_paths, T, n_steps), dtype=np.int64)
    Q = cal.n_quarters
    q_mean, q_var, q_commit, q_quota, q_sales = (np.zeros((n_paths, T, Q)) for _ in range(5))
    q_fmean, q_fvar, q_belief = (np.zeros((n_paths, T, Q)) for _ in range(3))
    level = np.ones((n_paths, T))  # the forecaster's level multiplier ...
    level_var = np.full((n_paths, T), fc.LEVEL_SD0 * fc.LEVEL_SD0)  # ... and its variance

    trans = world.trans[draw]  # (path, T, K, K)
    engaged_mask = engaged_stage_mask(world.stage_names)
    eta = world.eta_last[draw].copy()
    trailing = np.broadcast_to(world.trailing_sales, (n_paths, T, 4)).copy()
    last_quota = np.broadcast_to(world.first_quota(), (n_paths, T)).copy()
    spq = world.steps_per_quarter
    pidx = paths[:, None]
    if hooks is not None:
        hooks.start(
            {
                "world": world,
                "calendar": cal,
                "draw": draw,
                "paths": paths,
                "seed": seed,
                "territory": territory,
                "entity": entity,
                "birth_step": birth,
                "state": st.copy(),
                "slots": R,
                "quota_rule": rule,
            }
        )

    for j in range(n_steps):
        q = cal.quarter[j]
        if hooks is not None:
            hooks.step_start(j)
        if cal.quarter_start[j]:
            sel = cal.quarter == q
            mean, var = expected_sales(
                world,
                {"state": st, "kappa": kappa, "territory": territory, "eta": eta, "draw": draw},
                (cal.m[sel], cal.season[sel]),
            )
            f_mean, f_var, mu_f, s2_f, q_pp, q_r2 = fc.forecast_prior(mean, var, level, level_var)
            present0 = (st >= 0) & (st != exited)
            eng0 = present0 & engaged_mask[np.where(st >= 0, st, exited)]
            q_cov = np.stack([eng0[:, territory == t].sum(1) for t in range(T)], axis=1)
            q_cov = np.minimum(1.0, q_cov / world.target_partners)
            q_mean[:, :, q], q_var[:, :, q] = mean, var
            q_fmean[:, :, q], q_fvar[:, :, q] = f_mean, f_var
            q_post = np.zeros((n_paths, T))  # the quarter's realised-state expectation
            frac = cal.quarter_len[q] / spq
            q_quota[:, :, q], last_quota = quota_update(rule, last_quota, trailing, f_mean, frac)
            if hooks is not None:
                hooks.quarter_start(q, f_mean, f_var, q_quota[:, :, q])

        # 2. transitions of the previous step's state
        safe = np.where(st >= 0, st, 0)
        probs = trans[pidx, territory[None, :], safe]  # (path, N, K)
        if hooks is not None:
            probs = hooks.transition_probs(j, probs, st)
        st = draw_transitions(seed, paths, entity, j, st, probs, exited)

        # 3. recruits
        if R:
            rate = world.recruit_rate[draw]
            if hooks is not None:
                rate = hooks.recruit_rate(j, rate)
            n_new = draw_recruits(seed, paths, j, rate, R)
            out_rec[:, :, j] = n_new
            lo = P + j * T * R
            block = slice(lo, lo + T * R)
            joins = (
                slot_k[None, j * T * R : (j + 1) * T * R]
                < n_new[:, slot_t[j * T * R : (j + 1) * T * R]]
            )
            z = rng.normal(rng.key(seed, Purpose.RECRUIT_KAPPA, pidx, entity[None, block], 0))
            kappa[:, block] = np.where(joins, world.sd_kappa[draw][:, None] * z, 0.0)
            st[:, block] = np.where(joins, 0, -1)

        # 4. territory shock
        eta = draw_shock(seed, paths, j, eta, world.rho[draw], world.sigma_eta[draw])
        out_eta[:, :, j] = eta

        # 5. sales
        present = (st >= 0) & (st != exited)
        s = np.where(present, st, 0)
        dp = draw[:, None]
        p_pos = logistic(
            world.h_stage[dp, s] + world.h_terr[dp, territory[None, :]] + world.h_cap[dp] * kappa
        )
        log_mean = (
            world.a_stage[dp, s]
            + world.a_terr[dp, territory[None, :]]
            + world.a_terr_stage[dp, territory[None, :], s]
            + kappa
            + world.season[dp, cal.season[j]]
            + world.trend[dp, territory[None, :]] * cal.m[j]
            + eta[pidx, territory[None, :]]
        )
        sig_s = world.sigma_stage[dp, s]
        cmean = np.where(present, p_pos * np.exp(log_mean + 0.5 * (sig_s * sig_s)), 0.0)
        if hooks is not None:
            log_mean = hooks.log_sales(j, log_mean)
        sales = draw_sales(seed, paths, entity, j, p_pos, log_mean, sig_s, present)
        out_state[:, :, j] = st
        out_sales[:, :, j] = sales
        eng = present & engaged_mask[np.where(st >= 0, st, exited)]
        for t in range(T):
            out_eng[:, t, j] = eng[:, territory == t].sum(1)
            q_sales[:, t, q] += row_sum(sales[:, territory == t])
            q_post[:, t] += row_sum(cmean[:, territory == t])
        if hooks is not None:
            hooks.step_end(j, st, sales)

        # 6. end of quarter
        if j == n_steps - 1 or cal.quarter[j + 1] != q:
            frac = cal.quarter_len[q] / spq
            booked = q_sales[:, :, q]
            if hooks is not None:
                booked = hooks.quarter_end(q, booked)
            trailing = np.concatenate([trailing[:, :, 1:], (booked / frac)[:, :, None]], axis=2)
            # the CAM's commit, then the forecaster learns from the booked quarter
            tk = np.arange(T)[None, :]
            z_rep = rng.normal(rng.key(seed, Purpose.COMMIT, pidx, tk, q))
            z_sig = rng.normal(rng.key(seed, Purpose.COMMIT, pidx, tk, q, 1))
            log_factor, noise_factor = (0.0, 1.0) if hooks is None else hooks.commit_terms(q)
            csd = world.commit_sd[draw][:, None]
            tau = fc.signal_sd(q_cov, log_factor, s2_f, csd)
            m0, v_b, w_b = fc.belief(mu_f, s2_f, booked, tau, z_sig)
            sd = fc.report_sd(csd, s2_f, q_cov) * noise_factor
            shift, shift_sq = (0.0, 0.0) if hooks is None else hooks.commit_shift(q, np.sqrt(v_b))
            cb = world.commit_bias[draw][:, None]
            b_opt = fc.optimism(cb, s2_f, np.log1p(q_r2), w_b, shift_sq)
            logc = fc.commit_log(m0, b_opt, shift, shift_sq, sd, z_rep)
            pos_q = q_mean[:, :, q] > 0
            q_commit[:, :, q] = np.where(pos_q, np.exp(logc), 0.0)
            q_belief[:, :, q] = m0 + b_opt
            if hooks is not None:
                hooks.commit_made(q, q_commit[:, :, q], q_belief[:, :, q])
            level, level_var = fc.forecast_update(booked, q_post, q_r2, level, q_pp)

    return WorldRun(
        calendar=cal,
        draw=draw,
        territory=territory,
        entity=entity,
        birth_step=birth,
        kappa=kappa,
        state=out_state,
        sales=out_sales,
        eta=out_eta,
        recruits=out_rec,
        engaged=out_eng,
        expected=q_mean,
        expected_var=q_var,
        forecast=q_fmean,
        forecast_var=q_fvar,
        belief=q_belief,
        commit=q_commit,
        quota=q_quota,
        quarter_sales=q_sales,
        seed=int(seed),
    )
