"""What the act page shows and serves besides the record: the act's text by parts, the signature
verification (cached), page previews (cached), the BagIt package as a zip (cached) and the AgID
metadata; the package and the metadata as the viewer may see the act (atti.archive.visibility).

Caches live under ``web/cache`` in the archive's state directory and are keyed by the PDF's
SHA-256: a PDF never changes under its hash, and a new version of an act (a renewed timestamp)
has a new hash. A package is keyed by the hash of everything it is made from (package_key).
Each entry is written to a temporary file and renamed, so a reader never sees
half of one. The verification is the one made with the archive's trust roots when first asked;
delete the cache after adding trust roots (``rm -r archive/web/cache/verifica`` for an archive
in ./archive) to verify again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from atti.acts import load_act_text
from atti.acts.personal import plain_act, publication_act
from atti.archive.archive import Archive
from atti.archive.records import ActRecord
from atti.archive.visibility import Viewer, Visible
from atti.config import Settings
from atti.errors import ActError, AttiError
from atti.files import PRIVATE_FILE, write_atomic
from atti.i18n import _

CACHE_DIR = Path("web") / "cache"
PREVIEW_DPI = 60
MAX_PREVIEW_PAGES = 50

# The act's parts as the page titles them, in reading order.
PART_TITLES = {
    "oggetto": "Oggetto",
    "poteri": "Poteri",
    "premesse": "Premesso che",
    "visti": "Visti",
    "considerato": "Considerato",
    "dispositivo": "Determina / Dispositivo",
    "allegati": "Allegati",
}


def _cache(path: Path, data: bytes) -> None:
    """Keep a derived file (a report, a preview) for the next request; a cache that cannot be
    written only costs the next request the work again."""
    with contextlib.suppress(OSError):
        write_atomic(path, data, mode=PRIVATE_FILE)  # a reserved act's preview is as private as its PDF


def act_parts(archive: Archive, record: ActRecord, *, personal: bool = False) -> list[tuple[str, str, list[str]]]:
    """(part, title, items) from the archived YAML source; empty when it cannot be read as an act.

    ``personal``: the full text (personal data unmarked, atti.acts.personal); else the publication
    copy's, every marked span [omissis]."""
    try:
        text = archive.blobs.get(record.source).decode("utf-8")
        act = load_act_text(text, f"{record.id}.yaml", check=False).act
    except (ActError, UnicodeDecodeError, AttiError):
        return []
    act = plain_act(act) if personal else publication_act(act)
    return [(name, PART_TITLES.get(name, name.capitalize()), items) for name, items in act.parts()]


def verifiche(archive: Archive, record: ActRecord) -> list[tuple[str, str, str]]:
    """The act's verifiche from its archived source as (tipo, nome, esito); empty when unreadable."""
    try:
        act = load_act_text(archive.blobs.get(record.source).decode("utf-8"), f"{record.id}.yaml", check=False).act
    except (ActError, UnicodeDecodeError, AttiError):
        return []
    return [(v.tipo, v.nome, v.esito.value) for v in act.verifiche]


@contextmanager
def pdf_file(archive: Archive, record: ActRecord) -> Iterator[Path]:
    """The act's PDF as a file: where the embedded store keeps it, else a temporary copy (S3)."""
    path = archive.path_of(record.pdf)
    if path.is_file():
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="atti-pdf-") as tmp:
        copy = Path(tmp) / f"{record.id}.pdf"
        copy.write_bytes(archive.blobs.get(record.pdf))
        yield copy


def verification(
    archive: Archive, record: ActRecord, *, tsl: Sequence[Path] = (), tsl_signers: Sequence[Path] = ()
) -> dict[str, Any]:
    """The verification report of the act's PDF as a dict (the JSON ``atti verify --json`` prints),
    made once per PDF hash and trusted lists (``tsl``, the trusted_lists setting, whose
    ``tsl_signers`` must sign them); a PDF that cannot be verified gives ``indication`` "ERROR"."""
    from atti import pipeline

    name = record.pdf.sha256
    if tsl or tsl_signers:
        # A new edition of a list may change who was qualified: its bytes are part of the key.
        name += "-" + _files_key([*tsl, *tsl_signers])
    path = archive.state_dir / CACHE_DIR / "verifica" / f"{name}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        # A report cached before signatures had a qualification is made again.
        if isinstance(cached, dict) and all("qualification" in s for s in cached.get("signatures", [])):
            return cached
    except (OSError, ValueError):
        pass
    try:
        with pdf_file(archive, record) as pdf:
            report = pipeline.verify(pdf, archive=archive, tsl=tsl, tsl_signers=tsl_signers).to_dict()
    except AttiError as exc:
        report = {"indication": "ERROR", "sub_indication": None, "message": exc.msg, "signatures": []}
    _cache(path, json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8"))
    return report


def _files_key(paths: Sequence[Path]) -> str:
    """A digest of the files (of a folder: its *.xml and certificates) named by ``paths``; a file
    that cannot be read counts by its name, and pipeline.verify reports on it."""
    digest = hashlib.sha256()
    for path in map(Path, paths):
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file).encode("utf-8"))
            with contextlib.suppress(OSError):
                digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:16]


def has_pdf(record: ActRecord) -> bool:
    """A draft not rendered yet has no PDF (its reference is the hash of nothing, "")."""
    return bool(record.pdf.sha256)


def page_count(archive: Archive, record: ActRecord) -> int:
    import pikepdf

    if not has_pdf(record):
        return 0
    try:
        with pdf_file(archive, record) as path, pikepdf.open(path) as pdf:
            return len(pdf.pages)
    except (pikepdf.PdfError, OSError):
        return 0


def preview(archive: Archive, record: ActRecord, page: int) -> bytes | None:
    """Page ``page`` (1-based) of the act's PDF as PNG, rendered by pdftoppm once; None if no such page."""
    if not 1 <= page <= min(page_count(archive, record), MAX_PREVIEW_PAGES):
        return None
    path = archive.state_dir / CACHE_DIR / "anteprime" / f"{record.pdf.sha256}-{page}.png"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    if shutil.which("pdftoppm") is None:
        raise AttiError(_("pdftoppm (poppler-utils) is not installed: page previews are not available"))
    with tempfile.TemporaryDirectory(prefix="atti-preview-") as tmp, pdf_file(archive, record) as pdf:
        out = Path(tmp) / "page"
        result = subprocess.run(
            ["pdftoppm", "-png", "-r", str(PREVIEW_DPI), "-f", str(page), "-l", str(page), "-singlefile",
             str(pdf), str(out)],
            capture_output=True, timeout=60, check=False,
        )
        png = out.with_suffix(".png")
        if result.returncode != 0 or not png.is_file():
            raise AttiError(_("pdftoppm could not render page {page} of {id}").format(page=page, id=record.id))
        data = png.read_bytes()
    _cache(path, data)
    return data


def metadata_xml(archive: Archive, record: ActRecord, viewer: Viewer, settings: Settings | None = None) -> bytes | None:
    """The AgID metadata of the act as ``viewer`` sees it (its versions, the acts it may name);
    None when the settings do not give the body (its IPA code, AOO, digital addresses)."""
    from atti.export.package import package_files, read_archived

    a = read_archived(archive, record.id, viewer)
    return package_files(a, archive, settings).get("metadata.xml")


def package_key(archive: Archive, record: ActRecord, viewer: Viewer, settings: Settings | None = None) -> str:
    """What a package's bytes depend on, hashed: the act's row (its files by hash, its stato),
    the versions and references the viewer sees, the viewer's grants and this atti's version
    (bag-info and the metadata name it). The documents are named by their hashes, so the same
    key always makes the same zip."""
    from atti import __version__
    from atti.export.package import PACKAGE_FORMAT

    visible = Visible(archive, viewer)
    what = {
        "record": record.to_dict(),
        "versions": [v.to_dict() for v in visible.versions(record.id)],
        "cites": [r.to_dict() for r in visible.cites(record.id)],
        "viewer": [viewer.reserved, viewer.drafts, viewer.personal],
        "format": PACKAGE_FORMAT,
        "atti": __version__,
        "body": settings.model_dump(mode="json", include=_BODY) if settings is not None else None,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


_BODY = {"ipa_code", "aoo_code", "aoo_name", "pec", "titolario", "titolario_name", "classificazione", "massimario",
         "trusted_lists"}


def package_zip(archive: Archive, record: ActRecord, viewer: Viewer, settings: Settings | None = None) -> bytes:
    """The act's BagIt package (what ``atti export`` writes, as ``viewer`` sees the act) as a zip
    whose top folder is the bag; made once per :func:`package_key` and kept in the cache."""
    from atti.export.package import export_package

    path = archive.state_dir / CACHE_DIR / "pacchetti" / f"{package_key(archive, record, viewer, settings)}.zip"
    try:
        return path.read_bytes()
    except OSError:
        pass
    with tempfile.TemporaryDirectory(prefix="atti-bag-") as tmp:
        bag = export_package(archive, record.id, Path(tmp), viewer, settings)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(p for p in bag.rglob("*") if p.is_file()):
                zf.write(file, f"{bag.name}/{file.relative_to(bag).as_posix()}")
    data = buffer.getvalue()
    _cache(path, data)
    return data
