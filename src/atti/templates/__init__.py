"""Rendering: the DOCX templates (package data) and act -> DOCX -> PDF/A."""

from atti.templates.convert import Converter
from atti.templates.render import DICITURA_FIRMA, RenderedAct, render_act, render_docx, template_context

__all__ = ["DICITURA_FIRMA", "Converter", "RenderedAct", "render_act", "render_docx", "template_context"]
