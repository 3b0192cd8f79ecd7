"""Rolling-origin backtests: refit per window, forecast, score against baselines, resume.

Protocol (``docs/forecast.md``): with ``W`` windows of ``H`` periods (steps or quarters) and a
stride of ``S`` periods (default ``H``: the windows tile the end of the book), the last window
ends with the book's last full period and each earlier one starts ``S`` periods before the
next. For each window the book is cut at the window's origin, the model is refitted on the cut
book (a fast approximate fit or a few-draw NUTS run), the status quo is simulated ``H``
periods forward (recruits included, so territory forecasts cover every partner that will sell)
and every level is scored against the actuals and against the naive, seasonal-naive and
last-year-mean baselines computed from the same cut book. MASE and RMSSE scale each series by
its own seasonal-naive differences since its entry (first non-zero sale); series with too
little history are reported apart. On synthetic books an ``oracle`` fitter (the true world at
each origin, :func:`~channelsim.forecast.truth_fitter`) is scored beside the model with the
same number of draws, so each figure reads as a ratio to the best possible forecast.

Each finished window is written to ``<checkpoint_dir>/window_<k>.parquet`` with a fingerprint
of the settings; rerunning with the same settings reuses it, so an interrupted backtest
resumes where it stopped.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from channelsim._vocab import MATURITY_LEVELS
from channelsim.calendar import FiscalCalendar
from channelsim.data import load_book
from channelsim.forecast._baselines import BASELINES
from channelsim.forecast._forecast import (
    DEFAULT_QUANTILES,
    ForecastError,
    forecast,
    parse_quantiles,
    quantile_name,
)
from channelsim.forecast._io import atomic_write
from channelsim.forecast._metrics import (
    crps_sample,
    randomized_pit,
    seasonal_naive_scale,
    summarize,
)
from channelsim.provenance import json_hash

__all__ = [
    "BacktestError",
    "BacktestResult",
    "backtest",
    "backtest_origins",
    "model_fitter",
    "truncate_book",
]

#: Quantiles always scored (50/80/95% central intervals), besides the requested ones.
_SCORED_QUANTILES = (0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975)
_LEVEL_IDX = {"total": 0, "maturity": 1, "stage": 2, "territory": 3, "partner": 4}


class BacktestError(ValueError):
    """Backtest settings the book cannot support; exits 2 in the CLI."""

    is_bad_input = True


@dataclass
class BacktestResult:
    """Result of :func:`backtest`.

    Attributes
    ----------
    records : pandas.DataFrame
        One row per (window, level, id, period): ``actual``, the model's ``mean`` and
        quantiles, ``crps``, ``pit``, the series' seasonal-naive scales and each baseline.
    summary : pandas.DataFrame
        :func:`~channelsim.forecast.summarize` of the records, per level, stage and method.
    windows : pandas.DataFrame
        Per window: origin, training periods, fit seconds, whether it came from a checkpoint.
    meta : dict
        Settings and provenance.
    """

    records: pd.DataFrame
    summary: pd.DataFrame
    windows: pd.DataFrame
    meta: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- the book
def truncate_book(book, n_periods: int):
    """The book's first ``n_periods`` periods as a new validated Book.

    Quarter rows are kept for quarters that end within the cut; territories without a
    partner before the cut are dropped.

    Examples
    --------
    >>> from channelsim.datasets import make_book
    >>> book, _ = make_book(2, 12, 12, seed=0)
    >>> len(truncate_book(book, 9).periods)
    9
    """
    periods = book.periods
    if not 1 <= n_periods <= len(periods):
        raise BacktestError(f"cannot cut a book of {len(periods)} periods at {n_periods}")
    last = periods[n_periods - 1]
    panel = book.panel
    panel = panel[panel["period"] <= last].drop(columns=["filled"], errors="ignore")
    quarters = book.quarters
    if quarters is not None:
        ends = pd.PeriodIndex(quarters["quarter"]).end_time
        quarters = quarters[ends <= last.end_time]
        quarters = quarters if len(quarters) else None
    terr = book.territories
    terr = terr[terr["territory"].isin(set(panel["territory"]))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_book(
            panel.reset_index(drop=True),
            None if quarters is None else quarters.reset_index(drop=True),
            terr.reset_index(drop=True),
            fiscal_year_start_month=book.fiscal_year_start_month,
            source_name=f"{book.source} (to {last})",
        )


def _quarter_codes(periods: pd.PeriodIndex, fy_start: int) -> np.ndarray:
    return FiscalCalendar(fy_start).quarter_codes(periods)


def backtest_origins(
    book,
    windows: int,
    horizon: int,
    unit: str = "step",
    stride: int | None = None,
    min_train: int | None = None,
) -> list[tuple[int, int]]:
    """``(origin, steps)`` of each window: the first held-out step and the window's steps.

    Examples
    --------
    >>> from channelsim.datasets import make_book
    >>> book, _ = make_book(2, 12, 24, seed=0)
    >>> backtest_origins(book, 3, 2)
    [(18, 2), (20, 2), (22, 2)]
    >>> backtest_origins(book, 2, 1, unit="quarter")
    [(18, 3), (21, 3)]
    """
    if unit not in ("step", "quarter"):
        raise BacktestError(f"unit must be 'step' or 'quarter', got {unit!r}")
    for name, v in (("windows", windows), ("horizon", horizon)):
        if int(v) != v or v < 1:
            raise BacktestError(f"{name} must be a whole number >= 1, got {v!r}")
    stride = horizon if stride is None else stride
    if int(stride) != stride or stride < 1:
        raise BacktestError(f"stride must be a whole number >= 1, got {stride!r}")
    n = len(book.periods)
    season = 4 * book.steps_per_quarter
    min_train = season + 1 if min_train is None else int(min_train)
    if unit == "step":
        starts = np.arange(n)
        lengths = np.ones(n, dtype=int)
    else:
        codes = _quarter_codes(book.periods, book.fiscal_year_start_month)
        first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        lengths = np.diff(np.r_[first, n])
        full = lengths == book.steps_per_quarter
        starts, lengths = first[full], lengths[full]
    blocks = len(starts)
    out = []
    for w in range(windows):
        last_block = blocks - 1 - (windows - 1 - w) * stride
        first_block = last_block - horizon + 1
        if first_block < 0:
            raise BacktestError(
                f"the book ({n} periods) is too short for {windows} windows of {horizon} "
                f"{unit}(s) with stride {stride}"
            )
        origin = int(starts[first_block])
        steps = int(starts[last_block] + lengths[last_block] - origin)
        out.append((origin, steps))
    if out[0][0] < min_train:
        raise BacktestError(
            f"the first window would train on {out[0][0]} periods; at least {min_train} are "
            f"needed (one season plus one). Use fewer windows, a shorter horizon or stride."
        )
    return out


# ----------------------------------------------------------------------------- fitting
def model_fitter(
    method: str = "nuts",
    draws: int = 200,
    progress: bool = False,
    *,
    tune: int = 300,
    chains: int = 2,
    advi_steps: int = 10_000,
    warm_start: bool = False,
    warm_tune: int | None = None,
    **config,
):
    """A fitter for :func:`backtest`: refit :class:`channelsim.model.ChannelModel` per window.

    Parameters
    ----------
    method : {"nuts", "approx"}
        ``"nuts"`` (default): a short NUTS run, ``chains`` chains of ``tune`` tuning steps
        and ``ceil(draws / chains)`` kept draws each (at least 50). ``"approx"``: the model's
        fast approximate fit (mean-field ADVI, ``advi_steps`` steps, ``max(draws, 200)``
        draws); it underestimates posterior spread, so intervals come out narrower. On the
        example book cut at 27 months both take about 85 s on 2 cores.
    draws : int
        Posterior draws handed to the forecast (``to_world(draws, seed=...)``).
    progress : bool
        Show the sampler's progress bar.
    tune, chains, advi_steps : int
        Sampler settings (see ``method``).
    warm_start : bool
        NUTS only: each refit after the first starts from the previous window's posterior
        (initial points and diagonal mass matrix, :meth:`ChannelModel.fit` ``warm_start``)
        and tunes for ``warm_tune`` steps.
    warm_tune : int, optional
        Tuning steps of a warm-started refit (default ``tune // 2``; assumption, compare
        cold and warm refits with ``benchmarks/bench_accuracy.py``).
    **config
        Other :class:`channelsim.model.ModelConfig` fields (``sampler=...``, priors).

    Returns
    -------
    callable
        ``fit(book, seed) -> World`` with a ``fingerprint`` attribute; after each call its
        ``last_info`` dict holds ``fit_s`` (wall seconds), ``max_rhat`` (NUTS) and
        ``warm_started``.

    Examples
    --------
    >>> model_fitter("nuts", draws=100).fingerprint
    '{"method": "nuts", "draws": 100, "tune": 300, "chains": 2}'
    """
    if method not in ("approx", "nuts"):
        raise BacktestError(f"fit method must be 'approx' or 'nuts', got {method!r}")
    draws = int(draws)
    warm_tune = max(50, tune // 2) if warm_tune is None else int(warm_tune)
    previous = {"model": None}

    def fit(book, seed: int):
        import logging

        from channelsim.model import ChannelModel

        quiet = [logging.getLogger(n) for n in ("pymc", "pytensor")] if not progress else []
        levels = [lg.level for lg in quiet]
        for lg in quiet:
            lg.setLevel(logging.ERROR)
        try:
            return _fit_once(ChannelModel, book, seed)
        finally:
            for lg, lv in zip(quiet, levels, strict=True):
                lg.setLevel(lv)

    def _fit_once(ChannelModel, book, seed):
        t0 = time.perf_counter()
        info = {"max_rhat": float("nan"), "warm_started": False}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # short runs: convergence warnings are expected
            if method == "nuts":
                per_chain = max(50, -(-draws // chains))
                warm = previous["model"] if warm_start else None
                model = ChannelModel(
                    draws=per_chain,
                    tune=warm_tune if warm is not None else tune,
                    chains=chains,
                    progressbar=progress,
                    **config,
                )
                model.fit(book, random_seed=seed, warm_start=warm)
                info["warm_started"] = bool(model.fit_info.get("warm_started"))
                if chains > 1:
                    info["max_rhat"] = float(model.check_diagnostics(warn=False).max_rhat)
                previous["model"] = model
            else:
                model = ChannelModel(progressbar=progress, **config)
                model.fit_approx(book, draws=max(draws, 200), n=advi_steps, random_seed=seed)
        info["fit_s"] = round(time.perf_counter() - t0, 3)
        fit.last_info = info
        return model.to_world(draws, seed=seed)

    settings = {"method": method, "draws": draws}
    settings.update({"tune": tune, "chains": chains} if method == "nuts" else {"steps": advi_steps})
    if method == "nuts" and warm_start:
        settings.update({"warm_start": True, "warm_tune": warm_tune})
    settings.update({k: repr(v) for k, v in sorted(config.items())})
    fit.fingerprint = json.dumps(settings)
    return fit


# ----------------------------------------------------------------------------- scoring
def _series_actuals(book, origin: int, steps: int, fc, recruits: bool):
    """Actual and history arrays per level (steps), aligned with the forecast's series."""
    sales = np.nan_to_num(book.sales_matrix(), nan=0.0)
    terr_m = book.territory_matrix()
    T_ids = list(fc.territory_ids)
    t_index = {t: i for i, t in enumerate(T_ids)}
    book_t = np.array([t_index.get(t, -1) for t in book.territory_ids] + [-1])
    tcode = book_t[np.where(terr_m >= 0, terr_m, len(book.territory_ids))]
    terr_sales = np.zeros((len(T_ids), sales.shape[1]))
    for t in range(len(T_ids)):
        terr_sales[t] = np.where(tcode == t, sales, 0.0).sum(axis=0)
    p_index = {p: i for i, p in enumerate(book.partner_ids)}
    rows = np.array([p_index[p] for p in fc.partner_ids], dtype=np.int64)
    partner_sales = sales[rows]
    out = {"partner": (list(fc.partner_ids), partner_sales)}
    out["territory"] = (T_ids, terr_sales)
    out["total"] = (["total"], terr_sales.sum(axis=0, keepdims=True))
    if fc.maturity is not None:
        codes = [c for c in range(len(MATURITY_LEVELS)) if np.any(fc.maturity == c)]
        out["maturity"] = (
            [MATURITY_LEVELS[c] for c in codes],
            np.stack([terr_sales[fc.maturity == c].sum(axis=0) for c in codes]),
        )
        stages = [s for s in dict.fromkeys(fc.partner_stage)]
        out["stage"] = (
            [str(s) for s in stages],
            np.stack([partner_sales[fc.partner_stage == s].sum(axis=0) for s in stages]),
        )
    return out


def _forecast_draws(fc, level: str, ids: list[str]):
    if level == "stage":
        x = fc.partner_sales
        return np.stack([x[:, fc.partner_stage == s].sum(axis=1) for s in ids], axis=1)
    fids, x = fc.level_draws(level, "step")
    if level == "partner":
        return x[:, : len(fc.partner_ids)]
    assert fids == ids
    return x


def _to_quarters(x: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum the last axis over runs of equal quarter code; returns (sums, block lengths)."""
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    lengths = np.diff(np.r_[starts, len(codes)])
    return np.add.reduceat(x, starts, axis=-1), lengths


def _score_window(book, origin, steps, fc, unit, qs, seed, window) -> pd.DataFrame:
    spq = book.steps_per_quarter
    season = 4 if unit == "quarter" else 4 * spq
    levels = _series_actuals(book, origin, steps, fc, fc.new_sales is not None)
    codes = _quarter_codes(book.periods, book.fiscal_year_start_month)
    per_labels = (
        [str(p) for p in book.periods[origin : origin + steps]]
        if unit == "step"
        else fc.period_labels("quarter")
    )
    frames = []
    for level in ("total", "maturity", "stage", "territory", "partner"):
        if level not in levels:
            continue
        ids, full = levels[level]
        hist = full[:, :origin]
        actual = full[:, origin : origin + steps]
        draws = _forecast_draws(fc, level, ids)
        if unit == "quarter":
            hist, hl = _to_quarters(hist, codes[:origin])
            if hl[0] != spq:  # a partial first quarter is not a quarter of history
                hist = hist[:, 1:]
            actual, _ = _to_quarters(actual, codes[origin : origin + steps])
            draws, _ = _to_quarters(draws, codes[origin : origin + steps])
        S, H = actual.shape
        qv = np.quantile(draws, qs, axis=0)  # (q, S, H)
        rec = {
            "window": window,
            "origin": str(book.periods[origin]),
            "level": level,
            "id": np.repeat(np.asarray(ids, dtype=object), H),
            "period": np.tile(per_labels, S),
            "h": np.tile(np.arange(1, H + 1), S),
            "actual": actual.ravel(),
            "mean": draws.mean(axis=0).ravel(),
        }
        for k, q in enumerate(qs):
            rec[quantile_name(q)] = qv[k].ravel()
        rec["crps"] = crps_sample(actual, draws).ravel()
        rec["pit"] = randomized_pit(actual, draws, seed=[seed, window, _LEVEL_IDX[level]]).ravel()
        rec["scale"] = np.repeat(seasonal_naive_scale(hist, season, 1, since_entry=True), H)
        rec["scale2"] = np.repeat(seasonal_naive_scale(hist, season, 2, since_entry=True), H)
        for name, fn in BASELINES.items():
            rec[name] = fn(hist, H, season).ravel()
        df = pd.DataFrame(rec)
        if level == "partner":
            df.insert(4, "stage", np.repeat(np.asarray(fc.partner_stage, dtype=object), H))
        else:
            df.insert(4, "stage", "all")
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _forecast_world(world, steps, seed, draws, recruits):
    return forecast(
        world,
        steps,
        unit="step",
        seed=seed,
        draws=draws if world.n_draws != draws else None,
        recruits=recruits,
    )


def _attach(rec: pd.DataFrame, other: pd.DataFrame, name: str) -> pd.DataFrame:
    """``rec`` with ``other``'s distributional columns as ``<name>_mean`` ... (left join)."""
    keys = ["window", "level", "id", "period"]
    cols = ["mean", "crps", "pit", *[c for c in other.columns if _quantile_col(c)]]
    o = other[keys + cols].rename(columns={c: f"{name}_{c}" for c in cols})
    o = o.drop_duplicates(keys)
    return rec.merge(o, on=keys, how="left", validate="many_to_one")


def _quantile_col(c: str) -> bool:
    return c.startswith("q") and c[1:].replace("_", "").isdigit()


# ----------------------------------------------------------------------------- the run
def _fingerprint(book, settings: dict) -> str:
    return json_hash({"data_hash": book.data_hash(), **settings})


def _load_checkpoint(path: Path, fingerprint: str) -> pd.DataFrame | None:
    if not path.exists():
        return None
    import pyarrow.parquet as pq

    try:
        md = pq.read_schema(path).metadata or {}
        stored = json.loads(md.get(b"channelsim", b"{}")).get("fingerprint")
    except Exception:  # a damaged checkpoint is recomputed
        return None
    if stored != fingerprint:
        return None
    return pd.read_parquet(path)


def _save_checkpoint(path: Path, df: pd.DataFrame, fingerprint: str, info: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = {"fingerprint": fingerprint, **info}
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), b"channelsim": json.dumps(meta, default=str).encode()}
    )
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def backtest(
    book,
    *,
    windows: int = 3,
    horizon: int = 3,
    unit: str = "step",
    stride: int | None = None,
    draws: int = 200,
    seed: int = 0,
    fitter: Callable | None = None,
    fit: str = "nuts",
    quantiles=DEFAULT_QUANTILES,
    recruits: bool = True,
    checkpoint_dir=None,
    progress: bool = False,
    min_train: int | None = None,
    oracle: Callable | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of the model against naive, seasonal-naive and last-year mean.

    Parameters
    ----------
    book : channelsim.data.Book
    windows, horizon : int
        Number of origins and periods forecast from each (steps or quarters, see ``unit``).
    unit : {"step", "quarter"}
        Period of the horizon and of the scores; quarter windows start on quarter starts.
    stride : int, optional
        Periods between origins (default ``horizon``).
    draws : int
        Posterior draws (forecast paths) per window.
    seed : int
        Window ``k`` fits and simulates with seed ``seed + k``.
    fitter : callable, optional
        ``fitter(book, seed) -> World`` returning the world at the end of the cut book;
        default :func:`model_fitter` with ``fit`` and ``draws``. A ``fingerprint``
        attribute names it in checkpoints.
    fit : {"nuts", "approx"}
        Fit of the default fitter: a short NUTS run (default) or the fast approximate fit.
    quantiles : sequence of float
        Quantile columns of the records (the 2.5/10/50/90/97.5% quantiles are always added).
    recruits : bool
        Simulate recruits (default True, so territory forecasts cover new partners too).
    checkpoint_dir : path-like, optional
        Folder for one checkpoint per finished window (created when missing).
    progress : bool
        Show a progress bar over windows (tqdm).
    min_train : int, optional
        Fewest periods to train on (default one season plus one).
    oracle : callable, optional
        A second fitter whose forecast is scored beside the model's as method
        ``"oracle"`` with the same draws and seed: on a synthetic book,
        :func:`~channelsim.forecast.truth_fitter` (true parameters, capabilities, partner
        states and territory shock at each origin), the best forecast possible. Its columns
        in the records are ``oracle_mean``, ``oracle_q..``, ``oracle_crps``, ``oracle_pit``.

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> from channelsim.datasets import draw_world, book_tables
    >>> from channelsim.data import load_book
    >>> from channelsim.world import generate
    >>> from channelsim.forecast import truth_fitter
    >>> w = draw_world(2, 16, seed=0); run = generate(w, 18, seed=0)
    >>> book = load_book(*book_tables(w, run))
    >>> res = backtest(book, windows=2, horizon=2, draws=50, fitter=truth_fitter(w, run))
    >>> sorted(set(res.summary.method))
    ['last_year_mean', 'model', 'naive', 'seasonal_naive']
    """
    origins = backtest_origins(book, windows, horizon, unit, stride, min_train)
    qs = tuple(sorted(set(parse_quantiles(quantiles)) | set(_SCORED_QUANTILES)))
    if int(draws) < 2:
        raise ForecastError("a backtest needs at least 2 draws per window")
    if fitter is None:
        fitter = model_fitter(fit, draws=int(draws), progress=progress)
    fid = getattr(fitter, "fingerprint", getattr(fitter, "__qualname__", type(fitter).__name__))
    settings = {
        "windows": windows,
        "horizon": horizon,
        "unit": unit,
        "stride": stride,
        "draws": int(draws),
        "seed": int(seed),
        "fitter": fid,
        "quantiles": list(qs),
        "recruits": bool(recruits),
    }
    if oracle is not None:
        settings["oracle"] = getattr(oracle, "fingerprint", type(oracle).__name__)
    ckdir = None if checkpoint_dir is None else Path(checkpoint_dir)
    if ckdir is not None:
        ckdir.mkdir(parents=True, exist_ok=True)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(origins), desc="backtest windows", unit="window")
    frames, info = [], []
    for k, (origin, steps) in enumerate(origins):
        fp = _fingerprint(book, {**settings, "window": k, "origin": origin, "steps": steps})
        path = None if ckdir is None else ckdir / f"window_{k:03d}.parquet"
        rec = None if path is None else _load_checkpoint(path, fp)
        t0 = time.perf_counter()
        reused = rec is not None
        if rec is None:
            train = truncate_book(book, origin)
            world = fitter(train, int(seed) + k)
            if str(world.origin_period) != str(book.periods[origin]):
                raise BacktestError(
                    f"the fitter returned a world with origin {world.origin_period}; "
                    f"window {k} starts at {book.periods[origin]}"
                )
            fc = _forecast_world(world, steps, int(seed) + k, int(draws), recruits)
            rec = _score_window(book, origin, steps, fc, unit, qs, int(seed), k)
            fit_info = dict(getattr(fitter, "last_info", None) or {})
            if oracle is not None:
                o_world = oracle(train, int(seed) + k)
                o_fc = _forecast_world(o_world, steps, int(seed) + k, int(draws), recruits)
                o_rec = _score_window(book, origin, steps, o_fc, unit, qs, int(seed), k)
                rec = _attach(rec, o_rec, "oracle")
            if path is not None:
                _save_checkpoint(
                    path,
                    rec,
                    fp,
                    {"window": k, "origin": str(book.periods[origin]), "fit": fit_info},
                )
        else:
            fit_info = {}
        info.append(
            {
                "window": k,
                "origin": str(book.periods[origin]),
                "train_periods": origin,
                "steps": steps,
                "seconds": round(time.perf_counter() - t0, 3),
                "from_checkpoint": reused,
                **fit_info,
            }
        )
        frames.append(rec)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    records = pd.concat(frames, ignore_index=True)
    methods = ("model", "oracle") if oracle is not None else ("model",)
    summary = summarize(records, (*methods, *BASELINES))
    return BacktestResult(
        records=records,
        summary=summary,
        windows=pd.DataFrame(info),
        meta={**settings, "data_hash": book.data_hash()},
    )
