"""Scenarios run end to end on the real simulator (small settings)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from channelsim.scenario import (
    ScenarioError,
    dataset_differences,
    parse_scenario,
    prepare,
    run_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))

SMALL = """\
[scenario]
name = "small"
title = "Small test scenario"
question = "Does it run?"

[run]
paths = 12
quarters = 2
seed = 5
chunk_size = 4

[levers]
hiring = ["direct_rep", "channel_manager"]
compensation = ["revenue_heavy", "territory_building"]

[sample]
n = 2
[sample.ranges]
"compensation.variable_share" = [0.3, 0.7]

[effects]
co_sell = 0.3

[effects.ranges]
enable = [1.0, 3.0]

[robustness]
top = 2
"""


@pytest.fixture(scope="module")
def small_scenario():
    return parse_scenario(SMALL)


@pytest.fixture(scope="module")
def small_result(small_scenario):
    return run_scenario(small_scenario, progress=False)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_run_small(path):
    res = run_scenario(path, paths=4, quarters=1, sample_n=1, progress=False)
    ds, comp = res.dataset, res.comparison
    assert ds.sizes["path"] == 4 and ds.sizes["quarter"] == 1
    assert int(ds.policy[0]) == 0 and ds.sizes["policy"] == res.prepared.n_policies
    assert comp.n_policies == ds.sizes["policy"]
    assert np.isfinite(comp.table["score"]).all()
    sc = res.prepared.scenario
    if sc.effects.ranges and sc.robustness.enabled and comp.n_policies >= 3:
        assert len(comp.effect_sensitivity) == 2 * len(sc.effects.ranges)
    else:
        assert comp.effect_sensitivity is None


def test_small_run_labels_and_parameters(small_result):
    ds = small_result.dataset
    # 2 x 2 preset combinations x 2 sample points, plus the status quo
    assert ds.sizes["policy"] == 1 + 4 * 2
    assert set(ds["hiring"].values) == {"direct_rep", "channel_manager"}
    assert "compensation.variable_share" in ds.coords
    assert ds["compensation.variable_share"].dtype == np.float64
    assert ds.attrs["scenario"] == "small" and ds.attrs["seed"] == 5
    comp = small_result.comparison
    assert (
        comp.effects.loc["co_sell", "value"] == 0.3
        and comp.effects.loc["co_sell", "set_in_scenario"]
    )
    assert comp.effects.loc["enable", "range"] == "1 to 3"
    assert "compensation.variable_share" in comp.sensitivity["attainment"].index


def test_status_quo_difference_is_zero_and_neutral_effects(small_scenario):
    from channelsim.policy import BETA_FIELDS

    prep = prepare(small_scenario, paths=6, quarters=1)
    prep.effects = prep.effects.replace(**{k: 0.0 for k in BETA_FIELDS})
    res = run_scenario(prep, progress=False)
    d = res.comparison.differences
    # with every offset at zero no policy moves revenue or commits (DESIGN.md section 4)
    assert {"revenue", "commit_ape"} <= set(d.index.get_level_values("objective"))
    for obj in ("revenue", "commit_ape"):
        assert np.allclose(d.xs(obj, level="objective")["diff"], 0.0, atol=1e-6)
    assert (d.xs("attainment", level="objective").loc[0, ["diff", "se"]] == 0).all()


def test_resume_after_a_kill_ends_identical(small_scenario, small_result, tmp_path):
    class Killed(RuntimeError):
        pass

    n = []

    def kill(a, b):
        n.append(a)
        if len(n) == 2:
            raise Killed

    with pytest.raises(Killed):
        run_scenario(small_scenario, out=tmp_path, progress=False, on_chunk=kill)
    assert len(list((tmp_path / "chunks").glob("policies_*.nc"))) == 2
    again = []
    res = run_scenario(
        small_scenario, out=tmp_path, progress=False, on_chunk=lambda a, b: again.append(a)
    )
    assert again == [8]  # only the chunk that never finished is recomputed (chunks of 4)
    assert dataset_differences(small_result.dataset, res.dataset) == []
    # a different run in the same folder is refused, with a clear message
    other = small_scenario.model_copy(
        update={"run": small_scenario.run.model_copy(update={"seed": 6})}
    )
    with pytest.raises(Exception, match="different run") as err:
        run_scenario(other, out=tmp_path, progress=False)
    assert getattr(err.value, "is_bad_input", False)


def test_missing_model_file_is_bad_input(tmp_path):
    s = parse_scenario('[scenario]\nname = "m"\n[world]\nsource = "model"\nmodel = "nope.nc"\n')
    with pytest.raises(ScenarioError, match="not found"):
        prepare(s)


def test_cli_compare_writes_report_csv_and_results(tmp_path):
    scen = tmp_path / "small.toml"
    scen.write_text(SMALL)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "channelsim", "compare", str(scen), "--out", str(out), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("report.html", "summary.csv", "results.nc"):
        assert (out / name).exists(), name
        assert str(out / name) in proc.stdout
    ds = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    assert ds.sizes["policy"] == 9 and "attainment" in ds
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "policy"] == 0 and len(summary) == 9
    # rerun with the same --out resumes from the checkpoints and writes identical results
    proc2 = subprocess.run([*cmd, "--seed", "5"], capture_output=True, text=True)
    assert proc2.returncode == 0, proc2.stderr
    ds2 = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    assert dataset_differences(ds, ds2) == []
    # a different seed is a different run: refused with exit 2 unless --restart
    proc3 = subprocess.run([*cmd, "--seed", "9"], capture_output=True, text=True)
    assert proc3.returncode == 2 and "Traceback" not in proc3.stderr
    assert "--restart" in proc3.stderr


def test_default_world_never_imports_pymc(tmp_path):
    code = (
        "import sys\n"
        "from channelsim.scenario import parse_scenario, run_scenario\n"
        "import channelsim.report\n"
        's = parse_scenario(\'[scenario]\\nname = "x"\\n[levers]\\nquota = ["ratchet", "forecast"]\\n\')\n'
        "run_scenario(s, paths=3, quarters=1, progress=False)\n"
        "assert 'pymc' not in sys.modules and 'channelsim.model' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_model_world_uses_the_posterior_draws(tmp_path, monkeypatch):
    """The model branch: the file is found next to the scenario and its draws drive the paths."""
    import types

    from channelsim.datasets import draw_world

    calls = {}

    class FakeModel:
        @classmethod
        def load(cls, path):
            calls["path"] = Path(path)
            return cls()

        def to_world(self, draws=None):
            calls["draws"] = draws
            return draw_world(3, 30, seed=4)

    monkeypatch.setitem(
        sys.modules, "channelsim.model", types.SimpleNamespace(ChannelModel=FakeModel)
    )
    (tmp_path / "fit.nc").write_bytes(b"")
    scen = tmp_path / "s.toml"
    scen.write_text(
        '[scenario]\nname = "m"\n[world]\nsource = "model"\nmodel = "fit.nc"\ndraws = 50\n'
        '[levers]\nhiring = ["direct_rep", "channel_manager"]\n'
    )
    res = run_scenario(scen, paths=4, quarters=1, progress=False)
    assert calls == {"path": tmp_path / "fit.nc", "draws": 50}
    assert res.prepared.world_label.startswith("posterior of fit.nc")
    assert res.dataset.sizes["policy"] == 2
