"""The house rules of the code base, checked on its source (issue 10):

- no import circle among the project's modules, counting imports inside functions;
- dependencies point one way: tui -> screens -> models, and models' domain never reaches up into
  models.usecases; nothing under models/ imports Textual;
- screens never touch the database layer (no peewee, no table classes): they get frozen dataclasses;
- every use case declares what it returns, and no screen file grows past 400 lines.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tui", "screens", "models")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = f.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = f
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module NAME imports, at the top or inside a function, resolved to project modules
    (and, for outside packages, their top-level name prefixed with '!')."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def project(target: str) -> str | None:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        return target or None

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                hit = project(alias.name)
                found.add(hit if hit else "!" + alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                hit = project(f"{module}.{alias.name}") if f"{module}.{alias.name}" in MODULES else project(module)
                found.add(hit if hit else "!" + module.split(".")[0])
                if hit == "models.tables" or (hit and hit.startswith("models.tables")):
                    found.add(f"models.tables:{alias.name}")
    found.discard(name)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in GRAPH:
                continue
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

    for v in GRAPH:
        if v not in index:
            visit(v)
    return out


def test_the_walker_sees_imports_inside_functions():
    # a known lazy import: the App loads a screen module only when its key is pressed
    assert "models.usecases.sweep" in GRAPH["tui.app"]
    assert any(m.startswith("!") for m in GRAPH["models.db"])  # outside packages are seen too (peewee)


def test_no_import_circle():
    assert _cycles() == [], "import circles (counting imports inside functions): " + "; ".join(
        " <-> ".join(c) for c in _cycles())


def test_dependencies_point_one_way():
    wrong = []
    for name, deps in GRAPH.items():
        for dep in deps:
            if dep.startswith("!") or ":" in dep:
                continue
            if name.startswith("models") and not dep.startswith("models"):
                wrong.append(f"{name} -> {dep}")
            if name.startswith("screens") and dep.startswith("tui.") and dep not in (
                    "tui.messages", "tui.actions") and not dep.startswith("tui.widgets"):
                wrong.append(f"{name} -> {dep}")
            if (name.startswith("models") and not name.startswith("models.usecases")
                    and dep.startswith("models.usecases")):
                wrong.append(f"{name} -> {dep} (the domain does not reach up into the use cases)")
        if name.startswith("models") and "!textual" in deps:
            wrong.append(f"{name} imports textual")
    assert wrong == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("screens")))
def test_screens_never_touch_the_database_layer(name):
    deps = GRAPH[name]
    assert "!peewee" not in deps and "!playhouse" not in deps, f"{name} imports peewee"
    tables = sorted(d for d in deps if d.startswith("models.tables"))
    assert tables == [], f"{name} imports table classes: {tables}"
    assert "models.db" not in deps, f"{name} opens databases itself"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("screens")))
def test_no_screen_file_is_a_grab_bag(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= 400, f"{name} has {lines} lines"


def _public_functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node


def test_every_use_case_says_what_it_returns_and_it_is_no_table_row():
    table_names = set()
    tables = ast.parse((ROOT / "models" / "tables.py").read_text(encoding="utf-8"))
    for node in tables.body:
        if isinstance(node, ast.ClassDef):
            table_names.add(node.name)
    problems = []
    for name, path in MODULES.items():
        if not name.startswith("models.usecases") or path.name == "__init__.py":
            continue
        for fn in _public_functions(path):
            if fn.returns is None:
                problems.append(f"{name}.{fn.name} has no return annotation")
                continue
            words = {n.id for n in ast.walk(fn.returns) if isinstance(n, ast.Name)}
            words |= {n.value for n in ast.walk(fn.returns) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            if words & table_names:
                problems.append(f"{name}.{fn.name} returns a table row ({', '.join(words & table_names)})")
    assert problems == []
