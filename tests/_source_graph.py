"""Read a source tree with :mod:`ast`: its modules, their imports and their definitions.

Shared by ``test_layers.py`` (DESIGN.md section 5: which package may import which) and
``test_one_home.py`` (each fact defined once). Both feed the same functions the real tree
(``src/channelsim``) and tiny synthetic trees written into ``tmp_path``, so every rule is
shown to fail on a violation.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SRC", "Import", "Module", "SourceTree", "write_tree"]

#: The package's source folder (``src/channelsim``).
SRC = Path(__file__).resolve().parents[1] / "src" / "channelsim"


@dataclass(frozen=True)
class Import:
    """One imported name: ``target`` is the module it resolves to (a submodule when the
    imported name is one), ``local`` is True inside a function body."""

    module: str
    line: int
    target: str
    name: str | None
    local: bool
    type_checking: bool


@dataclass
class Module:
    """A parsed module: its dotted name, file, syntax tree and imports."""

    name: str
    path: Path
    tree: ast.Module
    is_package: bool
    imports: list[Import] = field(default_factory=list)

    @property
    def package(self) -> str:
        """The layer a module belongs to: ``data`` for ``channelsim.data._book``,
        ``datasets`` for the root module ``channelsim.datasets``, ``channelsim`` for the
        root ``__init__``."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else parts[0]


def _module_name(root: Path, path: Path) -> tuple[str, bool]:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts = parts[:-1]
    return ".".join(parts), is_pkg


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class SourceTree:
    """Every module under ``root`` (a package folder) with its resolved imports."""

    def __init__(self, root: Path = SRC):
        self.root = Path(root)
        self.modules: dict[str, Module] = {}
        for path in sorted(self.root.rglob("*.py")):
            name, is_pkg = _module_name(self.root, path)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            self.modules[name] = Module(name, path, tree, is_pkg)
        for mod in self.modules.values():
            mod.imports = list(self._imports(mod))

    # -- imports -------------------------------------------------------------------------
    def _imports(self, mod: Module):
        def visit(node, local, tc):
            for child in ast.iter_child_nodes(node):
                c_local = local or isinstance(
                    child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                )
                c_tc = tc or (isinstance(child, ast.If) and _is_type_checking(child))
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        yield Import(mod.name, child.lineno, alias.name, None, local, tc)
                elif isinstance(child, ast.ImportFrom):
                    base = self._resolve_from(mod, child)
                    for alias in child.names:
                        sub = f"{base}.{alias.name}"
                        target = sub if sub in self.modules else base
                        yield Import(mod.name, child.lineno, target, alias.name, local, tc)
                yield from visit(child, c_local, c_tc)

        yield from visit(mod.tree, False, False)

    @staticmethod
    def _resolve_from(mod: Module, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = mod.name.split(".")
        if not mod.is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def internal(self, target: str) -> str | None:
        """The tree's module a target names (itself or its closest enclosing module)."""
        parts = target.split(".")
        while parts:
            name = ".".join(parts)
            if name in self.modules:
                return name
            parts.pop()
        return None

    def package_of(self, name: str) -> str:
        return self.modules[name].package

    def edges(self, *, include_local: bool = True) -> dict[str, set[str]]:
        """Module -> the tree's modules it imports (``TYPE_CHECKING`` blocks left out).

        Importing ``a.b.c`` also runs the ``__init__`` of ``a.b``; both count.
        """
        out: dict[str, set[str]] = {m: set() for m in self.modules}
        for mod in self.modules.values():
            for imp in mod.imports:
                if imp.type_checking or (imp.local and not include_local):
                    continue
                target = self.internal(imp.target)
                if target is None:
                    continue
                if target != mod.name:
                    out[mod.name].add(target)
                # importing ``a.b.c`` from outside ``a.b`` runs ``a.b``'s ``__init__`` first
                parts = target.split(".")
                for k in range(len(parts) - 1, 1, -1):
                    parent = ".".join(parts[:k])
                    if parent in self.modules and not mod.name.startswith(parent + "."):
                        out[mod.name].add(parent)
        return out

    def cycles(self, *, include_local: bool = True) -> list[list[str]]:
        """Strongly connected groups of more than one module (Tarjan), sorted."""
        graph = self.edges(include_local=include_local)
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on: set[str] = set()
        found: list[list[str]] = []
        counter = [0]

        def strong(v: str) -> None:
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in sorted(graph[v]):
                if w not in index:
                    strong(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                group = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    group.append(w)
                    if w == v:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

        for v in sorted(graph):
            if v not in index:
                strong(v)
        return sorted(found)

    # -- definitions ---------------------------------------------------------------------
    def functions(self):
        """``(module, node)`` for every function and method definition."""
        for mod in self.modules.values():
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield mod, node

    def calls(self, attr: str):
        """``(module, line)`` of every call ``<anything>.attr(...)`` or ``attr(...)``."""
        for mod in self.modules.values():
            for node in ast.walk(mod.tree):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                if (isinstance(f, ast.Attribute) and f.attr == attr) or (
                    isinstance(f, ast.Name) and f.id == attr
                ):
                    yield mod, node.lineno

    def assignments(self):
        """``(module, name, value node)`` of every module-level assignment."""
        for mod in self.modules.values():
            for node in mod.tree.body:
                if isinstance(node, ast.Assign):
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            yield mod, t.id, node.value
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    if node.value is not None:
                        yield mod, node.target.id, node.value


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write a synthetic package ``root/channelsim`` from ``{relative path: source}``;
    every folder gets an ``__init__.py``. Returns the package folder."""
    pkg = Path(root) / "channelsim"
    for rel, text in {"__init__.py": "", **files}.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(pkg).parents:
            init = pkg / parent / "__init__.py"
            if not init.exists():
                init.write_text("")
        path.write_text(text)
    return pkg
