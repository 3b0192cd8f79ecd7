"""Compare policies against the status quo: paired differences, rankings, frontier, sensitivity.

Every policy runs on the same paths as the status quo (policy 0) with the same random numbers
(common random numbers, DESIGN.md section 5), so a policy's effect on a path is the paired
difference ``D_i = y_policy,i - y_status_quo,i`` and its uncertainty is the spread of the ``D_i``
over paths, usually far smaller than that of either policy alone. From those:

- **paired differences** with a ``level`` interval ``mean(D) +/- t * sd(D) / sqrt(n)`` and
  **P(beats status quo)**: the share of paths on which the policy does better (ties count half);
  ``p_mean_better`` is the one-sided confidence that the *average* difference is an improvement;
- **rankings** by each objective (1 = best) and an optional weighted **score** on standardised
  differences;
- the **Pareto frontier** over chosen objectives (no other policy at least as good on all and
  better on one);
- **lever sensitivity**: the main effect of each lever on an objective (mean over the policies
  at each preset, or in quantile bins of a continuous value) and the first-order variance share
  ``S = Var(E[Y | lever]) / Var(Y)`` over the sampled policies (exact for factorial grids, a
  binning estimate for quasi-random samples);
- **ranking stability** across the assumed effect sizes (:func:`ranking_stability`).

Depends on numpy, pandas, scipy and xarray.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from channelsim._html_repr import card, svg_scatter, table
from channelsim.scenario._objectives import OBJECTIVES, Objective, objective_values

__all__ = [
    "Comparison",
    "compare",
    "describe_levers",
    "lever_label",
    "lever_sensitivity",
    "lever_table",
    "paired_differences",
    "pareto_front",
    "ranking_stability",
]

#: Non-index ``policy`` coordinates that label policies rather than set levers.
NON_LEVER_COORDS = ("label", "name", "description", "policy_name")


def lever_table(ds: xr.Dataset) -> pd.DataFrame:
    """The lever settings of each policy: one column per non-index ``policy`` coordinate.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset(coords={"policy": [0, 1], "hiring": ("policy", ["direct_rep", "cam"])})
    >>> lever_table(ds)["hiring"].tolist()
    ['direct_rep', 'cam']
    """
    cols = {}
    for name, coord in ds.coords.items():
        if name == "policy" or coord.dims != ("policy",) or name in NON_LEVER_COORDS:
            continue
        cols[str(name)] = coord.values
    return pd.DataFrame(cols, index=pd.Index(ds["policy"].values, name="policy"))


def _humanize(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return str(value).replace("_", " ")


def lever_label(name: str) -> str:
    """People's name of a lever coordinate: ``compensation.variable_share`` ->
    ``variable share (compensation)``.

    Examples
    --------
    >>> lever_label("hiring"), lever_label("compensation.variable_share")
    ('hiring', 'variable share (compensation)')
    """
    if "." in name:
        lever, param = name.split(".", 1)
        return f"{_humanize(param)} ({_humanize(lever)})"
    return _humanize(name)


def describe_levers(levers: pd.Series, status_quo: pd.Series | None = None) -> str:
    """Plain-language description of one policy's levers (only the changes, given a baseline).

    Examples
    --------
    >>> import pandas as pd
    >>> sq = pd.Series({"hiring": "direct_rep", "quota": "ratchet"})
    >>> describe_levers(pd.Series({"hiring": "channel_manager", "quota": "ratchet"}), sq)
    'hiring: channel manager'
    >>> describe_levers(sq, sq)
    'the status quo'
    """
    parts = []
    for name, value in levers.items():
        if status_quo is not None and name in status_quo.index:
            base = status_quo[name]
            same = (
                np.isclose(value, base)
                if isinstance(value, float | np.floating) and isinstance(base, float | np.floating)
                else value == base
            )
            if same:
                continue
        parts.append(f"{lever_label(str(name))}: {_humanize(value)}")
    return "; ".join(parts) if parts else "the status quo"


def paired_differences(
    values: xr.Dataset, *, level: float = 0.9, baseline: int = 0
) -> pd.DataFrame:
    """Paired differences of every policy against the ``baseline`` policy, path by path.

    Parameters
    ----------
    values : xarray.Dataset
        Per-path objective values, dims ``(policy, path)`` (:func:`objective_values`).
    level : float in (0, 1)
        Interval level (default 0.9).
    baseline : int
        Policy label of the status quo.

    Returns
    -------
    pandas.DataFrame
        One row per (policy, objective): ``baseline_mean``, ``mean``, ``diff`` (policy minus
        status quo), ``se``, ``lo``, ``hi`` (t interval), ``rel_diff`` (``diff`` over
        ``|baseline_mean|``), ``p_beats`` (share of paths on which the policy is better, ties
        half), ``p_mean_better`` (one-sided t confidence that the mean difference is an
        improvement), ``better`` (``diff`` oriented so positive is an improvement).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> y = np.array([[1.0, 2.0, 3.0], [1.5, 2.5, 3.0]])
    >>> v = xr.Dataset({"attainment": (("policy", "path"), y)}, coords={"policy": [0, 1]})
    >>> d = paired_differences(v)
    >>> float(d.loc[(1, "attainment"), "p_beats"])
    0.8333333333333334
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    n = values.sizes["path"]
    tq = stats.t.ppf(0.5 + level / 2, max(n - 1, 1))
    policies = values["policy"].values
    frames = []
    for name in values.data_vars:
        obj: Objective = OBJECTIVES[str(name)]
        y = values[name].transpose("policy", "path").values.astype(float)
        base = values[name].sel(policy=baseline).values.astype(float)
        d = y - base[None, :]
        ok = np.isfinite(d)
        m = ok.sum(axis=1)  # paths with a value for both (e.g. attainment needs a quota)
        if (m < n).any():
            d = np.where(ok, d, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_d = np.nansum(d, axis=1) / np.maximum(m, 1)
            dev = np.where(ok, d - mean_d[:, None], 0.0)
            sd = np.sqrt((dev**2).sum(axis=1) / np.maximum(m - 1, 1))
            se = np.where(m > 1, sd / np.sqrt(np.maximum(m, 1)), np.nan)
        better = obj.sign * d
        p_beats = ((better > 0).sum(axis=1) + 0.5 * (better == 0).sum(axis=1)) / np.maximum(m, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            tstat = obj.sign * mean_d / se
            p_mean = np.where(
                se > 0,
                stats.t.cdf(tstat, max(n - 1, 1)),
                np.where(obj.sign * mean_d > 0, 1.0, np.where(obj.sign * mean_d < 0, 0.0, 0.5)),
            )
            bm = np.nanmean(base)
            rel = mean_d / abs(bm) if bm != 0 else np.full_like(mean_d, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "policy": policies,
                    "objective": str(name),
                    "baseline_mean": bm,
                    "mean": np.nanmean(y, axis=1),
                    "diff": mean_d,
                    "se": se,
                    "lo": mean_d - tq * se,
                    "hi": mean_d + tq * se,
                    "rel_diff": rel,
                    "p_beats": p_beats,
                    "p_mean_better": p_mean,
                    "better": obj.sign * mean_d,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).set_index(["policy", "objective"]).sort_index()


def pareto_front(points: np.ndarray) -> np.ndarray:
    """Mask of the non-dominated rows of ``points`` (every column: larger is better).

    A row is dominated when another row is at least as good in every column and strictly better
    in one. Ties (identical rows) are all kept.

    Examples
    --------
    >>> pareto_front(np.array([[1, 1], [2, 0], [0, 0], [1, 1]])).tolist()
    [True, True, False, True]
    """
    pts = np.asarray(points, dtype=float)
    n = pts.shape[0]
    keep = np.ones(n, dtype=bool)
    for start in range(0, n, 512):
        blk = pts[start : start + 512]
        ge = (pts[None, :, :] >= blk[:, None, :]).all(axis=2)
        gt = (pts[None, :, :] > blk[:, None, :]).any(axis=2)
        keep[start : start + 512] = ~(ge & gt).any(axis=1)
    return keep


def lever_sensitivity(
    y: pd.Series, levers: pd.DataFrame, *, n_bins: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Main effects and first-order variance shares of each lever on a policy-level outcome.

    Parameters
    ----------
    y : pandas.Series
        Outcome per policy (e.g. the mean paired difference in attainment), indexed by policy.
    levers : pandas.DataFrame
        Lever settings per policy (:func:`lever_table`), same index.
    n_bins : int
        Quantile bins for continuous levers (numeric with more than ``n_bins`` distinct values).

    Returns
    -------
    (summary, main_effects) : (pandas.DataFrame, pandas.DataFrame)
        ``summary``: one row per lever with ``low_level``, ``low`` (mean outcome at the worst
        level), ``high_level``, ``high``, ``range`` and ``first_order`` (variance share), sorted
        by ``range``; ``main_effects``: one row per (lever, level) with ``mean`` and ``n``.
        Levers that never change are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.Series([0.0, 1.0, 0.0, 1.0])
    >>> lv = pd.DataFrame({"hiring": ["a", "b", "a", "b"], "quota": ["x", "x", "y", "y"]})
    >>> s, _ = lever_sensitivity(y, lv)
    >>> float(s.loc["hiring", "first_order"]), s.index.tolist()
    (1.0, ['hiring', 'quota'])
    """
    y = y.loc[levers.index].astype(float)
    total_var = float(((y - y.mean()) ** 2).sum())
    rows, effects = [], []
    for name in levers.columns:
        col = levers[name]
        if col.nunique() < 2:
            continue
        numeric = pd.api.types.is_numeric_dtype(col)
        if numeric and col.nunique() > n_bins:
            codes, edges = pd.qcut(
                col.astype(float), n_bins, labels=False, retbins=True, duplicates="drop"
            )
            names = [f"{edges[i]:.3g} to {edges[i + 1]:.3g}" for i in range(len(edges) - 1)]
            labels = pd.Series(codes, index=col.index).map(dict(enumerate(names)))
            kind = "continuous"
        else:
            labels, kind, names = col.astype(str), "preset", None
        g = y.groupby(labels.values, sort=False)
        means, counts = g.mean(), g.size()
        if names is not None:  # bins in increasing order
            order = [b for b in names if b in means.index]
            means, counts = means.loc[order], counts.loc[order]
        between = float((counts * (means - y.mean()) ** 2).sum())
        s1 = between / total_var if total_var > 0 else 0.0
        for lvl in means.index:
            effects.append(
                {"lever": name, "level": lvl, "mean": float(means[lvl]), "n": int(counts[lvl])}
            )
        rows.append(
            {
                "lever": name,
                "kind": kind,
                "low_level": means.idxmin(),
                "low": float(means.min()),
                "high_level": means.idxmax(),
                "high": float(means.max()),
                "range": float(means.max() - means.min()),
                "first_order": s1,
                "n_levels": int(means.size),
            }
        )
    summary = pd.DataFrame(
        rows,
        columns=[
            "lever",
            "kind",
            "low_level",
            "low",
            "high_level",
            "high",
            "range",
            "first_order",
            "n_levels",
        ],
    )
    summary = summary.set_index("lever").sort_values("range", ascending=False)
    return summary, pd.DataFrame(effects, columns=["lever", "level", "mean", "n"])


def ranking_stability(
    base: pd.Series, alternatives: Mapping[str, pd.Series], *, top_k: int = 5
) -> pd.DataFrame:
    """Does the top of the ranking change under other assumed effect sizes?

    Parameters
    ----------
    base : pandas.Series
        Oriented score per policy (larger is better) under the scenario's effect sizes.
    alternatives : mapping of label to pandas.Series
        The same policies' scores under other effect sizes (e.g. each effect at the ends of its
        range).
    top_k : int
        Size of the top set compared.

    Returns
    -------
    pandas.DataFrame
        One row per alternative: ``top_policy``, ``same_top`` (the best policy is unchanged),
        ``base_top_rank`` (rank of the scenario's best policy under the alternative),
        ``top_k_overlap`` (share of the top ``k`` kept) and ``kendall_tau`` between the rankings.

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.Series({1: 3.0, 2: 2.0, 3: 1.0})
    >>> r = ranking_stability(base, {"beta low": pd.Series({1: 1.0, 2: 2.0, 3: 0.0})}, top_k=2)
    >>> [r.loc["beta low", c].item() for c in ("top_policy", "same_top", "base_top_rank")]
    [2, False, 2]
    """
    k = min(top_k, len(base))
    base_top = base.sort_values(ascending=False, kind="stable").index[:k]
    rows = []
    for label, alt in alternatives.items():
        alt = alt.loc[base.index]
        order = alt.sort_values(ascending=False, kind="stable")
        ranks = alt.rank(ascending=False, method="min")
        tau = stats.kendalltau(base.values, alt.values).statistic if len(base) > 1 else 1.0
        rows.append(
            {
                "setting": label,
                "top_policy": int(order.index[0]),
                "same_top": bool(order.index[0] == base_top[0]),
                "base_top_rank": int(ranks[base_top[0]]),
                "top_k_overlap": len(set(order.index[:k]) & set(base_top)) / k,
                "kendall_tau": float(tau) if np.isfinite(tau) else 1.0,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "setting",
            "top_policy",
            "same_top",
            "base_top_rank",
            "top_k_overlap",
            "kendall_tau",
        ],
    ).set_index("setting")


@dataclass
class Comparison:
    """Everything the report shows, computed from one Simulation Dataset.

    Attributes
    ----------
    objectives : list of str
        Ranked objectives (variables of the Simulation Dataset).
    primary : str
        Objective ordering the top-policies table (unless ``weights`` define a score).
    frontier : tuple of str
        Objectives of the Pareto frontier (first: forecast accuracy, second: attainment, by
        default).
    level : float
        Interval level.
    differences : pandas.DataFrame
        :func:`paired_differences` for every (policy, objective).
    table : pandas.DataFrame
        One row per policy: levers, ``changes`` (plain language), per objective ``<obj>``
        (mean), ``<obj>_diff``, ``<obj>_lo``, ``<obj>_hi``, ``<obj>_p_beats``, ``<obj>_rank``;
        ``score``, ``rank``, ``on_frontier``.
    sensitivity : dict of str to pandas.DataFrame
        :func:`lever_sensitivity` summary per objective.
    main_effects : dict of str to pandas.DataFrame
    values : xarray.Dataset
        Per-path objective values (policy, path), for distributions.
    by_quarter : xarray.Dataset
        Mean over paths by quarter of every variable, dims (policy, quarter).
    by_quarter_bands : xarray.Dataset
        10% and 90% quantiles over paths by quarter for the highlighted policies.
    highlight : list of int
        The status quo and the top policies (the best of each preset combination when
        continuous parameters were sampled).
    effect_sensitivity : pandas.DataFrame or None
        :func:`ranking_stability` across effect sizes, when run.
    effects : pandas.DataFrame or None
        The assumed effect sizes with value, range and source.
    meta : dict
        Scenario name, question, seed, paths, quarters and provenance.
    """

    objectives: list[str]
    primary: str
    frontier: tuple[str, str]
    level: float
    differences: pd.DataFrame
    table: pd.DataFrame
    sensitivity: dict[str, pd.DataFrame]
    main_effects: dict[str, pd.DataFrame]
    values: xr.Dataset
    by_quarter: xr.Dataset
    by_quarter_bands: xr.Dataset
    highlight: list[int]
    levers: list[str]
    effect_sensitivity: pd.DataFrame | None = None
    effects: pd.DataFrame | None = None
    meta: dict = field(default_factory=dict)

    @property
    def n_policies(self) -> int:
        return int(self.table.shape[0])

    @property
    def n_paths(self) -> int:
        return int(self.values.sizes["path"])

    @property
    def preset_levers(self) -> list[str]:
        """Lever coordinates naming presets (not sampled continuous parameters)."""
        return [c for c in self.levers if not pd.api.types.is_numeric_dtype(self.table[c])]

    def top(
        self, n: int = 10, *, include_status_quo: bool = False, distinct: bool = False
    ) -> pd.DataFrame:
        """The ``n`` best policies by ``rank`` (the status quo excluded unless asked).

        Parameters
        ----------
        n : int
        include_status_quo : bool
        distinct : bool
            Keep only the best policy of each combination of presets (sampled continuous
            parameters aside), so the list is not ``n`` near-copies of one combination.

        Examples
        --------
        >>> import numpy as np, xarray as xr
        >>> rng = np.random.default_rng(0)
        >>> v = {k: (("policy", "path", "quarter"), rng.random((4, 3, 2)))
        ...      for k in ("attainment", "commit_ape")}
        >>> ds = xr.Dataset(v, coords={"policy": [0, 1, 2, 3], "hiring": ("policy", list("aabb"))})
        >>> c = compare(ds, objectives=["attainment"])
        >>> len(c.top(3)), len(c.top(3, distinct=True))
        (3, 2)
        """
        t = self.table if include_status_quo else self.table.drop(index=0, errors="ignore")
        t = t.sort_values(["rank", "score"], ascending=[True, False])
        if distinct and self.preset_levers:
            t = t.drop_duplicates(subset=self.preset_levers, keep="first")
        return t.head(n)

    def summary_frame(self) -> pd.DataFrame:
        """The CSV summary: one row per policy, sorted by rank (status quo first)."""
        t = self.table.copy()
        t.insert(0, "policy", t.index)
        order = np.r_[0, self.top(len(t)).index.values] if 0 in t.index else self.top(len(t)).index
        return t.loc[order].reset_index(drop=True)

    def _repr_html_(self) -> str:
        """Notebook view: the best policies against the status quo (table with intervals) and
        every policy on the frontier objectives (inline SVG scatter)."""
        prim = OBJECTIVES[self.primary]
        top = self.top(5)
        rows = pd.DataFrame(
            {
                "rank": top["rank"].to_numpy(),
                "policy": [f"policy {p}" for p in top.index],
                "what changes": top["changes"].to_numpy(),
                prim.label: [
                    f"{prim.format(r[f'{self.primary}_diff'], diff=True)} "
                    f"[{prim.format(r[f'{self.primary}_lo'], diff=True)}, "
                    f"{prim.format(r[f'{self.primary}_hi'], diff=True)}]"
                    for _, r in top.iterrows()
                ],
                "P(beats status quo)": [f"{v:.0%}" for v in top[f"{self.primary}_p_beats"]],
                "frontier": ["yes" if v else "" for v in top["on_frontier"]],
            }
        )
        xname, yname = self.frontier
        t = self.table
        sq = int(np.flatnonzero(t.index.to_numpy() == 0)[0]) if 0 in t.index else None
        chart = svg_scatter(
            t[xname].to_numpy(dtype=float),
            t[yname].to_numpy(dtype=float),
            highlight=t["on_frontier"].to_numpy(),
            star=sq,
            title=f"{OBJECTIVES[xname].label} (x) vs {OBJECTIVES[yname].label} (y); "
            "blue: frontier, star: status quo",
            width=420,
        )
        title = self.meta.get("title") or self.meta.get("name") or "Policy comparison"
        sub = (
            f"{self.n_policies:,} policies &middot; {self.n_paths:,} paths each &middot; "
            f"{int(t['on_frontier'].sum())} on the frontier &middot; ranked by {prim.label}, "
            f"differences from the status quo with {self.level:.0%} intervals"
        )
        return card(f"Comparison: {title}", sub, table(rows, max_rows=5), chart)

    def max_se(self, objective: str = "attainment") -> float:
        """Largest standard error of a policy's difference from the status quo."""
        d = self.differences.xs(objective, level="objective")
        return float(d["se"].drop(index=0, errors="ignore").max())


def compare(
    ds: xr.Dataset,
    *,
    objectives: Sequence[str] = (
        "attainment",
        "commit_ape",
        "revenue",
        "programme_cost",
        "coverage_index",
    ),
    primary: str = "attainment",
    frontier: tuple[str, str] = ("commit_ape", "attainment"),
    weights: Mapping[str, float] | None = None,
    level: float = 0.9,
    n_top: int = 5,
    n_bins: int = 5,
    meta: Mapping | None = None,
) -> Comparison:
    """Compare every policy of a Simulation Dataset with the status quo (policy 0).

    Parameters
    ----------
    ds : xarray.Dataset
        Simulation Dataset (DESIGN.md section 7) holding policy 0.
    objectives : sequence of str
        Variables to rank by (keys of ``OBJECTIVES``).
    primary : str
        Objective that orders the policies when ``weights`` is not given.
    frontier : (str, str)
        Objectives of the Pareto frontier and of the frontier chart (x, y).
    weights : mapping of str to float, optional
        Score = sum of ``weight * oriented difference / status-quo path SD`` over these
        objectives; when given, the score orders the policies instead of ``primary``.
    level : float
        Interval level of the paired differences.
    n_top : int
        Policies highlighted in charts beside the status quo.
    n_bins : int
        Quantile bins for continuous levers in the sensitivity.
    meta : mapping, optional
        Scenario information carried into the report.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        Unknown objectives, or policy 0 missing.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> shape = (3, 50, 4)
    >>> ds = xr.Dataset(
    ...     {v: (("policy", "path", "quarter"), rng.random(shape)) for v in
    ...      ["attainment", "commit_ape", "revenue", "programme_cost", "coverage_index"]},
    ...     coords={"policy": [0, 1, 2], "hiring": ("policy", ["a", "b", "b"])})
    >>> c = compare(ds)
    >>> c.table.loc[0, "changes"]
    'the status quo'
    """
    names = list(dict.fromkeys([*objectives, primary, *frontier, *(weights or {})]))
    unknown = [n for n in names if n not in OBJECTIVES]
    if unknown:
        raise ValueError(f"unknown objective(s) {unknown}; choose from {sorted(OBJECTIVES)}")
    missing = [n for n in names if OBJECTIVES[n].variable not in ds.data_vars]
    if missing:
        raise ValueError(f"the Dataset lacks the variable(s) {missing}")
    if 0 not in ds["policy"].values:
        raise ValueError("the Dataset must hold policy 0, the status quo")
    values = objective_values(ds, names).compute()  # (policy, path): small; ds may be lazy
    diffs = paired_differences(values, level=level)
    levers = lever_table(ds)
    sq = levers.loc[0] if len(levers.columns) else None

    table = levers.copy()
    table["changes"] = (
        [describe_levers(levers.loc[p], sq) for p in levers.index] if sq is not None else ""
    )
    for name in names:
        d = diffs.xs(name, level="objective")
        table[name] = d["mean"]
        table[f"{name}_diff"] = d["diff"]
        table[f"{name}_lo"] = d["lo"]
        table[f"{name}_hi"] = d["hi"]
        table[f"{name}_se"] = d["se"]
        table[f"{name}_p_beats"] = d["p_beats"]
        table[f"{name}_rank"] = d["better"].rank(ascending=False, method="min").astype(int)
    if weights:
        score = 0.0
        for name, w in weights.items():
            sd = float(values[name].sel(policy=0).std()) or 1.0
            score = score + w * diffs.xs(name, level="objective")["better"] / sd
        table["score"] = score
    else:
        table["score"] = diffs.xs(primary, level="objective")["better"]
    table["rank"] = table["score"].rank(ascending=False, method="min").astype(int)
    pts = np.column_stack(
        [diffs.xs(n, level="objective")["better"].loc[table.index].values for n in frontier]
    )
    table["on_frontier"] = pareto_front(pts)

    sensitivity, main_effects = {}, {}
    sample = levers.drop(index=0, errors="ignore") if len(levers) > 2 else levers
    for name in names:
        s, m = lever_sensitivity(diffs.xs(name, level="objective")["diff"], sample, n_bins=n_bins)
        sensitivity[name], main_effects[name] = s, m

    order = table.drop(index=0, errors="ignore").sort_values(
        ["rank", "score"], ascending=[True, False]
    )
    presets = [c for c in levers.columns if not pd.api.types.is_numeric_dtype(levers[c])]
    if presets and len(presets) < len(levers.columns):
        # sampled parameters: highlight the best policy of each preset combination
        order = order.drop_duplicates(subset=presets, keep="first")
    highlight = [0, *[int(p) for p in order.index[:n_top]]]
    var_names = [v for v in ds.data_vars if {"policy", "path", "quarter"} <= set(ds[v].dims)]
    flat = ds[var_names]
    if "territory" in flat.dims:
        flat = xr.Dataset(
            {
                v: getattr(flat[v], OBJECTIVES[v].territory_reduce if v in OBJECTIVES else "mean")(
                    "territory"
                )
                for v in var_names
            }
        )
    by_quarter = flat.mean("path").compute()
    bands = flat.sel(policy=highlight).quantile([0.1, 0.9], dim="path").compute()
    return Comparison(
        objectives=list(objectives),
        primary=primary,
        frontier=tuple(frontier),
        level=level,
        differences=diffs,
        table=table,
        sensitivity=sensitivity,
        main_effects=main_effects,
        values=values,
        by_quarter=by_quarter,
        by_quarter_bands=bands,
        highlight=highlight,
        levers=list(levers.columns),
        meta=dict(meta or {}),
    )
