"""The AgID metadata of an archived act, as XML for a conservation system.

The element names are those of the "Linee guida sulla formazione, gestione e conservazione dei
documenti informatici", Allegato 5 (metadati del documento amministrativo informatico, DAI) and
of the XML schema AgID publishes with it. What the archive does not know (the ente's IPA code,
the classification, the fiscal codes of the people) is left out rather than made up: a
conservation system then asks for it instead of storing a plausible-looking falsehood.

Allegato 5 has no role for whoever proposes an act or checks it before signing: the nearest
one, ``Operatore`` (who takes part in forming the document), is used for the proposing office,
its head and the reviewers of the verifiche. The firmatario is the ``Autore``.

The output depends only on the act, its record and the PDF's bytes (never the clock), so the
same act always gives the same bytes, in any archive it is imported into.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence

from lxml import etree

from atti import __version__
from atti.acts.model import Act
from atti.archive.records import ActRecord, VersionRecord

# Allegato 5, "Modalità di formazione", letter a) of the Linee guida (3.1.1).
MODALITA_CREAZIONE = (
    "a) creazione tramite l'utilizzo di strumenti software che assicurino la produzione di documenti "
    "nei formati previsti nell'allegato 2"
)


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _bool(value: bool) -> str:
    return "true" if value else "false"


def split_name(full: str) -> tuple[str, str]:
    """(Cognome, Nome) of "Fabrizio Ventrice": the last word is taken as the surname.

    The act names people in one string; this is right for most names and wrong for a compound
    surname ("De Luca"), which a later version of the act format could spell out.
    """
    words = full.split()
    if len(words) < 2:
        return full, ""
    return words[-1], " ".join(words[:-1])


def _person(parent: etree._Element, full: str) -> None:
    pf = _add(parent, "PF")
    cognome, nome = split_name(full)
    _add(pf, "Cognome", cognome)
    if nome:
        _add(pf, "Nome", nome)


def _ruolo(soggetti: etree._Element, element: str, tipo_ruolo: str) -> etree._Element:
    role = _add(_add(soggetti, "Ruolo"), element)
    _add(role, "TipoRuolo", tipo_ruolo)
    return role


def agid_metadata(act: Act, record: ActRecord, pdf: bytes, versions: Sequence[VersionRecord] = ()) -> bytes:
    """The Allegato 5 metadata of the archived act ``record`` (``act`` is its source, ``pdf`` its
    signed PDF, ``versions`` its versions in the archive, oldest first)."""
    from atti.signing.levels import last_timestamp  # pyHanko: loaded only when metadata is made
    from atti.templates.pdfcheck import check_pdf

    root = etree.Element("DocumentoAmministrativoInformatico")

    iddoc = _add(root, "IdDoc")
    impronta = _add(iddoc, "ImprontaCrittograficaDelDocumento")
    _add(impronta, "Impronta", hashlib.sha256(pdf).hexdigest())
    _add(impronta, "Algoritmo", "SHA-256")
    _add(iddoc, "Identificativo", record.id)

    _add(root, "ModalitaDiFormazione", MODALITA_CREAZIONE)
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
    amministrazione = _ruolo(soggetti, "AmministrazioneCheEffettuaLaRegistrazione",
                             "Amministrazione Che Effettua La Registrazione")
    _add(_add(_add(amministrazione, "PAI"), "IPAAmm"), "Denominazione", record.ente)
    _person(_ruolo(soggetti, "Autore", "Autore"), act.firmatari[0].nome)
    if act.proposta is not None:
        struttura = _ruolo(soggetti, "Operatore", "Operatore")
        pai = _add(struttura, "PAI")
        _add(_add(pai, "IPAAmm"), "Denominazione", record.ente)
        _add(_add(pai, "IPAUOR"), "Denominazione", act.proposta.struttura)
        if act.proposta.firmatario:
            _person(_ruolo(soggetti, "Operatore", "Operatore"), act.proposta.firmatario)
    for verifica in act.verifiche:
        _person(_ruolo(soggetti, "Operatore", "Operatore"), verifica.nome)

    _add(_add(root, "ChiaveDescrittiva"), "Oggetto", record.oggetto)

    allegati = _add(root, "Allegati")
    _add(allegati, "NumeroAllegati", str(len(act.allegati)))
    for i, allegato in enumerate(act.allegati, start=1):
        indice = _add(allegati, "IndiceAllegati")
        _add(_add(indice, "IdDoc"), "Identificativo", f"{record.id}-allegato-{i}")
        _add(indice, "Descrizione", allegato.titolo)

    # Classificazione: the act format has no titolario index yet, so the element is omitted.
    _add(root, "Riservato", _bool(record.riservato))

    formato = _add(root, "IdentificativoDelFormato")
    claim = check_pdf(pdf).pdfa  # "PDF/A-3B" as the XMP declares it
    _add(formato, "Formato", f"{claim[:-1]}{claim[-1].lower()}" if claim else "application/pdf")
    prodotto = _add(formato, "ProdottoSoftware")
    _add(prodotto, "NomeProdotto", "atti")
    _add(prodotto, "VersioneProdotto", __version__)

    verifica = _add(root, "Verifica")
    _add(verifica, "FirmatoDigitalmente", "true")
    _add(verifica, "SigillatoElettronicamente", "false")
    _add(verifica, "MarcaturaTemporale", _bool(last_timestamp(pdf) is not None))
    _add(verifica, "ConformitaCopieImmagineSuSupportoInformatico", "false")

    _add(root, "NomeDelDocumento", f"{record.id}.pdf")
    _add(root, "VersioneDelDocumento", str(max(len(versions), 1)))
    tracce = _add(root, "TracciatureModificheDocumento")
    # Annulments and rectifications are made by another act: name it, when, and the fingerprint
    # of the version it changed, so that the change can be followed back.
    for previous, version in itertools.pairwise(versions):
        if version.reason not in ("annullamento", "rettifica"):
            continue
        modifica = _add(tracce, "Modifica")
        _add(modifica, "TipoModifica", version.reason)
        _add(modifica, "DataModifica", version.created_at[:10])
        if version.by_act:
            _add(modifica, "AttoDellaModifica", version.by_act)
        precedente = _add(modifica, "IdDocVersionePrecedente")
        _add(precedente, "Impronta", previous.pdf.sha256)
        _add(precedente, "Algoritmo", "SHA-256")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
