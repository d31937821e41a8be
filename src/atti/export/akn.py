"""The act as Akoma Ntoso 3.0 (OASIS LegalDocML), for exchange with legal-document systems.

The shape follows the AKN vocabulary for an ``<act>``: ``meta`` (FRBR identification of work,
expression and manifestation, and the references the document points at), ``preface`` (type,
number, date and title), ``preamble`` (the poteri as a formula, the premesse and considerato as
recitals, the visti as citations, the enacting formula), ``body`` with one ``paragraph`` per
punto of the dispositivo, and ``conclusions`` with the signature and the verifiche.

An AKN ``act`` carries its articulated text in ``body`` (``mainBody`` belongs to the document
types without articles, such as ``doc``), so the punti go there.

The links travel too: a citation the archive resolved (premesse, visti, considerato) is a
``<ref href>`` to the cited act's FRBR work URI when it is an act of the archive, to its URN:NIR
when it is a national law the citation dates; the act's lifecycle (adoption, then each
rettifica, integrazione or annullamento made by a later act) is a ``<lifecycle>`` whose events
name the acts that caused them; the relazioni of an act that changes others are its
``<activeModifications>``, and the changes it underwent its ``<passiveModifications>``. An
annulled act says so in its preface (``docStatus``).

Only the act, its record, its versions and references are read, never the clock: the same act
gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from lxml import etree

from atti import __version__
from atti.acts.model import Act
from atti.archive.records import ActRecord, ReferenceRecord, VersionRecord

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
_A = f"{{{AKN_NS}}}"


def _slug(text: str) -> str:
    """A lower-case ASCII-ish URI segment: "Unioncamere Lombardia" -> "unioncamere.lombardia"."""
    return re.sub(r"[^0-9a-z]+", ".", text.lower()).strip(".") or "x"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, _A + tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _p(parent: etree._Element, text: str) -> etree._Element:
    return _el(parent, "p", text)


def work_uri(act: Act, record: ActRecord) -> str:
    """The FRBR work URI, per the AKN naming convention: /akn/it/act/<subtype>/<actor>/<date>/<number>."""
    return record_work_uri(record, act.tipo.value)


def record_work_uri(record: ActRecord, tipo: str | None = None) -> str:
    """The FRBR work URI of an archived act from its record alone (its tipo, ente, data, number)."""
    number = f"{_slug(record.registro)}-{record.numero}"
    return f"/akn/it/act/{tipo or record.tipo}/{_slug(record.ente)}/{record.data.isoformat()}/{number}"


# URN:NIR authorities and kinds of the national acts a citation may name (NIR naming, AgID/CNIPA).
_NIR = {
    "legge": "stato:legge",
    "legge costituzionale": "stato:legge.costituzionale",
    "decreto legislativo": "stato:decreto.legislativo",
    "decreto-legge": "stato:decreto.legge",
    "dpr": "presidente.repubblica:decreto",
    "dpcm": "presidente.consiglio.ministri:decreto",
}


def urn_nir(reference: ReferenceRecord) -> str | None:
    """The URN:NIR of a cited national act ("urn:nir:stato:legge:1990-08-07;241"), when the
    citation gives its kind, number and at least its year; None for anything else."""
    kind = _NIR.get(reference.tipo)
    if kind is None or not reference.numero or not reference.numero.isdigit():
        return None
    when = reference.data.isoformat() if reference.data else (str(reference.anno) if reference.anno else None)
    return f"urn:nir:{kind}:{when};{reference.numero}" if when else None


# How an act's relazione or its version's reason is told in AKN: the modification and the event.
_MODS = {"annullamento": "repeal", "rettifica": "substitution", "modifica": "substitution",
         "integrazione": "insertion"}
_EVENTS = {"annullamento": "repeal", "rettifica": "amendment", "integrazione": "amendment", "modifica": "amendment"}


def _frbr(parent: etree._Element, level: str, this: str, uri: str, date: str, author: str) -> etree._Element:
    frbr = _el(parent, level)
    _el(frbr, "FRBRthis", value=this)
    _el(frbr, "FRBRuri", value=uri)
    _el(frbr, "FRBRdate", date=date, name="adozione" if level == "FRBRWork" else "versione")
    _el(frbr, "FRBRauthor", href=author)
    return frbr


def _with_refs(parent: etree._Element, text: str, refs: Sequence[tuple[str, str, str]]) -> etree._Element:
    """A ``<p>`` of ``text`` whose cited words (each (words, href, eId)) are ``<ref>`` elements."""
    p = _el(parent, "p")
    rest, last = text, None
    for words, href, eid in refs:
        at = rest.find(words)
        if at < 0:
            continue
        before, rest = rest[:at], rest[at + len(words):]
        if last is None:
            p.text = (p.text or "") + before
        else:
            last.tail = (last.tail or "") + before
        last = _el(p, "ref", words, eId=eid, href=href)
    if last is None:
        p.text = (p.text or "") + rest
    else:
        last.tail = (last.tail or "") + rest
    return p


def akn_xml(
    act: Act,
    record: ActRecord,
    versions: Sequence[VersionRecord] = (),
    references: Sequence[ReferenceRecord] = (),
    targets: Mapping[str, str] | None = None,
) -> bytes:
    """The Akoma Ntoso rendering of the archived act ``record`` whose source is ``act``;
    ``versions`` (oldest first) give its lifecycle, ``references`` its citations and relazioni,
    ``targets`` the FRBR work URI of each archived act they name (act id -> URI): a reference to
    an act not in ``targets`` (not in the archive, or hidden from the viewer) links nowhere."""
    targets = targets or {}
    date = record.data.isoformat()
    work = work_uri(act, record)
    expression = f"{work}/ita@"

    root = etree.Element(_A + "akomaNtoso", nsmap={None: AKN_NS})
    doc = _el(root, "act", name=act.tipo.value)

    meta = _el(doc, "meta")
    ident = _el(meta, "identification", source="#atti")
    frbr = _frbr(ident, "FRBRWork", f"{work}/!main", work, date, "#ente")
    _el(frbr, "FRBRcountry", value="it")
    _el(frbr, "FRBRsubtype", value=act.tipo.value)
    _el(frbr, "FRBRnumber", value=f"{record.numero}/{record.anno}")
    frbr = _frbr(ident, "FRBRExpression", f"{expression}/!main", expression, date, "#ente")
    _el(frbr, "FRBRlanguage", language="ita")
    _frbr(ident, "FRBRManifestation", f"{expression}/!main.xml", f"{expression}.akn", date, "#atti")
    # A change whose act is not known here (not in the archive, hidden from the viewer) is left
    # out rather than pointed at a made-up URI.
    changes = [v for v in versions if v.reason in _EVENTS and v.by_act in targets]
    lifecycle = _el(meta, "lifecycle", source="#atti")
    _el(lifecycle, "eventRef", eId="evt_adozione", date=date, source="#original", type="generation")
    for i, v in enumerate(changes, start=1):
        _el(lifecycle, "eventRef", eId=f"evt_{i}", date=v.created_at[:10], source=f"#passive_{i}",
            type=_EVENTS[v.reason])
    relazioni = [r for r in references if r.relazione in _MODS and r.target_id in targets]
    if relazioni or changes:
        analysis = _el(meta, "analysis", source="#atti")
        if relazioni:
            active = _el(analysis, "activeModifications")
            for i, r in enumerate(relazioni, start=1):
                mod = _el(active, "textualMod", eId=f"amod_{i}", type=_MODS[str(r.relazione)])
                _el(mod, "source", href="#original")
                _el(mod, "destination", href=targets[str(r.target_id)])
        if changes:
            passive = _el(analysis, "passiveModifications")
            for i, v in enumerate(changes, start=1):
                mod = _el(passive, "textualMod", eId=f"pmod_{i}", type=_MODS[v.reason])
                _el(mod, "source", href=f"#passive_{i}")
                _el(mod, "destination", href=work)
    refs = _el(meta, "references", source="#atti")
    _el(refs, "original", eId="original", href=expression, showAs=f"{act.tipo.titolo.capitalize()} n. "
        f"{record.numero}/{record.anno}")
    for i, v in enumerate(changes, start=1):
        _el(refs, "passiveRef", eId=f"passive_{i}", href=targets[str(v.by_act)], showAs=str(v.by_act))
    cited: dict[tuple[str, int], list[tuple[str, str, str]]] = {}
    for n, r in enumerate((r for r in references if r.relazione is None), start=1):
        href = targets.get(r.target_id) if r.target_id else urn_nir(r)
        if href:
            cited.setdefault((r.part, r.index), []).append((r.testo, href, f"ref_{n}"))
    _el(refs, "TLCOrganization", eId="ente", href=f"/akn/ontology/organizations/it/{_slug(record.ente)}",
        showAs=record.ente)
    _el(refs, "TLCOrganization", eId="atti", href="/akn/ontology/organizations/atti", showAs=f"atti {__version__}")
    # The firmatari in signing order: the first as "#firmatario", the others "#firmatario_2" ...
    ids = [("firmatario", "qualifica")]
    ids += [(f"firmatario_{i}", f"qualifica_{i}") for i in range(2, len(act.firmatari) + 1)]
    for (person, role), f in zip(ids, act.firmatari, strict=True):
        _el(refs, "TLCPerson", eId=person, href=f"/akn/ontology/persons/it/{_slug(f.nome)}", showAs=f.nome)
        _el(refs, "TLCRole", eId=role, href=f"/akn/ontology/roles/it/{_slug(f.qualifica)}", showAs=f.qualifica)
    for i, verifica in enumerate(act.verifiche, start=1):
        _el(refs, "TLCPerson", eId=f"verifica_{i}", href=f"/akn/ontology/persons/it/{_slug(verifica.nome)}",
            showAs=verifica.nome)

    preface = _el(doc, "preface")
    heading = _el(preface, "p")
    _el(heading, "docType", act.tipo.titolo.capitalize()).tail = " "
    _el(heading, "docAuthority", act.organo).tail = " n. "
    _el(heading, "docNumber", f"{record.numero}/{record.anno}").tail = " del "
    _el(heading, "docDate", record.data.strftime("%d/%m/%Y"), date=date)
    _el(_el(preface, "p"), "docTitle", act.oggetto)
    if record.stato in ("annullato", "rettificato"):
        _el(_el(preface, "p"), "docStatus", record.stato)

    preamble = _el(doc, "preamble")
    if act.poteri:
        formula = _el(preamble, "formula", name="poteri", eId="poteri")
        _p(formula, act.intestazione_autorita)
        for item in act.poteri:
            _p(formula, item)
    for name, intro, items in (("premesse", "Premesso che:", act.premesse), ("visti", "Visto:", act.visti),
                               ("considerato", "Considerato:", act.considerato)):
        if not items:
            continue
        block, child, short = ("citations", "citation", "cit") if name == "visti" else ("recitals", "recital", "rec")
        container = _el(preamble, block, eId=name)
        _p(_el(container, "intro"), intro)
        for i, item in enumerate(items, start=1):
            _with_refs(_el(container, child, eId=f"{name}__{short}_{i}"), item, cited.get((name, i - 1), []))
    _p(_el(preamble, "formula", name="enactingFormula", eId="formula"), act.formula)

    body = _el(doc, "body")
    for i, punto in enumerate(act.dispositivo.testi(), start=1):
        paragraph = _el(body, "paragraph", eId=f"para_{i}")
        _el(paragraph, "num", f"{i}.")
        _p(_el(paragraph, "content"), punto)

    conclusions = _el(doc, "conclusions")
    if act.allegati:
        allegati = _el(conclusions, "blockList", eId="allegati")
        _el(allegati, "listIntroduction", "Allegati:")
        for i, allegato in enumerate(act.allegati, start=1):
            _p(_el(allegati, "item", eId=f"allegati__item_{i}"), allegato.titolo)
    for (person, role), f in zip(ids, act.firmatari, strict=True):
        signature = _el(_el(conclusions, "p"), "signature")
        _el(signature, "role", f.qualifica, refersTo=f"#{role}").tail = " "
        _el(signature, "person", f.nome, refersTo=f"#{person}", as_=f"#{role}")
    for i, verifica in enumerate(act.verifiche, start=1):
        line = _el(conclusions, "p")
        line.text = f"{verifica.tipo}: "
        _el(line, "person", verifica.nome, refersTo=f"#verifica_{i}").tail = f", esito {verifica.esito}"
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
