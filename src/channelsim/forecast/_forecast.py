"""Forecasts: simulate every posterior draw forward, aggregate the same draws to every level.

For each posterior draw of a fitted model (or each draw of a :class:`~channelsim.world.World`)
one path of the status-quo generative process is run forward from the state at the end of the
book: end-of-step transitions (advance, dormancy, reactivation, exit), the AR(1) territory
shock and each partner's hurdle and log-normal amount, and optionally new recruits. The
dynamics are never written here: paths come from the simulator's partner mode
(:mod:`channelsim.simulate`), see :func:`simulate_paths`. A world with state-space territory
dynamics (``World.time_dynamics``) runs with its time state at zero and each partner's sales
are multiplied by ``exp`` of the territory's state path drawn forward from the origin
(:meth:`channelsim.world.TerritoryStateSpace.paths`), which equals the process exactly
because the time state only scales positive amounts.

Every level is a sum of the same partner draws, so for every draw a territory equals the sum of
its partners (and of its ``<territory>/new`` recruits row when recruits are on), a channel
maturity level the sum of its territories, and the total the sum of all territories.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from channelsim._html_repr import card, svg_line, table
from channelsim._vocab import MATURITY_LEVELS, maturity_code
from channelsim.calendar import FiscalCalendar
from channelsim.provenance import record
from channelsim.rng import normalize_seed
from channelsim.simulate import simulate_partners
from channelsim.world import World, WorldSource, draw_indices, engaged_stage_mask

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
    "simulate_paths",
]

#: Levels of the forecast table, from the top.
LEVELS: tuple[str, ...] = ("total", "maturity", "territory", "partner")
#: Default quantiles of the forecast table (columns ``q10, q50, q90``).
DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)


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
        ``"simulate.simulate_partners"`` (the numba partner mode).
    """

    sales: np.ndarray
    new_sales: np.ndarray | None
    draw: np.ndarray
    backend: str


def _collapse_recruits(sales_slots, slot_territory, n_territories) -> np.ndarray:
    out = np.zeros((sales_slots.shape[0], n_territories, sales_slots.shape[2]))
    for t in range(n_territories):
        sel = slot_territory == t
        if sel.any():
            out[:, t] = sales_slots[:, sel].sum(axis=1)
    return out


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

    This is the one place the forecast touches the dynamics: it calls the simulator's partner
    mode :func:`channelsim.simulate.simulate_partners` (under the status quo it equals the
    numpy specification :func:`channelsim.world.generate` on the same seed), and for a world
    with ``time_dynamics`` multiplies the sales by ``exp`` of the territory state path (module
    docstring).

    Parameters
    ----------
    world : World
        Parameters (leading draw dim) and the state at the origin.
    n_steps : int
    seed : int
    recruit : bool
        Simulate new recruits as well (their sales are returned per territory).
    draws : int, array of int or None
        See :func:`channelsim.world.draw_indices`.
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
    seed = normalize_seed(seed)
    draw = draw_indices(world.n_draws, draws)
    dyn = world.time_dynamics
    base = world if dyn is None else replace(world, time_dynamics=None)
    res = simulate_partners(
        base, int(n_steps), seed=int(seed), recruit=bool(recruit), draws=draw, progress=progress
    )
    P, T = world.n_partners, world.n_territories
    sales = np.asarray(res.sales, dtype=np.float64)
    backend = "simulate.simulate_partners"
    if dyn is not None:
        # the time state only scales a territory's positive amounts (module docstring of
        # channelsim.world._statespace): run it at zero, then multiply by exp(x) per step
        x = dyn.paths(int(n_steps), seed=int(seed), paths=np.arange(draw.size), draw=draw)
        sales *= np.exp(x[:, np.asarray(res.territory, dtype=np.int64), :])
        backend += " x statespace"
    new = None
    if recruit:
        if sales.shape[1] > P:
            new = _collapse_recruits(sales[:, P:], np.asarray(res.territory)[P:], T)
        else:
            new = np.zeros((sales.shape[0], T, int(n_steps)))
    return PartnerPaths(np.ascontiguousarray(sales[:, :P]), new, draw, backend)


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
def _world_of(source, draws) -> tuple[World, dict]:
    """The World of a :class:`~channelsim.world.WorldSource` (a World or a fitted model)
    with the draws selected, and the source's identity for the provenance: its data hash
    (``model.book.data_hash()`` or ``data_hash``), config hash and model hash when it has
    them."""
    if not isinstance(source, WorldSource):
        raise ForecastError(
            f"forecast needs a World or a fitted model with to_world(), got {type(source).__name__}"
        )
    world = source.to_world(draws)
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
    return world, meta


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
    seed : int, numpy Generator or None
        Seed of the counter-based generator (same seed, same forecast;
        :func:`channelsim.rng.normalize_seed`: None draws fresh entropy, recorded in ``meta``).
    draws : int, array of int or None
        Posterior draws to use, one path each (:func:`channelsim.world.draw_indices`: ``n``
        evenly spaced, cycled past the draws available); None uses all.
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
    seed = normalize_seed(seed)
    world, meta = _world_of(source, draws)
    n_steps = horizon_steps(world, horizon, unit)
    paths = simulate_paths(world, n_steps, seed=seed, recruit=recruits, progress=progress)
    st = world.partner_state
    keep = np.flatnonzero((st >= 0) & (st < world.exited))
    order = keep[np.argsort(world.partner_territory[keep], kind="stable")]
    cal = world.calendar(n_steps)
    step_q = np.asarray(cal.quarter, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, np.diff(step_q) != 0])
    qper = FiscalCalendar(world.fiscal_year_start_month).quarters(cal.periods[first])
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
    meta = record(**meta)
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
