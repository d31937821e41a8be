"""Loading an act from YAML while keeping where every key and value stands in the file.

PyYAML's parser (libyaml's, when it is there) gives a stream of events, each with its place in the
file; we build plain Python data from them ourselves and remember the places by path, so that a
pydantic error at ``("premesse", 3)`` or a check on ``verifiche[1].esito`` can be reported as
``FILE:LINE:COLUMN: message``.

Building the data ourselves is also where hostile input stops, each limit reported at the place
where it is crossed. A file is read only up to ``MAX_BYTES``; nesting stops at ``MAX_DEPTH``
levels and the data at ``MAX_VALUES`` keys, values and list items, an alias counting for all it
stands for. An alias is never expanded again: it shares its anchor's data, so a "billion laughs"
costs what it is written in. The data is built with a stack, never by recursion. What YAML 1.1
would read as something other than an act's data is refused or left as written: tags
(``!!python/object``), merge keys (``<<``), a second document are refused; numbers in disguise
(``0127``, octal 87 to YAML 1.1; ``1_29``; ``2:09``, sexagesimal 129) and dates stay text, for
the model to accept or refuse as written. The limits are in docs/act-format.md.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core.core_schema import ErrorType

from atti.acts.characters import (
    UNREADABLE,
    YAML_LINE_BREAKS,
    find_in_scalar,
    refused_in_file,
    refused_message,
)
from atti.acts.checks import MAX_DAYS_AHEAD, check_act
from atti.acts.model import UNION_TAGS, Act, Esito
from atti.acts.references import parse_date
from atti.acts.source import LoadedAct, Path_, Position, SourceMap, Span, dotted, position_in
from atti.errors import ActError, Problem
from atti.i18n import N_, _, translate

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_VALUES", "LoadedAct", "SourceMap", "load_act", "load_act_text", "parse_yaml"]

MAX_BYTES = 2 * 2**20
"""The largest act file, 2 MB: the reference act is 7 kB, a long imported act a few hundred kB."""
MAX_DEPTH = 64
"""Levels of nesting (the act's own mapping is the first): an act has three, an imported one four."""
MAX_VALUES = 100_000
"""Keys, values and list items, an alias counting for all it stands for: an act has hundreds."""

_YAML = "tag:yaml.org,2002:"
# Scalars YAML 1.1 would turn into something else, kept as the text they are: dates (pydantic
# reads them and reports a bad one in place), and the merge and value signs outside a key.
_AS_TEXT = frozenset({_YAML + "str", _YAML + "timestamp", _YAML + "merge", _YAML + "value"})
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# Python reads no integer of more digits than this (sys.get_int_max_str_digits, 4300 by default).
_MAX_DIGITS = 4000
_MAX_CHARACTER_PROBLEMS = 20
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile("[" + "".join(sorted(YAML_LINE_BREAKS)) + "]")
_EMPTY = N_("the file is empty: an act is a YAML mapping of keys such as 'oggetto:'")


class _Loader(yaml.SafeLoader):
    """PyYAML's own parser: its messages and positions are the ones the officer sees."""


class _FastLoader(yaml.CSafeLoader):
    """The same parser on libyaml: ten times faster, which batch rendering feels per act.

    libyaml words its syntax errors differently, so a file it refuses is parsed again by
    :class:`_Loader`; only valid YAML takes the fast path.
    """


class _SyntaxError(Exception):
    """The parser refused the file: ``problems`` ends with its message."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[-1].message)
        self.problems = problems


class _Stop(Exception):
    """A limit crossed: reading on would cost what the limit is there to save."""


class _Mark(Protocol):
    """Where an event is: both parsers' marks have these (0-based, in characters)."""

    line: int
    column: int
    index: int


def _start(event: yaml.Event) -> _Mark:
    mark = event.start_mark
    assert mark is not None  # both parsers mark every event
    return mark


def _end(event: yaml.Event) -> _Mark:
    mark = event.end_mark
    assert mark is not None
    return mark


def _pos(mark: _Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


@dataclass
class _Collection:
    """A mapping or a list being built: where it stands, what it holds so far."""

    path: Path_ | None  # None inside a key, or under a key that was refused
    value: dict[str, Any] | list[Any]
    mark: _Mark
    anchor: str | None
    before: int  # the values counted before it, to know how many an anchor on it stands for
    height: int = 1  # levels of nesting, itself included
    key: str | None = None  # a mapping's key read, waiting for its value (None: refused)
    wants_key: bool = True


_MERGE = object()  # a '<<' key, refused: nothing is stored under it


class _Composer:
    """Plain data and its source map from one loader's events, within the limits."""

    def __init__(self, loader: _Loader | _FastLoader, smap: SourceMap, text: str, offset: int) -> None:
        self.loader = loader
        self.smap = smap
        self.text = text
        self.offset = offset  # characters of ``text`` before what the parser reads (a byte order mark)
        self.problems: list[Problem] = []
        self.count = 0
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # name -> value, values, height
        self.stack: list[_Collection] = []

    def problem(self, mark: _Mark, message: str, path: Path_ | None = None) -> Problem:
        where = dotted(path) if path else ""
        return Problem(self.smap.file, mark.line + 1, mark.column + 1, f"{where}: {message}" if where else message)

    def document(self) -> tuple[Any, yaml.Event | None]:
        """The first document's data and its first event (None when the file has none)."""
        loader = self.loader
        loader.get_event()  # the stream's start
        if loader.check_event(yaml.StreamEndEvent):
            return None, None
        loader.get_event()  # the document's start
        data, first = self.tree()
        loader.get_event()  # the document's end
        if not loader.check_event(yaml.StreamEndEvent):
            second = loader.peek_event()
            assert isinstance(second, yaml.Event)
            self.problems.append(
                self.problem(_start(second), _("a second document starts here ('---'): an act file holds one act"))
            )
        return data, first

    def tree(self) -> tuple[Any, yaml.Event]:
        stack = self.stack
        first: yaml.Event | None = None
        while True:
            event = self.loader.get_event()
            assert isinstance(event, yaml.Event)  # None only after the stream's end
            first = first or event
            value: Any
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                path = self.child_path()
                self.count_values(1, event)
                if len(stack) >= MAX_DEPTH:
                    raise _Stop(self.problem(_start(event), _("nested more than {depth} levels deep: "
                                             "an act has a handful of levels").format(depth=MAX_DEPTH)))
                self.refuse_tag(event, path)
                if path is not None:
                    self.smap.values[path] = _pos(_start(event))
                empty: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
                stack.append(_Collection(path, empty, _start(event), event.anchor, self.count - 1))
                continue
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                done = stack.pop()
                value, height, mark = done.value, done.height, done.mark
                if done.anchor is not None:
                    self.anchors[done.anchor] = (value, self.count - done.before, height)
            elif isinstance(event, yaml.ScalarEvent):
                self.count_values(1, event)
                value, height, mark = self.scalar(event, self.child_path()), 0, _start(event)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1, 0)
            elif isinstance(event, yaml.AliasEvent):
                value, height = self.alias(event, self.child_path())
                mark = _start(event)
            else:  # the parser gives nothing else inside a document
                raise _Stop(self.problem(_start(event), _("unexpected {event}").format(event=type(event).__name__)))
            if not stack:
                return value, first or event
            self.attach(stack[-1], value, height, mark)

    def child_path(self) -> Path_ | None:
        """Where the node starting now stands in the act (None for a key, or under a refused one)."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.path is None:
            return None
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        if top.wants_key or top.key is None:
            return None
        return (*top.path, top.key)

    def attach(self, top: _Collection, value: Any, height: int, mark: _Mark) -> None:
        top.height = max(top.height, height + 1)
        if isinstance(top.value, list):
            top.value.append(value)
            return
        if not top.wants_key:
            if top.key is not None:
                top.value[top.key] = value
            top.wants_key = True
            return
        top.wants_key, top.key = False, None
        if value is _MERGE:
            merge = _("merge keys ('<<') are not supported in acts: write the keys out")
            self.problems.append(self.problem(mark, merge))
        elif not isinstance(value, str | int) or isinstance(value, bool):
            self.problems.append(self.problem(mark, _("a key must be plain text")))
        elif str(value) in top.value:
            self.problems.append(self.problem(mark, _("duplicate key '{key}'").format(key=value)))
        else:
            top.key = str(value)
            if top.path is not None:
                self.smap.keys[(*top.path, top.key)] = _pos(mark)

    def count_values(self, values: int, event: yaml.Event) -> None:
        self.count += values
        if self.count <= MAX_VALUES:
            return
        if isinstance(event, yaml.AliasEvent):
            message = _("the alias '*{name}' stands for {values} values, which makes the act more than "
                        "{limit} keys, values and list items long").format(name=event.anchor, values=values,
                                                                         limit=MAX_VALUES)
        else:
            message = _("more than {limit} keys, values and list items: no act is that long").format(limit=MAX_VALUES)
        raise _Stop(self.problem(_start(event), message))

    def refuse_tag(self, event: yaml.ScalarEvent | yaml.CollectionStartEvent, path: Path_ | None) -> None:
        if event.tag is None:
            return
        shown = "!!" + event.tag.removeprefix(_YAML) if event.tag.startswith(_YAML) else event.tag
        self.problems.append(self.problem(
            _start(event),
            _("tags such as '{tag}' are not used in acts: write the value as plain text (in quotes if needed)")
            .format(tag=shown),
            path,
        ))

    def scalar(self, event: yaml.ScalarEvent, path: Path_ | None) -> Any:
        self.refuse_tag(event, path)
        span = Span(_start(event).index + self.offset, _end(event).index + self.offset, event.style or "")
        if path is not None:
            self.smap.values[path] = _pos(_start(event))
            self.smap.scalars[path] = span
        value: str = event.value
        half = _SURROGATE.search(value)
        if half is not None:  # from an escape, "\ud800": no text can hold it (pydantic refuses it unplaced)
            self.refuse_character(half.group(), span, _start(event), path)
            return _SURROGATE.sub("\ufffd", value)
        tag: str = _YAML + "str" if event.tag is not None else self.loader.resolve(  # type: ignore[no-untyped-call]
            yaml.ScalarNode, value, event.implicit
        )
        top = self.stack[-1] if self.stack else None
        if tag == _YAML + "merge" and top is not None and top.wants_key and isinstance(top.value, dict):
            return _MERGE
        if tag in _AS_TEXT:
            return value
        if tag == _YAML + "int":
            return int(value) if _DECIMAL.fullmatch(value) and len(value) <= _MAX_DIGITS else value
        construct = self.loader.yaml_constructors.get(tag)
        if construct is None:
            return value
        return construct(self.loader, yaml.ScalarNode(tag, value, None, None, event.style))

    def refuse_character(self, char: str, span: Span, mark: _Mark, path: Path_ | None) -> None:
        at = find_in_scalar(self.text, span.start, span.end, span.style, char)
        pos = position_in(self.text, at) if at is not None else _pos(mark)
        where = f"{dotted(path)}: " if path else ""
        message = where + refused_message(char, refused_in_file(char) or "")
        self.problems.append(Problem(self.smap.file, pos.line, pos.column, message))

    def alias(self, event: yaml.AliasEvent, path: Path_ | None) -> tuple[Any, int]:
        name = event.anchor or ""
        found = self.anchors.get(name)
        if found is None:
            inside = any(c.anchor == name for c in self.stack)
            why = (_("the alias '*{name}' is inside the value it names ('&{name}')") if inside
                   else _("the alias '*{name}' names no anchor ('&{name}') before it"))
            self.problems.append(self.problem(_start(event), why.format(name=name), path))
            return None, 0
        value, values, height = found
        if len(self.stack) + height > MAX_DEPTH:
            raise _Stop(self.problem(_start(event), _("the alias '*{name}' makes the act nested more than "
                                     "{depth} levels deep: an act has a handful of levels").format(
                                         name=name, depth=MAX_DEPTH)))
        self.count_values(values, event)
        if path is not None:
            self.smap.values[path] = _pos(_start(event))
        return value, height


def _size_problem(text: str, file: str) -> Problem | None:
    """The problem of a text longer than MAX_BYTES, placed at the character that crosses it."""
    if len(text) <= MAX_BYTES // 4:
        return None
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= MAX_BYTES:
        return None
    return _too_big(text, len(data[:MAX_BYTES].decode("utf-8", "ignore")), file)


def _too_big(text: str, index: int, file: str) -> Problem:
    pos = position_in(text, index)
    message = _("the file is larger than {mb} MB: no act is that long").format(mb=MAX_BYTES // 2**20)
    return Problem(file, pos.line, pos.column, message)


def _character_problems(text: str, file: str, pattern: re.Pattern[str]) -> list[Problem]:
    """The characters of ``text`` that ``pattern`` matches, placed (the first twenty: enough to
    see what is wrong, and no more work for a file full of them)."""
    found: list[Problem] = []
    for match in pattern.finditer(text):
        char = match.group()
        pos = position_in(text, match.start())
        found.append(Problem(file, pos.line, pos.column,
                             refused_message(char, refused_in_file(char) or "")))
        if len(found) == _MAX_CHARACTER_PROBLEMS:
            break
    return found


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data plus its source map; every problem becomes an ActError."""
    too_big = _size_problem(text, file)
    if too_big is not None:
        raise ActError([too_big])
    unreadable = _character_problems(text, file, UNREADABLE)
    if unreadable:
        raise ActError(unreadable)
    offset = 1 if text.startswith("\ufeff") else 0
    if getattr(yaml, "__with_libyaml__", False):
        try:
            return _parse_with(_FastLoader, text, file, offset)
        except _SyntaxError:
            pass  # parsed again below, for the pure-Python loader's exact message and position
    try:
        return _parse_with(_Loader, text, file, offset)
    except _SyntaxError as exc:
        # YAML breaks lines at NEL, LS and PS where an editor shows none: the syntax error they
        # cause is placed on a line the officer cannot find; the characters themselves are not.
        raise ActError(_character_problems(text, file, _LINE_BREAKS) or exc.problems) from None


def _parse_with(
    loader_class: type[_Loader] | type[_FastLoader], text: str, file: str, offset: int
) -> tuple[Any, SourceMap]:
    smap = SourceMap(file)
    loader = loader_class(text[offset:])
    composer = _Composer(loader, smap, text, offset)
    try:
        data, first = composer.document()
    except _Stop as stop:
        raise ActError([*composer.problems, stop.args[0]]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = syntax_message(exc.context, exc.problem, text[offset:], mark)
        raise _SyntaxError([*composer.problems, Problem(file, line, col, message)]) from None
    except yaml.YAMLError as exc:
        message = _("YAML error: {error}").format(error=exc)
        raise _SyntaxError([*composer.problems, Problem(file, 1, 1, message)]) from None
    finally:
        loader.dispose()
    if composer.problems:
        raise ActError(composer.problems)
    if isinstance(data, dict):
        return data, smap
    if first is None or (data is None and isinstance(first, yaml.ScalarEvent) and first.value == ""):
        raise ActError([Problem(file, 1, 1, translate(_EMPTY))])
    what = (_("an act is a YAML mapping of keys such as 'oggetto:', not a list") if isinstance(data, list)
            else _("an act is a YAML mapping of keys such as 'oggetto:', not a single value"))
    where = _pos(_start(first))
    raise ActError([Problem(file, where.line, where.column, what)])


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


def close_match(word: str, candidates: Sequence[str]) -> str | None:
    """The one candidate ``word`` is a slip of, or None: "premese" -> "premesse", "Oggetto" -> "oggetto".

    Close means a few letters apart (typed, left out, doubled or swapped: the optimal string
    alignment distance, case aside), at most one in a word of up to 4 letters, two up to 8, three
    beyond; "presenti" is four from "premesse", another word. Two candidates equally close: none.
    """
    limit = 1 if len(word) <= 4 else 2 if len(word) <= 8 else 3
    scored = sorted((_distance(word.lower(), c.lower()), c) for c in candidates if c != word)
    if not scored or scored[0][0] > limit or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def _distance(a: str, b: str) -> int:
    """Optimal string alignment: insertions, deletions, substitutions and swaps of two neighbours."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def syntax_message(context: str | None, problem: str | None, text: str, mark: Any) -> str:
    """The parser's complaint as an officer can act on it: what is wrong, and the usual slip behind it."""
    problem = problem or ""
    line = text.splitlines()[mark.line] if mark is not None and mark.line < len(text.splitlines()) else ""
    before = line[: mark.column] if mark is not None else ""
    if "mapping values are not allowed" in problem:
        if ": " in before or before.rstrip().endswith(":") or before.lstrip().startswith("- "):
            return _("YAML syntax error: the text contains ': ', which YAML reads as a new key: write the "
                     "text in quotes (oggetto: \"Proroga: termini\") or on the next line after >-")
        return _("YAML syntax error: this key is indented more than the one above it: align it with the "
                 "keys it belongs with (spaces, not tabs)")
    if "'\\t'" in problem or "\t" in problem:
        return _("YAML syntax error: a tab indents this line: YAML indents with spaces only (replace the tab "
                 "with spaces)")
    if "expected <block end>" in problem or "expected <block mapping start>" in problem:
        return _("YAML syntax error: wrong indentation: this line is not aligned with the keys or the "
                 "items ('- ') it belongs with (use the same number of spaces)")
    if "could not find expected ':'" in problem:
        return _("YAML syntax error: a key without ':', or a text going on to a new line: write 'key: "
                 "value', and a long text on several lines after >-, each line indented")
    if "end of stream" in problem and context and "quoted scalar" in context:
        return _("YAML syntax error: a text opened with quotes is never closed: close the quotes")
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        return _("YAML syntax error: a list in brackets [ ] or a mapping in braces { } is not closed, or its "
                 "text has a comma: close it, or write the text in quotes")
    what = " ".join(part for part in (context, problem) if part)
    return _("YAML syntax error: {error}").format(error=what)


def _problems_from(exc: ValidationError, smap: SourceMap) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        # A union's tag (firmatario: one mapping or a list) is not a place in the YAML.
        loc: Path_ = tuple(err["loc"])
        if len(loc) > 1 and loc[0] == "firmatario" and loc[1] in UNION_TAGS:
            loc = loc[:1] + loc[2:]
        where = dotted(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            siblings = _fields_of(Act, loc[:-1])
            hint = close_match(key, siblings)
            owners = [name for name in siblings if key in _fields_of(Act, (*loc[:-1], name))]
            if hint:
                message = _("unknown key '{key}' (did you mean '{hint}'?)").format(key=key, hint=hint)
            elif owners:  # a key of a part written at the wrong indentation: "nome:" under nothing
                message = _("unknown key '{key}' here: it is a key of {owners}: indent it under its part").format(
                    key=key, owners=_listed([f"'{o}'" for o in owners]))
            else:
                message = _("unknown key '{key}'").format(key=key)
            problems.append(smap.problem(loc, message, at_key=True))
            continue
        if kind == "missing":
            parent = dotted(loc[:-1])
            message = (_("missing required key '{key}' in '{parent}'") if parent
                       else _("missing required key '{key}'")).format(key=loc[-1], parent=parent)
            problems.append(smap.problem(loc[:-1], message))
            continue
        if kind == "dispositivo_vuoto" or (kind == "too_short" and where == "dispositivo.punti"):
            # Neither punti nor articoli (a decree's): placed on the punti, where the act has them.
            at = loc if kind == "too_short" else (*loc, "punti")
            problems.append(smap.problem(at, _("empty dispositivo: write at least one punto")))
            continue
        message = _message_of(err, loc)
        problems.append(smap.problem(loc, f"{where}: {message}" if where else message))
    return problems


_PYDANTIC_ERRORS = frozenset(get_args(ErrorType))
_WORDS_FOR_YES_NO = frozenset({"true", "false", "yes", "no", "on", "off"})


def _message_of(err: Any, loc: Path_) -> str:
    """What is wrong with the value at ``loc``, in plain words (pydantic's say "Input should be ...")."""
    kind: str = err["type"]
    value = err.get("input")
    key = str(loc[-1]) if loc and isinstance(loc[-1], str) else None
    if kind.startswith("date"):
        return _date_message(value)
    if kind == "too_short":
        return _("must not be empty")
    if kind == "string_too_short":
        return _("the text is empty: write it, or leave the key out")
    if kind in ("enum", "literal_error"):
        allowed = [str(v) for v in err.get("ctx", {}).get("expected", "").replace(" or ", ", ").split(", ") if v]
        names = [v.strip("'") for v in allowed]
        hint = close_match(str(value), names) if isinstance(value, str) else None
        message = (_("'{value}' is not one of the allowed values: {allowed} (did you mean '{hint}'?)") if hint
                   else _("'{value}' is not one of the allowed values: {allowed}"))
        return message.format(value=value, allowed=_listed(allowed), hint=hint)
    if kind == "string_type":
        if value is None:
            return (_("no value: write it after '{key}:'").format(key=key) if key
                    else _("no value: write the text after the dash, or remove the item"))
        if isinstance(value, list):
            return _("a text is expected here, not a list: remove the dashes ('- '); a long text may go on "
                     "several lines after >-")
        if isinstance(value, dict):
            return _("a text is expected here, not keys: if the text contains ': ', write it in quotes")
        if isinstance(value, bool):
            return _("a text is expected here: YAML reads {words} as yes or no: write the text in quotes").format(
                words=", ".join(sorted(_WORDS_FOR_YES_NO)))
        return _("a text is expected here, not the number {value}: write it in quotes, '{value}'").format(value=value)
    if kind == "list_type":
        if value is None:
            return _("no list: write its items on the lines below, each starting with '- ' (or [] for none)")
        return _("a list is expected here: write each item on its own line starting with '- '")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if value is None:
            return _("no value: write its keys on the lines below, indented")
        return _("keys are expected here, each on its own line below, indented (e.g. nome: ...)")
    if kind in ("bool_type", "bool_parsing"):
        return _("write true or false, not '{value}'").format(value=value)
    if kind not in _PYDANTIC_ERRORS:  # the model's own (PydanticCustomError), worded and translated there
        return str(err["msg"])
    return _library_message(kind, value, err.get("ctx") or {})


def _library_message(kind: str, value: object, ctx: dict[str, Any]) -> str:
    """Pydantic's other errors, in the language of messages: whatever a field of the act can
    raise, and a sentence without pydantic's English for any other."""
    if value is None and kind.endswith("_type"):
        return _("no value: write one, or leave the key out")
    if kind.startswith(("int_", "float_")):
        return _("'{value}' is not a whole number: write it with the digits 0-9").format(value=value)
    if kind.startswith("decimal_"):
        return _("'{value}' is not a number: write it with digits, e.g. 1234.50").format(value=value)
    if kind.startswith("time"):
        return _("'{value}' is not a time of day: write it as HH:MM, e.g. 18:30, in quotes").format(value=value)
    if kind.startswith("datetime"):
        return _("'{value}' is not a date and time: write it as YYYY-MM-DDTHH:MM").format(value=value)
    if kind == "string_too_long":
        return _("the text is too long: at most {count} characters").format(count=ctx.get("max_length", "?"))
    if kind == "too_long":
        return _("too many items: at most {count}").format(count=ctx.get("max_length", "?"))
    if kind == "string_pattern_mismatch":
        return _("'{value}' is not written as this key wants it ({pattern})").format(
            value=value, pattern=ctx.get("pattern", ""))
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of"):
        bound = next((f"{sign} {ctx[key]}" for key, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="),
                                                              ("multiple_of", "×")) if key in ctx), "")
        return _("{value} is out of range ({bound})").format(value=value, bound=bound)
    if kind.startswith("union_tag"):
        return _("neither one mapping nor a list of them")
    if kind in ("set_type", "tuple_type", "frozen_set_type", "iterable_type"):
        return _("a list is expected here: write each item on its own line starting with '- '")
    return _("'{value}' is not a valid value here ({kind})").format(value=value, kind=kind)


def _listed(items: list[str]) -> str:
    """"'a', 'b' or 'c'", in the language of messages."""
    return _(" or ").join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def _date_message(value: object) -> str:
    """A date written otherwise than YYYY-MM-DD, with the same date written so when it is one."""
    if isinstance(value, str):
        other = parse_date(value)
        if other is not None:
            return _("'{value}' is written otherwise than YYYY-MM-DD: write {iso}").format(
                value=value, iso=other.isoformat())
    return _("not a valid date: '{value}' (write it as YYYY-MM-DD, e.g. 2026-05-19)").format(value=value)


def load_act_text(
    text: str, file: str = "<act>", *, check: bool = True, allegati_dirs: Sequence[Path] = (),
    max_days_ahead: int = MAX_DAYS_AHEAD,
) -> LoadedAct:
    """Validate YAML text as an act; raise ActError listing every problem with its position.

    ``allegati_dirs``: folders besides the act's own that its allegati may come from (the checks);
    ``max_days_ahead``: how far after today the act's data may be (the checks).
    """
    data, smap = parse_yaml(text, file)
    try:
        act = Act.model_validate(data)
    except ValidationError as exc:
        raise ActError(_problems_from(exc, smap)) from None
    loaded = LoadedAct(act=act, source=smap, text=text)
    if check:
        problems = check_act(loaded, allegati_dirs=allegati_dirs, max_days_ahead=max_days_ahead)
        if problems:
            raise ActError(problems)
    return loaded


def load_act(
    path: Path, *, check: bool = True, allegati_dirs: Sequence[Path] = (), max_days_ahead: int = MAX_DAYS_AHEAD
) -> LoadedAct:
    """Read and validate an act file (see :func:`load_act_text`); never more than MAX_BYTES of it.

    Only a regular file is read: a FIFO would block until something writes to it, a device such
    as /dev/zero would never end. It is opened without blocking, then looked at.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ActError([Problem(str(path), 1, 1, _("no such file"))]) from None
    except OSError as exc:
        raise ActError([Problem(str(path), 1, 1, _("cannot read: {reason}").format(reason=exc.strerror))]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = (_("cannot read: a directory") if stat.S_ISDIR(mode)
                else _("cannot read: not a regular file (a FIFO, a device...)"))
        raise ActError([Problem(str(path), 1, 1, what)])
    with os.fdopen(fd, "rb") as stream:
        try:
            raw = stream.read(MAX_BYTES + 1)
        except OSError as exc:
            raise ActError([Problem(str(path), 1, 1, _("cannot read: {reason}").format(reason=exc.strerror))]) from None
    if len(raw) > MAX_BYTES:
        prefix = raw[:MAX_BYTES].decode("utf-8", "replace").rstrip("\ufffd")
        raise ActError([_too_big(prefix, len(prefix), str(path))])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ActError([Problem(str(path), 1, 1, _("the file is UTF-16 text: save it as UTF-8"))])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", "replace")
        pos = position_in(before, len(before))
        byte = raw[exc.start]
        raise ActError([Problem(str(path), pos.line, pos.column,
                                _("the file is not UTF-8 text (byte 0x{byte} here): save it as UTF-8").format(
                                    byte=f"{byte:02X}"))]) from None
    return load_act_text(text, str(path), check=check, allegati_dirs=allegati_dirs, max_days_ahead=max_days_ahead)


def with_esito(loaded: LoadedAct, index: int, esito: str) -> str:
    """The act's YAML text with the esito of its ``index``-th verifica made ``esito`` (positivo,
    negativo, sospeso), written plain where the old one was: the rest of the text, comments
    included, stays byte for byte (a review changes that word and nothing else)."""
    span = loaded.source.scalars[("verifiche", index, "esito")]
    return loaded.text[: span.start] + Esito(esito).value + loaded.text[span.end :]


_PLAIN_REGISTRO = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]*")


def with_registro(loaded: LoadedAct, registro: str) -> LoadedAct:
    """The act with its registro spelt ``registro`` (the archive's spelling of the same register),
    written where the old one was: the rest of the text, comments included, stays byte for byte."""
    if loaded.act.registro == registro:
        return loaded
    span = loaded.source.scalars[("registro",)]
    written = registro if _PLAIN_REGISTRO.fullmatch(registro) else '"' + registro.replace('"', '\\"') + '"'
    text = loaded.text[: span.start] + written + loaded.text[span.end :]
    renamed = load_act_text(text, loaded.source.file, check=False)
    if renamed.act != loaded.act.model_copy(update={"registro": registro}):
        raise ActError([loaded.source.problem(("registro",), _("cannot write registro {registro} into the act's "
                                                               "YAML").format(registro=registro))])
    return renamed


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def numbered_text(loaded: LoadedAct, numero: int) -> str:
    """The act's YAML with the ``numero`` the archive gave it at publication, for the signed PDF.

    A PDF carries the YAML of the act it says, number included: without it the YAML describes an
    act that was never signed, and a proof against it finds "N. 1/2026" where the YAML has none.
    The line ``numero: N`` goes where an officer would have written it, before the key that
    follows ``registro`` (else before the first key), so comments and layout stay as written;
    a YAML written otherwise (flow style) is written again whole. The result is checked to be
    the same act with that number.
    """
    text = loaded.text
    if loaded.act.numero == numero:
        return text
    if loaded.act.numero is not None:
        message = _("the act is numbered {numbered}, not {numero}").format(numbered=loaded.act.numero, numero=numero)
        raise ActError([loaded.source.problem(("numero",), message)])
    expected = loaded.act.with_numero(numero)
    top = sorted((pos.line, pos.column, path[0]) for path, pos in loaded.source.keys.items() if len(path) == 1)
    names = [name for _line, _column, name in top]
    after = names.index("registro") + 1 if "registro" in names else len(names)
    lines = _LINE.findall(text)
    for line, column, _name in [*top[after:after + 1], *top[:1]]:
        if line > len(lines):
            continue
        ending = next((e for e in ("\r\n", "\n", "\r") if lines[line - 1].endswith(e)), "\n")
        indent = lines[line - 1][: column - 1]
        if indent.strip(" "):
            continue  # the key does not open its line
        candidate = "".join([*lines[: line - 1], f"{indent}numero: {numero}  # given at publication{ending}",
                             *lines[line - 1:]])
        if _same_act(candidate, expected):
            return candidate
    data, _smap = parse_yaml(text, loaded.source.file)
    data = {**data, "numero": numero}
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)
    if not _same_act(dumped, expected):
        message = _("cannot write numero {numero} into the act's YAML").format(numero=numero)
        raise ActError([Problem(loaded.source.file, 1, 1, message)])
    return dumped


def _same_act(text: str, expected: Act) -> bool:
    try:
        return load_act_text(text, check=False).act == expected
    except ActError:
        return False
