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
from docxtpl import DocxTemplate

from atti.acts.model import Act, Esito
from atti.archive.blobs import storage_error, write_atomic
from atti.errors import RenderError
from atti.templates.convert import Converter

DICITURA_FIRMA = "Firmato digitalmente ai sensi dell'art. 24 del D. Lgs. 82/2005"


@dataclass(frozen=True)
class RenderedAct:
    docx: Path
    pdf: Path


def default_template() -> Path:
    return Path(str(resources.files("atti.templates").joinpath("atto.docx")))


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
        "data": act.data.strftime("%d/%m/%Y"),
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


def render_docx(act: Act, template: Path | None = None) -> bytes:
    """The act as DOCX bytes, from the given template or the default one."""
    path = template or default_template()
    if not path.is_file():
        raise RenderError(f"template not found: {path}")
    try:
        doc = DocxTemplate(str(path))
        doc.render(template_context(act), jinja_env=jinja2.Environment(autoescape=True), autoescape=True)
        out = io.BytesIO()
        doc.save(out)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template {path} is broken: {exc.message} (line {exc.lineno} of its XML)") from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {path} is broken: {exc}") from None
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RenderError(f"template {path} is not a usable DOCX file: {exc}") from None
    return out.getvalue()


def render_act(
    act: Act, out_dir: Path, *, template: Path | None = None, converter: Converter | None = None
) -> RenderedAct:
    """Write ``<base>.docx`` and ``<base>.pdf`` into ``out_dir``; nothing is written on failure."""
    docx = render_docx(act, template)
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
