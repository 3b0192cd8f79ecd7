"""The levers of a channel-management policy: hiring, onboarding, KPIs, pay and quotas.

Each lever is a small frozen dataclass, validated on construction (a :class:`PolicyError`
lists every problem), with named presets (``Lever.preset(name)``, ``Lever.preset_names()``)
and the costs it brings. The quota lever is :class:`channelsim.world.QuotaRule` itself, with
presets in :data:`QUOTA_PRESETS`.

CAM tasks, in the order every task vector uses (:data:`TASKS`):

* ``recruit`` — find and sign partners that fill gaps in the territory plan;
* ``enable`` — onboard and enable partners (training, first deals, business plans);
* ``develop`` — develop engaged partners (account reviews, joint plans, executive sponsorship);
* ``co_sell`` — work partners' deals alongside them (the direct-sales behaviour);
* ``forecast`` — pipeline inspection and calibrated commits.

Every default is an assumption unless its docstring cites evidence; ``docs/simulator.md``
lists them all.

Depends only on numpy and :mod:`channelsim.world` (never PyMC).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar

from channelsim._vocab import MATURITY_LEVELS
from channelsim.policy._errors import PolicyError
from channelsim.world import QuotaRule, WorldError

__all__ = [
    "ACTIVITY_CAP",
    "ACTIVITY_SPLIT",
    "QUOTA_PRESETS",
    "TASKS",
    "CompensationPlan",
    "HiringProfile",
    "KPIScheme",
    "OnboardingProgramme",
    "quota_label",
    "quota_preset",
]

#: CAM tasks, the order of every task vector.
TASKS: tuple[str, ...] = ("recruit", "enable", "develop", "co_sell", "forecast")

#: How the *activity* component of a pay plan is split over the territory-building tasks
#: (recruit, enable, develop) at each channel maturity: a nascent territory's plan pays for
#: recruiting, a building one for enabling, developing and mature ones for developing
#: partners. Rows: :data:`channelsim._vocab.MATURITY_LEVELS`. Assumption.
ACTIVITY_SPLIT: tuple[tuple[float, float, float], ...] = (
    (0.60, 0.30, 0.10),
    (0.30, 0.50, 0.20),
    (0.15, 0.35, 0.50),
    (0.10, 0.30, 0.60),
)

#: Cap of each activity result's score, in multiples of its target (as the revenue
#: payout's cap of 2). Assumption.
ACTIVITY_CAP = 2.0


# -- validation helpers ----------------------------------------------------------------------
def _finite(problems: list[str], what: str, value, lo=None, hi=None, lo_open=False) -> None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        problems.append(f"{what} must be a number, got {value!r}")
        return
    if math.isnan(v) or (math.isinf(v) and not (hi is None and v > 0)):
        problems.append(f"{what} must be finite, got {value!r}")
        return
    if lo is not None and (v <= lo if lo_open else v < lo):
        problems.append(f"{what} must be {'>' if lo_open else '>='} {lo}, got {value!r}")
    if hi is not None and v > hi:
        problems.append(f"{what} must be <= {hi}, got {value!r}")


def _vector(problems: list[str], what: str, value, n: int, lo=0.0, lo_open=False) -> tuple:
    try:
        vec = tuple(float(x) for x in value)
    except (TypeError, ValueError):
        problems.append(f"{what} must be {n} numbers, got {value!r}")
        return tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if len(vec) != n:
        problems.append(f"{what} must have {n} values, got {len(vec)}")
        return vec
    for i, x in enumerate(vec):
        _finite(problems, f"{what}[{i}]", x, lo=lo, lo_open=lo_open)
    return vec


def _rows(problems: list[str], what: str, value, n_cols: int, names=None) -> tuple:
    """A matrix with one row per channel maturity; each row non-negative and summing to 1."""
    names = names or MATURITY_LEVELS
    try:
        rows = tuple(tuple(float(x) for x in row) for row in value)
    except (TypeError, ValueError):
        problems.append(f"{what} must be {len(names)} rows of {n_cols} numbers, got {value!r}")
        return ()
    if len(rows) != len(names):
        problems.append(f"{what} must have {len(names)} rows ({', '.join(names)}), got {len(rows)}")
        return rows
    for name, row in zip(names, rows, strict=True):
        if len(row) != n_cols:
            problems.append(f"{what}[{name}] must have {n_cols} values, got {len(row)}")
            continue
        if any(not math.isfinite(x) or x < 0 for x in row):
            problems.append(f"{what}[{name}] must be finite and >= 0, got {row}")
        elif abs(sum(row) - 1.0) > 1e-6:
            problems.append(f"{what}[{name}] must sum to 1, got {sum(row):.6g}")
    return rows


def _name(problems: list[str], value) -> None:
    if not isinstance(value, str) or not value:
        problems.append(f"name must be a non-empty string, got {value!r}")


class _Lever:
    """Shared behaviour of the lever dataclasses: presets, dict round trip."""

    _PRESETS: ClassVar[dict[str, Any]] = {}
    _KIND = "lever"

    @classmethod
    def preset(cls, name: str):
        """The named preset; a :class:`PolicyError` lists the valid names."""
        presets = cls._presets()
        if name not in presets:
            raise PolicyError(
                [f"unknown {cls._KIND} preset {name!r}; choose from {', '.join(presets)}"]
            )
        return presets[name]

    @classmethod
    def preset_names(cls) -> tuple[str, ...]:
        """Names of the presets, status quo first."""
        return tuple(cls._presets())

    @classmethod
    def _presets(cls) -> dict:
        return cls._PRESETS

    def to_dict(self) -> dict:
        """Plain-Python fields (tuples as lists), for JSON and scenario files."""
        out = asdict(self)
        return {k: _listify(v) for k, v in out.items()}

    @classmethod
    def from_dict(cls, d: dict):
        """Build from :meth:`to_dict` output; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise PolicyError(
                [f"unknown {cls._KIND} field(s) {unknown}; valid: {sorted(known)}"], cls._KIND
            )
        return cls(**d)

    def replace(self, **changes):
        """A copy with some fields changed (validated)."""
        return replace(self, **changes)

    @property
    def label(self) -> str:
        """The label naming this lever in result coordinates (its ``name``)."""
        return self.name  # type: ignore[attr-defined]


def _listify(v):
    if isinstance(v, tuple):
        return [_listify(x) for x in v]
    return v


# -- hiring -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HiringProfile(_Lever):
    """Who is hired into a vacant channel-manager (CAM) seat.

    Parameters
    ----------
    name : str
        Label of the profile in results.
    skills : 5 floats > 0
        Productivity per task (:data:`TASKS`) relative to a typical CAM (1.0). Assumption: a
        direct-sales rep profile is strong at closing (``co_sell``) and weak at recruiting and
        enabling partners; a channel-manager profile (closer to a frontline sales manager) the
        reverse.
    time_to_fill_months : float >= 0
        Mean months a seat stays vacant after a CAM quits (at least one step). Assumption:
        about 3 months for sales roles.
    attrition_per_year : float in [0, 1)
        Probability that a CAM at or above quota quits within a year; the hazard rises with
        low attainment (:attr:`EffectSizes.attrition_attainment`). Assumption: 20% a year,
        within the 15-35% commonly reported for sales roles.
    pay_premium : float > -1
        Pay of a CAM hired on this profile relative to the plan's target pay (0.1 = 10% more).
        Incumbents keep the status-quo pay. Assumption.
    cost_per_hire : float >= 0
        Recruiting cost of one hire (currency). Assumption: 25,000 (agency fee ~20% of base).

    Examples
    --------
    >>> HiringProfile.preset("channel_manager").skills[0] > HiringProfile().skills[0]
    True
    """

    name: str = "direct_rep"
    skills: tuple[float, ...] = (0.7, 0.7, 0.8, 1.2, 0.8)
    time_to_fill_months: float = 3.0
    attrition_per_year: float = 0.20
    pay_premium: float = 0.0
    cost_per_hire: float = 25_000.0

    _KIND = "hiring profile"

    def __post_init__(self):
        problems: list[str] = []
        _name(problems, self.name)
        object.__setattr__(
            self, "skills", _vector(problems, "skills", self.skills, len(TASKS), lo_open=True)
        )
        _finite(problems, "time_to_fill_months", self.time_to_fill_months, lo=0.0, hi=60.0)
        _finite(problems, "attrition_per_year", self.attrition_per_year, lo=0.0, hi=0.99)
        _finite(problems, "pay_premium", self.pay_premium, lo=-1.0, lo_open=True, hi=5.0)
        _finite(problems, "cost_per_hire", self.cost_per_hire, lo=0.0, hi=1e9)
        if problems:
            raise PolicyError(problems, self._KIND)


HiringProfile._PRESETS = {
    "direct_rep": HiringProfile(),
    "channel_manager": HiringProfile(
        name="channel_manager",
        skills=(1.1, 1.2, 1.2, 0.9, 1.1),
        time_to_fill_months=4.0,
        attrition_per_year=0.15,
        pay_premium=0.10,
        cost_per_hire=30_000.0,
    ),
}


# -- onboarding -------------------------------------------------------------------------------
@dataclass(frozen=True)
class OnboardingProgramme(_Lever):
    """How new CAMs are onboarded and trained (and, optionally, incumbents retrained).

    The programme belongs to the CAMs it onboards: a CAM hired after the origin ramps and is
    trained under it; the CAMs in their seats at the origin keep the status quo's training
    until they leave, unless the programme retrains them (``retrain_incumbents``), at a cost.

    Parameters
    ----------
    name : str
    ramp_months : float >= 0
        Months from hire to full productivity (a linear ramp). Evidence: CAMs ramp in about
        6 months (DESIGN.md section 4).
    ramp_start : float in [0, 1]
        Productivity in the first step after hire, as a share of full. Assumption: 0.25.
    training : 5 floats > 0
        Productivity multipliers per task (:data:`TASKS`) that the programme gives the CAMs
        it onboards. Assumption.
    cost_per_hire : float >= 0
        Onboarding cost of one new CAM. Assumption.
    cost_per_cam_quarter : float >= 0
        Ongoing enablement cost per filled seat and quarter. Assumption.
    retrain_incumbents : bool
        Whether the CAMs in their seats at the origin are retrained: they get the
        programme's ``training`` from the origin (their skills stay the status quo's hiring
        profile's). Default False: incumbents keep the status quo's training.
    retrain_cost_per_cam : float >= 0
        Cost of retraining one incumbent, booked in the first quarter (per territory seat)
        when ``retrain_incumbents``. Assumption: 12,000 (a two-week programme plus time
        out of the territory).

    Examples
    --------
    >>> OnboardingProgramme.preset("channel").ramp_months
    4.5
    >>> OnboardingProgramme.preset("channel").replace(retrain_incumbents=True).retrain_incumbents
    True
    """

    name: str = "direct_sales"
    ramp_months: float = 6.0
    ramp_start: float = 0.25
    training: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    cost_per_hire: float = 8_000.0
    cost_per_cam_quarter: float = 0.0
    retrain_incumbents: bool = False
    retrain_cost_per_cam: float = 12_000.0

    _KIND = "onboarding programme"

    def __post_init__(self):
        problems: list[str] = []
        _name(problems, self.name)
        _finite(problems, "ramp_months", self.ramp_months, lo=0.0, hi=60.0)
        _finite(problems, "ramp_start", self.ramp_start, lo=0.0, hi=1.0)
        object.__setattr__(
            self,
            "training",
            _vector(problems, "training", self.training, len(TASKS), lo_open=True),
        )
        _finite(problems, "cost_per_hire", self.cost_per_hire, lo=0.0, hi=1e9)
        _finite(problems, "cost_per_cam_quarter", self.cost_per_cam_quarter, lo=0.0, hi=1e9)
        if not isinstance(self.retrain_incumbents, bool):
            problems.append(
                f"retrain_incumbents must be true or false, got {self.retrain_incumbents!r}"
            )
        _finite(problems, "retrain_cost_per_cam", self.retrain_cost_per_cam, lo=0.0, hi=1e9)
        if problems:
            raise PolicyError(problems, self._KIND)


OnboardingProgramme._PRESETS = {
    "direct_sales": OnboardingProgramme(),
    "channel": OnboardingProgramme(
        name="channel",
        ramp_months=4.5,
        ramp_start=0.35,
        training=(1.2, 1.3, 1.25, 1.0, 1.1),
        cost_per_hire=20_000.0,
        cost_per_cam_quarter=2_500.0,
    ),
}


# -- KPIs -------------------------------------------------------------------------------------
def _kpi_rows(row):
    return tuple(tuple(row) for _ in MATURITY_LEVELS)


@dataclass(frozen=True)
class KPIScheme(_Lever):
    """What a CAM is measured on (the non-pay part of the incentive), by channel maturity.

    Parameters
    ----------
    name : str
    weights : 4 rows of 5 weights
        One row per channel maturity (nascent, building, developing, mature) over
        :data:`TASKS`; each row sums to 1. The fixed part of pay (``1 - variable_share``)
        rewards these (reviews, promotion, bonus pool), so they enter the pay weights.
    cost_per_territory_quarter : float >= 0
        Measurement and reporting overhead per territory and quarter. Assumption.

    Examples
    --------
    >>> KPIScheme.preset("maturity_based").weights[0][0]  # nascent: mostly recruiting
    0.45
    """

    name: str = "revenue_only"
    weights: tuple[tuple[float, ...], ...] = field(
        default_factory=lambda: _kpi_rows((0.0, 0.0, 0.0, 1.0, 0.0))
    )
    cost_per_territory_quarter: float = 0.0

    _KIND = "KPI scheme"

    def __post_init__(self):
        problems: list[str] = []
        _name(problems, self.name)
        object.__setattr__(self, "weights", _rows(problems, "weights", self.weights, len(TASKS)))
        _finite(
            problems, "cost_per_territory_quarter", self.cost_per_territory_quarter, lo=0, hi=1e9
        )
        if problems:
            raise PolicyError(problems, self._KIND)


KPIScheme._PRESETS = {
    "revenue_only": KPIScheme(),
    "maturity_based": KPIScheme(
        name="maturity_based",
        weights=(
            (0.45, 0.30, 0.05, 0.15, 0.05),
            (0.25, 0.40, 0.15, 0.15, 0.05),
            (0.10, 0.20, 0.40, 0.25, 0.05),
            (0.05, 0.10, 0.30, 0.45, 0.10),
        ),
        cost_per_territory_quarter=1_500.0,
    ),
    "forecast_accuracy": KPIScheme(
        name="forecast_accuracy",
        weights=_kpi_rows((0.0, 0.0, 0.0, 0.7, 0.3)),
        cost_per_territory_quarter=500.0,
    ),
}


# -- compensation -----------------------------------------------------------------------------
def _comp_rows(rev, act, fc):
    return tuple((rev, act, fc) for _ in MATURITY_LEVELS)


@dataclass(frozen=True)
class CompensationPlan(_Lever):
    """How a CAM is paid: pay mix, components by channel maturity, payout curve, forecast bonus.

    The revenue component pays ``payout(attainment)`` times its target:

    .. math::

        \\text{payout}(a) = \\begin{cases} 0 & a < \\text{threshold} \\\\
            a & \\text{threshold} \\le a < 1 \\\\
            1 + \\text{accelerator}\\,(\\min(a, \\text{cap}) - 1) & a \\ge 1 \\end{cases}

    The activity component pays for the territory-building *results* a KPI scheme counts,
    per territory-quarter: partners recruited into gaps of the territory plan (while its
    coverage is below 1), partners advanced from onboarding (to enabled or beyond) and
    partner business plans completed, each scored against the plan's ``activity_targets``
    and capped at :data:`ACTIVITY_CAP` times target, then weighted by ``activity_split``
    (recruit, enable, develop) at the territory's channel maturity:
    ``sum_k split[m, k] min(cap, results_k / target_k)``;
    the forecast component pays ``max(0, 1 - commit APE / 0.25)``. The optional Gonik bonus
    (Gonik 1978, HBR) pays, in attainment units with commit ``c`` and actual ``a``,
    ``c + 0.5 (a - c)`` when ``a >= c`` and ``c - 1.5 (c - a)`` below, floored at 0: pay
    rises with the forecast, over-delivery pays less than forecasting it would have and
    under-delivery costs more, so an honest forecast maximises expected pay.

    Parameters
    ----------
    name : str
    target_pay : float > 0
        On-target pay per CAM and quarter (currency). Assumption: 50,000.
    variable_share : float in [0, 1]
        Share of target pay that is variable (the pay mix). Assumption: 0.5.
    weights : 4 rows of (revenue, activity, forecast)
        The variable pay's components by channel maturity (rows sum to 1).
    threshold : float in [0, 1]
        Attainment below which the revenue component pays nothing. Assumption: 0.5.
    accelerator : float >= 0
        Payout slope above 100% attainment. Assumption: 1.5.
    cap : float >= 1 or inf
        Attainment above which the revenue payout stops growing (``inf``: uncapped).
        Assumption: 2.0.
    gonik : float >= 0
        Gonik forecast bonus as a share of target pay (0: none).
    activity_split : 4 rows of (recruit, enable, develop)
        How the activity component is split over the territory-building results at each
        channel maturity (rows sum to 1). Default :data:`ACTIVITY_SPLIT` (assumption).
    activity_targets : 3 floats > 0
        On-target results per territory-quarter: (partners recruited into gaps, partners
        advanced from onboarding, business plans completed). Assumption: (0.65, 0.7, 0.5),
        what a status-quo CAM achieves on the example world (0.65, 0.69 and 0.51 per
        territory-quarter; 6 paths x 36 months, seed 1).

    Examples
    --------
    >>> plan = CompensationPlan.preset("territory_building")
    >>> plan.weights[0]
    (0.3, 0.6, 0.1)
    """

    name: str = "revenue_heavy"
    target_pay: float = 50_000.0
    variable_share: float = 0.5
    weights: tuple[tuple[float, ...], ...] = field(
        default_factory=lambda: _comp_rows(1.0, 0.0, 0.0)
    )
    threshold: float = 0.5
    accelerator: float = 1.5
    cap: float = 2.0
    gonik: float = 0.0
    activity_split: tuple[tuple[float, ...], ...] = ACTIVITY_SPLIT
    activity_targets: tuple[float, ...] = (0.65, 0.7, 0.5)

    _KIND = "compensation plan"

    def __post_init__(self):
        problems: list[str] = []
        _name(problems, self.name)
        _finite(problems, "target_pay", self.target_pay, lo=0.0, lo_open=True, hi=1e9)
        _finite(problems, "variable_share", self.variable_share, lo=0.0, hi=1.0)
        object.__setattr__(
            self,
            "weights",
            _rows(problems, "weights (revenue, activity, forecast)", self.weights, 3),
        )
        _finite(problems, "threshold", self.threshold, lo=0.0, hi=1.0)
        _finite(problems, "accelerator", self.accelerator, lo=0.0, hi=10.0)
        _finite(problems, "cap", self.cap, lo=1.0)
        _finite(problems, "gonik", self.gonik, lo=0.0, hi=1.0)
        object.__setattr__(
            self,
            "activity_split",
            _rows(problems, "activity_split (recruit, enable, develop)", self.activity_split, 3),
        )
        object.__setattr__(
            self,
            "activity_targets",
            _vector(problems, "activity_targets", self.activity_targets, 3, lo_open=True),
        )
        if problems:
            raise PolicyError(problems, self._KIND)


CompensationPlan._PRESETS = {
    "revenue_heavy": CompensationPlan(),
    "territory_building": CompensationPlan(
        name="territory_building", weights=_comp_rows(0.3, 0.6, 0.1)
    ),
    "maturity_shift": CompensationPlan(
        name="maturity_shift",
        weights=((0.2, 0.7, 0.1), (0.35, 0.55, 0.1), (0.6, 0.3, 0.1), (0.85, 0.05, 0.1)),
    ),
    "uncapped": CompensationPlan(name="uncapped", cap=math.inf),
    "gonik": CompensationPlan(name="gonik", gonik=0.10),
}


# -- quotas -----------------------------------------------------------------------------------
#: Named quota rules. ``ratchet`` is the world's default (the usual status quo).
QUOTA_PRESETS: dict[str, QuotaRule] = {
    "ratchet": QuotaRule(),
    "ratchet_soft": QuotaRule(up=0.5, down=0.5),
    "forecast": QuotaRule(kind="forecast"),
}


def quota_preset(name: str) -> QuotaRule:
    """The named quota rule (:data:`QUOTA_PRESETS`).

    Examples
    --------
    >>> quota_preset("forecast").kind
    'forecast'
    """
    if name not in QUOTA_PRESETS:
        raise PolicyError(
            [f"unknown quota preset {name!r}; choose from {', '.join(QUOTA_PRESETS)}"],
            "quota rule",
        )
    return QUOTA_PRESETS[name]


def quota_label(rule: QuotaRule) -> str:
    """A preset's name, or the rule's kind and the fields that differ from its defaults.

    Examples
    --------
    >>> quota_label(QuotaRule(up=0.7))
    'ratchet(up=0.7)'
    """
    for name, preset in QUOTA_PRESETS.items():
        if rule == preset:
            return name
    default = QuotaRule(kind=rule.kind)
    diff = [
        f"{f.name}={getattr(rule, f.name):.4g}"
        for f in fields(rule)
        if f.name != "kind" and getattr(rule, f.name) != getattr(default, f.name)
    ]
    return f"{rule.kind}({','.join(diff)})"


def _quota_from_dict(d: dict) -> QuotaRule:
    known = {f.name for f in fields(QuotaRule)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise PolicyError([f"unknown quota rule field(s) {unknown}; valid: {sorted(known)}"])
    try:
        return QuotaRule(**d)
    except WorldError as err:
        raise PolicyError(err.problems, "quota rule") from None
