"""Policies: levers, presets, effect sizes, grids, packing, and the numpy reference dynamics.

Depends only on numpy, scipy and :mod:`channelsim.world` (never numba or PyMC). The numba
kernels of :mod:`channelsim.simulate` compute the dynamics of :class:`PolicyHooks`; the
numpy maths here is their specification (DESIGN.md section 4, ``docs/simulator.md``).
"""

from channelsim.policy._dynamics import INCUMBENT_TENURE, QUARTER_FIELDS, PolicyHooks, Trace
from channelsim.policy._effects import BETA_FIELDS, EFFECT_BOUNDS, EFFECT_FIELDS, EffectSizes
from channelsim.policy._errors import PolicyError
from channelsim.policy._grid import (
    DEFAULT_SAMPLE_RANGES,
    SAMPLE_METHODS,
    SAMPLE_PARAMETERS,
    PolicyChunk,
    PolicyGrid,
    SampleParameter,
)
from channelsim.policy._levers import (
    ACTIVITY_SPLIT,
    QUOTA_PRESETS,
    TASKS,
    CompensationPlan,
    HiringProfile,
    KPIScheme,
    OnboardingProgramme,
    quota_label,
    quota_preset,
)
from channelsim.policy._mechanisms import move_types
from channelsim.policy._outcomes import OUTCOMES, VARIABLES, Z90, Outcome, quarter_variables
from channelsim.policy._pack import NF, PackedPolicies, pack_policies
from channelsim.policy._policy import LEVERS, POLICY_PRESETS, Policy

__all__ = [
    "ACTIVITY_SPLIT",
    "BETA_FIELDS",
    "DEFAULT_SAMPLE_RANGES",
    "EFFECT_BOUNDS",
    "EFFECT_FIELDS",
    "INCUMBENT_TENURE",
    "LEVERS",
    "NF",
    "OUTCOMES",
    "POLICY_PRESETS",
    "QUARTER_FIELDS",
    "QUOTA_PRESETS",
    "SAMPLE_METHODS",
    "SAMPLE_PARAMETERS",
    "TASKS",
    "VARIABLES",
    "Z90",
    "CompensationPlan",
    "EffectSizes",
    "HiringProfile",
    "KPIScheme",
    "OnboardingProgramme",
    "Outcome",
    "PackedPolicies",
    "Policy",
    "PolicyChunk",
    "PolicyError",
    "PolicyGrid",
    "PolicyHooks",
    "SampleParameter",
    "Trace",
    "move_types",
    "pack_policies",
    "quarter_variables",
    "quota_label",
    "quota_preset",
]
