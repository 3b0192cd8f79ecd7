"""The kernel inputs, each named once: the layout of the flat buffers the kernels read.

:data:`FIELDS` is one table of every array the path kernel takes: World fields, arrays
derived from the World, the step calendar, the packed policies, the effect sizes and the
recruit-slot layout. Everything else is generated from it:

* :func:`kernel_inputs` gathers the arrays by name (``source`` says from where);
* :func:`flatten` packs them into one float64 and one int64 buffer and a ``meta`` table with
  one row per field (buffer kind, offset, shape), in table order;
* a module constant ``L_<NAME>`` per field (``L_A_STAGE``, ``L_FPAR``, ...) is that field's
  row of ``meta``; numba freezes module constants into the compiled kernels, so
  ``v2(fb, meta, L_A_TERR)`` costs nothing at run time;
* a constant ``V_<NAME>`` per outcome variable of :data:`channelsim.policy.VARIABLES` is its
  index on the kernel output's variable axis.

Adding a kernel input is one line in :data:`FIELDS` (and reading it in the kernel). The
buffers exist because numba's compile time grows quickly with the number of arguments a
kernel takes (a parallel loop over a tuple of 31 arrays costs over 10 s of compilation by
itself); the ``v*`` helpers of :mod:`channelsim.simulate._kernel_pack` give views back.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from channelsim.policy import VARIABLES, advance_mask, move_types, plan_eligible_mask
from channelsim.world import HERMITE_NODES, HERMITE_WEIGHTS, engaged_stage_mask

#: Buffer kinds (column 0 of ``meta``).
FLOAT, INT = 0, 1


class Field(NamedTuple):
    """One kernel input: ``name``, buffer ``kind`` (:data:`FLOAT` or :data:`INT`), ``ndim``,
    ``source`` (``world``: the World attribute of that name; ``derived``: computed from the
    World by :func:`world_arrays`; ``calendar``, ``policy``: the attribute ``attr`` of the
    step calendar or of the packed policies; ``effects``, ``slots``: passed in), ``attr``
    and the ``shape`` in words (D draws, T territories, S stages, K states, P partners,
    Z season indices, J steps, Q quarters, N policy slots)."""

    name: str
    kind: int
    ndim: int
    source: str
    attr: str
    shape: str


def _f(name, kind, ndim, source, shape, attr=None):
    return Field(name, kind, ndim, source, attr or name, shape)


F, I = FLOAT, INT
#: Every kernel input, in buffer order.
FIELDS: tuple[Field, ...] = (
    _f("a_stage", F, 2, "world", "(D, S)"),
    _f("a_terr", F, 2, "world", "(D, T)"),
    _f("a_terr_stage", F, 3, "world", "(D, T, S)"),
    _f("sigma_stage", F, 2, "world", "(D, S)"),
    _f("h_stage", F, 2, "world", "(D, S)"),
    _f("h_terr", F, 2, "world", "(D, T)"),
    _f("h_cap", F, 1, "world", "(D,)"),
    _f("sd_kappa", F, 1, "world", "(D,)"),
    _f("kappa", F, 2, "world", "(D, P)"),
    _f("season", F, 2, "world", "(D, Z)"),
    _f("trend", F, 2, "world", "(D, T)"),
    _f("rho", F, 1, "world", "(D,)"),
    _f("sigma_eta", F, 1, "world", "(D,)"),
    _f("trans", F, 4, "world", "(D, T, K, K)"),
    _f("recruit_rate", F, 2, "world", "(D, T)"),
    _f("commit_bias", F, 1, "world", "(D,)"),
    _f("commit_sd", F, 1, "world", "(D,)"),
    _f("eta_last", F, 2, "world", "(D, T)"),
    _f("partner_territory", I, 1, "world", "(P,)"),
    _f("partner_state", I, 1, "world", "(P,)"),
    _f("trailing_sales", F, 2, "world", "(T, 4)"),
    _f("target_partners", F, 1, "world", "(T,)"),
    _f("first_quota", F, 1, "derived", "(T,) the World's first full quota"),
    _f("engaged", I, 1, "derived", "(K,) 1 for the engaged stages"),
    _f("active", I, 1, "derived", "(K,) 1 for present, not dormant states"),
    _f("tr_n", I, 3, "derived", "(D, T, K) non-zero moves per transition row"),
    _f("tr_to", I, 4, "derived", "(D, T, K, K) their target states, in state order"),
    _f("tr_p", F, 4, "derived", "(D, T, K, K) their probabilities"),
    _f("tr_type", I, 4, "derived", "(D, T, K, K) their move types"),
    _f("plan_ok", I, 1, "derived", "(K,) 1 for the states a business plan can be made in"),
    _f("advance_ok", I, 1, "derived", "(K,) 1 for the states leaving onboarding advances to"),
    _f("nodes", F, 1, "derived", "Gauss-Hermite nodes"),
    _f("weights", F, 1, "derived", "Gauss-Hermite weights"),
    _f("cal_m", I, 1, "calendar", "(J,) steps from the origin", "m"),
    _f("cal_season", I, 1, "calendar", "(J,) season index", "season"),
    _f("cal_quarter", I, 1, "calendar", "(J,) quarter of each step", "quarter"),
    _f("cal_quarter_start", I, 1, "calendar", "(J,) 1 at a quarter's first step", "quarter_start"),
    _f("cal_quarter_len", I, 1, "calendar", "(Q,) steps in each quarter", "quarter_len"),
    _f("skill_new", F, 2, "policy", "(N, 5)"),
    _f("skill_inc", F, 2, "policy", "(N, 5)"),
    _f("kpi", F, 3, "policy", "(N, 4, 5)"),
    _f("comp", F, 3, "policy", "(N, 4, 3)"),
    _f("fpar", F, 2, "policy", "(N, NF) columns channelsim.policy.F_*"),
    _f("split", F, 3, "policy", "(N, 4, 3) the plans' activity splits"),
    _f("qkind", I, 1, "policy", "(N,) quota rule kind"),
    _f("effects", F, 1, "effects", "(n effects,) EffectSizes.to_array()"),
    _f("slot_base", I, 2, "slots", "(J, T) first output row of a step's recruit slots"),
    _f("slot_cnt", I, 2, "slots", "(J, T) recruit slots written per territory-step"),
)
del F, I

#: Field name -> row of ``meta``.
ROWS: dict[str, int] = {f.name: i for i, f in enumerate(FIELDS)}
#: Outcome variable name -> index on the kernel output's variable axis.
VARS: dict[str, int] = {name: i for i, name in enumerate(VARIABLES)}

# the generated constants (see the module docstring)
globals().update({f"L_{name.upper()}": row for name, row in ROWS.items()})
globals().update({f"V_{name.upper()}": i for name, i in VARS.items()})

__all__ = [
    "FIELDS",
    "FLOAT",
    "INT",
    "ROWS",
    "VARS",
    "Field",
    "flatten",
    "kernel_inputs",
    "world_arrays",
    *(f"L_{name.upper()}" for name in ROWS),
    *(f"V_{name.upper()}" for name in VARS),
]


def _as(a, kind: int) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64 if kind == FLOAT else np.int64))


def world_arrays(world) -> dict[str, np.ndarray]:
    """The World's kernel inputs (``source`` ``world`` and ``derived``) by name, as
    contiguous float64 / int64 arrays.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> w = draw_world(3, 30, seed=1)
    >>> a = world_arrays(w)
    >>> a["recruit_rate"].shape == (w.n_draws, 3), a["tr_n"].dtype.name
    (True, 'int64')
    """
    K, S = world.n_states, world.n_stages
    mt = move_types(world.stage_names)
    # each row's non-zero moves first, in state order (a stable sort of "is zero")
    nonzero = world.trans > 0
    tr_to = np.argsort(~nonzero, axis=-1, kind="stable")
    active = np.ones(K, dtype=np.int64)
    active[S] = 0
    if world.has_stages:
        active[world.stage_names.index("dormant")] = 0
    derived = {
        "first_quota": world.first_quota(),
        "engaged": engaged_stage_mask(world.stage_names),
        "active": active,
        "tr_n": nonzero.sum(axis=-1),
        "tr_to": tr_to,
        "tr_p": np.take_along_axis(world.trans, tr_to, axis=-1),
        "tr_type": np.take_along_axis(np.broadcast_to(mt, world.trans.shape), tr_to, axis=-1),
        "plan_ok": plan_eligible_mask(world.stage_names),
        "advance_ok": advance_mask(world.stage_names),
        "nodes": HERMITE_NODES,
        "weights": HERMITE_WEIGHTS,
    }
    out = {}
    for f in FIELDS:
        if f.source == "world":
            out[f.name] = _as(getattr(world, f.attr), f.kind)
        elif f.source == "derived":
            out[f.name] = _as(derived[f.name], f.kind)
    return out


def kernel_inputs(world, calendar, packed, effects, slot_base, slot_cnt) -> dict:
    """Every field of :data:`FIELDS` by name, from the World, the step ``calendar``, the
    ``packed`` policies, the effect-size array and the recruit-slot layout."""
    out = world_arrays(world)
    for f in FIELDS:
        if f.source == "calendar":
            out[f.name] = getattr(calendar, f.attr)
        elif f.source == "policy":
            out[f.name] = getattr(packed, f.attr)
    out["effects"] = effects
    out["slot_base"] = slot_base
    out["slot_cnt"] = slot_cnt
    return out


def flatten(inputs: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pack ``inputs`` (every field of :data:`FIELDS` by name) into ``(fbuf, ibuf, meta)``.

    ``meta`` has a row per field, in table order: buffer kind, offset, then the shape.

    Raises
    ------
    ValueError
        Listing every missing or unknown field and every array of the wrong dimension.

    Examples
    --------
    >>> import numpy as np
    >>> x = {f.name: np.zeros((1,) * f.ndim) for f in FIELDS}
    >>> fb, ib, meta = flatten(x)
    >>> meta.shape == (len(FIELDS), 6), fb.size + ib.size == len(FIELDS)
    (True, True)
    """
    problems = [f"kernel input {n!r} missing" for n in ROWS if n not in inputs]
    problems += [f"unknown kernel input {n!r}" for n in inputs if n not in ROWS]
    fl, il = [], []
    meta = np.zeros((len(FIELDS), 6), dtype=np.int64)
    fo = io = 0
    for row, f in enumerate(FIELDS):
        if f.name not in inputs:
            continue
        a = _as(inputs[f.name], f.kind)
        if a.ndim != f.ndim:
            problems.append(f"kernel input {f.name!r} must be {f.ndim}-d {f.shape}, got {a.shape}")
            continue
        meta[row, 0] = f.kind
        meta[row, 1] = fo if f.kind == FLOAT else io
        meta[row, 2 : 2 + f.ndim] = a.shape
        (fl if f.kind == FLOAT else il).append(a.ravel())
        if f.kind == FLOAT:
            fo += a.size
        else:
            io += a.size
    if problems:
        raise ValueError("; ".join(problems))
    fbuf = np.ascontiguousarray(np.concatenate(fl))
    ibuf = np.ascontiguousarray(np.concatenate(il))
    return fbuf, ibuf, meta
