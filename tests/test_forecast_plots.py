"""Fan charts and the calibration plot render (Agg) and carry what they should."""

from __future__ import annotations

import numpy as np

from channelsim.forecast import (
    backtest,
    calibration_plot,
    fan_chart,
    forecast,
    truth_fitter,
    world_after_run,
)


def test_fan_chart_with_history_and_actuals(truth_case, tmp_path):
    world, run, book = truth_case
    w = world_after_run(world, run, 18)
    fc = forecast(w, 6, seed=1, draws=50)
    fig = fan_chart(fc, book, history=6)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 1 + world.n_territories
    assert fig.axes[0].get_title() == "total"
    # history line (6 points before the origin) and the in-horizon actuals as markers
    lines = fig.axes[0].get_lines()
    assert any(len(line.get_xdata()) == 6 and line.get_xdata()[0] == -6 for line in lines)
    assert any(line.get_marker() == "o" for line in lines)
    fig.savefig(tmp_path / "fan.png")
    assert (tmp_path / "fan.png").stat().st_size > 0
    figq = fan_chart(fc, book, unit="quarter", ids=["T01"])
    assert len([ax for ax in figq.axes if ax.get_visible()]) == 2


def test_calibration_plot_from_backtest_records(truth_case, tmp_path):
    world, run, book = truth_case
    res = backtest(book, windows=2, horizon=2, draws=30, fitter=truth_fitter(world, run))
    fig = calibration_plot(res.records)
    ax1, _ = fig.axes
    assert {t.get_text().split(" ")[0] for t in ax1.get_legend().get_texts()} >= {
        "territory",
        "partner",
    }
    fig.savefig(tmp_path / "cal.png")
    fig2 = calibration_plot(np.random.default_rng(0).random(100))
    assert len(fig2.axes) == 2
