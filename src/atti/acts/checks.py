"""Checks that a well-formed act must also pass before it may be signed.

The model says what shape an act has; these checks say whether it may go forward: every
verification positive, attachments present, relazioni pointing to earlier acts, a registro its
archive id says in full, and a text the signed PDF can say unchanged (atti.acts.characters).
Each problem is placed on the YAML line it concerns.

They are checks, not the model, so that an act archived before a check existed still loads (a
draft, ``atti show``, the web archive read acts with ``check=False``).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from atti.acts.allegati import check_allegato
from atti.acts.characters import MAX_MARKS, find_in_scalar, refused, refused_message, stacked_marks
from atti.acts.collegio import collegial_problems
from atti.acts.model import Act, AttoCitato, Esito, ModoAllegato
from atti.acts.references import act_id_of, registro_slug
from atti.acts.source import LoadedAct, Path_, dotted, position_in
from atti.errors import Problem
from atti.i18n import _

# How a registro is written: as the body's register writes it, with the marks registers use.
REGISTRO_MARKS = "./-"
REGISTRO_MAX = 20
MAX_DAYS_AHEAD = 7
"""The days after today an act's data may be, unless the setting max_days_ahead says otherwise."""
_MAX_FILE_CHARACTERS = 20


def check_act(
    loaded: LoadedAct, *, allegati_dirs: Sequence[Path] = (), max_days_ahead: int = MAX_DAYS_AHEAD,
    today: dt.date | None = None,
) -> list[Problem]:
    """Every problem that stops the act from being signed, in file order (empty when it may).

    An allegato's file must be inside the act's folder or one of ``allegati_dirs``
    (:mod:`atti.acts.allegati`); the act's data no more than ``max_days_ahead`` days after
    ``today`` (the setting of that name).
    """
    act, smap = loaded.act, loaded.source
    problems = _character_problems(loaded)
    ahead = future_date_problem(act.data, max_days_ahead, today)
    if ahead is not None:
        problems.append(smap.problem(("data",), f"{dotted(('data',))}: {ahead}"))
    registri: list[tuple[Path_, str]] = [(("registro",), act.registro)]
    registri += [(("relazioni", i, "atto", "registro"), r.atto.registro) for i, r in enumerate(act.relazioni)]
    for path, registro in registri:
        problem = registro_problem(registro)
        if problem is not None:
            problems.append(smap.problem(path, f"{dotted(path)}: {problem}"))
    for i, verifica in enumerate(act.verifiche):
        if verifica.esito is not Esito.positivo:
            where: Path_ = ("verifiche", i, "esito")
            problems.append(
                smap.problem(
                    where,
                    f"{dotted(where)}: " + _("'{tipo}' by {nome} is '{esito}'; every verification must be "
                                                  "positive before signing").format(
                        tipo=verifica.tipo, nome=verifica.nome, esito=verifica.esito.value),
                )
            )
    base = Path(smap.file).parent
    for i, allegato in enumerate(act.allegati):
        # A NUL in the name is the character check's finding, placed on the character itself.
        named = allegato.file is not None and "\0" not in allegato.file
        refusal = check_allegato(allegato.file, base, allegati_dirs) if named and allegato.file else None
        if refusal is not None:
            problems.append(smap.problem(("allegati", i, "file"), f"{dotted(('allegati', i, 'file'))}: {refusal}"))
        if allegato.modo is ModoAllegato.accodato and not (allegato.file or "").lower().endswith(".pdf"):
            problems.append(
                smap.problem(
                    ("allegati", i, "modo"),
                    f"{dotted(('allegati', i, 'modo'))}: "
                    + _("only a PDF file can be 'accodato' (its pages appended to the act)"),
                )
            )
    for i, relazione in enumerate(act.relazioni):
        problem = _relazione_problem(act, relazione.atto)
        if problem is not None:
            problems.append(smap.problem(("relazioni", i, "atto"), f"{dotted(('relazioni', i, 'atto'))}: {problem}"))
    problems += collegial_problems(loaded)  # the seduta, the votes, the visto contabile (issue 19)
    return sorted(problems, key=lambda p: (p.line, p.column))


def future_date_problem(data: dt.date, max_days_ahead: int, today: dt.date | None = None) -> str | None:
    """Why ``data`` is too far ahead for an act's date (2062 written for 2026), or None."""
    today = today or dt.date.today()
    if (data - today).days <= max_days_ahead:
        return None
    return _("{data} is more than {days} days after today ({today}): check the year "
             "(the setting max_days_ahead allows up to {days})").format(
        data=data.strftime("%d/%m/%Y"), days=max_days_ahead, today=today.strftime("%d/%m/%Y"))


def _relazione_problem(act: Act, atto: AttoCitato) -> str | None:
    """Why ``atto`` cannot be the target of a relazione of ``act``: only an earlier act can be
    extended, changed, corrected or annulled, and acts of one register are numbered in order."""
    if atto.anno > act.anno:
        return _("{id} is of {anno}, after this act ({this}): a relazione bears on an earlier act").format(
            id=atto.id, anno=atto.anno, this=act.anno)
    same_register = act_id_of(atto.registro, atto.anno, 1) == act_id_of(act.registro, act.anno, 1)
    if same_register and act.numero is not None and atto.numero >= act.numero:
        if atto.numero == act.numero:
            return _("{id} is this act itself: a relazione bears on an earlier act").format(id=atto.id)
        return _("{id} is a later act of the same register: a relazione bears on an earlier act").format(id=atto.id)
    return None


def registro_problem(registro: str) -> str | None:
    """Why ``registro`` cannot name a register, or None when it can.

    The archive id keeps a registro's letters and digits only ("D.O." -> DO-2026-129): a registro
    written with anything else that is not a mark registers use ("D O", "Ù.O.") would lose it in
    the id and meet another spelling of the same register only when the archive stores the act.
    """
    slug = registro_slug(registro)
    if any(c.isspace() for c in registro):
        return _("'{registro}' is written with a space: write it as in the body's register, e.g. D.O. "
                 "(its archive id keeps only the letters and digits: {slug})").format(
            registro=registro, slug=slug or _("none"))
    odd = next((c for c in registro if not (c.isascii() and c.isalnum()) and c not in REGISTRO_MARKS), None)
    if odd is not None:
        return _("'{registro}' has the character '{odd}': a registro is written with the letters A-Z, the digits "
                 "0-9 and the marks {marks} only").format(registro=registro, odd=odd, marks=" ".join(REGISTRO_MARKS))
    if not slug:
        return _("'{registro}' has no letter or digit: the archive id is made of them (D.O. gives DO-2026-129)")\
            .format(registro=registro)
    if len(registro) > REGISTRO_MAX:
        return _("'{registro}' is longer than {max} characters").format(registro=registro, max=REGISTRO_MAX)
    return None


def _strings(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every text of the act's data with its path, ``(("premesse", 2), "...")``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _character_problems(loaded: LoadedAct) -> list[Problem]:
    """Characters the signed PDF cannot say unchanged (atti.acts.characters): first in the act's
    text, each placed where it is written (as itself or as an escape such as ``\\u202e``), then in
    the rest of the file (comments, keys, a NEL that YAML turned into a new line)."""
    smap, text = loaded.source, loaded.text
    problems: list[Problem] = []
    placed: set[int] = set()
    for path, value in _strings(loaded.act.model_dump()):
        seen: set[str] = set()
        for _at, char, why in refused(value, in_text=True):
            if char in seen:
                continue
            seen.add(char)
            span = smap.scalars.get(path)
            at = find_in_scalar(text, span.start, span.end, span.style, char) if span is not None else None
            if at is None:
                problems.append(smap.problem(path, _message(path, char, why)))
                continue
            placed.add(at)
            pos = position_in(text, at)
            problems.append(Problem(smap.file, pos.line, pos.column, _message(path, char, why)))
        for start, count in stacked_marks(value):
            where = f"{dotted(path)}: " if path else ""
            message = where + _("{count} accents (combining marks) on one letter, '{letter}': at most {max} can be "
                                "proved to stand in the signed PDF as written").format(
                count=count, letter=value[start - 1:start], max=MAX_MARKS)
            span = smap.scalars.get(path)
            at = find_in_scalar(text, span.start, span.end, span.style, value[start]) if span is not None else None
            pos = position_in(text, at) if at is not None else smap.value_at(path)
            problems.append(Problem(smap.file, pos.line, pos.column, message))
    spans = sorted((span.start, span.end, path) for path, span in smap.scalars.items())
    starts = [start for start, _end, _path in spans]
    found = 0
    for at, char, why in refused(text):
        if at in placed or (at == 0 and char == "\ufeff"):  # a byte order mark may open the file
            continue
        i = bisect.bisect_right(starts, at) - 1
        path = spans[i][2] if i >= 0 and spans[i][0] <= at < spans[i][1] else ()
        pos = position_in(text, at)
        problems.append(Problem(smap.file, pos.line, pos.column, _message(path, char, why)))
        found += 1
        if found == _MAX_FILE_CHARACTERS:
            break
    return problems


def _message(path: Path_, char: str, why: str) -> str:
    where = f"{dotted(path)}: " if path else ""
    return where + refused_message(char, why)
