"""The world: its schema and its one generative process, in numpy (the specification).

Depends only on numpy, scipy and pandas (never PyMC). :mod:`channelsim.simulate` computes the
same process in numba; :mod:`channelsim.model` estimates it; ``docs/world.md`` describes it.
"""

from channelsim.world._expected import (
    HERMITE_NODES,
    HERMITE_WEIGHTS,
    expected_sales,
    logistic,
    lognormal_quantiles,
)
from channelsim.world._forecaster import (
    LEVEL_DRIFT,
    LEVEL_SD0,
    SHIFT_BOUND,
    SHIFT_MAX_ITER,
    SHIFT_TOL,
    SIGNAL_MATURITY,
    SIGNAL_SD,
    solve_shift,
)
from channelsim.world._process import (
    RECRUIT_ENTITY_BASE,
    ProcessHooks,
    WorldRun,
    draw_recruits,
    draw_sales,
    draw_shock,
    draw_transitions,
    generate,
    initial_state,
    quota_update,
    recruit_entity,
    row_sum,
)
from channelsim.world._schema import (
    QuotaRule,
    StepCalendar,
    World,
    WorldError,
    WorldSource,
    draw_indices,
    engaged_stage_mask,
    poisson_tail_quantile,
)
from channelsim.world._statespace import TerritoryStateSpace, state_size

__all__ = [
    "HERMITE_NODES",
    "HERMITE_WEIGHTS",
    "LEVEL_DRIFT",
    "LEVEL_SD0",
    "RECRUIT_ENTITY_BASE",
    "SHIFT_BOUND",
    "SHIFT_MAX_ITER",
    "SHIFT_TOL",
    "SIGNAL_MATURITY",
    "SIGNAL_SD",
    "ProcessHooks",
    "QuotaRule",
    "StepCalendar",
    "TerritoryStateSpace",
    "World",
    "WorldError",
    "WorldRun",
    "WorldSource",
    "draw_indices",
    "draw_recruits",
    "draw_sales",
    "draw_shock",
    "draw_transitions",
    "engaged_stage_mask",
    "expected_sales",
    "generate",
    "initial_state",
    "logistic",
    "lognormal_quantiles",
    "poisson_tail_quantile",
    "quota_update",
    "recruit_entity",
    "row_sum",
    "solve_shift",
    "state_size",
]
