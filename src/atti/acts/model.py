"""The act format as a typed model.

Keys are the Italian terms of art (see docs/act-format.md); every model forbids unknown keys so
that a typo such as ``premese`` is reported instead of silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from atti.acts.references import FoundReference, act_id_of, extract_references

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _whole_number(low: int, high: int, example: str, span: str, *, optional: bool = False) -> BeforeValidator:
    """A whole number from ``low`` to ``high``, written with digits as the reference act writes it.

    YAML would give pydantic ``true`` or ``129.0`` or ``"129"``, which pydantic would take as 1 and
    129; a number past 2**63 passed and then failed the archive. Each is refused here, with a
    message that says what to write instead (``example``: "numero: 129"; ``span``: the range).
    """

    def number(value: object) -> object:
        if value is None and optional:
            return value
        if isinstance(value, bool):
            shown = "true" if value else "false"
            raise PydanticCustomError("whole_number", "{shown} is not a number: write the number with digits, "
                                      "e.g. {example}", {"shown": shown, "example": example})
        if isinstance(value, float):
            raise PydanticCustomError("whole_number", "{shown} is a decimal number: write a whole number, "
                                      "e.g. {example}", {"shown": repr(value), "example": example})
        if isinstance(value, str):
            if not re.fullmatch(r"[1-9][0-9]*", value):
                raise PydanticCustomError("whole_number", "'{shown}' is not a number as an act writes it: write the "
                                          "digits 0-9 only, without leading zeros, e.g. {example}",
                                          {"shown": _shown(value), "example": example})
            if len(value) > len(str(high)) or not low <= int(value) <= high:
                raise PydanticCustomError("whole_number", "{shown} is out of range: {span}",
                                          {"shown": _shown(value), "span": span})
            key = example.partition(":")[0]
            raise PydanticCustomError("whole_number", "'{shown}' is written as text, in quotes: write the number "
                                      "without them, {key}: {shown}", {"shown": value, "key": key})
        if not isinstance(value, int):
            what = {list: "a list", dict: "a mapping", type(None): "nothing"}.get(type(value), "this")
            raise PydanticCustomError("whole_number", "{what} is not a number: write the number with digits, "
                                      "e.g. {example}", {"what": what, "example": example})
        if not low <= value <= high:
            raise PydanticCustomError("whole_number", "{shown} is out of range: {span}",
                                      {"shown": _shown(str(value)), "span": span})
        return value

    return BeforeValidator(number)


def _shown(digits: str) -> str:
    return digits if len(digits) <= 30 else f"{digits[:20]}…"


_NUMERO_RANGE = "a register's numbers run from 1 to 999999"
Numero = Annotated[int, _whole_number(1, 999_999, "numero: 129", _NUMERO_RANGE)]
"""The number of an act in its register."""
Anno = Annotated[int, _whole_number(1800, 2999, "anno: 2026", "write the year of the act, from 1800 to 2999")]
"""A register year."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class TipoAtto(StrEnum):
    determinazione = "determinazione"
    delibera = "delibera"
    decreto = "decreto"
    ordinanza = "ordinanza"

    @property
    def titolo(self) -> str:
        """The noun that opens the act's title ("DETERMINAZIONE DEL ...")."""
        return _TITOLI[self]

    @property
    def formula(self) -> str:
        """The operative word that introduces the dispositivo."""
        return _FORMULE[self]


_TITOLI = {
    TipoAtto.determinazione: "DETERMINAZIONE",
    TipoAtto.delibera: "DELIBERAZIONE",
    TipoAtto.decreto: "DECRETO",
    TipoAtto.ordinanza: "ORDINANZA",
}
_FORMULE = {
    TipoAtto.determinazione: "DETERMINA",
    TipoAtto.delibera: "DELIBERA",
    TipoAtto.decreto: "DECRETA",
    TipoAtto.ordinanza: "ORDINA",
}


class Esito(StrEnum):
    positivo = "positivo"
    negativo = "negativo"
    sospeso = "sospeso"


class Ente(_Strict):
    nome: Text
    sito: Text | None = None


class Dispositivo(_Strict):
    formula: Text | None = None
    punti: list[Text] = Field(min_length=1)


class Proposta(_Strict):
    struttura: Text
    firmatario: Text | None = None


class Firmatario(_Strict):
    nome: Text
    qualifica: Text


class Verifica(_Strict):
    tipo: Text
    nome: Text
    esito: Esito


class ModoAllegato(StrEnum):
    allegato = "allegato"
    """The file travels inside the signed PDF/A-3 as an attached (associated) file."""
    accodato = "accodato"
    """A PDF/A file whose pages are appended after the act, under the same signature."""


class Allegato(_Strict):
    titolo: Text
    file: Text | None = None
    modo: ModoAllegato = ModoAllegato.allegato


class Riga(_Strict):
    """A line of an imported act's original text kept where the act format has no place for it."""

    riga: Annotated[int, _whole_number(1, 9_999_999, "riga: 12", "lines are counted from 1 to 9999999")]
    testo: Text


class RegistroGenerale(_Strict):
    """The number an imported act also bears in the body's general register, with its own date."""

    numero: Text
    data: dt.date | None = None


class Parere(_Strict):
    """An opinion given on an imported act: "Parere di regolarità tecnica: favorevole"."""

    tipo: Text
    esito: Text | None = None
    nome: Text | None = None


class Importazione(_Strict):
    """How an act was read from an existing document by ``atti import``.

    ``etichette`` keeps the headings and labels the format writes itself ("OGGETTO:", "Visto:",
    the title line), ``intestazioni_pagina`` the page headers and footers taken out of the text,
    so that every word of the original is still somewhere in the act.
    """

    file: Text | None = None
    numero: Text | None = None  # the number as printed, "175/PRO", "G00083"
    etichette: list[Riga] = []
    intestazioni_pagina: list[Riga] = []


class TipoRelazione(StrEnum):
    """How a later act bears on an earlier one; the earlier act itself is never altered."""

    proroga = "proroga"
    modifica = "modifica"
    rettifica = "rettifica"
    integrazione = "integrazione"
    annullamento = "annullamento"


_ACT_ID = re.compile(r"(?P<registro>[0-9A-Za-z]+)-(?P<anno>\d{4})-(?P<numero>\d+)")


class AttoCitato(_Strict):
    """The act a relazione points to: ``{registro: D.O., numero: 60, anno: 2026}``.

    The archive id ``DO-2026-60`` is accepted as a shorthand and read into the same three keys
    (the register then without its dots, which the id drops anyway), so that every consumer
    sees one shape.
    """

    registro: Text
    numero: Numero
    anno: Anno

    @model_validator(mode="before")
    @classmethod
    def _from_id(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        m = _ACT_ID.fullmatch(value.strip())
        if m is None:
            # a custom error, not ValueError, so that the message reads without "Value error, "
            raise PydanticCustomError(
                "atto_id",
                "'{value}' is not an archive id such as DO-2026-60; or write the act as {shape}",
                {"value": value, "shape": "{registro: D.O., numero: 60, anno: 2026}"},
            )
        return {"registro": m["registro"], "numero": int(m["numero"]), "anno": int(m["anno"])}

    @property
    def id(self) -> str:
        """The archive id, "DO-2026-60"."""
        return act_id_of(self.registro, self.anno, self.numero)


class Relazione(_Strict):
    tipo: TipoRelazione
    atto: AttoCitato
    nota: Text | None = None


class Act(_Strict):
    ente: Ente
    tipo: TipoAtto
    organo: Text
    registro: Text
    numero: Annotated[int | None, _whole_number(1, 999_999, "numero: 129", _NUMERO_RANGE, optional=True)] = None
    data: dt.date
    oggetto: Text
    autorita: Text | None = None
    poteri: list[Text] = []
    premesse: list[Text]
    visti: list[Text]
    considerato: list[Text] = []
    dispositivo: Dispositivo
    proposta: Proposta | None = None
    firmatario: Firmatario
    verifiche: list[Verifica] = []
    allegati: list[Allegato] = []
    relazioni: list[Relazione] = []
    # A reserved act is archived like any other but never shown to the public (web search).
    riservato: bool = False
    # Only acts imported from existing documents (atti import) have these.
    registro_generale: RegistroGenerale | None = None
    pareri: list[Parere] = []
    non_classificato: list[Riga] = []
    importazione: Importazione | None = None

    @property
    def formula(self) -> str:
        return self.dispositivo.formula or self.tipo.formula

    @property
    def titolo(self) -> str:
        """E.g. "DETERMINAZIONE DEL DIRETTORE OPERATIVO" (the number is added by the layout)."""
        return f"{self.tipo.titolo} {_preposizione(self.organo)}{self.organo.upper()}"

    @property
    def intestazione_autorita(self) -> str:
        """The heading before the poteri, "IL DIRETTORE OPERATIVO" in the seed act."""
        return (self.autorita or self.firmatario.qualifica).upper()

    @property
    def anno(self) -> int:
        return self.data.year

    @property
    def estremi(self) -> str:
        """The register reference, "129/2026"; a draft without a number has none."""
        return f"{self.numero}/{self.anno}" if self.numero is not None else ""

    def with_numero(self, numero: int) -> Act:
        return self.model_copy(update={"numero": numero})

    def parts(self) -> list[tuple[str, list[str]]]:
        """The act's text, part by part in reading order; the unit of faithful-output checks."""
        out: list[tuple[str, list[str]]] = [
            ("oggetto", [self.oggetto]),
            ("poteri", list(self.poteri)),
            ("premesse", list(self.premesse)),
            ("visti", list(self.visti)),
            ("considerato", list(self.considerato)),
            ("dispositivo", list(self.dispositivo.punti)),
            ("allegati", [a.titolo for a in self.allegati]),
        ]
        return [(name, items) for name, items in out if items]

    def references(self) -> list[FoundReference]:
        """The citations in the act's text, each with the part and item where it was found.

        Allegati titles are left out: they name documents, not the acts the decision rests on.
        """
        return [
            FoundReference(part, index, ref)
            for part, items in self.parts()
            if part != "allegati"
            for index, item in enumerate(items)
            for ref in extract_references(item)
        ]

    def body_text(self) -> str:
        """All the act's words after the oggetto, for full-text search, then who proposed and
        who verified it, one line each ("Proposta: <struttura>, <firmatario>", "Verifica <tipo>:
        <nome>"), which the search index reads as the act's people (atti.archive.terms)."""
        lines = [item for name, items in self.parts() if name != "oggetto" for item in items]
        if self.proposta is not None:
            who = ", ".join(p for p in (self.proposta.struttura, self.proposta.firmatario) if p)
            lines.append(f"Proposta: {who}")
        lines += [f"Verifica {v.tipo}: {v.nome}" for v in self.verifiche]
        return "\n".join(lines)


def _preposizione(organo: str) -> str:
    """Italian articulated preposition for "di" + the organo: DEL, DELLO, DELLA or DELL'."""
    first = organo.strip().split()[0].lower() if organo.strip() else ""
    if first[:1] in "aeiouàèéìòù" and first:
        return "DELL'"
    if first.startswith(("s", "z", "gn", "ps", "x")) and len(first) > 1 and first[1] not in "aeiou":
        return "DELLO "
    if first.endswith("a") or first.endswith("à") or first in {"giunta", "commissione"}:
        return "DELLA "
    return "DEL "
