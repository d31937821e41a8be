"""Checks that a well-formed act must also pass before it may be signed.

The model says what shape an act has; these checks say whether it may go forward: every
verification positive, attachments present. Each problem is placed on the YAML line it concerns.
"""

from __future__ import annotations

from pathlib import Path

from atti.acts.loader import LoadedAct
from atti.acts.model import Esito, ModoAllegato
from atti.errors import Problem


def check_act(loaded: LoadedAct) -> list[Problem]:
    """Every problem that stops the act from being signed, in file order (empty when it may)."""
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
    return sorted(problems, key=lambda p: (p.line, p.column))
