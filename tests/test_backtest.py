"""Rolling-origin backtests: origins, cutting the book, scoring, checkpoints and resume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelsim.forecast import (
    BacktestError,
    backtest,
    backtest_origins,
    truncate_book,
    truth_fitter,
    world_after_run,
)


class CountingFitter:
    """The true world at each cut, counting calls; optionally fails on a given call."""

    fingerprint = "truth"

    def __init__(self, world, run, fail_on: int | None = None):
        self.inner = truth_fitter(world, run)
        self.calls = 0
        self.fail_on = fail_on

    def __call__(self, book, seed):
        self.calls += 1
        if self.fail_on is not None and self.calls == self.fail_on:
            raise KeyboardInterrupt("simulated interruption")
        return self.inner(book, seed)


def test_origins(truth_case):
    _, _, book = truth_case
    assert backtest_origins(book, 3, 3) == [(15, 3), (18, 3), (21, 3)]
    assert backtest_origins(book, 3, 3, stride=1) == [(19, 3), (20, 3), (21, 3)]
    assert backtest_origins(book, 2, 1, unit="quarter") == [(18, 3), (21, 3)]
    with pytest.raises(BacktestError, match="too short"):
        backtest_origins(book, 10, 3)
    with pytest.raises(BacktestError, match="train on"):
        backtest_origins(book, 4, 3)  # first origin at 12 < 13 periods
    with pytest.raises(BacktestError):
        backtest_origins(book, 0, 3)


def test_truncate_book_matches_the_cut(truth_case):
    _, _, book = truth_case
    cut = truncate_book(book, 15)
    assert len(cut.periods) == 15 and cut.periods[-1] == book.periods[14]
    full_states = pd.DataFrame(book.states()[:, :15], index=book.partner_ids)
    cut_states = pd.DataFrame(cut.states(), index=cut.partner_ids)
    present = cut_states.index
    np.testing.assert_array_equal(cut_states.to_numpy(), full_states.loc[present].to_numpy())
    assert cut.quarters is None or cut.quarters["quarter"].max() <= pd.Period("2025Q1", "Q")


def test_truth_world_matches_the_book(truth_case):
    world, run, book = truth_case
    w = world_after_run(world, run, 15)
    assert w.origin_period == book.periods[15]
    states = dict(zip(book.partner_ids, book.states()[:, 14], strict=True))
    in_book = [
        (pid, s)
        for pid, s in zip(w.partner_ids, w.partner_state, strict=True)
        if states.get(pid, -1) >= 0
    ]
    assert len(in_book) >= 0.5 * w.n_partners  # most of the world's partners are in the book
    assert all(states[pid] == s for pid, s in in_book)


def test_backtest_scores_every_level_and_baseline(truth_case):
    world, run, book = truth_case
    res = backtest(book, windows=2, horizon=3, draws=60, seed=1, fitter=truth_fitter(world, run))
    s = res.summary
    assert set(s.method) == {"model", "naive", "seasonal_naive", "last_year_mean"}
    assert {"total", "maturity", "stage", "territory", "partner"} <= set(s.level)
    rec = res.records
    assert set(rec.window) == {0, 1}
    assert {"q2_5", "q10", "q50", "q90", "q97_5", "crps", "pit"} <= set(rec.columns)
    # territory actuals add up to the total actuals in every window and period
    terr = rec[rec.level == "territory"].groupby(["window", "period"]).actual.sum()
    tot = rec[rec.level == "total"].set_index(["window", "period"]).actual
    np.testing.assert_allclose(terr.loc[tot.index], tot, rtol=1e-9)
    # and the model's territory means add up to its total mean
    tm = rec[rec.level == "territory"].groupby(["window", "period"])["mean"].sum()
    np.testing.assert_allclose(tm.loc[tot.index], rec[rec.level == "total"]["mean"], rtol=1e-9)
    assert ((rec.pit >= 0) & (rec.pit <= 1)).all()
    assert res.windows["from_checkpoint"].tolist() == [False, False]


def test_backtest_by_quarter(truth_case):
    world, run, book = truth_case
    res = backtest(
        book, windows=2, horizon=1, unit="quarter", draws=40, fitter=truth_fitter(world, run)
    )
    assert sorted(res.records.period.unique()) == ["2025Q3", "2025Q4"]
    assert (res.records.h == 1).all()


def test_resume_after_interruption(truth_case, tmp_path):
    world, run, book = truth_case
    kw = dict(windows=3, horizon=2, draws=30, seed=4, checkpoint_dir=tmp_path / "ck")
    # the first run is interrupted while fitting window 1: window 0 is checkpointed
    first = CountingFitter(world, run, fail_on=2)
    with pytest.raises(KeyboardInterrupt):
        backtest(book, fitter=first, **kw)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["window_000.parquet"]
    # rerun: window 0 comes from its checkpoint, only windows 1 and 2 are fitted
    second = CountingFitter(world, run)
    resumed = backtest(book, fitter=second, **kw)
    assert second.calls == 2
    assert resumed.windows["from_checkpoint"].tolist() == [True, False, False]
    # results equal an uninterrupted run
    fresh = backtest(book, fitter=CountingFitter(world, run), **{**kw, "checkpoint_dir": None})
    pd.testing.assert_frame_equal(resumed.records, fresh.records)
    pd.testing.assert_frame_equal(resumed.summary, fresh.summary)
    # a third run fits nothing; other settings do not reuse stale checkpoints
    third = CountingFitter(world, run)
    backtest(book, fitter=third, **kw)
    assert third.calls == 0
    other = CountingFitter(world, run)
    backtest(book, fitter=other, **{**kw, "seed": 5})
    assert other.calls == 3


def test_fitter_with_wrong_origin_is_refused(truth_case):
    world, run, book = truth_case

    def wrong(cut, seed):
        return world_after_run(world, run, len(cut.periods) - 1)

    with pytest.raises(BacktestError, match="origin"):
        backtest(book, windows=1, horizon=2, draws=10, fitter=wrong)
