"""Rendering: the DOCX templates (package data), act -> DOCX -> PDF/A through LibreOffice, and the
inspection of PDFs (PDF/A checks, comparison, proof that a PDF says what the act says)."""

from atti.templates.convert import Converter
from atti.templates.render import BOZZA, DICITURA_FIRMA, RenderedAct, render_act, render_docx, template_context

__all__ = ["BOZZA", "DICITURA_FIRMA", "Converter", "RenderedAct", "render_act", "render_docx", "template_context"]
