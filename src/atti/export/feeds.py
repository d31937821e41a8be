"""The albo and Amministrazione Trasparente for others: an RSS 2.0 feed following the AlboPOP
specification, a JSON Feed (1.1), and the lists of provvedimenti of art. 23 D.Lgs. 33/2013 per
semester (CSV; the web renders the same rows as HTML).

Every item is made from an :class:`AlboItem`, which holds only what the public may see: the
act's record (whose oggetto is the publication copy's, personal data [omissis]) and its
publication. The caller decides which acts a viewer may see (atti.archive.visibility) and gives
absolute URLs (AlboPOP asks for them everywhere).

AlboPOP (https://albopop.it/specs): channel title "AlboPOP - [tipo pa] - [nome pa]", link (the
feed), description, language, pubDate, webMaster, docs, xhtml:meta robots noindex, categories of
domain ...#channel-category-type and -name; each item title, link (the act's page), description,
pubDate (the official start of publication), guid (the permalink), and categories -uid
("anno/numero" of the albo), -type, -pubStart, -pubEnd, -relStart, -exeStart and -unit; an
enclosure with the public PDF. At most 25 items, newest publication first.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET

from atti.archive.albo import ROME, Publication
from atti.archive.records import ActRecord

SPEC = "http://albopop.it/specs"
XHTML = "http://www.w3.org/1999/xhtml"
CC = "http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html"
MAX_ITEMS = 25  # AlboPOP: "fino a 25"


@dataclass(frozen=True)
class AlboItem:
    record: ActRecord
    publication: Publication
    url: str  # the absolute URL of the publication's page
    pdf_url: str | None  # the public PDF (the publication copy), absolute
    pdf_size: int = 0
    esecutiva_dal: dt.date | None = None

    @property
    def title(self) -> str:
        r = self.record
        return f"{r.tipo.capitalize()} {r.registro} n. {r.numero}/{r.anno} - {r.oggetto}"


@dataclass(frozen=True)
class Channel:
    ente: str
    tipo_ente: str  # "Comune"
    feed_url: str  # absolute
    albo_url: str  # absolute: the albo's page, also the feed's docs
    webmaster: str | None = None
    built: dt.datetime | None = None  # [default: now]


def _rfc822(day: dt.date | dt.datetime) -> str:
    moment = day if isinstance(day, dt.datetime) else dt.datetime.combine(day, dt.time(0), tzinfo=ROME)
    return format_datetime(moment.astimezone(ROME))


def _category(parent: ET.Element, domain: str, text: str) -> None:
    el = ET.SubElement(parent, "category", domain=f"{SPEC}#{domain}")
    el.text = text


def albopop_rss(channel: Channel, items: list[AlboItem]) -> bytes:
    """The RSS 2.0 feed of the albo, as the AlboPOP specification asks (see the module docstring)."""
    ET.register_namespace("xhtml", XHTML)
    ET.register_namespace("creativeCommons", CC)
    rss = ET.Element("rss", version="2.0")
    ch = ET.SubElement(rss, "channel")
    built = channel.built or dt.datetime.now(dt.UTC)
    webmaster = channel.webmaster or f"albo@invalid ({channel.ente})"
    for tag, text in (
        ("title", f"AlboPOP - {channel.tipo_ente} - {channel.ente}"),
        ("link", channel.feed_url),
        ("description", f"RSS feed dell'Albo Pretorio di {channel.ente}"),
        ("language", "it"),
        ("pubDate", _rfc822(built)),
        ("webMaster", webmaster),
        ("docs", channel.albo_url),
    ):
        ET.SubElement(ch, tag).text = text
    # Recommended: the licence of the contents; open data by default, CC BY 4.0 (art. 52 CAD, AgID).
    ET.SubElement(ch, f"{{{CC}}}license").text = "https://creativecommons.org/licenses/by/4.0/"
    ET.SubElement(ch, f"{{{XHTML}}}meta", name="robots", content="noindex")
    _category(ch, "channel-category-country", "Italia")
    _category(ch, "channel-category-type", channel.tipo_ente)
    _category(ch, "channel-category-name", channel.ente)
    ordered = sorted(items, key=lambda i: (i.publication.dal, i.publication.anno, i.publication.numero), reverse=True)
    for it in ordered[:MAX_ITEMS]:
        p, r = it.publication, it.record
        item = ET.SubElement(ch, "item")
        ET.SubElement(item, "title").text = it.title
        ET.SubElement(item, "link").text = it.url
        ET.SubElement(item, "description").text = r.oggetto
        ET.SubElement(item, "pubDate").text = _rfc822(p.dal)
        ET.SubElement(item, "guid", isPermaLink="true").text = it.url
        _category(item, "item-category-uid", f"{p.anno}/{p.numero}")
        _category(item, "item-category-type", r.tipo.capitalize())
        _category(item, "item-category-pubStart", _rfc822(p.dal))
        _category(item, "item-category-pubEnd", _rfc822(p.al))
        _category(item, "item-category-relStart", _rfc822(r.data))
        if it.esecutiva_dal is not None:
            _category(item, "item-category-exeStart", _rfc822(it.esecutiva_dal))
        _category(item, "item-category-unit", r.organo)
        if it.pdf_url:
            ET.SubElement(item, "enclosure", url=it.pdf_url, length=str(it.pdf_size), type="application/pdf")
    body = ET.tostring(rss, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def json_feed(channel: Channel, items: list[AlboItem]) -> bytes:
    """The albo as a JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), with an ``_albo``
    extension per item: the register's number, the period, the esecutività and the act's id."""
    ordered = sorted(items, key=lambda i: (i.publication.dal, i.publication.anno, i.publication.numero), reverse=True)
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"Albo pretorio - {channel.ente}",
        "home_page_url": channel.albo_url,
        "feed_url": channel.feed_url,
        "language": "it",
        "items": [
            {
                "id": it.url,
                "url": it.url,
                "title": it.title,
                "content_text": it.record.oggetto,
                "date_published": dt.datetime.combine(it.publication.dal, dt.time(0), tzinfo=ROME).isoformat(),
                "tags": [it.record.tipo],
                **({"attachments": [{"url": it.pdf_url, "mime_type": "application/pdf",
                                     "size_in_bytes": it.pdf_size}]} if it.pdf_url else {}),
                "_albo": {
                    "anno": it.publication.anno, "numero": it.publication.numero, "act_id": it.record.id,
                    "tipo": it.record.tipo, "data": it.record.data.isoformat(), "organo": it.record.organo,
                    "dal": it.publication.dal.isoformat(), "al": it.publication.al.isoformat(),
                    "esecutiva_dal": it.esecutiva_dal.isoformat() if it.esecutiva_dal else None,
                },
            }
            for it in ordered
        ],
    }
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")


# -- Amministrazione Trasparente: provvedimenti (art. 23 D.Lgs. 33/2013) ----------------------------

# The columns of the list, as the section "Provvedimenti" shows them.
PROVVEDIMENTI_COLUMNS = ("tipo", "numero", "data", "organo", "oggetto", "registro", "id", "url")


def semester(anno: int, semestre: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a semester (1: January-June, 2: July-December)."""
    if semestre == 1:
        return dt.date(anno, 1, 1), dt.date(anno, 6, 30)
    return dt.date(anno, 7, 1), dt.date(anno, 12, 31)


def provvedimenti_rows(records: list[ActRecord], base_url: str) -> list[dict[str, str]]:
    """One row per act (oldest first): what the list of provvedimenti says of it."""
    ordered = sorted(records, key=lambda r: (r.data, r.registro, r.numero or 0))
    return [
        {"tipo": r.tipo, "numero": f"{r.numero}/{r.anno}", "data": r.data.isoformat(), "organo": r.organo,
         "oggetto": r.oggetto, "registro": r.registro, "id": r.id, "url": f"{base_url}/atti/{r.id}"}
        for r in ordered
    ]


def provvedimenti_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PROVVEDIMENTI_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
