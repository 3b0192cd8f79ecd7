"""Zarr results stores: appended chunk by chunk, the store is the checkpoint, opened lazily."""

from __future__ import annotations

import json

import dask.array as da
import pytest
import xarray as xr

from channelsim.cli import main
from channelsim.scenario import (
    CheckpointError,
    ZarrStore,
    open_results,
    parse_scenario,
    run_chunks,
    run_scenario,
)
from channelsim.scenario._zarr import CHECKPOINT_ATTR


class Killed(RuntimeError):
    pass


def _kill_after(k: int):
    seen = []

    def on_chunk(a, b):
        seen.append((a, b))
        if len(seen) == k:
            raise Killed(f"killed after {k} chunks")

    return on_chunk


#: Policies per chunk: the session sweep's 8 policies make chunks (0, 3), (3, 6), (6, 8).
CH = 3


@pytest.fixture(scope="module")
def fn(sweep):
    """The real chunk function of the session sweep (8 policies on the numba simulator)."""
    return sweep.prepared.chunk_fn()


@pytest.fixture(scope="module")
def reference(fn):
    return run_chunks(fn, fn.n_policies, chunk_size=CH, progress=False)


def _run(fn, path, **kw):
    store = ZarrStore(path, "fp-1", fn.n_policies, CH)
    store.open(restart=kw.pop("restart", False))
    return run_chunks(fn, fn.n_policies, chunk_size=CH, store=store, progress=False, **kw)


def test_zarr_result_is_lazy_and_equals_the_in_memory_run(fn, reference, tmp_path):
    ds = _run(fn, tmp_path / "a.zarr")
    assert isinstance(ds["attainment"].data, da.Array)
    assert ds["attainment"].data.chunks[0] == (3, 3, 2)
    xr.testing.assert_identical(ds.load(), reference)
    assert ds["hiring"].dtype == reference["hiring"].dtype  # fixed-width labels, like a merge


def test_killed_run_resumes_to_identical_results(fn, tmp_path):
    whole = _run(fn, tmp_path / "whole.zarr").load()
    path = tmp_path / "killed.zarr"
    with pytest.raises(Killed):
        _run(fn, path, on_chunk=_kill_after(2))
    rec = json.loads(json.loads((path / "zarr.json").read_text())["attributes"][CHECKPOINT_ATTR])
    assert rec["done"] == 6
    computed = []
    resumed = _run(fn, path, on_chunk=lambda a, b: computed.append((a, b)))
    assert computed == [(6, 8)]  # the stored chunks were not rerun
    xr.testing.assert_identical(resumed.load(), whole)


def test_a_half_appended_chunk_is_cut_off_on_resume(fn, tmp_path):
    whole = _run(fn, tmp_path / "whole.zarr").load()
    path = tmp_path / "half.zarr"
    with pytest.raises(Killed):
        _run(fn, path, on_chunk=_kill_after(2))
    # a kill during the third append: its data reached the store, its record did not
    store = ZarrStore(path, "fp-1", fn.n_policies, CH)
    store.open()
    store._append(fn(6, 8), 6)
    assert xr.open_zarr(path, consolidated=False).sizes["policy"] == 8
    store = ZarrStore(path, "fp-1", fn.n_policies, CH)
    store.open()
    assert store.done() == [(0, 3), (3, 6)]
    assert xr.open_zarr(path, consolidated=False).sizes["policy"] == 6
    resumed = run_chunks(fn, fn.n_policies, chunk_size=CH, store=store, progress=False)
    xr.testing.assert_identical(resumed.load(), whole)


def test_another_run_or_folder_is_refused(fn, tmp_path):
    path = tmp_path / "a.zarr"
    _run(fn, path)
    with pytest.raises(CheckpointError, match="different run"):
        ZarrStore(path, "fp-2", fn.n_policies, CH).open()
    with pytest.raises(CheckpointError, match="different run"):
        ZarrStore(path, "fp-1", fn.n_policies, CH + 1).open()
    other = tmp_path / "notes.zarr"
    other.mkdir()
    (other / "readme.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="not a channelsim results store"):
        ZarrStore(other, "fp-1", fn.n_policies, CH).open()
    store = ZarrStore(path, "fp-2", fn.n_policies, CH)
    store.open(restart=True)
    assert store.done() == []


def test_dask_chunks_finishing_out_of_order_are_appended_in_order(
    fn, reference, tmp_path, dask_client
):
    store = ZarrStore(tmp_path / "d.zarr", "fp-1", fn.n_policies, 2)
    store.open()
    ds = run_chunks(
        fn, fn.n_policies, chunk_size=2, store=store, client=dask_client, progress=False
    )
    xr.testing.assert_identical(ds.load(), reference)


SMALL = """\
[scenario]
name = "small_zarr"

[run]
paths = 6
quarters = 1
seed = 5
chunk_size = 2

[levers]
hiring = ["direct_rep", "channel_manager"]
compensation = ["revenue_heavy", "territory_building", "gonik"]
"""


def test_scenario_killed_and_resumed_into_zarr(tmp_path):
    sc = parse_scenario(SMALL)
    whole = run_scenario(sc, results=tmp_path / "whole.zarr", progress=False)
    with pytest.raises(Killed):
        run_scenario(sc, results=tmp_path / "k.zarr", progress=False, on_chunk=_kill_after(1))
    resumed = run_scenario(sc, results=tmp_path / "k.zarr", progress=False)
    xr.testing.assert_identical(resumed.dataset.load(), whole.dataset.load())
    xr.testing.assert_identical(
        open_results(tmp_path / "k.zarr").load(), open_results(tmp_path / "whole.zarr").load()
    )
    assert open_results(tmp_path / "k.zarr").attrs["scenario"] == "small_zarr"
    in_memory = run_scenario(sc, progress=False)
    xr.testing.assert_identical(resumed.dataset.load(), in_memory.dataset)
    assert resumed.comparison.table.equals(in_memory.comparison.table)


def test_compare_and_simulate_cli_write_zarr(tmp_path):
    toml = tmp_path / "small.toml"
    toml.write_text(SMALL)
    assert main(["compare", str(toml), "--out", str(tmp_path / "sweep.zarr"), "--quiet"]) == 0
    assert (tmp_path / "sweep" / "report.html").exists()
    assert not (tmp_path / "sweep" / "results.nc").exists()
    ds = open_results(tmp_path / "sweep.zarr")
    assert ds.sizes["policy"] == 6 and isinstance(ds["revenue"].data, da.Array)

    args = ["simulate", "--policies", "5", "--paths", "3", "--steps", "3", "--seed", "2"]
    assert main([*args, "--out", str(tmp_path / "s.nc"), "--quiet"]) == 0
    assert main([*args, "--out", str(tmp_path / "s.zarr"), "--chunk-size", "2", "--quiet"]) == 0
    xr.testing.assert_identical(
        open_results(tmp_path / "s.zarr").load(), xr.load_dataset(tmp_path / "s.nc")
    )
    assert main([*args, "--out", str(tmp_path / "t.zarr"), "--chunk-size", "0"]) == 2
