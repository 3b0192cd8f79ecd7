"""The real simulator on a Dask LocalCluster: bit-identical to the in-process run."""

from __future__ import annotations

import pytest

from channelsim.scenario import dataset_differences, parse_scenario, run_scenario
from channelsim.scenario._dask import worker_warmups

SCENARIO = """\
[scenario]
name = "dask"

[run]
paths = 16
quarters = 2
seed = 11
chunk_size = 3

[levers]
kpi = ["revenue_only", "maturity_based", "forecast_accuracy"]
quota = ["ratchet", "forecast"]

[effects.ranges]
develop = [0.75, 2.25]

[robustness]
top = 2
"""


@pytest.fixture(scope="module")
def scenario():
    return parse_scenario(SCENARIO)


def test_dask_equals_in_process_bit_for_bit(scenario, dask_client, tmp_path):
    local = run_scenario(scenario, progress=False)
    on_dask = run_scenario(scenario, client=dask_client, out=tmp_path, progress=False)
    assert dataset_differences(local.dataset, on_dask.dataset) == []
    pd_equal = local.comparison.effect_sensitivity.equals(on_dask.comparison.effect_sensitivity)
    assert pd_equal
    # kernels were compiled (or loaded from the cache) once per worker, not once per chunk
    warm = worker_warmups(dask_client)
    assert len(warm) == 2
    assert all(w.get("channelsim-kernels") == 1 for w in warm.values())
    # resuming from the Dask run's checkpoints, in-process, gives the same Dataset again
    resumed = run_scenario(scenario, out=tmp_path, progress=False, on_chunk=lambda a, b: 1 / 0)
    assert dataset_differences(local.dataset, resumed.dataset) == []


def test_cli_on_a_running_scheduler(scenario, dask_client, tmp_path):
    import subprocess
    import sys

    import xarray as xr

    scen = tmp_path / "dask.toml"
    scen.write_text(SCENARIO)
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "channelsim", "compare", str(scen), "--out", str(out)]
    proc = subprocess.run([*cmd, "--scheduler", address, "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    local = run_scenario(scenario, progress=False)
    on_cluster = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    assert dataset_differences(local.dataset, on_cluster) == []
    bad = subprocess.run([*cmd, "--workers", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--workers must be at least 1" in bad.stderr
