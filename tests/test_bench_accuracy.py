"""The accuracy benchmark's peer hierarchy (benchmarks/bench_accuracy.py, no peers needed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from channelsim.datasets import load_example

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_accuracy.py"
_spec = importlib.util.spec_from_file_location("bench_accuracy", _PATH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_peer_hierarchy_keeps_partners_that_left_before_the_origin():
    book = load_example()
    sales = np.nan_to_num(book.sales_matrix(), nan=0.0)
    origin = 30
    # scored partners: those selling in the last month before the origin (as a backtest's
    # records hold the partners active at the origin); some partners sold earlier and left
    active = sales[:, origin - 1] > 0
    left = (sales[:, : origin - 1] > 0).any(axis=1) & ~active
    assert left.sum() > 0, "the example book must hold partners that left before the origin"
    scored = [p for p, a in zip(book.partner_ids, active, strict=True) if a]

    frame, ids, tcodes = bench._hierarchy(book, scored, origin)

    assert ids[: len(scored)] == scored  # the scored partners first, in their order
    assert len(ids) == len(set(ids)) == len(tcodes)
    total = frame.groupby("ds")["y"].sum().to_numpy()
    np.testing.assert_allclose(total, sales[:, :origin].sum(axis=0), rtol=1e-12)
    # with the scored partners only, the total history would be short of the book's
    only_scored = sales[active, :origin].sum(axis=0)
    assert np.abs(only_scored - sales[:, :origin].sum(axis=0)).max() > 0
