"""Warm-started NUTS: initial points and mass matrix from an earlier posterior."""

from __future__ import annotations

import numpy as np
import pymc as pm

from channelsim.model._sampling import _warm_kwargs, sample, warm_state


def _model(n: int) -> pm.Model:
    with pm.Model() as m:
        s = pm.HalfNormal("s", 1.0)
        mu = pm.Normal("mu", 0.0, 10.0, shape=n)
        pm.Normal("y", mu, s, observed=np.arange(n, dtype=float) * 3.0)
    return m


def test_warm_state_is_the_unconstrained_posterior_summary():
    draws = {"s": np.exp(np.array([[0.0, 1.0], [2.0, 3.0]])), "mu": np.ones((2, 2, 3))}
    st = warm_state(_model(3), draws)
    assert st["s_log__"][0] == 1.5 and st["s_log__"][1] == 1.25  # log(s): 0..3
    assert st["mu"][0].tolist() == [1.0, 1.0, 1.0] and st["mu"][1].tolist() == [0.0] * 3


def test_a_grown_model_starts_from_the_earlier_block_and_defaults_elsewhere():
    warm = {
        "s_log__": (np.array(0.5), np.array(0.04)),
        "mu": (np.array([4.0, 5.0]), np.full(2, 0.25)),
    }
    kw = _warm_kwargs(_model(3), warm, chains=2, seed=1, target_accept=0.9)
    assert len(kw["initvals"]) == 2
    mu0 = kw["initvals"][0]["mu"].eval()
    # earlier mean plus a jitter of half a posterior sd (0.25 here): within 4 of those
    assert np.all(np.abs(mu0[:2] - [4.0, 5.0]) < 4 * 0.25)
    assert abs(mu0[2]) < 4 * 0.5  # the new partner: model default 0 with unit variance
    pot = kw["step"].potential
    np.testing.assert_allclose(pot._var, [0.04, 0.25, 0.25, 1.0])  # s_log__, mu[0..2]


def test_warm_started_sampling_recovers_the_posterior():
    kw = dict(
        sampler="pymc", draws=150, tune=150, chains=2, cores=1, target_accept=0.9, progressbar=False
    )
    first = sample(_model(3), seed=1, **kw)
    assert not first.info["warm_started"]
    second = sample(_model(4), seed=2, warm=first.info["warm"], **kw)
    assert second.info["warm_started"]
    # y = 0, 3, 6, 9 with a flat-ish prior: posterior means near the data (seeded, tol 1.5)
    np.testing.assert_allclose(second.draws["mu"].mean((0, 1)), [0, 3, 6, 9], atol=1.5)
