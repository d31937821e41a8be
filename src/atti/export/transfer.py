"""A pacchetto di versamento: many archived acts sent together to a conservatore.

::

    PdV-DO-2026/                      BagIt 1.0 (RFC 8493) around everything
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      data/
        DO-2026-1/ ...                each act as atti.export.package lays it out (PDF, YAML, DOCX,
        DO-2026-2/ ...                metadata.xml, akn.xml, record.json, versions/)
        indice.xml                    the UNI 11386:2020 SInCRO index (PIndex): every file above with
                                      its SHA-256, the producer, the holder, the signer, the time
        indice.xml.p7s                the body's CAdES detached signature of indice.xml
        indice.xml.p7s.tsr            an RFC 3161 timestamp token of that signature, from the TSA
        rapporto.json                 what went in: each act, its stato, its files and their hashes

Each act's folder is the same as its own package's data/ (so ``atti import-package`` reads it,
see :func:`import_transfer`); the index lists every one of its files. The index is signed with
the body's key as configured for ``atti publish`` (a p12 file or a PKCS#11 token; in development
mode, a development certificate for the body, NOT qualified) and the signature timestamped by
the configured TSA, so that the conservatore can check who sent the package and that it existed
then. The package is made in a temporary folder and renamed into place at the end.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from atti import __version__
from atti.acts.references import registro_slug
from atti.archive.archive import Archive
from atti.archive.records import ActRecord
from atti.archive.visibility import OWNER, Viewer, Visible
from atti.config import Settings
from atti.errors import ArchiveError, ConfigError, SigningError
from atti.export.package import body_of, package_files, read_archived, write_bag
from atti.i18n import _

SINCRO_NS = "http://www.uni.com/U3011/sincro-v2/"
_S = f"{{{SINCRO_NS}}}"
SINCRO_URI = "http://www.uni.com/U3011/sincro-v2/PIndex.xsd"
LAWS = ("Linee guida sulla formazione, gestione e conservazione dei documenti informatici (AgID, 2021); "
        "UNI 11386:2020")
INDEX, SIGNATURE, TIMESTAMP, REPORT = "indice.xml", "indice.xml.p7s", "indice.xml.p7s.tsr", "rapporto.json"


@dataclass(frozen=True)
class Selection:
    """Which sealed acts go in: a register and year, a range of dates (the acts' data), or ids."""

    registro: str | None = None
    anno: int | None = None
    dal: dt.date | None = None
    al: dt.date | None = None
    ids: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        if self.registro:
            parts.append(f"registro {self.registro}")
        if self.anno:
            parts.append(f"anno {self.anno}")
        if self.dal or self.al:
            parts.append(f"dal {self.dal or '...'} al {self.al or '...'}")
        if self.ids:
            parts.append(", ".join(self.ids))
        return "; ".join(parts) or "tutti gli atti"

    def name(self) -> str:
        """The package's folder name: PdV-DO-2026, PdV-2026-01-01-2026-03-31, PdV-DO-2026-129..."""
        if self.ids:
            return f"PdV-{self.ids[0]}" + (f"-e-altri-{len(self.ids) - 1}" if len(self.ids) > 1 else "")
        parts = [registro_slug(self.registro) if self.registro else None, str(self.anno) if self.anno else None,
                 self.dal.isoformat() if self.dal else None, self.al.isoformat() if self.al else None]
        return "PdV-" + "-".join(p for p in parts if p) if any(parts) else "PdV"

    def matches(self, record: ActRecord) -> bool:
        if self.ids:
            return record.id in self.ids
        return (
            (self.registro is None or record.registro == self.registro)
            and (self.anno is None or record.anno == self.anno)
            and (self.dal is None or record.data >= self.dal)
            and (self.al is None or record.data <= self.al)
        )


@dataclass(frozen=True)
class TransferResult:
    """A pacchetto di versamento written: where, which acts, its index's SHA-256."""

    path: Path
    acts: tuple[str, ...]
    files: int
    index_sha256: str
    signer: str
    timestamp: str | None
    development: bool = False  # the index was signed with the development CA: NOT a firma digitale

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "acts": list(self.acts), "files": self.files,
                "index_sha256": self.index_sha256, "signer": self.signer, "timestamp": self.timestamp,
                "development": self.development}


def select(archive: Archive, selection: Selection, viewer: Viewer = OWNER) -> list[ActRecord]:
    """The sealed acts of ``selection`` that ``viewer`` sees, by register, year and number;
    ArchiveError for an id that is not such an act, or a selection that matches none."""
    visible = Visible(archive, viewer)
    if selection.ids:
        records = []
        for id_ in selection.ids:
            record = visible.get(id_)
            if record is None:
                raise ArchiveError(_("no act with id {id} in the archive").format(id=id_))
            if record.numero is None:
                raise ArchiveError(_("{id} is a draft: only a sealed act can be sent to conservation").format(id=id_))
            records.append(record)
        return records
    records = [r for r in archive.catalog.all() if r.numero is not None and selection.matches(r)
               and visible.get(r.id) is not None]
    if not records:
        raise ArchiveError(_("no sealed act matches {selection}").format(selection=selection.describe()))
    return records


def _add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, _S + tag, {_S + k: v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _agent(parent: etree._Element, tag: str, agent_type: str, name: str, documents: Sequence[str],
           **attrs: str) -> None:
    agent = _add(parent, tag, agentType=agent_type, **attrs)
    _add(_add(agent, "AgentName"), "FormalName", name)
    for document in documents:
        _add(agent, "RelevantDocument", document)


def _format(name: str) -> tuple[str, str]:
    """(MIME type, extension) of a file in the package."""
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    mime = {"yaml": "application/yaml", "xml": "application/xml", "json": "application/json"}.get(ext)
    return mime or mimetypes.guess_type(name)[0] or "application/octet-stream", ext


def sincro_index(
    package_id: str,
    selection: Selection,
    acts: Sequence[tuple[ActRecord, dict[str, bytes]]],
    *,
    producer: str,
    holder: str,
    ipa_code: str,
    signer: str,
    signer_certificate: str,
    when: dt.datetime,
) -> bytes:
    """The SInCRO PIndex of the package: one FileGroup per act, one File per file (its path
    under data/ and its SHA-256 in base64), and the Process: the producer that submits, the
    producer and the conservatore that hold, who signs the index, and when it was made."""
    root = etree.Element(_S + "PIndex", {_S + "language": "it", _S + "uri": SINCRO_URI, _S + "sincroVersion": "2.0"},
                         nsmap={"sincro": SINCRO_NS})
    self_description = _add(root, "SelfDescription")
    _add(self_description, "ID", package_id, scheme="local")
    app = _add(self_description, "CreatingApplication")
    _add(app, "Name", "atti")
    _add(app, "Version", __version__)
    _add(app, "Producer", "atti")

    volume = _add(root, "PVolume")
    _add(volume, "ID", package_id, scheme="local")
    _add(volume, "Label", "Pacchetto di versamento")
    _add(volume, "Description", f"{len(acts)} atti: {selection.describe()}")
    if selection.registro:
        group = _add(volume, "PVolumeGroup")
        _add(group, "ID", selection.registro, scheme="local")
        _add(group, "Label", "Registro o repertorio")

    for record, files in acts:
        group = _add(root, "FileGroup")
        _add(group, "ID", record.id, scheme="local")
        _add(group, "Label", f"{record.tipo} {record.registro} n. {record.numero}/{record.anno}")
        _add(group, "Description", record.oggetto)
        for name in sorted(files):
            mime, ext = _format(name)
            attrs = {"encoding": "binary", "format": mime, **({"extension": ext} if ext else {})}
            file = _add(group, "File", **attrs)
            _add(file, "ID", f"{record.id}/{name}", scheme="local")
            _add(file, "Path", f"{record.id}/{name}")
            digest = base64.b64encode(hashlib.sha256(files[name]).digest()).decode("ascii")
            _add(file, "Hash", digest, hashFunction="SHA-256")

    process = _add(root, "Process")
    documents = [f"Codice IPA {ipa_code}"]
    _agent(process, "Submitter", "legal person", producer, documents)
    _agent(process, "Holder", "legal person", producer, documents, holderRole="soggetto produttore")
    _agent(process, "Holder", "legal person", holder, ["Conservatore del pacchetto di versamento"],
           holderRole="soggetto detentore")
    _agent(process, "AuthorizedSigner", "legal person", signer, [signer_certificate], signerRole="firma dell'indice")
    _add(_add(process, "TimeReference"), "TimeInfo", when.isoformat(timespec="seconds"), attachedTimeStamp="true")
    _add(process, "LawsAndRegulations", LAWS)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _index_signer(archive: Archive, settings: Settings, producer: str) -> tuple[Any, bool]:
    """The body's key as configured for publish, and False; in development mode without one, a
    development certificate issued to the body (NOT qualified), and True; otherwise SigningError."""
    from atti.signing import ActSigner, DevCA
    from atti.signing.keys import open_key

    signer = open_key(settings)
    if signer is not None:
        return signer, False
    if not settings.development:
        raise SigningError(
            _("no key to sign the index of the package with: set p12 or pkcs11_module (as for atti publish), "
              "or development = true to try it with the development CA, NOT a firma digitale")
        )
    path = DevCA.load(archive.pki_dir).issue_signer(producer, "Ente produttore")
    return ActSigner.from_pkcs12(path, None), True


def export_transfer(
    archive: Archive,
    selection: Selection,
    dest_dir: Path,
    settings: Settings,
    *,
    viewer: Viewer = OWNER,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> TransferResult:
    """Write the pacchetto di versamento of ``selection`` in ``dest_dir`` (see the module's docstring).

    ConfigError when the body's settings (ipa_code, aoo_code, pec, holder, tsa_url, titolario,
    massimario) cannot describe every act; SigningError without a key to sign the index with;
    nothing is written then.
    """
    body = body_of(settings)
    if body is None:
        raise ConfigError(_("a pacchetto di versamento needs the body's ipa_code, aoo_code and pec (settings)"))
    if not settings.holder:
        raise ConfigError(
            _("a pacchetto di versamento needs the conservatore that receives it: set holder (ATTI_HOLDER)")
        )
    if not settings.tsa_url:
        raise ConfigError(_("the index of a pacchetto di versamento is timestamped: set tsa_url (--tsa)"))
    records = select(archive, selection, viewer)
    target = dest_dir / selection.name()
    if target.exists():
        raise ArchiveError(_("{target} already exists: remove it or export elsewhere").format(target=target))
    acts = []
    for record in records:
        files = package_files(read_archived(archive, record.id, viewer), archive, settings)
        acts.append((record, files))
    producer = settings.producer or records[0].ente
    signer, development = _index_signer(archive, settings, producer)
    try:
        certificate = signer.certificate
        who = f"{certificate.subject.rfc4514_string()} (serial {certificate.serial_number:x}, issued by " \
              f"{certificate.issuer.rfc4514_string()})"
        when = clock()
        index = sincro_index(
            target.name, selection, acts, producer=producer, holder=settings.holder, ipa_code=body.ipa_code,
            signer=signer.signer_name, signer_certificate=who, when=when,
        )
        signature = signer.sign_detached(index)
        token = signer.timestamp_token(signature, settings.tsa_url)
        signer_name = signer.signer_name
    finally:
        signer.close()
    report = {
        "pacchetto": target.name,
        "selezione": selection.describe(),
        "creato": when.isoformat(timespec="seconds"),
        "produttore": producer,
        "conservatore": settings.holder,
        "indice": {"file": INDEX, "sha256": hashlib.sha256(index).hexdigest(), "firma": SIGNATURE,
                   "firmatario": signer_name, "sviluppo": development, "marca_temporale": TIMESTAMP},
        "atti": [
            {"id": record.id, "registro": record.registro, "anno": record.anno, "numero": record.numero,
             "tipo": record.tipo, "data": record.data.isoformat(), "stato": record.stato,
             "riservato": record.riservato, "oggetto": record.oggetto,
             "file": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}}
            for record, files in acts
        ],
    }
    data = {f"{record.id}/{name}": content for record, files in acts for name, content in files.items()}
    data[INDEX] = index
    data[SIGNATURE] = signature
    data[TIMESTAMP] = token
    data[REPORT] = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    bag_info = {
        "Source-Organization": producer,
        "External-Identifier": target.name,
        "External-Description": f"Pacchetto di versamento: {len(acts)} atti ({selection.describe()})",
        "Bagging-Date": when.date().isoformat(),
        "Bag-Software-Agent": f"atti {__version__}",
    }
    write_bag(target, data, bag_info)
    return TransferResult(target, tuple(r.id for r, _ in acts), len(data), hashlib.sha256(index).hexdigest(),
                          signer_name, when.isoformat(timespec="seconds"), development)


def import_transfer(archive: Archive, package: Path) -> list[ActRecord]:
    """Store every act of a pacchetto di versamento made by :func:`export_transfer`, each under
    its own number, as :func:`atti.export.package.import_package` does for one act's bag: the
    bag is validated first (every file against its SHA-256), then each act's folder is read as
    that act's package. The acts are imported oldest first, so a relazione finds its target."""
    import tempfile

    import bagit

    from atti.export.package import _one_line, import_package

    try:
        bag = bagit.Bag(str(package))
        bag.validate()
        report = json.loads((package / "data" / REPORT).read_text(encoding="utf-8"))
        ids = [str(a["id"]) for a in report["atti"]]
    except bagit.BagError as exc:
        raise ArchiveError(
            _("{bag} is not a valid package: {reason}").format(bag=package, reason=_one_line(exc))
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArchiveError(
            _("{bag} is not a pacchetto di versamento: {file}: {reason}").format(
                bag=package, file=REPORT, reason=_one_line(exc)
            )
        ) from None
    imported = []
    for id_ in ids:
        with tempfile.TemporaryDirectory(prefix="atti-pdv-") as tmp:
            # Each act's folder as a bag of its own, so that import_package checks it the same way.
            files = {p.relative_to(package / "data" / id_).as_posix(): p.read_bytes()
                     for p in sorted((package / "data" / id_).rglob("*")) if p.is_file()}
            one = write_bag(Path(tmp) / id_, files, {"External-Identifier": id_})
            imported.append(import_package(archive, one))
    return imported


RECEIPT_EVENT = "versamento"


@dataclass(frozen=True)
class Receipt:
    """A conservatore's receipt (rapporto di versamento) recorded against a package's acts."""

    package: str
    acts: tuple[str, ...]
    conservatore: str
    receipt_sha256: str
    recorded_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"package": self.package, "acts": list(self.acts), "conservatore": self.conservatore,
                "receipt_sha256": self.receipt_sha256, "recorded_at": self.recorded_at}


def record_receipt(archive: Archive, package: Path, receipt: Path) -> Receipt:
    """Record ``receipt`` (the conservatore's rapporto di versamento, any format) against the
    pacchetto di versamento ``package`` and each of its acts, as one event per act in the
    archive's event chain.

    The package must be valid (every file against its manifest) and the receipt must name it:
    its folder name, or its index's SHA-256 (hex or base64), so that a receipt is never
    recorded against the wrong package. ArchiveError otherwise, and nothing is recorded.
    """
    import bagit

    from atti.export.package import _one_line

    try:
        bagit.Bag(str(package)).validate()
        report = json.loads((package / "data" / REPORT).read_text(encoding="utf-8"))
        index = (package / "data" / INDEX).read_bytes()
        ids = tuple(str(a["id"]) for a in report["atti"])
        name, conservatore = str(report["pacchetto"]), str(report["conservatore"])
    except bagit.BagError as exc:
        raise ArchiveError(
            _("{bag} is not a valid package: {reason}").format(bag=package, reason=_one_line(exc))
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArchiveError(
            _("{bag} is not a pacchetto di versamento: {reason}").format(bag=package, reason=_one_line(exc))
        ) from None
    try:
        content = receipt.read_bytes()
    except OSError as exc:
        raise ArchiveError(
            _("cannot read the receipt {receipt}: {reason}").format(receipt=receipt, reason=exc.strerror or exc)
        ) from None
    digest = hashlib.sha256(index).digest()
    names = (name.encode(), digest.hex().encode(), digest.hex().upper().encode(), base64.b64encode(digest))
    if not any(n in content for n in names):
        raise ArchiveError(
            _("the receipt {receipt} names neither the package {name} nor its index's SHA-256").format(
                receipt=receipt, name=name
            )
        )
    found = Receipt(name, ids, conservatore, hashlib.sha256(content).hexdigest())
    payload = {"package": name, "index_digest": digest.hex(), "receipt": receipt.name,
               "receipt_digest": found.receipt_sha256, "conservatore": conservatore}
    archive.record_event(RECEIPT_EVENT, ids, payload)
    return found
