"""The layering of ``src/driftflag``: imports point only upstream along the data flow.

Every ``import`` in every module is read with :mod:`ast`, including imports inside functions
(those are how a cycle hides: the package imports fine and the knot only shows when the function
runs). Each import is mapped to the package it comes from and goes to, then three rules are
checked:

* no cycle between packages;
* a package imports only packages on its own floor or below (``FLOORS``: the floors of
  ``design-notes.md`` section 1, lowest first);
* nobody reaches into another package's private module (a module or package whose name starts
  with ``_``). The modules at the top of ``driftflag`` (``errors``, ``_atomic``, ``_text``,
  ``_telemetry``, ``month``, ``workspace``) are the basement every package shares.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "driftflag"

BASEMENT = "driftflag"  # the top-level modules: errors, _text, _atomic, month, workspace...

#: Floors, lowest first. A package may import packages on its own floor or any floor below it.
FLOORS: list[tuple[str, set[str]]] = [
    ("basement", {BASEMENT}),
    ("records", {"casemodel", "validate", "ingest", "synth"}),
    ("features", {"indicators"}),
    ("learning", {"targets", "models", "evaluation", "tracking"}),
    ("outputs", {"worklist", "fairness", "monitoring", "reports", "calibration"}),
    ("stage API", {"stages", "spark"}),  # spark: the pool engine beside the stage API
    ("faces", {"pipeline", "cli", "web"}),
]
FLOOR_OF = {pkg: i for i, (_name, pkgs) in enumerate(FLOORS) for pkg in pkgs}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _package(module: str) -> str:
    """``driftflag.worklist.sampling`` -> ``worklist``; top-level modules -> the basement."""
    parts = module.split(".")
    if len(parts) >= 2 and (parts[1] in _PACKAGES or parts[1] in FLOOR_OF):
        return parts[1]  # a package, or a face kept in one module (cli.py)
    return BASEMENT


_PACKAGES = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every driftflag module ``path`` imports (``from a import b`` counts ``a`` and ``a.b``)."""
    module = _module_name(path)
    is_pkg = path.name == "__init__.py"
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            found += [(f"{target}.{a.name}", node.lineno) for a in node.names]
    return [(name, line) for name, line in found if name == "driftflag" or name.startswith("driftflag.")]


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    return (SRC / rel).with_suffix(".py").exists() or (SRC / rel / "__init__.py").exists()


def _edges():
    """(from package, to package, imported module, where) for every cross-package import."""
    edges = []
    for path in sorted(SRC.rglob("*.py")):
        src_pkg = _package(_module_name(path))
        for name, line in _imports(path):
            if not _is_module(name):
                continue  # ``from driftflag.x import some_function``: counted as driftflag.x
            dst_pkg = _package(name)
            if dst_pkg != src_pkg:
                edges.append((src_pkg, dst_pkg, name, f"{path.relative_to(SRC.parent)}:{line}"))
    return edges


EDGES = _edges()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_scanner_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    """The scanner itself: an import inside a function and a relative import both count."""
    pkg = tmp_path / "driftflag" / "worklist"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import sampling\n")
    (pkg / "sampling.py").write_text("def f():\n    from driftflag.pipeline import steps\n")
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path / "driftflag")
    assert ("driftflag.worklist.sampling", 1) in _imports(pkg / "__init__.py")
    assert ("driftflag.pipeline.steps", 2) in _imports(pkg / "sampling.py")


def test_the_cycle_finder_finds_a_knot_and_passes_a_tree():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) == []


def test_every_package_has_a_floor():
    assert _PACKAGES - set(FLOOR_OF) == set(), "give each new package a floor in FLOORS"


def test_no_import_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b, _name, _where in EDGES:
        graph[a].add(b)
    knots = _cycles(graph)
    detail = [f"{a} -> {b} ({where})" for knot in knots for a, b, _n, where in EDGES
              if a in knot and b in knot]
    assert knots == [], "packages importing each other:\n" + "\n".join(sorted(set(detail)))


def test_imports_point_only_upstream():
    upward = sorted({f"{a} ({FLOORS[FLOOR_OF[a]][0]}) -> {b} ({FLOORS[FLOOR_OF[b]][0]}): {where}"
                     for a, b, _name, where in EDGES if FLOOR_OF[b] > FLOOR_OF[a]})
    assert upward == [], "imports pointing downstream:\n" + "\n".join(upward)


def _private_part(name: str) -> str | None:
    """The first private component below the package, e.g. ``_snapshot`` in
    ``driftflag.indicators._snapshot.x``; None for a public path."""
    parts = name.split(".")[2:]
    return next((p for p in parts if p.startswith("_") and not p.startswith("__")), None)


@pytest.mark.parametrize(("name", "private"), [
    ("driftflag.indicators._snapshot", "_snapshot"),
    ("driftflag.indicators.registry", None),
    ("driftflag.fairness._report.sub", "_report"),
    ("driftflag._text", None),  # the basement is everyone's
])
def test_private_part(name, private):
    assert _private_part(name) == private


def test_no_reach_into_another_packages_private_modules():
    reach = sorted({f"{a} imports {name}: {where}" for a, b, name, where in EDGES
                    if b != BASEMENT and _private_part(name)})
    assert reach == [], "private modules used from outside their package:\n" + "\n".join(reach)


def _speaking(path: Path) -> list[str]:
    """Calls to ``print``/``sys.exit``/``os._exit`` and imports of typer in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else (
                f"{f.value.id}.{f.attr}" if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else "")
            if name in ("print", "sys.exit", "os._exit", "exit", "quit"):
                found.append(f"{name}() at line {node.lineno}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"import {n} at line {node.lineno}" for n in names if n.split(".")[0] == "typer"]
    return found


def test_the_speaking_check_sees_print_and_exit(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import sys\nimport typer\ndef g():\n    print('x')\n    sys.exit(2)\n")
    assert _speaking(f) == ["import typer at line 2", "print() at line 4", "sys.exit() at line 5"]


def test_only_the_faces_print_or_exit():
    """The library (the stage API and everything below it) prints nothing and never exits: it
    returns results and raises DriftflagError; the CLI renders and sets the exit code."""
    faces = {"cli", "pipeline"}
    speaking = {str(p.relative_to(SRC.parent)): found for p in sorted(SRC.rglob("*.py"))
                if _package(_module_name(p)) not in faces and (found := _speaking(p))}
    assert speaking == {}
