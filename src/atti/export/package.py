"""Export an archived act as a BagIt bag (RFC 8493), and import such a bag into an archive.

::

    DO-2026-129/
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      data/
        DO-2026-129.pdf    the signed PDF, as archived
        DO-2026-129.yaml   the act's YAML source
        DO-2026-129.docx   the DOCX it was rendered from
        metadata.xml       AgID Linee guida, Allegato 5 (see atti.export.agid), when the body's
                           settings (ipa_code, aoo_code, pec) are given
        akn.xml            Akoma Ntoso 3.0 (see atti.export.akn)
        record.json        the archive's record: registro, numero, firmatario, stato, the files' SHA-256,
                           every version (stato, reason, by whom, when, its files) and every reference
        versions/          the files of earlier versions that differ from the current ones
          <sha256>.pdf       (a draft's sources and previews, the PDF before a renewed timestamp)

Format 3 (``atti-package/3``) carries the act's whole history: importing it gives back every
version with its files, the stato (an annulled act stays annullato), the references and
relazioni as they were, and ``created_at``; nothing is re-rendered, re-signed or re-extracted,
and no other act is changed by the import (each act's package carries its own state). Every
file under data/ comes from what an import stores, never from the clock or the archive it came
from: exporting an act, importing it elsewhere and exporting it again gives the same data/
byte for byte. record.json names things as the act format does (registro, numero, firmatario,
stato...). Format 2 packages, which named them in English, import as format 3; format 1 packages
(one version, no references) are still imported, as sealed acts.

The bag declares BagIt 1.0 (RFC 8493). Many acts go to a conservatore together as one pacchetto
di versamento: see :mod:`atti.export.transfer`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import bagit

from atti import __version__
from atti.acts import load_act_text
from atti.acts.model import Act
from atti.acts.personal import MARK, publication_act, redact
from atti.archive.albo import publication_copy
from atti.archive.archive import Archive, act_id
from atti.archive.records import ActRecord, BlobRef, ReferenceRecord, VersionRecord
from atti.archive.visibility import OWNER, Viewer, Visible
from atti.config import Settings
from atti.errors import ActError, ArchiveError
from atti.export.agid import Body, Facts, agid_metadata
from atti.export.akn import akn_xml
from atti.files import write_error
from atti.i18n import _

PACKAGE_FORMAT = "atti-package/3"
_FORMAT_2 = "atti-package/2"
_FORMAT_1 = "atti-package/1"
# Formats 1 and 2 used English words for what the act format names in Italian.
_OLD_KEYS = {"register": "registro", "year": "anno", "number": "numero", "signer": "firmatario", "state": "stato"}
_OLD_REFERENCE_KEYS = {"kind": "tipo", "number": "numero", "year": "anno", "date": "data", "text": "testo"}
_DOCUMENTS = ("pdf", "source", "docx")
_EXT = {"pdf": "pdf", "source": "yaml", "docx": "docx"}


@dataclass(frozen=True)
class ArchivedAct:
    """An act as the archive holds it: the record, the act read back from its source, the documents."""

    record: ActRecord
    act: Act
    source: str
    pdf: bytes
    docx: bytes
    versions: tuple[VersionRecord, ...] = ()
    references: tuple[ReferenceRecord, ...] = ()
    files: tuple[tuple[BlobRef, bytes], ...] = ()  # every version's files that are not the current ones


def read_archived(archive: Archive, act_id_: str, viewer: Viewer = OWNER) -> ArchivedAct:
    """The act as ``viewer`` may see it (see atti.archive.visibility): its versions from
    publication on for a viewer without the drafts grant, and no id of an act it may not see.
    The caller has checked that the viewer sees the act itself."""
    record = archive.get(act_id_)
    if record.numero is None:
        raise ArchiveError(_("{id} is a draft: only a sealed act can be exported").format(id=act_id_))
    source = archive.blobs.get(record.source).decode("utf-8")
    try:
        act = load_act_text(source, f"{record.id}.yaml", check=False).act
    except ActError as exc:
        raise ArchiveError(
            _("the archived source of {id} is not a valid act: {reason}").format(id=record.id, reason=exc.msg)
        ) from None
    if act.numero is None and record.numero is not None:  # numbered by the archive: the number is the record's
        act = act.with_numero(record.numero)
    visible = Visible(archive, viewer)
    versions = tuple(visible.versions(record.id))
    if not viewer.personal and MARK.search(source):
        return _publication_package(archive, record, source, versions, tuple(visible.cites(record.id)))
    current = {record.source, record.docx, record.pdf}
    earlier = dict.fromkeys(
        ref for v in versions for ref in (v.source, v.docx, v.pdf) if ref.sha256 and ref not in current
    )
    return ArchivedAct(
        record, act, source, archive.blobs.get(record.pdf), archive.blobs.get(record.docx), versions,
        tuple(visible.cites(record.id)), tuple((ref, archive.blobs.get(ref)) for ref in earlier),
    )


def _publication_package(
    archive: Archive, record: ActRecord, source: str, versions: tuple[VersionRecord, ...],
    references: tuple[ReferenceRecord, ...],
) -> ArchivedAct:
    """The act as a viewer without the personal grant may have it, when its text marks personal
    data (atti.acts.personal): its source with every marked span [omissis], its publication copy
    as the PDF of every version, no DOCX (the original's would say every word)."""
    copy = publication_copy(archive, record.id)
    if copy is None:
        raise ArchiveError(
            _("{id} marks personal data and has no publication copy yet (atti albo copia)").format(id=record.id)
        )
    public_source = redact(source)
    try:
        act = load_act_text(public_source, f"{record.id}.yaml", check=False).act
    except ActError as exc:
        raise ArchiveError(
            _("the publication copy of {id}'s source is not a valid act: {reason}").format(id=record.id, reason=exc.msg)
        ) from None
    if act.numero is None and record.numero is not None:
        act = act.with_numero(record.numero)
    source_ref = BlobRef(hashlib.sha256(public_source.encode("utf-8")).hexdigest(), "yaml")
    docx_ref = BlobRef(hashlib.sha256(b"").hexdigest(), "docx")
    public = replace(record, source=source_ref, docx=docx_ref, pdf=copy)
    shown = tuple(replace(v, source=source_ref if v.source.sha256 else v.source,
                          docx=docx_ref if v.docx.sha256 else v.docx, pdf=copy if v.pdf.sha256 else v.pdf)
                  for v in versions)
    return ArchivedAct(public, act, public_source, archive.blobs.get(copy), b"", shown, references, ())


def _names(a: ArchivedAct) -> dict[BlobRef, str]:
    """Where each file of the act's versions lies in data/."""
    rid = a.record.id
    names = {a.record.pdf: f"{rid}.pdf", a.record.source: f"{rid}.yaml", a.record.docx: f"{rid}.docx"}
    names.update({ref: f"versions/{ref.sha256}.{ref.ext}" for ref, _ in a.files})
    return names


def _record_json(a: ArchivedAct, names: dict[BlobRef, str]) -> bytes:
    data: dict[str, Any] = {k: v for k, v in a.record.to_dict().items() if k != "sha256"}
    current = {"pdf": a.record.pdf, "source": a.record.source, "docx": a.record.docx}
    data["format"] = PACKAGE_FORMAT
    data["files"] = {kind: {"path": names[ref], "sha256": ref.sha256} for kind, ref in current.items()}

    def entry(ref: BlobRef) -> dict[str, str] | None:
        return {"path": names[ref], "sha256": ref.sha256} if ref.sha256 else None

    data["versions"] = [
        {"version": v.version, "stato": v.stato, "reason": v.reason, "by_act": v.by_act, "created_at": v.created_at,
         "actor": v.actor, "verifica": v.verifica, "esito": v.esito, "note": v.note,
         "files": {"source": entry(v.source), "docx": entry(v.docx), "pdf": entry(v.pdf)}}
        for v in a.versions
    ]
    data["references"] = [
        {k: v for k, v in r.to_dict().items() if k not in ("act_id", "present")} for r in a.references
    ]
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def verification_facts(archive: Archive, pdf: bytes, settings: Settings | None = None) -> Facts:
    """What ``atti verify`` finds of ``pdf``, as Allegato 5's Verifica: trusting the archive's
    roots (its development CA, its trust/ folder) and the trusted lists of ``settings``, which
    alone can make a signature qualified."""
    from atti.export.agid import verify_facts
    from atti.signing import load_trust_roots

    roots = load_trust_roots([p for p in (archive.pki_dir / "root.pem", archive.trust_dir) if p.exists()])
    lists: tuple[Any, ...] = ()
    tsa_roots: tuple[Any, ...] = ()
    if settings is not None and settings.trusted_lists:
        files = [f for path in settings.trusted_lists
                 for f in (sorted(Path(path).glob("*.xml")) if Path(path).is_dir() else [Path(path)])]
        lists, cas, tsa_roots = _trusted_lists(_stamped(files), _stamped(settings.trusted_list_signers))
        roots += cas
    return verify_facts(pdf, roots, tsa_roots=tsa_roots, trusted_lists=lists)


def _stamped(paths: Sequence[Path]) -> tuple[tuple[str, int], ...]:
    """Paths with their modification times: a list replaced on disk is read again."""
    out = []
    for path in paths:
        try:
            out.append((str(path), Path(path).stat().st_mtime_ns))
        except OSError:
            out.append((str(path), 0))  # read_trusted_list says what is wrong with it
    return tuple(out)


@functools.lru_cache(maxsize=4)
def _trusted_lists(
    files: tuple[tuple[str, int], ...], signer_files: tuple[tuple[str, int], ...]
) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """(lists, their CA certificates, their TSA certificates), read once for every act of an export."""
    from atti.signing import load_trust_roots
    from atti.signing.trust import read_trusted_list

    signers = load_trust_roots([Path(p) for p, _ in signer_files]) if signer_files else []
    lists = tuple(read_trusted_list(Path(p), signers=signers) for p, _ in files)
    return (lists, tuple(c for t in lists for c in t.ca_certificates),
            tuple(c for t in lists for c in t.tsa_certificates))


def _signers(archive: Archive, a: ArchivedAct) -> dict[str, str]:
    """The firmatario of each act that changed ``a`` and that ``a``'s versions name."""
    out = {}
    for v in a.versions:
        if v.by_act and v.by_act not in out:
            try:
                out[v.by_act] = archive.get(v.by_act).firmatario
            except ArchiveError:
                continue  # an act not in this archive: its change is not traced
    return out


def _targets(archive: Archive | None, a: ArchivedAct) -> dict[str, str]:
    """The AKN work URI of each act of the archive that ``a``'s visible references and versions name."""
    from atti.export.akn import record_work_uri

    out: dict[str, str] = {}
    if archive is None:
        return out
    ids = {r.target_id for r in a.references if r.target_id} | {v.by_act for v in a.versions if v.by_act}
    for id_ in sorted(i for i in ids if i is not None):
        try:
            out[id_] = record_work_uri(archive.get(id_))
        except ArchiveError:
            continue  # cited, but not in this archive
    return out


def body_of(settings: Settings | None) -> Body | None:
    """The body the metadata describe, or None when its settings are not given at all."""
    if settings is None or not (settings.ipa_code or settings.aoo_code or settings.pec):
        return None
    return Body.from_settings(settings)


def package_files(
    a: ArchivedAct, archive: Archive | None = None, settings: Settings | None = None
) -> dict[str, bytes]:
    """The files of the bag's data/ directory, by name (``versions/...`` in a subfolder);
    metadata.xml only when ``settings`` give the body (see :func:`body_of`)."""
    names = _names(a)
    files = {
        names[a.record.pdf]: a.pdf,
        names[a.record.source]: a.source.encode("utf-8"),
        names[a.record.docx]: a.docx,
        **{names[ref]: content for ref, content in a.files},
    }
    body = body_of(settings)
    if body is not None and archive is not None:
        facts = verification_facts(archive, a.pdf, settings)
        files["metadata.xml"] = agid_metadata(a.act, a.record, a.pdf, a.versions, body=body, facts=facts,
                                              signers=_signers(archive, a))
    files["akn.xml"] = akn_xml(a.act, a.record, a.versions, a.references, _targets(archive, a))
    files["record.json"] = _record_json(a, names)
    return files


def export_package(
    archive: Archive, act_id_: str, dest_dir: Path, viewer: Viewer = OWNER, settings: Settings | None = None
) -> Path:
    """Write the act ``act_id_`` as the bag ``dest_dir/<act id>`` and return its path; as
    ``viewer`` sees it (the web's downloads), by default whole (the archive's owner); with the
    AgID metadata when ``settings`` give the body.

    The bag is made in a temporary folder beside it and renamed into place, so the path holds
    either nothing or a whole, valid bag.
    """
    a = read_archived(archive, act_id_, viewer)
    bag_info = {
        "Source-Organization": a.record.ente,
        "External-Identifier": a.record.id,
        "External-Description": a.record.oggetto,
        # The day the act entered the exporting archive, not today: the same export gives the same bag.
        "Bagging-Date": a.record.created_at[:10],
        "Bag-Software-Agent": f"atti {__version__}",
    }
    target = dest_dir / a.record.id
    if target.exists():
        raise ArchiveError(_("{target} already exists: remove it or export elsewhere").format(target=target))
    return write_bag(target, package_files(a, archive, settings), bag_info)


BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def write_bag(target: Path, files: dict[str, bytes], bag_info: dict[str, str]) -> Path:
    """Write ``files`` (names under data/, ``a/b`` in subfolders) as the BagIt 1.0 bag ``target``:
    made in a temporary folder beside it and renamed into place at the end, so that ``target``
    holds either nothing or a whole, valid bag."""
    if target.exists():
        raise ArchiveError(_("{target} already exists: remove it or export elsewhere").format(target=target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as exc:
        raise write_error(exc, _("the package folder {folder}").format(folder=target.parent)) from None
    try:
        # mkdtemp makes it 0700, and bagit gives data/ the mode of the bag: a bag is meant to be handed over.
        tmp.chmod(0o755)
        for name, data in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
        bagit.make_bag(str(tmp), bag_info, checksums=["sha256"])
        _declare_bagit_1_0(tmp)
        tmp.rename(target)
    except OSError as exc:
        raise write_error(exc, _("the package {target}").format(target=target)) from None
    except bagit.BagError as exc:
        raise ArchiveError(
            _("cannot make the package {target}: {reason}").format(target=target, reason=_one_line(exc))
        ) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _declare_bagit_1_0(bag: Path) -> None:
    """bagit-python writes "BagIt-Version: 0.97"; the bag is RFC 8493's 1.0 (the same layout, with
    UTF-8 tag files and no fetch.txt), so bagit.txt says so and the tag manifest follows it."""
    (bag / "bagit.txt").write_bytes(BAGIT_TXT)
    digest = hashlib.sha256(BAGIT_TXT).hexdigest()
    manifest = bag / "tagmanifest-sha256.txt"
    lines = [f"{digest} bagit.txt" if line.split(maxsplit=1)[1:] == ["bagit.txt"] else line
             for line in manifest.read_text(encoding="utf-8").splitlines()]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _one_line(exc: BaseException) -> str:
    """bagit's messages may run over several lines and list every bad file: keep the first."""
    details = getattr(exc, "details", None) or []
    first = str(details[0]) if details else (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    more = len(details) - 1
    return first + (_(" (and {count} more)").format(count=more) if more > 0 else "")


def _read_bag(bag_dir: Path) -> tuple[dict[str, Any], dict[str, bytes], dict[BlobRef, bytes]]:
    """Validate the bag; its record.json, current documents and every version's files by ref.

    ArchiveError if anything is off: the bag (a changed, missing or extra file), record.json, or
    a file that does not match the SHA-256 record.json gives it.
    """
    try:
        bag = bagit.Bag(str(bag_dir))
        bag.validate()
    except bagit.BagError as exc:  # BagValidationError included: a changed, missing or extra file
        raise ArchiveError(
            _("{bag} is not a valid package: {reason}").format(bag=bag_dir, reason=_one_line(exc))
        ) from None
    data = bag_dir / "data"

    def read(entry: dict[str, Any], ext: str) -> tuple[BlobRef, bytes]:
        path = Path(str(entry["path"]))
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(_("{path}: not a path inside the package").format(path=path))
        content = (data / path).read_bytes()
        if hashlib.sha256(content).hexdigest() != entry["sha256"]:
            raise ValueError(_("{path} does not match the SHA-256 in record.json").format(path=path))
        return BlobRef(str(entry["sha256"]), ext), content

    try:
        record = _upgrade(json.loads((data / "record.json").read_text(encoding="utf-8")))
        documents = {kind: read(record["files"][kind], _EXT[kind])[1] for kind in _DOCUMENTS}
        files = dict(
            read(entry, _EXT[kind])
            for version in record.get("versions", [])
            for kind, entry in version["files"].items()
            if entry is not None
        )
    except OSError as exc:
        raise ArchiveError(
            _("cannot read the package {bag}: {reason}").format(bag=bag_dir, reason=exc.strerror or exc)
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArchiveError(
            _("{bag} is not an atti package: record.json: {reason}").format(bag=bag_dir, reason=_one_line(exc))
        ) from None
    return record, documents, files


def _upgrade(record: Any) -> dict[str, Any]:
    """record.json of any format, with format 3's keys (format 1 keeps its format name)."""
    if not isinstance(record, dict):
        raise ValueError(_("not a JSON object"))
    fmt = record.get("format")
    if fmt not in (PACKAGE_FORMAT, _FORMAT_2, _FORMAT_1):
        raise ValueError(
            _("format {found}, expected {expected}").format(found=repr(fmt), expected=repr(PACKAGE_FORMAT))
        )
    if fmt == PACKAGE_FORMAT:
        return record
    out: dict[str, Any] = {_OLD_KEYS.get(str(k), str(k)): v for k, v in record.items()}
    out["versions"] = [{_OLD_KEYS.get(k, k): v for k, v in version.items()} for version in record.get("versions", [])]
    out["references"] = [
        {_OLD_REFERENCE_KEYS.get(k, k): v for k, v in ref.items()} for ref in record.get("references", [])
    ]
    if fmt == _FORMAT_2:
        out["format"] = PACKAGE_FORMAT
    return out


def import_package(archive: Archive, bag_dir: Path) -> ActRecord:
    """Store the act of a bag made by :func:`export_package` under its original number.

    The act keeps its register, year and number; a number the archive already holds is refused
    (DuplicateNumber). The documents are stored as they are in the bag, so nothing is re-rendered
    or re-signed. A format 2 bag brings back the act's versions, state, references and relazioni
    as they were (see the module docstring); a format 1 bag is sealed as a newly published act.
    """
    record, documents, files = _read_bag(bag_dir)
    source = documents["source"].decode("utf-8")
    try:
        act = load_act_text(source, f"{bag_dir}/data/{record['files']['source']['path']}", check=False).act
    except ActError as exc:
        raise ArchiveError(_("the act in {bag} is not valid: {reason}").format(bag=bag_dir, reason=exc.msg)) from None
    number = int(record["numero"])
    if act.numero is not None and act.numero != number:
        raise ArchiveError(
            _("{bag}: the act says number {numero} but record.json says {number}").format(
                bag=bag_dir, numero=act.numero, number=number
            )
        )
    act = act.with_numero(number)
    id_ = act_id(act.registro, act.anno, number)
    if id_ != record["id"]:
        raise ArchiveError(
            _("{bag}: the act is {id}, but record.json says {recorded}").format(
                bag=bag_dir, id=id_, recorded=record["id"]
            )
        )
    if record["format"] == _FORMAT_1:
        with archive.register_lock(act.registro, act.anno):
            return archive.seal(act, source=source, docx=documents["docx"], pdf=documents["pdf"],
                                firmatario=str(record["firmatario"]))
    try:
        restored, versions, references = _history(record, id_)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArchiveError(
            _("{bag} is not an atti package: record.json: {reason}").format(bag=bag_dir, reason=_one_line(exc))
        ) from None
    for ref, content in files.items():
        archive.blobs.put(content, ref.ext)
    for kind in _DOCUMENTS:
        archive.blobs.put(documents[kind], _EXT[kind])
    with archive.register_lock(act.registro, act.anno):
        # The search sees no personal data the act marks (atti.acts.personal).
        archive.restore(restored, publication_act(act).body_text(), versions, references)
    return restored


def _history(record: dict[str, Any], id_: str) -> tuple[ActRecord, list[VersionRecord], list[ReferenceRecord]]:
    """The act's record, versions and references as record.json (format 3) gives them."""
    files = record["files"]
    restored = ActRecord(
        id=id_, registro=str(record["registro"]), anno=int(record["anno"]), numero=int(record["numero"]),
        tipo=str(record["tipo"]), organo=str(record["organo"]), data=dt.date.fromisoformat(record["data"]),
        ente=str(record["ente"]), oggetto=str(record["oggetto"]), firmatario=str(record["firmatario"]),
        stato=str(record["stato"]), source=BlobRef(str(files["source"]["sha256"]), "yaml"),
        docx=BlobRef(str(files["docx"]["sha256"]), "docx"), pdf=BlobRef(str(files["pdf"]["sha256"]), "pdf"),
        created_at=str(record["created_at"]), riservato=bool(record.get("riservato", False)),
    )

    def ref(entry: dict[str, Any] | None, ext: str) -> BlobRef:
        return BlobRef(str(entry["sha256"]), ext) if entry is not None else BlobRef("", ext)

    versions = [
        VersionRecord(
            act_id=id_, version=int(v["version"]), stato=str(v["stato"]),
            source=ref(v["files"]["source"], "yaml"), docx=ref(v["files"]["docx"], "docx"),
            pdf=ref(v["files"]["pdf"], "pdf"), reason=str(v["reason"]),
            by_act=None if v["by_act"] is None else str(v["by_act"]), created_at=str(v["created_at"]),
            # Packages made before schema 6 name no actor.
            **{k: None if v.get(k) is None else str(v[k]) for k in ("actor", "verifica", "esito", "note")},
        )
        for v in record["versions"]
    ]
    # A package downloaded by a viewer without the drafts grant starts at the act's publication.
    first = versions[0].version if versions else 1
    if first < 1 or [v.version for v in versions] != list(range(first, first + len(versions))):
        raise ValueError(_("versions are not numbered 1, 2, 3... (or n, n+1... from the publication)"))
    newest = versions[-1] if versions else None
    if newest is None or (newest.stato, newest.source, newest.docx, newest.pdf) != (
        restored.stato, restored.source, restored.docx, restored.pdf
    ):
        raise ValueError(_("the newest version is not the act's state and files"))
    references = [
        ReferenceRecord(
            act_id=id_, part=str(r["part"]), index=int(r["index"]), tipo=str(r["tipo"]),
            numero=None if r["numero"] is None else str(r["numero"]),
            anno=None if r["anno"] is None else int(r["anno"]),
            data=dt.date.fromisoformat(r["data"]) if r["data"] else None, testo=str(r["testo"]),
            target_id=None if r["target_id"] is None else str(r["target_id"]),
            relazione=None if r["relazione"] is None else str(r["relazione"]),
        )
        for r in record["references"]
    ]
    return restored, versions, references
