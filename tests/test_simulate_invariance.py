"""Same seed, same numbers: for any thread count, chunking of the policy list, block size or
parallel mode (DESIGN.md section 5: nothing is keyed by thread, chunk or policy)."""

import os
import subprocess
import sys

import numpy as np
import xarray as xr

from channelsim.policy import VARIABLES, PolicyGrid
from channelsim.simulate import simulate

_SCRIPT = """
import sys
from channelsim.datasets import draw_world
from channelsim.policy import PolicyGrid
from channelsim.simulate import simulate
w = draw_world(3, 30, "M", seed=11)
ds = simulate(w, PolicyGrid.sample(6, seed=5), n_paths=6, n_steps=9, seed=77, progress=False,
              block_size=1)
ds.to_netcdf(sys.argv[1], engine="h5netcdf")
"""


def _run(tmp_path, name, **env):
    out = tmp_path / f"{name}.nc"
    full = {**os.environ, **env}
    subprocess.run([sys.executable, "-c", _SCRIPT, str(out)], check=True, env=full)
    return xr.load_dataset(out, engine="h5netcdf")


def _identical(a, b):
    for name in VARIABLES:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_bit_identical_for_one_and_two_threads(tmp_path, warm_kernels):
    one = _run(tmp_path, "one", NUMBA_NUM_THREADS="1")
    two = _run(tmp_path, "two", NUMBA_NUM_THREADS="2")
    _identical(one, two)
    assert one.attrs["config_hash"] == two.attrs["config_hash"]


def test_bit_identical_whole_or_in_three_chunks(sim_world, warm_kernels):
    grid = PolicyGrid.sample(7, seed=5)
    kw = {"n_paths": 5, "n_steps": 9, "seed": 77, "progress": False, "by_territory": True}
    whole = simulate(sim_world, grid, **kw)
    parts = [
        simulate(sim_world, chunk, status_quo=grid.status_quo, policy_offset=off, **kw)
        for off, chunk in grid.chunks(3)
    ]
    assert len(parts) == 3
    merged = xr.concat(parts, dim="policy")
    _identical(whole, merged)
    for lever in ("hiring", "compensation", "quota"):
        assert list(merged[lever].values) == list(whole[lever].values)
    assert len({p.attrs["config_hash"] for p in parts}) == 1


def test_block_size_does_not_change_results(sim_world, warm_kernels):
    kw = {"n_paths": 7, "n_steps": 6, "seed": 3, "progress": False}
    _identical(
        simulate(sim_world, ["channel_programme"], block_size=1, **kw),
        simulate(sim_world, ["channel_programme"], block_size=7, **kw),
    )


def test_prange_mode_is_bit_identical(tmp_path):
    """numba's ``parallel=True`` wrapper (``prange`` over paths) gives the thread pool's numbers."""
    threads = _run(tmp_path, "threads", CHANNELSIM_PARALLEL="threads")
    prange = _run(tmp_path, "prange", CHANNELSIM_PARALLEL="prange")
    _identical(threads, prange)
