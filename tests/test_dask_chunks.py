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
from tests._fixtures_scenario import FakeChunks


@pytest.fixture(scope="module")
def fake_fn():
    return FakeChunks(n_paths=30, n_quarters=4)


@pytest.fixture(scope="module")
def reference(fake_fn):
    return run_chunks(fake_fn, fake_fn.n_policies, chunk_size=fake_fn.n_policies, progress=False)


def test_chunk_bounds_cover_everything_once():
    b = chunk_bounds(10, 4)
    assert b == [(0, 4), (4, 8), (8, 10)]
    with pytest.raises(ValueError):
        chunk_bounds(0, 3)


def test_chunking_does_not_change_the_result(fake_fn, reference):
    for size in (1, 7, 13):
        out = run_chunks(fake_fn, fake_fn.n_policies, chunk_size=size, progress=False)
        assert dataset_differences(reference, out) == []
    # chunk-specific attributes are dropped, the rest kept
    assert "policy_offset" not in reference.attrs
    assert reference.attrs["source"] == "fake"


def test_merge_refuses_gaps(fake_fn):
    with pytest.raises(ValueError, match="exactly once"):
        merge_chunks([fake_fn(0, 5), fake_fn(6, 8)])


def test_dask_run_is_bit_identical(fake_fn, reference, dask_client, tmp_path):
    store = ChunkStore(tmp_path / "chunks", "fp", fake_fn.n_policies, 5)
    store.open()
    out = run_chunks(
        fake_fn, fake_fn.n_policies, chunk_size=5, client=dask_client, store=store, progress=False
    )
    assert dataset_differences(reference, out) == []
    assert len(store.done()) == len(chunk_bounds(fake_fn.n_policies, 5))


def test_kill_then_resume_equals_uninterrupted(fake_fn, reference, tmp_path):
    class Killed(RuntimeError):
        pass

    calls = []

    def kill_after_three(a, b):
        calls.append((a, b))
        if len(calls) == 3:
            raise Killed

    store = ChunkStore(tmp_path / "chunks", "fp", fake_fn.n_policies, 7)
    store.open()
    with pytest.raises(Killed):
        run_chunks(
            fake_fn,
            fake_fn.n_policies,
            chunk_size=7,
            store=store,
            progress=False,
            on_chunk=kill_after_three,
        )
    assert len(store.done()) == 3
    # a stray temporary file from a killed writer is ignored
    (tmp_path / "chunks" / ".policies_x.nc.123.tmp").write_bytes(b"partial")

    recomputed = []
    store2 = ChunkStore(tmp_path / "chunks", "fp", fake_fn.n_policies, 7)
    store2.open()
    out = run_chunks(
        fake_fn,
        fake_fn.n_policies,
        chunk_size=7,
        store=store2,
        progress=False,
        on_chunk=lambda a, b: recomputed.append((a, b)),
    )
    assert dataset_differences(reference, out) == []
    assert len(recomputed) == len(chunk_bounds(fake_fn.n_policies, 7)) - 3


def test_checkpoints_of_another_run_are_refused(tmp_path):
    store = ChunkStore(tmp_path, "run-a", 10, 5)
    store.open()
    assert json.loads(store.manifest_path.read_text())["fingerprint"] == "run-a"
    with pytest.raises(CheckpointError, match="different run"):
        ChunkStore(tmp_path, "run-b", 10, 5).open()
    ChunkStore(tmp_path, "run-b", 10, 5).open(restart=True)  # --restart wipes them
    assert json.loads(store.manifest_path.read_text())["fingerprint"] == "run-b"
