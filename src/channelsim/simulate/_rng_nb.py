"""The counter-based generator of :mod:`channelsim.rng` in numba, bit-identical to numpy.

All hashing stays in ``uint64`` (mixing ``int64`` and ``uint64`` in numba promotes to
float64). A key ``(seed, purpose, path, entity, step, k)`` is folded left to right, so the
kernels hash ``(seed, purpose, path)`` once per path (:func:`prefix`), ``entity`` once per
partner (:func:`fold`), and only ``step`` and ``k`` per draw (:func:`finish`).
"""

from __future__ import annotations

import math

import numpy as np

from channelsim.simulate._numba_config import jit

__all__ = [
    "categorical_sparse",
    "finish",
    "fold",
    "key",
    "keys",
    "mix64",
    "normal",
    "normals",
    "open_uniform",
    "poisson",
    "prefix",
    "uniform",
    "uniforms",
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


@jit(inline="always")
def mix64(z):
    """splitmix64: add the golden gamma, then the finaliser (uint64 in and out)."""
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit(inline="always")
def fold(h, part):
    """``mix64(h ^ part)`` for a non-negative integer ``part``."""
    return mix64(h ^ np.uint64(part))


@jit(inline="always")
def prefix(seed, purpose, path):
    """Hash of ``(seed, purpose, path)``."""
    return fold(fold(mix64(np.uint64(seed)), purpose), path)


@jit(inline="always")
def finish(h_entity, step, k):
    """Hash of a key from the hash of ``(seed, purpose, path, entity)``."""
    return fold(fold(h_entity, step), k)


@jit(inline="always")
def key(seed, purpose, path, entity, step, k):
    """Hash of ``(seed, purpose, path, entity, step, k)``."""
    return finish(fold(prefix(seed, purpose, path), entity), step, k)


@jit(inline="always")
def uniform(h):
    """Uniform in ``[0, 1)`` from the top 53 bits."""
    return np.float64(h >> _S11) * _TWO_M53


@jit(inline="always")
def open_uniform(h):
    """Uniform in ``(0, 1)``."""
    return (np.float64(h >> _S11) + 0.5) * _TWO_M53


@jit(inline="always")
def normal(h):
    """Standard normal by Box-Muller from ``h`` and ``mix64(h)``."""
    r = math.sqrt(-2.0 * math.log(open_uniform(h)))
    return r * math.cos(_TWO_PI * uniform(mix64(h)))


@jit(inline="always")
def poisson(u, lam):
    """Poisson(``lam``) by sequential inverse CDF on the uniform ``u`` (cap 10,000)."""
    p = math.exp(-lam)
    c = p
    n = 0
    k = 0
    while u >= c and k < 10_000:
        k += 1
        p = p * lam / k
        c = c + p
        n = k
    return n


@jit(inline="always")
def categorical_sparse(u, n, to, p):
    """First ``to[i]`` with ``u < cumsum(p)[i]`` over the ``n`` non-zero entries of a row
    (in state order); the last one if rounding leaves none. Equal to
    :func:`channelsim.rng.categorical` on the full row (zero entries add exactly 0)."""
    c = 0.0
    for i in range(n):
        c = c + p[i]
        if u < c:
            return to[i]
    return to[n - 1]


@jit
def keys(parts):
    """Hashes of an (n, 6) uint64 array of keys (for tests and benchmarks)."""
    out = np.empty(parts.shape[0], dtype=np.uint64)
    for i in range(parts.shape[0]):
        out[i] = key(parts[i, 0], parts[i, 1], parts[i, 2], parts[i, 3], parts[i, 4], parts[i, 5])
    return out


@jit
def uniforms(h):
    """:func:`uniform` of each hash."""
    out = np.empty(h.shape[0])
    for i in range(h.shape[0]):
        out[i] = uniform(h[i])
    return out


@jit
def normals(h):
    """:func:`normal` of each hash."""
    out = np.empty(h.shape[0])
    for i in range(h.shape[0]):
        out[i] = normal(h[i])
    return out
