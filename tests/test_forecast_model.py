"""Forecasts from a fitted model: the CLI end to end and newer actuals (``--panel``).

Uses one small model fitted once per session (``fc_model_file``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelsim.cli import main
from channelsim.forecast import (
    ForecastError,
    file_hash,
    forecast,
    read_provenance,
    truncate_book,
    world_from_newer_actuals,
)
from tests._fixtures_forecast import newer_actuals


@pytest.fixture(scope="module")
def model(fc_model_file):
    from channelsim.model import ChannelModel

    return ChannelModel.load(fc_model_file)


def test_forecast_from_fitted_model(model):
    fc = forecast(model, 3, seed=1, draws=20)
    assert fc.n_draws == 20
    assert str(fc.periods[0]) == str(model.book.periods[-1] + 1)
    assert fc.meta["data_hash"] == model.book.data_hash()
    _, terr = fc.level_draws("territory")
    _, total = fc.level_draws("total")
    np.testing.assert_allclose(total[:, 0], terr.sum(axis=1), rtol=1e-12)
    assert np.isfinite(fc.to_frame()["mean"]).all()


def test_cli_forecast_and_quota_with_fitted_model(fc_model_file, model, tmp_path):
    out = tmp_path / "f.parquet"
    args = ["forecast", str(fc_model_file), "--horizon", "1", "--unit", "quarter"]
    assert main([*args, "--draws", "10", "--seed", "2", "--quiet", "--out", str(out)]) == 0
    meta = read_provenance(out)
    assert meta["model_hash"] == file_hash(fc_model_file) and meta["seed"] == 2
    assert pd.read_parquet(out).level.iloc[0] == "total"
    year = (model.book.periods[-1] + 1).year
    q = tmp_path / "quotas.csv"
    qargs = ["quota", str(fc_model_file), "--year", str(year), "--draws", "40", "--quiet"]
    assert main([*qargs, "--out", str(q)]) == 0
    assert pd.read_csv(q).territory.iloc[-1] == "total"
    bad = tmp_path / "bad.nc"
    bad.write_bytes(b"garbage")
    assert main(["forecast", str(bad), "--horizon", "1", "--out", str(out)]) == 2


def test_newer_actuals_move_the_origin(model):
    # the first seed from 4 whose newer actuals hold a recruited partner (checked below)
    seed = next(
        s
        for s in range(4, 64)
        if any(p.startswith("NEW-") for p in newer_actuals(model, 3, seed=s).partner_ids)
    )
    newer = newer_actuals(model, 3, seed=seed)
    w = world_from_newer_actuals(model, newer, draws=6, seed=1)
    assert w.n_draws == 6
    assert w.origin_period == newer.periods[-1] + 1
    assert w.origin_step == len(model.book.periods) + 3
    last = dict(zip(newer.partner_ids, newer.states()[:, -1], strict=True))
    ids = dict(zip(w.partner_ids, w.partner_state, strict=True))
    present = {pid: s for pid, s in last.items() if 0 <= s < w.exited}
    assert present and all(ids[pid] == s for pid, s in present.items())  # new ones too
    gone = [p for p in model.book.partner_ids if p not in last and p in ids]
    assert all(ids[p] == w.exited for p in gone)
    new = [i for i, p in enumerate(w.partner_ids) if p.startswith("NEW-")]
    assert new, "the newer actuals recruited no partner; pick another seed"
    assert np.all(np.isfinite(w.kappa[:, new]))  # population capabilities, one per draw
    fc = forecast(w, 2, seed=3)
    assert fc.periods[0] == newer.periods[-1] + 1


def test_cli_forecast_with_newer_actuals(fc_model_file, model, tmp_path):
    newer = newer_actuals(model, 2, seed=5)
    files = newer.to_csv_dir(tmp_path / "newer")
    out = tmp_path / "f.csv"
    args = ["forecast", str(fc_model_file), "--panel", str(files[0]), "--horizon", "2"]
    assert main([*args, "--draws", "5", "--quiet", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert df.period.iloc[0] == str(newer.periods[-1] + 1)
    assert read_provenance(out)["panel"] == str(files[0])


def test_newer_actuals_must_extend_the_book(model):
    short = truncate_book(model.book, len(model.book.periods) - 2)
    with pytest.raises(ForecastError, match="before the model's book"):
        world_from_newer_actuals(model, short)
