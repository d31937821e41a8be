"""Reading existing acts (text, PDF text layer, DOCX) into the act format: ``atti import``.

extract (bytes -> text) -> clean (text -> paragraphs) -> parse (paragraphs -> parts) -> here:
fill what the text does not say (guessed, and reported as such), validate with the act model
and write YAML that the loader reads back to the same act.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from atti.acts.importer.clean import Para, clean
from atti.acts.importer.extract import Source, read_document, read_source, source_of
from atti.acts.importer.parse import Draft, date_guess, guess_ente, initials, read_act
from atti.acts.loader import load_act_text
from atti.acts.model import Act
from atti.errors import ImportSourceError
from atti.i18n import _

__all__ = ["ImportResult", "Source", "import_bytes", "import_file", "read_document", "read_source"]

MISSING = "DA COMPLETARE"
_ORDER = [
    "ente", "tipo", "organo", "registro", "numero", "data", "registro_generale", "oggetto", "autorita", "poteri",
    "premesse", "visti", "considerato", "dispositivo", "proposta", "firmatario", "verifiche", "pareri", "allegati",
    "non_classificato", "importazione",
]
# What the report lists, in reading order: (key, label)
_PARTS = [
    ("ente", "ente"), ("tipo", "tipo"), ("organo", "organo"), ("registro", "registro"), ("numero", "numero"),
    ("data", "data"), ("registro_generale", "registro generale"), ("oggetto", "oggetto"), ("poteri", "poteri"),
    ("premesse", "premesse"), ("visti", "visti"), ("considerato", "considerato"), ("dispositivo", "dispositivo"),
    ("proposta", "proposta"), ("firmatario", "firmatario"), ("verifiche", "verifiche"), ("pareri", "pareri"),
    ("allegati", "allegati"),
]


@dataclass(frozen=True)
class ImportResult:
    file: str
    kind: str
    act: Act
    yaml: str
    found: list[str]
    guessed: dict[str, str]
    missing: list[str]
    counts: dict[str, int]
    fixes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the text lacks, said in words

    @property
    def confidence(self) -> float:
        """The share of the act's parts read from the text (guessed count half, missing nothing)."""
        total = len(self.found) + len(self.guessed) + len(self.missing)
        return round((len(self.found) + 0.5 * len(self.guessed)) / total, 2) if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "confidence": self.confidence,
            "found": self.found,
            "guessed": self.guessed,
            "missing": self.missing,
            "counts": self.counts,
            "non_classificato": [{"riga": r.riga, "testo": r.testo} for r in self.act.non_classificato],
            "fixes": self.fixes,
            "warnings": self.warnings,
        }


def import_file(path: Path, *, ente: str | None = None) -> ImportResult:
    """Read the act in the document at ``path``; ImportSourceError when there is none."""
    return _import(read_source(path), str(path), ente=ente, file=path.name)


def import_bytes(data: bytes, name: str, *, ente: str | None = None) -> ImportResult:
    return _import(source_of(data, name), name, ente=ente, file=name)


def _import(source: Source, name: str, *, ente: str | None, file: str) -> ImportResult:
    """``name`` is how errors call the document, ``file`` how the act records it."""
    cleaned = clean(source.text)
    draft = read_act(cleaned)
    data = draft.data
    if data.get("tipo") is None and not _looks_like_an_act(draft):
        raise ImportSourceError(_(
            "{name}: this does not look like an act: no title (DETERMINAZIONE, DELIBERAZIONE, DECRETO, "
            "ORDINANZA), no subject, no preambolo (Premesso, Visto, Considerato ...) and no dispositivo "
            "(DETERMINA, DELIBERA, DECRETA, ORDINA)"
        ).format(name=name))
    if ente:
        data.setdefault("ente", {})["nome"] = ente
    guess_ente(draft, "\n".join(p.text for p in cleaned.paras))
    missing = _fill(draft, source.text, name)
    doc = _document(draft, cleaned.headers, file)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)
    try:
        act = load_act_text(text, file, check=False).act
    except Exception as exc:  # a reader bug must not write a file the loader refuses
        raise ImportSourceError(_("{name}: the act read from it is not valid ({reason})").format(
            name=name, reason=exc)) from None
    found = [key for key, _label in _PARTS if _present(act, key) and key not in draft.guessed and key not in missing]
    counts = {
        "poteri": len(act.poteri), "premesse": len(act.premesse), "visti": len(act.visti),
        "considerato": len(act.considerato), "punti": len(act.dispositivo.punti), "verifiche": len(act.verifiche),
        "pareri": len(act.pareri), "allegati": len(act.allegati), "non_classificato": len(act.non_classificato),
    }
    return ImportResult(file, source.kind, act, text, found, dict(draft.guessed), missing, counts, cleaned.fixes,
                        _warnings(draft, missing))


def _looks_like_an_act(draft: Draft) -> bool:
    """Any feature of an act: a number in a title, a subject, an item of the preambolo, an authority."""
    data = draft.data
    return bool(data.get("numero") or data.get("oggetto") or data.get("autorita") or data.get("premesse")
                or data.get("visti") or data.get("considerato"))


def _warnings(draft: Draft, missing: list[str]) -> list[str]:
    out = []
    if "dispositivo" in missing:
        out.append(_("a fragment: the text ends before the operative part (DETERMINA, DELIBERA, DECRETA, "
                     "ORDINA ...), the dispositivo is missing"))
    if "tipo" in draft.guessed:
        out.append(_("no title and no operative verb: the kind of act is guessed"))
    if "numero" in missing:
        out.append(_("the act's own number is not in the text (cited acts' numbers are never taken)"))
    if "data" in missing:
        out.append(_("no date anywhere in the text: the day of the import stands in for it"))
    elif "data" in draft.guessed:
        out.append(_("the act's date is not printed in its head: the latest date of the text stands in for it"))
    return out


def _present(act: Act, key: str) -> bool:
    value = getattr(act, key)
    return bool(value) if isinstance(value, list) else value is not None


def _fill(draft: Draft, text: str, name: str) -> list[str]:
    """Put placeholders or guesses where the text said nothing; the keys that stay missing."""
    data, missing = draft.data, []
    if not data.get("ente", {}).get("nome"):
        data.setdefault("ente", {})["nome"] = MISSING
        missing.append("ente")
    if not data.get("tipo"):
        data["tipo"] = "determinazione"
        draft.guessed["tipo"] = "nessun titolo: determinazione per difetto"
    if not data.get("organo"):
        data["organo"] = MISSING
        missing.append("organo")
    if not data.get("registro") and data["organo"] != MISSING:
        data["registro"] = initials(data["organo"]) or data["organo"]
        draft.guessed["registro"] = f"dalle iniziali dell'organo ({data['organo']})"
    elif not data.get("registro"):
        data["registro"] = MISSING
        missing.append("registro")
    if not data.get("data"):
        guess = date_guess(text)
        if guess is None:
            data["data"] = dt.date.today()  # a placeholder: the act is reported without a date
            missing.append("data")
        else:
            data["data"] = guess
            draft.guessed["data"] = "la data più recente del testo"
    if not data.get("numero"):
        data.pop("numero", None)
        missing.append("numero")
    if not data.get("oggetto"):
        data["oggetto"] = MISSING
        missing.append("oggetto")
    dispositivo = data.setdefault("dispositivo", {})
    if not dispositivo.get("punti"):
        dispositivo["punti"] = [MISSING]
        missing.append("dispositivo")
    if not data.get("firmatario"):
        data["firmatario"] = {"nome": MISSING, "qualifica": MISSING}
        missing.append("firmatario")
    proposta = data.get("proposta")
    if proposta is not None and not proposta.get("struttura"):
        proposta["struttura"] = MISSING
    return missing


def _rows(paras: list[Para]) -> list[dict[str, Any]]:
    return [{"riga": max(p.no, 1), "testo": p.text} for p in paras if p.text.strip()]


def _document(draft: Draft, headers: list[Para], name: str) -> dict[str, Any]:
    data = dict(draft.data)
    if draft.non_classificato:
        data["non_classificato"] = _rows(draft.non_classificato)
    importazione: dict[str, Any] = {"file": name}
    if draft.numero_originale:
        importazione["numero"] = draft.numero_originale
    importazione["etichette"] = _rows(draft.etichette)
    if headers:
        importazione["intestazioni_pagina"] = _rows(headers)
    data["importazione"] = importazione
    required = ("premesse", "visti")  # the format wants them even when empty
    for key in required:
        data.setdefault(key, [])
    out = {key: data[key] for key in _ORDER if key in data and (key in required or data[key] not in (None, {}, []))}
    ente = out["ente"]
    out["ente"] = {k: ente[k] for k in ("nome", "sito") if k in ente}
    return out

