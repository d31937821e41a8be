"""The AgID metadata of an archived act, as XML for a conservation system.

The element names, their order and their values are those of the "Linee guida sulla formazione,
gestione e conservazione dei documenti informatici" (AgID, 2021), Allegato 5 "I metadati", for a
documento amministrativo informatico (DAI); the schema atti ships,
``schemas/DocumentoAmministrativoInformatico.xsd``, follows them (its header says from what, and
how far), and every file this module writes is valid against it (tests/test_export.py checks).

Every value is a fact of the act, of the archive or of the body, never a constant that happens
to fit:

* the formation mode is (a), created with software, for an act atti rendered; (b), acquired,
  for an act imported from an existing document (``atti import``);
* the body's IPA code, AOO and digital addresses, its titolario and massimario di scarto are
  settings (:class:`Body`): what the body has not configured is refused by name, never guessed;
* the classification is the act's ``classificazione`` (else the body's default for its tipo),
  checked against the titolario; the aggregation is the act's fascicolo or serie, else the
  register of the year (a repertorio is a serie documentale);
* the verification facts (signed with a firma digitale, sealed, timestamped) come from the
  result of ``atti verify`` on the archived PDF (:func:`facts_from_report`): the development
  CA's signatures are not a firma digitale and say so;
* the version and the modification tracking follow the archive's versions: each annulment or
  rectification names who signed the act that made it, when, and the version before it (its
  id ``ID@n`` and :func:`version_fingerprint`, since such a change leaves the PDF as it was).

Allegato 5 has no role for whoever proposes or checks an act before it is signed: the nearest,
``Operatore`` (a natural person taking part in forming the document), is used for the proposer
and the reviewers of the verifiche. The firmatario is the ``Autore``.

The output depends only on the act, its record, the PDF's bytes, the facts and the body (never
the clock), so the same act always gives the same bytes, in any archive it is imported into.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from lxml import etree

from atti import __version__
from atti.acts.model import Act
from atti.archive.records import ActRecord, VersionRecord
from atti.config import Settings
from atti.errors import ConfigError
from atti.i18n import _

if TYPE_CHECKING:
    from atti.signing.verify import VerificationReport

# Linee guida 2.1.1, the four ways a documento informatico is formed, as Allegato 5 lists them.
MODALITA = {
    "a": "creazione tramite utilizzo di strumenti software che assicurino la produzione di documenti nei formati "
         "previsti in allegato 2",
    "b": "acquisizione di un documento informatico per via telematica o su supporto informatico, acquisizione della "
         "copia per immagine su supporto informatico di un documento analogico, acquisizione della copia informatica "
         "di un documento analogico",
    "c": "memorizzazione su supporto informatico in formato digitale delle informazioni risultanti da transazioni o "
         "processi informatici o dalla presentazione telematica di dati attraverso moduli o formulari resi "
         "disponibili ad utente",
    "d": "generazione o raggruppamento anche in via automatica di un insieme di dati o registrazioni, provenienti da "
         "una o più banche dati, anche appartenenti a più soggetti interoperanti, secondo una struttura logica "
         "predeterminata e memorizzata in forma statica",
}
SCHEMA = "DocumentoAmministrativoInformatico.xsd"
# How the archive names a change made by another act, and how Allegato 5 names it.
_MODIFICHE = {"annullamento": "Annullamento", "rettifica": "Rettifica", "integrazione": "Integrazione"}


@cache
def schema() -> etree.XMLSchema:
    """The shipped XSD of the DAI metadata (Allegato 5)."""
    data = resources.files("atti.export").joinpath("schemas", SCHEMA).read_bytes()
    return etree.XMLSchema(etree.fromstring(data))


@dataclass(frozen=True)
class Body:
    """What the metadata say of the body that registers the acts: its settings (atti.config)."""

    ipa_code: str
    aoo_code: str
    pec: tuple[str, ...]
    aoo_name: str | None = None
    titolario: Mapping[str, str] = field(default_factory=dict)
    titolario_name: str | None = None
    classificazione: Mapping[str, str] = field(default_factory=dict)
    massimario: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Body:
        """The body of ``settings``; ConfigError naming every setting the metadata need and lack."""
        missing = [name for name in ("ipa_code", "aoo_code", "pec") if not getattr(settings, name)]
        if missing:
            raise ConfigError(
                _("the AgID metadata need the body's {missing}: set {settings}").format(
                    missing=", ".join(missing),
                    settings=", ".join(f"{name} (ATTI_{name.upper()})" for name in missing),
                )
            )
        assert settings.ipa_code is not None and settings.aoo_code is not None
        return cls(
            ipa_code=settings.ipa_code, aoo_code=settings.aoo_code, pec=tuple(settings.pec),
            aoo_name=settings.aoo_name, titolario=dict(settings.titolario), titolario_name=settings.titolario_name,
            classificazione=dict(settings.classificazione), massimario=dict(settings.massimario),
        )

    def classify(self, act: Act, act_id: str) -> tuple[str, str]:
        """(index, description) of the act in the titolario; ConfigError when it has none or an unknown one."""
        indice = act.classificazione.indice if act.classificazione else self.classificazione.get(act.tipo.value)
        if indice is None:
            raise ConfigError(
                _("{id} has no classificazione: give it classificazione.indice, or set classificazione "
                  "for {tipo} acts").format(id=act_id, tipo=act.tipo.value)
            )
        if indice not in self.titolario:
            raise ConfigError(
                _("{id}: classificazione {indice} is not in the body's titolario (setting titolario)").format(
                    id=act_id, indice=indice
                )
            )
        return indice, self.titolario[indice]

    def retention(self, indice: str, act_id: str) -> int:
        """Years the act is kept, from the massimario: the longest index that begins ``indice``."""
        parts = indice.split(".")
        for n in range(len(parts), 0, -1):
            years = self.massimario.get(".".join(parts[:n]))
            if years is not None:
                return years
        raise ConfigError(
            _("{id}: the massimario di scarto keeps no class {indice} (setting massimario)").format(
                id=act_id, indice=indice
            )
        )


@dataclass(frozen=True)
class Facts:
    """The Verifica of Allegato 5, as verifying the archived PDF found it."""

    signed: bool  # FirmatoDigitalmente: a valid qualified signature (a firma digitale)
    sealed: bool  # SigillatoElettronicamente: a valid qualified electronic seal
    timestamped: bool  # MarcaturaTemporale: a valid timestamp, of a signature or of the document
    copy_conformity: bool = False  # ConformitaCopieImmagineSuSupportoInformatico: atti attests none


def facts_from_report(report: VerificationReport) -> Facts:
    """The verification facts of ``atti verify``'s result: a signature counts only when it passed.

    A firma digitale is a qualified signature (CAD art. 1 s); a signature whose certificate is
    not qualified (the development CA's, or one no trusted list grants) is an electronic
    signature but not a firma digitale, so FirmatoDigitalmente is false for it.
    """
    signed = sealed = False
    timestamped = False
    for signature in report.signatures:
        if signature.indication != "TOTAL_PASSED":
            continue
        q = signature.qualification
        if q is not None and q.level == "qualificata" and not q.development:
            if q.reason.startswith("sigillo"):
                sealed = True
            else:
                signed = True
        if signature.timestamp is not None and signature.timestamp.indication == "TOTAL_PASSED":
            timestamped = True
    if any(t.indication == "TOTAL_PASSED" for t in report.timestamps):
        timestamped = True
    return Facts(signed=signed, sealed=sealed, timestamped=timestamped)


def verify_facts(
    pdf: bytes, roots: Sequence[Any], *, tsa_roots: Sequence[Any] = (), trusted_lists: Sequence[Any] = ()
) -> Facts:
    """Verify ``pdf`` as ``atti verify`` does (trusting ``roots``, the trusted lists deciding
    what is qualified) and give its facts; a PDF with no signature has none of them."""
    from atti.errors import VerificationError
    from atti.signing import verify_pdf

    try:
        report = verify_pdf(pdf, roots, tsa_roots=tsa_roots, trusted_lists=trusted_lists)
    except VerificationError:  # no signature in the PDF (or none that can be read): nothing to count
        return Facts(signed=False, sealed=False, timestamped=False)
    return facts_from_report(report)


@dataclass(frozen=True)
class Modification:
    """A change another act made to this one: the version it made, and who signed that act."""

    version: VersionRecord
    previous: VersionRecord
    signer: str


def modifications(versions: Sequence[VersionRecord], signers: Mapping[str, str]) -> list[Modification]:
    """The annulments, rectifications and integrations among ``versions`` (oldest first), each
    with the version before it and the firmatario of the act that made it (``signers``: act id ->
    firmatario); a change whose act the viewer may not see is left out."""
    out = []
    for i, version in enumerate(versions):
        if i == 0 or version.reason not in _MODIFICHE or not version.by_act or version.by_act not in signers:
            continue
        out.append(Modification(version, versions[i - 1], signers[version.by_act]))
    return out


def version_fingerprint(version: VersionRecord) -> str:
    """The SHA-256 (hex) that identifies one version of an act: of its id, number, stato and
    files, as canonical JSON. An annulment or a rectification changes the act's state, not its
    PDF, so the PDF's fingerprint cannot tell the version before the change from the one after;
    this one can, and anyone holding the package recomputes it from record.json's versions."""
    data = {
        "act_id": version.act_id, "version": version.version, "stato": version.stato,
        "files": {"source": version.source.sha256, "docx": version.docx.sha256, "pdf": version.pdf.sha256},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _bool(value: bool) -> str:
    return "true" if value else "false"


def b64(hex_digest: str) -> str:
    """A hex SHA-256 as Allegato 5's Impronta: base64 of the digest's bytes."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def split_name(full: str) -> tuple[str, str]:
    """(Cognome, Nome) of "Fabrizio Ventrice": the last word is taken as the surname.

    The act names people in one string; this is right for most names and wrong for a compound
    surname ("De Luca"), which a later version of the act format could spell out.
    """
    words = full.split()
    if len(words) < 2:
        return full, ""
    return words[-1], " ".join(words[:-1])


def _pf(parent: etree._Element, full: str) -> None:
    pf = _add(parent, "PF")
    cognome, nome = split_name(full)
    _add(pf, "Cognome", cognome)
    _add(pf, "Nome", nome or cognome)  # one word: Allegato 5 needs both, the act knows one


def _ruolo(soggetti: etree._Element, element: str, tipo_ruolo: str) -> etree._Element:
    role = _add(_add(soggetti, "Ruolo"), element)
    _add(role, "TipoRuolo", tipo_ruolo)
    return role


def _iddoc(parent: etree._Element, tag: str, sha256_hex: str, identificativo: str) -> None:
    iddoc = _add(parent, tag)
    impronta = _add(iddoc, "ImprontaCrittograficaDelDocumento")
    _add(impronta, "Impronta", b64(sha256_hex))
    _add(impronta, "Algoritmo", "SHA-256")
    _add(iddoc, "Identificativo", identificativo)


def aggregazione(act: Act, record: ActRecord) -> tuple[str, str]:
    """(TipoAggregazione, IdAggregazione): the act's fascicolo, else its serie, else its register's year."""
    c = act.classificazione
    if c is not None and c.fascicolo:
        return "Fascicolo", c.fascicolo
    if c is not None and c.serie:
        return "Serie Documentale", c.serie
    return "Serie Documentale", f"{record.registro} {record.anno}"


def agid_metadata(
    act: Act,
    record: ActRecord,
    pdf: bytes,
    versions: Sequence[VersionRecord],
    *,
    body: Body,
    facts: Facts,
    signers: Mapping[str, str] | None = None,
) -> bytes:
    """The Allegato 5 metadata of the archived act ``record``: ``act`` is its source, ``pdf`` its
    signed PDF, ``versions`` its versions in the archive (oldest first), ``facts`` what verifying
    the PDF found, ``signers`` the firmatario of each act that changed it (act id -> name).

    ConfigError when the body's settings cannot classify the act or keep it (titolario,
    massimario); the result is valid against :func:`schema`.
    """
    from atti.templates.pdfcheck import check_pdf

    indice, descrizione = body.classify(act, record.id)
    years = body.retention(indice, record.id)
    root = etree.Element("DocumentoAmministrativoInformatico")
    _iddoc(root, "IdDoc", hashlib.sha256(pdf).hexdigest(), record.id)
    _add(root, "ModalitaDiFormazione", MODALITA["b" if act.importazione is not None else "a"])
    _add(root, "TipologiaDocumentale", act.tipo.value.capitalize())

    registrazione = _add(root, "DatiDiRegistrazione")
    # An act is made inside the ente (neither received nor sent): flusso "I", interno.
    _add(registrazione, "TipologiaDiFlusso", "I")
    registro = _add(_add(registrazione, "TipoRegistro"), "Repertorio_Registro")
    _add(registro, "TipoRegistro", "Repertorio\\Registro")  # the fixed value of the schema
    _add(registro, "DataRegistrazioneDocumento", record.data.isoformat())
    _add(registro, "NumeroRegistrazioneDocumento", str(record.numero))
    _add(registro, "CodiceRegistro", record.registro)

    soggetti = _add(root, "Soggetti")
    pai = _add(_ruolo(soggetti, "AmministrazioneCheEffettuaLaRegistrazione",
                      "Amministrazione Che Effettua La Registrazione"), "PAI")
    amm = _add(pai, "IPAAmm")
    _add(amm, "Denominazione", record.ente)
    _add(amm, "CodiceIPA", body.ipa_code)
    aoo = _add(pai, "IPAAOO")
    _add(aoo, "Denominazione", body.aoo_name or record.ente)
    _add(aoo, "CodiceIPA", body.aoo_code)
    for address in body.pec:
        _add(pai, "IndirizziDigitaliDiRiferimento", address)
    _pf(_ruolo(soggetti, "Autore", "Autore"), act.firmatari[0].nome)
    if act.proposta is not None and act.proposta.firmatario:
        _pf(_ruolo(soggetti, "Operatore", "Operatore"), act.proposta.firmatario)
    for verifica in act.verifiche:
        _pf(_ruolo(soggetti, "Operatore", "Operatore"), verifica.nome)
    _add(_add(_ruolo(soggetti, "Produttore", "Produttore"), "SW"), "DenominazioneSistema", f"atti {__version__}")

    _add(_add(root, "ChiaveDescrittiva"), "Oggetto", record.oggetto)

    allegati = _add(root, "Allegati")
    # The allegati are pages of the signed PDF, not documents of their own: they are counted and
    # described, each identified by the PDF that carries it.
    _add(allegati, "NumeroAllegati", str(len(act.allegati)))
    for i, allegato in enumerate(act.allegati, start=1):
        indice_allegati = _add(allegati, "IndiceAllegati")
        _iddoc(indice_allegati, "IdDoc", hashlib.sha256(pdf).hexdigest(), f"{record.id}-allegato-{i}")
        _add(indice_allegati, "Descrizione", allegato.titolo)

    classificazione = _add(root, "Classificazione")
    _add(classificazione, "IndiceDiClassificazione", indice)
    _add(classificazione, "Descrizione", descrizione)
    if body.titolario_name:
        _add(classificazione, "PianoDiClassificazione", body.titolario_name)
    _add(root, "Riservato", _bool(record.riservato))

    formato = _add(root, "IdentificativoDelFormato")
    claim = check_pdf(pdf).pdfa  # "PDF/A-3B" as the XMP declares it
    _add(formato, "Formato", f"{claim[:-1]}{claim[-1].lower()}" if claim else "application/pdf")
    prodotto = _add(formato, "ProdottoSoftware")
    _add(prodotto, "NomeProdotto", "atti")
    _add(prodotto, "VersioneProdotto", __version__)

    verifica = _add(root, "Verifica")
    _add(verifica, "FirmatoDigitalmente", _bool(facts.signed))
    _add(verifica, "SigillatoElettronicamente", _bool(facts.sealed))
    _add(verifica, "MarcaturaTemporale", _bool(facts.timestamped))
    _add(verifica, "ConformitaCopieImmagineSuSupportoInformatico", _bool(facts.copy_conformity))

    tipo_agg = _add(_add(root, "Agg"), "TipoAgg")
    kind, id_agg = aggregazione(act, record)
    _add(tipo_agg, "TipoAggregazione", kind)
    _add(tipo_agg, "IdAggregazione", id_agg)

    _add(root, "NomeDelDocumento", f"{record.id}.pdf")
    published = [v for v in versions if v.pdf.sha256]
    _add(root, "VersioneDelDocumento", str(max(len(published), 1)))
    for change in modifications(versions, signers or {}):
        modifica = _add(root, "TracciatureModificheDocumento")
        _add(modifica, "TipoModifica", _MODIFICHE[change.version.reason])
        _pf(modifica, change.signer)
        modifica[-1].tag = "SoggettoAutoreDellaModifica"
        _add(modifica, "DataModifica", change.version.created_at[:10])
        if len(change.version.created_at) >= 19:
            _add(modifica, "OraModifica", change.version.created_at[11:19])
        _iddoc(modifica, "IdDocVersionePrecedente", version_fingerprint(change.previous),
               f"{record.id}@{change.previous.version}")
    _add(root, "TempoDiConservazione", str(years))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
