"""The folders are the architecture: no stage imports a later one, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lower numbers are lower layers; a module may import its own package and lower layers only.
# evaluation sits beside the front ends: it calls the answer pipeline, nothing calls it but the
# CLI and benchmarks.
LAYERS = {
    "reportqa": 0,
    "ingest": 1,
    "index": 2,
    "answer": 3,
    "evaluation": 4,
    "server": 4,
    "app": 5,
    "cli": 6,
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top in LAYERS:
        pkg = ROOT / top
        if pkg.is_dir():
            for path in pkg.rglob("*.py"):
                rel = path.relative_to(ROOT).with_suffix("")
                parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
                found[".".join(parts)] = path
        elif (ROOT / f"{top}.py").exists():
            found[top] = ROOT / f"{top}.py"
    return found


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# ``python -m reportqa`` runs the console command: an entry point, not part of the core library.
ENTRY_POINTS = {"reportqa.__main__"}


def test_no_module_imports_a_higher_layer() -> None:
    """Every import counts, those inside functions too."""
    wrong = []
    for name, path in _modules().items():
        if name in ENTRY_POINTS:
            continue
        layer = LAYERS[name.split(".")[0]]
        for imported in _imports(path):
            top = imported.split(".")[0]
            if top in LAYERS and top != name.split(".")[0] and LAYERS[top] >= layer:
                wrong.append(f"{name} imports {imported}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles_between_modules() -> None:
    """Module-level imports: what Python runs when a module is imported. (A function-level import
    of a module that imports this one back is a dependency loop too, but no import cycle.)"""
    modules = _modules()
    graph = {
        name: {i for i in _imports(path, top_level_only=True) if i in modules and i != name}
        for name, path in modules.items()
    }
    seen: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[str] = []

    def visit(node: str) -> None:
        seen.add(node)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt in on_stack:
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in seen:
                visit(nxt)
        stack.pop()
        on_stack.discard(node)

    for node in sorted(graph):
        if node not in seen:
            visit(node)
    assert not cycles, "\n".join(cycles)


def test_no_function_level_import_loops_between_index_modules() -> None:
    """Within ``index/`` not even a function-level import may lead back to the importer (the
    stores share index.report_index and index.ingest_plan instead of importing each other)."""
    modules = {n: p for n, p in _modules().items() if n.split(".")[0] == "index"}
    graph = {
        name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()
    }

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return False

    loops = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if reaches(b, a))
    assert not loops, "\n".join(loops)
