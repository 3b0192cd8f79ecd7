"""From a validated scenario to the policy list, the effect sizes and the name catalogue.

Policy 0 is always the status quo. The other policies are the factorial product of the preset
lists in ``[levers]`` (levers not listed stay at the status quo), each crossed with the
quasi-random points of ``[sample]`` when there is one; the status quo's own combination is not
repeated. Continuous lever parameters become extra ``policy`` coordinates named
``"<lever>.<parameter>"`` next to the lever coordinates.

Depends on numpy, pandas, scipy and :mod:`channelsim.policy` (numpy only).
"""

from __future__ import annotations

from dataclasses import fields

import pandas as pd

from channelsim.policy import EffectSizes, Policy, PolicyGrid
from channelsim.scenario._schema import (
    Catalogue,
    Scenario,
    _meanings,
    effect_sources,
)

__all__ = [
    "PolicySet",
    "build_policies",
    "effect_sizes",
    "effects_table",
]


def effect_sizes(scenario: Scenario, overrides: dict[str, float] | None = None):
    """The scenario's :class:`~channelsim.policy.EffectSizes` (defaults where not given).

    Examples
    --------
    >>> from channelsim.scenario import parse_scenario
    >>> s = parse_scenario('[scenario]\\nname = "x"\\n[effects]\\nco_sell = 0.4\\n')
    >>> effect_sizes(s).co_sell
    0.4
    """
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


class PolicySet:
    """A scenario's policies: a :class:`~channelsim.policy.PolicyGrid` (policy 0 the status
    quo) with its lever labels and sampled parameters as tables.

    Attributes
    ----------
    grid : PolicyGrid
    policies : list of Policy
    labels : pandas.DataFrame
        One row per policy, one column per lever: the presets' names (a sampled policy keeps
        its presets' names).
    parameters : pandas.DataFrame
        One row per policy, one column per sampled ``"lever.parameter"`` (none without a
        ``[sample]`` table).
    """

    def __init__(self, grid: PolicyGrid):
        self.grid = grid

    @property
    def policies(self) -> list:
        return list(self.grid)

    @property
    def labels(self) -> pd.DataFrame:
        return self.grid.labels()

    @property
    def parameters(self) -> pd.DataFrame:
        return pd.DataFrame(self.grid.parameters, index=range(len(self.grid)))

    def __len__(self) -> int:
        return len(self.grid)

    @property
    def status_quo(self):
        return self.grid.status_quo

    def take(self, index) -> PolicySet:
        """The policies at ``index`` (starting with 0, the status quo)."""
        return PolicySet(self.grid.take(index))


def build_policies(scenario: Scenario, world=None) -> PolicySet:
    """The scenario's policy list: the status quo, then every lever combination (x samples).

    Every preset combination of ``[levers]`` (the status quo's included) is crossed with the
    ``[sample]`` points of :meth:`~channelsim.policy.PolicyGrid.sample`, the package's one
    policy sampler (seeded by ``[run] seed``).

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
    sq = Policy.status_quo(world)
    if scenario.status_quo:
        sq = sq.replace(**scenario.status_quo)
    grid = PolicyGrid.factorial(**{k: list(v) for k, v in scenario.levers.items()}, status_quo=sq)
    sample = scenario.sample
    if sample is None:
        return PolicySet(grid)
    return PolicySet(
        PolicyGrid.sample(
            sample.n,
            dict(sample.ranges),
            seed=scenario.run.seed,
            bases=list(grid),
            status_quo=sq,
            method=sample.method,
        )
    )
