"""Chunked runs: in-process, on Dask, checkpointed and resumed, all bit-identical."""

from __future__ import annotations

import json

import pytest

from channelsim.scenario import (
    CheckpointError,
    ChunkStore,
    chunk_bounds,
    dataset_differences,
    merge_chunks,
    run_chunks,
)


@pytest.fixture(scope="module")
def chunk_fn(sweep):
    """The real chunk function of the session sweep (8 policies on the numba simulator)."""
    return sweep.prepared.chunk_fn()


@pytest.fixture(scope="module")
def reference(chunk_fn):
    return run_chunks(chunk_fn, chunk_fn.n_policies, chunk_size=chunk_fn.n_policies, progress=False)


def test_chunk_bounds_cover_everything_once():
    b = chunk_bounds(10, 4)
    assert b == [(0, 4), (4, 8), (8, 10)]
    with pytest.raises(ValueError):
        chunk_bounds(0, 3)


def test_chunking_does_not_change_the_result(chunk_fn, reference):
    for size in (1, 3, 5):
        out = run_chunks(chunk_fn, chunk_fn.n_policies, chunk_size=size, progress=False)
        assert dataset_differences(reference, out) == []
    # chunk-specific attributes are dropped, the rest kept
    assert "policy_offset" not in reference.attrs
    assert reference.attrs["world_hash"] == chunk_fn(0, 1).attrs["world_hash"]


def test_merge_refuses_gaps(chunk_fn):
    with pytest.raises(ValueError, match="exactly once"):
        merge_chunks([chunk_fn(0, 4), chunk_fn(5, 8)])


def test_dask_run_is_bit_identical(chunk_fn, reference, dask_client, tmp_path):
    store = ChunkStore(tmp_path / "chunks", "fp", chunk_fn.n_policies, 3)
    store.open()
    out = run_chunks(
        chunk_fn, chunk_fn.n_policies, chunk_size=3, client=dask_client, store=store, progress=False
    )
    assert dataset_differences(reference, out) == []
    assert len(store.done()) == len(chunk_bounds(chunk_fn.n_policies, 3))


def test_kill_then_resume_equals_uninterrupted(chunk_fn, reference, tmp_path):
    class Killed(RuntimeError):
        pass

    calls = []

    def kill_after_three(a, b):
        calls.append((a, b))
        if len(calls) == 2:
            raise Killed

    store = ChunkStore(tmp_path / "chunks", "fp", chunk_fn.n_policies, 2)
    store.open()
    with pytest.raises(Killed):
        run_chunks(
            chunk_fn,
            chunk_fn.n_policies,
            chunk_size=2,
            store=store,
            progress=False,
            on_chunk=kill_after_three,
        )
    assert len(store.done()) == 2
    # a stray temporary file from a killed writer is ignored
    (tmp_path / "chunks" / ".policies_x.nc.123.tmp").write_bytes(b"partial")

    recomputed = []
    store2 = ChunkStore(tmp_path / "chunks", "fp", chunk_fn.n_policies, 2)
    store2.open()
    out = run_chunks(
        chunk_fn,
        chunk_fn.n_policies,
        chunk_size=2,
        store=store2,
        progress=False,
        on_chunk=lambda a, b: recomputed.append((a, b)),
    )
    assert dataset_differences(reference, out) == []
    assert len(recomputed) == len(chunk_bounds(chunk_fn.n_policies, 2)) - 2


def test_checkpoints_of_another_run_are_refused(tmp_path):
    store = ChunkStore(tmp_path, "run-a", 10, 5)
    store.open()
    assert json.loads(store.manifest_path.read_text())["fingerprint"] == "run-a"
    with pytest.raises(CheckpointError, match="different run"):
        ChunkStore(tmp_path, "run-b", 10, 5).open()
    ChunkStore(tmp_path, "run-b", 10, 5).open(restart=True)  # --restart wipes them
    assert json.loads(store.manifest_path.read_text())["fingerprint"] == "run-b"
