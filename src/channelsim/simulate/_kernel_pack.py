"""Kernel inputs: the world, calendar and policies as arrays, packed into flat buffers.

The kernels take two flat buffers (float64 and int64) and a ``meta`` table of offsets and
shapes instead of dozens of arrays: numba's compile time grows quickly with the number of
arguments a kernel takes (a parallel loop over a tuple of 31 arrays costs over 10 s of
compilation by itself). :func:`flatten` packs; the ``_v*`` helpers give views back.
"""

from __future__ import annotations

import numpy as np

from channelsim.policy._mechanisms import move_types
from channelsim.policy._pack import SPLIT
from channelsim.simulate._numba_config import jit
from channelsim.world import HERMITE_NODES, HERMITE_WEIGHTS, engaged_stage_mask

__all__ = ["calendar_tuple", "flatten", "policy_tuple", "world_tuple"]


def world_tuple(world) -> tuple:
    """The world's arrays in the kernels' order (indices in the comments)."""
    K, S = world.n_states, world.n_stages
    mt = move_types(world.stage_names)
    # each row's non-zero moves first, in state order (a stable sort of "is zero")
    nonzero = world.trans > 0
    tr_n = nonzero.sum(axis=-1).astype(np.int64)
    tr_to = np.argsort(~nonzero, axis=-1, kind="stable").astype(np.int64)
    tr_p = np.take_along_axis(world.trans, tr_to, axis=-1)
    tr_type = np.take_along_axis(np.broadcast_to(mt, world.trans.shape), tr_to, axis=-1)
    tr_type = np.ascontiguousarray(tr_type, dtype=np.int64)
    engaged = engaged_stage_mask(world.stage_names).astype(np.int64)
    active = np.ones(K, dtype=np.int64)
    active[S] = 0
    if world.has_stages:
        active[world.stage_names.index("dormant")] = 0
    f = lambda a: np.ascontiguousarray(np.asarray(a, dtype=np.float64))  # noqa: E731
    i = lambda a: np.ascontiguousarray(np.asarray(a, dtype=np.int64))  # noqa: E731
    return (
        f(world.a_stage),  # 0 (D, S)
        f(world.a_terr),  # 1 (D, T)
        f(world.a_terr_stage),  # 2 (D, T, S)
        f(world.sigma_stage),  # 3 (D, S)
        f(world.h_stage),  # 4 (D, S)
        f(world.h_terr),  # 5 (D, T)
        f(world.h_cap),  # 6 (D,)
        f(world.sd_kappa),  # 7 (D,)
        f(world.kappa),  # 8 (D, P)
        f(world.season),  # 9 (D, Z)
        f(world.trend),  # 10 (D, T)
        f(world.rho),  # 11 (D,)
        f(world.sigma_eta),  # 12 (D,)
        f(world.trans),  # 13 (D, T, K, K)
        f(world.recruit_rate),  # 14 (D, T)
        f(world.commit_bias),  # 15 (D,)
        f(world.commit_sd),  # 16 (D,)
        f(world.eta_last),  # 17 (D, T)
        i(world.partner_territory),  # 18 (P,)
        i(world.partner_state),  # 19 (P,)
        f(world.trailing_sales),  # 20 (T, 4)
        f(world.target_partners),  # 21 (T,)
        f(world.first_quota()),  # 22 (T,)
        engaged,  # 23 (K,) engaged stages
        active,  # 24 (K,) present and not dormant
        tr_n,  # 25 (D, T, K) non-zero moves per row
        tr_to,  # 26 (D, T, K, K) their target states, in state order
        tr_p,  # 27 (D, T, K, K) their probabilities
        tr_type,  # 28 (D, T, K, K) their move types
        f(HERMITE_NODES),  # 29
        f(HERMITE_WEIGHTS),  # 30
    )


def calendar_tuple(cal) -> tuple:
    """``(m, season, quarter, quarter_start, quarter_len, steps_per_quarter)``."""
    i = lambda a: np.ascontiguousarray(np.asarray(a, dtype=np.int64))  # noqa: E731
    return (
        i(cal.m),
        i(cal.season),
        i(cal.quarter),
        i(cal.quarter_start),
        i(cal.quarter_len),
        np.int64(cal.steps_per_quarter),
    )


def policy_tuple(packed) -> tuple:
    """``(skill_new, skill_inc, kpi, comp, fpar, split)`` of packed policies."""
    c = np.ascontiguousarray
    return (
        c(packed.skill_new),
        c(packed.skill_inc),
        c(packed.kpi),
        c(packed.comp),
        c(packed.fpar),
        c(SPLIT),
    )


# (group, index, kind, ndim); kind 0 = float64 buffer, 1 = int64 buffer. Rows of ``meta``.
_WORLD_KINDS = [
    (0, 2), (0, 2), (0, 3), (0, 2), (0, 2), (0, 2), (0, 1), (0, 1), (0, 2), (0, 2), (0, 2),
    (0, 1), (0, 1), (0, 4), (0, 2), (0, 1), (0, 1), (0, 2), (1, 1), (1, 1), (0, 2), (0, 1),
    (0, 1), (1, 1), (1, 1), (1, 3), (1, 4), (0, 4), (1, 4), (0, 1), (0, 1),
]  # fmt: skip
LAYOUT = (
    [("W", i, k, n) for i, (k, n) in enumerate(_WORLD_KINDS)]
    + [("C", i, 1, 1) for i in range(5)]
    + [("POL", i, 0, n) for i, n in enumerate((2, 2, 3, 3, 2, 2))]
    + [("qkind", 0, 1, 1), ("E", 0, 0, 1), ("slot_base", 0, 1, 2), ("slot_cnt", 0, 1, 2)]
)


def flatten(W, C, POL, qkind, E, slot_base, slot_cnt):
    """Pack the kernel inputs into ``(fbuf, ibuf, meta, steps_per_quarter)``."""
    parts = {"W": W, "C": C[:5], "POL": POL}
    single = {"qkind": qkind, "E": E, "slot_base": slot_base, "slot_cnt": slot_cnt}
    fl, il = [], []
    meta = np.zeros((len(LAYOUT), 6), dtype=np.int64)
    fo = io = 0
    for row, (group, i, kind, ndim) in enumerate(LAYOUT):
        a = parts[group][i] if group in parts else single[group]
        a = np.asarray(a, dtype=np.float64 if kind == 0 else np.int64)
        if a.ndim != ndim:
            raise ValueError(f"kernel input {group}[{i}] must be {ndim}-d, got {a.shape}")
        meta[row, 0] = kind
        meta[row, 1] = fo if kind == 0 else io
        meta[row, 2 : 2 + ndim] = a.shape
        (fl if kind == 0 else il).append(a.ravel())
        if kind == 0:
            fo += a.size
        else:
            io += a.size
    fbuf = np.ascontiguousarray(np.concatenate(fl))
    ibuf = np.ascontiguousarray(np.concatenate(il))
    return fbuf, ibuf, meta, np.int64(C[5])


@jit(inline="always")
def v1(buf, meta, i):  # pragma: no cover - numba
    o = meta[i, 1]
    return buf[o : o + meta[i, 2]]


@jit(inline="always")
def v2(buf, meta, i):  # pragma: no cover - numba
    o = meta[i, 1]
    n0, n1 = meta[i, 2], meta[i, 3]
    return buf[o : o + n0 * n1].reshape((n0, n1))


@jit(inline="always")
def v3(buf, meta, i):  # pragma: no cover - numba
    o = meta[i, 1]
    n0, n1, n2 = meta[i, 2], meta[i, 3], meta[i, 4]
    return buf[o : o + n0 * n1 * n2].reshape((n0, n1, n2))


@jit(inline="always")
def v4(buf, meta, i):  # pragma: no cover - numba
    o = meta[i, 1]
    n0, n1, n2, n3 = meta[i, 2], meta[i, 3], meta[i, 4], meta[i, 5]
    return buf[o : o + n0 * n1 * n2 * n3].reshape((n0, n1, n2, n3))
