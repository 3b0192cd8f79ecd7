"""``channelsim forecast | backtest | quota``: files, provenance, resume and exit codes.

The fitted model is replaced by a stub (``to_world`` of a known world) so these tests check
the command line, not the fit; ``test_forecast_cli_with_fitted_model`` uses the model
engineer's session-fitted model file when it exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelsim.cli import main
from channelsim.forecast import file_hash, read_provenance
from tests._fixtures_forecast import StubModel


@pytest.fixture
def model_file(tmp_path, fc_world, monkeypatch):
    """A dummy model file; loading it gives a stub model over ``fc_world``."""
    path = tmp_path / "model.nc"
    path.write_bytes(b"not really a model")
    stub = StubModel(fc_world)

    def load(p):
        from channelsim.cli._common import BadInput

        if str(p) != str(path):
            raise BadInput(f"{p}: model file not found")
        return stub

    monkeypatch.setattr("channelsim.cli._common.load_model_file", load)
    return path


def test_forecast_cli_writes_table_with_provenance(model_file, tmp_path):
    out = tmp_path / "new" / "forecast.parquet"
    code = main(
        [
            "forecast", str(model_file), "--horizon", "2", "--unit", "quarter",
            "--quantiles", "0.1,0.5,0.9", "--seed", "7", "--draws", "3", "--quiet",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    df = pd.read_parquet(out)
    assert list(df.columns) == ["level", "id", "period", "mean", "q10", "q50", "q90"]
    assert df.period.unique().tolist() == ["2024Q1", "2024Q2"]
    meta = read_provenance(out)
    assert meta["seed"] == 7 and meta["model_hash"] == file_hash(model_file)
    assert meta["channelsim_version"] and meta["draws"] == 3


def test_forecast_cli_levels(model_file, tmp_path):
    out = tmp_path / "f.csv"
    args = ["forecast", str(model_file), "--horizon", "2", "--levels", "total,territory"]
    assert main([*args, "--quiet", "--out", str(out)]) == 0
    assert pd.read_csv(out).level.unique().tolist() == ["total", "territory"]


@pytest.mark.parametrize("suffix", [".csv", ".nc"])
def test_forecast_cli_other_formats(model_file, tmp_path, suffix):
    out = tmp_path / f"f{suffix}"
    args = ["forecast", str(model_file), "--horizon", "3", "--recruits", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    assert read_provenance(out)["recruits"] in (True, 1)
    if suffix == ".csv":
        assert (tmp_path / "f.csv.json").exists()
        assert pd.read_csv(out).id.str.endswith("/new").any()


@pytest.mark.parametrize(
    "extra",
    [
        ["--quantiles", "0.1,2"],
        ["--horizon", "0"],
        ["--out", "x.xlsx"],
        ["--seed", "-1"],
        ["--draws", "0"],
        ["--levels", "territory,region"],
    ],
)
def test_forecast_cli_bad_input_exits_2(model_file, tmp_path, extra, capsys):
    args = ["forecast", str(model_file), "--horizon", "2", "--out", str(tmp_path / "f.csv")]
    # later flags win in argparse
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_forecast_cli_missing_model_exits_2(tmp_path, capsys):
    code = main(["forecast", str(tmp_path / "nope.nc"), "--horizon", "2", "--out", "f.csv"])
    assert code == 2
    assert "not found" in capsys.readouterr().err


def test_quota_cli(model_file, tmp_path):
    out = tmp_path / "q" / "quotas.csv"
    att = tmp_path / "q" / "attainment.parquet"
    args = ["quota", str(model_file), "--year", "2024", "--probability", "0.6", "--seed", "3"]
    assert (
        main([*args, "--draws", "200", "--attainment", str(att), "--out", str(out), "--quiet"]) == 0
    )
    t = pd.read_csv(out)
    assert t.territory.tolist()[-1] == "total"
    np.testing.assert_allclose(t.p_reach.iloc[:-1], 0.6, atol=1 / 200 + 1e-9)
    assert read_provenance(out)["probability"] == 0.6
    assert set(pd.read_parquet(att).columns) >= {"draw", "territory", "attainment"}
    base = ["quota", str(model_file), "--out", str(out)]
    assert main([*base, "--year", "2023"]) == 2  # the fiscal year has begun
    assert main([*base, "--year", "2024", "--probability", "1.5"]) == 2


def test_backtest_cli_bad_input(truth_case, tmp_path):
    """Bad input exits 2 before any fit (the real refits and resume run in the ci tier:
    tests/test_ci_paths.py)."""
    _, _, book = truth_case
    files = book.to_csv_dir(tmp_path / "book")
    args = ["backtest", str(files[0]), "--territories", str(files[2]), "--horizon", "2"]
    out = tmp_path / "bt" / "backtest.csv"
    assert main([*args, "--windows", "9", "--out", str(out)]) == 2  # book too short
    assert main([*args, "--windows", "1", "--out", str(tmp_path / "bt.txt")]) == 2
    assert main([*args, "--windows", "1", "--draws", "1", "--out", str(out)]) == 2
    assert not out.exists()
