"""Policy grids: factorial products of presets and quasi-random samples of lever parameters.

A :class:`PolicyGrid` is an ordered sequence of policies whose element 0 is always the
status quo; a policy's position is its global index (the ``policy`` coordinate of results),
so a grid can be run whole or in chunks (:meth:`PolicyGrid.chunks`) and the results
concatenated. Grids are built from plain names and numbers (preset names per lever,
parameter ranges keyed ``"lever.parameter"``), so a scenario-file layer can build them.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from channelsim.policy._errors import PolicyError
from channelsim.policy._levers import (
    TASKS,
    CompensationPlan,
    HiringProfile,
    KPIScheme,
    OnboardingProgramme,
    quota_preset,
)
from channelsim.policy._policy import LEVERS, Policy

__all__ = [
    "DEFAULT_SAMPLE_RANGES",
    "SAMPLE_METHODS",
    "SAMPLE_PARAMETERS",
    "PolicyChunk",
    "PolicyGrid",
    "SampleParameter",
]

#: Quasi-random designs :meth:`PolicyGrid.sample` can draw (scrambled, seeded).
SAMPLE_METHODS = ("sobol", "halton", "lhs")


def _blend(a, b, x):
    if isinstance(a, tuple):
        return tuple(_blend(u, v, x) for u, v in zip(a, b, strict=True))
    return (1.0 - x) * a + x * b


def _blend_lever(cls, fields_: tuple[str, ...], target: str):
    def apply(lever, x):
        other = cls.preset(target)
        return replace(
            lever, **{f: _blend(getattr(lever, f), getattr(other, f), x) for f in fields_}
        )

    return apply


def _set(field: str):
    return lambda lever, x: replace(lever, **{field: float(x)})


def _toward_row(index: int, n: int):
    unit = tuple(1.0 if i == index else 0.0 for i in range(n))

    def apply(lever, x):
        rows = tuple(_blend(row, unit, x) for row in lever.weights)
        return replace(lever, weights=rows)

    return apply


@dataclass(frozen=True)
class SampleParameter:
    """A continuous lever parameter that :meth:`PolicyGrid.sample` can vary.

    Attributes
    ----------
    lever : str
        One of :data:`~channelsim.policy.LEVERS`.
    lo, hi : float
        Valid range of values.
    doc : str
    apply : callable
        ``apply(lever_value, x) -> new lever value``.
    """

    lever: str
    lo: float
    hi: float
    doc: str
    apply: Callable


_HIRING_FIELDS = (
    "skills",
    "time_to_fill_months",
    "attrition_per_year",
    "pay_premium",
    "cost_per_hire",
)
_ONB_FIELDS = ("ramp_months", "ramp_start", "training", "cost_per_hire", "cost_per_cam_quarter")

#: Parameters a quasi-random sample can vary, keyed ``"lever.parameter"``.
SAMPLE_PARAMETERS: dict[str, SampleParameter] = {
    "hiring.channel_profile": SampleParameter(
        "hiring",
        0.0,
        1.0,
        "blend from the current profile (0) to channel_manager (1)",
        _blend_lever(HiringProfile, _HIRING_FIELDS, "channel_manager"),
    ),
    "hiring.time_to_fill_months": SampleParameter(
        "hiring", 0.0, 24.0, "mean months a vacant seat stays empty", _set("time_to_fill_months")
    ),
    "hiring.attrition_per_year": SampleParameter(
        "hiring", 0.0, 0.9, "base annual CAM quit probability", _set("attrition_per_year")
    ),
    "onboarding.channel_programme": SampleParameter(
        "onboarding",
        0.0,
        1.0,
        "blend from the current programme (0) to channel (1)",
        _blend_lever(OnboardingProgramme, _ONB_FIELDS, "channel"),
    ),
    "onboarding.ramp_months": SampleParameter(
        "onboarding", 0.0, 24.0, "months to full productivity", _set("ramp_months")
    ),
    "kpi.territory_building": SampleParameter(
        "kpi",
        0.0,
        1.0,
        "blend from the current KPIs (0) to maturity_based (1)",
        _blend_lever(KPIScheme, ("weights", "cost_per_territory_quarter"), "maturity_based"),
    ),
    "kpi.forecast_weight": SampleParameter(
        "kpi",
        0.0,
        1.0,
        "share of every KPI row moved to forecast accuracy",
        _toward_row(TASKS.index("forecast"), len(TASKS)),
    ),
    "compensation.variable_share": SampleParameter(
        "compensation", 0.0, 1.0, "pay mix: variable share of target pay", _set("variable_share")
    ),
    "compensation.activity_weight": SampleParameter(
        "compensation",
        0.0,
        1.0,
        "share of every pay-component row moved to activity",
        _toward_row(1, 3),
    ),
    "compensation.maturity_shift": SampleParameter(
        "compensation",
        0.0,
        1.0,
        "blend of the component rows toward maturity_shift",
        _blend_lever(CompensationPlan, ("weights",), "maturity_shift"),
    ),
    "compensation.threshold": SampleParameter(
        "compensation", 0.0, 1.0, "payout threshold (attainment)", _set("threshold")
    ),
    "compensation.accelerator": SampleParameter(
        "compensation", 0.0, 10.0, "payout slope above 100%", _set("accelerator")
    ),
    "compensation.cap": SampleParameter(
        "compensation", 1.0, 20.0, "attainment at which payout stops growing", _set("cap")
    ),
    "compensation.gonik": SampleParameter(
        "compensation", 0.0, 1.0, "Gonik forecast bonus, share of target pay", _set("gonik")
    ),
    "quota.growth": SampleParameter("quota", -0.49, 1.99, "planned growth", _set("growth")),
    "quota.up": SampleParameter("quota", 0.0, 1.0, "ratchet: share of a rise applied", _set("up")),
    "quota.down": SampleParameter(
        "quota", 0.0, 1.0, "ratchet: share of a fall applied", _set("down")
    ),
    "quota.stretch": SampleParameter(
        "quota", -0.49, 1.99, "forecast quotas: stretch over the forecast", _set("stretch")
    ),
}

#: Ranges of the default quasi-random sample (``channelsim simulate --policies N``).
DEFAULT_SAMPLE_RANGES: dict[str, tuple[float, float]] = {
    "hiring.channel_profile": (0.0, 1.0),
    "onboarding.channel_programme": (0.0, 1.0),
    "kpi.territory_building": (0.0, 1.0),
    "kpi.forecast_weight": (0.0, 0.3),
    "compensation.variable_share": (0.3, 0.7),
    "compensation.activity_weight": (0.0, 0.7),
    "compensation.threshold": (0.3, 0.8),
    "compensation.accelerator": (1.0, 2.5),
    "compensation.cap": (1.5, 3.0),
    "compensation.gonik": (0.0, 0.15),
    "quota.up": (0.25, 1.0),
}


def _check_ranges(ranges: Mapping[str, tuple[float, float]]) -> list[str]:
    problems = []
    for name, rng_ in ranges.items():
        if name not in SAMPLE_PARAMETERS:
            close = difflib.get_close_matches(name, SAMPLE_PARAMETERS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown sample parameter {name!r}{hint}")
            continue
        par = SAMPLE_PARAMETERS[name]
        try:
            lo, hi = (float(v) for v in rng_)
        except (TypeError, ValueError):
            problems.append(f"{name}: range must be two numbers (lo, hi), got {rng_!r}")
            continue
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            problems.append(f"{name}: range must be finite with lo <= hi, got ({lo}, {hi})")
        elif lo < par.lo or hi > par.hi:
            problems.append(f"{name}: range ({lo}, {hi}) outside the valid [{par.lo}, {par.hi}]")
    return problems


class PolicyGrid(Sequence):
    """An ordered list of policies; element 0 is the status quo.

    Parameters
    ----------
    policies : sequence of Policy (or preset names)
        The status quo is moved to (or inserted at) position 0 if it is not there.
    status_quo : Policy, optional
        Default :meth:`Policy.status_quo`.

    Examples
    --------
    >>> grid = PolicyGrid.factorial(compensation=["revenue_heavy", "territory_building"],
    ...                             quota=["ratchet", "forecast"])
    >>> len(grid), grid[0] == Policy()
    (4, True)
    >>> [off for off, chunk in grid.chunks(3)]
    [0, 3]
    """

    def __init__(
        self,
        policies: Sequence[Policy | str] = (),
        status_quo: Policy | None = None,
        *,
        labels: Sequence[dict] | None = None,
        parameters: Mapping[str, Sequence[float]] | None = None,
    ):
        sq = status_quo if status_quo is not None else Policy.status_quo()
        pols = [Policy.preset(p) if isinstance(p, str) else p for p in policies]
        bad = [i for i, p in enumerate(pols) if not isinstance(p, Policy)]
        if bad:
            raise PolicyError([f"element {i} is not a Policy: {pols[i]!r}" for i in bad])
        if labels is None and parameters is None:
            if not pols or pols[0] != sq:
                pols = [sq, *(p for p in pols if p != sq)]
        elif not pols or pols[0] != sq:
            raise PolicyError(["a grid given labels or parameters must start with its status quo"])
        self._policies: tuple[Policy, ...] = tuple(pols)
        n = len(self._policies)
        self._labels: tuple[dict, ...] = tuple(
            dict(lab) for lab in (labels or [p.labels() for p in self._policies])
        )
        self._parameters: dict[str, np.ndarray] = {
            k: np.asarray(v, dtype=np.float64) for k, v in (parameters or {}).items()
        }
        sizes = {len(self._labels), *(len(v) for v in self._parameters.values())}
        if sizes - {n}:
            raise PolicyError([f"labels and parameters must have one row per policy ({n})"])

    @property
    def status_quo(self) -> Policy:
        return self._policies[0]

    def __len__(self) -> int:
        return len(self._policies)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(self._policies[i])
        return self._policies[i]

    def __repr__(self) -> str:
        return f"PolicyGrid({len(self)} policies, status quo first)"

    def chunks(self, size: int) -> Iterator[tuple[int, PolicyChunk]]:
        """``(policy_offset, chunk)`` of at most ``size`` policies each, in order
        (:meth:`chunk`: the policies with their labels and parameters)."""
        if size < 1:
            raise PolicyError([f"chunk size must be >= 1, got {size}"])
        for lo in range(0, len(self), size):
            yield lo, self.chunk(lo, lo + size)

    def labels(self):
        """A pandas DataFrame of lever labels, one row per policy (index = global index).

        A sampled policy keeps the labels of the presets it was sampled around; its sampled
        values are in :attr:`parameters`."""
        import pandas as pd

        return pd.DataFrame(list(self._labels), columns=list(LEVERS))

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        """Sampled parameter values, ``"lever.parameter" -> (policy,)`` (empty when none);
        the status quo's row holds its own value (0 for the blends)."""
        return dict(self._parameters)

    def take(self, index: Sequence[int]) -> PolicyGrid:
        """The policies at ``index`` (which starts with 0, the status quo), with their labels
        and parameters."""
        idx = [int(i) for i in index]
        if not idx or idx[0] != 0:
            raise PolicyError(["take: the first index must be 0 (the status quo)"])
        return PolicyGrid(
            [self._policies[i] for i in idx],
            self.status_quo,
            labels=[self._labels[i] for i in idx],
            parameters={k: v[idx] for k, v in self._parameters.items()},
        )

    def chunk(self, start: int, stop: int) -> PolicyChunk:
        """Policies ``start .. stop - 1`` with their labels and parameters, to simulate with
        ``policy_offset=start``."""
        sl = slice(int(start), int(stop))
        return PolicyChunk(
            list(self._policies[sl]),
            [dict(lab) for lab in self._labels[sl]],
            {k: v[sl].copy() for k, v in self._parameters.items()},
            self.status_quo,
        )

    # -- builders ----------------------------------------------------------------------------
    @classmethod
    def from_presets(cls, names: Sequence[str], status_quo: Policy | None = None) -> PolicyGrid:
        """The status quo and the named policies (:data:`~channelsim.policy.POLICY_PRESETS`)."""
        problems, pols = [], []
        for name in names:
            try:
                pols.append(Policy.preset(name))
            except PolicyError as err:
                problems.extend(err.problems)
        if problems:
            raise PolicyError(problems)
        return cls(pols, status_quo)

    @classmethod
    def factorial(
        cls,
        *,
        hiring: Sequence | None = None,
        onboarding: Sequence | None = None,
        kpi: Sequence | None = None,
        compensation: Sequence | None = None,
        quota: Sequence | None = None,
        status_quo: Policy | None = None,
    ) -> PolicyGrid:
        """Every combination of the given lever values (preset names or objects).

        A lever not given stays at the status quo's value. The product runs in lever order
        (hiring slowest, quota fastest); the status quo comes first.
        """
        sq = status_quo if status_quo is not None else Policy.status_quo()
        options = {
            "hiring": hiring,
            "onboarding": onboarding,
            "kpi": kpi,
            "compensation": compensation,
            "quota": quota,
        }
        lists = []
        for lever in LEVERS:
            vals = options[lever]
            if vals is None:
                vals = [getattr(sq, lever)]
            elif isinstance(vals, str) or not isinstance(vals, Sequence) or not len(vals):
                raise PolicyError([f"{lever}: give a non-empty list of presets or values"])
            lists.append(list(vals))
        problems, combos = [], []
        for combo in itertools.product(*lists):
            kw = dict(zip(LEVERS, combo, strict=True))
            if isinstance(kw["quota"], str):
                try:
                    kw["quota"] = quota_preset(kw["quota"])
                except PolicyError as err:
                    problems.extend(err.problems)
                    continue
            try:
                combos.append(Policy(**kw))
            except PolicyError as err:
                problems.extend(err.problems)
        if problems:
            raise PolicyError(sorted(set(problems)))
        return cls(combos, sq)

    @classmethod
    def sample(
        cls,
        n: int,
        ranges: Mapping[str, tuple[float, float]] | None = None,
        *,
        seed: int = 0,
        base: Policy | None = None,
        bases: Sequence[Policy] | None = None,
        status_quo: Policy | None = None,
        method: str = "sobol",
    ) -> PolicyGrid:
        """The status quo plus ``n`` quasi-random policies per base policy: the package's one
        policy sampler (scenario files use it for their ``[sample]`` table).

        Parameters
        ----------
        n : int
            Sampled points (the grid has ``1 + n x len(bases)`` policies).
        ranges : mapping ``"lever.parameter" -> (lo, hi)``
            Parameters to vary (:data:`SAMPLE_PARAMETERS`); default
            :data:`DEFAULT_SAMPLE_RANGES`.
        seed : int
            Seed of the scrambling (``scipy.stats.qmc``).
        base : Policy, optional
            Policy the parameters are applied to (default the status quo).
        bases : sequence of Policy, optional
            Several base policies, each crossed with the same ``n`` points (instead of
            ``base``), in order.
        status_quo : Policy, optional
        method : {"sobol", "halton", "lhs"}
            Scrambled Sobol (the first ``n`` points of a base-2 block), scrambled Halton or
            a Latin hypercube.

        Returns
        -------
        PolicyGrid
            Parameters are applied in the order given. A sampled policy keeps its base's
            lever labels; the values are in :attr:`PolicyGrid.parameters` (one coordinate
            ``"lever.parameter"`` per parameter in simulation results).

        Examples
        --------
        >>> g = PolicyGrid.sample(4, {"compensation.variable_share": (0.3, 0.7)}, seed=1)
        >>> len(g), g.labels()["compensation"][1], bool(0.3 <= g.parameters[
        ...     "compensation.variable_share"][1] <= 0.7)
        (5, 'revenue_heavy', True)
        """
        from scipy.stats import qmc

        ranges = dict(DEFAULT_SAMPLE_RANGES if ranges is None else ranges)
        problems = _check_ranges(ranges)
        if not isinstance(n, (int, np.integer)) or n < 0:
            problems.append(f"n must be a non-negative integer, got {n!r}")
        if method not in SAMPLE_METHODS:
            problems.append(f"method must be one of {', '.join(SAMPLE_METHODS)}, got {method!r}")
        if problems:
            raise PolicyError(problems, "policy sample")
        sq = status_quo if status_quo is not None else Policy.status_quo()
        bases = list(bases) if bases is not None else [base if base is not None else sq]
        if n > 0 and not ranges:
            raise PolicyError(["ranges must name at least one parameter"], "policy sample")
        if n == 0:
            return cls([], sq)
        names = list(ranges)
        d = len(names)
        if method == "sobol":
            u = qmc.Sobol(d, scramble=True, seed=seed).random_base2(math.ceil(math.log2(n)))[:n]
        elif method == "halton":
            u = qmc.Halton(d, scramble=True, seed=seed).random(n)
        else:
            u = qmc.LatinHypercube(d, seed=seed).random(n)
        lo = np.array([float(ranges[k][0]) for k in names])
        hi = np.array([float(ranges[k][1]) for k in names])
        x = u * (hi - lo) + lo
        pols, labels = [sq], [sq.labels()]
        rows = [[_current_value(sq, k) for k in names]]
        for b in bases:
            lab = b.labels()
            for row in x:
                levers = {lv: getattr(b, lv) for lv in LEVERS}
                for name, val in zip(names, row, strict=True):
                    par = SAMPLE_PARAMETERS[name]
                    levers[par.lever] = par.apply(levers[par.lever], float(val))
                pols.append(Policy(**levers))
                labels.append(lab)
                rows.append(list(row))
        values = np.array(rows, dtype=np.float64)
        return cls(
            pols,
            sq,
            labels=labels,
            parameters={k: values[:, j] for j, k in enumerate(names)},
        )


def _current_value(policy: Policy, name: str) -> float:
    """A sample parameter's value in a policy: the lever's own field, or 0 for the blends
    of :data:`SAMPLE_PARAMETERS` (0 = unchanged)."""
    lever, param = name.split(".", 1)
    value = getattr(getattr(policy, lever), param, None)
    return float(value) if isinstance(value, int | float) else 0.0


@dataclass(frozen=True)
class PolicyChunk:
    """Consecutive policies of a :class:`PolicyGrid` with their labels and parameters
    (:meth:`PolicyGrid.chunk`); :func:`channelsim.simulate.simulate` labels its results
    with them."""

    policies: list
    labels: list
    parameters: dict
    status_quo: Policy

    def __len__(self) -> int:
        return len(self.policies)

    def __iter__(self):
        return iter(self.policies)

    def __getitem__(self, i):
        return self.policies[i]
