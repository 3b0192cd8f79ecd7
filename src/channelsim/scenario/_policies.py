"""From a validated scenario to the policy list, the effect sizes and the name catalogue.

Policy 0 is always the status quo. The other policies are the factorial product of the preset
lists in ``[levers]`` (levers not listed stay at the status quo), each crossed with the
quasi-random points of ``[sample]`` when there is one; the status quo's own combination is not
repeated. Continuous lever parameters become extra ``policy`` coordinates named
``"<lever>.<parameter>"`` next to the lever coordinates.

Depends on numpy, pandas, scipy and :mod:`channelsim.policy` (numpy only).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from channelsim.scenario._schema import Catalogue, Scenario

__all__ = [
    "PolicySet",
    "build_policies",
    "default_catalogue",
    "effect_sizes",
    "effects_table",
]


def _parameters() -> dict[str, tuple[float, float]]:
    from channelsim.policy import SAMPLE_PARAMETERS

    return {k: (float(v.lo), float(v.hi)) for k, v in SAMPLE_PARAMETERS.items()}


def default_catalogue() -> Catalogue:
    """The names a scenario may use, from :mod:`channelsim.policy`.

    Examples
    --------
    >>> cat = default_catalogue()
    >>> "channel_manager" in cat.levers["hiring"], "co_sell" in cat.effects
    (True, True)
    """
    from channelsim.policy import (
        QUOTA_PRESETS,
        CompensationPlan,
        EffectSizes,
        HiringProfile,
        KPIScheme,
        OnboardingProgramme,
    )

    levers = {
        "hiring": HiringProfile.preset_names(),
        "onboarding": OnboardingProgramme.preset_names(),
        "kpi": KPIScheme.preset_names(),
        "compensation": CompensationPlan.preset_names(),
        "quota": tuple(QUOTA_PRESETS),
    }
    effects = {f.name: float(getattr(EffectSizes(), f.name)) for f in fields(EffectSizes)}
    return Catalogue(levers, _parameters(), effects, effect_sources())


def _doc_sections(doc: str) -> dict[str, str]:
    """Field name -> description text, from a numpydoc-style class docstring."""
    out: dict[str, list[str]] = {}
    current = None
    for line in doc.splitlines():
        m = re.match(r"^    (\w+) : ", line)
        if m:
            current = m.group(1)
            out[current] = []
            continue
        if current and line.startswith("        "):
            out[current].append(line.strip())
        elif line.strip() and not line.startswith("        "):
            current = None
    return {k: " ".join(v) for k, v in out.items()}


_CITATION = re.compile(
    r"[A-Z][A-Za-z]+(?: (?:&|and) [A-Z][A-Za-z]+| et al\.)? \(\d{4}(?:, [A-Z]+)?\)"
    r"|[A-Z][a-z]+ \d{4}"
)


def effect_sources() -> dict[str, str]:
    """Source of each effect size's default, read from :class:`~channelsim.policy.EffectSizes`.

    The works its docstring cites, with "value: assumption" when the docstring says the value
    itself is assumed; ``"assumption"`` where nothing is cited.

    Examples
    --------
    >>> effect_sources()["timing_discount"]
    'Larkin (2014, JAE)'
    >>> effect_sources()["recruit"]
    'assumption'
    """
    from channelsim.policy import EffectSizes

    out = {}
    for name, text in _doc_sections(EffectSizes.__doc__ or "").items():
        cited = list(dict.fromkeys(_CITATION.findall(text)))
        if not cited:
            out[name] = "assumption"
        elif "ssumption" in text:
            out[name] = f"{'; '.join(cited)} (direction and order of magnitude); value: assumption"
        else:
            out[name] = "; ".join(cited)
    return out


def _meanings() -> dict[str, str]:
    from channelsim.policy import EffectSizes

    out = {}
    for name, text in _doc_sections(EffectSizes.__doc__ or "").items():
        first = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
        out[name] = first.replace("``", "")
    return out


def effect_sizes(scenario: Scenario, overrides: dict[str, float] | None = None):
    """The scenario's :class:`~channelsim.policy.EffectSizes` (defaults where not given).

    Examples
    --------
    >>> from channelsim.scenario import parse_scenario
    >>> s = parse_scenario('[scenario]\\nname = "x"\\n[effects]\\nco_sell = 0.4\\n')
    >>> effect_sizes(s).co_sell
    0.4
    """
    from channelsim.policy import EffectSizes

    return EffectSizes(**{**scenario.effects.values, **(overrides or {})})


def effects_table(scenario: Scenario, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Every assumed effect size with its value, tested range, meaning and source.

    Examples
    --------
    >>> from channelsim.scenario import parse_scenario
    >>> s = parse_scenario('[scenario]\\nname = "x"\\n[effects.ranges]\\nco_sell = [0.1, 0.5]\\n')
    >>> effects_table(s).loc["co_sell", "range"]
    '0.1 to 0.5'
    """
    eff = effect_sizes(scenario)
    sources = {**effect_sources(), **scenario.effects.sources}
    meanings = _meanings()
    rows = []
    for f in fields(eff):
        rng = scenario.effects.ranges.get(f.name)
        rows.append(
            {
                "effect": f.name,
                "value": float(getattr(eff, f.name)),
                "default": f.default,
                "set_in_scenario": f.name in scenario.effects.values,
                "range": f"{rng[0]:g} to {rng[1]:g}" if rng else "",
                "meaning": meanings.get(f.name, ""),
                "source": sources.get(f.name, "assumption"),
            }
        )
    return pd.DataFrame(rows).set_index("effect")


@dataclass
class PolicySet:
    """The policies of a scenario run.

    Attributes
    ----------
    policies : list of Policy
        Policy 0 is the status quo.
    labels : pandas.DataFrame
        Lever preset names per policy (a sampled policy keeps the names of the presets its
        parameters were applied to); the ``policy`` coordinates of the results.
    parameters : pandas.DataFrame
        One column per sampled continuous parameter (``"<lever>.<parameter>"``), one row per
        policy (the status quo's own values in row 0); empty when nothing is sampled.
    """

    policies: list
    labels: pd.DataFrame
    parameters: pd.DataFrame

    def __len__(self) -> int:
        return len(self.policies)

    @property
    def status_quo(self):
        return self.policies[0]


def _status_quo_value(policy, name: str) -> float:
    """A sampled parameter's value at the status quo: the lever's own field, or 0 for the
    blends of :data:`~channelsim.policy.SAMPLE_PARAMETERS` (0 = unchanged)."""
    lever, param = name.split(".", 1)
    value = getattr(getattr(policy, lever), param, None)
    return float(value) if isinstance(value, int | float) else 0.0


def _apply(policy, values: dict[str, float]):
    """Apply sampled parameter values (in order) to a policy, keeping the levers' names."""
    from channelsim.policy import SAMPLE_PARAMETERS

    levers = {
        lv: getattr(policy, lv) for lv in ("hiring", "onboarding", "kpi", "compensation", "quota")
    }
    for name, x in values.items():
        par = SAMPLE_PARAMETERS[name]
        levers[par.lever] = par.apply(levers[par.lever], float(x))
    return policy.replace(**levers)


def quasi_random(n: int, ranges: dict[str, tuple[float, float]], method: str, seed: int):
    """``n`` quasi-random points over ``ranges`` (scrambled Sobol, Halton or Latin hypercube).

    Examples
    --------
    >>> pts = quasi_random(8, {"a.b": (0.0, 1.0), "a.c": (2.0, 4.0)}, "sobol", 0)
    >>> pts.shape, bool(pts["a.c"].between(2, 4).all())
    ((8, 2), True)
    """
    from scipy.stats import qmc

    d = len(ranges)
    if method == "sobol":
        eng = qmc.Sobol(d, scramble=True, seed=seed)
    elif method == "halton":
        eng = qmc.Halton(d, scramble=True, seed=seed)
    else:
        eng = qmc.LatinHypercube(d, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol prefers powers of two; any n is fine here
        u = eng.random(n)
    lo = np.array([r[0] for r in ranges.values()])
    hi = np.array([r[1] for r in ranges.values()])
    return pd.DataFrame(qmc.scale(u, lo, hi), columns=list(ranges))


def build_policies(scenario: Scenario, world=None) -> PolicySet:
    """The scenario's policy list: the status quo, then every lever combination (x samples).

    Parameters
    ----------
    scenario : Scenario
    world : World, optional
        Its quota rule is the status quo's unless ``[status_quo] quota`` says otherwise.

    Returns
    -------
    PolicySet

    Examples
    --------
    >>> from channelsim.scenario import parse_scenario
    >>> s = parse_scenario('[scenario]\\nname = "x"\\n[levers]\\nhiring = ["direct_rep", "channel_manager"]\\n')
    >>> ps = build_policies(s)
    >>> [p.labels()["hiring"] for p in ps.policies]
    ['direct_rep', 'channel_manager']
    """
    from channelsim.policy import Policy, PolicyGrid

    sq = Policy.status_quo(world)
    if scenario.status_quo:
        sq = sq.replace(**scenario.status_quo)
    grid = PolicyGrid.factorial(**{k: list(v) for k, v in scenario.levers.items()}, status_quo=sq)
    sample = scenario.sample
    if sample is None:
        policies = list(grid)
        labels = pd.DataFrame([p.labels() for p in policies])
        return PolicySet(policies, labels, pd.DataFrame(index=range(len(policies))))
    # every preset combination, the status quo's included, crossed with the sample points
    base = list(grid)
    pts = quasi_random(sample.n, dict(sample.ranges), sample.method, scenario.run.seed)
    policies = [sq]
    labels = [sq.labels()]
    rows = [{k: _status_quo_value(sq, k) for k in pts.columns}]
    points = pts.to_dict("records")
    for p in base:
        lab = p.labels()
        for row in points:
            policies.append(_apply(p, row))
            labels.append(lab)
            rows.append(row)
    index = range(len(policies))
    return PolicySet(policies, pd.DataFrame(labels, index=index), pd.DataFrame(rows, index=index))
