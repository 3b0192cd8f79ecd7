"""Property tests (hypothesis), bounded so the default suite stays fast.

- extreme lever values and effect sizes: every simulated outcome is finite and every share
  stays in [0, 1];
- chunking: the results of a sweep do not depend on how policies (or paths) are chunked;
- malformed panels (random columns, types, periods, duplicates): ``load_book`` raises one
  :class:`~channelsim.data.BookValidationError` naming every injected problem, never anything
  else.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelsim.data import BookValidationError, load_book
from channelsim.policy import EFFECT_BOUNDS, SAMPLE_PARAMETERS, EffectSizes, Policy

BOUNDED = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Effect sizes with their own valid range (EffectSizes refuses values outside it); every
#: other effect size (the offsets) is valid in [-50, 50].
BOUNDED_EFFECTS = EFFECT_BOUNDS


def effect_ranges(offset: float) -> dict[str, tuple[float, float]]:
    """Range tried per effect size: the bounded ones' valid range, ``[-offset, offset]`` else."""
    return {
        f.name: BOUNDED_EFFECTS.get(f.name, (-offset, offset))
        for f in dataclasses.fields(EffectSizes)
    }


SHARES = ("share_at_quota", "stat_coverage", "coverage_index", "share_mature")
#: Errors relative to actual sales: undefined (inf) in a quarter with no sales at all, which
#: extreme negative offsets produce; finite in every other quarter.
RELATIVE_TO_SALES = ("stat_ape", "stat_bias", "commit_ape", "commit_bias", "pay_cost_ratio")


def _end_or_between(lo: float, hi: float):
    return st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi, allow_nan=False))


@st.composite
def extreme_policy(draw):
    policy = Policy()
    for name, par in SAMPLE_PARAMETERS.items():
        hi = min(par.hi, 10.0) if name == "compensation.cap" else par.hi
        x = draw(_end_or_between(par.lo, hi))
        lever = par.apply(getattr(policy, par.lever), x)
        policy = dataclasses.replace(policy, **{par.lever: lever})
    return policy


@st.composite
def extreme_effects(draw, offset: float):
    ranges = effect_ranges(offset)
    return EffectSizes(**{name: draw(_end_or_between(lo, hi)) for name, (lo, hi) in ranges.items()})


def _check_finite(sim_world, policy, effects, seed):
    from channelsim.simulate import simulate

    ds = simulate(
        sim_world,
        [policy, "territory_pay"],
        n_paths=3,
        n_steps=6,
        seed=seed,
        effects=effects,
        progress=False,
    )
    no_sales = ds["revenue"].values == 0
    for name, v in ds.data_vars.items():
        finite = np.isfinite(v.values)
        if name in RELATIVE_TO_SALES:
            finite = finite | no_sales
        assert finite.all(), f"{name} has NaN or inf where there are sales"
    for name in SHARES:
        v = ds[name].values
        assert ((v >= 0) & (v <= 1)).all(), f"{name} outside [0, 1]: {v.min()}..{v.max()}"
    assert (ds["revenue"].values >= 0).all()


@BOUNDED
@given(policy=extreme_policy(), effects=extreme_effects(3.0), seed=st.integers(0, 2**16))
def test_extreme_levers_and_effects_stay_finite(sim_world, warm_kernels, policy, effects, seed):
    """Every lever parameter at (or between) the ends of its range; offsets up to +-3 (three
    times the largest default, beyond any cited evidence), bounded effects over their range."""
    _check_finite(sim_world, policy, effects, seed)


@BOUNDED
@given(policy=extreme_policy(), effects=extreme_effects(50.0), seed=st.integers(0, 2**16))
def test_effects_over_their_whole_valid_range_stay_finite(
    sim_world, warm_kernels, policy, effects, seed
):
    """Offsets anywhere in [-50, 50]: the report shift's bound (SHIFT_BOUND) keeps commits
    finite where a lying aversion near zero would otherwise overflow them."""
    _check_finite(sim_world, policy, effects, seed)


@BOUNDED
@given(sizes=st.lists(st.integers(1, 8), min_size=1, max_size=3))
def test_policy_chunking_does_not_change_results(sweep, sizes):
    from channelsim.scenario import dataset_differences, run_chunks

    fn = sweep.prepared.chunk_fn()
    reference = sweep.dataset.copy()
    reference.attrs = run_chunks(fn, 1, chunk_size=1, progress=False).attrs  # no scenario attrs
    for size in sizes:
        out = run_chunks(fn, fn.n_policies, chunk_size=size, progress=False)
        assert dataset_differences(reference, out) == []


@settings(max_examples=6, deadline=None, derandomize=True)
@given(block=st.integers(1, 7))
def test_path_blocks_do_not_change_results(sim_world, warm_kernels, block):
    from channelsim.scenario import dataset_differences
    from channelsim.simulate import simulate

    kw = {"n_paths": 7, "n_steps": 6, "seed": 3, "progress": False}
    ref = simulate(sim_world, ["territory_pay", "forecast_quota"], **kw)
    out = simulate(sim_world, ["territory_pay", "forecast_quota"], block_size=block, **kw)
    assert dataset_differences(ref, out) == []


# ------------------------------------------------------------------------ malformed panels
ROWS = [
    (f"p{p}", "N" if p < 3 else "S", f"2024-{m:02d}", stage, 10.0 * p + m)
    for p, stage in enumerate(["onboarding", "enabled", "active", "productive", "strategic"])
    for m in range(1, 7)
]
COLS = ["partner", "territory", "period", "stage", "sales"]
GARBAGE = st.sampled_from(["abc", "1.2.3", "$12", "", "n/a", "--", "12,000.5x"])


@st.composite
def malformed_panel(draw):
    """A valid panel with 1-4 injected problems; returns (frame, expected problems)."""
    df = pd.DataFrame(ROWS, columns=COLS).astype(object)
    expected: list[tuple[str | None, str]] = []  # (column, text in the message)
    n = len(df)
    rows = draw(st.lists(st.integers(0, n - 1), min_size=4, max_size=4, unique=True))
    kinds = draw(
        st.lists(
            st.sampled_from(["sales", "period", "stage", "duplicate", "missing", "extra"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    for kind, row in zip(kinds, rows, strict=False):
        if kind == "sales":
            df.loc[row, "sales"] = draw(GARBAGE.filter(bool))
            expected.append(("sales", "sales must be a number"))
        elif kind == "period":
            df.loc[row, "period"] = draw(st.sampled_from(["2024-13", "20x4-01", "soon", "Q5"]))
            expected.append(("period", "cannot read the period"))
        elif kind == "stage":
            df.loc[row, "stage"] = draw(st.sampled_from(["gold", "tier-1", "Platinum+"]))
            expected.append(("stage", "unknown stage value"))
        elif kind == "duplicate":
            expected.append((None, "more than one row"))
        elif kind == "missing":
            expected.append(("territory", "missing required column 'territory'"))
        elif kind == "extra":
            df[draw(st.sampled_from(["junk", "Unnamed: 0", "notes"]))] = draw(
                st.sampled_from([1, "x", None])
            )  # extra columns are allowed: not a problem
    if "duplicate" in kinds:
        dup = next(r for k, r in zip(kinds, rows, strict=False) if k == "duplicate")
        df = pd.concat([df, df.iloc[[dup]]], ignore_index=True)
    if "missing" in kinds:
        df = df.drop(columns=["territory"])
        # without the column the row-level checks of other columns may not run
        expected = [e for e in expected if e[0] == "territory"]
    return df, expected


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=malformed_panel())
def test_malformed_panels_list_every_problem(case):
    df, expected = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not expected:
            load_book(df)  # only allowed extra columns: loads
            return
        with pytest.raises(BookValidationError) as err:
            load_book(df)
    problems = err.value.problems
    for column, text in expected:
        hits = [p for p in problems if p.column == column and text in p.message]
        assert hits, f"no problem for column {column!r} with {text!r} in:\n{err.value}"
    assert str(err.value).startswith(f"{len(problems)} problem")
    for p in problems:
        assert p.file == "<DataFrame>" and p.message


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    columns=st.lists(
        st.sampled_from(["partner", "territory", "period", "stage", "sales", "x", "Sales "]),
        min_size=0,
        max_size=6,
        unique=True,
    ),
    values=st.lists(
        st.one_of(
            st.none(),
            st.integers(-5, 10**6),
            st.floats(allow_nan=True, allow_infinity=True),
            st.text(max_size=8),
            st.sampled_from(["2024-01", "2024Q2", "active", "p1"]),
        ),
        min_size=6,
        max_size=30,
    ),
)
def test_random_frames_load_or_raise_a_validation_error(columns, values):
    """Whatever the columns and cell types, the only failure is a BookValidationError."""
    n_rows = max(1, len(values) // max(1, len(columns)))
    data = {
        c: [values[(i * len(columns) + j) % len(values)] for i in range(n_rows)]
        for j, c in enumerate(columns)
    }
    df = pd.DataFrame(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            book = load_book(df)
        except BookValidationError as err:
            assert err.problems and all(p.message for p in err.problems)
            return
    assert len(book.partner_ids) >= 1
