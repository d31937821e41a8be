"""What travels with the rendered act: its YAML source, its metadata, and its allegati.

Everything here goes under the signature: the act's own source and metadata as attached files
(so the signed PDF can be re-read without the archive), each allegato either attached as a file
or, when it is a PDF/A, appended as pages after the act.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pikepdf

from atti import __version__
from atti.acts.allegati import AllegatoRefused, locate_allegato, read_allegato
from atti.acts.model import Act, ModoAllegato
from atti.errors import RenderError, VerificationError
from atti.i18n import _
from atti.templates.pdfa import Attachment
from atti.templates.pdfcheck import check_pdf


def act_metadata(act: Act, source: str | None) -> dict[str, Any]:
    """The act's registration data, as JSON attached to its PDF (the archive's view of it)."""
    return {
        "tipo": act.tipo.value,
        "ente": act.ente.nome,
        "organo": act.organo,
        "registro": act.registro,
        "numero": act.numero,
        "anno": act.anno,
        "data": act.data.isoformat(),
        "oggetto": act.oggetto,
        # One signer as a mapping, as ever; several as a list in the order they sign.
        "firmatario": (
            [{"nome": f.nome, "qualifica": f.qualifica} for f in act.firmatari] if isinstance(act.firmatario, list)
            else {"nome": act.firmatario.nome, "qualifica": act.firmatario.qualifica}
        ),
        "allegati": [
            {"titolo": a.titolo, "file": Path(a.file).name if a.file else None, "modo": a.modo.value}
            for a in act.allegati
        ],
        "source_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest() if source is not None else None,
        "generator": f"atti {__version__}",
    }


def _mime(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _read(file: str, titolo: str, base_dir: Path | None, allegati_dirs: Sequence[Path]) -> bytes:
    """The allegato's bytes, refused as the checks refuse it (outside the act's folder and
    ``allegati_dirs``, not a regular file, too large): the checks may not have run."""
    try:
        return read_allegato(locate_allegato(file, base_dir or Path("."), allegati_dirs))
    except AllegatoRefused as exc:
        raise RenderError(_("the allegato '{titolo}': {reason}").format(titolo=titolo, reason=exc.msg)) from None
    except OSError as exc:
        raise RenderError(_("allegato '{titolo}': cannot read '{file}': {reason}").format(
            titolo=titolo, file=file, reason=exc.strerror)) from None


def attachments(
    act: Act, stem: str, *, source: str | None, base_dir: Path | None, allegati_dirs: Sequence[Path] = ()
) -> list[Attachment]:
    """The files to attach to the act's PDF/A-3; empty when there is nothing to carry.

    An allegato's ``file`` is relative to ``base_dir`` (the act's folder) and must lie inside it
    or one of ``allegati_dirs``.
    """
    # The act's date, not the clock: rendering the same act again gives the same bytes.
    when = dt.datetime.combine(act.data, dt.time(0), tzinfo=dt.UTC)
    out: list[Attachment] = []
    if source is not None:
        out.append(Attachment(f"{stem}.yaml", source.encode("utf-8"), "application/yaml",
                              "Testo sorgente dell'atto (YAML atti)", "Source", when))
        metadata = json.dumps(act_metadata(act, source), ensure_ascii=False, indent=2, sort_keys=True)
        out.append(Attachment(f"{stem}.json", metadata.encode("utf-8"), "application/json",
                              "Metadati di registrazione dell'atto", "Data", when))
    taken = {a.name for a in out}
    for allegato in act.allegati:
        if allegato.file is None or allegato.modo is not ModoAllegato.allegato:
            continue
        data = _read(allegato.file, allegato.titolo, base_dir, allegati_dirs)
        name = Path(allegato.file).name
        if name in taken:  # two allegati with the same file name from different folders
            name = f"{len(taken)}-{name}"
        taken.add(name)
        out.append(Attachment(name, data, _mime(name), f"Allegato: {allegato.titolo}", "Supplement", when))
    return out


def appended_pdfs(act: Act, base_dir: Path | None, allegati_dirs: Sequence[Path] = ()) -> list[tuple[str, bytes]]:
    return [
        (a.titolo, _read(a.file, a.titolo, base_dir, allegati_dirs))
        for a in act.allegati
        if a.file is not None and a.modo is ModoAllegato.accodato
    ]


_MUST_PASS = {"syntax", "pdfa", "encryption", "fonts", "javascript"}


def _display_to_user(page: pikepdf.Page) -> tuple[float, float, float, float, tuple[float, ...]]:
    """The page's visible box as a reader shows it (width, height) and the matrix from those
    upright coordinates to the page's own: ``/Rotate`` turns the page for display, so its top
    may be any side of its user space."""
    x0, y0, x1, y1 = (float(v) for v in page.cropbox)
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    if rotate == 90:
        return x0, y0, y1 - y0, x1 - x0, (0, 1, -1, 0, x1, y0)
    if rotate == 180:
        return x0, y0, x1 - x0, y1 - y0, (-1, 0, 0, -1, x1, y1)
    if rotate == 270:
        return x0, y0, y1 - y0, x1 - x0, (0, -1, 1, 0, x0, y1)
    return x0, y0, x1 - x0, y1 - y0, (1, 0, 0, 1, x0, y0)


def _fmt(values: Sequence[float]) -> str:
    return " ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in values)


def mark_pages(doc: pikepdf.Pdf, pages: Sequence[pikepdf.Page], mark: bytes) -> None:
    """Draw ``mark`` (a one-page PDF: the band of :func:`atti.templates.render.mark_docx`) at the
    top centre of each of ``pages``, as upright as the page is shown, never wider than the page.

    The mark is a form XObject with its own embedded font, drawn as an artifact after the page's
    own content, which is wrapped in q/Q so that nothing it leaves in the graphics state moves it.
    """
    with pikepdf.open(io.BytesIO(mark)) as source:
        band = source.pages[0]
        bx0, by0, bx1, by1 = (float(v) for v in band.mediabox)
        form = band.as_form_xobject()
        # LibreOffice tags its pages; inside an untagged allegato page the band is an artifact.
        kept = [
            instruction for instruction in pikepdf.parse_content_stream(form)
            if str(instruction.operator) not in {"BDC", "BMC", "EMC", "MP", "DP"}
        ]
        form.write(pikepdf.unparse_content_stream(kept))
        xobject = doc.copy_foreign(form)
    width, height = bx1 - bx0, by1 - by0
    for page in pages:
        _, _, shown_w, shown_h, to_user = _display_to_user(page)
        scale = min(1.0, shown_w / width)
        place = (scale, 0, 0, scale, (shown_w - width * scale) / 2, shown_h - height * scale)
        name = page.add_resource(xobject, pikepdf.Name.XObject, prefix="AttiBozza")
        page.contents_add(b"q\n", prepend=True)
        drawing = f"\nQ\n/Artifact BMC q {_fmt(to_user)} cm {_fmt(place)} cm {name} Do Q EMC\n"
        page.contents_add(doc.make_stream(drawing.encode("ascii")), prepend=False)


def append_pages(pdf: bytes, others: Sequence[tuple[str, bytes]], *, mark: bytes | None = None) -> bytes:
    """The act followed by the pages of each PDF/A allegato.

    Only a PDF/A with every font embedded may be appended: anything else would make the act's
    PDF/A claim false. Such a file can still travel attached (``modo: allegato``). ``mark``: the
    unsigned rendering's mark, drawn on every appended page (see :func:`mark_pages`).
    """
    if not others:
        return pdf
    for titolo, data in others:
        try:
            report = check_pdf(data)
        except VerificationError:
            not_pdf = _("allegato '{titolo}' is not a PDF: attach it instead with 'modo: allegato'")
            raise RenderError(not_pdf.format(titolo=titolo)) from None
        if report.signatures:
            raise RenderError(_("allegato '{titolo}' is signed: appending its pages would drop its signature; "
                                "attach it instead with 'modo: allegato'").format(titolo=titolo))
        # Tags and an output intent of its own are not required of an appended PDF/A-1b/2b scan.
        failed = [c.name for c in report.checks if not c.passed and c.name in _MUST_PASS]
        if failed:
            raise RenderError(_(
                "allegato '{titolo}' cannot be appended to a PDF/A ({failed}): attach it instead with "
                "'modo: allegato'"
            ).format(titolo=titolo, failed=", ".join(failed)))
    sources: list[pikepdf.Pdf] = []
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            first = len(doc.pages)
            for _titolo, data in others:
                sources.append(pikepdf.open(io.BytesIO(data)))
                doc.pages.extend(sources[-1].pages)
            if mark is not None:
                mark_pages(doc, list(doc.pages)[first:], mark)
            out = io.BytesIO()
            # Streams are copied as stored, never decoded: an allegato's page may hold a stream of
            # one megabyte that decodes to a gigabyte, and qpdf would decode it to compress it again.
            doc.save(out, deterministic_id=True, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    except pikepdf.PdfError as exc:
        raise RenderError(_("cannot append the allegati: {reason}").format(reason=exc)) from None
    finally:
        for other in sources:
            other.close()
    return out.getvalue()


def allegati_sha256(act: Act, pdf: bytes) -> list[str | None]:
    """The SHA-256 of each allegato's file as ``pdf`` (the act's rendering) carries it attached;
    None for an allegato without a file, appended as pages, or not found in ``pdf``.

    An attached allegato is the embedded file described "Allegato: <titolo>" whose name is the
    file's (or, for a name two allegati share, that name after a number: see :func:`attachments`).
    """
    from atti.templates.pdfcheck import embedded_files, open_pdf

    found: list[tuple[str, str, str]] = []  # (name, description, sha256)
    try:
        with open_pdf(pdf) as doc:
            for name, desc, data in embedded_files(doc):
                found.append((name, desc, hashlib.sha256(data).hexdigest()))
    except (VerificationError, pikepdf.PdfError):
        return [None] * len(act.allegati)
    out: list[str | None] = []
    for allegato in act.allegati:
        if allegato.file is None or allegato.modo is not ModoAllegato.allegato:
            out.append(None)
            continue
        base = Path(allegato.file).name
        match = next((f for f in found if f[1] == f"Allegato: {allegato.titolo}"
                      and (f[0] == base or f[0].endswith(f"-{base}"))), None)
        if match is not None:
            found.remove(match)
        out.append(match[2] if match is not None else None)
    return out
