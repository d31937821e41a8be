"""Export an archived act as a BagIt bag (RFC 8493), and import such a bag into an archive.

::

    DO-2026-129/
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      data/
        DO-2026-129.pdf    the signed PDF, as archived
        DO-2026-129.yaml   the act's YAML source
        DO-2026-129.docx   the DOCX it was rendered from
        metadata.xml       AgID Linee guida, Allegato 5 (see atti.archive.metadata)
        akn.xml            Akoma Ntoso 3.0 (see atti.archive.akn)
        record.json        the archive's record: number, register, signer, the files' SHA-256

Every file under data/ is derived from what an import stores (the act, its three documents and
the signer's name), never from the clock or the archive it came from: exporting an act, importing
it elsewhere and exporting it again gives the same data/ byte for byte. That is why record.json
leaves out ``created_at``, which each archive stamps when it stores the act; bag-info.txt's
Bagging-Date (outside data/) is that date in the exporting archive.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit

from atti import __version__
from atti.acts import load_act_text
from atti.acts.model import Act
from atti.archive.akn import akn_xml
from atti.archive.archive import Archive, act_id
from atti.archive.blobs import storage_error
from atti.archive.catalog import ActRecord, VersionRecord
from atti.archive.metadata import agid_metadata
from atti.errors import ActError, ArchiveError

PACKAGE_FORMAT = "atti-package/1"
_DOCUMENTS = ("pdf", "source", "docx")


@dataclass(frozen=True)
class ArchivedAct:
    """An act as the archive holds it: the record, the act read back from its source, the documents."""

    record: ActRecord
    act: Act
    source: str
    pdf: bytes
    docx: bytes
    versions: tuple[VersionRecord, ...] = ()


def read_archived(archive: Archive, act_id_: str) -> ArchivedAct:
    record = archive.get(act_id_)
    source = archive.blobs.get(record.source).decode("utf-8")
    try:
        act = load_act_text(source, f"{record.id}.yaml", check=False).act
    except ActError as exc:
        raise ArchiveError(f"the archived source of {record.id} is not a valid act: {exc.msg}") from None
    if act.numero is None:  # a draft numbered by the archive: the number lives in the record
        act = act.with_numero(record.number)
    return ArchivedAct(
        record, act, source, archive.blobs.get(record.pdf), archive.blobs.get(record.docx),
        tuple(archive.versions(record.id)),
    )


def _record_json(a: ArchivedAct, names: dict[str, str]) -> bytes:
    data: dict[str, Any] = {k: v for k, v in a.record.to_dict().items() if k not in ("created_at", "sha256")}
    contents = {"pdf": a.pdf, "source": a.source.encode("utf-8"), "docx": a.docx}
    data["format"] = PACKAGE_FORMAT
    data["files"] = {
        kind: {"path": names[kind], "sha256": hashlib.sha256(contents[kind]).hexdigest()} for kind in _DOCUMENTS
    }
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def package_files(a: ArchivedAct) -> dict[str, bytes]:
    """The files of the bag's data/ directory, by name."""
    rid = a.record.id
    names = {"pdf": f"{rid}.pdf", "source": f"{rid}.yaml", "docx": f"{rid}.docx"}
    return {
        names["pdf"]: a.pdf,
        names["source"]: a.source.encode("utf-8"),
        names["docx"]: a.docx,
        "metadata.xml": agid_metadata(a.act, a.record, a.pdf, a.versions),
        "akn.xml": akn_xml(a.act, a.record),
        "record.json": _record_json(a, names),
    }


def export_package(archive: Archive, act_id_: str, dest_dir: Path) -> Path:
    """Write the act ``act_id_`` as the bag ``dest_dir/<act id>`` and return its path.

    The bag is made in a temporary folder beside it and renamed into place, so the path holds
    either nothing or a whole, valid bag.
    """
    a = read_archived(archive, act_id_)
    target = dest_dir / a.record.id
    if target.exists():
        raise ArchiveError(f"{target} already exists: remove it or export elsewhere")
    bag_info = {
        "Source-Organization": a.record.ente,
        "External-Identifier": a.record.id,
        "External-Description": a.record.oggetto,
        # The day the act entered the exporting archive, not today: the same export gives the same bag.
        "Bagging-Date": a.record.created_at[:10],
        "Bag-Software-Agent": f"atti {__version__}",
    }
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{a.record.id}-", dir=dest_dir))
    except OSError as exc:
        raise storage_error(exc, f"the package folder {dest_dir}") from None
    try:
        # mkdtemp makes it 0700, and bagit gives data/ the mode of the bag: a bag is meant to be handed over.
        tmp.chmod(0o755)
        for name, data in package_files(a).items():
            (tmp / name).write_bytes(data)
        bagit.make_bag(str(tmp), bag_info, checksums=["sha256"])
        tmp.rename(target)
    except OSError as exc:
        raise storage_error(exc, f"the package {target}") from None
    except bagit.BagError as exc:
        raise ArchiveError(f"cannot make the package {target}: {_one_line(exc)}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _one_line(exc: BaseException) -> str:
    """bagit's messages may run over several lines and list every bad file: keep the first."""
    details = getattr(exc, "details", None) or []
    first = str(details[0]) if details else (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    more = len(details) - 1
    return first + (f" (and {more} more)" if more > 0 else "")


def _read_bag(bag_dir: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Validate the bag and return its record.json and documents; ArchiveError if anything is off."""
    try:
        bag = bagit.Bag(str(bag_dir))
        bag.validate()
    except bagit.BagError as exc:  # BagValidationError included: a changed, missing or extra file
        raise ArchiveError(f"{bag_dir} is not a valid package: {_one_line(exc)}") from None
    data = bag_dir / "data"
    try:
        record = json.loads((data / "record.json").read_text(encoding="utf-8"))
        if record.get("format") != PACKAGE_FORMAT:
            raise ValueError(f"format {record.get('format')!r}, expected {PACKAGE_FORMAT!r}")
        documents = {}
        for kind in _DOCUMENTS:
            entry = record["files"][kind]
            content = (data / Path(entry["path"]).name).read_bytes()
            if hashlib.sha256(content).hexdigest() != entry["sha256"]:
                raise ValueError(f"{entry['path']} does not match the SHA-256 in record.json")
            documents[kind] = content
    except OSError as exc:
        raise ArchiveError(f"cannot read the package {bag_dir}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchiveError(f"{bag_dir} is not an atti package: record.json: {_one_line(exc)}") from None
    return record, documents


def import_package(archive: Archive, bag_dir: Path) -> ActRecord:
    """Store the act of a bag made by :func:`export_package` under its original number.

    The act keeps its register, year and number; a number the archive already holds is refused
    (DuplicateNumber). The documents are stored as they are in the bag, so nothing is re-rendered
    or re-signed.
    """
    record, documents = _read_bag(bag_dir)
    source = documents["source"].decode("utf-8")
    try:
        act = load_act_text(source, f"{bag_dir}/data/{record['files']['source']['path']}", check=False).act
    except ActError as exc:
        raise ArchiveError(f"the act in {bag_dir} is not valid: {exc.msg}") from None
    number = int(record["number"])
    if act.numero is not None and act.numero != number:
        raise ArchiveError(f"{bag_dir}: the act says number {act.numero} but record.json says {number}")
    act = act.with_numero(number)
    if act_id(act.registro, act.anno, number) != record["id"]:
        raise ArchiveError(f"{bag_dir}: the act is {act_id(act.registro, act.anno, number)}, "
                           f"but record.json says {record['id']}")
    with archive.register_lock(act.registro, act.anno):
        return archive.seal(act, source=source, docx=documents["docx"], pdf=documents["pdf"],
                            signer=str(record["signer"]))
