"""Loading an act from YAML while keeping where every key and value stands in the file.

PyYAML's composer gives every node a start mark; we build plain Python data from the node tree
ourselves and remember the marks by path, so that a pydantic error at ``("premesse", 3)`` or a
check on ``verifiche[1].esito`` can be reported as ``FILE:LINE:COLUMN: message``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from atti.acts.checks import check_act
from atti.acts.model import Act
from atti.acts.source import LoadedAct, Path_, Position, SourceMap
from atti.errors import ActError, Problem

__all__ = ["LoadedAct", "SourceMap", "load_act", "load_act_text", "parse_yaml"]

class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: pydantic parses them and reports bad ones in place."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)  # the resolver tags only scalars as timestamps
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class _FastLoader(yaml.CSafeLoader):
    """The same loader on libyaml: ten times faster, which batch rendering feels per act.

    libyaml words its syntax errors differently, so a file it refuses is parsed again by
    :class:`_Loader`, whose messages the officer sees; only valid YAML takes the fast path.
    """


_FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _pos(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def _build(
    node: yaml.Node, path: Path_, loader: _Loader | _FastLoader, smap: SourceMap, problems: list[Problem]
) -> Any:
    smap.values[path] = _pos(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int) or isinstance(key, bool):
                pos = _pos(key_node.start_mark)
                problems.append(Problem(smap.file, pos.line, pos.column, "a key must be plain text"))
                continue
            key = str(key)
            if key in out:
                pos = _pos(key_node.start_mark)
                problems.append(Problem(smap.file, pos.line, pos.column, f"duplicate key '{key}'"))
                continue
            smap.keys[(*path, key)] = _pos(key_node.start_mark)
            out[key] = _build(value_node, (*path, key), loader, smap, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), loader, smap, problems) for i, item in enumerate(node.value)]
    return loader.construct_object(node)


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data plus its source map; syntax errors become ActError."""
    if getattr(yaml, "__with_libyaml__", False):
        try:
            return _parse_with(_FastLoader, text, file)
        except ActError:
            pass  # parsed again below, for the pure-Python loader's exact message and position
    return _parse_with(_Loader, text, file)


def _parse_with(loader_class: type[_Loader] | type[_FastLoader], text: str, file: str) -> tuple[Any, SourceMap]:
    smap = SourceMap(file)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ActError([Problem(file, 1, 1, "the file is empty: an act is a YAML mapping")])
        problems: list[Problem] = []
        data = _build(node, (), loader, smap, problems)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(s for s in (exc.context, exc.problem) if s)
        raise ActError([Problem(file, line, col, f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ActError([Problem(file, 1, 1, f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if problems:
        raise ActError(problems)
    if not isinstance(data, dict):
        raise ActError([Problem(file, 1, 1, "an act is a YAML mapping of keys such as 'oggetto:'")])
    return data, smap


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _fields_of(model: type[BaseModel], path: Path_) -> list[str]:
    """The keys allowed at ``path`` of the act, for "did you mean" hints."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        current = _model_in(info.annotation)
        if current is None:
            return []
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _problems_from(exc: ValidationError, smap: SourceMap) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc: Path_ = tuple(err["loc"])
        where = _dotted(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            hint = difflib.get_close_matches(key, _fields_of(Act, loc[:-1]), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            problems.append(smap.problem(loc, f"unknown key '{key}'{suggestion}", at_key=True))
        elif kind == "missing":
            parent = _dotted(loc[:-1])
            inside = f" in '{parent}'" if parent else ""
            problems.append(smap.problem(loc[:-1], f"missing required key '{loc[-1]}'{inside}"))
        elif kind.startswith("date"):
            value = err.get("input")
            problems.append(
                smap.problem(loc, f"{where}: not a valid date: '{value}' (write it as YYYY-MM-DD)")
            )
        elif kind == "too_short" and where == "dispositivo.punti":
            problems.append(smap.problem(loc, "empty dispositivo: write at least one punto"))
        elif kind == "too_short":
            problems.append(smap.problem(loc, f"{where}: must not be empty"))
        elif kind == "enum":
            expected = err.get("ctx", {}).get("expected", "")
            problems.append(
                smap.problem(loc, f"{where}: '{err.get('input')}' is not one of {expected}")
            )
        else:
            problems.append(smap.problem(loc, f"{where}: {err['msg']}" if where else err["msg"]))
    return problems


def load_act_text(
    text: str, file: str = "<act>", *, check: bool = True, allegati_dirs: Sequence[Path] = ()
) -> LoadedAct:
    """Validate YAML text as an act; raise ActError listing every problem with its position.

    ``allegati_dirs``: folders besides the act's own that its allegati may come from (the checks).
    """
    data, smap = parse_yaml(text, file)
    try:
        act = Act.model_validate(data)
    except ValidationError as exc:
        raise ActError(_problems_from(exc, smap)) from None
    loaded = LoadedAct(act=act, source=smap, text=text)
    if check:
        problems = check_act(loaded, allegati_dirs=allegati_dirs)
        if problems:
            raise ActError(problems)
    return loaded


def load_act(path: Path, *, check: bool = True, allegati_dirs: Sequence[Path] = ()) -> LoadedAct:
    """Read and validate an act file (see :func:`load_act_text`)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ActError([Problem(str(path), 1, 1, "no such file")]) from None
    except OSError as exc:
        raise ActError([Problem(str(path), 1, 1, f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ActError([Problem(str(path), line, 1, "the file is not UTF-8 text")]) from None
    return load_act_text(text, str(path), check=check, allegati_dirs=allegati_dirs)
