"""The act format as a JSON Schema (draft 2020-12), for editors: ``atti schema``.

The schema is the pydantic model's own (atti.acts.model), with a description of every key in the
current language (Italian by default: atti.i18n) and what the model reads beyond its types made
explicit: the synonyms of a tipo, a date written ``YYYY-MM-DD``, a cited act given as its archive
id. Every model forbids unknown keys, so every object says ``additionalProperties: false``. An
editor with a YAML language server completes and checks an act against it, given the line

    # yaml-language-server: $schema=atti-act.schema.json

The schema is what an editor can say before ``atti check``: the checks made before signing
(registro's characters, verifiche positive, allegati present, the register's order) are not in it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from atti.acts.model import _ACT_ID, TIPO_SINONIMI, Act, TipoAtto
from atti.i18n import N_, _, translate

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:atti:schema:atto"  # a name, not a place: the schema is what atti schema prints

# What each key is, by model and key: shown by the editor while the officer writes.
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Act": {
        "": N_("An administrative act: determinazione, delibera, decreto or ordinanza."),
        "ente": N_("The public body issuing the act."),
        "tipo": N_("The kind of act: determinazione, delibera, decreto or ordinanza (also deliberazione, determina)."),
        "organo": N_("The office holding the power, e.g. Direttore Operativo, Giunta Comunale."),
        "registro": N_("The register the number belongs to, as the body writes it, e.g. D.O."),
        "numero": N_("The number in the register, digits only (e.g. 129); leave it out in a draft: it "
                  "is given at publication."),
        "data": N_("The date of the act, as YYYY-MM-DD (e.g. 2026-05-19); its year is the register's year."),
        "oggetto": N_("The subject of the act, one sentence."),
        "autorita": N_("The heading before the poteri, when it is not the signer's qualifica."),
        "poteri": N_("The legal basis of the power (\"ai sensi di ...\"), one item each."),
        "premesse": N_("The recitals (\"Premesso che:\"), one item each; may be []."),
        "visti": N_("The laws and acts the decision rests on (\"Visto:\"), one item each; may be []."),
        "considerato": N_("Further reasons (\"Considerato che:\"), one item each."),
        "dispositivo": N_("The operative part: the formula and the points decided."),
        "proposta": N_("Who proposed the act."),
        "firmatario": N_("Who signs the act digitally."),
        "verifiche": N_("The checks made before signing; each must be positivo to sign."),
        "allegati": N_("The attachments of the act."),
        "relazioni": N_("How this act bears on earlier acts (proroga, modifica, rettifica, integrazione, "
                  "annullamento)."),
        "riservato": N_("true for a reserved act, never shown to the public (default false)."),
        "registro_generale": N_("Imported acts: the number in the body's general register."),
        "pareri": N_("The opinions given on the act (art. 49 TUEL: regolarità tecnica and contabile), "
                  "printed with it."),
        "non_classificato": N_("Imported acts: the lines atti import could not place."),
        "importazione": N_("Imported acts: how atti import read the act."),
        "avverte": N_("Ordinanze: what the citizens are warned of (\"AVVERTE\"), one item each."),
        "ricorso": N_("Ordinanze: how to appeal against the act (TAR, Presidente della Repubblica) and by when."),
        "seduta": N_("Collegial acts: the session in which the deliberazione was taken."),
        "votazione": N_("Collegial acts: how the body voted on the proposal."),
        "immediata_eseguibilita": N_("Collegial acts: the separate vote declaring the act immediately enforceable "
                  "(art. 134 c. 4 TUEL)."),
        "visto_contabile": N_("Determinazioni with spending: the visto di regolarità contabile (artt. 151 c. 4, "
                  "183 c. 7 TUEL)."),
        "classificazione": N_("Where the act is filed: the titolario index and its fascicolo or serie."),
    },
    "Ente": {
        "": N_("The public body issuing the act."),
        "nome": N_("The name of the body, e.g. Comune di Esempio."),
        "sito": N_("Its web site, e.g. www.comune.esempio.it."),
    },
    "Dispositivo": {
        "": N_("The operative part of the act."),
        "formula": N_("The operative word, e.g. DETERMINA; by default the tipo's."),
        "punti": N_("The operative points, at least one, each usually starting \"di ...\"."),
        "articoli": N_("Decreti and regolamenti: the articles, each with its title and commi."),
    },
    "Proposta": {
        "": N_("Who proposed the act."),
        "struttura": N_("The office that proposed the act."),
        "firmatario": N_("The person who proposed it."),
    },
    "Firmatario": {
        "": N_("Who signs the act digitally."),
        "nome": N_("The signer's name, as in the signing certificate."),
        "qualifica": N_("The signer's title, e.g. Il Direttore Operativo."),
    },
    "Verifica": {
        "": N_("A check made before signing."),
        "tipo": N_("What was checked, e.g. Verifica Legale."),
        "nome": N_("Who made the check."),
        "esito": N_("The outcome: positivo, negativo or sospeso."),
    },
    "Allegato": {
        "": N_("An attachment of the act."),
        "titolo": N_("The attachment's title."),
        "file": N_("Its file, relative to the act's YAML file."),
        "modo": N_("allegato (default): attached inside the PDF; accodato: a PDF whose pages follow the act."),
    },
    "Relazione": {
        "": N_("How this act bears on an earlier act."),
        "tipo": N_("proroga, modifica, rettifica, integrazione or annullamento."),
        "atto": N_("The earlier act: its archive id (DO-2026-60) or registro, numero and anno."),
        "nota": N_("A short note on the relation."),
    },
    "AttoCitato": {
        "": N_("The earlier act: its archive id (DO-2026-60) or registro, numero and anno."),
        "registro": N_("The earlier act's register, e.g. D.O."),
        "numero": N_("Its number in that register."),
        "anno": N_("Its register year, e.g. 2026."),
    },
    "RegistroGenerale": {
        "": N_("Imported acts: the number in the body's general register."),
        "numero": N_("The number in the general register, as text."),
        "data": N_("The date of that entry, as YYYY-MM-DD."),
    },
    "Parere": {
        "": N_("An opinion given on the act: its kind, outcome, who gave it, when and why."),
        "tipo": N_("The kind of opinion, e.g. Parere di regolarità tecnica."),
        "esito": N_("Its outcome, as written."),
        "nome": N_("Who gave it."),
        "qualifica": N_("The title of who gave it."),
        "data": N_("The date it was given, as YYYY-MM-DD."),
        "motivazione": N_("Its reasons, as written."),
    },
    "Riga": {
        "": N_("A line of the original text of an imported act."),
        "riga": N_("The line of the original text it starts on, from 1."),
        "testo": N_("The text, verbatim."),
    },
    "Importazione": {
        "": N_("Imported acts: how atti import read the act."),
        "file": N_("The file the act was read from."),
        "numero": N_("The number as printed, e.g. 175/PRO."),
        "etichette": N_("The headings and labels of the original, verbatim."),
        "intestazioni_pagina": N_("The page headers and footers taken out of the text."),
    },
    "Articolo": {
        "": N_("An article of a decree or a regulation: \"Art. 1 - Oggetto\", then its commi."),
        "titolo": N_("The article's title, e.g. Oggetto."),
        "commi": N_("The article's commi, at least one, in order."),
    },
    "Classificazione": {
        "": N_("Where the act is filed: the titolario index and, within it, the fascicolo or the serie."),
        "indice": N_("The index of the body's titolario, e.g. 1.6."),
        "fascicolo": N_("The fascicolo the act belongs to."),
        "serie": N_("The serie the act belongs to, when it has no fascicolo."),
    },
    "Componente": {
        "": N_("A member of a collegial body at a seduta, with the role they sit in."),
        "nome": N_("The member's name."),
        "ruolo": N_("The role, e.g. Sindaco, Assessore, Consigliere."),
    },
    "ImmediataEseguibilita": {
        "": N_("The separate vote that makes a deliberazione immediately enforceable (art. 134 c. 4 TUEL)."),
        "votazione": N_("How the body voted on the immediate enforceability."),
        "motivazione": N_("Why, e.g. stante l'urgenza di provvedere."),
    },
    "Impegno": {
        "": N_("A commitment of spending the visto contabile attests (art. 183 TUEL)."),
        "capitolo": N_("The budget chapter, e.g. 1234/5."),
        "esercizio": N_("The financial year, e.g. 2026."),
        "importo": N_("The amount in euro, e.g. 24400.00."),
        "numero": N_("The commitment's number in the accounts, e.g. 2026/412."),
        "beneficiario": N_("Who receives the payment."),
        "cig": N_("The CIG (codice identificativo di gara)."),
        "cup": N_("The CUP (codice unico di progetto)."),
    },
    "VistoContabile": {
        "": N_("The visto di regolarità contabile attesting the financial cover, which makes a "
                  "determinazione with spending esecutiva."),
        "nome": N_("Who gives the visto (the head of the financial service)."),
        "qualifica": N_("Their title, e.g. Il Responsabile del Servizio Finanziario."),
        "data": N_("The date of the visto, as YYYY-MM-DD."),
        "esito": N_("The outcome, e.g. favorevole (the default)."),
        "impegni": N_("The commitments of spending it attests."),
        "esecutiva_dal": N_("The date from which the act is esecutiva; by default the visto's date."),
        "note": N_("Notes of the financial service."),
    },
    "Seduta": {
        "": N_("The session of a collegial body in which a deliberazione was taken."),
        "data": N_("The date of the session, as YYYY-MM-DD; by default the act's."),
        "ora": N_("The time the session opened, e.g. \"18:30\" (in quotes)."),
        "luogo": N_("Where it was held, e.g. nella sala delle adunanze."),
        "convocazione": N_("How it was convened, e.g. in sessione ordinaria, seduta pubblica di prima convocazione."),
        "presenti": N_("The members present, each with nome and ruolo."),
        "assenti": N_("The members absent, each with nome and ruolo."),
        "presidente": N_("Who presides over the session."),
        "segretario": N_("The segretario verbalizzante, who writes the minutes."),
    },
    "Votazione": {
        "": N_("How the body voted: unanimita: true, or the favorevoli with the contrari and astenuti."),
        "unanimita": N_("true when every member present voted in favour."),
        "favorevoli": N_("The votes in favour."),
        "contrari": N_("The votes against (default 0)."),
        "astenuti": N_("The abstentions (default 0)."),
        "modalita": N_("How the vote was cast, e.g. in forma palese, per alzata di mano."),
    },
}
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# The whole numbers the model reads in a range of its own (atti.acts.model._whole_number).
_RANGES = {"numero": (1, 999_999), "anno": (1800, 2999), "riga": (1, 9_999_999)}


def act_schema() -> dict[str, Any]:
    """The JSON Schema of an act file, descriptions in the current language."""
    schema = Act.model_json_schema(mode="validation", ref_template="#/$defs/{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    defs["Act"] = schema
    models = _models(Act)
    for name, definition in defs.items():
        definition.pop("title", None)
        described = DESCRIPTIONS.get(name, {})
        if name in models:
            definition["description"] = translate(described[""]) if "" in described else ""
            if not definition["description"]:
                del definition["description"]
        else:  # an enum: its values say it, the key's description the rest
            definition.pop("description", None)
        for key, prop in definition.get("properties", {}).items():
            prop.pop("title", None)
            if key in described:
                prop["description"] = translate(described[key])
            _dates(prop)
            if key in _RANGES:
                _range(prop, *_RANGES[key])
    defs.pop("TipoAtto", None)
    tipi = [t.value for t in TipoAtto] + sorted(TIPO_SINONIMI)
    defs["Act"]["properties"]["tipo"] = {
        "description": defs["Act"]["properties"]["tipo"].get("description", ""),
        "type": "string",
        "enum": tipi,
    }
    # The model refuses a dispositivo with neither punti nor articoli (a decree's): so does the schema.
    defs["Dispositivo"]["anyOf"] = [
        {"required": ["punti"], "properties": {"punti": {"minItems": 1}}},
        {"required": ["articoli"], "properties": {"articoli": {"minItems": 1}}},
    ]
    citato = defs["AttoCitato"]
    by_id = {"type": "string", "pattern": f"^{_ACT_ID.pattern}$"}
    defs["AttoCitato"] = {"description": citato.get("description", ""), "anyOf": [by_id, citato]}
    act = defs.pop("Act")
    title = _("atti: an administrative act")
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, "title": title, **act, "$defs": defs}


def _dates(prop: dict[str, Any]) -> None:
    """A date is text written YYYY-MM-DD: a pattern says so to any validator, "format" only to some."""
    for option in [prop, *prop.get("anyOf", [])]:
        if option.get("format") == "date":
            option["pattern"] = _DATE_PATTERN


def _range(prop: dict[str, Any], low: int, high: int) -> None:
    for option in [prop, *prop.get("anyOf", [])]:
        if option.get("type") == "integer":
            option["minimum"], option["maximum"] = low, high


def _models(model: type[BaseModel], seen: set[str] | None = None) -> set[str]:
    """The names of ``model`` and of every model nested in it."""
    seen = set() if seen is None else seen
    seen.add(model.__name__)
    for info in model.model_fields.values():
        for nested in _nested(info.annotation):
            if nested.__name__ not in seen:
                _models(nested, seen)
    return seen


def _nested(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _nested(arg)]
