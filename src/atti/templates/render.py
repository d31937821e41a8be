"""Act -> DOCX (docxtpl) -> PDF/A (LibreOffice).

The template sees a plain context built here, never the model itself, so that a template edited by
an officer cannot call methods; docxtpl renders with autoescape, so the act's text is data: ``<``,
``&``, quotes and ``{{`` come out as written.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from atti.acts.model import Act, Esito, TipoAtto
from atti.archive.blobs import storage_error, write_atomic
from atti.errors import RenderError
from atti.templates.convert import Converter

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


def _deterministic_zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(item))
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
        doc.render(context, jinja_env=jinja2.Environment(autoescape=True), autoescape=True)
        out = io.BytesIO()
        doc.save(out)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template {path} is broken: {exc.message} (line {exc.lineno} of its XML)") from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {path} is broken: {exc}") from None
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RenderError(f"template {path} is not a usable DOCX file: {exc}") from None
    return _deterministic_zip(out.getvalue())


def render_act(
    act: Act,
    out_dir: Path,
    *,
    template: Path | None = None,
    templates_dir: Path | None = None,
    converter: Converter | None = None,
) -> RenderedAct:
    """Write ``<base>.docx`` and ``<base>.pdf`` into ``out_dir``; nothing is written on failure."""
    docx = render_docx(act, template, templates_dir=templates_dir)
    owned = converter is None
    conv = converter or Converter()
    try:
        pdf = conv.to_pdf(docx)
    finally:
        if owned:
            conv.close()
    stem = base_name(act)
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
