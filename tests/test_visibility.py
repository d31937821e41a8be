"""One visibility rule for every copy of the data (issue 14): the canary, and search scores.

The canary builds random archives through the library (stand-in PDFs made with pikepdf, no
LibreOffice): published acts, reserved ones, acts sealed from drafts of several versions, drafts
left as drafts, annulments and rectifications between them and citations both ways. Every act
carries a unique marker word (in its oggetto, its text and its PDF), every draft version of a
published act another one that the published text no longer has (its preview PDF a third), and
every hidden act and draft is known by its id. For every role, every route, every download
(each zip member read) and searches for every marker, nothing the role may not see shows up
anywhere: bodies, headers, zip members, XML, JSON. And a hidden act answers exactly what an act
that is not in the archive answers. The expected visibility is written out here from the access
table of docs/web.md, not taken from atti.archive.visibility.
"""

from __future__ import annotations

import io
import random
import re
import string
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from starlette.testclient import TestClient

from atti.acts import load_act_text
from atti.archive import Archive
from atti.archive.search import Filters
from atti.archive.visibility import PUBLIC, Viewer
from atti.config import Settings, load_settings
from atti.web import WebConfig, create_app

from .conftest import EXAMPLE

TEXT = EXAMPLE.read_text(encoding="utf-8")
OGGETTO = "  Approvazione proroga per la presentazione"
PUNTO_2 = "di pubblicare la nuova scadenza nella sezione dedicata al bando sul sito\n      www.unioncamerelombardia.it."
PASSWORD = "parola-d-ordine-1"
# The access table of docs/web.md: (sees reserved acts, sees drafts and versions before publication).
ROLES = {"public": (False, False), "officer": (False, True), "reviewer": (True, True),
         "archivist": (True, False), "admin": (True, True)}
MISSING = {"DO": "DO-2026-9", "bozza": "bozza-9"}  # never given: at most 8 acts and 8 drafts


def pdf(title: str) -> bytes:
    """A one-page PDF whose title (stored uncompressed) is ``title``: found in any copy of it."""
    doc = pikepdf.new()
    doc.add_blank_page()
    doc.docinfo["/Title"] = title
    out = io.BytesIO()
    doc.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def source(numero: int | None, words: str, punto: str, *, riservato: bool, relazione: tuple[str, str] | None) -> str:
    text = TEXT.replace("numero: 129 ", f"numero: {numero} " if numero else "")
    text = text.replace(OGGETTO, f"  Atto {words}", 1).replace(PUNTO_2, punto)
    if riservato:
        text += "\nriservato: true\n"
    if relazione:
        text += f"\nrelazioni:\n  - tipo: {relazione[0]}\n    atto: {relazione[1]}\n"
    return text


@dataclass
class Item:
    """Something a viewer sees or not: the markers that betray it, and what seeing it needs."""

    reserved: bool
    draft: bool  # needs the drafts grant (a draft, or a version before publication)
    markers: set[str] = field(default_factory=set)

    def seen_by(self, role: str) -> bool:
        reserved, drafts = ROLES[role]
        return (reserved or not self.reserved) and (drafts or not self.draft)


@dataclass
class World:
    acts: dict[str, Item] = field(default_factory=dict)  # by id
    versions: list[Item] = field(default_factory=list)  # draft versions of sealed acts

    def forbidden(self, role: str) -> set[str]:
        return {m for item in [*self.acts.values(), *self.versions] if not item.seen_by(role) for m in item.markers}

    def words(self) -> list[str]:
        return sorted(m for item in [*self.acts.values(), *self.versions] for m in item.markers if "-" not in m)


def build(arc: Archive, rng: random.Random) -> World:
    world = World()
    used: set[str] = set()

    def marker() -> str:
        while (word := "zq" + "".join(rng.choices(string.ascii_lowercase, k=8))) in used:
            pass
        used.add(word)
        return word

    sealed: list[tuple[str, bool]] = []  # (id, reserved)
    changed: set[str] = set()
    for numero in range(1, rng.randint(4, 7) + 1):
        reserved = rng.random() < 0.4
        word = marker()
        cited = rng.sample(range(1, 9), k=rng.randint(0, 3))  # earlier, later (drafts never have numbers) or absent
        punto = f"di approvare {word}" + "".join(f" e la Determinazione D.O. n. {n} del 19/05/2026" for n in cited)
        punto += "."
        # A relazione only to an act everyone who sees this one sees: its source names the target.
        targets = [i for i, r in sealed if i not in changed and (reserved or not r)]
        relazione = None
        if targets and rng.random() < 0.5:
            relazione = (rng.choice(["rettifica", "annullamento"]), rng.choice(targets))
            changed.add(relazione[1])
        text = source(numero, word, punto, riservato=reserved, relazione=relazione)
        act = load_act_text(text, "act.yaml", check=False).act
        draft_id = None
        if rng.random() < 0.6:  # sealed from a draft of one to three versions, each with text now gone
            version = Item(reserved=reserved, draft=True)
            for n in range(rng.randint(1, 3)):
                gone = marker()
                version.markers.add(gone)
                draft_text = source(None, f"{word} {gone}", punto.replace(".", f" {gone}."), riservato=reserved,
                                    relazione=relazione)
                draft_act = load_act_text(draft_text, "draft.yaml", check=False).act
                preview = marker() if rng.random() < 0.7 else None
                if preview:
                    version.markers.add(preview)
                record, _ = arc.save_draft(draft_act, draft_text, draft_id=draft_id, docx=b"docx" if preview else None,
                                           pdf=pdf(preview) if preview else None)
                draft_id = record.id
                if n == 0 and rng.random() < 0.5:
                    arc.submit_draft(draft_id)
            version.markers.add(draft_id)
            world.versions.append(version)
        record = arc.seal(act, source=text, docx=b"docx", pdf=pdf(word), firmatario="Fabrizio Ventrice",
                          draft_id=draft_id)
        world.acts[record.id] = Item(reserved=reserved, draft=False, markers={word, record.id})
        sealed.append((record.id, reserved))
    for _ in range(rng.randint(2, 4)):  # drafts that stay drafts
        reserved = rng.random() < 0.5
        word = marker()
        cited = rng.sample([i for i, _ in sealed], k=min(2, len(sealed)))
        punto = f"di valutare {word}" + "".join(f" e la Determinazione D.O. n. {c.rsplit('-', 1)[1]} del 19/05/2026"
                                                for c in cited) + "."
        draft_id = None
        for n in range(rng.randint(1, 3)):
            text = source(None, word, punto.replace(".", f" {n}."), riservato=reserved, relazione=None)
            act = load_act_text(text, "draft.yaml", check=False).act
            rendered = rng.random() < 0.6
            record, _ = arc.save_draft(act, text, draft_id=draft_id, docx=b"docx" if rendered else None,
                                       pdf=pdf(word) if rendered else None)
            draft_id = record.id
        assert draft_id is not None
        world.acts[draft_id] = Item(reserved=reserved, draft=True, markers={word, draft_id})
    return world


def _pattern(marker: str) -> re.Pattern[bytes]:
    # An id must not be found inside a longer one (DO-2026-6 in DO-2026-60, cited by the example).
    return re.compile(rb"(?<![0-9a-z])" + re.escape(marker.lower().encode()) + rb"(?![0-9])")


def leaks(data: bytes, forbidden: set[str]) -> set[str]:
    low = data.lower()
    return {m for m in forbidden if _pattern(m).search(low)}


def headers(response: Any) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in response.headers.items())


def everything(response: Any, query: str = "") -> list[tuple[str, bytes]]:
    """Every part of a response a viewer reads: each header, the body, each member of a zip."""
    parts = [(f"header {k}", f"{k}: {v}".encode()) for k, v in headers(response)]
    body = response.content
    if query:  # the search echoes the query it was asked, a page the URL
        body = body.replace(query.encode(), b"")
    parts.append(("body", body))
    if response.headers.get("content-type", "").startswith("application/zip") and response.status_code == 200:
        with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
            parts += [(f"zip {name}", zf.read(name)) for name in zf.namelist()]
    return parts


def routes(act_id: str) -> list[str]:
    return [f"/atti/{act_id}", f"/api/atti/{act_id}", f"/atti/{act_id}/pdf", f"/atti/{act_id}/pacchetto.zip",
            f"/atti/{act_id}/metadati.xml", f"/atti/{act_id}/anteprima/1.png"]


def signed_in(client: TestClient, role: str) -> TestClient:
    if role != "public":
        page = client.get("/accesso").text
        m = re.search(r'name="csrf" value="([^"]+)"', page)
        assert m
        answer = client.post("/accesso", data={"nome": role, "password": PASSWORD, "csrf": m.group(1)},
                             follow_redirects=False)
        assert answer.status_code == 303, answer.text
    return client


@pytest.fixture(scope="module", params=[7, 2026])
def canary(
    request: pytest.FixtureRequest, archive_location_module: Path | str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path | str, World]:
    """A random archive, one per seed and backend, and what each of its items is."""
    from atti import pipeline
    from atti.web.users import UserStore

    seed = request.param
    location: Path | str
    if isinstance(archive_location_module, Path):
        location = tmp_path_factory.mktemp(f"canary-{seed}") / "archive"
    else:  # a database of its own (the module's S3 bucket is shared: documents are content-addressed)
        location = str(request.getfixturevalue("pg_server").new_database())
    pipeline.init_archive(location)
    with Archive.open(location) as arc:
        world = build(arc, random.Random(seed))
        store = UserStore(arc.state_dir)
    for role in ROLES:
        if role != "public":
            store.add(role, role, PASSWORD)
    return location, world


def test_the_canary_archive_has_everything_to_hide(canary: tuple[Path | str, World]) -> None:
    _, world = canary
    assert any(i.reserved for i in world.acts.values()) or any(i.draft for i in world.acts.values())
    assert world.versions and any(i.draft for i in world.acts.values())
    assert {r: bool(world.forbidden(r)) for r in ROLES} == {
        "public": True, "officer": any(i.reserved for i in [*world.acts.values(), *world.versions]),
        "reviewer": False, "archivist": True, "admin": False,
    }


def body() -> Settings:
    """The environment's settings (a database archive's bucket) with the body's, so that every
    package and metadata file the web serves carries the AgID metadata too."""
    from .test_export import BODY

    return load_settings({**BODY, "classificazione": {"determinazione": "1.6"}})


@pytest.mark.parametrize("role", list(ROLES))
def test_no_marker_of_what_a_role_may_not_see_appears_anywhere(canary: tuple[Path | str, World], role: str) -> None:
    location, world = canary
    forbidden = world.forbidden(role)
    with TestClient(create_app(WebConfig(archive=location, settings=body()))) as client:
        signed_in(client, role)
        seen = 0
        for act_id in [*world.acts, *MISSING.values()]:
            for path in routes(act_id):
                answer = client.get(path)
                seen += answer.status_code == 200
                # The page echoes the URL asked for (a sign-in link back to it): the id asked for is
                # no news; that a hidden act's answer is a missing one's is the next test's.
                for what, data in everything(answer, act_id):
                    assert not leaks(data, forbidden), f"{role} {path} {what}: {leaks(data, forbidden)}"
        assert seen > 0
        metadata = [a for a in world.acts if not world.acts[a].draft and world.acts[a].seen_by(role)]
        assert all(client.get(f"/atti/{a}/metadati.xml").status_code == 200 for a in metadata)  # checked above
        for query in ["", "approvare", "valutare", "determinazione", *world.words()]:
            for path in ("/api/search", "/"):
                answer = client.get(path, params={"q": query})
                assert answer.status_code == 200
                for what, data in everything(answer, query):
                    assert not leaks(data, forbidden), f"{role} {path}?q={query} {what}: {leaks(data, forbidden)}"
            if query in forbidden:
                assert client.get("/api/search", params={"q": query}).json()["total"] == 0


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from .livepki import LivePKI

    pki = LivePKI(tmp_path_factory.mktemp("live-pki"))
    yield pki.tsa_url
    pki.stop()


@pytest.mark.parametrize("role", [r for r in ROLES if ROLES[r] != (True, True)])  # not those who see all
def test_a_pacchetto_di_versamento_carries_nothing_a_role_may_not_see(
    canary: tuple[Path | str, World], role: str, tsa: str, tmp_path: Path
) -> None:
    """A pacchetto di versamento made for a viewer (the whole register's year) holds the acts it
    sees and nothing of the others: not in the index, the report, the metadata or any file."""
    from atti.export.transfer import Selection, export_transfer

    location, world = canary
    forbidden = world.forbidden(role)
    settings = body().model_copy(update={"holder": "Conservatore", "tsa_url": tsa, "development": True})
    with Archive.open(location, settings=settings) as arc:
        result = export_transfer(arc, Selection(registro="D.O.", anno=2026), tmp_path, settings,
                                 viewer=Viewer(*ROLES[role]))
    expected = sorted((a for a, i in world.acts.items() if not i.draft and i.seen_by(role)),
                      key=lambda a: int(a.rsplit("-", 1)[1]))
    assert list(result.acts) == expected
    files = [p for p in result.path.rglob("*") if p.is_file()]
    assert any(p.name == "metadata.xml" for p in files)
    for file in files:
        data = file.read_bytes()
        if file.name.endswith((".p7s", ".tsr")):
            continue  # DER signatures: of the index, checked in its place
        assert not leaks(data, forbidden), f"{role} {file.relative_to(result.path)}: {leaks(data, forbidden)}"


@pytest.mark.parametrize("role", list(ROLES))
def test_a_hidden_act_answers_exactly_as_a_missing_one(canary: tuple[Path | str, World], role: str) -> None:
    location, world = canary
    hidden = [i for i, item in world.acts.items() if not item.seen_by(role)]
    with TestClient(create_app(WebConfig(archive=location))) as client:
        signed_in(client, role)
        for act_id in hidden:
            missing = MISSING["bozza" if act_id.startswith("bozza") else "DO"]
            for path, other in zip(routes(act_id), routes(missing), strict=True):
                a, b = client.get(path), client.get(other)
                assert a.status_code == b.status_code == 404, path
                assert headers(a) == headers(b), path
                assert a.content == b.content.replace(missing.encode(), act_id.encode()), path
    assert hidden or role in ("reviewer", "admin")


def test_versions_before_publication_are_gone_for_a_viewer_without_the_drafts_grant(
    canary: tuple[Path | str, World],
) -> None:
    location, world = canary
    with Archive.open(location) as arc:
        for act_id, item in world.acts.items():
            if item.draft:
                continue
            versions = arc.versions(act_id)
            with TestClient(create_app(WebConfig(archive=location))) as client:
                for role in ("archivist", "admin"):
                    signed_in(client, role)
                    if not world.acts[act_id].seen_by(role):
                        continue
                    shown = [v["version"] for v in client.get(f"/api/atti/{act_id}").json()["versions"]]
                    first = next(v.version for v in versions if v.stato == "pubblicato")
                    expected = [v.version for v in versions if ROLES[role][1] or v.version >= first]
                    assert shown == expected, (role, act_id)


# -- search scores come only from what the viewer may see -------------------------------------------


@pytest.fixture()
def archive(archive_location: Path | str) -> Iterator[Archive]:
    arc, _ = Archive.create(archive_location)
    with arc:
        yield arc


def _seal(arc: Archive, numero: int, words: str, *, riservato: bool = False) -> str:
    text = source(numero, words, f"di approvare {words}.", riservato=riservato, relazione=None)
    act = load_act_text(text, "act.yaml", check=False).act
    return arc.seal(act, source=text, docx=b"docx", pdf=pdf(words), firmatario="Fabrizio Ventrice").id


def _scores(arc: Archive, viewer: Viewer, query: str) -> dict[str, float]:
    return {h.record.id: h.score for h in arc.search(query, filters=viewer.filters(Filters()), limit=50)}


def test_hidden_acts_leave_every_visible_score_unchanged(archive: Archive, archive_location: Path | str) -> None:
    officer, archivist, everyone = Viewer(drafts=True), Viewer(reserved=True), Viewer(reserved=True, drafts=True)
    queries = ("grano", "orzo", "avena segale")

    def scores() -> dict[Viewer, dict[str, dict[str, float]]]:
        return {v: {q: _scores(archive, v, q) for q in queries} for v in (PUBLIC, officer, archivist, everyone)}

    def draft(words: str, *, riservato: bool) -> None:
        text = source(None, words, f"di approvare {words}.", riservato=riservato, relazione=None)
        archive.save_draft(load_act_text(text, "d.yaml", check=False).act, text)

    _seal(archive, 1, "grano orzo grano")
    _seal(archive, 2, "orzo segale avena")
    _seal(archive, 3, "grano avena", riservato=True)
    draft("grano grano segale", riservato=False)
    first = scores()
    assert set(first[PUBLIC]["grano"]) == {"DO-2026-1"} and all(s > 0 for s in first[PUBLIC]["grano"].values())
    assert set(first[officer]["grano"]) == {"DO-2026-1", "bozza-1"}
    assert set(first[archivist]["grano"]) == {"DO-2026-1", "DO-2026-3"}

    _seal(archive, 4, "grano grano orzo avena segale", riservato=True)  # hidden from the public and officers
    second = scores()
    assert second[PUBLIC] == first[PUBLIC] and second[officer] == first[officer]
    assert set(second[archivist]["grano"]) == {"DO-2026-1", "DO-2026-3", "DO-2026-4"}

    draft("orzo orzo avena grano", riservato=False)  # hidden from the public and archivists
    third = scores()
    assert third[PUBLIC] == first[PUBLIC] and third[archivist] == second[archivist]
    assert "bozza-2" in third[officer]["orzo"]

    draft("grano segale avena orzo", riservato=True)  # hidden from all three
    fourth = scores()
    assert fourth[PUBLIC] == first[PUBLIC] and fourth[officer] == third[officer]
    assert fourth[archivist] == second[archivist]
    # A score is the sum of the features of the act itself (atti.archive.query), on both backends:
    # no act, visible or not, moves another's. (The checks above can fail all the same: an act
    # leaking into a view would add its id to that view's scores.)
    assert fourth[everyone]["grano"]["DO-2026-1"] == first[everyone]["grano"]["DO-2026-1"]


def test_a_package_is_built_once_per_viewer_class(
    canary: tuple[Path | str, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from atti.export import package

    location, world = canary
    act_id = next(i for i, item in world.acts.items() if not item.draft and not item.reserved)
    with Archive.open(location) as arc:
        shutil.rmtree(arc.state_dir / "web" / "cache" / "pacchetti", ignore_errors=True)
    built: list[str] = []
    export = package.export_package
    monkeypatch.setattr(package, "export_package", lambda *a, **kw: built.append(a[1]) or export(*a, **kw))
    with TestClient(create_app(WebConfig(archive=location))) as client:
        first = client.get(f"/atti/{act_id}/pacchetto.zip")
        assert first.status_code == 200 and built == [act_id]
        assert client.get(f"/atti/{act_id}/pacchetto.zip").content == first.content
        assert built == [act_id]  # the second download is the cached zip
        signed_in(client, "archivist")
        assert client.get(f"/atti/{act_id}/pacchetto.zip").status_code == 200
        assert built == [act_id, act_id]  # another viewer class, another package


def test_a_public_package_starting_at_publication_imports_with_its_version_numbers(
    canary: tuple[Path | str, World], tmp_path: Path
) -> None:
    """The public's package of an act sealed from a draft has versions from publication on (no
    version 1); importing it keeps their numbers, and each is found by its number."""
    from atti import pipeline
    from atti.archive.integrity import verify_archive
    from atti.errors import ActNotFound
    from atti.export.package import import_package

    location, world = canary
    act_id = next(i for i, item in world.acts.items() if not item.draft and not item.reserved)
    with TestClient(create_app(WebConfig(archive=location))) as client:
        zipped = client.get(f"/atti/{act_id}/pacchetto.zip")
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as zf:
        zf.extractall(tmp_path / "bag")
    (bag,) = (tmp_path / "bag").iterdir()
    with Archive.open(location) as arc:
        versions = arc.versions(act_id)
    first = next(v.version for v in versions if v.stato == "pubblicato")
    published = [v for v in versions if v.version >= first]
    assert first > 1 and versions[0].stato in ("bozza", "firmato")  # versions the public does not see
    target = tmp_path / "imported"
    pipeline.init_archive(target)
    with Archive.open(target) as arc:
        import_package(arc, bag)
        got = arc.versions(act_id)
        assert [(v.version, v.stato, v.pdf) for v in got] == [(v.version, v.stato, v.pdf) for v in published]
        assert arc.version(act_id, got[0].version) == got[0]
        have = rf"\(ha le versioni da {first} a {got[-1].version}\)"
        with pytest.raises(ActNotFound, match=rf"^{act_id} non ha la versione 1 {have}$"):
            arc.version(act_id, 1)
        assert not [f for f in verify_archive(arc, workers=1).findings if f.kind not in ("gap",)]
