"""Forecasts: coherence of every level, table schema, quantile names, periods, recruits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelsim._vocab import MATURITY_LEVELS
from channelsim.forecast import (
    DEFAULT_QUANTILES,
    ForecastError,
    dataset_to_frame,
    forecast,
    horizon_steps,
    maturity_at_origin,
    parse_quantiles,
    quantile_name,
    select_draws,
    simulate_paths,
)
from channelsim.world import generate
from tests._fixtures_forecast import StubModel


@pytest.fixture(scope="module")
def fc(fc_world):
    return forecast(fc_world, 6, seed=3, draws=40, recruits=True)


def test_quantile_names():
    assert [quantile_name(q) for q in (0.1, 0.5, 0.9)] == ["q10", "q50", "q90"]
    assert quantile_name(0.025) == "q2_5"
    assert quantile_name(0.975) == "q97_5"
    assert quantile_name(0.05) == "q5"
    assert quantile_name(0.999) == "q99_9"
    assert parse_quantiles("0.9,0.1, 0.5") == (0.1, 0.5, 0.9)
    assert DEFAULT_QUANTILES == (0.1, 0.5, 0.9)
    with pytest.raises(ForecastError, match="between 0 and 1"):
        parse_quantiles("0.1,1.5,abc")
    with pytest.raises(ForecastError):
        parse_quantiles([])


def test_coherent_for_every_draw(fc):
    _, partner = fc.level_draws("partner")
    tids, terr = fc.level_draws("territory")
    _, total = fc.level_draws("total")
    mids, mat = fc.level_draws("maturity")
    T = len(tids)
    # partners (recruit rows <territory>/new last) sum to their territory, draw by draw
    P = len(fc.partner_ids)
    for t in range(T):
        own = partner[:, :P][:, fc.partner_territory == t].sum(axis=1) + partner[:, P + t]
        np.testing.assert_allclose(terr[:, t], own, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(total[:, 0], terr.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(mat.sum(axis=1), total[:, 0], rtol=1e-12)
    for k, name in enumerate(mids):
        code = MATURITY_LEVELS.index(name)
        np.testing.assert_allclose(mat[:, k], terr[:, fc.maturity == code].sum(axis=1), rtol=1e-12)
    # quarters are sums of steps, at every level
    _, tq = fc.level_draws("territory", "quarter")
    np.testing.assert_allclose(tq.sum(axis=-1), terr.sum(axis=-1), rtol=1e-12)
    _, pq = fc.level_draws("partner", "quarter")
    np.testing.assert_allclose(pq.sum(axis=1), tq.sum(axis=1), rtol=1e-12)


@pytest.mark.parametrize("recruit", [False, True])
def test_partner_draws_are_the_generative_process(fc_world, recruit):
    # the simulator's partner mode (or, while it is missing, generate() itself) gives the
    # numbers of the numpy specification on the same seed and draws
    paths = simulate_paths(fc_world, 4, seed=9, draws=4, recruit=recruit)
    run = generate(fc_world, 4, seed=9, n_paths=4, draws=np.arange(4), recruit=recruit)
    P = fc_world.n_partners
    np.testing.assert_allclose(paths.sales, run.sales[:, :P], rtol=1e-9, atol=0)
    if recruit:
        new = run.territory_sales() - np.stack(
            [run.sales[:, :P][:, fc_world.partner_territory == t].sum(1) for t in range(3)], 1
        )
        np.testing.assert_allclose(paths.new_sales, new, rtol=1e-9, atol=1e-6)
    assert paths.sales.shape == (4, P, 4)
    assert paths.draw.tolist() == [0, 1, 2, 3]


def test_table_schema_and_order(fc):
    df = fc.to_frame()
    assert list(df.columns) == ["level", "id", "period", "mean", "q10", "q50", "q90"]
    assert list(dict.fromkeys(df["level"])) == ["total", "maturity", "territory", "partner"]
    assert df.loc[df.level == "total", "id"].unique().tolist() == ["total"]
    assert df["period"].iloc[:6].tolist() == [f"2024-{m:02d}" for m in range(1, 7)]
    new = df[df.id.str.endswith("/new")]
    assert sorted(new.id.unique()) == [f"{t}/new" for t in fc.territory_ids]
    assert (new.level == "partner").all()
    # quantiles ordered, mean finite and non-negative
    assert (df.q10 <= df.q50).all() and (df.q50 <= df.q90).all()
    assert np.isfinite(df["mean"]).all() and (df["mean"] >= 0).all()
    # table mean of the total equals the mean of the summed draws
    _, total = fc.level_draws("total")
    np.testing.assert_allclose(df.loc[df.level == "total", "mean"], total[:, 0].mean(0))


def test_custom_quantiles_and_quarters(fc):
    df = fc.to_frame(unit="quarter", quantiles=[0.025, 0.5, 0.975])
    assert list(df.columns)[-3:] == ["q2_5", "q50", "q97_5"]
    assert df.period.unique().tolist() == ["2024Q1", "2024Q2"]
    ds = fc.to_dataset(unit="quarter")
    assert ds["n_steps"].values.tolist() == [3, 3]
    pd.testing.assert_frame_equal(dataset_to_frame(ds), fc.to_frame(unit="quarter"))


def test_recruits_off_by_default(fc_world):
    fc = forecast(fc_world, 3, seed=3, draws=8)
    assert fc.new_sales is None
    assert not fc.to_frame().id.str.endswith("/new").any()


def test_same_seed_same_forecast_and_seed_matters(fc_world):
    a = forecast(fc_world, 3, seed=5, draws=8).to_frame()
    b = forecast(fc_world, 3, seed=5, draws=8).to_frame()
    c = forecast(fc_world, 3, seed=6, draws=8).to_frame()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["mean"], c["mean"])


def test_exited_partners_left_out(fc_world):
    fc = forecast(fc_world, 2, seed=1, draws=4)
    exited = np.flatnonzero(fc_world.partner_state == fc_world.exited)
    assert len(fc.partner_ids) == fc_world.n_partners - len(exited)
    assert not set(fc_world.partner_ids[i] for i in exited) & set(fc.partner_ids)
    assert set(fc.partner_stage) <= set(fc_world.stage_names)


def test_horizon_in_quarters_and_partial_quarter(fc_world):
    assert horizon_steps(fc_world, 2, "quarter") == 6
    from dataclasses import replace

    mid = replace(fc_world, origin_period=pd.Period("2024-02", "M"))
    assert horizon_steps(mid, 2, "quarter") == 5  # Feb-Mar, then Apr-Jun
    fc = forecast(mid, 2, unit="quarter", seed=1, draws=4)
    ds = fc.to_dataset()
    assert ds["period"].values.tolist() == ["2024Q1", "2024Q2"]
    assert ds["n_steps"].values.tolist() == [2, 3]
    for bad in (0, -1, 1.5):
        with pytest.raises(ForecastError):
            horizon_steps(fc_world, bad, "step")
    with pytest.raises(ForecastError):
        horizon_steps(fc_world, 2, "month")


def test_fiscal_quarters_labelled_by_pandas(fc_world):
    from dataclasses import replace

    w = replace(fc_world, fiscal_year_start_month=2)  # Q-JAN: Feb-Apr 2024 is 2025Q1
    fc = forecast(w, 2, unit="quarter", seed=1, draws=4)
    assert fc.period_labels() == ["2024Q4", "2025Q1"]
    assert np.bincount(fc.step_quarter).tolist() == [1, 3]


def test_select_draws():
    assert select_draws(10, None).tolist() == list(range(10))
    assert select_draws(10, 3).tolist() == [0, 4, 9]
    assert select_draws(2, 5).tolist() == [0, 1, 0, 1, 0]
    assert select_draws(5, np.array([4, 1])).tolist() == [4, 1]
    with pytest.raises(ValueError, match="draws must be an integer >= 1"):
        select_draws(5, 0)
    with pytest.raises(ValueError, match=r"in \[0, 5\)"):
        select_draws(5, np.array([7]))


def test_one_stage_world_has_no_maturity(fc_world_one_stage):
    fc = forecast(fc_world_one_stage, 3, seed=2)
    assert maturity_at_origin(fc_world_one_stage) is None
    assert fc.levels == ("total", "territory", "partner")
    df = fc.to_frame()
    assert "maturity" not in set(df.level)
    with pytest.raises(ForecastError, match="one-stage"):
        fc.level_draws("maturity")


def test_from_a_model_like_source(fc_world):
    model = StubModel(fc_world)
    fc = forecast(model, 2, seed=1, draws=3)
    assert model.calls[-1]["draws"] == 3
    assert fc.n_draws == 3
    assert fc.meta["data_hash"] == "stub-data-hash"
    with pytest.raises(ForecastError, match="to_world"):
        forecast(object(), 2)


def test_provenance_in_meta_and_dataset(fc):
    for key in ("seed", "model_hash", "channelsim_version", "origin", "backend"):
        assert key in fc.meta
    ds = fc.to_dataset()
    assert ds.attrs["seed"] == 3 and ds.attrs["origin"] == "2024-01"
    assert ds.attrs["quantiles"] == [0.1, 0.5, 0.9]


def test_draws_array_is_labelled(fc):
    da = fc.draws_array("territory", "quarter")
    assert da.dims == ("draw", "id", "period")
    assert da.sizes["draw"] == 40
    assert list(da["id"].values) == list(fc.territory_ids)
