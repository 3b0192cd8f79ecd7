"""A policy: one choice of every lever; named policies; the status quo."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from channelsim.policy._errors import PolicyError
from channelsim.policy._levers import (
    CompensationPlan,
    HiringProfile,
    KPIScheme,
    OnboardingProgramme,
    _quota_from_dict,
    quota_label,
    quota_preset,
)
from channelsim.provenance import SHORT, json_hash
from channelsim.world import QuotaRule

__all__ = ["LEVERS", "POLICY_PRESETS", "Policy"]

#: The levers of a policy, in the order of result coordinates.
LEVERS: tuple[str, ...] = ("hiring", "onboarding", "kpi", "compensation", "quota")

_LEVER_CLASSES = {
    "hiring": HiringProfile,
    "onboarding": OnboardingProgramme,
    "kpi": KPIScheme,
    "compensation": CompensationPlan,
}


@dataclass(frozen=True)
class Policy:
    """One choice of every lever. ``Policy()`` is the usual status quo: direct-rep hiring,
    direct-sales onboarding, revenue-only KPIs, revenue-heavy pay and a ratcheting quota.

    Parameters
    ----------
    hiring, onboarding, kpi, compensation : lever objects or preset names
    quota : QuotaRule or preset name (see :data:`~channelsim.policy.QUOTA_PRESETS`)

    Examples
    --------
    >>> p = Policy(compensation="territory_building")
    >>> p.labels()["compensation"], p.labels()["quota"]
    ('territory_building', 'ratchet')
    >>> Policy.preset("status_quo") == Policy()
    True
    """

    hiring: HiringProfile = field(default_factory=HiringProfile)
    onboarding: OnboardingProgramme = field(default_factory=OnboardingProgramme)
    kpi: KPIScheme = field(default_factory=KPIScheme)
    compensation: CompensationPlan = field(default_factory=CompensationPlan)
    quota: QuotaRule = field(default_factory=QuotaRule)

    def __post_init__(self):
        problems: list[str] = []
        for lever, cls in _LEVER_CLASSES.items():
            value = getattr(self, lever)
            if isinstance(value, str):
                try:
                    object.__setattr__(self, lever, cls.preset(value))
                except PolicyError as err:
                    problems.extend(err.problems)
            elif not isinstance(value, cls):
                problems.append(f"{lever} must be a {cls.__name__} or a preset name, got {value!r}")
        if isinstance(self.quota, str):
            try:
                object.__setattr__(self, "quota", quota_preset(self.quota))
            except PolicyError as err:
                problems.extend(err.problems)
        elif not isinstance(self.quota, QuotaRule):
            problems.append(f"quota must be a QuotaRule or a preset name, got {self.quota!r}")
        if problems:
            raise PolicyError(problems)

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def status_quo(cls, world=None) -> Policy:
        """The usual status quo; with a ``world``, its quota rule is the world's own.

        Examples
        --------
        >>> Policy.status_quo().labels()["hiring"]
        'direct_rep'
        """
        if world is None:
            return cls()
        return cls(quota=world.quota_rule)

    @classmethod
    def preset(cls, name: str) -> Policy:
        """A named policy (:data:`POLICY_PRESETS`)."""
        if name not in POLICY_PRESETS:
            raise PolicyError(
                [f"unknown policy preset {name!r}; choose from {', '.join(POLICY_PRESETS)}"]
            )
        return POLICY_PRESETS[name]

    @classmethod
    def preset_names(cls) -> tuple[str, ...]:
        """Names of the named policies, status quo first."""
        return tuple(POLICY_PRESETS)

    @classmethod
    def from_dict(cls, d: dict) -> Policy:
        """Build from :meth:`to_dict` output; each lever may also be a preset name."""
        unknown = sorted(set(d) - set(LEVERS))
        if unknown:
            raise PolicyError([f"unknown lever(s) {unknown}; valid: {list(LEVERS)}"])
        kw = {}
        for lever in LEVERS:
            if lever not in d:
                continue
            v = d[lever]
            if isinstance(v, dict):
                kw[lever] = (
                    _quota_from_dict(v) if lever == "quota" else _LEVER_CLASSES[lever].from_dict(v)
                )
            else:
                kw[lever] = v
        return cls(**kw)

    # -- views -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Nested plain-Python dict of every lever's fields (JSON-ready)."""
        out = {lever: getattr(self, lever).to_dict() for lever in _LEVER_CLASSES}
        out["quota"] = {f.name: getattr(self.quota, f.name) for f in fields(self.quota)}
        return out

    def labels(self) -> dict[str, str]:
        """Per lever, the preset name or a label of its values (result coordinates)."""
        out = {lever: getattr(self, lever).label for lever in _LEVER_CLASSES}
        out["quota"] = quota_label(self.quota)
        return out

    def replace(self, **changes) -> Policy:
        """A copy with some levers changed (objects or preset names)."""
        return replace(self, **changes)

    def digest(self) -> str:
        """A short hash of every lever value (stable across sessions)."""
        return json_hash(self.to_dict(), SHORT)


#: Named whole policies; ``status_quo`` first. Each changes the levers its name says.
POLICY_PRESETS: dict[str, Policy] = {
    "status_quo": Policy(),
    "territory_pay": Policy(compensation="territory_building"),
    "maturity_pay": Policy(compensation="maturity_shift"),
    "channel_kpis": Policy(kpi="maturity_based"),
    "channel_hiring": Policy(hiring="channel_manager"),
    "channel_onboarding": Policy(onboarding="channel"),
    "channel_programme": Policy(
        hiring="channel_manager",
        onboarding="channel",
        kpi="maturity_based",
        compensation="maturity_shift",
    ),
    "forecast_kpi": Policy(kpi="forecast_accuracy"),
    "gonik": Policy(compensation="gonik"),
    "forecast_quota": Policy(quota="forecast"),
    "uncapped_no_ratchet": Policy(compensation="uncapped", quota="forecast"),
}
