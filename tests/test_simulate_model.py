"""``channelsim simulate --model``: the fitted model's posterior drives the paths, exactly as
``channelsim compare --model`` does on the same seed and settings."""

from __future__ import annotations

import numpy as np
import xarray as xr

from channelsim.cli import main

SCENARIO = """
[scenario]
name = "pay"
[run]
paths = 4
quarters = 1
seed = 5
[levers]
compensation = ["revenue_heavy", "territory_building"]
"""


def test_simulate_model_equals_compare_model(model_file, tmp_path, capsys):
    common = ["--model", str(model_file), "--model-draws", "3", "--seed", "5", "--quiet"]
    sim = tmp_path / "sim.nc"
    rc = main(["simulate", "--preset", "territory_pay", "--paths", "4", "--steps", "3",
               *common, "--out", str(sim)])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    scen = tmp_path / "pay.toml"
    scen.write_text(SCENARIO)
    rc = main(["compare", str(scen), "--paths", "4", "--quarters", "1", *common,
               "--out", str(tmp_path / "cmp")])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    a = xr.load_dataset(sim, engine="h5netcdf")
    b = xr.load_dataset(tmp_path / "cmp" / "results.nc", engine="h5netcdf")
    names = [str(v) for v in b["compensation"].values]
    assert str(a["compensation"].values[1]) == "territory_building"
    pairs = [(0, 0), (1, names.index("territory_building"))]
    shared = sorted(set(a.data_vars) & set(b.data_vars))
    assert {"revenue", "attainment", "commit_ape"} <= set(shared)
    for va in shared:
        for pa, pb in pairs:
            x, y = a[va].isel(policy=pa).values, b[va].isel(policy=pb).values
            np.testing.assert_array_equal(x, y, err_msg=f"{va}, policy {pa}")
    # and the posterior really drives them: the default world gives other numbers
    default = tmp_path / "default.nc"
    rc = main(["simulate", "--preset", "territory_pay", "--paths", "4", "--steps", "3",
               "--seed", "5", "--quiet", "--out", str(default)])  # fmt: skip
    assert rc == 0
    c = xr.load_dataset(default, engine="h5netcdf")
    assert not np.allclose(a["revenue"].values, c["revenue"].values)


def test_simulate_missing_model_exits_2(tmp_path, capsys):
    rc = main(["simulate", "--model", str(tmp_path / "none.nc"), "--model-draws", "0",
               "--out", str(tmp_path / "x.nc")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "model file not found" in err and "--model-draws must be at least 1" in err
