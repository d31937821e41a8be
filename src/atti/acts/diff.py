"""Two acts compared field by field, with word-level differences inside each changed item.

What a legal reviewer needs of ``atti diff``: every field of the act, not only its text. The walk
is derived from the model itself (:func:`fields`), so a field added to the act model is compared
the day it is added, never silently skipped (``tests/test_diff.py`` checks that every leaf of the
model is reached). Each field is a *part* named by its path in the act format
(``data``, ``firmatario.nome``, ``dispositivo.punti``, ``verifiche``) holding a list of items:

- a single value (``data``, ``ente.sito``) is a part of at most one item, none when unset;
- a list of texts (``premesse``, ``dispositivo.punti``) is one item per text;
- a list of mappings (``verifiche``, ``allegati``, ``relazioni``) is one item per entry, each
  written ``key: value · key: value`` so that a changed ``esito`` shows as a changed word, and
  the keys that changed are named too (:attr:`ItemChange.fields`).

Within a changed item the words are compared (:func:`word_diff`): a redline of deleted and added
words, with the text around them kept as it was.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel

SEPARATOR = " · "
"""Between the keys of a mapping written as one item."""

EQUAL, DELETED, ADDED = "equal", "deleted", "added"

# How an item of each list is called in a report; 1-based like the act's own numbering.
ITEM_NAMES = {
    "poteri": "potere", "premesse": "premessa", "visti": "visto", "considerato": "considerato",
    "dispositivo.punti": "punto", "dispositivo.articoli": "articolo", "verifiche": "verifica", "allegati": "allegato",
    "avverte": "avvertenza", "seduta.presenti": "presente", "seduta.assenti": "assente",
    "visto_contabile.impegni": "impegno",
    "relazioni": "relazione", "pareri": "parere", "non_classificato": "riga",
    "importazione.etichette": "riga", "importazione.intestazioni_pagina": "riga",
}


@dataclass(frozen=True)
class Segment:
    """A run of an item's text: kept (``equal``), struck out (``deleted``) or underlined (``added``)."""

    op: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


@dataclass(frozen=True)
class ItemChange:
    kind: str  # added | removed | changed
    index_a: int | None  # 0-based, in the first act's part
    index_b: int | None
    a: str | None
    b: str | None
    fields: tuple[str, ...] = ()  # for an entry of a list of mappings: the keys whose values differ
    words: tuple[Segment, ...] = ()  # the redline: a's text with b's words, for a changed item

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "index_a": self.index_a, "index_b": self.index_b, "a": self.a, "b": self.b,
            "fields": list(self.fields), "words": [w.to_dict() for w in self.words],
        }

    @property
    def deleted(self) -> list[str]:
        """The struck-out runs of a changed item, each without the space around it."""
        return [w.text.strip() for w in self.words if w.op == DELETED]

    @property
    def added(self) -> list[str]:
        return [w.text.strip() for w in self.words if w.op == ADDED]


@dataclass(frozen=True)
class PartDiff:
    part: str  # the field's path in the act format: "data", "firmatario.nome", "dispositivo.punti"
    changes: list[ItemChange]
    many: bool = True  # a list (items are numbered) rather than a single value

    @property
    def item(self) -> str:
        """What one item of the part is called: "punto", "verifica"; "item" for the others."""
        return ITEM_NAMES.get(self.part, "item")

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "many": self.many, "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class Part:
    """One field of an act as the comparison sees it."""

    name: str
    items: list[str]
    many: bool
    keys: list[dict[str, str]] = field(default_factory=list)  # each item's mapping, for lists of mappings


# -- the walk over the model ----------------------------------------------------------------------


def _model_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the model class inside ``annotation``, whether it is a list) for ``X``, ``X | None``,
    ``list[X]``; (None, is a list) for plain values."""
    origin = typing.get_origin(annotation)
    if origin is list:
        (inner,) = typing.get_args(annotation)
        model, _ = _model_in(inner)
        return model, True
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _model_in(args[0])
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _one_or_many(annotation: Any) -> type[BaseModel] | None:
    """The model of a field written as one mapping or a list of them (``X | list[X]``), else None."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) not in (types.UnionType, typing.Union):
        return None
    found = [_model_in(a) for a in typing.get_args(annotation) if a is not type(None)]
    models = {model for model, _many in found}
    if len(found) == 2 and len(models) == 1 and {many for _m, many in found} == {True, False}:
        return models.pop()
    return None


def shown(value: Any) -> str:
    """A value as the act format writes it: dates ISO, choices by their word, yes/no as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, BaseModel):
        return SEPARATOR.join(f"{k}: {v}" for k, v in _mapping(value).items())
    return str(value)


def _mapping(model: BaseModel) -> dict[str, str]:
    """A model's set keys, nested ones flattened ("atto.registro"), each value as :func:`shown`."""
    out: dict[str, str] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None or value == []:
            continue
        inner, many = _model_in(info.annotation)
        if inner is not None and not many:
            out.update({f"{name}.{k}": v for k, v in _mapping(value).items()})
        elif many:
            out[name] = "; ".join(shown(v) for v in value)
        else:
            out[name] = shown(value)
    return out


def fields(act: BaseModel | None, model: type[BaseModel] | None = None, prefix: str = "") -> Iterator[Part]:
    """Every field of ``model`` (by default the act's class) in the model's order, with ``act``'s items.

    Driven by the model's declared fields, not by what ``act`` holds: an unset field is a part
    with no items, so two acts always walk the same parts.
    """
    if model is None:
        assert act is not None, "fields() of nothing needs the model to walk"
        model = type(act)
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        value = getattr(act, name) if act is not None else None
        one = _one_or_many(info.annotation)
        if one is not None:
            # One mapping or a list of them (firmatario): each key a part, one item per entry, so
            # that an act signed by one and an act signed by two walk the same parts.
            entries = value if isinstance(value, list) else ([] if value is None else [value])
            for key in one.model_fields:
                items = [shown(getattr(e, key)) for e in entries if getattr(e, key) is not None]
                yield Part(f"{path}.{key}", items, isinstance(value, list))
            continue
        inner, many = _model_in(info.annotation)
        if inner is not None and not many:
            yield from fields(value, inner, f"{path}.")
        elif many:
            values = list(value or [])
            keys = [_mapping(v) for v in values] if inner is not None else []
            yield Part(path, [shown(v) for v in values], True, keys)
        else:
            yield Part(path, [] if value is None else [shown(value)], False)


# -- words -----------------------------------------------------------------------------------------

# A date, an amount or a number with its parts ("2026-05-19", "19/05/2026", "1.500.000,00",
# "129/2026") is one unit: changed, it is struck and rewritten whole, as a reviewer reads it.
_TOKENS = re.compile(r"\s+|\d+(?:[-/.,:]\d+)+|\w+|[^\w\s]")


def word_diff(a: str, b: str) -> list[Segment]:
    """``a`` turned into ``b`` as a redline: runs kept, struck out and added, in reading order.

    Words, punctuation and spaces are the units; a space alone between two changes joins them, so
    a replaced phrase reads as one struck run followed by one added run.
    """
    ta, tb = _TOKENS.findall(a), _TOKENS.findall(b)
    raw: list[tuple[str, str, str]] = []  # (op, old text, new text)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        raw.append((EQUAL if tag == "equal" else "change", "".join(ta[i1:i2]), "".join(tb[j1:j2])))
    # A kept run of spaces only, between two changes, goes into both of them.
    merged: list[tuple[str, str, str]] = []
    for k, (kind, old, new) in enumerate(raw):
        between = 0 < k < len(raw) - 1 and kind == EQUAL and not old.strip()
        if (between or kind != EQUAL) and merged and merged[-1][0] != EQUAL:
            _, o, n = merged.pop()
            merged.append(("change", o + old, n + new))
        else:
            merged.append((kind, old, new))
    out: list[Segment] = []
    for kind, old, new in merged:
        if kind == EQUAL:
            out.append(Segment(EQUAL, old))
            continue
        if old:
            out.append(Segment(DELETED, old))
        if new:
            out.append(Segment(ADDED, new))
    return out


# -- two acts --------------------------------------------------------------------------------------


def compare_acts(
    a: BaseModel, b: BaseModel, allegati_sha256: tuple[Sequence[str | None], Sequence[str | None]] | None = None
) -> list[PartDiff]:
    """The fields whose items differ, each with its added, removed and changed items in order.

    ``allegati_sha256`` gives, for each allegato of ``a`` and of ``b``, the SHA-256 of its file
    (None where it is not known): the act's text names a file, the archive holds its bytes.
    """
    out: list[PartDiff] = []
    for pa, pb in zip(fields(a), fields(b), strict=True):
        if pa.name == "allegati" and allegati_sha256 is not None:
            pa, pb = _with_sha256(pa, allegati_sha256[0]), _with_sha256(pb, allegati_sha256[1])
        changes = _changes(pa.items, pb.items, pa.keys, pb.keys)
        if changes:
            out.append(PartDiff(pa.name, changes, pa.many))
    return out


def _with_sha256(part: Part, hashes: Sequence[str | None]) -> Part:
    keys = [{**k, "sha256": h} if h else k for k, h in zip(part.keys, [*hashes, *[None] * len(part.keys)],
                                                           strict=False)]
    return Part(part.name, [SEPARATOR.join(f"{k}: {v}" for k, v in m.items()) for m in keys], part.many, keys)


def _changes(old: list[str], new: list[str], keys_a: list[dict[str, str]],
             keys_b: list[dict[str, str]]) -> list[ItemChange]:
    changes: list[ItemChange] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        # A replaced run pairs its items one to one as changed; what is left over was added or removed.
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):
            i, j = i1 + k, j1 + k
            ka, kb = (keys_a[i], keys_b[j]) if i < len(keys_a) and j < len(keys_b) else ({}, {})
            changed = tuple(key for key in dict.fromkeys([*ka, *kb]) if ka.get(key) != kb.get(key))
            changes.append(ItemChange("changed", i, j, old[i], new[j], changed, tuple(word_diff(old[i], new[j]))))
        changes += [ItemChange("removed", i, None, old[i], None) for i in range(i1 + paired, i2)]
        changes += [ItemChange("added", None, j, None, new[j]) for j in range(j1 + paired, j2)]
    return changes


def redline_text(words: Sequence[Segment]) -> str:
    """A redline for a terminal, as ``git diff --word-diff`` writes one: [-struck-]{+added+}."""
    return "".join(
        w.text if w.op == EQUAL else f"[-{w.text}-]" if w.op == DELETED else f"{{+{w.text}+}}" for w in words
    )
