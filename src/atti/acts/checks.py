"""Checks that a well-formed act must also pass before it may be signed.

The model says what shape an act has; these checks say whether it may go forward: every
verification positive, attachments present, relazioni pointing to earlier acts, a registro its
archive id says in full. Each problem is placed on the YAML line it concerns.

They are checks, not the model, so that an act archived before a check existed still loads (a
draft, ``atti show``, the web archive read acts with ``check=False``).
"""

from __future__ import annotations

from pathlib import Path

from atti.acts.model import Act, AttoCitato, Esito, ModoAllegato
from atti.acts.references import act_id_of, registro_slug
from atti.acts.source import LoadedAct, Path_, dotted
from atti.errors import Problem

# How a registro is written: as the body's register writes it, with the marks registers use.
REGISTRO_MARKS = "./-"
REGISTRO_MAX = 20


def check_act(loaded: LoadedAct) -> list[Problem]:
    """Every problem that stops the act from being signed, in file order (empty when it may)."""
    act, smap = loaded.act, loaded.source
    problems: list[Problem] = []
    registri: list[tuple[Path_, str]] = [(("registro",), act.registro)]
    registri += [(("relazioni", i, "atto", "registro"), r.atto.registro) for i, r in enumerate(act.relazioni)]
    for path, registro in registri:
        problem = registro_problem(registro)
        if problem is not None:
            problems.append(smap.problem(path, f"{dotted(path)}: {problem}"))
    for i, verifica in enumerate(act.verifiche):
        if verifica.esito is not Esito.positivo:
            problems.append(
                smap.problem(
                    ("verifiche", i, "esito"),
                    f"verifiche[{i}].esito: '{verifica.tipo}' by {verifica.nome} is "
                    f"'{verifica.esito.value}'; every verification must be positive before signing",
                )
            )
    base = Path(smap.file).parent
    for i, allegato in enumerate(act.allegati):
        if allegato.file is not None and not (base / allegato.file).is_file():
            problems.append(
                smap.problem(("allegati", i, "file"), f"allegati[{i}].file: no such file '{allegato.file}'")
            )
        if allegato.modo is ModoAllegato.accodato and not (allegato.file or "").lower().endswith(".pdf"):
            problems.append(
                smap.problem(
                    ("allegati", i, "modo"),
                    f"allegati[{i}].modo: only a PDF file can be 'accodato' (its pages appended to the act)",
                )
            )
    for i, relazione in enumerate(act.relazioni):
        problem = _relazione_problem(act, relazione.atto)
        if problem is not None:
            problems.append(smap.problem(("relazioni", i, "atto"), f"relazioni[{i}].atto: {problem}"))
    return sorted(problems, key=lambda p: (p.line, p.column))


def _relazione_problem(act: Act, atto: AttoCitato) -> str | None:
    """Why ``atto`` cannot be the target of a relazione of ``act``: only an earlier act can be
    extended, changed, corrected or annulled, and acts of one register are numbered in order."""
    if atto.anno > act.anno:
        return f"{atto.id} is of {atto.anno}, after this act ({act.anno}): a relazione bears on an earlier act"
    same_register = act_id_of(atto.registro, atto.anno, 1) == act_id_of(act.registro, act.anno, 1)
    if same_register and act.numero is not None and atto.numero >= act.numero:
        what = "this act itself" if atto.numero == act.numero else "a later act of the same register"
        return f"{atto.id} is {what}: a relazione bears on an earlier act"
    return None


def registro_problem(registro: str) -> str | None:
    """Why ``registro`` cannot name a register, or None when it can.

    The archive id keeps a registro's letters and digits only ("D.O." -> DO-2026-129): a registro
    written with anything else that is not a mark registers use ("D O", "Ù.O.") would lose it in
    the id and meet another spelling of the same register only when the archive stores the act.
    """
    slug = registro_slug(registro)
    if any(c.isspace() for c in registro):
        return (f"'{registro}' is written with a space: write it as in the body's register, e.g. D.O. "
                f"(its archive id keeps only the letters and digits: {slug or 'none'})")
    odd = next((c for c in registro if not (c.isascii() and c.isalnum()) and c not in REGISTRO_MARKS), None)
    if odd is not None:
        return (f"'{registro}' has the character '{odd}': a registro is written with the letters A-Z, the digits "
                f"0-9 and the marks {' '.join(REGISTRO_MARKS)} only")
    if not slug:
        return f"'{registro}' has no letter or digit: the archive id is made of them (D.O. gives DO-2026-129)"
    if len(registro) > REGISTRO_MAX:
        return f"'{registro}' is longer than {REGISTRO_MAX} characters"
    return None
