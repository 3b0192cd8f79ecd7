"""The policy mechanisms of DESIGN.md section 4 in numpy: the specification of the maths.

Functions broadcast over leading dimensions (paths, territories); task vectors are on the
last axis in :data:`~channelsim.policy.TASKS` order. :mod:`channelsim.simulate` computes the
same maths in numba with the same order of floating-point operations (sums are written out
term by term here so the two agree bit for bit wherever a discrete outcome depends on them).
"""

from __future__ import annotations

import math

import numpy as np

from channelsim._vocab import MATURITY_THRESHOLDS, STAGES, state_names

__all__ = [
    "BASE_OTHER_SHARE",
    "BASE_TIME_SHARE",
    "FORECAST_APE_ZERO",
    "MOVE_ADVANCE_EARLY",
    "MOVE_ADVANCE_LATE",
    "MOVE_DORMANT",
    "MOVE_EXIT",
    "MOVE_NONE",
    "MOVE_REACTIVATE",
    "N_MOVES",
    "activity_score",
    "advance_mask",
    "attrition_probability",
    "effort",
    "forecast_score",
    "gonik_score",
    "maturity_of",
    "modify_transition_probs",
    "move_types",
    "pay_weights",
    "payout_curve",
    "payout_slope",
    "plan_eligible_mask",
    "plan_probability",
    "ramp",
    "timing_intensity",
    "transition_offsets",
    "vacancy_steps",
]

#: Move types of a transition (from, to), indexing the offsets of :func:`transition_offsets`.
MOVE_NONE, MOVE_ADVANCE_EARLY, MOVE_ADVANCE_LATE, MOVE_REACTIVATE, MOVE_DORMANT, MOVE_EXIT = range(
    6
)
N_MOVES = 6
_TH0, _TH1, _TH2 = MATURITY_THRESHOLDS
#: Time shares of a CAM's tasks without any incentive (the job description's split), the
#: base of the logit allocation; :data:`BASE_OTHER_SHARE` is the rest (unrewarded work).
#: Assumption.
BASE_TIME_SHARE = np.array([0.10, 0.15, 0.15, 0.25, 0.10])
BASE_OTHER_SHARE = 0.25
#: Commit APE at which the forecast component of pay reaches zero.
FORECAST_APE_ZERO = 0.25
_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


def move_types(stage_names) -> np.ndarray:
    """(state, state) move type codes for a world's states.

    Advancing from ``onboarding`` or ``enabled`` is an early advance, from ``active`` or
    ``productive`` a late one (skipping a stage counts as the advance of the stage left);
    ``dormant`` to a selling stage is a reactivation; a selling stage to ``dormant`` is
    dormancy; anything to ``exited`` is exit; staying and other moves carry no offset.
    One-stage worlds have only stay and exit.

    Examples
    --------
    >>> mt = move_types(("onboarding", "enabled", "active", "productive", "strategic", "dormant"))
    >>> int(mt[0, 1]), int(mt[2, 3]), int(mt[5, 2]), int(mt[3, 5]), int(mt[4, 6])
    (1, 2, 3, 4, 5)
    """
    names = state_names(tuple(stage_names))
    K = len(names)
    out = np.zeros((K, K), dtype=np.int64)
    exited = K - 1
    staged = tuple(stage_names) == STAGES
    dormant = STAGES.index("dormant")
    for a in range(K - 1):
        for b in range(K):
            if b == a:
                continue
            if b == exited:
                out[a, b] = MOVE_EXIT
            elif not staged:
                continue
            elif a == dormant:
                out[a, b] = MOVE_REACTIVATE
            elif b == dormant:
                out[a, b] = MOVE_DORMANT
            elif b > a:
                out[a, b] = MOVE_ADVANCE_EARLY if a <= 1 else MOVE_ADVANCE_LATE
    return out


def maturity_of(engaged, target) -> np.ndarray:
    """Channel maturity code from engaged partners: coverage ``min(1, engaged / target)``
    against the thresholds 0.25 / 0.60 / 0.85."""
    cov = np.minimum(1.0, np.asarray(engaged, dtype=np.float64) / target)
    return (cov >= _TH0).astype(np.int64) + (cov >= _TH1) + (cov >= _TH2)


def payout_curve(a, threshold, accelerator, cap):
    """Revenue-component payout (multiple of its target) at attainment ``a``; see
    :class:`~channelsim.policy.CompensationPlan`."""
    a = np.asarray(a, dtype=np.float64)
    above = 1.0 + accelerator * (np.minimum(a, cap) - 1.0)
    return np.where(a < threshold, 0.0, np.where(a < 1.0, a, above))


def payout_slope(a, threshold, accelerator, cap, sd):
    """Marginal revenue payout a CAM sees at projected attainment ``a``.

    The accelerator from 100% to the cap, 0 above the cap, 1 from the threshold to 100%,
    and below the threshold the probability-weighted value of crossing it: with the
    quarter's final attainment ``A ~ N(a, sd^2)`` the expected payout is about ``P(A >=
    thr) (E[A | A >= thr])``, whose derivative in ``a`` is

    .. math::

        \\Phi(z) + \\text{thr}\\,\\varphi(z) / \\text{sd}, \\qquad z = (a - \\text{thr}) / \\text{sd}

    (the chance of being paid at the margin, plus the jump from 0 to ``thr`` times the
    density of crossing). A CAM far below the threshold sees almost no revenue incentive.

    Examples
    --------
    >>> [round(float(x), 3) for x in payout_slope([0.0, 0.45, 0.8, 1.2], 0.5, 1.5, 2.0, 0.15)]
    [0.006, 1.627, 1.0, 1.5]
    """
    a = np.asarray(a, dtype=np.float64)
    z = (a - threshold) / sd
    dens = np.exp(-0.5 * (z * z)) * _INV_SQRT2PI
    cross = 0.5 * (1.0 + _erf(z / _SQRT2)) + threshold * dens / sd
    return np.where(
        a >= cap, 0.0, np.where(a >= 1.0, accelerator, np.where(a >= threshold, 1.0, cross))
    )


def pay_weights(kpi_row, comp_row, split_row, vs, gonik, slope, ratchet_keep, gap=1.0):
    """Pay weight of each task.

    .. math::

        w = (1 - v)\\,\\text{kpi}_m + v\\,[c_{m,act}\\,\\text{split}_m,\\;
            c_{m,rev}\\,s\\,k \\text{ on co\\_sell},\\; c_{m,fc} \\text{ on forecast}]
            + \\text{gonik on forecast}

    with pay mix ``v``, maturity ``m``, payout slope ``s`` and ratchet keep ``k =
    1 - ratchet_discount x ratchet strength``. Activity pay rewards recruits only into gaps
    of the territory plan: ``gap`` (1 while coverage is below 1, else 0) multiplies the
    recruit share.
    """
    vs = np.asarray(vs, dtype=np.float64)
    w = (1.0 - vs)[..., None] * kpi_row
    act = vs * comp_row[..., 1]
    w[..., 0] = w[..., 0] + act * split_row[..., 0] * gap
    w[..., 1] = w[..., 1] + act * split_row[..., 1]
    w[..., 2] = w[..., 2] + act * split_row[..., 2]
    w[..., 3] = w[..., 3] + vs * comp_row[..., 0] * slope * ratchet_keep
    w[..., 4] = w[..., 4] + (vs * comp_row[..., 2] + gonik)
    return w


def plan_probability(e_develop, rate_step):
    """Probability that an eligible partner's business plan is completed in a step:
    ``1 - exp(-rate_step x e_develop)`` with ``rate_step = plan_rate x months per step``."""
    return 1.0 - np.exp(-(rate_step * e_develop))


def plan_eligible_mask(stage_names) -> np.ndarray:
    """(state,) 1 for the states in which a partner can get a business plan: every selling
    stage but ``dormant`` (none in a one-stage world)."""
    names = state_names(tuple(stage_names))
    out = np.zeros(len(names), dtype=np.int64)
    if tuple(stage_names) == STAGES:
        for i, n in enumerate(STAGES):
            out[i] = n != "dormant"
    return out


def advance_mask(stage_names) -> np.ndarray:
    """(state,) 1 for the states a partner leaving ``onboarding`` counts as advanced into
    (enabled or a later selling stage; a quarterly panel may skip stages)."""
    names = state_names(tuple(stage_names))
    out = np.zeros(len(names), dtype=np.int64)
    if tuple(stage_names) == STAGES:
        for i, n in enumerate(STAGES):
            out[i] = n not in ("onboarding", "dormant")
    return out


def activity_score(gaps, enabled, plans, targets, split_row, cap):
    """The activity component's payout multiple from a quarter's results:
    ``sum_k split_k min(cap, results_k / target_k)`` over (recruits into gaps, partners
    advanced from onboarding, plans completed); ``targets`` are per quarter (scaled for a
    partial one by the caller).

    Examples
    --------
    >>> round(float(activity_score(1.0, 3.0, 0.0, (1.0, 1.5, 2.0), np.array([0.6, 0.3, 0.1]), 2.0)), 6)
    1.2
    """
    s0 = split_row[..., 0] * np.minimum(cap, gaps / targets[0])
    s1 = split_row[..., 1] * np.minimum(cap, enabled / targets[1])
    s2 = split_row[..., 2] * np.minimum(cap, plans / targets[2])
    return s0 + s1 + s2


def effort(w, prod, capacity, theta):
    """Effort per task: ``capacity x prod x share``.

    Time shares are a logit response with an outside option (time on unrewarded work):
    ``share_k = base_k exp(theta w_k prod_k) / (base_other + sum_i base_i exp(theta w_i
    prod_i))`` with the base shares :data:`BASE_TIME_SHARE` / :data:`BASE_OTHER_SHARE`. So
    incentives both reallocate time between tasks and, when stronger overall (no cap, no
    ratchet, an accelerator), raise the time worked on them.
    """
    x = theta * w * prod
    ex = BASE_TIME_SHARE * np.exp(x)
    tot = BASE_OTHER_SHARE + ex[..., 0] + ex[..., 1] + ex[..., 2] + ex[..., 3] + ex[..., 4]
    share = ex / tot[..., None]
    return capacity[..., None] * prod * share


def ramp(tenure, ramp_steps, ramp_start):
    """Productivity of a CAM ``tenure`` steps after hire: linear from ``ramp_start`` to 1."""
    tenure = np.asarray(tenure, dtype=np.float64)
    if ramp_steps <= 0:
        return np.ones_like(tenure)
    return np.minimum(1.0, ramp_start + (1.0 - ramp_start) * tenure / ramp_steps)


def transition_offsets(delta, effects):
    """Logit offsets (..., :data:`N_MOVES`) and flags from effort differences (..., 5).

    Returns ``(off, recruit, co_sell)``: transition offsets by move type (zero for
    :data:`MOVE_NONE`), the log recruit-rate offset and the log sales offset.
    """
    d_rec, d_en, d_dev, d_cs = delta[..., 0], delta[..., 1], delta[..., 2], delta[..., 3]
    off = np.zeros((*delta.shape[:-1], N_MOVES))
    off[..., MOVE_ADVANCE_EARLY] = effects.enable * d_en
    off[..., MOVE_ADVANCE_LATE] = effects.develop * d_dev
    off[..., MOVE_REACTIVATE] = effects.enable * d_en
    off[..., MOVE_DORMANT] = effects.develop_dormancy * d_dev
    off[..., MOVE_EXIT] = effects.retention * (d_en + d_dev)
    return off, effects.recruit * d_rec, effects.co_sell * d_cs


def modify_transition_probs(probs, types, factors, flag):
    """Transition rows with move ``k`` weighted by ``factors[type_k]`` and renormalised.

    ``probs`` (..., K) rows; ``types`` (..., K) move types; ``factors`` (..., N_MOVES) the
    exponentiated offsets; ``flag`` (...) whether any offset is non-zero (rows without one
    are returned unchanged, so the status quo keeps the world's probabilities bit for bit).
    The normaliser is summed left to right, as the numba kernel does.
    """
    w = probs * np.take_along_axis(factors, types, axis=-1)
    Z = w[..., 0].copy()
    for k in range(1, w.shape[-1]):
        Z = Z + w[..., k]
    return np.where(flag[..., None], w / Z[..., None], probs)


def attrition_probability(a, rate, beta):
    """Probability that a CAM quits in a step: ``1 - exp(-rate exp(beta max(0, 1 - a)))``."""
    return 1.0 - np.exp(-(rate * np.exp(beta * np.maximum(0.0, 1.0 - a))))


def vacancy_steps(u, ttf_steps):
    """Steps a seat stays vacant: ``max(1, ceil(-ttf log u))`` for ``u`` in (0, 1)."""
    return np.maximum(1, np.ceil(-ttf_steps * np.log(u))).astype(np.int64)


def timing_intensity(a, vs, rev_w, threshold, accelerator, pull, window):
    """Share of the step's sales pulled into the quarter at its last step: ``pull x v x
    revenue weight`` when attainment is within ``window`` below a payout kink."""
    a = np.asarray(a, dtype=np.float64)
    near = ((a >= threshold - window) & (a < threshold)) | (
        (accelerator > 1.0) & (a >= 1.0 - window) & (a < 1.0)
    )
    return pull * vs * rev_w * near.astype(np.float64)


def gonik_score(c, a):
    """Gonik (1978) bonus multiple from commit ``c`` and actual ``a`` in attainment units."""
    return np.maximum(0.0, np.where(a >= c, c + 0.5 * (a - c), c - 1.5 * (c - a)))


def forecast_score(ape):
    """Forecast-accuracy component multiple: ``max(0, 1 - ape / 0.25)``."""
    return np.maximum(0.0, 1.0 - ape / FORECAST_APE_ZERO)
