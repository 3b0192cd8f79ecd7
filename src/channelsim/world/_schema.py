"""The World schema (DESIGN.md section 3): parameters, state at the origin, labels, calendar."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from channelsim._vocab import ENGAGED_STAGES, STAGES, state_names
from channelsim.calendar import FiscalCalendar, StepCalendar
from channelsim.world._statespace import TerritoryStateSpace

__all__ = [
    "QuotaRule",
    "StepCalendar",
    "World",
    "WorldError",
    "WorldSource",
    "draw_indices",
    "engaged_stage_mask",
    "poisson_tail_quantile",
]

#: The fields of the AR(1) territory time state, all zero in a state-space world.
AR1_TIME_FIELDS = ("trend", "rho", "sigma_eta", "eta_last")

# Parameter arrays with a leading draw dimension, and the trailing dims they must have.
# Letters: T territories, S stages, K states (= S + 1), P partners, Z seasons.
_DRAW_ARRAYS: dict[str, str] = {
    "a_stage": "S",
    "a_terr": "T",
    "a_terr_stage": "TS",
    "sigma_stage": "S",
    "h_stage": "S",
    "h_terr": "T",
    "h_cap": "",
    "sd_kappa": "",
    "kappa": "P",
    "season": "Z",
    "trend": "T",
    "rho": "",
    "sigma_eta": "",
    "trans": "TKK",
    "recruit_rate": "T",
    "commit_bias": "",
    "commit_sd": "",
    "eta_last": "T",
}


def draw_indices(n_available: int, draws=None) -> np.ndarray:
    """The draws to use out of ``n_available``: the one draw selection of the package.

    ``None``: every draw once, in order. An int ``n``: ``n`` draws evenly spaced over the
    available ones (``round(linspace(0, n_available - 1, n))``, so the first and last are
    always in); when ``n`` exceeds the draws available, all of them in order, cycled
    (``arange(n) % n_available``: a forecast path per draw still gets its own random
    numbers). An array: those indices.

    Used by :meth:`World.to_world`, :meth:`channelsim.model.ChannelModel.to_world` (flat
    ``chain x draw`` indices) and the forecast's paths.

    Raises
    ------
    WorldError
        ``n < 1``, or indices outside ``[0, n_available)``.

    Examples
    --------
    >>> draw_indices(10, 4).tolist(), draw_indices(2, 5).tolist()
    ([0, 3, 6, 9], [0, 1, 0, 1, 0])
    """
    if draws is None:
        return np.arange(n_available, dtype=np.int64)
    if np.ndim(draws) == 0:
        if isinstance(draws, bool | np.bool_) or int(draws) != draws or int(draws) < 1:
            raise WorldError([f"draws must be an integer >= 1, got {draws!r}"])
        n = int(draws)
        if n >= n_available:
            return np.arange(n, dtype=np.int64) % n_available
        return np.round(np.linspace(0, n_available - 1, n)).astype(np.int64)
    idx = np.asarray(draws, dtype=np.int64).ravel()
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n_available:
        raise WorldError([f"draw indices must lie in [0, {n_available})"])
    return idx


class WorldError(ValueError):
    """An inconsistent World (wrong shapes, invalid probabilities); lists every problem."""

    is_bad_input = True

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(
            f"{len(problems)} problem(s) in the world:\n" + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class QuotaRule:
    """How territory quotas are set each quarter.

    Parameters
    ----------
    kind : {"ratchet", "forecast"}
        ``ratchet``: the quota moves toward ``(1 + growth) x`` the mean of the trailing four
        quarters' sales, by ``up`` of the gap when that target is above the last quota and by
        ``down`` when below (asymmetric: quotas rise fast and fall slowly, the ratchet that
        invites sandbagging). ``forecast``: the quota is the statistical forecast of the
        quarter (:func:`~channelsim.world.expected_sales`) times ``1 + stretch``.
    growth : float
        Planned growth over the trailing run-rate, per quarter's quota (default 0.08).
    up, down : float in [0, 1]
        Share of the gap closed upward / downward each quarter (defaults 1.0 / 0.25).
    stretch : float
        Stretch over the forecast for ``kind="forecast"`` (default 0.05).

    Examples
    --------
    >>> QuotaRule().kind
    'ratchet'
    """

    kind: Literal["ratchet", "forecast"] = "ratchet"
    growth: float = 0.08
    up: float = 1.0
    down: float = 0.25
    stretch: float = 0.05

    def __post_init__(self):
        problems = []
        if self.kind not in ("ratchet", "forecast"):
            problems.append(f"quota rule kind must be 'ratchet' or 'forecast', got {self.kind!r}")
        for name in ("up", "down"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                problems.append(f"quota rule {name} must be in [0, 1], got {v}")
        if not -0.5 < self.growth < 2.0:
            problems.append(f"quota rule growth must be in (-0.5, 2), got {self.growth}")
        if not -0.5 < self.stretch < 2.0:
            problems.append(f"quota rule stretch must be in (-0.5, 2), got {self.stretch}")
        if problems:
            raise WorldError(problems)

    @property
    def code(self) -> int:
        """0 for ratchet, 1 for forecast (for array-only kernels)."""
        return 0 if self.kind == "ratchet" else 1


@dataclass(eq=False)
class World:
    """Everything needed to run the generative process forward from an origin.

    All parameter arrays carry a leading ``draw`` dimension (posterior draws, or length 1 for a
    single parameter set). Units: sales in the panel's currency per step; log-scale effects are
    natural logs; hurdle effects are on the logit scale; ``trend`` is per step.

    Attributes
    ----------
    a_stage : (draw, stage)
        Log amount of a positive sale by lifecycle stage.
    a_terr : (draw, territory)
        Territory effect on the log amount.
    a_terr_stage : (draw, territory, stage)
        Territory x stage interaction on the log amount.
    sigma_stage : (draw, stage)
        Log-normal scale of the amount by stage (> 0).
    h_stage, h_terr : (draw, stage), (draw, territory)
        Hurdle (``P(sales > 0)``) logits by stage and territory.
    h_cap : (draw,)
        Effect of partner capability ``kappa`` on the hurdle logit.
    sd_kappa : (draw,)
        Standard deviation of partner capability; recruits draw ``kappa ~ Normal(0, sd_kappa)``.
    kappa : (draw, partner)
        Capability of each partner at the origin (log scale, shared by hurdle and amount).
    season : (draw, season)
        Seasonal effect on the log amount: 12 months for monthly panels, 4 quarters for
        quarterly ones, indexed by the calendar month / quarter of the step.
    trend : (draw, territory)
        Per-step log growth, multiplied by ``m`` (steps since the trend origin).
    rho, sigma_eta : (draw,)
        AR(1) coefficient and innovation scale of the territory shock ``eta``.
    trans : (draw, territory, state, state)
        End-of-step transition probabilities from -> to over :attr:`state_names` (rows sum to 1;
        the ``exited`` row is absorbing).
    recruit_rate : (draw, territory)
        Expected recruits per territory and step (Poisson).
    commit_bias, commit_sd : (draw,)
        ``log commit = log expected_sales + commit_bias + commit_sd * z``.
    partner_territory : (partner,) int
        Territory index of each partner.
    partner_state : (partner,) int
        State of each partner during the step before the origin (the last observed step).
        Step 0 of a run starts with the end-of-step transition from it.
    eta_last : (draw, territory)
        Territory shock during the step before the origin.
    trailing_sales : (territory, 4)
        Territory sales of the last four quarters before the origin, oldest first.
    target_partners : (territory,)
        Engaged partners (active, productive, strategic) a territory plan calls for.
    partner_ids, territory_ids, stage_names : tuple of str
    origin_period : pandas.Period
        The first step to simulate (freq ``M`` or ``Q``).
    steps_per_quarter : int
        3 for monthly, 1 for quarterly worlds.
    fiscal_year_start_month : int
        First month of the fiscal year (1-12).
    origin_step : int
        Value of ``m`` (steps since the trend's zero) at the origin.
    quota_rule : QuotaRule
        The status-quo quota rule.
    last_quota : (territory,) or None
        The quarterly quota in force before the origin; ``None`` means
        ``(1 + growth) x mean(trailing_sales)``.
    max_recruits : int or None
        Recruit slots per territory and step; ``None`` derives a cap that the Poisson count
        exceeds with probability below 1e-9 (see :meth:`recruit_slots`).
    time_dynamics : TerritoryStateSpace or None
        ``None`` (default): the territory time state is ``trend[t] m + eta[t, m]`` with the
        AR(1) shock. Set: the structural state-space dynamics of
        :mod:`channelsim.world._statespace` (local level, damped trend, territory seasonal
        deviation), and ``trend``, ``rho``, ``sigma_eta`` and ``eta_last`` must be zero.
        Forecasts (:func:`channelsim.forecast.forecast`) run it; the policy simulator
        refuses it for now.
    """

    a_stage: np.ndarray
    a_terr: np.ndarray
    a_terr_stage: np.ndarray
    sigma_stage: np.ndarray
    h_stage: np.ndarray
    h_terr: np.ndarray
    h_cap: np.ndarray
    sd_kappa: np.ndarray
    kappa: np.ndarray
    season: np.ndarray
    trend: np.ndarray
    rho: np.ndarray
    sigma_eta: np.ndarray
    trans: np.ndarray
    recruit_rate: np.ndarray
    commit_bias: np.ndarray
    commit_sd: np.ndarray
    partner_territory: np.ndarray
    partner_state: np.ndarray
    eta_last: np.ndarray
    trailing_sales: np.ndarray
    target_partners: np.ndarray
    partner_ids: tuple[str, ...]
    territory_ids: tuple[str, ...]
    stage_names: tuple[str, ...] = STAGES
    origin_period: pd.Period = field(default_factory=lambda: pd.Period("2024-01", freq="M"))
    steps_per_quarter: int = 3
    fiscal_year_start_month: int = 1
    origin_step: int = 0
    quota_rule: QuotaRule = field(default_factory=QuotaRule)
    last_quota: np.ndarray | None = None
    max_recruits: int | None = None
    time_dynamics: TerritoryStateSpace | None = None

    def __post_init__(self):
        for name in _DRAW_ARRAYS:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        self.partner_territory = np.asarray(self.partner_territory, dtype=np.int64)
        self.partner_state = np.asarray(self.partner_state, dtype=np.int64)
        self.trailing_sales = np.asarray(self.trailing_sales, dtype=np.float64)
        self.target_partners = np.asarray(self.target_partners, dtype=np.float64)
        if self.last_quota is not None:
            self.last_quota = np.asarray(self.last_quota, dtype=np.float64)
        self.partner_ids = tuple(str(p) for p in self.partner_ids)
        self.territory_ids = tuple(str(t) for t in self.territory_ids)
        self.stage_names = tuple(self.stage_names)
        if not isinstance(self.origin_period, pd.Period):
            self.origin_period = pd.Period(self.origin_period)
        self.validate()

    # -- sizes -------------------------------------------------------------------------------
    @property
    def n_draws(self) -> int:
        return int(self.a_stage.shape[0])

    @property
    def n_territories(self) -> int:
        return len(self.territory_ids)

    @property
    def n_partners(self) -> int:
        return len(self.partner_ids)

    @property
    def n_stages(self) -> int:
        return len(self.stage_names)

    @property
    def state_names(self) -> tuple[str, ...]:
        return state_names(self.stage_names)

    @property
    def n_states(self) -> int:
        return self.n_stages + 1

    @property
    def exited(self) -> int:
        """State code of ``exited`` (always the last state)."""
        return self.n_stages

    @property
    def has_stages(self) -> bool:
        return self.n_stages > 1

    @property
    def n_seasons(self) -> int:
        return 4 * self.steps_per_quarter

    def recruit_slots(self) -> int:
        """Recruit slots per territory-step: ``max_recruits`` or a cap from the largest rate.

        The derived cap is ``k + 1`` for the smallest ``k`` with ``P(Poisson(max rate) > k) <=
        1e-9`` (:func:`poisson_tail_quantile`; equal to ``scipy.stats.poisson(lam).isf(1e-9)``,
        which a test holds, without importing :mod:`scipy` on a fresh process's path).

        Examples
        --------
        >>> from channelsim.datasets import example_world
        >>> example_world().recruit_slots() >= 1
        True
        """
        if self.max_recruits is not None:
            return int(self.max_recruits)
        lam = float(self.recruit_rate.max(initial=0.0))
        if not lam > 0:
            return 1
        return int(max(1, poisson_tail_quantile(lam, 1e-9) + 1))

    # -- checks ------------------------------------------------------------------------------
    def validate(self) -> None:
        """Check shapes and probabilities; raise :class:`WorldError` listing every problem."""
        problems: list[str] = []
        D = self.a_stage.shape[0] if self.a_stage.ndim else -1
        dims = {
            "T": self.n_territories,
            "S": self.n_stages,
            "K": self.n_states,
            "P": self.n_partners,
            "Z": self.n_seasons,
        }
        bad: set[str] = set()  # arrays with a wrong shape: their values are not checked
        for name, letters in _DRAW_ARRAYS.items():
            arr = getattr(self, name)
            expected = (D, *(dims[c] for c in letters))
            if arr.shape != expected:
                bad.add(name)
                problems.append(
                    f"{name}: expected shape {expected} (draw, {letters or '-'}), got {arr.shape}"
                )
            elif not np.all(np.isfinite(arr)):
                bad.add(name)
                problems.append(f"{name}: contains NaN or infinite values")
        for name, shape in (
            ("partner_territory", (dims["P"],)),
            ("partner_state", (dims["P"],)),
            ("trailing_sales", (dims["T"], 4)),
            ("target_partners", (dims["T"],)),
        ):
            if getattr(self, name).shape != shape:
                bad.add(name)
                problems.append(f"{name}: expected shape {shape}, got {getattr(self, name).shape}")
        if self.last_quota is not None and self.last_quota.shape != (dims["T"],):
            problems.append(
                f"last_quota: expected shape {(dims['T'],)}, got {self.last_quota.shape}"
            )
        if self.steps_per_quarter not in (1, 3):
            problems.append(f"steps_per_quarter must be 1 or 3, got {self.steps_per_quarter}")
        if not 1 <= self.fiscal_year_start_month <= 12:
            problems.append("fiscal_year_start_month must be in 1..12")
        freq = "M" if self.steps_per_quarter == 3 else "Q"
        if not self.origin_period.freqstr.startswith(freq):
            problems.append(f"origin_period {self.origin_period} must have freq {freq}")
        if self.stage_names not in (STAGES, ("active",)):
            problems.append(f"stage_names must be {STAGES} or ('active',), got {self.stage_names}")
            bad.add("stage_names")

        def ok(*names: str) -> bool:
            return not bad.intersection(names)

        if ok("sigma_stage", "sd_kappa", "sigma_eta") and (
            np.any(self.sigma_stage <= 0) or np.any(self.sd_kappa < 0) or np.any(self.sigma_eta < 0)
        ):
            problems.append("sigma_stage must be > 0; sd_kappa and sigma_eta >= 0")
        if ok("recruit_rate") and np.any(self.recruit_rate < 0):
            problems.append("recruit_rate must be >= 0")
        if ok("rho") and np.any(np.abs(self.rho) >= 1):
            problems.append("rho must be in (-1, 1)")
        if ok("trans", "stage_names"):
            if np.any(self.trans < 0) or not np.allclose(self.trans.sum(-1), 1.0, atol=1e-9):
                problems.append("trans rows must be probabilities summing to 1")
            elif np.any(self.trans[:, :, self.exited, self.exited] != 1.0):
                problems.append("trans: the exited state must be absorbing")
        pt, ps = self.partner_territory, self.partner_state
        if ok("partner_territory") and pt.size and (pt.min() < 0 or pt.max() >= dims["T"]):
            problems.append("partner_territory: indices out of range")
        if (
            ok("partner_state", "stage_names")
            and ps.size
            and (ps.min() < 0 or ps.max() >= dims["K"])
        ):
            problems.append("partner_state: state codes out of range")
        if ok("target_partners") and np.any(self.target_partners <= 0):
            problems.append("target_partners must be > 0")
        if self.time_dynamics is not None:
            problems += self.time_dynamics.problems(D, dims["T"], dims["Z"])
            nonzero = [n for n in AR1_TIME_FIELDS if n not in bad and np.any(getattr(self, n) != 0)]
            if nonzero:
                problems.append(
                    "a world with state-space time_dynamics must have zero "
                    + ", ".join(nonzero)
                    + " (the state carries level, trend and shocks)"
                )
        if problems:
            raise WorldError(problems)

    def without_ar1_time(self) -> World:
        """This world with its AR(1) time state (:data:`AR1_TIME_FIELDS`) at zero: the form a
        world takes under state-space ``time_dynamics``, whose state carries level, trend and
        shocks instead.

        Examples
        --------
        >>> from channelsim.datasets import draw_world
        >>> w = draw_world(2, 10, seed=0).without_ar1_time()
        >>> float(abs(w.rho).max() + abs(w.eta_last).max())
        0.0
        """
        return replace(self, **{n: np.zeros_like(getattr(self, n)) for n in AR1_TIME_FIELDS})

    def refuse_time_dynamics(self, what: str) -> None:
        """Raise :class:`WorldError` when this world's time state is the state-space form,
        which ``what`` does not run (only :mod:`channelsim.forecast` does)."""
        if self.time_dynamics is not None:
            raise WorldError(
                [
                    f"{what} does not run state-space territory dynamics (world.time_dynamics "
                    "is set, from a model fitted with territory_dynamics='statespace'); "
                    "forecast such a world with channelsim.forecast, or pass "
                    "dataclasses.replace(world, time_dynamics=None) to run it without its "
                    "time state"
                ]
            )

    @property
    def has_time_dynamics(self) -> bool:
        """Whether the territory time state is the state-space form (``time_dynamics``)."""
        return self.time_dynamics is not None

    # -- helpers -----------------------------------------------------------------------------
    def select_draws(self, idx) -> World:
        """A World holding only the given draws (indices into the draw dimension)."""
        idx = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        extra = {}
        if self.time_dynamics is not None:
            extra["time_dynamics"] = self.time_dynamics.select(idx)
        return replace(self, **{name: getattr(self, name)[idx] for name in _DRAW_ARRAYS}, **extra)

    def to_world(self, draws=None) -> World:
        """This World with the draws :func:`draw_indices` selects (itself for None), so a
        plain World is a :class:`WorldSource` like a fitted model.

        Examples
        --------
        >>> from channelsim.datasets import draw_world
        >>> draw_world(2, 5, seed=0).to_world(3).n_draws
        3
        """
        if draws is None:
            return self
        return self.select_draws(draw_indices(self.n_draws, draws))

    def first_quota(self) -> np.ndarray:
        """The quota in force before the origin (``last_quota`` or its default)."""
        if self.last_quota is not None:
            return self.last_quota.copy()
        return (1.0 + self.quota_rule.growth) * self.trailing_sales.mean(axis=1)

    def calendar(self, n_steps: int) -> StepCalendar:
        """Calendar of ``n_steps`` steps from the origin."""
        return FiscalCalendar(self.fiscal_year_start_month).steps(
            self.origin_period, n_steps, self.steps_per_quarter, self.origin_step
        )

    def to_dict(self) -> dict:
        """The fields as a plain dict (arrays are not copied)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@runtime_checkable
class WorldSource(Protocol):
    """Something that yields posterior draws of a :class:`World`.

    A plain World (:meth:`World.to_world`) and a fitted
    :class:`channelsim.model.ChannelModel` satisfy it; :func:`channelsim.forecast.forecast`
    takes either. ``draws`` has the meaning of :func:`draw_indices`.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> isinstance(draw_world(2, 5, seed=0), WorldSource)
    True
    """

    def to_world(self, draws=None) -> World: ...


def engaged_stage_mask(stage_names: tuple[str, ...]) -> np.ndarray:
    """Boolean mask over states: the stages counted as engaged for channel coverage.

    Engaged stages are ``active``, ``productive`` and ``strategic``. One-stage worlds have no
    channel maturity; their mask marks ``active`` so coverage is still defined.
    """
    names = state_names(stage_names)
    engaged = set(ENGAGED_STAGES)
    return np.array([n in engaged for n in names], dtype=bool)


def poisson_tail_quantile(lam: float, tail: float) -> int:
    """The smallest ``k`` with ``P(Poisson(lam) > k) <= tail`` (scipy's ``poisson.isf``).

    The upper tail is summed directly from the mode outwards in log space, so it stays
    accurate where ``1 - cdf`` would cancel; used to size buffers, not for inference.

    Examples
    --------
    >>> poisson_tail_quantile(2.0, 1e-9)
    15
    >>> poisson_tail_quantile(0.0, 1e-9)
    0
    """
    if not lam > 0:
        return 0
    logpmf = lambda k: k * math.log(lam) - lam - math.lgamma(k + 1.0)  # noqa: E731
    # P(X > k) for k from a point far in the tail downwards, accumulated until it exceeds the
    # tail: the answer is the last k whose tail is still <= tail.
    k = int(lam + 12.0 * math.sqrt(lam) + 40.0)
    sf = 0.0  # P(X > k), negligible this far out
    while k >= 0:
        sf_next = sf + math.exp(logpmf(k))  # P(X > k - 1)
        if sf_next > tail:
            return k
        sf = sf_next
        k -= 1
    return 0
