"""DESIGN.md section 5, checked from the source with :mod:`ast`.

Rules:

1. **arrows**: a package imports only the packages below it (:data:`ALLOWED`);
2. **private modules**: no module imports another package's private ``_module`` (the root's
   own private modules, ``channelsim._vocab`` and the like, are shared by every package);
3. **numba** is imported only inside ``channelsim.simulate``;
4. **PyMC** (and PyTensor, nutpie) never below ``channelsim.model``;
5. **no import cycles** between modules (function-local imports included);
6. **imports at the top**: a library module imports the project's modules at its top; only
   the documented heavy ones (:data:`HEAVY`, which pull in PyMC or Dask) may be imported
   inside a function, and the command-line modules import a command's library when the
   command runs (so ``channelsim --help`` stays fast);
7. **commands do not import each other** (nor re-enter ``channelsim.cli.main``);
8. **declared interfaces**: no probing of signatures (``inspect.signature``) and no fallback
   for a project module that fails to import (``except ImportError`` around one).

Each rule is a function of a :class:`~tests._source_graph.SourceTree`; the tests run it on the
real tree (no violation) and on a small synthetic tree that breaks it (a violation found).
"""

from __future__ import annotations

import pytest

from tests._source_graph import SourceTree, write_tree

#: Modules of the root package that form the base layer (standard library, numpy, pandas);
#: every package may import them.
BASE = frozenset(
    {
        "channelsim",
        "_vocab",
        "_atomic",
        "_env",
        "_sql",
        "_html_repr",
        "rng",
        "provenance",
        "calendar",
    }
)
#: What each package may import besides itself and :data:`BASE` (DESIGN.md section 5).
ALLOWED: dict[str, frozenset[str]] = {
    "data": frozenset(),
    "world": frozenset(),
    "policy": frozenset({"world"}),
    "simulate": frozenset({"world", "policy"}),
    "_public_panels": frozenset({"data"}),
    "datasets": frozenset({"data", "world", "_public_panels"}),
    "model": frozenset({"data", "world", "datasets"}),
    "forecast": frozenset({"data", "world", "simulate", "model", "datasets"}),
    "scenario": frozenset({"data", "world", "policy", "simulate", "model", "forecast", "datasets"}),
    "report": frozenset({"data", "world", "policy", "simulate", "forecast", "scenario"}),
    "cli": frozenset(
        {"data", "world", "policy", "simulate", "model", "forecast", "scenario", "report"}
        | {"datasets"}
    ),
    "__main__": frozenset({"cli"}),
}
#: Packages below ``model``: they never import PyMC.
BELOW_MODEL = frozenset({"data", "world", "policy", "simulate", "datasets", "_public_panels"})
PYMC = ("pymc", "pytensor", "nutpie")
#: Project modules that may be imported inside a function: they pull in PyMC (the model) or
#: Dask (the cluster helpers), which the layers above keep out of their import.
HEAVY = frozenset({"channelsim.model", "channelsim.scenario.cluster"})

#: Violations that only a file outside this change can remove, each with its reason.
KNOWN: dict[str, set[tuple[str, str]]] = {
    "private": set(),
    "top": set(),
}


def _layer(tree: SourceTree, name: str) -> str:
    return tree.package_of(name)


def arrow_violations(tree: SourceTree) -> list[str]:
    """Imports between packages that :data:`ALLOWED` does not list."""
    bad = []
    for mod in tree.modules.values():
        src = mod.package
        for imp in mod.imports:
            target = tree.internal(imp.target)
            if target is None or imp.type_checking:
                continue
            dst = _layer(tree, target)
            if dst == src or dst in BASE:
                continue
            if src in BASE:
                bad.append(f"{mod.name}:{imp.line} base module imports {target}")
            elif dst not in ALLOWED.get(src, frozenset()):
                bad.append(f"{mod.name}:{imp.line} {src} -> {dst} ({target})")
    return sorted(set(bad))


def _private_part(name: str) -> bool:
    return any(p.startswith("_") and not p.startswith("__") for p in name.split(".")[2:])


def private_violations(tree: SourceTree) -> list[str]:
    """Imports of another package's private module (``channelsim.<pkg>._x``)."""
    bad = []
    for mod in tree.modules.values():
        for imp in mod.imports:
            target = tree.internal(imp.target)
            if target is None or not _private_part(target):
                continue
            if _layer(tree, target) == mod.package:
                continue
            if (mod.name, target) in KNOWN["private"]:
                continue
            bad.append(f"{mod.name}:{imp.line} imports {target}")
    return sorted(set(bad))


def numba_violations(tree: SourceTree) -> list[str]:
    """Imports of numba outside ``channelsim.simulate``."""
    return sorted(
        {
            f"{mod.name}:{imp.line} imports {imp.target}"
            for mod in tree.modules.values()
            for imp in mod.imports
            if imp.target.split(".")[0] == "numba" and mod.package != "simulate"
        }
    )


def pymc_violations(tree: SourceTree) -> list[str]:
    """Imports of PyMC, PyTensor or nutpie below ``channelsim.model`` or in the base."""
    return sorted(
        {
            f"{mod.name}:{imp.line} imports {imp.target}"
            for mod in tree.modules.values()
            for imp in mod.imports
            if imp.target.split(".")[0] in PYMC
            and (mod.package in BELOW_MODEL or mod.package in BASE)
        }
    )


def cycle_violations(tree: SourceTree) -> list[str]:
    """Import cycles between modules."""
    return [" -> ".join(group) for group in tree.cycles()]


def local_import_violations(tree: SourceTree) -> list[str]:
    """Project modules imported inside a function outside the CLI, other than :data:`HEAVY`."""
    bad = []
    for mod in tree.modules.values():
        if mod.package == "cli":
            continue
        for imp in mod.imports:
            target = tree.internal(imp.target)
            if not imp.local or target is None:
                continue
            if any(target == h or target.startswith(h + ".") for h in HEAVY):
                continue
            if (mod.name, target) in KNOWN["top"]:
                continue
            bad.append(f"{mod.name}:{imp.line} imports {target} inside a function")
    return sorted(set(bad))


def command_violations(tree: SourceTree) -> list[str]:
    """Commands importing another command module or the CLI entry point."""
    bad = []
    for mod in tree.modules.values():
        if not mod.name.startswith("channelsim.cli.cmd_"):
            continue
        for imp in mod.imports:
            target = tree.internal(imp.target) or ""
            if target.startswith("channelsim.cli.cmd_") and target != mod.name:
                bad.append(f"{mod.name}:{imp.line} imports {target}")
            elif target == "channelsim.cli":
                bad.append(f"{mod.name}:{imp.line} imports {imp.target}.{imp.name}")
    return sorted(set(bad))


def probing_violations(tree: SourceTree) -> list[str]:
    """``inspect.signature`` calls, and ``try`` blocks importing a project module with an
    ``except ImportError`` (a fallback that never runs)."""
    import ast

    bad = []
    for mod in tree.modules.values():
        for node in ast.walk(mod.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "signature"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "inspect"
            ):
                bad.append(f"{mod.name}:{node.lineno} inspect.signature")
            if not isinstance(node, ast.Try):
                continue
            catches = {
                n.id
                for h in node.handlers
                if h.type is not None
                for n in ast.walk(h.type)
                if isinstance(n, ast.Name)
            }
            if not catches & {"ImportError", "ModuleNotFoundError"}:
                continue
            for stmt in node.body:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith(
                        "channelsim"
                    ):
                        bad.append(f"{mod.name}:{sub.lineno} falls back on ImportError")
    return sorted(set(bad))


RULES = {
    "arrows": arrow_violations,
    "private": private_violations,
    "numba": numba_violations,
    "pymc": pymc_violations,
    "cycles": cycle_violations,
    "top": local_import_violations,
    "commands": command_violations,
    "probing": probing_violations,
}

#: One synthetic tree per rule that breaks it (and only the file shown).
BROKEN: dict[str, dict[str, str]] = {
    "arrows": {
        "world/_schema.py": "from channelsim.forecast import forecast\n",
        "forecast/__init__.py": "forecast = None\n",
    },
    "private": {
        "forecast/_plots.py": "from channelsim.data._periods import quarter_freq\n",
        "data/_periods.py": "def quarter_freq(m):\n    return m\n",
    },
    "numba": {"scenario/_dask.py": "import numba\n"},
    "pymc": {"simulate/_api.py": "def f():\n    import pymc\n"},
    "cycles": {
        "forecast/_forecast.py": "def f():\n    from channelsim.forecast._io import g\n",
        "forecast/_io.py": "from channelsim.forecast._forecast import f\ndef g():\n    pass\n",
    },
    "top": {
        "forecast/_newer.py": "def f():\n    from channelsim.data import load_book\n",
        "data/__init__.py": "load_book = None\n",
    },
    "commands": {
        "cli/cmd_quota.py": "from channelsim.cli.cmd_forecast import load_model_file\n",
        "cli/cmd_forecast.py": "load_model_file = None\n",
    },
    "probing": {
        "forecast/_forecast.py": (
            "import inspect\n\ndef _world_of(source, seed):\n"
            "    to_world = source.to_world\n"
            "    if 'seed' in inspect.signature(to_world).parameters:\n"
            "        return to_world(seed=seed)\n"
        ),
    },
}


@pytest.fixture(scope="module")
def tree() -> SourceTree:
    return SourceTree()


@pytest.mark.parametrize("rule", sorted(RULES))
def test_source_follows_rule(tree, rule):
    assert RULES[rule](tree) == []


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_catches_a_violation(tmp_path, rule):
    broken = SourceTree(write_tree(tmp_path, BROKEN[rule]))
    found = RULES[rule](broken)
    assert len(found) == 1, found


def test_known_violations_are_still_there(tree):
    """An allowed violation that has gone must leave :data:`KNOWN` too."""
    private = {(m.name, tree.internal(i.target)) for m in tree.modules.values() for i in m.imports}
    local = {
        (m.name, tree.internal(i.target))
        for m in tree.modules.values()
        for i in m.imports
        if i.local
    }
    assert KNOWN["private"] <= private
    assert KNOWN["top"] <= local


def test_every_package_has_a_layer(tree):
    packages = {m.package for m in tree.modules.values()}
    assert packages - set(ALLOWED) - BASE == set()


def test_imports_resolve_submodules(tmp_path):
    """``from channelsim.data import _periods`` names the private submodule itself."""
    pkg = write_tree(
        tmp_path,
        {"data/_periods.py": "", "forecast/_plots.py": "from channelsim.data import _periods\n"},
    )
    assert private_violations(SourceTree(pkg)) == [
        "channelsim.forecast._plots:1 imports channelsim.data._periods"
    ]


def test_probing_catches_a_fallback(tmp_path):
    """The dead numpy fallback of the forecast: a project import guarded by ImportError."""
    pkg = write_tree(
        tmp_path,
        {
            "forecast/_forecast.py": (
                "def _partner_mode():\n"
                "    try:\n"
                "        from channelsim.simulate import simulate_partners\n"
                "    except ImportError:\n"
                "        return None\n"
                "    return simulate_partners\n"
            ),
            "simulate/__init__.py": "simulate_partners = None\n",
        },
    )
    assert probing_violations(SourceTree(pkg)) == [
        "channelsim.forecast._forecast:3 falls back on ImportError"
    ]
