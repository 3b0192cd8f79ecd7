"""Effect sizes: how CAM effort and incentives move the world, as offsets from the status quo.

No company's history identifies what another hiring profile or pay plan would do, so these
are explicit, documented assumptions (DESIGN.md section 4), meant to be swept for
sensitivity. Where published evidence exists the docstring cites it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from channelsim.policy._errors import PolicyError

__all__ = ["BETA_FIELDS", "EFFECT_BOUNDS", "EFFECT_FIELDS", "EffectSizes"]


@dataclass(frozen=True)
class EffectSizes:
    """Effect sizes of the policy mechanisms (DESIGN.md section 4).

    Effort ``e`` (per task, see :data:`~channelsim.policy.TASKS`) is a CAM's working capacity
    times task productivity times the time share the CAM gives the task; ``Δe`` is a
    policy's effort minus the status quo's on the same path, territory and step. The
    ``beta``-type fields act only through ``Δe`` (or the difference in a lever between the
    policy and the status quo), so the status quo itself is never moved, and with all of
    them at zero (:meth:`neutral`) every policy reproduces the status quo's partner states,
    sales and commits.

    Effort response (not offsets; they shape effort, which only matters through the betas):

    effort_sensitivity : float >= 0
        ``theta`` of the logit time allocation ``share_k ∝ base_k exp(theta w_k prod_k)``
        over tasks and an outside option (unrewarded work), with pay weights ``w`` and
        productivity ``prod``. Assumption: 1.5.
    ratchet_discount : float in [0, 1]
        Share of the revenue pay weight a CAM discounts under a full ratchet (quota rule
        ``up = 1``), because beating quota raises the next one. Evidence:
        Misra & Nair (2011, QME) find ratchets and caps make reps withhold effort, and
        removing them raised revenue by about 9%; the size here is an assumption (0.3).

    Offsets (per unit of effort difference unless stated):

    recruit : float
        On the log recruit rate per unit ``Δe_recruit``. Assumption: 2.0.
    enable : float
        On the logit of advancing from onboarding and enabled, and of reactivating from
        dormant, per unit ``Δe_enable``. Assumption: 2.0 (the world's own onboarding speed,
        first deal after about 5 months, already reflects status-quo effort).
    develop : float
        On the logit of advancing from active and productive, per unit ``Δe_develop``.
        Assumption: 1.5.
    develop_dormancy : float
        On the logit of going dormant, per unit ``Δe_develop``. Assumption: -1.5.
    retention : float
        On the logit of partner exit, per unit ``Δe_enable + Δe_develop``. Assumption: -1.0
        (the status-quo exit rate, about 12% a year, is the world's).
    co_sell : float
        On log sales amounts per unit ``Δe_co_sell`` (the co-sell lift). Assumption: 0.2.
        Calibration check (``docs/simulator.md``): with the defaults, the full channel
        programme (channel-manager hiring and onboarding, maturity-based KPIs and pay)
        costs about 3% of revenue in year 1 and adds about 13% in year 3 on the example
        world, the order of the +6-9% that Rao et al. (2021, JMR) measured for
        activity-based pay.
    forecast_noise : float
        The CAM's report noise (what the status quo's private signal leaves of the world's
        ``commit_sd``) is scaled by ``exp(-forecast_noise * Δe_forecast)`` (calibration
        work). Assumption: 3.0. Status-quo commits miss by about 30% absolute at 90 days.
    signal_forecast : float
        The CAM's private signal on the quarter's log sales has log-sd lowered by
        ``signal_forecast * Δe_forecast`` (pipeline inspection; a new CAM's ramp lowers
        effort, so tenure enters here). Assumption: 3.0.
    signal_develop : float
        Likewise per unit ``Δe_develop`` (partner business plans and reviews give pipeline
        visibility; coverage itself enters through the world's ``SIGNAL_MATURITY``).
        Assumption: 2.0.
    commit_incentive : float >= 0
        Weight of the pay plan's terms (ratchet, Gonik schedule, forecast-accuracy pay) in
        the CAM's choice of commit (1: the CAM maximises expected pay; 0: reports its
        belief). Assumption: 1.0.
    lying_aversion : float > 0
        ``kappa``: the CAM's cost of reporting ``delta`` away from its belief median, ``kappa
        delta^2 / 2`` in units of quarterly target pay (Scheele, Thonemann & Slikker 2018,
        Management Science, find forecasters averse to misreporting; the size is an
        assumption: 0.03, small against pay, so that a 10% Gonik bonus brings commits
        within 1% of the belief).
    ratchet_commit : float >= 0
        ``rho``: what the CAM believes a 1 log-point higher commit adds, in log points, to
        next quarter's quota under a full ratchet; its marginal pay cost is ``rho x
        ratchet strength x revenue pay weight``. Assumption: 0.003 (with ``lying_aversion``
        the status quo's full ratchet shades commits about 5% below belief: sandbagging).
    pull_forward : float in [0, 1]
        Timing games: at a quarter's last step, a CAM whose attainment is within
        ``timing_window`` below a payout kink (the threshold, or 100% when there is an
        accelerator) pulls this share, times the plan's variable revenue weight, of the
        step's sales from next quarter into this one. Enters as the policy's pull minus the
        status quo's. Assumption: 0.25.
    timing_discount : float in [0, 1)
        Discount given on pulled-forward sales. Evidence: Larkin (2014, JAE) measured the
        cost of timing games in enterprise software at 6-8% of revenue; default 0.07.
    timing_window : float in (0, 1)
        Attainment window below a kink in which CAMs play timing games. Assumption: 0.10.
    attrition_attainment : float >= 0
        CAM quit hazard scales by ``exp(attrition_attainment * max(0, 1 - attainment))``.
        Assumption: 1.5 (a CAM at 50% attainment quits about twice as often).
    attainment_sd : float > 0
        The CAM's uncertainty about the quarter's final attainment (sd, in attainment
        units) when judging the revenue payout below its threshold: the payout slope there
        is the probability-weighted value of crossing the threshold,
        ``Phi(z) + threshold phi(z) / attainment_sd`` with ``z = (a - threshold) /
        attainment_sd`` (:func:`~channelsim.policy.payout_slope`), so a CAM far below the
        threshold works as if unpaid for revenue. Shapes effort, not an offset. Assumption:
        0.15 (the example world's territory-quarter sales vary by about 15-25% around
        their expectation).

    Partner business plans (a per-partner flag, raised by development effort; the plans
    the status quo's CAMs complete are in the world's history, so the flag acts through the
    difference between the policy's flag and the status quo's for the same partner):

    plan_rate : float >= 0
        Hazard per partner-month of completing a business plan with an eligible partner (a
        selling stage other than dormant, no plan yet), per unit of develop effort
        ``e_develop``: ``P(plan in a step) = 1 - exp(-plan_rate x months per step x
        e_develop)``. Shapes the results counted (and paid), not an offset. Assumption:
        0.25 (a status-quo CAM completes about 0.5 plans per territory-quarter on the
        example world, some 10% of its partners a year).
    plan_advance : float
        On the logit of advancing (from any stage) per unit ``plan - plan_status_quo``.
        Assumption: 0.4 (partners with a joint business plan progress faster).
    plan_dormancy : float
        On the logit of going dormant per unit ``plan - plan_status_quo``. Assumption:
        -0.5 (a plan keeps the partner engaged).

    Examples
    --------
    >>> EffectSizes().timing_discount
    0.07
    >>> EffectSizes.neutral().co_sell
    0.0
    """

    effort_sensitivity: float = 1.5
    ratchet_discount: float = 0.3
    recruit: float = 2.0
    enable: float = 2.0
    develop: float = 1.5
    develop_dormancy: float = -1.5
    retention: float = -1.0
    co_sell: float = 0.2
    forecast_noise: float = 3.0
    signal_forecast: float = 3.0
    signal_develop: float = 2.0
    commit_incentive: float = 1.0
    lying_aversion: float = 0.03
    ratchet_commit: float = 0.003
    pull_forward: float = 0.25
    timing_discount: float = 0.07
    timing_window: float = 0.10
    attrition_attainment: float = 1.5
    attainment_sd: float = 0.15
    plan_rate: float = 0.25
    plan_advance: float = 0.4
    plan_dormancy: float = -0.5

    def __post_init__(self):
        problems = []
        for f in fields(self):
            v = getattr(self, f.name)
            try:
                v = float(v)
            except (TypeError, ValueError):
                problems.append(f"{f.name} must be a number, got {v!r}")
                continue
            if not math.isfinite(v):
                problems.append(f"{f.name} must be finite, got {v!r}")
            elif abs(v) > 50:
                problems.append(f"{f.name} must be within [-50, 50], got {v!r}")
            object.__setattr__(self, f.name, v)
        for name, (lo, hi) in EFFECT_BOUNDS.items():
            v = getattr(self, name)
            if isinstance(v, float) and math.isfinite(v) and not lo <= v <= hi:
                problems.append(f"{name} must be in [{lo}, {hi}], got {v!r}")
        if problems:
            raise PolicyError(problems, "effect sizes")

    @classmethod
    def neutral(cls) -> EffectSizes:
        """Every offset (the betas, the business-plan effects and ``pull_forward``) at zero:
        policies leave partner
        states, sales and commits at the status quo's."""
        return cls(**{name: 0.0 for name in BETA_FIELDS})

    def scaled(self, factor: float) -> EffectSizes:
        """Every offset multiplied by ``factor`` (for sensitivity sweeps)."""
        return replace(self, **{n: getattr(self, n) * factor for n in BETA_FIELDS})

    def replace(self, **changes) -> EffectSizes:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_array(self) -> np.ndarray:
        """The fields as a float64 array in :data:`EFFECT_FIELDS` order (for kernels)."""
        return np.array([getattr(self, n) for n in EFFECT_FIELDS], dtype=np.float64)


#: Valid ranges of the effect sizes that have one (the others may take any value in [-50, 50]).
EFFECT_BOUNDS: dict[str, tuple[float, float]] = {
    "effort_sensitivity": (0.0, 50.0),
    "ratchet_discount": (0.0, 1.0),
    "pull_forward": (0.0, 1.0),
    "timing_discount": (0.0, 0.99),
    "timing_window": (1e-6, 0.99),
    "attrition_attainment": (0.0, 50.0),
    "attainment_sd": (1e-3, 5.0),
    "plan_rate": (0.0, 50.0),
    "commit_incentive": (0.0, 50.0),
    "lying_aversion": (1e-6, 50.0),
    "ratchet_commit": (0.0, 50.0),
}
#: Field order of :meth:`EffectSizes.to_array`.
EFFECT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(EffectSizes))
#: The offsets: zero in :meth:`EffectSizes.neutral`.
BETA_FIELDS: tuple[str, ...] = (
    "recruit",
    "enable",
    "develop",
    "develop_dormancy",
    "retention",
    "co_sell",
    "forecast_noise",
    "signal_forecast",
    "signal_develop",
    "commit_incentive",
    "pull_forward",
    "plan_advance",
    "plan_dormancy",
)
