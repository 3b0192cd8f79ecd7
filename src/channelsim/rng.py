"""The project's one counter-based random number generator, in numpy.

Every random number in channelsim is a pure function of a key ``(seed, purpose, path, entity,
step, k)``. Nothing is keyed by thread, chunk, worker or policy, so the same seed gives the same
numbers for any thread count, chunking or number of Dask workers, and every policy sees the same
draws on the same path (common random numbers).

The generator is plain 64-bit integer arithmetic so that numpy (this module) and numba
(:mod:`channelsim.simulate`) compute the same bits:

.. math::

    \\operatorname{mix}(z) = \\text{splitmix64 finaliser of } (z + \\mathtt{0x9E3779B97F4A7C15})

    h = \\operatorname{mix}(\\operatorname{mix}(\\operatorname{mix}(\\operatorname{mix}(
        \\operatorname{mix}(\\operatorname{mix}(seed) \\oplus purpose) \\oplus path)
        \\oplus entity) \\oplus step) \\oplus k)

Transforms of a key ``h``:

* ``uniform(h) = (h >> 11) * 2**-53`` in ``[0, 1)``;
* ``open_uniform(h) = ((h >> 11) + 0.5) * 2**-53`` in ``(0, 1)``;
* ``normal(h)``: Box-Muller, ``sqrt(-2 log open_uniform(h)) * cos(2 pi uniform(mix(h)))``;
* ``poisson(h, lam)``: inverse CDF by sequential search on ``uniform(h)``
  (``p_0 = exp(-lam)``, ``p_k = p_{k-1} * lam / k``), capped at ``kmax``;
* ``categorical(h, probs)``: the first index ``i`` with ``uniform(h) < cumsum(probs)[i]``
  (the last positive-probability index if rounding leaves none).

Depends only on numpy.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = [
    "Purpose",
    "SeedError",
    "categorical",
    "key",
    "mix64",
    "normal",
    "normalize_seed",
    "open_uniform",
    "poisson",
    "uniform",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 2.0**-53
_TWO_PI = 2.0 * np.pi


class SeedError(ValueError):
    """A seed that is not ``int >= 0``, a numpy Generator, a SeedSequence or None."""

    is_bad_input = True

    def __init__(self, problem: str):
        self.problems = [problem]
        super().__init__(problem)


def normalize_seed(seed) -> int:
    """The package's one seed convention: an ``int >= 0`` from ``int | numpy.random.Generator
    | numpy.random.SeedSequence | None``.

    ``None`` draws fresh entropy (record the returned int to repeat the run); a Generator or
    SeedSequence gives one integer from it. Every entry point that takes ``seed`` /
    ``random_seed`` normalises it here, once; child streams come from counter-based keys
    (:func:`key`) or ``SeedSequence(seed)``, never from global seeding.

    Raises
    ------
    SeedError
        Negative, boolean or non-integer seeds.

    Examples
    --------
    >>> normalize_seed(7), normalize_seed(np.random.default_rng(0)) >= 0
    (7, True)
    """
    if seed is None:
        seed = np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**62))
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer):
        raise SeedError(f"seed must be a non-negative integer, got {seed!r}")
    if seed < 0:
        raise SeedError(f"seed must be a non-negative integer, got {seed}")
    return int(seed)


class Purpose(IntEnum):
    """What a random number is used for; part of every key."""

    SHOCK = 1  #: territory shock ``eta`` innovation (entity = territory)
    COMMIT = 2  #: CAM commit noise (entity = territory, step = quarter index)
    HURDLE = 3  #: sales > 0 or not (entity = partner)
    AMOUNT = 4  #: log-normal amount noise (entity = partner)
    TRANSITION = 5  #: end-of-step state transition (entity = partner)
    RECRUIT_COUNT = 6  #: number of recruits (entity = territory)
    RECRUIT_KAPPA = 7  #: capability of a recruit (entity = recruit slot)
    ATTRITION = 10  #: CAM quits (entity = territory)
    TIMING = 11  #: timing-game pull-forward (entity = territory)
    HIRE = 12  #: vacancy / time-to-fill draws (entity = territory)
    PLAN = 13  #: partner business plan completed (entity = partner)


def _u64(x) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype != np.uint64:
        if a.dtype.kind == "i" and a.size and int(a.min()) < 0:
            raise ValueError("random key parts must be non-negative integers")
        a = a.astype(np.uint64)
    return a


def mix64(z) -> np.ndarray:
    """The splitmix64 step: add the golden gamma, then the finaliser (uint64 in and out).

    Returns an array of at least one dimension (a scalar in gives shape ``(1,)``).

    Examples
    --------
    >>> out = mix64(0)
    >>> out.shape, hex(int(out[0]))  # first output of splitmix64 seeded with 0
    ((1,), '0xe220a8397b1dcdaf')
    """
    z = np.atleast_1d(_u64(z))
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        out = z ^ (z >> _S31)
    return out


def key(seed, purpose, path, entity, step, k=0) -> np.ndarray:
    """Hash of the key ``(seed, purpose, path, entity, step, k)``; all parts broadcast.

    Parameters
    ----------
    seed, purpose, path, entity, step, k : int or array of int
        Non-negative integers. ``purpose`` is a :class:`Purpose`.

    Returns
    -------
    numpy.ndarray of uint64, the broadcast shape of the parts (at least 1-d).
    """
    h = mix64(seed)
    for part in (purpose, path, entity, step, k):
        h = mix64(h ^ _u64(part))
    return h


def uniform(h) -> np.ndarray:
    """Uniform in ``[0, 1)`` from the top 53 bits of ``h``."""
    return (_u64(h) >> _S11).astype(np.float64) * _TWO_M53


def open_uniform(h) -> np.ndarray:
    """Uniform in ``(0, 1)``: the top 53 bits plus one half, times ``2**-53``."""
    return ((_u64(h) >> _S11).astype(np.float64) + 0.5) * _TWO_M53


def normal(h) -> np.ndarray:
    """Standard normal by Box-Muller from ``h`` and ``mix64(h)``."""
    h = _u64(h)
    r = np.sqrt(-2.0 * np.log(open_uniform(h)))
    return r * np.cos(_TWO_PI * uniform(mix64(h)).reshape(h.shape))


def poisson(h, lam, kmax: int = 10_000) -> np.ndarray:
    """Poisson(``lam``) by inverse CDF on ``uniform(h)``, capped at ``kmax``.

    ``h`` and ``lam`` broadcast. Returns int64.
    """
    u = uniform(h)
    lam = np.asarray(lam, dtype=np.float64)
    u, lam = np.broadcast_arrays(u, lam)
    p = np.exp(-lam)
    c = p.copy()
    n = np.zeros(u.shape, dtype=np.int64)
    active = u >= c
    k = 0
    while active.any() and k < kmax:
        k += 1
        p = np.where(active, p * lam / k, p)
        c = np.where(active, c + p, c)
        n = np.where(active, k, n)
        active = active & (u >= c)
    return n


def categorical(h, probs) -> np.ndarray:
    """Categorical draw: first index with ``uniform(h) < cumsum(probs)``.

    ``probs`` has the categories on its last axis and broadcasts against ``h``. Where rounding
    leaves ``u`` above the total, the last category with positive probability is returned.
    """
    u = uniform(h)
    probs = np.asarray(probs, dtype=np.float64)
    c = np.cumsum(probs, axis=-1)
    u_b = np.broadcast_to(u[..., None], np.broadcast_shapes((*u.shape, 1), c.shape))
    c_b = np.broadcast_to(c, u_b.shape)
    hit = u_b < c_b
    any_hit = hit.any(axis=-1)
    first = hit.argmax(axis=-1)
    pos = np.broadcast_to(probs > 0, u_b.shape)
    last_pos = pos.shape[-1] - 1 - pos[..., ::-1].argmax(axis=-1)
    return np.where(any_hit, first, last_pos).astype(np.int64)
