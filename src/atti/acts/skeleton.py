"""A commented skeleton of an act, for ``atti new TIPO [FILE]``.

Every key an act of that tipo needs, in the order the act reads, each with what it is (the
schema's descriptions, atti.acts.schema, in the current language) as a comment. What the
officer must write is left empty, so that ``atti check`` names each value still to fill in at its
line; what can be known is filled in (the tipo, today's date, the dispositivo's formula). Once
every empty value is written the act is valid.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from atti.acts.model import TipoAtto, tipo_atto
from atti.acts.schema import DESCRIPTIONS
from atti.errors import AttiError
from atti.files import write_error
from atti.i18n import _, translate

# An example organo per tipo, in the comment of organo.
_ORGANI = {
    TipoAtto.determinazione: "Dirigente del Settore Finanziario",
    TipoAtto.delibera: "Giunta Comunale",
    TipoAtto.decreto: "Sindaco",
    TipoAtto.ordinanza: "Sindaco",
}


def parse_tipo(tipo: str) -> TipoAtto:
    """The tipo an officer names (any case, a synonym such as deliberazione); AttiError when none."""
    value = tipo_atto(tipo)
    try:
        return TipoAtto(str(value))
    except ValueError:
        known = ", ".join(t.value for t in TipoAtto)
        message = _("'{tipo}' is not a tipo of act: write one of {known}")
        raise AttiError(message.format(tipo=tipo, known=known)) from None


def _note(model: str, key: str) -> str:
    return translate(DESCRIPTIONS[model][key])


def skeleton(tipo: str, *, today: dt.date | None = None) -> str:
    """The YAML of an empty act of ``tipo``, commented."""
    kind = parse_tipo(tipo)
    day = today or dt.date.today()
    lines = [
        _("# A {tipo}: write every empty value, then check it with: atti check FILE").format(tipo=kind.value),
        _("# For an editor's completion: atti schema > atti.schema.json, and keep the next line."),
        "# yaml-language-server: $schema=atti.schema.json",
        "ente:",
        f"  nome:                 # {_note('Ente', 'nome')}",
        f"tipo: {kind.value}",
        "organo:                 # " + _("The office holding the power, e.g. {example}.").format(
            example=_ORGANI.get(kind, "Sindaco")),
        f"registro:               # {_note('Act', 'registro')}",
        "# numero: " + _("given at publication"),
        f"data: {day.isoformat()}       # {_note('Act', 'data')}",
        f"oggetto:                # {_note('Act', 'oggetto')}",
        "",
        f"premesse:               # {_note('Act', 'premesse')}",
        "  -",
        "",
        f"visti:                  # {_note('Act', 'visti')}",
        "  -",
        "",
        f"dispositivo:            # {_note('Act', 'dispositivo')}",
        f"  formula: {kind.formula}",
        f"  punti:                # {_note('Dispositivo', 'punti')}",
        "    -",
        "",
        f"firmatario:             # {_note('Act', 'firmatario')}",
        f"  nome:                 # {_note('Firmatario', 'nome')}",
        f"  qualifica:            # {_note('Firmatario', 'qualifica')}",
        "",
        "# " + _("Optional keys: remove the # to use them."),
        f"# considerato:          # {_note('Act', 'considerato')}",
        "#   -",
        f"# verifiche:            # {_note('Act', 'verifiche')}",
        "#   - tipo: Verifica Legale",
        "#     nome:",
        "#     esito: positivo",
        f"# allegati:             # {_note('Act', 'allegati')}",
        "#   - titolo:",
        "#     file:",
        "",
    ]
    return "\n".join(lines)


def write_skeleton(tipo: str, path: Path, *, today: dt.date | None = None) -> Path:
    """Write the skeleton of an act of ``tipo`` to ``path``, which must not exist."""
    text = skeleton(tipo, today=today).encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise AttiError(_("{path} exists already: atti new never overwrites a file").format(path=path)) from None
    except OSError as exc:
        raise write_error(exc, str(path), AttiError) from None
    with os.fdopen(fd, "wb") as out:
        out.write(text)
    return path


def default_file(tipo: str) -> Path:
    """Where ``atti new TIPO`` writes without a FILE: ``TIPO.yaml`` in the current folder."""
    return Path(f"{parse_tipo(tipo).value}.yaml")
