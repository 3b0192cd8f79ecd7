"""Run a scenario: world, policies and effect sizes -> chunked simulation -> comparison.

:func:`prepare` resolves a scenario (the default world, or a fitted model's posterior draws via
``channelsim.model``, imported only then), builds the policy list and the effect sizes;
:func:`run_scenario` simulates every policy in chunks (in-process or on Dask, checkpointed under
``OUT/chunks`` when ``out`` is given), compares them with the status quo and, when the scenario
gives effect-size ranges, reruns the top policies at the ends of each range to see whether the
ranking holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from channelsim.datasets import example_world
from channelsim.provenance import VERSION_KEY, fingerprint, package_version, world_hash
from channelsim.scenario._chunks import ChunkStore, run_chunks
from channelsim.scenario._compare import Comparison, compare, ranking_stability
from channelsim.scenario._policies import PolicySet, build_policies, effect_sizes, effects_table
from channelsim.scenario._schema import Scenario, ScenarioError, load_scenario
from channelsim.scenario._zarr import ZarrStore
from channelsim.simulate import simulate

__all__ = [
    "PolicyChunks",
    "PreparedScenario",
    "ScenarioResult",
    "prepare",
    "run_scenario",
    "shipped_scenarios",
]


def shipped_scenarios() -> dict[str, Path]:
    """The scenario files shipped with the package (``channelsim/scenarios/*.toml``), by name.

    They are package data, so a wheel install finds them as well as a clone (whose top-level
    ``scenarios/`` is a link to the same folder).

    Examples
    --------
    >>> "hiring_profiles" in shipped_scenarios()
    True
    """
    from importlib import resources

    folder = resources.files("channelsim") / "scenarios"
    if not folder.is_dir():  # pragma: no cover - an installation without its package data
        return {}
    found = sorted(
        (Path(str(f)) for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda p: p.stem
    )
    return {p.stem: p for p in found}


class PolicyChunks:
    """Picklable chunk function: the Simulation Dataset of policies ``[start, stop)``.

    Holds the world, the policy list, the effect sizes and the run size; Dask scatters one copy
    to each worker. The status quo (policy 0) is passed to the simulator with every chunk, so a
    chunk's results do not depend on which other policies share it.

    Examples
    --------
    >>> callable(PolicyChunks.__call__)
    True
    """

    def __init__(
        self,
        world,
        policies: PolicySet,
        effects,
        *,
        n_paths: int,
        n_steps: int,
        seed: int,
    ):
        self.world = world
        self.policies = policies
        self.effects = effects
        self.n_paths = int(n_paths)
        self.n_steps = int(n_steps)
        self.seed = int(seed)

    @property
    def n_policies(self) -> int:
        return len(self.policies)

    def __call__(self, start: int, stop: int) -> xr.Dataset:
        # the grid's chunk carries its lever labels (a sampled policy keeps its presets'
        # names) and sampled parameters; the simulator writes both as coordinates
        return _simulate(
            self.world,
            self.policies.grid,
            start,
            stop,
            effects=self.effects,
            n_paths=self.n_paths,
            n_steps=self.n_steps,
            seed=self.seed,
        )

    def warmup(self) -> None:
        """Compile the kernels (or load them from numba's cache) with a tiny run."""
        _simulate(
            self.world,
            self.policies.grid,
            0,
            1,
            effects=self.effects,
            n_paths=1,
            n_steps=self.world.steps_per_quarter,
            seed=self.seed,
        )


def _simulate(world, grid, start, stop, *, effects, n_paths, n_steps, seed) -> xr.Dataset:
    """Adapter to :func:`channelsim.simulate.simulate` for the policies ``[start, stop)``."""
    return simulate(
        world,
        grid.chunk(start, stop),
        status_quo=grid.status_quo,
        n_paths=n_paths,
        n_steps=n_steps,
        seed=seed,
        effects=effects,
        policy_offset=start,
        progress=False,
    )


@dataclass
class PreparedScenario:
    """A scenario resolved into what the simulator needs.

    Attributes
    ----------
    scenario : Scenario
    source : str
        The scenario file (or ``"<scenario>"``).
    world : World
    world_label : str
        ``"default (example world)"`` or the model file and draws.
    policies : PolicySet
    effects : EffectSizes
    n_paths, n_steps, seed : int
    """

    scenario: Scenario
    source: str
    world: Any
    world_label: str
    policies: PolicySet
    effects: Any
    n_paths: int
    n_steps: int
    seed: int

    @property
    def n_policies(self) -> int:
        return len(self.policies)

    def chunk_fn(
        self, policies: PolicySet | None = None, effects=None, n_paths=None
    ) -> PolicyChunks:
        """The chunk function of this run (or of a subset / other effect sizes)."""
        return PolicyChunks(
            self.world,
            policies or self.policies,
            effects if effects is not None else self.effects,
            n_paths=n_paths or self.n_paths,
            n_steps=self.n_steps,
            seed=self.seed,
        )

    def fingerprint(self) -> str:
        """Digest of everything that determines the results (for checkpoints)."""
        return fingerprint(
            self.scenario.model_dump(mode="json"),
            {"paths": self.n_paths, "steps": self.n_steps, "seed": self.seed},
            [p.digest() for p in self.policies.policies],
            self.policies.parameters.to_numpy(dtype=float)
            if len(self.policies.parameters.columns)
            else None,
            self.effects.to_dict(),
            world_hash(self.world),
            package_version(),
        )


def _resolve_world(scenario: Scenario, base: Path | None):
    spec = scenario.world
    if spec.source == "default":
        return example_world(), "default (the example book's world)"
    path = Path(spec.model)
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.exists():
        raise ScenarioError(
            str(base or "<scenario>"), [("[world] model", f"model file {str(path)!r} not found")]
        )
    from channelsim.model import ChannelModel  # PyMC only on this branch

    model = ChannelModel.load(path)
    world = model.to_world(draws=spec.draws) if spec.draws else model.to_world()
    return world, f"posterior of {path.name} ({world.n_draws} draws)"


def prepare(
    scenario: Scenario | str | os.PathLike,
    *,
    paths: int | None = None,
    quarters: int | None = None,
    seed: int | None = None,
    sample_n: int | None = None,
    max_policies: int | None = None,
    world=None,
    world_label: str | None = None,
) -> PreparedScenario:
    """Resolve a scenario (file or model) into world, policies and effect sizes.

    Parameters
    ----------
    scenario : Scenario or path
    paths, quarters, seed : int, optional
        Override ``[run]`` (small test runs; ``--seed`` on the command line).
    sample_n : int, optional
        Override ``[sample] n``.
    max_policies : int, optional
        Keep only the first policies (the status quo and the next ``max_policies - 1``).
    world : World, optional
        Use this world instead of the scenario's (e.g. ``model.to_world(draws=200)`` of a
        model fitted in the same session).
    world_label : str, optional
        How the report names that world (default ``"given world"``).

    Returns
    -------
    PreparedScenario

    Examples
    --------
    >>> from channelsim.scenario import parse_scenario
    >>> s = parse_scenario('[scenario]\\nname = "x"\\n[levers]\\nhiring = ["direct_rep", "channel_manager"]\\n')
    >>> prep = prepare(s, paths=4, quarters=1)
    >>> prep.n_policies, prep.n_paths, prep.n_steps
    (2, 4, 3)
    """
    source = "<scenario>"
    base = None
    if not isinstance(scenario, Scenario):
        source = str(scenario)
        base = Path(scenario).resolve().parent
        scenario = load_scenario(scenario)
    run = scenario.run.model_copy(
        update={
            k: v
            for k, v in {"paths": paths, "quarters": quarters, "seed": seed}.items()
            if v is not None
        }
    )
    updates: dict = {"run": run}
    if sample_n is not None and scenario.sample is not None:
        updates["sample"] = scenario.sample.model_copy(update={"n": int(sample_n)})
    scenario = scenario.model_copy(update=updates)
    if world is not None:
        label = world_label or "given world"
    else:
        world, label = _resolve_world(scenario, base)
    policies = build_policies(scenario, world)
    if max_policies is not None and len(policies) > max_policies:
        policies = policies.take(range(max_policies))
    return PreparedScenario(
        scenario=scenario,
        source=source,
        world=world,
        world_label=label,
        policies=policies,
        effects=effect_sizes(scenario),
        n_paths=run.paths,
        n_steps=run.quarters * world.steps_per_quarter,
        seed=run.seed,
    )


@dataclass
class ScenarioResult:
    """What :func:`run_scenario` returns.

    Attributes
    ----------
    dataset : xarray.Dataset
        The Simulation Dataset of every policy (DESIGN.md section 7), provenance in attrs.
    comparison : Comparison
        Paired differences, rankings, frontier, sensitivity, robustness and effect sizes.
    prepared : PreparedScenario
    """

    dataset: xr.Dataset
    comparison: Comparison
    prepared: PreparedScenario


def _subset(policies: PolicySet, idx: list[int]) -> PolicySet:
    return policies.take(idx)


def _robustness(
    prep: PreparedScenario,
    comp: Comparison,
    *,
    client,
    out: Path | None,
    progress: bool,
    restart: bool,
) -> pd.DataFrame | None:
    rob = prep.scenario.robustness
    ranges = prep.scenario.effects.ranges
    if not rob.enabled or not ranges or prep.n_policies < 3:
        return None
    top = [int(p) for p in comp.top(rob.top).index]
    idx = [0, *top]
    subset = _subset(prep.policies, idx)
    n_paths = rob.paths or prep.n_paths
    base_fn = prep.chunk_fn(subset, n_paths=n_paths)
    settings: dict[str, Any] = {}
    for name, (lo, hi) in ranges.items():
        for tag, value in (("low", lo), ("high", hi)):
            settings[f"{name} = {value:g} ({tag})"] = prep.effects.replace(**{name: value})
    alternatives = {}
    for label, eff in settings.items():
        fn = PolicyChunks(
            prep.world, subset, eff, n_paths=n_paths, n_steps=prep.n_steps, seed=prep.seed
        )
        store = None
        if out is not None:
            key = fingerprint(label)[:12]
            fp = fingerprint(prep.fingerprint(), label, idx, n_paths)
            store = ChunkStore(out / "chunks" / f"robustness_{key}", fp, len(idx), len(idx))
            store.open(restart=restart)
        ds = run_chunks(
            fn, len(idx), chunk_size=len(idx), store=store, client=client, progress=False
        )
        c = _compare_like(ds, comp, prep)
        alternatives[label] = c.table["score"].set_axis(idx).drop(index=0)
    # the base ranking of the same policies, on the robustness run's paths
    if n_paths == prep.n_paths:
        base = comp.table["score"].loc[top]
    else:
        ds = run_chunks(base_fn, len(idx), chunk_size=len(idx), client=client, progress=False)
        base = _compare_like(ds, comp, prep).table["score"].set_axis(idx).drop(index=0)
    return ranking_stability(base, alternatives, top_k=min(5, len(top)))


def _compare_like(ds: xr.Dataset, comp: Comparison, prep: PreparedScenario) -> Comparison:
    o = prep.scenario.objectives
    return compare(
        ds,
        objectives=o.rank,
        primary=o.primary,
        frontier=o.frontier,
        weights=o.weights or None,
        level=comp.level,
    )


def run_scenario(
    scenario: Scenario | PreparedScenario | str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    client=None,
    progress: bool = True,
    restart: bool = False,
    on_chunk=None,
    results: str | os.PathLike | None = None,
    **overrides,
) -> ScenarioResult:
    """Simulate every policy of a scenario and compare them with the status quo.

    Parameters
    ----------
    scenario : Scenario, PreparedScenario or path
    out : path, optional
        Folder for checkpoints (``out/chunks``); a rerun with the same folder resumes and ends
        with identical results. ``None`` keeps everything in memory.
    client : distributed.Client, optional
        Run the chunks on this Dask cluster (see :func:`open_client`); ``None`` runs them here.
    progress : bool
        Progress bar over policies.
    restart : bool
        Discard checkpoints of another run in ``out/chunks`` instead of refusing them.
    on_chunk : callable ``(start, stop)``, optional
        Called after each finished chunk (tests use it to interrupt a run).
    results : path, optional
        A ``.zarr`` store for the Simulation Dataset: each finished chunk is appended to it, so
        the store is the sweep's checkpoint (a rerun resumes from it) and the returned
        ``dataset`` is opened lazily from it (:class:`~channelsim.scenario.ZarrStore`).
        ``None`` keeps the chunks in memory (checkpointed under ``out/chunks`` when ``out`` is
        given).
    **overrides
        ``paths``, ``quarters``, ``seed``, ``sample_n``, ``max_policies``, ``world``,
        ``world_label`` (see :func:`prepare`).

    Returns
    -------
    ScenarioResult

    Examples
    --------
    >>> from channelsim.scenario import parse_scenario
    >>> s = parse_scenario('[scenario]\\nname = "x"\\n[levers]\\nhiring = ["direct_rep", "channel_manager"]\\n')
    >>> res = run_scenario(s, paths=4, quarters=1, progress=False)
    >>> res.dataset.sizes["policy"], res.comparison.n_paths
    (2, 4)
    """
    prep = scenario if isinstance(scenario, PreparedScenario) else prepare(scenario, **overrides)
    out_path = Path(out) if out is not None else None
    fn = prep.chunk_fn()
    store = None
    fp = prep.fingerprint()
    chunk_size = prep.scenario.run.chunk_size
    if results is not None:
        store = ZarrStore(results, fp, prep.n_policies, chunk_size)
        store.open(restart=restart)
    elif out_path is not None:
        store = ChunkStore(out_path / "chunks", fp, prep.n_policies, chunk_size)
        store.open(restart=restart)
    ds = run_chunks(
        fn,
        prep.n_policies,
        chunk_size=chunk_size,
        store=store,
        client=client,
        progress=progress,
        on_chunk=on_chunk,
    )
    sc = prep.scenario
    ds.attrs.update(
        {
            "scenario": sc.scenario.name,
            "scenario_fingerprint": fp,
            "world": prep.world_label,
            VERSION_KEY: package_version(),
        }
    )
    if results is not None:
        store.set_attrs(ds.attrs)
    meta = {
        "name": sc.scenario.name,
        "title": sc.scenario.title or sc.scenario.name,
        "question": sc.scenario.question,
        "seed": prep.seed,
        "quarters": sc.run.quarters,
        "world": prep.world_label,
        VERSION_KEY: package_version(),
        "source": prep.source,
        "provenance": f"fingerprint {fp[:16]}",
        "ranking": "score" if sc.objectives.weights else sc.objectives.primary,
    }
    comp = compare(
        ds,
        objectives=sc.objectives.rank,
        primary=sc.objectives.primary,
        frontier=sc.objectives.frontier,
        weights=sc.objectives.weights or None,
        level=sc.run.level,
        meta=meta,
    )
    comp.effects = effects_table(sc)
    comp.effect_sensitivity = _robustness(
        prep, comp, client=client, out=out_path, progress=progress, restart=restart
    )
    return ScenarioResult(dataset=ds, comparison=comp, prepared=replace(prep))
