"""Scenario files -> policy runs (in-process or on Dask) -> comparison against the status quo.

Sits on top of :mod:`channelsim.policy` and :mod:`channelsim.simulate` (and, for worlds from a
fitted model, :mod:`channelsim.model`, imported only then). Nothing here draws charts; see
:mod:`channelsim.report`.
"""

from channelsim.scenario._chunks import (
    CheckpointError,
    ChunkStore,
    chunk_bounds,
    dataset_differences,
    fingerprint,
    merge_chunks,
    run_chunks,
    write_netcdf_atomic,
)
from channelsim.scenario._compare import (
    Comparison,
    compare,
    describe_levers,
    lever_label,
    lever_sensitivity,
    lever_table,
    paired_differences,
    pareto_front,
    ranking_stability,
)
from channelsim.scenario._dask import ClusterError, open_client, warm_workers
from channelsim.scenario._objectives import OBJECTIVES, Objective, objective_values
from channelsim.scenario._policies import (
    PolicySet,
    build_policies,
    effect_sizes,
    effects_table,
)
from channelsim.scenario._run import (
    PolicyChunks,
    PreparedScenario,
    ScenarioResult,
    prepare,
    run_scenario,
    shipped_scenarios,
)
from channelsim.scenario._schema import (
    Catalogue,
    Scenario,
    ScenarioError,
    default_catalogue,
    load_scenario,
    parse_scenario,
)
from channelsim.scenario._zarr import ZarrStore, is_zarr_path, open_results, simulate_to_zarr

__all__ = [
    "OBJECTIVES",
    "Catalogue",
    "CheckpointError",
    "ChunkStore",
    "ClusterError",
    "Comparison",
    "Objective",
    "PolicyChunks",
    "PolicySet",
    "PreparedScenario",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "ZarrStore",
    "build_policies",
    "chunk_bounds",
    "compare",
    "dataset_differences",
    "default_catalogue",
    "describe_levers",
    "effect_sizes",
    "effects_table",
    "fingerprint",
    "is_zarr_path",
    "lever_label",
    "lever_sensitivity",
    "lever_table",
    "load_scenario",
    "merge_chunks",
    "objective_values",
    "open_client",
    "open_results",
    "paired_differences",
    "pareto_front",
    "parse_scenario",
    "prepare",
    "ranking_stability",
    "run_chunks",
    "run_scenario",
    "shipped_scenarios",
    "simulate_to_zarr",
    "warm_workers",
    "write_netcdf_atomic",
]
