"""Cleaned paragraphs into the parts of an act, with a record of where each part came from.

A small state machine: the labels of the parts ("Premesso che", "Visto", "Considerato",
"DETERMINA", "Proposta di" ...) switch the part, list marks start a new item, and whatever
comes where no part expects it is kept in ``non_classificato`` with its line. The head of the
act (the body's name, the title with its number, the date, the register numbers) and the labels
are kept verbatim as ``etichette``: the fields read from them (tipo, organo, numero, data ...)
are derived, the labels' words are still in the output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from atti.acts.importer import labels
from atti.acts.importer.clean import FORMULA, LIST_MARK, Cleaned, Para, squeeze
from atti.acts.importer.identity import Identity, kind_start, read_identity
from atti.acts.importer.words import SITO, date_guess, despace, guess_ente, initials, tipo_from_formula, title_case
from atti.acts.references import _DATE, parse_date

_TIPI = [
    (r"DETERMINAZION[EI]|DETERMINA\s+DIRIGENZIALE", "determinazione"),
    (r"DELIBERAZION[EI]|DELIBERA", "delibera"),
    (r"DECRETO", "decreto"),
    (r"ORDINANZA", "ordinanza"),
]
_TITLE = re.compile(
    r"^(?P<tipo>" + "|".join(p for p, _ in _TIPI) + r")\b(?P<rest>.*)$", re.IGNORECASE
)
_NUMBER = re.compile(r"(?:\bN\.?\s*°?|\bn\.\s*|\bNr\.\s*|\bnumero\s+|\bn°\s*)(?P<num>[A-Z]{0,4}\d+(?:/[A-Za-z0-9.]+)?)")
_DATE_IN = re.compile(rf"(?P<date>{_DATE})")
_PREPOSITION = r"^\s*(?:(?:DELLA|DELLO|DEL|DI|della|dello|del|di)\s+|(?:DELL|dell)['’]\s*)"
_ADJ_ORGANO = {
    "DIRIGENZIALE": "Dirigente", "DIRETTORIALE": "Direttore", "RETTORALE": "Rettore", "SINDACALE": "Sindaco",
    "PRESIDENZIALE": "Presidente", "COMMISSARIALE": "Commissario", "DEL DIRETTORE GENERALE": "Direttore Generale",
}
_ENTE = re.compile(
    r"^(?:COMUNE|Comune|CITTÀ|Città|PROVINCIA|Provincia|REGIONE|Regione|CAMERA DI COMMERCIO|Camera di Commercio"
    r"|AZIENDA|Azienda|A\.?S\.?L\.?\b|ASL|ASST|UNIVERSIT[AÀ]|Universit[aà]|UNIONCAMERE|Unioncamere|AGENZIA|Agenzia"
    r"|CONSORZIO|Consorzio|ISTITUTO|Istituto|ENTE|Ente)\b"
)
_PREMESSE, _VISTI, _CONSIDERATO = labels.PREMESSE, labels.VISTI, labels.CONSIDERATO
_OGGETTO = re.compile(r"^(?P<label>OGGETTO|Oggetto)\s*[:.\-–]?\s*(?P<rest>.*)$")
_PARERE = re.compile(
    r"^(?P<mark>[✓✔√☑]\s*)?(?P<tipo>(?:Parere|PARERE|Visto|VISTO)\s+(?:di\s+|in\s+ordine\s+alla\s+)?"
    r"regolarit[aà]\s+(?:tecnica|contabile)[^:]*?)\s*(?:[:\-–]\s*(?P<rest>.*))?(?P<mark2>\s*[✓✔√☑])?$",
    re.IGNORECASE,
)
_ESITO = re.compile(r"^(?P<esito>non\s+favorevole|favorevole|contrario|positivo|negativo)\b[\s,;.\-–]*(?P<rest>.*)$",
                    re.IGNORECASE)
_VERIFICA = re.compile(r"^Verific[ah]\b.*$")
_CHECK = re.compile(r"^[✓✔√☑]\s*(?P<name>.+)$|^(?P<name2>.+?)\s*[✓✔√☑]$")
_PROPOSTA = re.compile(r"^(?P<label>Proposta\s+di|Su\s+proposta\s+d(?:i|el|ella|ello|ell['’]))\s*:?\s*(?P<rest>.*)$",
                       re.IGNORECASE)
_FTO = re.compile(r"^(?P<label>F\.\s?to|f\.\s?to)\s*:?\s*(?P<rest>.*)$")
_FIRMA_DIGITALE = re.compile(r"^\(?\s*(?:Documento\s+)?[Ff]irmato\s+digitalmente\b.*$")
_ALLEGATI_HEAD = re.compile(r"^(?P<label>Allegati|ALLEGATI|Elenco\s+allegati)\s*:?\s*(?P<rest>.*)$")
_ALLEGATO = re.compile(r"^(?:Allegato|ALLEGATO)(?:\s+\S+.*)?$")
_DATE_LINE = re.compile(rf"^(?:Del|del|DEL|Data|In\s+data|Lì|Addì|Seduta\s+del)\s*:?,?\s*(?P<date>{_DATE})\s*$")
_REG_LINE = re.compile(r"^(?:Registro|Reg\.|R\.\s?G\.|N\.\s*Reg|Numero\s+registro|Repertorio|Rep\.)", re.IGNORECASE)
_QUALIFICA = re.compile(
    r"^(?:Il|La|Lo|L['’]|IL|LA|LO)\s+(?:[A-Za-zÀ-ÿ'’.]+\s*){1,8}$"
)
# "IL SINDACO Anna Bianchi": the qualifica in capitals and the name on one line
_QUALIFICA_NAME = re.compile(r"^(?P<qualifica>(?:IL|LA|LO)\s+[A-ZÀ-Þ.'’ ]+?)\s+(?P<name>[A-ZÀ-Þ][a-zà-ÿ].*)$")
_ROLE = re.compile(
    r"(?i)\b(?:dirigente|direttore|direttrice|sindac[oa]|presidente|rettore|rettrice|segretari[oa]|responsabile"
    r"|commissari[oa]|giunta|consiglio|assessore|funzionario|coordinatore|dirett)"
)
_NAME = re.compile(
    r"^(?:(?:Dott\.?(?:ssa)?|Dr\.?|Prof\.?(?:ssa)?|Ing\.?|Avv\.?|Arch\.?|Geom\.?|Rag\.?|Sig\.?(?:ra)?)\s+)*"
    r"[A-ZÀ-Þ][a-zà-ÿ'’]+(?:\s+(?:[A-ZÀ-Þ][a-zà-ÿ'’]+|[A-ZÀ-Þ]{2,}|de|di|del|della|De|Di|Da|La|Lo)){1,4}$"
)


@dataclass
class Draft:
    """The act as read so far: plain data for the model, plus where each part came from."""

    data: dict[str, Any] = field(default_factory=dict)
    etichette: list[Para] = field(default_factory=list)
    non_classificato: list[Para] = field(default_factory=list)
    guessed: dict[str, str] = field(default_factory=dict)  # field -> how it was guessed
    numero_originale: str | None = None


class _Reader:
    def __init__(self, identity: Identity | None = None) -> None:
        self.d = Draft()
        self.identity = identity or Identity()
        self.part = "testa"  # the part the next item belongs to
        self.lists: dict[str, list[str]] = {
            k: [] for k in ("poteri", "premesse", "visti", "considerato", "punti", "allegati")
        }
        self.marked: set[str] = set()  # the parts whose items carry list marks
        self.title: dict[str, Any] = {}
        self.pending_qualifica: str | None = None  # a signer's qualifica waiting for the name
        self.pending_line = 0
        self.verifiche: list[dict[str, str]] = []
        self.pareri: list[dict[str, str]] = []
        self.article = False  # the last punto is an article: unmarked paragraphs go on with it
        # the part whose last item ends with ":" and so takes the enumeration that follows, and
        # whether that item was marked (a marked paragraph is then its sibling, not its sub-item)
        self.open_item: str | None = None
        self.open_marked = False
        self._take_identity()

    def _take_identity(self) -> None:
        ident = self.identity
        if ident.tipo:
            self.title["tipo"] = ident.tipo
        if ident.organo:
            organo = re.split(r":\s|(?<=[a-zà-ù]{3})\.\s", re.sub(r"\s+", " ", ident.organo))[0].strip(" ,.:-–")
            self.title["organo"] = _ADJ_ORGANO.get(organo.upper(), title_case(organo) if organo.isupper() else organo)
        if ident.numero:
            self._number(ident.numero, main=True)
        if ident.data:
            self.d.data["data"] = ident.data
        if ident.registro_generale and ident.registro_generale[0]:
            self.d.data["registro_generale"] = {"numero": ident.registro_generale[0],
                                                "data": ident.registro_generale[1]}
            if not ident.numero:  # the general register's number is the act's only one
                self._number(ident.registro_generale[0], main=True)
                if ident.registro_generale[1] and "data" not in self.d.data:
                    self.d.data["data"] = ident.registro_generale[1]

    def label(self, p: Para, text: str) -> None:
        if text.strip():
            self.d.etichette.append(Para(p.no, text.strip()))

    def item(self, part: str, p: Para, text: str, *, marked: bool = False) -> None:
        if marked:
            self.marked.add(part)
        text = text.strip()
        if text:
            self.lists[part].append(text)
            self.open_item, self.open_marked = (part, marked) if text.endswith(":") else (None, False)
        else:
            self.open_item = None

    def _sub_item(self, text: str, marked: bool) -> bool:
        """An enumeration inside an item of the preambolo ("Dato atto che ... i Comuni: - ...; - ..."):
        it goes on with the item that announced it, while its pieces end with ";" or ":"."""
        if self.open_item != self.part or self.part not in ("premesse", "visti", "considerato", "poteri"):
            return False
        if marked and self.open_marked:
            return False  # a sibling of the marked item, not a piece of it
        items = self.lists[self.part]
        items[-1] += " " + text
        if not text.rstrip().endswith((";", ":")):
            self.open_item = None
        return True

    def unplaced(self, p: Para) -> None:
        self.d.non_classificato.append(p)

    # -- one paragraph -----------------------------------------------------------------------

    def read(self, p: Para, title: bool = False) -> None:
        text = p.text
        if title and self.part == "testa":
            self.label(p, text)  # the act's title: tipo, organo, numero, data were read from it
            start = kind_start(text)
            if _ENTE.match(text) and "ente" not in self.d.data and start:
                self.d.data["ente"] = {"nome": text[:start].strip(" :-–,")}  # "COMUNE DI X   DETERMINAZIONE ..."
            return
        vote = labels.FORMULA_AFTER_VOTE.match(text) if self.part != "punti" else None
        if FORMULA.match(text) or vote:
            self.label(p, text)
            verb = vote["verb"] if vote else text
            self.d.data.setdefault("dispositivo", {})["formula"] = re.sub(r"[\s:.]", "", verb).upper()
            self.part = "punti"
            self.article = False
            return
        inline = labels.FORMULA_INLINE.match(text) if self.part != "testa" or self.title else None
        if inline:
            self.label(p, text[: inline.start("rest")])
            self.d.data.setdefault("dispositivo", {})["formula"] = re.sub(r"\s", "", inline["verb"])
            self.part, self.article = "punti", False
            self.read(Para(p.no, inline["rest"]))
            return
        if self.part not in ("testa", "punti") and labels.VOTE.match(text) and len(text) < 300:
            self.label(p, text)  # the vote that the operative verb follows: kept verbatim, no item
            return
        if self.part in ("punti", "firma", "coda") and labels.CLOSING.match(text):
            self.unplaced(p)
            self.part = "firma"  # the signatures may follow: read them, leave the rest unplaced
            return
        if self.part == "punti" and self._ends_dispositivo(p, text):
            return
        if self.part == "punti" and (article := labels.ARTICLE.match(text)):
            self.label(p, article["label"])
            self.item("punti", p, article["rest"])
            self.article = bool(article["rest"])
            return
        for handler in (self._head, self._oggetto, self._parere, self._verifica, self._labels, self._signature):
            if handler(p, text):
                return
        marked = LIST_MARK.match(text)
        if self._sub_item(text, bool(marked)):
            return
        if not marked and self.part == "punti" and self.article and self.lists["punti"]:
            self.lists["punti"][-1] += " " + text  # the text of an article, over its paragraphs
        elif not marked and self._continues_item(text):
            # a printed line that starts with a capital ("... individuato / Unioncamere Lombardia ...")
            self.lists[self.part][-1] += " " + text
        elif marked and self.part in self.lists:
            if self.part == "punti":
                self.article = False
            self.item(self.part, p, text[marked.end():], marked=True)
        elif marked and self.part in ("autorita",):
            self.part = "poteri"
            self.item("poteri", p, text[marked.end():], marked=True)
        elif not marked and self._unfinished(text):
            # a printed line of a PDF that goes on with the item before it ("... della Giunta Comunale"
            # then "N. 37 in data 8 aprile 2021;"): its sentence was not over
            self.lists[self.part][-1] += " " + text
        elif self.part in ("premesse", "visti", "considerato", "allegati", "poteri"):
            self.item(self.part, p, text)
        elif self.part == "punti" and not self._looks_like_signature(text):
            self.item("punti", p, text)
        elif self.part == "autorita" and re.match(r"(?i)(?:ai\s+sensi|in\s+forza|in\s+virt|nell['’]esercizio)", text):
            self.part = "poteri"
            self.item("poteri", p, text)
        elif self.part == "oggetto" and text[:1].islower():
            self.d.data["oggetto"] += " " + text
        else:
            self.unplaced(p)

    def _head(self, p: Para, text: str) -> bool:
        if self.part not in ("testa", "oggetto"):
            return False
        m = _TITLE.match(text)
        if m and not self.title and (text.isupper() or text.split()[0].isupper()):
            self.label(p, text)
            self._title(m["tipo"], m["rest"])
            return True
        m = _DATE_LINE.match(text)
        if m:
            self.label(p, text)
            self.d.data.setdefault("data", parse_date(m["date"]))
            return True
        if _REG_LINE.match(text) and _NUMBER.search(text):
            self.label(p, text)
            self._register_line(text)
            return True
        if self.part == "testa" and SITO.fullmatch(text.strip(" ./")):
            self.label(p, text)  # the letterhead's web site: guess_ente reads it as ente.sito
            return True
        if _ENTE.match(text) and "ente" not in self.d.data and self.part == "testa":
            self.label(p, text)
            self.d.data["ente"] = {"nome": text.strip(" :-–")}
            return True
        if self.part in ("testa", "oggetto") and self._is_autorita(text):
            self.label(p, text)
            self.d.data["autorita"] = despace(text)
            self.part = "autorita"
            return True
        return False

    def _title(self, tipo_word: str, rest: str) -> None:
        tipo = next(t for pat, t in _TIPI if re.fullmatch(pat, tipo_word, re.IGNORECASE))
        self.title["tipo"] = tipo
        num = _NUMBER.search(rest)
        organo_text = rest[: num.start()] if num else rest
        organo_text = re.split(rf"\s+(?:del|DEL)\s+{_DATE}", organo_text)[0]
        organo_text = re.sub(_PREPOSITION, "", organo_text)
        organo_text = organo_text.strip(" ,.-–")
        if organo_text.upper() in _ADJ_ORGANO:
            self.title["organo"] = _ADJ_ORGANO[organo_text.upper()]
        elif organo_text:
            self.title["organo"] = title_case(organo_text)
        if num:
            self._number(num["num"], main=True)
        date = _DATE_IN.search(rest[num.end():] if num else rest)
        if date:
            self.d.data.setdefault("data", parse_date(date["date"]))

    def _number(self, raw: str, *, main: bool) -> None:
        """"129/2026" -> 129; "175/PRO" -> 175 in register PRO; "G00083" -> 83 in register G;
        "X/7859" and "5/24483" (the legislature first) -> 7859, 24483; "0176 / Pres." -> 176 in Pres."""
        raw = re.sub(r"\s*/\s*", "/", raw.strip()).rstrip(".")
        parts = re.sub(r"-(?=(?:19|20)\d\d$)", "/", raw).split("/")  # "45-2024": the year after a dash
        if len(parts) > 1 and re.fullmatch(r"(?:19|20)\d\d", parts[0]) and parts[1].isdigit():
            parts = parts[1:]  # "2024/123": the year first
        if (len(parts) > 1 and re.fullmatch(r"[IVXL]+|\d{1,2}", parts[0]) and re.fullmatch(r"\d{3,}", parts[1])
                and not re.fullmatch(r"(?:19|20)\d\d", parts[1])):
            parts = parts[1:]
        register = parts[0] if len(parts) > 1 and re.fullmatch(r"[A-Z]{1,5}", parts[0]) else None
        if register:
            parts = parts[1:]  # "SG/45": the register first
        if re.fullmatch(r"\d{1,3}-\d{3,}", parts[0]):  # "5-8341": the sitting, then the number
            parts = [parts[0].split("-")[1], *parts[1:]]
        m = re.fullmatch(r"(?P<prefix>[A-Z]{1,4})?\s?0*(?P<n>\d+)", parts[0])
        if m is None:
            return
        self.d.data["numero"] = int(m["n"]) or None
        if raw != m["n"] and not re.fullmatch(r"\d+/(?:19|20)\d\d", raw):
            self.d.numero_originale = raw
        suffix = next((x for x in parts[1:] if x and not x.isdigit()), None)
        register = register or m["prefix"] or suffix
        if register:
            self.d.data["registro"] = register

    def _register_line(self, text: str) -> None:
        num = _NUMBER.search(text)
        assert num is not None
        date_m = _DATE_IN.search(text[num.end():])
        date = parse_date(date_m["date"]) if date_m else None
        if re.search(r"(?i)general|\bR\.\s?G\.", text):
            self.d.data["registro_generale"] = {"numero": num["num"], "data": date}
        elif "numero" not in self.d.data:
            self._number(num["num"], main=True)
            if date:
                self.d.data["data"] = date

    def _oggetto(self, p: Para, text: str) -> bool:
        m = _OGGETTO.match(text)
        if m is None or "oggetto" in self.d.data:
            return False
        self.label(p, text[: m.start("rest")])
        self.d.data["oggetto"] = m["rest"]
        self.part = "oggetto"
        if not m["rest"]:
            self.part = "oggetto_vuoto"
        return True

    def _parere(self, p: Para, text: str) -> bool:
        m = _PARERE.match(text)
        if m is None:
            if self.part == "parere" and self.pareri and "nome" not in self.pareri[-1]:
                check = _CHECK.match(text)
                name = (check["name"] or check["name2"]) if check else text
                if check or _NAME.match(name):
                    self.pareri[-1]["nome"] = name.strip()
                    return True
            return False
        parere: dict[str, str] = {"tipo": m["tipo"].strip()}
        rest = (m["rest"] or "").strip()
        esito = _ESITO.match(rest)
        if esito:
            parere["esito"] = esito["esito"]
            rest = esito["rest"].strip(" -–,")
        if rest:
            parere["nome"] = rest
        self.pareri.append(parere)
        self.part = "parere"
        return True

    def _verifica(self, p: Para, text: str) -> bool:
        check = _CHECK.match(text)
        if check and self.part == "verifica" and self.verifiche and "nome" not in self.verifiche[-1]:
            self.verifiche[-1].update(nome=(check["name"] or check["name2"]).strip(), esito="positivo")
            return True
        if _VERIFICA.match(text) and self.part not in ("premesse", "visti", "considerato"):
            self.verifiche.append({"tipo": text})
            self.part = "verifica"
            return True
        return False

    def _labels(self, p: Para, text: str) -> bool:
        if self.part == "oggetto_vuoto":
            self.d.data["oggetto"] = text
            self.part = "oggetto"
            return True
        if self.part != "punti" and (run := labels.LABEL_RUN.match(text)):
            # "VISTA VISTO VISTO la legge ...; il decreto ...; ...": one item for each label
            self.label(p, run["labels"])
            self.part = "visti" if labels.VISTI.match(run["labels"]) else "considerato"
            for piece in re.split(r"(?<=;)\s+", run["rest"]):
                self.item(self.part, p, piece)
            return True
        spaced = squeeze(text[:40]) + text[40:]
        for rx, part in ((_PREMESSE, "premesse"), (_VISTI, "visti"), (_CONSIDERATO, "considerato")):
            m = rx.match(spaced)
            if m and self.part != "punti":
                cut = len(text) - len(m["rest"])
                self.label(p, text[:cut])
                self.part = part
                self.item(part, p, m["rest"])
                return True
        m = labels.CHE.match(text)
        if m and self.part == "premesse":
            self.label(p, m["label"])
            self.item("premesse", p, m["rest"])
            return True
        m = _ALLEGATI_HEAD.match(text)
        if m:
            self.label(p, text[: m.start("rest")])
            self.part = "allegati"
            self.item("allegati", p, m["rest"])
            return True
        if _ALLEGATO.match(text) and self.part in ("punti", "firma", "verifica", "parere", "allegati"):
            self.part = "allegati"
            self.item("allegati", p, text)
            return True
        m = _PROPOSTA.match(text)
        if m:
            self.label(p, text[: m.start("rest")])
            self.d.data["proposta"] = {"struttura": m["rest"]} if m["rest"] else {}
            self.part = "proposta"
            return True
        if _FIRMA_DIGITALE.match(text):
            self.label(p, text)
            return True
        return False

    def _ends_dispositivo(self, p: Para, text: str) -> bool:
        """What follows the operative part: "Modena, lì", "Roma, 3 marzo 2024", a register stamp."""
        if labels.PLACE_DATE.match(text) and len(text) < 60:
            self.label(p, text)
            self.part = "firma"
            date = _DATE_IN.search(text)
            if date and "data" not in self.d.data:  # the date the act was signed, where its title has none
                self.d.data["data"] = parse_date(date["date"])
            return True
        if labels.STAMP.match(text) and self.lists["punti"]:
            self.unplaced(p)
            self.part = "coda"
            return True
        return False

    def _signature(self, p: Para, text: str) -> bool:
        if self.part not in ("punti", "proposta", "firma", "verifica", "parere", "allegati"):
            return False
        fto = _FTO.match(text)
        name = fto["rest"].strip() if fto else None
        if fto:
            self.label(p, text[: fto.start("rest")])
        if self.part == "proposta":
            proposta = self.d.data.setdefault("proposta", {})
            if "struttura" not in proposta:
                proposta["struttura"] = text
                return True
            if name and "firmatario" not in proposta:
                proposta["firmatario"] = name
                return True
            if name is None and _NAME.match(text) and "firmatario" not in proposta:
                proposta["firmatario"] = text
                return True
        both = _QUALIFICA_NAME.match(text) or self._qualifica_of_organo(text)
        if both and _NAME.match(both["name"]) and "firmatario" not in self.d.data and not name:
            self.d.data["firmatario"] = {"nome": both["name"], "qualifica": both["qualifica"]}
            self.part = "firma"
            return True
        if self.pending_qualifica is not None and (name or _NAME.match(text)):
            if "firmatario" not in self.d.data:
                self.d.data["firmatario"] = {"nome": name or text, "qualifica": self.pending_qualifica}
            else:
                self.d.non_classificato.append(Para(p.no, name or text))
            self.pending_qualifica = None
            self.part = "firma"
            return True
        if name:
            self.d.non_classificato.append(Para(p.no, name))
            return True
        if self._looks_like_signature(text):
            if "firmatario" in self.d.data:
                self.unplaced(p)
            else:
                self.pending_qualifica, self.pending_line = text, p.no
            self.part = "firma"
            return True
        return False

    def _qualifica_of_organo(self, text: str) -> re.Match[str] | None:
        """"Il Direttore Operativo Fabrizio Ventrice": the organo of the title, then a name."""
        organo = self.title.get("organo")
        if not organo:
            return None
        return re.match(rf"^(?P<qualifica>(?:Il|La|Lo|L['’])\s*{re.escape(organo)})\s+(?P<name>[A-ZÀ-Þ].*)$", text,
                        re.IGNORECASE)

    def _unfinished(self, text: str) -> bool:
        items = self.lists.get(self.part)
        if not items or self.part not in ("premesse", "visti", "considerato", "punti"):
            return False
        last = items[-1].rstrip()
        return (not last.endswith((";", ".", ":", "!", "?", "»", "”", '"')) and len(last) > 40
                and not self._looks_like_signature(text) and not _QUALIFICA_NAME.match(text))

    def _continues_item(self, text: str) -> bool:
        """Whether ``text`` goes on with the last item of a marked list, whose sentence is not over."""
        items = self.lists.get(self.part)
        if not items or self.part not in self.marked:
            return False
        return not items[-1].endswith((";", ".", ":", "!", "?")) and not self._looks_like_signature(text)

    @staticmethod
    def _is_autorita(text: str) -> bool:
        """"IL DIRIGENTE", "Il DIRETTORE GENERALE", "I L S I N D A C O": the heading of the act's authority."""
        text = despace(text)
        body = re.sub(r"^(?:Il|La|Lo|L['’])\s*", "", text)
        return bool(_QUALIFICA.match(text)) and body.isupper() and len(text.split()) <= 8

    @staticmethod
    def _looks_like_signature(text: str) -> bool:
        return (
            bool(_QUALIFICA.match(text)) and bool(_ROLE.search(text)) and len(text.split()) <= 9
            and not text.endswith((";", ".", ":"))
        )

    # -- the whole act -----------------------------------------------------------------------

    def finish(self) -> Draft:
        d, data = self.d, self.d.data
        if self.pending_qualifica is not None:
            d.non_classificato.append(Para(self.pending_line, self.pending_qualifica))
        data["tipo"] = self.title.get("tipo") or tipo_from_formula(data)
        if "organo" in self.title:
            data["organo"] = self.title["organo"]
        elif data.get("autorita"):
            data["organo"] = title_case(re.sub(r"^(?:IL|LA|LO|L['’])\s*", "", data["autorita"]))
            d.guessed["organo"] = "dall'intestazione dell'autorità"
        elif "firmatario" in data or self.pending_qualifica:
            qualifica = data["firmatario"]["qualifica"] if "firmatario" in data else self.pending_qualifica
            data["organo"] = title_case(re.sub(r"^(?:Il|La|Lo|L['’]|IL|LA|LO)\s*", "", str(qualifica)))
            d.guessed["organo"] = "dalla qualifica del firmatario"
        for part, items in self.lists.items():
            if part == "punti":
                if items:
                    data.setdefault("dispositivo", {})["punti"] = items
            elif part == "allegati":
                if items:
                    data["allegati"] = [{"titolo": t} for t in items]
            else:
                data[part] = items
        if self.verifiche:
            data["verifiche"] = [
                {"tipo": v["tipo"], "nome": v.get("nome", "non indicato"), "esito": v.get("esito", "sospeso")}
                for v in self.verifiche
            ]
        if self.pareri:
            data["pareri"] = self.pareri
        if data.get("autorita") and data.get("firmatario") and (
            data["autorita"].upper() == data["firmatario"]["qualifica"].upper()
        ):
            del data["autorita"]  # the layout writes the signer's qualifica there already
        return d


def _starts_part(text: str) -> bool:
    return bool(labels.ANY.match(squeeze(text[:40])) or FORMULA.match(text) or labels.FORMULA_AFTER_VOTE.match(text))


def read_act(cleaned: Cleaned) -> Draft:
    identity = read_identity(cleaned.paras, _starts_part)
    if (identity.tipo is None or identity.numero is None) and cleaned.headers:
        # the title printed only in the running header of every page ("Determinazione n. 45 del ...")
        running = read_identity(cleaned.headers, lambda text: False)
        if running.tipo and (identity.tipo in (None, running.tipo)) and running.numero:
            identity = Identity(running.tipo, identity.organo or running.organo, running.numero,
                                identity.data or running.data, identity.registro_generale, identity.labels)
    reader = _Reader(identity)
    for i, p in enumerate(cleaned.paras):
        reader.read(p, i in identity.labels)
    draft = reader.finish()
    if not draft.data.get("numero") and draft.non_classificato:
        # the number printed only after the signatures or in a stamp ("Determinazione n. 45 del ...")
        tail = read_identity(draft.non_classificato, lambda text: False)
        if tail.numero and tail.tipo == draft.data.get("tipo"):
            reader.d.data.pop("numero", None)
            reader._number(tail.numero, main=True)
            if tail.data and "data" not in draft.data:
                draft.data["data"] = tail.data
            for i in sorted(tail.labels, reverse=True):
                draft.etichette.append(draft.non_classificato.pop(i))
            draft.etichette.sort(key=lambda p: p.no)
    return draft


__all__ = ["Draft", "date_guess", "guess_ente", "initials", "read_act"]
