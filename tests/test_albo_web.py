"""The public albo on the web, its feeds and the provvedimenti lists, and the personal-data canary
(issue 20), on both backends.

The archive is built through the library with stand-in PDFs (pikepdf, no LibreOffice): a delibera
that marks a private person's data, with a publication copy; one that marks personal data and has
no copy yet; a reserved act; an act without personal data; all but the reserved one on the albo.
The original PDF of each act that marks personal data carries the canaries in its metadata and
its source carries them in its text. No public output (pages, API, feeds, search results and
snippets, packages, metadata, provvedimenti) may contain any of them; a signed-in officer reads
the full text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pikepdf
import pytest
from starlette.testclient import TestClient

from atti import pipeline
from atti.acts import load_act_text
from atti.archive import Archive, albo
from atti.archive.records import BlobRef
from atti.errors import ArchiveError
from atti.web import WebConfig, create_app
from atti.web.users import UserStore

from .conftest import EXAMPLE

NAME, CF, ADDRESS = "Ottavio Canarinetti", "CNRTTV80A01F205X", "via dei Canarini 17"
CANARIES = (NAME, CF, ADDRESS, "Canarinetti", "Canarini")
RESERVED_WORD = "zqriservatissimo"
PASSWORD = "parola-d-ordine-1"
SPEC = "http://albopop.it/specs#"


def pdf(title: str) -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page()
    doc.docinfo["/Title"] = title
    out = io.BytesIO()
    doc.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def title_of(data: bytes) -> str:
    with pikepdf.open(io.BytesIO(data)) as doc:
        return str(doc.docinfo["/Title"])


def act_text(numero: int, tipo: str, *, personal: bool, riservato: bool = False, oggetto: str = "") -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("tipo: determinazione ", f"tipo: {tipo} ").replace("numero: 129 ", f"numero: {numero} ")
    if oggetto:
        text = text.replace("  Approvazione proroga per la presentazione", f"  {oggetto}", 1)
    if personal:
        text = text.replace("  Approvazione proroga per la presentazione", f"  Contributo al sig. [[{NAME}]] e proroga",
                            1)
        text = text.replace("  - con Determinazione D.O. n. 296",
                            f"  - vista l'istanza del sig. [[{NAME}]], c.f. [[{CF}]], residente in [[{ADDRESS}]];\n"
                            "  - con Determinazione D.O. n. 296")
    if riservato:
        text += "\nriservato: true\n"
    return text


@pytest.fixture()
def world(archive_location: Path | str) -> tuple[Path | str, dict[str, str], int]:
    """The archive, its acts by role in the story, and the albo's year."""
    pipeline.init_archive(archive_location)
    ids: dict[str, str] = {}
    with Archive.open(archive_location) as arc:
        for numero, (name, tipo, personal, riservato) in enumerate([
            ("copia", "delibera", True, False), ("senza-copia", "delibera", True, False),
            ("riservato", "decreto", False, True), ("pulito", "determinazione", False, False),
        ], start=1):
            text = act_text(numero, tipo, personal=personal, riservato=riservato,
                            oggetto=RESERVED_WORD if riservato else "")
            act = load_act_text(text, "act.yaml", check=False).act
            title = f"originale {NAME} {CF}" if personal else f"originale {name}"
            record = arc.seal(act, source=text, docx=b"docx", pdf=pdf(title), firmatario="Fabrizio Ventrice")
            ids[name] = record.id
        albo.add_publication_copy(arc, ids["copia"], pdf("copia per la pubblicazione [omissis]"))
        with pytest.raises(ArchiveError, match="non ha una copia per la pubblicazione"):
            albo.publish(arc, ids["senza-copia"])
        with pytest.raises(ArchiveError, match="riservato"):
            albo.publish(arc, ids["riservato"])
        first = albo.publish(arc, ids["copia"], actor="messo")
        albo.publish(arc, ids["pulito"], giorni=30)
        store = UserStore(arc.state_dir)
    store.add("officer", "officer", PASSWORD)
    return archive_location, ids, first.anno


def signed_in(client: TestClient, role: str) -> None:
    page = client.get("/accesso").text
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m
    answer = client.post("/accesso", data={"nome": role, "password": PASSWORD, "csrf": m.group(1)},
                         follow_redirects=False)
    assert answer.status_code == 303


def parts(response: Any) -> list[tuple[str, bytes]]:
    out = [(f"header {k}", f"{k}: {v}".encode()) for k, v in response.headers.items()]
    out.append(("body", response.content))
    if response.headers.get("content-type", "").startswith("application/zip") and response.status_code == 200:
        with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
            out += [(f"zip {n}", zf.read(n)) for n in zf.namelist()]
    return out


def leaked(data: bytes, words: tuple[str, ...]) -> list[str]:
    text = b" ".join(data.split()).lower()
    return [w for w in words if w.lower().encode() in text]


def public_paths(ids: dict[str, str], anno: int) -> list[str]:
    paths = ["/albo", "/albo?elenco=registro", "/albo?tipo=delibera&q=contributo", f"/albo/{anno}/1",
             f"/albo/{anno}/2", "/albo/feed.rss", "/albo/feed.json", "/api/albo", "/trasparenza/provvedimenti",
             "/trasparenza/provvedimenti/2026-1.html", "/trasparenza/provvedimenti/2026-1.csv"]
    for act_id in ids.values():
        paths += [f"/atti/{act_id}", f"/api/atti/{act_id}", f"/atti/{act_id}/pdf", f"/atti/{act_id}/pacchetto.zip",
                  f"/atti/{act_id}/metadati.xml"]
    for q in ["", "contributo", "istanza", "Canarinetti", "omissis", CF, "residente", RESERVED_WORD]:
        paths += [f"/api/search?q={q}", f"/?q={q}"]
    return paths


def test_no_personal_data_nor_reserved_act_in_any_public_output(
    world: tuple[Path | str, dict[str, str], int], tmp_path: Path,
) -> None:
    location, ids, anno = world
    with TestClient(create_app(WebConfig(archive=location))) as client:
        served = 0
        for path in public_paths(ids, anno):
            answer = client.get(path)
            served += answer.status_code == 200
            query = path.partition("q=")[2].partition("&")[0].encode()
            for what, data in parts(answer):
                if what == "body":
                    # A page echoes the URL asked for (its sign-in link), and a search what it was asked.
                    data = data.replace(path.split("?")[0].encode(), b"")
                    data = data.replace(query, b"") if query else data
                assert not leaked(data, CANARIES), f"{path} {what}: {leaked(data, CANARIES)}"
                assert not leaked(data, (RESERVED_WORD, ids["riservato"])), f"{path} {what}"
        assert served > 20
        # What is there for the public is the publication copy: its PDF, its text.
        assert title_of(client.get(f"/atti/{ids['copia']}/pdf").content) == "copia per la pubblicazione [omissis]"
        page = client.get(f"/atti/{ids['copia']}").text
        assert "[omissis]" in page and "Copia per la pubblicazione" in page
        # Without a copy, the public gets no PDF nor package rather than the original's.
        for kind in ("pdf", "pacchetto.zip", "metadati.xml"):
            assert client.get(f"/atti/{ids['senza-copia']}/{kind}").status_code == 404
        # With one, the package is the publication copy's: its source [omissis], its PDF, no DOCX.
        bag = client.get(f"/atti/{ids['copia']}/pacchetto.zip")
        assert bag.status_code == 200
        with zipfile.ZipFile(io.BytesIO(bag.content)) as zf:
            data = {n.partition("/data/")[2]: zf.read(n) for n in zf.namelist() if "/data/" in n}
        act_id = ids["copia"]
        assert title_of(data[f"{act_id}.pdf"]) == "copia per la pubblicazione [omissis]"
        assert b"[omissis]" in data[f"{act_id}.yaml"] and data[f"{act_id}.docx"] == b""
        assert not [n for n in data if n.startswith("versions/")]
        # It is a valid package: it imports elsewhere as the publication copy.
        with zipfile.ZipFile(io.BytesIO(bag.content)) as zf:
            zf.extractall(tmp_path / "bag")
        pipeline.init_archive(tmp_path / "other")
        with Archive.open(tmp_path / "other") as other:
            imported = pipeline.import_package(other, tmp_path / "bag" / act_id)
            assert imported.pdf == BlobRef(hashlib.sha256(data[f"{act_id}.pdf"]).hexdigest(), "pdf")
            assert not leaked(other.blobs.get(imported.source), CANARIES)
        # An act without personal data is served whole.
        assert title_of(client.get(f"/atti/{ids['pulito']}/pdf").content) == "originale pulito"
        assert client.get(f"/atti/{ids['pulito']}/pacchetto.zip").status_code == 200
        # The search finds the act by its other words, and never by the omitted ones.
        assert client.get("/api/search", params={"q": "Canarinetti"}).json()["total"] == 0
        assert client.get("/api/search", params={"q": "istanza"}).json()["total"] == 2

        # A signed-in officer reads the full text and the original.
        signed_in(client, "officer")
        page = client.get(f"/atti/{ids['copia']}").text
        assert NAME in page and CF in page
        assert title_of(client.get(f"/atti/{ids['copia']}/pdf").content) == f"originale {NAME} {CF}"


def test_the_albo_page_lists_acts_in_publication_with_stable_urls(
    world: tuple[Path | str, dict[str, str], int],
) -> None:
    location, ids, anno = world
    with TestClient(create_app(WebConfig(archive=location))) as client:
        page = client.get("/albo")
        assert page.status_code == 200 and '<html lang="it">' in page.text
        assert '<label for="q">' in page.text and '<label for="tipo">' in page.text
        for act in ("copia", "pulito"):
            assert f'href="/atti/{ids[act]}"' in page.text
        assert f'href="/albo/{anno}/1"' in page.text and f'href="/albo/{anno}/2"' in page.text
        only = client.get("/albo", params={"tipo": "determinazione"}).text
        assert f'href="/atti/{ids["pulito"]}"' in only and f'href="/atti/{ids["copia"]}"' not in only
        pub = client.get(f"/albo/{anno}/1").text
        today = albo.today()
        assert f"dal {today:%d/%m/%Y} al {today + dt.timedelta(days=14):%d/%m/%Y}" in pub
        # A delibera: executive from the 11th day of its publication.
        assert f"esecutivo dal {today + dt.timedelta(days=10):%d/%m/%Y}" in pub
        assert "non ancora rilasciato" in pub
        assert client.get(f"/albo/{anno}/3").status_code == 404
        assert client.get(f"/albo/{anno}/1/attestato.pdf").status_code == 404  # not made yet
        api = client.get(f"/api/atti/{ids['copia']}").json()
        assert api["esecutivita"]["dal"] == (today + dt.timedelta(days=10)).isoformat()
        assert [(p["numero"], p["stato"]) for p in api["albo"]] == [(1, "in pubblicazione")]
        listed = client.get("/api/albo").json()["pubblicazioni"]
        assert [(p["numero"], p["act_id"]) for p in listed] == [(2, ids["pulito"]), (1, ids["copia"])]
    with Archive.open(location) as arc:
        albo.annul(arc, anno, 1, "pubblicato per errore")
    with TestClient(create_app(WebConfig(archive=location))) as client:
        assert f'href="/atti/{ids["copia"]}"' not in client.get("/albo").text
        register = client.get("/albo", params={"elenco": "registro"}).text
        assert "annullata: pubblicato per errore" in register


def test_the_rss_feed_has_every_field_albopop_and_rss_2_require(
    world: tuple[Path | str, dict[str, str], int],
) -> None:
    location, _ids, anno = world
    with TestClient(create_app(WebConfig(archive=location))) as client:
        answer = client.get("/albo/feed.rss")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/rss+xml")
    assert answer.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    rss = ET.fromstring(answer.content)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    [channel] = list(rss)
    assert channel.tag == "channel" and not channel.attrib
    # RSS 2.0: title, link and description are required of a channel; AlboPOP adds the rest.
    for tag in ("title", "link", "description", "language", "pubDate", "webMaster", "docs"):
        assert (channel.findtext(tag) or "").strip(), tag
    ente = "Unioncamere Lombardia"
    assert channel.findtext("title") == f"AlboPOP - Comune - {ente}"
    assert channel.findtext("link") == "http://testserver/albo/feed.rss"
    assert channel.findtext("language") == "it"
    meta = channel.find("{http://www.w3.org/1999/xhtml}meta")
    assert meta is not None and (meta.get("name"), meta.get("content")) == ("robots", "noindex")
    licence = channel.findtext("{http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html}license")
    assert licence == "https://creativecommons.org/licenses/by/4.0/"
    categories = {c.get("domain"): c.text for c in channel.findall("category")}
    assert categories[SPEC + "channel-category-country"] == "Italia"
    assert categories[SPEC + "channel-category-type"] == "Comune"
    assert categories[SPEC + "channel-category-name"] == ente
    items = channel.findall("item")
    assert len(items) == 2
    for item in items:
        for tag in ("title", "link", "description", "pubDate", "guid"):
            assert (item.findtext(tag) or "").strip(), tag
        assert item.findtext("link", "").startswith("http://testserver/albo/")  # absolute, to a page
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "true" and guid.text == item.findtext("link")
        cats = {c.get("domain"): c.text for c in item.findall("category")}
        assert re.fullmatch(rf"{anno}/\d+", cats[SPEC + "item-category-uid"] or "")
        for domain in ("type", "pubStart", "pubEnd", "unit"):
            assert cats.get(SPEC + f"item-category-{domain}"), domain
        enclosure = item.find("enclosure")
        assert enclosure is not None and enclosure.get("type") == "application/pdf"
        assert (enclosure.get("url") or "").startswith("http://")
        for date in (item.findtext("pubDate"), cats[SPEC + "item-category-pubEnd"]):
            assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", date or "")
    uids = [c.text for i in items for c in i.findall("category") if c.get("domain") == SPEC + "item-category-uid"]
    assert uids == [f"{anno}/2", f"{anno}/1"]  # newest publication first


def test_the_json_feed_and_the_provvedimenti_lists(world: tuple[Path | str, dict[str, str], int]) -> None:
    location, ids, _anno = world
    with TestClient(create_app(WebConfig(archive=location))) as client:
        feed = client.get("/albo/feed.json").json()
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert [i["_albo"]["act_id"] for i in feed["items"]] == [ids["pulito"], ids["copia"]]
        assert all(i["url"].startswith("http://testserver/albo/") for i in feed["items"])
        csv_text = client.get("/trasparenza/provvedimenti/2026-1.csv").text
        lines = csv_text.splitlines()
        assert lines[0] == "tipo,numero,data,organo,oggetto,registro,id,url"
        # Every public act of the semester (the reserved one not), with the publication copy's oggetto.
        assert sorted(line.split(",")[6] for line in lines[1:] if "," in line and not line.startswith("tipo")) == \
            sorted([ids["copia"], ids["senza-copia"], ids["pulito"]])
        html = client.get("/trasparenza/provvedimenti/2026-1.html")
        assert html.status_code == 200 and "<caption>Provvedimenti del 1° semestre 2026</caption>" in html.text
        assert client.get("/trasparenza/provvedimenti/2026-2.html").status_code == 200
        assert client.get("/trasparenza/provvedimenti/2026-3.html").status_code == 404
