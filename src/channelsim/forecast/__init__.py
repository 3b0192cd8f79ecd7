"""Forecast intervals, accuracy metrics, backtests and quotas for planning.

* :func:`forecast` simulates every posterior draw forward from the state at the end of the
  book (through the simulator's partner mode) and aggregates the same draws to partner,
  territory, channel maturity and total, so every level adds up exactly;
* :mod:`metrics <channelsim.forecast._metrics>`: WAPE, bias, MASE, RMSSE, CRPS, pinball loss,
  coverage, randomised PIT, :func:`summarize`;
* :func:`backtest`: rolling origin, refit per window, scored against baselines, resumable;
* :func:`suggest_quotas`: fiscal-year quotas with a chosen probability of being reached;
* :func:`fan_chart`, :func:`calibration_plot`; :func:`write_table` with provenance.

Layer rule: above :mod:`channelsim.world`, :mod:`channelsim.data` and
:mod:`channelsim.simulate`; :mod:`channelsim.model` is imported only inside the functions that
fit (backtests), never at import time.
"""

from channelsim.forecast._backtest import (
    BacktestError,
    BacktestResult,
    backtest,
    backtest_origins,
    model_fitter,
    truncate_book,
)
from channelsim.forecast._baselines import (
    BASELINES,
    last_year_mean,
    naive,
    run_baselines,
    seasonal_naive,
)
from channelsim.forecast._forecast import (
    DEFAULT_QUANTILES,
    LEVELS,
    Forecast,
    ForecastError,
    PartnerPaths,
    dataset_to_frame,
    forecast,
    horizon_steps,
    maturity_at_origin,
    parse_quantiles,
    quantile_name,
    simulate_paths,
)
from channelsim.forecast._io import (
    SUFFIXES,
    OutputError,
    atomic_write,
    check_table_name,
    database_label,
    file_hash,
    provenance,
    read_provenance,
    read_sql_provenance,
    read_table,
    write_sql_table,
    write_table,
)
from channelsim.forecast._metrics import (
    POINT_OF_COLUMN,
    crps_sample,
    history_since_entry,
    interval_coverage,
    mape,
    mase,
    mase_summary,
    pinball_loss,
    pit_coverage,
    pit_uniformity,
    randomized_pit,
    rmsse,
    seasonal_naive_scale,
    share_within,
    signed_bias,
    summarize,
    wape,
)
from channelsim.forecast._newer import combine_books, world_from_newer_actuals
from channelsim.forecast._plots import calibration_plot, fan_chart
from channelsim.forecast._quota import (
    ATTAINMENT_BANDS,
    QuotaPlan,
    fiscal_year_steps,
    quota_from_draws,
    suggest_quotas,
)
from channelsim.forecast._truth import truth_fitter, world_after_run
from channelsim.world import draw_indices as select_draws  # the one draw selection

__all__ = [
    "ATTAINMENT_BANDS",
    "BASELINES",
    "DEFAULT_QUANTILES",
    "LEVELS",
    "POINT_OF_COLUMN",
    "SUFFIXES",
    "BacktestError",
    "BacktestResult",
    "Forecast",
    "ForecastError",
    "OutputError",
    "PartnerPaths",
    "QuotaPlan",
    "atomic_write",
    "backtest",
    "backtest_origins",
    "calibration_plot",
    "check_table_name",
    "combine_books",
    "crps_sample",
    "database_label",
    "dataset_to_frame",
    "fan_chart",
    "file_hash",
    "fiscal_year_steps",
    "forecast",
    "history_since_entry",
    "horizon_steps",
    "interval_coverage",
    "last_year_mean",
    "mape",
    "mase",
    "mase_summary",
    "maturity_at_origin",
    "model_fitter",
    "naive",
    "parse_quantiles",
    "pinball_loss",
    "pit_coverage",
    "pit_uniformity",
    "provenance",
    "quantile_name",
    "quota_from_draws",
    "randomized_pit",
    "read_provenance",
    "read_sql_provenance",
    "read_table",
    "rmsse",
    "run_baselines",
    "seasonal_naive",
    "seasonal_naive_scale",
    "select_draws",
    "share_within",
    "signed_bias",
    "simulate_paths",
    "suggest_quotas",
    "summarize",
    "truncate_book",
    "truth_fitter",
    "wape",
    "world_after_run",
    "world_from_newer_actuals",
    "write_sql_table",
    "write_table",
]
