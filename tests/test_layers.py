"""The layers of atti, as CONTRIBUTING.md draws them: data flows one way, and no import runs back up.

    cli                       the faces: parse, make one library call, print
    web
    pipeline                  act -> rendered -> signed -> archived, on an open Archive
    export                    what describes an archived act for others (AgID, Akoma Ntoso, BagIt)
    archive                   stores and finds (storage/ holds the backends)
    templates   signing       render an act; sign and verify a PDF (neither knows the other)
    acts                      the act model, loading, checks, references, import
    config  files  docxzip    settings; atomic writes and OS errors; a DOCX's zip within bounds;
    processes                 the processes atti starts die with it
    errors                    the one exception tree
    i18n                      the messages' language (gettext): under everything that words a message

Every import counts, wherever it is written (at the top, inside a function, under TYPE_CHECKING):
a late import hides a dependency from the reader, it does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

# Each unit of atti and the layer it sits on: a unit may import its own layer's modules only
# within itself, and any unit of a lower layer.
LAYERS: dict[str, int] = {
    "i18n": -1,
    "errors": 0,
    "config": 1,
    "files": 1,
    "docxzip": 1,
    "processes": 1,
    "acts": 2,
    "templates": 3,
    "signing": 3,
    "archive": 4,
    "export": 5,
    "pipeline": 6,
    "web": 7,
    "cli": 8,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """The atti modules ``path`` imports, resolved to module names (``from a import b`` is a.b when
    a.b is a module, else a)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _is_module(candidate) else base)
    return {name for name in found if name == "atti" or name.startswith("atti.")}


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) - {module_name(p)} for p in sorted((SRC / "atti").rglob("*.py"))}


def unit(module: str) -> str | None:
    """The layer unit of a module: atti.archive.storage.sqlite -> archive; atti itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def upward_imports(modules: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, targets in modules.items():
        here = unit(module)
        if here is None:
            continue
        assert here in LAYERS, f"{module}: a new unit of atti must be given its layer in LAYERS"
        for target in targets:
            there = unit(target)
            if there is None or there == here:
                continue
            if LAYERS[there] >= LAYERS[here]:
                wrong.append(f"{module} imports {target} ({there} is not below {here})")
    return sorted(wrong)


def cycles(modules: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in modules.get(v, ()):
            if w not in modules:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    return sorted(found)


def _package_faces(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without the edges a package's __init__ has to its own modules (re-exports): a
    package that re-exports its modules' names is one face, not a circle with them."""
    return {
        m: {t for t in targets if not (t.startswith(m + ".") and _is_module(t))} for m, targets in modules.items()
    }


def test_no_import_runs_back_up_the_layers() -> None:
    assert upward_imports(graph()) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert cycles(_package_faces(graph())) == []


def test_every_unit_has_a_layer() -> None:
    units = {unit(m) for m in graph()} - {None}
    assert units == set(LAYERS)


# The checks above must be able to fail: each is run on a graph with the fault it looks for.


def test_an_upward_import_is_found() -> None:
    modules = {"atti.templates.render": {"atti.archive.storage.files", "atti.acts.model"}, "atti.acts.model": set()}
    assert upward_imports(modules) == [
        "atti.templates.render imports atti.archive.storage.files (archive is not below templates)"
    ]
    assert upward_imports({"atti.signing.x": {"atti.templates.y"}}) == [
        "atti.signing.x imports atti.templates.y (templates is not below signing)"
    ]


def test_a_circle_is_found() -> None:
    modules = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(modules) == [["a", "b", "c"]]


def test_the_reader_sees_late_and_type_only_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = SRC / "atti" / "archive" / "archive.py"
    found = imports(path)
    assert "atti.archive.storage.location" in found and "atti.config" in found  # the latter under TYPE_CHECKING
