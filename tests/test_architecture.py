"""The shape of the code: the layers of pyproject.toml's import-linter contract, no import
cycles (function-level imports count), and what may still be imported inside a function."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "archive_tui"

# Third-party libraries slow enough to import that a function may load them late, saying why
# in a comment ``# loaded late: <why>`` on the import or the line above it.
HEAVY = {"reportlab", "numpy", "scipy", "rapidocr", "onnxruntime", "openpyxl", "pypdf", "pypdfium2", "PIL",
         "textual", "textual_serve", "aiohttp", "alembic", "imagehash", "pypinyin", "access_parser", "bagit",
         "zxingcpp", "watchdog"}

# Where a function may still import a module of archive_tui or models, and why.
LATE_IN = {
    "archive_tui/cli/": "each command loads its services when it runs: `archive-tui --help` and the small "
                        "commands do not pay for reportlab, numpy, Pillow and Textual (0.7 s)",
    "archive_tui/tui/": "screens load their dialogs and services when opened (the app's start-up)",
    "archive_tui/web/": "the server starts the app process only for a session",
}
LATE_TARGETS = {
    "archive_tui.reports": "the renderers load reportlab (and Pillow) at import: a service loads them to print",
    "archive_tui.scanning.ocr": "numpy and Pillow, and the OCR models",
    "archive_tui.scanning.pixels": "numpy and Pillow",
    "archive_tui.scanning.sheets": "Pillow",
    "archive_tui.scanning.twins": "numpy",
    "archive_tui.scanning.watcher": "watchdog",
}


def _modules() -> list[Path]:
    return [path for path in sorted(PACKAGE.rglob("*.py")) if "versions" not in path.parts]


def _function_level_imports(path: Path):
    """(line, module, statement) of every import not at the module's top level (an ``if`` or
    ``try`` at the top level counts as top level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in tree.body:
        if isinstance(node, (ast.If, ast.Try)):
            top |= {id(inner) for inner in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
            if isinstance(node, ast.ImportFrom):
                module = ("." * node.level) + (node.module or "")
                yield node.lineno, module, [f"{module}.{alias.name}" for alias in node.names]
            else:
                yield node.lineno, node.names[0].name, [alias.name for alias in node.names]


def test_the_layers_contract_is_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", ["lint-imports"])
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0, \
        "lint-imports: a layer imports one above it (run `lint-imports` to see which)"


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycles_between_modules():
    """Function-level imports count: a cycle hidden inside a function is still a cycle."""
    graph = grimp.build_graph("archive_tui", "models", cache_dir=None)
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" ⇄ ".join(cycle) for cycle in cycles)


def test_heavy_libraries_loaded_late_say_why():
    missing = []
    for path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, module, _names in _function_level_imports(path):
            if module.split(".")[0] in HEAVY and not any("loaded late:" in text for text in lines[line - 2:line]):
                missing.append(f"{path.relative_to(ROOT)}:{line} {module}")
    assert not missing, "a heavy library imported in a function without `# loaded late: <why>`:\n" + "\n".join(missing)


def _ours(name: str) -> bool:
    return name.startswith((".", "archive_tui", "models")) or name in ("archive_tui", "models")


@pytest.mark.parametrize("where", ["archive_tui/core/", "archive_tui/db/", "archive_tui/audit/",
                                   "archive_tui/services/", "archive_tui/reports/", "archive_tui/scanning/",
                                   "archive_tui/bootstrap.py"])
def test_no_function_level_imports_of_our_own_modules(where):
    """Below the entry points (cli, tui, web: see LATE_IN) our modules are imported at the top;
    only a renderer or image code that loads a heavy library at import (LATE_TARGETS) may
    be imported where it is used."""
    late = []
    for path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(where) or any(relative.startswith(prefix) for prefix in LATE_IN):
            continue
        for line, module, names in _function_level_imports(path):
            if _ours(module) and not all(name.startswith(tuple(LATE_TARGETS)) for name in names):
                late.append(f"{relative}:{line} {module}")
    assert not late, "imported inside a function (move it to the top of the module):\n" + "\n".join(late)
