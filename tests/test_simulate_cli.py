"""``channelsim simulate``: exit codes, exact policy counts, atomic output in new folders."""

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from channelsim.cli import main


def test_simulate_policies_n_writes_exactly_n(tmp_path, warm_kernels, capsys):
    out = tmp_path / "new" / "folder" / "res.nc"
    rc = main(["simulate", "--policies", "5", "--paths", "3", "--steps", "3", "--seed", "2",
               "--quiet", "--out", str(out)])  # fmt: skip
    assert rc == 0
    ds = xr.load_dataset(out, engine="h5netcdf")
    assert list(ds["policy"].values) == [0, 1, 2, 3, 4]
    assert (
        ds["compensation"].values[0] == "revenue_heavy" and ds["hiring"].values[0] == "direct_rep"
    )
    assert ds.attrs["seed"] == 2
    assert not [p for p in out.parent.iterdir() if p.name != "res.nc"]  # no temporary left
    assert capsys.readouterr().err == ""  # --quiet


def test_simulate_presets_and_by_territory(tmp_path, warm_kernels, capsys):
    out = tmp_path / "two.nc"
    rc = main(["simulate", "--preset", "territory_pay", "--preset", "gonik", "--paths", "2",
               "--steps", "3", "--by-territory", "--out", str(out)])  # fmt: skip
    assert rc == 0
    ds = xr.load_dataset(out, engine="h5netcdf")
    assert list(ds["compensation"].values) == ["revenue_heavy", "territory_building", "gonik"]
    assert ds["revenue"].dims == ("policy", "path", "quarter", "territory")
    assert np.isfinite(ds["revenue"].values).all()
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "7"], "whole number of quarters"),
        (["--preset", "nope"], "unknown --preset 'nope'"),
        (["--policies", "0"], "--policies must be at least 1"),
    ],
)
def test_simulate_bad_input_exits_2(tmp_path, capsys, args, message):
    out = tmp_path / "x.nc"
    assert main(["simulate", *args, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_simulate_console_script_exit_codes(tmp_path):
    bad = subprocess.run(
        [sys.executable, "-m", "channelsim", "simulate", "--steps", "4", "--out",
         str(tmp_path / "x.nc")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "channelsim", "simulate", "--policies", "3", "--preset", "gonik",
         "--out", str(tmp_path / "x.nc")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert usage.returncode == 2  # argparse: --policies and --preset are exclusive
