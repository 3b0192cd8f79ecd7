"""Pack policies into flat float/int arrays for array-only kernels.

Times are converted to steps of the world (``steps_per_quarter`` 3 or 1) and annual rates to
per-step hazards here, once, so the numpy reference and the numba kernels read the same
numbers. Column indices of :attr:`PackedPolicies.fpar` are the ``F_*`` constants.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from channelsim.policy._levers import ACTIVITY_SPLIT, TASKS
from channelsim.policy._policy import Policy

__all__ = [
    "F_ACC",
    "F_ACT_EN",
    "F_ACT_PLAN",
    "F_ACT_REC",
    "F_ATTR_INC",
    "F_ATTR_RATE",
    "F_CAM_COST",
    "F_CAP",
    "F_GONIK",
    "F_HIRE_COST",
    "F_KPI_COST",
    "F_PREMIUM",
    "F_Q_DOWN",
    "F_Q_GROWTH",
    "F_Q_STRETCH",
    "F_Q_UP",
    "F_RAMP_START",
    "F_RAMP_STEPS",
    "F_RATCHET",
    "F_RETRAIN_COST",
    "F_TARGET",
    "F_THR",
    "F_TTF_STEPS",
    "F_VS",
    "NF",
    "SPLIT",
    "PackedPolicies",
    "pack_policies",
]

(
    F_VS,
    F_THR,
    F_ACC,
    F_CAP,
    F_GONIK,
    F_TARGET,
    F_PREMIUM,
    F_RAMP_STEPS,
    F_RAMP_START,
    F_TTF_STEPS,
    F_ATTR_RATE,
    F_HIRE_COST,
    F_CAM_COST,
    F_KPI_COST,
    F_Q_GROWTH,
    F_Q_UP,
    F_Q_DOWN,
    F_Q_STRETCH,
    F_RATCHET,
    F_ATTR_INC,
    F_RETRAIN_COST,
    F_ACT_REC,
    F_ACT_EN,
    F_ACT_PLAN,
) = range(24)
#: Number of float columns.
NF = 24

#: :data:`~channelsim.policy.ACTIVITY_SPLIT` (the plans' default activity split) as a
#: (maturity, 3) array.
SPLIT = np.asarray(ACTIVITY_SPLIT, dtype=np.float64)


@dataclass(frozen=True)
class PackedPolicies:
    """Policies as arrays, one row per policy.

    Attributes
    ----------
    skill_new : (n, 5)
        Task productivity of a CAM hired under the policy (hiring skills x training).
    skill_inc : (n, 5)
        Task productivity of an incumbent, a CAM in the seat at the origin: the status quo's
        hiring skills x the status quo's training (x the policy's training instead when its
        onboarding programme retrains incumbents).
    kpi : (n, 4, 5)
        KPI weights by channel maturity and task.
    comp : (n, 4, 3)
        Variable pay components (revenue, activity, forecast) by channel maturity.
    split : (n, 4, 3)
        The plans' activity splits over (recruit, enable, develop) by channel maturity.
    fpar : (n, NF)
        Scalars, columns ``F_*``: pay mix, payout curve, Gonik share, target pay (per
        quarter), pay premium, ramp and time-to-fill in steps, per-step quit hazard of a CAM
        hired under the policy (``F_ATTR_RATE``) and of an incumbent (``F_ATTR_INC``, the
        status quo's hiring profile's), costs (``F_RETRAIN_COST``: retraining incumbents,
        per seat, 0 without retraining), quota rule parameters and ratchet strength
        (``up`` for ratchets, else 0) and the activity targets per territory-quarter
        (``F_ACT_REC``, ``F_ACT_EN``, ``F_ACT_PLAN``).
    qkind : (n,) int
        Quota rule kind: 0 ratchet, 1 forecast.
    """

    skill_new: np.ndarray
    skill_inc: np.ndarray
    kpi: np.ndarray
    comp: np.ndarray
    split: np.ndarray
    fpar: np.ndarray
    qkind: np.ndarray

    def __len__(self) -> int:
        return int(self.fpar.shape[0])

    def take(self, idx) -> PackedPolicies:
        """The rows ``idx`` (contiguous copies)."""
        idx = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        return PackedPolicies(
            *(np.ascontiguousarray(getattr(self, n)[idx]) for n in self.__dataclass_fields__)
        )


def pack_policies(
    policies: Sequence[Policy], status_quo: Policy, steps_per_quarter: int
) -> PackedPolicies:
    """Pack ``policies`` for a world with ``steps_per_quarter`` steps per quarter.

    Parameters
    ----------
    policies : sequence of Policy
    status_quo : Policy
        Incumbent CAMs were hired on the status quo's hiring profile and trained under its
        onboarding programme; they keep both (skills, training, quit hazard) until they
        leave, unless the policy's programme retrains them.
    steps_per_quarter : {3, 1}

    Examples
    --------
    >>> packed = pack_policies([Policy()], Policy(), 3)
    >>> packed.fpar.shape == (1, NF), float(packed.fpar[0, F_RAMP_STEPS])
    (True, 6.0)
    """
    n = len(policies)
    months_per_step = 3.0 / steps_per_quarter
    steps_per_year = 4 * steps_per_quarter
    skill_new = np.zeros((n, len(TASKS)))
    skill_inc = np.zeros((n, len(TASKS)))
    kpi = np.zeros((n, 4, len(TASKS)))
    comp = np.zeros((n, 4, 3))
    split = np.zeros((n, 4, 3))
    fpar = np.zeros((n, NF))
    qkind = np.zeros(n, dtype=np.int64)
    sq_skills = np.asarray(status_quo.hiring.skills)
    sq_training = np.asarray(status_quo.onboarding.training)
    sq_rate = -math.log1p(-status_quo.hiring.attrition_per_year) / steps_per_year
    for i, pol in enumerate(policies):
        h, o, k, c, q = pol.hiring, pol.onboarding, pol.kpi, pol.compensation, pol.quota
        training = np.asarray(o.training)
        skill_new[i] = np.asarray(h.skills) * training
        skill_inc[i] = sq_skills * (training if o.retrain_incumbents else sq_training)
        kpi[i] = np.asarray(k.weights)
        comp[i] = np.asarray(c.weights)
        split[i] = np.asarray(c.activity_split)
        f = fpar[i]
        f[F_VS] = c.variable_share
        f[F_THR] = c.threshold
        f[F_ACC] = c.accelerator
        f[F_CAP] = c.cap
        f[F_GONIK] = c.gonik
        f[F_ACT_REC], f[F_ACT_EN], f[F_ACT_PLAN] = c.activity_targets
        f[F_TARGET] = c.target_pay
        f[F_PREMIUM] = h.pay_premium
        f[F_RAMP_STEPS] = o.ramp_months / months_per_step
        f[F_RAMP_START] = o.ramp_start
        f[F_TTF_STEPS] = h.time_to_fill_months / months_per_step
        f[F_ATTR_RATE] = -math.log1p(-h.attrition_per_year) / steps_per_year
        f[F_ATTR_INC] = sq_rate
        f[F_RETRAIN_COST] = o.retrain_cost_per_cam if o.retrain_incumbents else 0.0
        f[F_HIRE_COST] = h.cost_per_hire + o.cost_per_hire
        f[F_CAM_COST] = o.cost_per_cam_quarter
        f[F_KPI_COST] = k.cost_per_territory_quarter
        f[F_Q_GROWTH] = q.growth
        f[F_Q_UP] = q.up
        f[F_Q_DOWN] = q.down
        f[F_Q_STRETCH] = q.stretch
        f[F_RATCHET] = q.up if q.kind == "ratchet" else 0.0
        qkind[i] = q.code
    return PackedPolicies(skill_new, skill_inc, kpi, comp, split, fpar, qkind)
