"""Act -> DOCX (docxtpl) -> PDF/A (LibreOffice).

The template sees a plain context built here, never the model itself, so that a template edited by
an officer cannot call methods; docxtpl renders with autoescape, so the act's text is data: ``<``,
``&``, quotes and ``{{`` come out as written.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jinja2
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.phys_pkg import PhysPkgWriter
from docx.opc.pkgwriter import PackageWriter
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from atti.acts.model import Act, Esito, TipoAtto
from atti.archive.blobs import storage_error, write_atomic
from atti.errors import RenderError
from atti.templates.convert import Converter
from atti.templates.numbering import restart_lists

DICITURA_FIRMA = "Firmato digitalmente ai sensi dell'art. 24 del D. Lgs. 82/2005"


@dataclass(frozen=True)
class RenderedAct:
    docx: Path
    pdf: Path


LOGO_NAMES = ("logo.png", "logo.jpg", "logo.jpeg")
# docx files are zip archives whose entries carry the time they were written; a fixed time makes
# the same act render to the same bytes (1980-01-01 is the earliest time a zip entry can hold).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def packaged_template(tipo: str) -> Path:
    return Path(str(resources.files("atti.templates").joinpath(f"{tipo}.docx")))


def resolve_template(act: Act, template: Path | None = None, templates_dir: Path | None = None) -> Path:
    """The template for an act: an explicit file, else the body's own for its tipo, else ours."""
    if template is not None:
        return template
    if templates_dir is not None:
        own = templates_dir / f"{act.tipo.value}.docx"
        if own.is_file():
            return own
    return packaged_template(act.tipo.value)


def find_logo(templates_dir: Path | None) -> Path | None:
    if templates_dir is None:
        return None
    return next((templates_dir / n for n in LOGO_NAMES if (templates_dir / n).is_file()), None)


def base_name(act: Act) -> str:
    """File name stem, e.g. "determinazione-DO-129-2026" ("...-bozza-2026" for a draft)."""
    register = re.sub(r"[^A-Za-z0-9]+", "", act.registro) or "atti"
    number = str(act.numero) if act.numero is not None else "bozza"
    return f"{act.tipo.value}-{register}-{number}-{act.anno}"


def template_context(act: Act) -> dict[str, Any]:
    """What a template can use; the documentation of the template language's variables."""
    return {
        "ente": {"nome": act.ente.nome, "sito": act.ente.sito or ""},
        "tipo": act.tipo.value,
        "titolo": act.titolo,
        "organo": act.organo,
        "registro": act.registro,
        "numero": act.numero,
        "estremi": act.estremi,
        "data": f"{act.data.day:02d}/{act.data.month:02d}/{act.data.year:04d}",
        "oggetto": act.oggetto,
        "autorita": act.intestazione_autorita,
        "poteri": list(act.poteri),
        "premesse": list(act.premesse),
        "visti": list(act.visti),
        "considerato": list(act.considerato),
        "formula": act.formula,
        "punti": list(act.dispositivo.punti),
        "allegati": [a.titolo for a in act.allegati],
        "proposta": (
            {"struttura": act.proposta.struttura, "firmatario": act.proposta.firmatario or ""}
            if act.proposta else None
        ),
        "firmatario": {"nome": act.firmatario.nome, "qualifica": act.firmatario.qualifica},
        "dicitura_firma": DICITURA_FIRMA,
        "verifiche": [
            {"tipo": v.tipo, "nome": v.nome, "esito": v.esito.value, "positivo": v.esito is Esito.positivo}
            for v in act.verifiche
        ],
    }


class _CompiledTemplates(jinja2.Environment):
    """A Jinja environment that compiles each template part once per process.

    docxtpl compiles every XML part of the DOCX again for every act, which was a third of the
    time of rendering one; a batch renders the same few parts thousands of times.
    """

    _LIMIT = 256

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled: dict[str, jinja2.Template] = {}
        self._lock = threading.Lock()

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> jinja2.Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        with self._lock:
            compiled = self._compiled.get(source)
        if compiled is None:
            compiled = super().from_string(source)
            with self._lock:
                if len(self._compiled) >= self._LIMIT:
                    self._compiled.clear()
                self._compiled[source] = compiled
        return compiled


_JINJA = _CompiledTemplates()


class _DeterministicZip:
    """python-docx's physical package writer, writing entries with fixed times.

    Saving through python-docx and re-zipping with fixed times compressed everything twice,
    which was most of the time of rendering one act; this writes the package once.
    """

    def __init__(self, out: io.BytesIO) -> None:
        # Level 1: a DOCX is small XML; the time matters more than the last few kilobytes.
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        info = zipfile.ZipInfo(pack_uri.membername, date_time=_ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, blob)

    def close(self) -> None:
        self._zip.close()


def _save_deterministic(doc: DocxTemplate) -> bytes:
    """What ``doc.save()`` writes, minus the clock: the same act gives the same bytes."""
    doc.pre_processing()
    package = doc.docx.part.package
    for part in package.parts:
        part.before_marshal()
    out = io.BytesIO()
    zipped = _DeterministicZip(out)
    # Duck-typed: python-docx only calls write() on its physical writer.
    writer = cast(PhysPkgWriter, zipped)
    PackageWriter._write_content_types_stream(writer, package.parts)  # type: ignore[no-untyped-call]
    PackageWriter._write_pkg_rels(writer, package.rels)  # type: ignore[no-untyped-call]
    PackageWriter._write_parts(writer, package.parts)
    zipped.close()
    if doc.crc_to_new_media or doc.crc_to_new_embedded or doc.zipname_to_replace:
        # docxtpl's media replacement runs after a normal save; atti's context never asks for it.
        raise RenderError("the template asks docxtpl to replace media, which atti does not support")
    return out.getvalue()


def render_docx(act: Act, template: Path | None = None, *, templates_dir: Path | None = None) -> bytes:
    """The act as DOCX bytes; the same act and template always give the same bytes."""
    path = resolve_template(act, template, templates_dir)
    if not path.is_file():
        raise RenderError(f"template not found: {path}")
    logo = find_logo(templates_dir)
    try:
        doc = DocxTemplate(str(path))
        context = template_context(act)
        # Without a logo the template's "{%p if logo %}" drops the paragraph entirely.
        context["logo"] = InlineImage(doc, str(logo), height=Mm(18)) if logo else ""
        doc.render(context, jinja_env=_JINJA, autoescape=True)
        restart_lists(doc.docx)
        data = _save_deterministic(doc)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template {path} is broken: {exc.message} (line {exc.lineno} of its XML)") from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {path} is broken: {exc}") from None
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RenderError(f"template {path} is not a usable DOCX file: {exc}") from None
    return data


def render_act(
    act: Act,
    out_dir: Path,
    *,
    template: Path | None = None,
    templates_dir: Path | None = None,
    converter: Converter | None = None,
    source: str | None = None,
    base_dir: Path | None = None,
) -> RenderedAct:
    """Write ``<base>.docx`` and ``<base>.pdf`` into ``out_dir``; nothing is written on failure.

    The PDF is PDF/A-2b, or PDF/A-3b when it carries files: the act's YAML ``source`` and its
    metadata (when ``source`` is given) and the allegati with a file (relative to ``base_dir``);
    PDF/A allegati marked ``accodato`` are appended as pages instead.
    """
    from atti.templates.allegati import append_pages, appended_pdfs, attachments
    from atti.templates.pdfa import attach_files

    docx = render_docx(act, template, templates_dir=templates_dir)
    stem = base_name(act)
    files = attachments(act, stem, source=source, base_dir=base_dir)
    appended = appended_pdfs(act, base_dir)
    owned = converter is None
    conv = converter or Converter()
    try:
        pdf = conv.to_pdf(docx)
    finally:
        if owned:
            conv.close()
    pdf = append_pages(pdf, appended)
    if files:
        pdf = attach_files(pdf, files)
    target = RenderedAct(out_dir / f"{stem}.docx", out_dir / f"{stem}.pdf")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(target.docx, docx)
        write_atomic(target.pdf, pdf)
    except OSError as exc:
        target.docx.unlink(missing_ok=True)
        raise storage_error(exc, str(out_dir)) from None
    return target


def export_templates(dest: Path) -> list[tuple[Path, bool]]:
    """Copy the packaged templates into ``dest`` for a body to edit; never overwrite a file.

    Returns each template's path there and whether it was written now.
    """
    out = []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for tipo in TipoAtto:
            target = dest / f"{tipo.value}.docx"
            if target.exists():
                out.append((target, False))
                continue
            write_atomic(target, packaged_template(tipo.value).read_bytes())
            out.append((target, True))
    except OSError as exc:
        raise storage_error(exc, str(dest)) from None
    return out
