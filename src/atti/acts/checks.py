"""Checks that a well-formed act must also pass before it may be signed.

The model says what shape an act has; these checks say whether it may go forward: every
verification positive, attachments present, relazioni pointing to earlier acts. Each problem is
placed on the YAML line it concerns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from atti.acts.allegati import check_allegato
from atti.acts.model import Act, AttoCitato, Esito, ModoAllegato
from atti.acts.references import act_id_of
from atti.acts.source import LoadedAct
from atti.errors import Problem


def check_act(loaded: LoadedAct, *, allegati_dirs: Sequence[Path] = ()) -> list[Problem]:
    """Every problem that stops the act from being signed, in file order (empty when it may).

    An allegato's file must be inside the act's folder or one of ``allegati_dirs``
    (:mod:`atti.acts.allegati`).
    """
    act, smap = loaded.act, loaded.source
    problems: list[Problem] = []
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
        refused = check_allegato(allegato.file, base, allegati_dirs) if allegato.file is not None else None
        if refused is not None:
            problems.append(smap.problem(("allegati", i, "file"), f"allegati[{i}].file: {refused}"))
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
