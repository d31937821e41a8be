"""The act format as a typed model.

Keys are the Italian terms of art (see docs/act-format.md); every model forbids unknown keys so
that a typo such as ``premese`` is reported instead of silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from atti.acts.references import FoundReference, act_id_of, extract_references
from atti.i18n import N_, _, translate

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
            raise PydanticCustomError("whole_number", _("{shown} is not a number: write the number with digits, "
                                        "e.g. {example}"), {"shown": shown, "example": example})
        if isinstance(value, float):
            raise PydanticCustomError("whole_number", _("{shown} is a decimal number: write a whole number, "
                                        "e.g. {example}"), {"shown": repr(value), "example": example})
        if isinstance(value, str):
            with_year = re.fullmatch(r"\s*([1-9][0-9]*)\s*/\s*[0-9]{4}\s*", value)
            if with_year is not None:
                raise PydanticCustomError("whole_number", _("'{shown}' is a number with its year: write the number "
                                          "alone, {key}: {number} (the year is the one of data)"),
                                          {"shown": value, "key": example.partition(":")[0],
                                           "number": with_year[1]})
            if not re.fullmatch(r"[1-9][0-9]*", value):
                raise PydanticCustomError("whole_number", _("must be a whole number written with the digits 0-9, "
                                          "without leading zeros (e.g. {example}), not '{shown}'"),
                                          {"shown": _shown(value), "example": example})
            if len(value) > len(str(high)) or not low <= int(value) <= high:
                raise PydanticCustomError("whole_number", _("{shown} is out of range: {span}"),
                                          {"shown": _shown(value), "span": translate(span)})
            key = example.partition(":")[0]
            raise PydanticCustomError("whole_number", _("'{shown}' is written as text, in quotes: write the number "
                                      "without them, {key}: {shown}"), {"shown": value, "key": key})
        if not isinstance(value, int):
            what = {list: N_("a list"), dict: N_("a mapping"), type(None): N_("nothing")}.get(type(value), N_("this"))
            raise PydanticCustomError("whole_number", _("{what} is not a number: write the number with digits, "
                                      "e.g. {example}"), {"what": translate(what), "example": example})
        if not low <= value <= high:
            raise PydanticCustomError("whole_number", _("{shown} is out of range: {span}"),
                                      {"shown": _shown(str(value)), "span": translate(span)})
        return value

    return BeforeValidator(number)


def _shown(digits: str) -> str:
    return digits if len(digits) <= 30 else f"{digits[:20]}…"


_NUMERO_RANGE = N_("a register's numbers run from 1 to 999999")
Numero = Annotated[int, _whole_number(1, 999_999, "numero: 129", _NUMERO_RANGE)]
"""The number of an act in its register."""
Anno = Annotated[int, _whole_number(1800, 2999, "anno: 2026", N_("write the year of the act, from 1800 to 2999"))]
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


# How officers also write a tipo: read as the tipo itself when the act is loaded (any case and
# spacing), so that "tipo: deliberazione" is a delibera and "Determina" a determinazione.
TIPO_SINONIMI: dict[str, TipoAtto] = {
    "deliberazione": TipoAtto.delibera,
    "delib.": TipoAtto.delibera,
    "determina": TipoAtto.determinazione,
    "det.": TipoAtto.determinazione,
    "determinazione dirigenziale": TipoAtto.determinazione,
    "determina dirigenziale": TipoAtto.determinazione,
    "decr.": TipoAtto.decreto,
    "ord.": TipoAtto.ordinanza,
}


def tipo_atto(value: object) -> object:
    """A tipo as written (``Deliberazione``) -> its TipoAtto's value (``delibera``); else as given."""
    if not isinstance(value, str):
        return value
    key = " ".join(value.split()).lower()
    found = TIPO_SINONIMI.get(key)
    return found.value if found is not None else key


Tipo = Annotated[TipoAtto, BeforeValidator(tipo_atto)]
"""The tipo of an act, its synonyms read as itself."""


class Esito(StrEnum):
    positivo = "positivo"
    negativo = "negativo"
    sospeso = "sospeso"


class Ente(_Strict):
    nome: Text
    sito: Text | None = None


class Articolo(_Strict):
    """An article of a decree or a regulation: "Art. 1 - Oggetto", then its commi."""

    titolo: Text | None = None
    commi: list[Text] = Field(min_length=1)


class Dispositivo(_Strict):
    """The operative part: ``punti`` (a list of decisions) and/or ``articoli`` (a decree, a regulation
    by articles, printed after the punti)."""

    formula: Text | None = None
    punti: list[Text] = []
    articoli: list[Articolo] = []

    @model_validator(mode="after")
    def _not_empty(self) -> Dispositivo:
        if not self.punti and not self.articoli:
            raise PydanticCustomError("dispositivo_vuoto", _("empty dispositivo: write at least one punto"))
        return self

    def testi(self) -> list[str]:
        """Its text in reading order: the punti, then each article's title and commi."""
        return [*self.punti, *(t for a in self.articoli for t in ([a.titolo] if a.titolo else []) + list(a.commi))]


class Proposta(_Strict):
    struttura: Text
    firmatario: Text | None = None


class Firmatario(_Strict):
    nome: Text
    qualifica: Text


def _firmatario_form(value: object) -> str:
    return "elenco" if isinstance(value, list) else "uno"


Firmatari = Annotated[
    Annotated[Firmatario, Tag("uno")] | Annotated[list[Firmatario], Field(min_length=1), Tag("elenco")],
    Discriminator(_firmatario_form),
]
"""``firmatario``: one signer (a mapping), or several in the order they sign (a list)."""
UNION_TAGS = ("uno", "elenco")
"""The tags of :data:`Firmatari`, which pydantic puts in an error's location; not YAML keys."""


def _time_of_day(value: object) -> object:
    """YAML 1.1 reads ``ora: 18:30`` as the sexagesimal number 1110: read it back as 18:30."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}[.:]\d{2}", value.strip()):
        hours, minutes = re.split(r"[.:]", value.strip())
        if int(hours) < 24 and int(minutes) < 60:
            return dt.time(int(hours), int(minutes))
    return value


Ora = Annotated[dt.time, BeforeValidator(_time_of_day)]
_CONTEGGIO_RANGE = N_("a count of votes or members, from 0 to 100000")
Conteggio = Annotated[int, _whole_number(0, 100_000, "favorevoli: 5", _CONTEGGIO_RANGE, optional=True)]


def _euro(value: object) -> object:
    """An amount in euro as YAML gives it (1234.5, "1.234,50", "1234.50") read exactly, in cents."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return value
    text = str(value).strip().removeprefix("€").strip()
    if isinstance(value, str) and "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise PydanticCustomError("importo", _("'{shown}' is not an amount in euro: write it as 1234.50"),
                                  {"shown": str(value)}) from None
    if amount.is_finite() and amount.adjusted() >= _EURO_DIGITS:
        # quantize() past the context's 28 digits raises InvalidOperation: refused before it.
        raise PydanticCustomError("importo", _("'{shown}' is too large an amount in euro: at most {most}"),
                                  {"shown": str(value), "most": f"{Decimal(10) ** _EURO_DIGITS - Decimal('0.01')}"})
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise PydanticCustomError("importo", _("'{shown}' is not an amount in euro: a positive amount with at "
                                  "most two decimals, e.g. 1234.50"), {"shown": str(value)})
    return amount


Importo = Annotated[Decimal, BeforeValidator(_euro)]
_EURO_DIGITS = 15
"""The digits before the decimal point an amount may have (up to a million billion euro)."""


def euro(amount: Decimal) -> str:
    """An amount as Italian acts print it: "€ 12.345,60"."""
    whole, _, cents = f"{amount:.2f}".partition(".")
    return f"€ {int(whole):,}".replace(",", ".") + f",{cents}"


class Componente(_Strict):
    """A member of a collegial body at a seduta, with the role they sit in (Sindaco, Assessore)."""

    nome: Text
    ruolo: Text


class Votazione(_Strict):
    """How the body voted: ``unanimita: true``, or the favorevoli with the contrari and astenuti."""

    unanimita: bool = False
    favorevoli: Conteggio | None = None
    contrari: Conteggio = 0
    astenuti: Conteggio = 0
    modalita: Text | None = None  # "in forma palese, per alzata di mano"

    @model_validator(mode="after")
    def _counted(self) -> Votazione:
        if self.unanimita and (self.contrari or self.astenuti):
            raise PydanticCustomError("votazione", _("a unanimous vote has no contrari and no astenuti"))
        if not self.unanimita and self.favorevoli is None:
            raise PydanticCustomError("votazione", _("write the votes: unanimita: true, or favorevoli: N "
                                      "(with contrari: N and astenuti: N)"))
        return self


class Seduta(_Strict):
    """The session of a collegial body in which a deliberazione was taken."""

    data: dt.date | None = None  # when not given, the act's data
    ora: Ora | None = None
    luogo: Text | None = None
    convocazione: Text | None = None  # "in sessione ordinaria, seduta pubblica di prima convocazione"
    presenti: list[Componente] = Field(min_length=1)
    assenti: list[Componente] = []
    presidente: Componente
    segretario: Componente  # the segretario verbalizzante


class ImmediataEseguibilita(_Strict):
    """The separate vote that makes a deliberazione immediately enforceable (art. 134 c. 4 TUEL)."""

    votazione: Votazione
    motivazione: Text | None = None  # "stante l'urgenza di ..."


class Impegno(_Strict):
    """A commitment of spending the visto contabile attests (art. 183 TUEL)."""

    capitolo: Text
    esercizio: Anno
    importo: Importo
    numero: Text | None = None  # the commitment's number in the accounts, "2026/412"
    beneficiario: Text | None = None
    cig: Text | None = None
    cup: Text | None = None


class VistoContabile(_Strict):
    """The visto di regolarità contabile attestante la copertura finanziaria (artt. 151 c. 4, 183 c. 7
    TUEL), which makes a determinazione with spending esecutiva."""

    nome: Text
    qualifica: Text
    data: dt.date
    esito: Text = "favorevole"
    impegni: list[Impegno] = []
    esecutiva_dal: dt.date | None = None  # when not given, the visto's data
    note: Text | None = None

    @property
    def esecutiva(self) -> dt.date:
        return self.esecutiva_dal or self.data


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

    riga: Annotated[int, _whole_number(1, 9_999_999, "riga: 12", N_("lines are counted from 1 to 9999999"))]
    testo: Text


class RegistroGenerale(_Strict):
    """The number an imported act also bears in the body's general register, with its own date."""

    numero: Text
    data: dt.date | None = None


class Parere(_Strict):
    """An opinion on a proposal (art. 49 TUEL): "Parere di regolarità tecnica: favorevole".

    ``tipo`` is what it is on ("regolarità tecnica", "regolarità contabile"); imported acts may
    have only some of the keys.
    """

    tipo: Text
    esito: Text | None = None
    nome: Text | None = None
    qualifica: Text | None = None
    data: dt.date | None = None
    motivazione: Text | None = None


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
                _("'{value}' is not an archive id such as DO-2026-60; or write the act as {shape}"),
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


class Classificazione(_Strict):
    """Where the act is filed: the index of the body's titolario and, within it, the fascicolo
    (or the serie) the act belongs to (AgID Linee guida, Allegato 5: Classificazione, Agg)."""

    indice: Text
    fascicolo: Text | None = None
    serie: Text | None = None


class Act(_Strict):
    ente: Ente
    tipo: Tipo
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
    # An ordinanza's warnings ("AVVERTE che") and the remedies against the act.
    avverte: list[Text] = []
    ricorso: Text | None = None
    proposta: Proposta | None = None
    firmatario: Firmatari
    verifiche: list[Verifica] = []
    # A collegial act (a deliberazione): its seduta, the vote and the separate vote on immediata
    # eseguibilità; the pareri on its proposta (art. 49 TUEL).
    seduta: Seduta | None = None
    votazione: Votazione | None = None
    immediata_eseguibilita: ImmediataEseguibilita | None = None
    # The visto di regolarità contabile of a determinazione with spending.
    visto_contabile: VistoContabile | None = None
    allegati: list[Allegato] = []
    relazioni: list[Relazione] = []
    classificazione: Classificazione | None = None
    # A reserved act is archived like any other but never shown to the public (web search).
    riservato: bool = False
    # Only acts imported from existing documents (atti import) have these.
    registro_generale: RegistroGenerale | None = None
    pareri: list[Parere] = []  # written by officers too: printed as the act's pareri
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
        return (self.autorita or self.firmatari[0].qualifica).upper()

    @property
    def firmatari(self) -> list[Firmatario]:
        """Who signs, in the order they sign; the last signature locks the document."""
        return list(self.firmatario) if isinstance(self.firmatario, list) else [self.firmatario]

    @property
    def nomi_firmatari(self) -> str:
        """The signers' names, "Mario Rossi, Anna Bianchi", as the archive records who signed."""
        return ", ".join(f.nome for f in self.firmatari)

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
            ("dispositivo", self.dispositivo.testi()),
            ("avverte", list(self.avverte)),
            ("ricorso", [self.ricorso] if self.ricorso else []),
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


def articolo(organo: str) -> str:
    """The definite article before the organo: "la " Giunta, "il " Consiglio, "l'" Assemblea."""
    return {"DELLA ": "la ", "DELLO ": "lo ", "DELL'": "l'"}.get(_preposizione(organo), "il ")
