"""The Bayesian model: shapes, lifecycle errors, save/load, unseen groups, to_world, warnings.

Uses the session's one fitted model (``tests/_fixtures_model.py``); nothing here refits.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from channelsim.model import (
    ChannelModel,
    DiagnosticsWarning,
    ModelConfig,
    ModelConfigError,
    ModelFileError,
    NotFittedError,
)
from channelsim.world import World


def test_importing_model_and_world_leaves_pymc_unloaded():
    code = (
        "import channelsim.world, channelsim.model, sys; "
        "assert 'pymc' not in sys.modules, 'pymc imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_config_lists_problems_and_suggests():
    with pytest.raises(ModelConfigError, match="did you mean 'draws'"):
        ModelConfig.build(drawz=10)
    with pytest.raises(ModelConfigError) as err:
        ModelConfig.build(draws=0, target_accept=2.0)
    assert "draws" in str(err.value) and "target_accept" in str(err.value)
    a = ModelConfig(draws=10)
    assert a.config_hash() == ModelConfig(draws=10, progressbar=False).config_hash()
    assert a.config_hash() != ModelConfig(draws=11).config_hash()
    assert ModelConfig.from_json(a.to_json()) == a


def test_constructor_only_stores_config():
    m = ChannelModel(draws=10, chains=2)
    assert m.config.draws == 10 and m.idata is None and not m.is_fitted
    assert ChannelModel(ModelConfig(draws=5), chains=3).config.chains == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.to_world(),
        lambda m: m.summary(),
        lambda m: m.ppc(),
        lambda m: m.loo(),
        lambda m: m.check_diagnostics(),
        lambda m: m.save("x.nc"),
    ],
)
def test_methods_need_a_fit(call):
    with pytest.raises(NotFittedError, match="fit"):
        call(ChannelModel())


def test_fit_rejects_a_dataframe(model_book):
    with pytest.raises(TypeError, match="load_book"):
        ChannelModel().fit(model_book.panel)


def test_posterior_shapes(fitted_model, model_book):
    post = fitted_model.idata.posterior
    C, D = fitted_model.config.chains, fitted_model.config.draws
    S, T, P = (
        len(model_book.stage_names),
        len(model_book.territory_ids),
        len(model_book.partner_ids),
    )
    N = len(model_book.periods)
    expect = {
        "a_stage": (C, D, S),
        "a_terr_stage": (C, D, T, S),
        "kappa": (C, D, P),
        "season": (C, D, 12),
        "eta": (C, D, T, N),
        "trans": (C, D, T, S + 1, S + 1),
        "recruit_rate": (C, D, T),
        "commit_bias": (C, D),
        "sd_trend": (C, D),
    }
    for name, shape in expect.items():
        assert post[name].shape == shape, name
    # transition rows are probabilities, exited is absorbing, moves not allowed are zero
    tr = post["trans"].values
    np.testing.assert_allclose(tr.sum(-1), 1.0, atol=1e-12)
    assert np.all(tr[..., S, S] == 1.0)
    assert np.all(tr[..., 0, 3] == 0.0)  # onboarding cannot jump to productive
    assert post.attrs["data_hash"] == model_book.data_hash()
    # no per-row quantities are stored
    assert all(v.size <= C * D * max(P, T * N, T * (S + 1) ** 2) for v in post.data_vars.values())


def test_fit_info_and_sample_stats(fitted_model):
    info = fitted_model.fit_info
    assert info["sampler"] == "pymc" and info["sampling_s"] > 0
    assert 0 <= info["compile_s"] < info["wall_s"] and info["sampling_s"] < info["wall_s"]
    st = fitted_model.idata.sample_stats
    assert {"diverging", "sales_tree_depth", "lifecycle_tree_depth"} <= set(st.data_vars)


def test_diagnostics_warning_names_the_worst_parameters(fitted_model):
    strict = ChannelModel(fitted_model.config, ess_min=1e6)
    strict.idata, strict.book = fitted_model.idata, fitted_model.book
    with pytest.warns(DiagnosticsWarning, match=r"bulk ESS below 1000000: \w+"):
        d = strict.check_diagnostics()
    assert not d.ok and d.min_ess_bulk < 1e6
    lenient = ChannelModel(fitted_model.config, ess_min=1, rhat_max=10.0, max_divergences=10**6)
    lenient.idata, lenient.book = fitted_model.idata, fitted_model.book
    with warnings.catch_warnings():
        warnings.simplefilter("error", DiagnosticsWarning)
        d = lenient.check_diagnostics()
    assert d.ok and np.isfinite(d.max_rhat) and d.max_rhat < 10.0
    assert d.divergences == int(fitted_model.idata.sample_stats["diverging"].sum())
    assert "max R-hat" in str(d)


def test_summary_ppc_and_loo(fitted_model, model_book):
    s = fitted_model.summary()
    assert "a_stage[onboarding]" in s.index and "r_hat" in s.columns
    ppc = fitted_model.ppc(draws=40)
    assert set(ppc["check"]) == {"zero_share", "total"}
    assert set(ppc["by"]) == {"all", "stage", "territory"}
    terr = ppc[(ppc["check"] == "total") & (ppc["by"] == "territory")]
    assert list(terr["group"]) == list(model_book.territory_ids)
    assert ((ppc["p_value"] >= 0) & (ppc["p_value"] <= 1)).all()
    res = fitted_model.loo()
    assert np.isfinite(res.elpd_loo) and res.loo_i.shape == (len(model_book.partner_ids),)


def test_to_world_fills_every_field(fitted_model, model_book):
    w = fitted_model.to_world(draws=7, seed=3)
    assert isinstance(w, World) and w.n_draws == 7
    w.validate()
    states = model_book.states()
    last = states[:, -1]
    present = (last >= 0) & (last < len(model_book.stage_names))
    assert w.n_partners == int(present.sum())
    np.testing.assert_array_equal(w.partner_state, last[present])
    assert w.origin_period == model_book.periods[-1] + 1
    assert w.origin_step == len(model_book.periods)
    assert w.trailing_sales.shape == (len(model_book.territory_ids), 4)
    assert np.all(w.trailing_sales > 0)
    assert w.last_quota.shape == (len(model_book.territory_ids),) and np.all(w.last_quota > 0)
    np.testing.assert_array_equal(
        w.target_partners, model_book.territories["target_partners"].to_numpy(float)
    )
    eta = fitted_model.idata.posterior["eta"].values[..., -1].reshape(-1, w.n_territories)
    assert np.isin(w.eta_last[:, 0], eta[:, 0]).all()
    # every draw option
    assert fitted_model.to_world().n_draws == 200
    assert fitted_model.to_world(draws=[0, 5, 5]).n_draws == 3
    assert fitted_model.to_world(1, include_exited=True).n_partners == len(model_book.partner_ids)
    # the one draw selection (channelsim.world.draw_indices): evenly spaced, cycled past 200
    assert fitted_model.to_world(draws=3).n_draws == 3
    with pytest.raises(ValueError, match="draws"):
        fitted_model.to_world(draws=0)


def test_to_world_runs_the_generative_process(fitted_model):
    from channelsim.world import generate

    w = fitted_model.to_world(draws=4, seed=1)
    run = generate(w, 6, seed=2, n_paths=4)
    assert run.sales.shape[0] == 4 and np.isfinite(run.sales).all()
    assert run.calendar.m[0] == w.origin_step


def test_unseen_territories_and_partners_get_population_draws(fitted_model):
    post = fitted_model.idata.posterior
    w = fitted_model.to_world(
        draws=200,
        seed=5,
        extra_territories={"NEW1": 20, "NEW2": 8},
        extra_partners={
            "partner": ["X1", "X2"],
            "territory": ["NEW1", "T01"],
            "stage": ["onboarding", "active"],
        },
    )
    w.validate()
    T0 = post.sizes["territory"]
    assert w.territory_ids[-2:] == ("NEW1", "NEW2") and w.n_territories == T0 + 2
    assert w.partner_ids[-2:] == ("X1", "X2")
    assert w.partner_territory[-2] == T0 and w.partner_state[-1] == 2
    # new territory effects are spread like the population: sd close to the posterior sd_*
    sd_a = post["sd_a_terr"].values.ravel()
    z = w.a_terr[:, T0] / sd_a
    assert 0.7 < z.std() < 1.3
    kz = w.kappa[:, -1] / post["sd_kappa"].values.ravel()
    assert 0.7 < kz.std() < 1.3
    np.testing.assert_allclose(w.target_partners[-2:], [20, 8])
    assert np.all(w.trailing_sales[T0:] > 0)
    assert np.all(w.recruit_rate[:, T0:] > 0)
    with pytest.raises(ValueError, match="already in the book"):
        fitted_model.to_world(1, extra_territories=["T01"])
    with pytest.raises(ValueError, match="unknown territory"):
        fitted_model.to_world(1, extra_partners={"partner": ["Y"], "territory": ["NOPE"]})


def test_save_load_round_trip(fitted_model, model_file, model_book):
    m = ChannelModel.load(model_file)
    assert m.is_fitted and m.book == model_book
    assert m.config == fitted_model.config
    for name in ("a_stage", "kappa", "trans", "eta", "commit_sd"):
        np.testing.assert_array_equal(
            m.idata.posterior[name].values, fitted_model.idata.posterior[name].values
        )
    a = m.to_world(draws=5, seed=9)
    b = fitted_model.to_world(draws=5, seed=9)
    np.testing.assert_array_equal(a.kappa, b.kappa)
    np.testing.assert_array_equal(a.trailing_sales, b.trailing_sales)
    assert m.fit_info["sampler"] == "pymc"
    # loading with the same config is fine, with another config it is refused
    ChannelModel.load(model_file, config=fitted_model.config)
    with pytest.raises(ModelFileError, match=r"different model config.*draws"):
        ChannelModel.load(model_file, config=ModelConfig(draws=999))


def test_load_refuses_other_files_and_versions(model_file, tmp_path):
    import shutil

    import h5py

    bad = tmp_path / "not_a_model.nc"
    bad.write_text("hello")
    with pytest.raises(ModelFileError, match="not a NetCDF"):
        ChannelModel.load(bad)
    with pytest.raises(ModelFileError, match="no such"):
        ChannelModel.load(tmp_path / "missing.nc")
    old = tmp_path / "old.nc"
    shutil.copy(model_file, old)
    with h5py.File(old, "a") as f:
        f.attrs["channelsim_version"] = "9.0.0"
    with pytest.raises(ModelFileError, match="incompatible"):
        ChannelModel.load(old)
    tampered = tmp_path / "tampered.nc"
    shutil.copy(model_file, tampered)
    with h5py.File(tampered, "a") as f:
        f.attrs["config"] = f.attrs["config"].replace('"draws": 100', '"draws": 101')
    with pytest.raises(ModelFileError, match="config hash"):
        ChannelModel.load(tampered)


def test_save_is_atomic_and_creates_folders(fitted_model, tmp_path):
    out = tmp_path / "a" / "b" / "model.nc"
    fitted_model.save(out)
    assert out.is_file()
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
