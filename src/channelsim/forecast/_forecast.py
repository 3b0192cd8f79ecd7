"""Forecasts: simulate every posterior draw forward, aggregate the same draws to every level.

For each posterior draw of a fitted model (or each draw of a :class:`~channelsim.world.World`)
one path of the status-quo generative process is run forward from the state at the end of the
book: end-of-step transitions (advance, dormancy, reactivation, exit), the AR(1) territory
shock and each partner's hurdle and log-normal amount, and optionally new recruits. The
dynamics are never written here: paths come from the simulator's partner mode
(:mod:`channelsim.simulate`), see :func:`simulate_paths`.

Every level is a sum of the same partner draws, so for every draw a territory equals the sum of
its partners (and of its ``<territory>/new`` recruits row when recruits are on), a channel
maturity level the sum of its territories, and the total the sum of all territories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from channelsim._vocab import MATURITY_LEVELS, maturity_code
from channelsim.world import World, engaged_stage_mask

__all__ = [
    "DEFAULT_QUANTILES",
    "LEVELS",
    "Forecast",
    "ForecastError",
    "PartnerPaths",
    "dataset_to_frame",
    "forecast",
    "horizon_steps",
    "maturity_at_origin",
    "parse_quantiles",
    "quantile_name",
    "select_draws",
    "simulate_paths",
]

#: Levels of the forecast table, from the top.
LEVELS: tuple[str, ...] = ("total", "maturity", "territory", "partner")
#: Default quantiles of the forecast table (columns ``q10, q50, q90``).
DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
#: Paths per call of the numpy fallback (bounds its memory; see :func:`simulate_paths`).
_FALLBACK_CHUNK = 64


class ForecastError(ValueError):
    """Bad forecast settings (horizon, unit, quantiles, draws); exits 2 in the CLI."""

    is_bad_input = True


# --------------------------------------------------------------------------- small helpers
def quantile_name(q: float) -> str:
    """Column name of a quantile: ``q`` + percent, ``.`` written ``_``.

    Examples
    --------
    >>> [quantile_name(q) for q in (0.1, 0.5, 0.025, 0.975, 0.001)]
    ['q10', 'q50', 'q2_5', 'q97_5', 'q0_1']
    """
    pct = float(q) * 100.0
    return "q" + f"{round(pct, 8):.8g}".replace(".", "_")


def parse_quantiles(values) -> tuple[float, ...]:
    """Validate quantiles (a sequence or a comma list like ``"0.1,0.5,0.9"``), sorted.

    Raises
    ------
    ForecastError
        Listing every value that is not a number strictly between 0 and 1.

    Examples
    --------
    >>> parse_quantiles("0.9, 0.1,0.5")
    (0.1, 0.5, 0.9)
    """
    if isinstance(values, str):
        values = [v for v in (s.strip() for s in values.split(",")) if v]
    out, bad = [], []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            bad.append(repr(v))
            continue
        if not 0.0 < f < 1.0 or not np.isfinite(f):
            bad.append(repr(v))
        else:
            out.append(f)
    if bad or not out:
        raise ForecastError(
            "quantiles must be numbers strictly between 0 and 1 (e.g. 0.1,0.5,0.9); "
            f"got {', '.join(bad) if bad else 'none'}"
        )
    names = [quantile_name(q) for q in out]
    if len(set(names)) != len(names):
        raise ForecastError(f"quantiles repeat: {', '.join(map(str, out))}")
    return tuple(sorted(out))


def horizon_steps(world: World, horizon: int, unit: str) -> int:
    """Steps to simulate for ``horizon`` steps or quarters from the world's origin.

    With ``unit="quarter"`` the quarters counted start with the quarter holding the origin;
    when the origin is not the first step of its quarter, that first quarter is partial
    (it holds only the forecast steps).

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> horizon_steps(draw_world(2, 4, seed=0), 2, "quarter")
    6
    """
    if unit not in ("step", "quarter"):
        raise ForecastError(f"unit must be 'step' or 'quarter', got {unit!r}")
    if int(horizon) != horizon or horizon < 1:
        raise ForecastError(f"horizon must be a whole number >= 1, got {horizon!r}")
    horizon = int(horizon)
    if unit == "step":
        return horizon
    cal = world.calendar((horizon + 1) * world.steps_per_quarter)
    return int(np.sum(cal.quarter < horizon))


def select_draws(n_world_draws: int, draws: int | np.ndarray | None) -> np.ndarray:
    """World draw index of each path.

    ``None``: every draw once. An int ``N``: ``N`` draws evenly spaced over the posterior
    (all of them, cycled, when ``N`` exceeds the draws available; each path still gets its
    own random numbers). An array: those indices.

    Examples
    --------
    >>> select_draws(10, 4).tolist()
    [0, 3, 6, 9]
    """
    if draws is None:
        return np.arange(n_world_draws, dtype=np.int64)
    if np.ndim(draws) == 0:
        n = int(draws)
        if n < 1:
            raise ForecastError(f"draws must be >= 1, got {draws}")
        if n >= n_world_draws:
            return np.arange(n, dtype=np.int64) % n_world_draws
        return np.round(np.linspace(0, n_world_draws - 1, n)).astype(np.int64)
    idx = np.asarray(draws, dtype=np.int64).ravel()
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n_world_draws:
        raise ForecastError(f"draw indices must lie in [0, {n_world_draws})")
    return idx


def maturity_at_origin(world: World) -> np.ndarray | None:
    """Channel maturity code of each territory at the origin (None for one-stage worlds).

    Coverage is ``min(1, engaged / target_partners)`` with engaged partners those in
    active, productive or strategic during the step before the origin.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> maturity_at_origin(draw_world(4, 80, seed=0)).tolist()
    [0, 1, 2, 3]
    """
    if not world.has_stages:
        return None
    engaged = engaged_stage_mask(world.stage_names)
    st = world.partner_state
    eng = (st >= 0) & engaged[np.clip(st, 0, world.n_states - 1)]
    counts = np.bincount(world.partner_territory[eng], minlength=world.n_territories)
    cov = np.minimum(1.0, counts / world.target_partners)
    return np.array([maturity_code(float(c)) for c in cov], dtype=np.int64)


# ------------------------------------------------------------------------ the simulation
@dataclass(frozen=True)
class PartnerPaths:
    """Per-partner per-step sales draws of one status-quo run (one path per world draw).

    Attributes
    ----------
    sales : (path, partner, step) float64
        Sales of the origin's partners (world order).
    new_sales : (path, territory, step) float64 or None
        Sales of partners recruited during the run, summed per territory (None without
        recruits).
    draw : (path,) int
        World draw of each path.
    backend : str
        ``"simulate.simulate_partners"`` (the numba partner mode) or ``"world.generate"``
        (the numpy specification, used while the partner mode is unavailable).
    """

    sales: np.ndarray
    new_sales: np.ndarray | None
    draw: np.ndarray
    backend: str


def _partner_mode():
    """The simulator's partner mode, or None while it is not available."""
    try:
        from channelsim.simulate import simulate_partners
    except ImportError:
        return None
    return simulate_partners


def _collapse_recruits(sales_slots, slot_territory, n_territories) -> np.ndarray:
    out = np.zeros((sales_slots.shape[0], n_territories, sales_slots.shape[2]))
    for t in range(n_territories):
        sel = slot_territory == t
        if sel.any():
            out[:, t] = sales_slots[:, sel].sum(axis=1)
    return out


def _from_partner_mode(fn, world, n_steps, seed, recruit, draw, progress=False) -> PartnerPaths:
    import inspect

    extra = {}
    if "progress" in inspect.signature(fn).parameters:
        extra["progress"] = progress
    res = fn(world, n_steps, seed=seed, recruit=recruit, draws=draw, **extra)
    P, T = world.n_partners, world.n_territories
    sales = np.asarray(res.sales if hasattr(res, "sales") else res, dtype=np.float64)
    new = None
    if recruit:
        new = getattr(res, "new_sales", None)
        if new is None and sales.shape[1] > P:
            territory = np.asarray(res.territory)
            new = _collapse_recruits(sales[:, P:], territory[P:], T)
        elif new is None:
            new = np.zeros((sales.shape[0], T, n_steps))
        new = np.asarray(new, dtype=np.float64)
    return PartnerPaths(np.ascontiguousarray(sales[:, :P]), new, draw, "simulate.simulate_partners")


def _from_generate(world, n_steps, seed, recruit, draw, progress=False) -> PartnerPaths:
    from channelsim import rng
    from channelsim.world import generate

    P, T = world.n_partners, world.n_territories
    D = len(draw)
    sales = np.empty((D, P, n_steps))
    new = np.zeros((D, T, n_steps)) if recruit else None
    n_chunks = -(-D // _FALLBACK_CHUNK)
    chunks = range(n_chunks)
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc="simulating draws", unit="chunk")
    for c in chunks:
        lo, hi = c * _FALLBACK_CHUNK, min(D, (c + 1) * _FALLBACK_CHUNK)
        # generate() numbers its paths from 0; each chunk gets its own derived seed.
        sub_seed = seed if n_chunks == 1 else int(rng.key(seed, 0, 0, c, 0)[0] >> np.uint64(1))
        run = generate(
            world, n_steps, seed=sub_seed, n_paths=hi - lo, draws=draw[lo:hi], recruit=recruit
        )
        sales[lo:hi] = run.sales[:, :P]
        if recruit:
            new[lo:hi] = _collapse_recruits(run.sales[:, P:], run.territory[P:], T)
    return PartnerPaths(sales, new, draw, "world.generate")


def simulate_paths(
    world: World,
    n_steps: int,
    *,
    seed: int,
    recruit: bool = False,
    draws: int | np.ndarray | None = None,
    progress: bool = False,
) -> PartnerPaths:
    """Run the status-quo process forward, one path per world draw, partner by partner.

    This is the one place the forecast touches the dynamics. It calls the simulator's partner
    mode ``channelsim.simulate.simulate_partners`` when that is available; otherwise the numpy
    specification :func:`channelsim.world.generate` (same process, same random keys), in
    chunks of 64 paths each with a seed derived from ``seed`` and the chunk index (so the
    numbers depend on the seed only, not on the machine).

    Parameters
    ----------
    world : World
        Parameters (leading draw dim) and the state at the origin.
    n_steps : int
    seed : int
    recruit : bool
        Simulate new recruits as well (their sales are returned per territory).
    draws : int, array of int or None
        See :func:`select_draws`.
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    PartnerPaths

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> paths = simulate_paths(draw_world(2, 10, seed=0), 3, seed=1, draws=4)
    >>> paths.sales.shape
    (4, 10, 3)
    """
    if seed is None or int(seed) < 0:
        raise ForecastError(f"seed must be a non-negative integer, got {seed!r}")
    draw = select_draws(world.n_draws, draws)
    fn = _partner_mode()
    if fn is not None:
        args = (world, int(n_steps), int(seed), bool(recruit), draw, progress)
        return _from_partner_mode(fn, *args)
    return _from_generate(world, int(n_steps), int(seed), bool(recruit), draw, progress)


# ------------------------------------------------------------------------- the forecast
@dataclass(eq=False)
class Forecast:
    """Forecast draws of every partner, and the levels built from them.

    Build one with :func:`forecast`. Partners exited (or not yet present) at the origin are
    left out; partners are kept in territory order.

    Attributes
    ----------
    partner_sales : (draw, partner, step) ndarray
        Sales draws of the partners present at the origin.
    new_sales : (draw, territory, step) ndarray or None
        Sales of recruits, per territory (rows ``<territory>/new``), or None.
    partner_ids : tuple of str
    partner_territory : (partner,) int
        Territory code (index into ``territory_ids``).
    partner_stage : (partner,) object
        Lifecycle stage at the origin (during the last observed step).
    territory_ids : tuple of str
    maturity : (territory,) int or None
        Channel maturity code at the origin (index into ``_vocab.MATURITY_LEVELS``).
    periods : pandas.PeriodIndex
        The forecast steps.
    quarter_periods : pandas.PeriodIndex
        The (fiscal) quarters the steps fall in.
    step_quarter : (step,) int
        Index into ``quarter_periods`` of each step.
    draw : (draw,) int
        World draw behind each path.
    meta : dict
        Provenance: seed, model hash, package version, origin, horizon, backend, ...
    """

    partner_sales: np.ndarray
    new_sales: np.ndarray | None
    partner_ids: tuple[str, ...]
    partner_territory: np.ndarray
    partner_stage: np.ndarray
    territory_ids: tuple[str, ...]
    maturity: np.ndarray | None
    periods: pd.PeriodIndex
    quarter_periods: pd.PeriodIndex
    step_quarter: np.ndarray
    draw: np.ndarray
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    unit: str = "step"
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ sizes and levels
    @property
    def n_draws(self) -> int:
        return int(self.partner_sales.shape[0])

    @property
    def n_steps(self) -> int:
        return len(self.periods)

    @property
    def levels(self) -> tuple[str, ...]:
        """Levels available (``maturity`` only for worlds with lifecycle stages)."""
        return tuple(lv for lv in LEVELS if lv != "maturity" or self.maturity is not None)

    def _by_unit(self, x: np.ndarray, unit: str) -> np.ndarray:
        if unit == "step":
            return x
        if unit != "quarter":
            raise ForecastError(f"unit must be 'step' or 'quarter', got {unit!r}")
        starts = np.flatnonzero(np.r_[True, np.diff(self.step_quarter) != 0])
        return np.add.reduceat(x, starts, axis=-1)

    def period_labels(self, unit: str | None = None) -> list[str]:
        """Period strings of the table: ``2026-01`` per step, ``2026Q1`` per quarter."""
        unit = unit or self.unit
        idx = self.periods if unit == "step" else self.quarter_periods
        return [str(p) for p in idx]

    def _territory_steps(self) -> np.ndarray:
        D, T = self.n_draws, len(self.territory_ids)
        out = np.zeros((D, T, self.n_steps))
        bounds = np.searchsorted(self.partner_territory, np.arange(T + 1))
        for t in range(T):
            lo, hi = bounds[t], bounds[t + 1]
            if hi > lo:
                out[:, t] = self.partner_sales[:, lo:hi].sum(axis=1)
        if self.new_sales is not None:
            out += self.new_sales
        return out

    def level_draws(self, level: str, unit: str | None = None) -> tuple[list[str], np.ndarray]:
        """Ids and draws ``(draw, series, period)`` of one level.

        Parameters
        ----------
        level : {"partner", "territory", "maturity", "total"}
        unit : {"step", "quarter"}, optional
            Defaults to the forecast's unit.

        Examples
        --------
        >>> from channelsim.datasets import draw_world
        >>> fc = forecast(draw_world(2, 10, seed=0), 3, seed=1, draws=4)
        >>> ids, x = fc.level_draws("territory")
        >>> ids, x.shape
        (['T01', 'T02'], (4, 2, 3))
        """
        unit = unit or self.unit
        if level == "partner":
            ids = list(self.partner_ids)
            x = self.partner_sales
            if self.new_sales is not None:
                ids += [f"{t}/new" for t in self.territory_ids]
                x = np.concatenate([x, self.new_sales], axis=1)
            return ids, self._by_unit(x, unit)
        terr = self._territory_steps()
        if level == "territory":
            return list(self.territory_ids), self._by_unit(terr, unit)
        if level == "total":
            return ["total"], self._by_unit(terr.sum(axis=1, keepdims=True), unit)
        if level == "maturity":
            if self.maturity is None:
                raise ForecastError("a one-stage world has no channel maturity level")
            codes = [c for c in range(len(MATURITY_LEVELS)) if np.any(self.maturity == c)]
            x = np.stack([terr[:, self.maturity == c].sum(axis=1) for c in codes], axis=1)
            return [MATURITY_LEVELS[c] for c in codes], self._by_unit(x, unit)
        raise ForecastError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")

    def draws_array(self, level: str, unit: str | None = None) -> xr.DataArray:
        """The draws of one level as a labelled ``(draw, id, period)`` DataArray."""
        unit = unit or self.unit
        ids, x = self.level_draws(level, unit)
        return xr.DataArray(
            x,
            dims=("draw", "id", "period"),
            coords={
                "draw": np.arange(x.shape[0]),
                "id": np.array(ids, dtype=object),
                "period": np.array(self.period_labels(unit), dtype=object),
            },
            name="sales",
            attrs={"level": level, "unit": unit},
        )

    # --------------------------------------------------------------------- summaries
    def to_dataset(
        self,
        unit: str | None = None,
        quantiles=None,
        levels=None,
        *,
        include_draws: bool = False,
    ) -> xr.Dataset:
        """Summary Dataset: ``mean`` and one variable per quantile over ``(series, period)``.

        ``series`` carries the non-index coordinates ``level`` and ``id``. With
        ``include_draws`` a ``sales`` variable ``(draw, series, period)`` holds every draw.
        Attributes hold the provenance, ``unit`` and ``quantiles``.

        Examples
        --------
        >>> from channelsim.datasets import draw_world
        >>> fc = forecast(draw_world(2, 10, seed=0), 3, seed=1, draws=8)
        >>> sorted(fc.to_dataset().data_vars)
        ['mean', 'q10', 'q50', 'q90']
        """
        unit = unit or self.unit
        qs = parse_quantiles(self.quantiles if quantiles is None else quantiles)
        levels = self.levels if levels is None else tuple(levels)
        lv_names, ids, blocks = [], [], []
        for lv in LEVELS:
            if lv not in levels:
                continue
            i, x = self.level_draws(lv, unit)
            lv_names += [lv] * len(i)
            ids += i
            blocks.append(x)
        x = np.concatenate(blocks, axis=1)
        mean = x.mean(axis=0)
        qv = _quantiles(x, qs)
        labels = self.period_labels(unit)
        data = {"mean": (("series", "period"), mean)}
        for k, q in enumerate(qs):
            data[quantile_name(q)] = (("series", "period"), qv[k])
        if include_draws:
            data["sales"] = (("draw", "series", "period"), x)
        coords = {
            "level": ("series", np.array(lv_names, dtype=object)),
            "id": ("series", np.array(ids, dtype=object)),
            "period": np.array(labels, dtype=object),
        }
        if unit == "quarter":
            coords["n_steps"] = ("period", np.bincount(self.step_quarter).astype(np.int64))
        attrs = {k: v for k, v in self.meta.items() if v is not None}
        attrs.update({"unit": unit, "quantiles": list(qs)})
        return xr.Dataset(data, coords=coords, attrs=_nc_safe(attrs))

    def _repr_html_(self) -> str:
        """Notebook view: the total by step (mean and quantiles), as a fan (inline SVG) and a
        table, and the territory totals over the horizon."""
        from channelsim._html_repr import card, svg_line, table

        frame = self.to_frame(levels=["total", "territory"])
        qcols = [c for c in frame.columns if c.startswith("q")]
        total = frame[frame["level"] == "total"]
        lo, hi = (total[qcols[0]], total[qcols[-1]]) if len(qcols) >= 2 else (None, None)
        band = f"{qcols[0]}..{qcols[-1]}" if len(qcols) >= 2 else "no band"
        chart = svg_line(
            total["period"].tolist(),
            total["mean"],
            lo,
            hi,
            title=f"total sales per {self.unit}: mean and {band}",
        )
        names, draws = self.level_draws("territory")
        horizon = draws.sum(axis=-1)  # (draw, territory)
        terr = pd.DataFrame(
            {
                "territory": names,
                "mean over the horizon": horizon.mean(axis=0),
                **{
                    f"q{round(100 * q)}": np.quantile(horizon, q, axis=0)
                    for q in (self.quantiles[0], self.quantiles[-1])
                },
            }
        )
        sub = (
            f"{len(self.partner_ids):,} partners in {len(self.territory_ids):,} territories "
            f"&middot; {self.n_steps} steps {self.periods[0]}..{self.periods[-1]} &middot; "
            f"{self.n_draws:,} draws &middot; origin {self.meta.get('origin', '?')}"
        )
        return card(
            "Forecast",
            sub,
            chart,
            table(total.drop(columns=["level", "id"]), max_rows=12),
            table(terr, max_rows=10),
        )

    def to_frame(self, unit: str | None = None, quantiles=None, levels=None) -> pd.DataFrame:
        """The tidy forecast table of DESIGN.md section 7.

        Columns ``level``, ``id``, ``period``, ``mean``, then ``q10``, ``q50``, ``q90`` (or
        the quantiles asked for); rows ordered total, maturity, territory, partner.

        Examples
        --------
        >>> from channelsim.datasets import draw_world
        >>> fc = forecast(draw_world(2, 10, seed=0), 3, seed=1, draws=8)
        >>> list(fc.to_frame().columns)
        ['level', 'id', 'period', 'mean', 'q10', 'q50', 'q90']
        """
        return dataset_to_frame(self.to_dataset(unit, quantiles, levels))


def _nc_safe(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, bool):
            v = int(v)
        elif isinstance(v, list | tuple) and v and all(isinstance(x, str) for x in v):
            v = list(v)
        elif isinstance(v, dict):
            import json

            v = json.dumps(v)
        out[k] = v
    return out


def _quantiles(x: np.ndarray, qs) -> np.ndarray:
    """Quantiles over axis 0 of ``(draw, ...)``, computed in blocks to bound memory."""
    D = x.shape[0]
    flat = x.reshape(D, -1)
    out = np.empty((len(qs), flat.shape[1]))
    block = max(1, (1 << 24) // max(D, 1))
    for lo in range(0, flat.shape[1], block):
        out[:, lo : lo + block] = np.quantile(flat[:, lo : lo + block], qs, axis=0)
    return out.reshape((len(qs), *x.shape[1:]))


def dataset_to_frame(ds: xr.Dataset) -> pd.DataFrame:
    """The tidy table of a summary Dataset (:meth:`Forecast.to_dataset`).

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> ds = forecast(draw_world(2, 10, seed=0), 2, seed=1, draws=4).to_dataset()
    >>> dataset_to_frame(ds).shape[0] == ds.sizes["series"] * ds.sizes["period"]
    True
    """
    qcols = [v for v in ds.data_vars if v.startswith("q") and ds[v].dims == ("series", "period")]
    qcols.sort(key=lambda n: float(n[1:].replace("_", ".")))
    S, H = ds.sizes["series"], ds.sizes["period"]
    frame = {
        "level": np.repeat(ds["level"].values.astype(str), H),
        "id": np.repeat(ds["id"].values.astype(str), H),
        "period": np.tile(ds["period"].values.astype(str), S),
        "mean": ds["mean"].values.ravel(),
    }
    for c in qcols:
        frame[c] = ds[c].values.ravel()
    return pd.DataFrame(frame)


# --------------------------------------------------------------------------- the entry
def _world_of(source, draws, seed: int = 0) -> tuple[World, dict, Any]:
    """A World from a World or a fitted model (``to_world``), its provenance, draws left.

    A model is asked for ``draws`` draws (an int) with ``seed`` choosing them; its data hash
    (``model.book.data_hash()``) and config hash (``model.config.config_hash()``) go into
    the provenance.
    """
    if isinstance(source, World):
        return source, {}, draws
    to_world = getattr(source, "to_world", None)
    if to_world is None:
        raise ForecastError(
            f"forecast needs a World or a fitted model with to_world(), got {type(source).__name__}"
        )
    import inspect

    n = None if draws is None or np.ndim(draws) else int(draws)
    kwargs = {"seed": int(seed)} if "seed" in inspect.signature(to_world).parameters else {}
    world = to_world(n, **kwargs)
    left = draws if n is None else None
    meta = {}
    candidates = {
        "model_hash": getattr(source, "model_hash", None),
        "config_hash": getattr(getattr(source, "config", None), "config_hash", None),
        "data_hash": getattr(source, "data_hash", None)
        or getattr(getattr(source, "book", None), "data_hash", None),
    }
    for name, value in candidates.items():
        value = value() if callable(value) else value
        if value is not None:
            meta[name] = str(value)
    return world, meta, left


def forecast(
    source,
    horizon: int,
    *,
    unit: str = "step",
    seed: int = 0,
    draws: int | np.ndarray | None = None,
    recruits: bool = False,
    quantiles=DEFAULT_QUANTILES,
    model_hash: str | None = None,
    progress: bool = False,
) -> Forecast:
    """Forecast sales ``horizon`` steps or quarters ahead from the state at the origin.

    Parameters
    ----------
    source : World or fitted model
        A :class:`~channelsim.world.World` (its origin is the first forecast step) or a
        fitted model with ``to_world(draws=...)`` (the origin is the period after its book).
    horizon : int
        Steps (``unit="step"``) or quarters (``unit="quarter"``, counting the quarter that
        holds the origin, partial if the origin is not its first step).
    unit : {"step", "quarter"}
        The periods of the table.
    seed : int
        Seed of the counter-based generator (same seed, same forecast).
    draws : int, array of int or None
        Posterior draws to use, one path each (see :func:`select_draws`); None uses all.
    recruits : bool
        Include partners recruited during the horizon, as one ``<territory>/new`` row per
        territory at the partner level (off by default: a forecast of the existing book).
    quantiles : sequence of float
        Default quantiles of :meth:`Forecast.to_frame` (columns ``q10`` ...).
    model_hash : str, optional
        Identity of the model for the provenance (e.g. the hash of the model file).
    progress : bool
        Show a progress bar while simulating.

    Returns
    -------
    Forecast

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> fc = forecast(draw_world(3, 30, seed=2), 2, unit="quarter", seed=7, draws=20)
    >>> df = fc.to_frame()
    >>> df[df.level == "total"][["id", "period"]].values.tolist()
    [['total', '2024Q1'], ['total', '2024Q2']]
    """
    qs = parse_quantiles(quantiles)
    world, meta, draws = _world_of(source, draws, seed)
    n_steps = horizon_steps(world, horizon, unit)
    paths = simulate_paths(
        world, n_steps, seed=seed, recruit=recruits, draws=draws, progress=progress
    )
    st = world.partner_state
    keep = np.flatnonzero((st >= 0) & (st < world.exited))
    order = keep[np.argsort(world.partner_territory[keep], kind="stable")]
    cal = world.calendar(n_steps)
    from channelsim.data._periods import quarter_freq

    qfreq = quarter_freq(world.fiscal_year_start_month)
    step_q = np.asarray(cal.quarter, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, np.diff(step_q) != 0])
    if world.steps_per_quarter == 3:
        qper = pd.PeriodIndex([cal.periods[j].asfreq(qfreq) for j in first])
    else:
        qper = pd.PeriodIndex([cal.periods[j] for j in first])
    meta = {
        **meta,
        "seed": int(seed),
        "model_hash": model_hash or meta.get("model_hash"),
        "origin": str(world.origin_period),
        "fiscal_year_start_month": int(world.fiscal_year_start_month),
        "horizon": int(horizon),
        "unit": unit,
        "n_steps": int(n_steps),
        "draws": len(paths.draw),
        "recruits": bool(recruits),
        "backend": paths.backend,
    }
    from channelsim.forecast._io import provenance

    meta = provenance(**meta)
    names = np.array(world.state_names, dtype=object)
    return Forecast(
        partner_sales=(
            paths.sales
            if np.array_equal(order, np.arange(paths.sales.shape[1]))
            else np.ascontiguousarray(paths.sales[:, order])
        ),
        new_sales=paths.new_sales,
        partner_ids=tuple(world.partner_ids[i] for i in order),
        partner_territory=world.partner_territory[order].copy(),
        partner_stage=names[st[order]],
        territory_ids=tuple(world.territory_ids),
        maturity=maturity_at_origin(world),
        periods=cal.periods,
        quarter_periods=qper,
        step_quarter=step_q,
        draw=paths.draw,
        quantiles=qs,
        unit=unit,
        meta=meta,
    )
