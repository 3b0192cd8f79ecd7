"""Each fact of the package has one definition, checked from the source with :mod:`ast`.

Homes:

* **calendar**: step -> fiscal quarter / fiscal year conversions (``asfreq`` and arithmetic on
  the fiscal year's start month) only in ``channelsim.calendar``;
* **draws**: choosing posterior draws (``choice`` / ``permutation``, or a ``linspace`` rounded
  to indices, in a function that takes draws) only in ``channelsim.world.draw_indices``;
* **hashing**: ``hashlib`` and the version key only in ``channelsim.provenance``;
* **outcomes**: tables of the outcome variables (a literal naming six or more of them) only in
  the registry ``channelsim.policy._outcomes`` (a default selection of a few is not a table);
* **engaged stages**: the engaged-stage list only in ``channelsim._vocab``;
* **sampler**: quasi-random policy sampling (``scipy.stats.qmc``) only in
  ``channelsim.policy._grid`` (``PolicyGrid.sample``);
* **seed**: turning a Generator, SeedSequence or None into a seed only in
  ``channelsim.rng.normalize_seed``.

Each rule is a function of a :class:`~tests._source_graph.SourceTree`; the tests run it on the
real tree (no second home) and on a small synthetic tree with a second home (found).
"""

from __future__ import annotations

import ast

import pytest

from channelsim.policy import OUTCOMES
from tests._source_graph import SourceTree, write_tree

FY_NAMES = frozenset({"fiscal_year_start_month", "fy_start"})
DRAW_PARAMS = frozenset({"draws", "n_draws", "n_world_draws", "n_available"})
ENGAGED = frozenset({"active", "productive", "strategic"})


def _name(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _where(mod, node) -> str:
    return f"{mod.name}:{node.lineno}"


def calendar_violations(tree: SourceTree) -> list[str]:
    """``asfreq`` calls, and arithmetic or comparisons of the fiscal year's start month with a
    non-constant, outside ``channelsim.calendar``."""
    bad = []
    for mod in tree.modules.values():
        if mod.name == "channelsim.calendar":
            continue
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Call) and _name(node.func) == "asfreq":
                bad.append(f"{_where(mod, node)} asfreq")
            elif isinstance(node, ast.BinOp) and {_name(node.left), _name(node.right)} & FY_NAMES:
                bad.append(f"{_where(mod, node)} fiscal-month arithmetic")
            elif isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(_name(s) in FY_NAMES for s in sides) and not all(
                    _name(s) in FY_NAMES or isinstance(s, ast.Constant) for s in sides
                ):
                    bad.append(f"{_where(mod, node)} fiscal-month comparison")
    return bad


def draw_violations(tree: SourceTree) -> list[str]:
    """Functions taking draws that pick them with ``linspace``, ``choice`` or ``permutation``,
    other than ``channelsim.world._schema.draw_indices``."""
    bad = []
    for mod, fn in tree.functions():
        if (mod.name, fn.name) == ("channelsim.world._schema", "draw_indices"):
            continue
        params = {a.arg for a in [*fn.args.args, *fn.args.kwonlyargs]}
        if not params & DRAW_PARAMS:
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            # random subsets, or evenly spaced points rounded to indices
            rounded_grid = name in ("round", "astype") and any(
                isinstance(n, ast.Call) and _name(n.func) == "linspace" for n in ast.walk(node)
            )
            if name in ("choice", "permutation") or rounded_grid:
                bad.append(f"{_where(mod, node)} {fn.name} selects draws")
    return bad


def hashing_violations(tree: SourceTree) -> list[str]:
    """``hashlib`` imports and the version key's literal outside ``channelsim.provenance``."""
    bad = []
    for mod in tree.modules.values():
        if mod.name == "channelsim.provenance":
            continue
        bad += [
            f"{mod.name}:{imp.line} imports hashlib"
            for imp in mod.imports
            if imp.target.split(".")[0] == "hashlib"
        ]
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Constant) and node.value in (
                "channelsim_version",
                "package_version",
            ):
                bad.append(f"{_where(mod, node)} version key {node.value!r}")
    return bad


def _outcome_names(value: ast.AST, names: frozenset[str]) -> set[str]:
    found = set()
    for node in ast.walk(value):
        items = []
        if isinstance(node, ast.Dict):
            items = node.keys
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            items = node.elts
        elif isinstance(node, ast.Call) and node.args:
            items = node.args[:1]
        found |= {i.value for i in items if isinstance(i, ast.Constant) and i.value in names}
    return found


def outcome_violations(tree: SourceTree, names=frozenset(OUTCOMES)) -> list[str]:
    """Module-level literals naming six or more outcome variables outside the registry."""
    return [
        f"{mod.name}: {target} lists {len(found)} outcome variables"
        for mod, target, value in tree.assignments()
        if mod.name != "channelsim.policy._outcomes"
        and len(found := _outcome_names(value, frozenset(names))) >= 6
    ]


def engaged_violations(tree: SourceTree) -> list[str]:
    """The engaged stages spelled out (or sliced off the stage list) outside the vocabulary."""
    bad = []
    for mod in tree.modules.values():
        if mod.name == "channelsim._vocab":
            continue
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if ENGAGED <= values and len(values) == 3:
                    bad.append(f"{_where(mod, node)} engaged stages")
            elif (
                isinstance(node, ast.Subscript)
                and _name(node.value) == "PROGRESSIVE_STAGES"
                and isinstance(node.slice, ast.Slice)
            ):
                bad.append(f"{_where(mod, node)} slice of the stages")
    return bad


def sampler_violations(tree: SourceTree) -> list[str]:
    """``scipy.stats.qmc`` used outside ``channelsim.policy._grid``."""
    return [
        f"{mod.name}:{imp.line} imports {imp.target}.{imp.name}"
        for mod in tree.modules.values()
        for imp in mod.imports
        if mod.name != "channelsim.policy._grid"
        and (imp.target.endswith(".qmc") or (imp.target == "scipy.stats" and imp.name == "qmc"))
    ]


def seed_violations(tree: SourceTree) -> list[str]:
    """``isinstance(..., Generator | SeedSequence)`` or a bare ``SeedSequence()`` (fresh
    entropy) outside ``channelsim.rng``."""
    bad = []
    for mod in tree.modules.values():
        if mod.name == "channelsim.rng":
            continue
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.Call):
                continue
            fname = _name(node.func)
            if fname == "isinstance" and len(node.args) == 2:
                kinds = {_name(n) for n in ast.walk(node.args[1])}
                if kinds & {"Generator", "SeedSequence"}:
                    bad.append(f"{_where(mod, node)} normalises a seed")
            elif fname == "SeedSequence" and not node.args and not node.keywords:
                bad.append(f"{_where(mod, node)} draws fresh entropy")
    return bad


RULES = {
    "calendar": calendar_violations,
    "draws": draw_violations,
    "hashing": hashing_violations,
    "outcomes": outcome_violations,
    "engaged": engaged_violations,
    "sampler": sampler_violations,
    "seed": seed_violations,
}

#: One synthetic tree per rule with a second home of the fact (the copies issue 10 removed).
BROKEN: dict[str, dict[str, str]] = {
    "calendar": {
        "forecast/_quota.py": (
            "def _fy_of(periods, fy_start):\n"
            "    months = periods.month\n"
            "    return periods.year + (months >= fy_start)\n"
        ),
    },
    "draws": {
        "model/_to_world.py": (
            "def select_draws(posterior, draws, rng):\n"
            "    return rng.choice(posterior.total, size=draws, replace=False)\n"
        ),
    },
    "hashing": {
        "simulate/_dataset.py": (
            "import hashlib\n\ndef world_hash(w):\n    return hashlib.sha256(w).hexdigest()\n"
        ),
    },
    "outcomes": {
        "scenario/_objectives.py": (
            "_BASE = [Objective('revenue', 'sum'), Objective('attainment', 'mean'),\n"
            "         Objective('stat_ape', 'mean'), Objective('commit_ape', 'mean'),\n"
            "         Objective('coverage_index', 'last'), Objective('cam_attrition', 'sum')]\n"
        ),
    },
    "engaged": {
        "data/_matrices.py": 'ENGAGED_STAGES = ("active", "productive", "strategic")\n',
    },
    "sampler": {
        "scenario/_policies.py": (
            "def quasi_random(n, d, seed):\n"
            "    from scipy.stats import qmc\n"
            "    return qmc.Sobol(d, seed=seed).random(n)\n"
        ),
    },
    "seed": {
        "model/_model.py": (
            "import numpy as np\n\ndef _seed_sequence(s):\n"
            "    if isinstance(s, np.random.Generator):\n"
            "        return np.random.SeedSequence(int(s.integers(2**63)))\n"
            "    return np.random.SeedSequence(s)\n"
        ),
    },
}


@pytest.fixture(scope="module")
def tree() -> SourceTree:
    return SourceTree()


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_fact_has_one_home(tree, rule):
    assert RULES[rule](tree) == []


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_catches_a_second_home(tmp_path, rule):
    found = RULES[rule](SourceTree(write_tree(tmp_path, BROKEN[rule])))
    assert len(found) == 1, found


def test_the_homes_exist(tree):
    """The rules exempt these definitions; they must be there."""
    defined = {(m.name, f.name) for m, f in tree.functions()}
    assert ("channelsim.world._schema", "draw_indices") in defined
    assert ("channelsim.rng", "normalize_seed") in defined
    assert ("channelsim.calendar", "trailing_sales") in defined
    assert ("channelsim.policy._grid", "sample") in defined
    assigned = {(m.name, t) for m, t, _ in tree.assignments()}
    assert ("channelsim.policy._outcomes", "OUTCOMES") in assigned
    assert ("channelsim._vocab", "ENGAGED_STAGES") in assigned
    assert ("channelsim.provenance", "VERSION_KEY") in assigned


def test_tables_are_derived_from_the_registry():
    """The simulate summary and the scenario objectives hold exactly the registry's outcomes,
    in its order, with its reductions."""
    from channelsim.scenario import OBJECTIVES
    from channelsim.simulate import ACCURACY_VARIABLES, AGGREGATION

    assert list(AGGREGATION) == list(OUTCOMES)
    assert AGGREGATION == {n: o.reduce for n, o in OUTCOMES.items()}
    assert ACCURACY_VARIABLES == tuple(n for n, o in OUTCOMES.items() if o.accuracy)
    base = [o for o in OBJECTIVES.values() if o.window is None]
    assert [o.variable for o in base] == list(OUTCOMES)
    for o in base:
        reg = OUTCOMES[o.variable]
        assert (o.reduce, o.sense, o.label, o.transform, o.percent) == (
            reg.reduce,
            reg.sense,
            reg.label,
            reg.transform,
            reg.percent,
        )
