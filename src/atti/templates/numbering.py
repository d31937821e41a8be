"""Each list of an act restarts its numbering.

A template loop (``{%p for item in premesse %}``) repeats a paragraph that carries a list style.
Word numbers every paragraph of one list definition as one list, so when a body's template uses
a numbered style, the visti would go on from the last premessa (15, 16, ...) instead of starting
at 1. After rendering, every run of consecutive list paragraphs that reuses a list already seen
gets a list of its own with the same look, restarting at 1.
"""

from __future__ import annotations

from typing import Any

from docx.document import Document
from docx.oxml.ns import qn


def _style_num_id(styles: Any, style_id: str | None) -> int | None:
    """The list a paragraph style numbers with, following ``basedOn`` (as Word does)."""
    seen: set[str] = set()
    while style_id and style_id not in seen:
        seen.add(style_id)
        style = styles.get_by_id(style_id)
        if style is None:
            return None
        ppr = style.pPr
        if ppr is not None and ppr.numPr is not None and ppr.numPr.numId is not None:
            return int(ppr.numPr.numId.val)
        based = style.basedOn
        style_id = based.val if based is not None else None
    return None


_PPR, _NUM_PR, _NUM_ID, _ILVL, _PSTYLE, _VAL = (
    qn(tag) for tag in ("w:pPr", "w:numPr", "w:numId", "w:ilvl", "w:pStyle", "w:val")
)


def _num_id(paragraph: Any, styles: Any, by_style: dict[str | None, int | None]) -> tuple[int | None, int]:
    # Plain lxml lookups: python-docx's typed accessors made this a fifth of rendering a DOCX.
    ppr = paragraph.find(_PPR)
    style_id = None
    if ppr is not None:
        num_pr = ppr.find(_NUM_PR)
        num_id = num_pr.find(_NUM_ID) if num_pr is not None else None
        if num_pr is not None and num_id is not None:
            level = num_pr.find(_ILVL)
            return int(num_id.get(_VAL)), int(level.get(_VAL)) if level is not None else 0
        style = ppr.find(_PSTYLE)
        style_id = style.get(_VAL) if style is not None else None
    if style_id not in by_style:
        by_style[style_id] = _style_num_id(styles, style_id)
    return by_style[style_id], 0


def _is_bullet(numbering: Any, num_id: int) -> bool:
    """A bulleted list has no counter to restart (and most acts' lists are bulleted)."""
    num = numbering.num_having_numId(num_id)
    formats = numbering.xpath(
        f"./w:abstractNum[@w:abstractNumId='{num.abstractNumId.val}']/w:lvl[@w:ilvl='0']/w:numFmt/@w:val"
    )
    return bool(formats == ["bullet"])


def restart_lists(document: Document) -> int:
    """Give every separate run of list paragraphs its own numbering; returns how many got one."""
    part = document.part
    try:
        numbering = part.numbering_part.element
    except NotImplementedError:  # a document without lists has no numbering part
        return 0
    styles = part.styles.element
    seen: set[int] = set()
    current: tuple[int, int] | None = None  # (numId in the template, numId given to this run)
    restarted = 0
    by_style: dict[str | None, int | None] = {}
    bullets: dict[int, bool] = {}
    for paragraph in document.element.body.iterchildren(qn("w:p")):
        num_id, level = _num_id(paragraph, styles, by_style)
        if num_id is None or num_id == 0:  # numId 0 means "no list"
            current = None
            continue
        if num_id not in bullets:
            bullets[num_id] = _is_bullet(numbering, num_id)
        if bullets[num_id]:
            current = None
            continue
        if current is None or current[0] != num_id:
            if num_id in seen:
                template_num = numbering.num_having_numId(num_id)
                fresh = numbering.add_num(template_num.abstractNumId.val)
                fresh.add_lvlOverride(ilvl=0).add_startOverride(1)
                current = (num_id, int(fresh.numId))
                restarted += 1
            else:
                seen.add(num_id)
                current = (num_id, num_id)
        if current[1] != num_id:
            num_pr = paragraph.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = level
            num_pr.get_or_add_numId().val = current[1]
    return restarted
