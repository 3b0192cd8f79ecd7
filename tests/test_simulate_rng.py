"""The numba twin of the counter-based generator is bit-identical to the numpy one."""

import numpy as np

from channelsim import rng
from channelsim.simulate import _rng_nb
from tests.golden_rng import GOLDEN, GOLDEN_KEYS


def test_numba_golden_vectors():
    keys = np.array([[int(x) for x in k] for k in GOLDEN_KEYS], dtype=np.uint64)
    h = _rng_nb.keys(keys)
    assert [int(x) for x in h] == GOLDEN["hash"]
    np.testing.assert_array_equal(_rng_nb.uniforms(h), GOLDEN["uniform"])
    np.testing.assert_array_equal(_rng_nb.normals(h), GOLDEN["normal"])


def test_numba_matches_numpy_on_many_keys():
    gen = np.random.default_rng(0)
    parts = gen.integers(0, 2**62, size=(50_000, 6)).astype(np.uint64)
    parts[:, 1] = gen.integers(0, 13, size=50_000)
    h_nb = _rng_nb.keys(parts)
    h_np = rng.key(*parts.T)
    np.testing.assert_array_equal(h_nb, h_np)
    np.testing.assert_array_equal(_rng_nb.uniforms(h_nb), rng.uniform(h_np))
    # normals use log/cos: equal to the last bits or within 1e-12
    np.testing.assert_allclose(_rng_nb.normals(h_nb), rng.normal(h_np), rtol=1e-12, atol=1e-15)


def test_numba_poisson_and_categorical_match_numpy():
    from numba import njit

    from channelsim.simulate._rng_nb import categorical_sparse, poisson

    @njit
    def draws(u, lam, to, p, nz):
        out_p = np.empty(u.size, dtype=np.int64)
        out_c = np.empty(u.size, dtype=np.int64)
        for i in range(u.size):
            out_p[i] = poisson(u[i], lam[i])
            out_c[i] = categorical_sparse(u[i], nz, to, p)
        return out_p, out_c

    h = rng.key(5, rng.Purpose.RECRUIT_COUNT, 0, np.arange(20_000), 0)
    u = rng.uniform(h)
    lam = np.linspace(0.0, 6.0, u.size)
    probs = np.array([0.7, 0.0, 0.2, 0.0, 0.1])
    nz = np.flatnonzero(probs)
    got_p, got_c = draws(u, lam, nz, probs[nz], len(nz))
    np.testing.assert_array_equal(got_p, rng.poisson(h, lam))
    np.testing.assert_array_equal(got_c, rng.categorical(h, probs))
