"""Small numba helpers: the recruit-count pre-pass of the partner mode, and the RNG-only
loop that measures the cost of the random numbers a kernel consumes (the RNG limit)."""

from __future__ import annotations

import numpy as np

from channelsim.rng import Purpose
from channelsim.simulate import _rng_nb as rng
from channelsim.simulate._numba_config import jit
from channelsim.world import RECRUIT_ENTITY_BASE

__all__ = ["recruit_counts", "rng_only"]

_P_RCOUNT = int(Purpose.RECRUIT_COUNT)
_P_TRANS = int(Purpose.TRANSITION)
_P_HURDLE = int(Purpose.HURDLE)
_P_AMOUNT = int(Purpose.AMOUNT)
_P_SHOCK = int(Purpose.SHOCK)
_P_RKAPPA = int(Purpose.RECRUIT_KAPPA)
_P_ATTR = int(Purpose.ATTRITION)
_P_HIRE = int(Purpose.HIRE)
_P_COMMIT = int(Purpose.COMMIT)
_P_PLAN = int(Purpose.PLAN)
_RBASE = int(RECRUIT_ENTITY_BASE)


@jit
def recruit_counts(paths, draws, seed, rate, n_steps, slots):  # pragma: no cover - numba
    """Status-quo recruit counts (path, territory, step), capped at ``slots``."""
    T = rate.shape[1]
    out = np.zeros((paths.shape[0], T, n_steps), dtype=np.int64)
    for b in range(paths.shape[0]):
        pre = rng.prefix(seed, _P_RCOUNT, paths[b])
        d = draws[b]
        for t in range(T):
            h = rng.fold(pre, t)
            for j in range(n_steps):
                u = rng.uniform(rng.finish(h, j, 0))
                out[b, t, j] = min(rng.poisson(u, rate[d, t]), slots)
    return out


@jit
def rng_only(paths, seed, n_partners, n_territories, n_steps, n_recruits):  # pragma: no cover
    """Draw every random number a kernel path consumes and nothing else.

    Per partner-step: the transition, hurdle and business-plan uniforms and the amount
    normal; per territory-step: the recruit-count uniform, the shock normal, the attrition
    and hiring uniforms; per quarter and territory the commit normal; per recruit its capability
    normal (``n_recruits`` per path). Returns a checksum per path (so nothing is optimised
    away).
    """
    out = np.zeros(paths.shape[0])
    for b in range(paths.shape[0]):
        p = paths[b]
        pt = rng.prefix(seed, _P_TRANS, p)
        ph = rng.prefix(seed, _P_HURDLE, p)
        pa = rng.prefix(seed, _P_AMOUNT, p)
        ps = rng.prefix(seed, _P_SHOCK, p)
        pr = rng.prefix(seed, _P_RCOUNT, p)
        pq = rng.prefix(seed, _P_ATTR, p)
        pf = rng.prefix(seed, _P_HIRE, p)
        pc = rng.prefix(seed, _P_COMMIT, p)
        pk = rng.prefix(seed, _P_RKAPPA, p)
        pp = rng.prefix(seed, _P_PLAN, p)
        acc = 0.0
        for j in range(n_steps):
            for i in range(n_partners):
                acc += rng.uniform(rng.finish(rng.fold(pt, i), j, 0))
                acc += rng.uniform(rng.finish(rng.fold(ph, i), j, 0))
                acc += rng.normal(rng.finish(rng.fold(pa, i), j, 0))
                acc += rng.uniform(rng.finish(rng.fold(pp, i), j, 0))
            for t in range(n_territories):
                acc += rng.uniform(rng.finish(rng.fold(pr, t), j, 0))
                acc += rng.normal(rng.finish(rng.fold(ps, t), j, 0))
                acc += rng.uniform(rng.finish(rng.fold(pq, t), j, 0))
                acc += rng.open_uniform(rng.finish(rng.fold(pf, t), j, 0))
                if j % 3 == 0:
                    acc += rng.normal(rng.finish(rng.fold(pc, t), j // 3, 0))
        for k in range(n_recruits):
            acc += rng.normal(rng.finish(rng.fold(pk, _RBASE + k), 0, 0))
        out[b] = acc
    return out
