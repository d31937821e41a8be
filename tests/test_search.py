"""Search: Italian stemming, numbers, filters alone and combined, snippets, errors, the CLI.

On the example act (sealed through the Archive API with stand-in files, as test_archive does)
and on generated acts checked against a plain-Python reference of what each search must return.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atti.acts import Act, load_act
from atti.archive import ActRecord, Archive, SearchHit, act_id
from atti.archive.search import Filters, hit_snippet, query_stems, snippet, stem, words
from atti.errors import SearchError

from .conftest import EXAMPLE, Atti


@pytest.fixture()
def archive(archive_location: Path | str) -> Iterator[Archive]:
    arc, _ = Archive.create(archive_location)
    with arc:
        yield arc


@pytest.fixture()
def act() -> Act:
    return load_act(EXAMPLE).act


def seal(archive: Archive, act: Act, number: int, **changes: object) -> str:
    act = act.model_copy(update={"numero": number, **changes})
    return archive.seal(act, source="src", docx=b"docx %d" % number, pdf=b"%%PDF-1.7 %d" % number,
                        firmatario=str(changes.pop("signer", "Fabrizio Ventrice"))).id


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.record.id for h in hits]


# -- the example act -------------------------------------------------------------------------------


@pytest.fixture()
def example(archive: Archive, act: Act) -> Archive:
    """The example (D.O. 129/2026, 19/05/2026) and two more acts of other dates and subjects."""
    seal(archive, act, 129)
    seal(archive, act, 130, oggetto="Approvazione graduatoria del bando Export", data=dt.date(2026, 6, 1))
    other = act.dispositivo.model_copy(update={"punti": ["di nominare la commissione di valutazione"]})
    seal(archive, act, 5, oggetto="Nomina commissione", data=dt.date(2025, 3, 1), poteri=[], premesse=["nulla"],
         visti=["nulla"], dispositivo=other)
    return archive


def test_stemming_finds_other_forms(example: Archive) -> None:
    assert ids(example.search("prorogare")) == ["DO-2026-129", "DO-2026-130"]  # the oggetto weighs more
    assert ids(example.search("proroga")) == ids(example.search("prorogare"))
    assert "DO-2026-129" in ids(example.search("determinazioni"))
    assert ids(example.search("nominare commissioni")) == ["DO-2025-5"]


def test_stopwords_do_not_narrow_the_search(example: Archive) -> None:
    assert query_stems("la proroga dei termini") == [stem("proroga"), stem("termini")]
    assert query_stems("della") == [stem("della")]  # only stopwords: the user asked for them
    assert ids(example.search("proroga dei termini")) == ids(example.search("proroga termini"))


def test_exact_number(example: Archive) -> None:
    assert ids(example.search("129/2026")) == ["DO-2026-129"]
    assert ids(example.search("n. 5/2025")) == ["DO-2025-5"]
    assert example.search("129/2025") == []
    assert example.search("129/2026", filters=Filters(registro="D.G.")) == []
    hit = example.search("129/2026")[0]
    assert hit.score > 0 and hit.snippet


def test_snippet_highlights_the_matched_words(example: Archive) -> None:
    hit = example.search("prorogare termini")[0]
    assert "[proroga]" in hit.snippet.lower() or "[prorogare]" in hit.snippet.lower()
    assert "[termini]" in hit.snippet or "[termine]" in hit.snippet
    # Every bracketed word is one the query stems to.
    marked = [w for w in words(hit.snippet) if f"[{w}]" in hit.snippet]
    assert marked and all(stem(w) in {stem("prorogare"), stem("termini")} for w in marked)


def test_empty_results(example: Archive) -> None:
    assert example.search("ornitorinco") == []
    assert example.search("proroga ornitorinco") == []  # every word is required
    with pytest.raises(SearchError, match="non chiuse"):
        example.search("\"unbalanced (")
    assert example.search("proroga", filters=Filters(anno=2019)) == []
    assert example.search("", filters=Filters(tipo="ordinanza")) == []


def test_without_words_newest_first(example: Archive) -> None:
    assert ids(example.search("")) == ["DO-2026-130", "DO-2026-129", "DO-2025-5"]
    assert ids(example.search("  ... ", limit=2)) == ["DO-2026-130", "DO-2026-129"]
    assert ids(example.search("", filters=Filters(anno=2025))) == ["DO-2025-5"]


def test_each_filter_on_the_example(example: Archive) -> None:
    cases: dict[str, Filters] = {
        "register": Filters(registro="D.O."),
        "year": Filters(anno=2026),
        "from": Filters(dal=dt.date(2026, 5, 19)),
        "to": Filters(al=dt.date(2026, 5, 19)),
        "tipo": Filters(tipo="Determinazione"),
        "organo": Filters(organo="direttore"),
        "signer": Filters(firmatario="ventrice"),
        "state": Filters(stato="pubblicato"),
    }
    expected = {
        "register": ["DO-2026-130", "DO-2026-129", "DO-2025-5"],
        "year": ["DO-2026-130", "DO-2026-129"],
        "from": ["DO-2026-130", "DO-2026-129"],
        "to": ["DO-2026-129", "DO-2025-5"],
        "tipo": ["DO-2026-130", "DO-2026-129", "DO-2025-5"],
        "organo": ["DO-2026-130", "DO-2026-129", "DO-2025-5"],
        "signer": ["DO-2026-130", "DO-2026-129", "DO-2025-5"],
        "state": ["DO-2026-130", "DO-2026-129", "DO-2025-5"],
    }
    for name, filters in cases.items():
        assert ids(example.search("", filters=filters)) == expected[name], name
    assert ids(example.search("proroga", filters=Filters(al=dt.date(2026, 5, 31)))) == ["DO-2026-129"]
    assert example.search("", filters=Filters(registro="D.G.")) == []
    assert example.search("", filters=Filters(firmatario="Rossi")) == []
    assert example.search("", filters=Filters(stato="annullato")) == []


def test_reserved_act_is_never_public(example: Archive, act: Act) -> None:
    """With public_only a riservato act is in no result, count, facet or snippet; without, it is."""
    other = act.dispositivo.model_copy(update={"punti": ["di secretare il fascicolo ornitorinco"]})
    secret = seal(example, act, 131, oggetto="Fascicolo ornitorinco riservato", riservato=True,
                  signer="Ugo Segreti", dispositivo=other)
    public = Filters(public_only=True)
    for query in ("ornitorinco", "fascicolo", "131/2026", "secretare", "prorogare", ""):
        found = ids(example.search(query, limit=1000))
        shown = example.search(query, filters=public, limit=1000)
        assert secret not in ids(shown)
        assert example.count(query, public) == len(shown) == len([i for i in found if i != secret])
        assert not any("ornitorinco" in h.snippet or "secretare" in h.snippet for h in shown)
        facets = example.facets(query, public)
        assert ("Ugo Segreti", 1) not in facets["firmatario"]
        assert sum(n for _, n in facets["registro"]) == len(shown)
    assert ids(example.search("ornitorinco")) == [secret] and example.count("ornitorinco") == 1
    assert example.facets("ornitorinco")["firmatario"] == [("Ugo Segreti", 1)]
    assert example.search("ornitorinco", filters=public) == [] and example.count("ornitorinco", public) == 0
    assert example.facets("ornitorinco", public) == {k: [] for k in ("registro", "anno", "tipo", "firmatario", "stato")}
    assert example.get(secret).riservato and not example.get("DO-2026-129").riservato
    # hide_reserved alone: the same for this published act; hide_unpublished alone keeps it.
    assert example.count("ornitorinco", Filters(hide_reserved=True)) == 0
    assert example.count("ornitorinco", Filters(hide_unpublished=True)) == 1


def test_facets_of_the_example(example: Archive) -> None:
    assert example.facets("") == {
        "registro": [("D.O.", 3)], "anno": [("2026", 2), ("2025", 1)], "tipo": [("determinazione", 3)],
        "firmatario": [("Fabrizio Ventrice", 3)], "stato": [("pubblicato", 3)],
    }
    assert example.facets("commissione")["anno"] == [("2025", 1)]
    assert example.facets("ornitorinco")["anno"] == [] and example.count("ornitorinco") == 0
    assert example.count("", Filters(anno=2025)) == 1 and example.count("129/2026") == 1


def test_date_range_edges(archive: Archive, act: Act) -> None:
    for number, day in enumerate((dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2026, 3, 31),
                                  dt.date(2026, 4, 1)), start=1):
        seal(archive, act, number, data=day)
    march = Filters.parse(dal="2026-03-01", al="31/03/2026")
    assert ids(archive.search("", filters=march)) == ["DO-2026-3", "DO-2026-2"]  # both ends included
    assert ids(archive.search("proroga", filters=march)) in (["DO-2026-3", "DO-2026-2"], ["DO-2026-2", "DO-2026-3"])
    one_day = Filters.parse(dal="1/3/2026", al="2026-03-01")
    assert ids(archive.search("", filters=one_day)) == ["DO-2026-2"]
    assert ids(archive.search("", filters=Filters.parse(al="2026-02-28"))) == ["DO-2026-1"]
    assert ids(archive.search("", filters=Filters.parse(dal="2026-04-01"))) == ["DO-2026-4"]
    assert ids(archive.search("", filters=Filters.parse(dal="2026-04-02"))) == []


def test_cites_and_cited_by(atti: Atti, example: Archive, act: Act) -> None:
    # The example cites "Determinazione D.O. n. 273 del 17 novembre 2025" (and DO-2026-130, a copy
    # of it, too); archive that act, as a copy with the same text.
    seal(example, act, 273, data=dt.date(2025, 11, 17))
    cites = Filters(cites="DO-2025-273")
    assert ids(example.search("", filters=cites)) == ["DO-2026-130", "DO-2026-129"]  # not itself
    assert ids(example.search("prorogare", filters=cites)) == ["DO-2026-129", "DO-2026-130"]
    assert ids(example.search("", filters=Filters(cited_by="DO-2026-129"))) == ["DO-2025-273"]
    assert example.search("", filters=Filters(cites="DO-2025-5")) == []
    assert example.search("", filters=Filters(cited_by="DO-2025-5")) == []
    result = atti("search", "--archive", example.location, "--json", "--cites", "DO-2025-273", "--anno", "2026")
    assert result.exit_code == 0 and [h["id"] for h in json.loads(result.stdout)] == ["DO-2026-130", "DO-2026-129"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"dal": "2026-13-01"}, "--dal: '2026-13-01' non è una data; scrivila come AAAA-MM-GG (o GG/MM/AAAA)"),
        ({"al": "30/02/2026"}, "--al: '30/02/2026' non è una data; scrivila come AAAA-MM-GG (o GG/MM/AAAA)"),
        ({"dal": "ieri"}, "--dal: 'ieri' non è una data; scrivila come AAAA-MM-GG (o GG/MM/AAAA)"),
        ({"dal": "2026-05-02", "al": "2026-05-01"}, "--dal 2026-05-02 è successivo a --al 2026-05-01"),
        ({"anno": 26}, "--anno: 26 non è un anno"),
    ],
)
def test_bad_filter_values(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SearchError) as info:
        Filters.parse(**raw)  # type: ignore[arg-type]
    assert str(info.value) == message and info.value.exit_code == 2


def test_empty_filter_values_mean_no_filter() -> None:
    assert Filters.parse(registro="", dal=" ", tipo="", firmatario="") == Filters()


# -- snippets ----------------------------------------------------------------------------------------


def test_snippet_window_and_marks() -> None:
    text = "parole " * 40 + "la proroga dei termini " + "altre " * 40
    out = snippet(text, "prorogare termini", mark=("[", "]"))
    assert "la [proroga] dei [termini] altre" in out and out.startswith("…") and out.endswith("…")
    assert not out.startswith("… ") and "pa role" not in out  # cut between whole words
    # The window with the most of the query's words wins over the first hit.
    far = "termini isolati " + "x " * 200 + "proroga dei termini " + "y " * 200
    assert "[proroga] dei [termini]" in snippet(far, "proroga termini", mark=("[", "]"))
    assert snippet("nessuna corrispondenza qui", "proroga") == "nessuna corrispondenza qui"
    assert snippet("Città di Milano", "citta", mark=("<", ">")) == "<Città> di Milano"  # accents folded


def test_hit_snippet_falls_back_to_the_oggetto() -> None:
    assert hit_snippet("Proroga del bando", "testo senza la parola", "prorogare") == "[Proroga] del bando"
    assert hit_snippet("Proroga", "si dispone la proroga", "prorogare") == "si dispone la [proroga]"


# -- generated acts against a reference ------------------------------------------------------------

_TEXT = (
    "proroga prorogare termini bando contributi imprese graduatoria approvazione nomina commissione"
    " liquidazione fattura servizio affidamento incarico convenzione progetto finanziamento acquisto"
    " fornitura rimborso spese revoca rettifica impegno bilancio variazione accordo città"
)
_WORDS = _TEXT.split()
_REGISTERS = ("D.O.", "D.G.", "D.C.")
_TIPI = ("determinazione", "delibera", "decreto")
_ORGANI = ("Direttore Operativo", "Segretario Generale", "Giunta")
_SIGNERS = ("Fabrizio Ventrice", "Maria Rossi", "Giovanni Bianchi")
_STATES = ("pubblicato", "annullato")
_RESERVED_EVERY = 6  # every sixth generated act is riservato


@pytest.fixture(scope="module")
def generated(archive_location_module: Path | str) -> Iterator[Generated]:
    """120 acts with random fields and text, inserted through the catalog API like the bench."""
    arc, _ = Archive.create(archive_location_module)
    with arc:
        yield from _fill(arc)


class Generated(list[tuple[ActRecord, str]]):
    """The generated acts (with a short repr: hypothesis prints its arguments on failure)."""

    def __init__(self, arc: Archive) -> None:
        super().__init__()
        self.arc = arc

    def __repr__(self) -> str:
        return f"<{len(self)} generated acts>"


def _fill(arc: Archive) -> Iterator[Generated]:
    rng = random.Random(5)
    refs = [arc.blobs.put(b"%PDF-1.7 fake " + ext.encode(), ext) for ext in ("yaml", "docx", "pdf")]
    acts = Generated(arc)
    counters: dict[tuple[str, int], int] = {}
    with arc.catalog.transaction():
        for i in range(120):
            register, year = rng.choice(_REGISTERS), rng.randint(2024, 2026)
            number = counters[register, year] = counters.get((register, year), 0) + 1
            record = ActRecord(
                id=act_id(register, year, number), registro=register, anno=year, numero=number,
                tipo=rng.choice(_TIPI), organo=rng.choice(_ORGANI),
                data=dt.date(year, rng.randint(1, 12), rng.randint(1, 28)), ente="Ente",
                oggetto=" ".join(rng.choices(_WORDS, k=4)).capitalize(), firmatario=rng.choice(_SIGNERS),
                stato=_STATES[i % 7 == 0], source=refs[0], docx=refs[1], pdf=refs[2], created_at="2026-01-01",
                riservato=i % _RESERVED_EVERY == 1,
            )
            body = " ".join(rng.choices(_WORDS, k=12))
            arc.catalog.insert_act(record, body)
            acts.append((record, body))
    yield acts


def _expected(acts: list[tuple[ActRecord, str]], query: str, f: Filters) -> set[str]:
    wanted = set(query_stems(query))
    out = set()
    for r, body in acts:
        have = {stem(w) for w in words(f"{r.oggetto} {body}")}
        if (
            wanted <= have
            and f.registro in (None, r.registro)
            and f.anno in (None, r.anno)
            and (f.dal is None or r.data >= f.dal)
            and (f.al is None or r.data <= f.al)
            and (f.tipo is None or f.tipo.lower() == r.tipo)
            and (f.organo is None or f.organo.lower() in r.organo.lower())
            and (f.firmatario is None or f.firmatario.lower() in r.firmatario.lower())
            and (f.stato is None or f.stato == r.stato)
            and not ((f.public_only or f.hide_reserved) and r.riservato)
        ):
            out.add(r.id)
    return out


_dates = st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
def _ordered(dal: dt.date | None, al: dt.date | None, **others: object) -> Filters:
    if dal and al and dal > al:
        dal, al = al, dal
    return Filters(dal=dal, al=al, **others)  # type: ignore[arg-type]


_filters = st.builds(
    _ordered,
    registro=st.none() | st.sampled_from(_REGISTERS),
    anno=st.none() | st.integers(2024, 2026),
    dal=st.none() | _dates,
    al=st.none() | _dates,
    tipo=st.none() | st.sampled_from([*_TIPI, "DELIBERA"]),
    organo=st.none() | st.sampled_from(["direttore", "Generale", "Giunta"]),
    firmatario=st.none() | st.sampled_from(["Ventrice", "maria", "Bianchi"]),
    stato=st.none() | st.sampled_from(_STATES),
    public_only=st.booleans(),
    hide_reserved=st.booleans(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.sampled_from(_WORDS), max_size=2).map(" ".join), filters=_filters)
def test_generated_filters_alone_and_combined(
    generated: Generated, query: str, filters: Filters
) -> None:
    arc, acts = generated.arc, generated
    hits = arc.search(query, filters=filters, limit=1000)
    assert set(ids(hits)) == _expected(acts, query, filters)
    assert len(ids(hits)) == len(set(ids(hits)))
    assert arc.count(query, filters) == len(hits)
    facets = arc.facets(query, filters)
    assert list(facets) == ["registro", "anno", "tipo", "firmatario", "stato"]
    for name, values in facets.items():
        assert sum(n for _, n in values) == len(hits), name
        expected: dict[str, int] = {}
        for h in hits:
            key = str(getattr(h.record, name))
            expected[key] = expected.get(key, 0) + 1
        assert values == sorted(expected.items(), key=lambda kv: (-kv[1], kv[0])), name
    if query:
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)  # best first
        assert all("[" in h.snippet for h in hits)
    else:
        keys = [(h.record.data, h.record.numero) for h in hits]
        assert keys == sorted(keys, reverse=True)  # newest first


def test_generated_limit_keeps_the_best(generated: Generated) -> None:
    arc = generated.arc
    every = arc.search("proroga", limit=1000)
    assert len(every) > 5
    assert [h.score for h in arc.search("proroga", limit=5)] == [h.score for h in every[:5]]


def test_generated_broad_query(generated: Generated, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past RANK_ALL_UP_TO matches: the acts with the words in the oggetto, ranked, then the rest
    most recently archived first; the same acts either way."""
    arc, acts = generated.arc, generated
    exact = arc.search("proroga servizio", limit=1000)
    monkeypatch.setattr("atti.archive.search.RANK_ALL_UP_TO", 3)
    broad = arc.search("proroga servizio", limit=1000)
    assert len(broad) > 3 and set(ids(broad)) == set(ids(exact)) == _expected(acts, "proroga servizio", Filters())
    wanted = set(query_stems("proroga servizio"))
    in_oggetto = [wanted <= {stem(w) for w in words(h.record.oggetto)} for h in broad]
    assert any(in_oggetto) and not all(in_oggetto)
    assert in_oggetto == sorted(in_oggetto, reverse=True)  # oggetto matches first
    order = [r.id for r, _ in acts]
    rest = [order.index(h.record.id) for h, first in zip(broad, in_oggetto, strict=True) if not first]
    assert rest == sorted(rest, reverse=True)  # then newest archived first
    assert ids(arc.search("proroga servizio", limit=2)) == ids(broad)[:2]
    some = arc.search("proroga servizio", filters=Filters(anno=2025), limit=1000)
    assert set(ids(some)) == _expected(acts, "proroga servizio", Filters(anno=2025))


@pytest.mark.parametrize("broad", [False, True])
@pytest.mark.parametrize("query", ["proroga servizio", "", "progetto"])
def test_generated_pages(generated: Generated, monkeypatch: pytest.MonkeyPatch, query: str, broad: bool) -> None:
    """Pages of any size, one after the other, give the whole list in its order, once each."""
    if broad:
        monkeypatch.setattr("atti.archive.search.RANK_ALL_UP_TO", 3)
    arc = generated.arc
    every = ids(arc.search(query, limit=1000))
    assert len(every) > 7 and arc.count(query) == len(every)
    for size in (1, 3, 7):
        pages = [ids(arc.search(query, limit=size, offset=start)) for start in range(0, len(every) + size, size)]
        assert all(len(p) == size for p in pages[:-2]) and pages[-1] == []
        assert [i for p in pages for i in p] == every
    public = Filters(public_only=True)
    shown = ids(arc.search(query, filters=public, limit=1000))
    assert ids(arc.search(query, filters=public, limit=4, offset=4)) == shown[4:8]
    assert arc.count(query, public) == len(shown) < len(every)


def test_generated_numbers(generated: Generated) -> None:
    arc, acts = generated.arc, generated
    for record, _ in acts[:20]:
        found = arc.search(f"{record.numero}/{record.anno}", filters=Filters(registro=record.registro))
        assert ids(found) == [record.id]
        same = {r.id for r, _ in acts if (r.numero, r.anno) == (record.numero, record.anno)}
        assert set(ids(arc.search(f"{record.numero}/{record.anno}"))) == same


# -- the command line ------------------------------------------------------------------------------


def test_cli_json_keys_and_filters(atti: Atti, example: Archive) -> None:
    root = str(example.location)
    result = atti("search", "prorogare", "--archive", root, "--json")
    hits = json.loads(result.stdout)
    assert result.exit_code == 0 and [h["id"] for h in hits] == ["DO-2026-129", "DO-2026-130"]
    keys = {"id", "registro", "anno", "numero", "oggetto", "snippet", "score", "data", "tipo", "firmatario"}
    assert keys <= set(hits[0])
    assert hits[0]["data"] == "2026-05-19" and hits[0]["score"] >= hits[1]["score"] >= 0 and "[" in hits[0]["snippet"]
    filtered = atti("search", "--archive", root, "--json", "--dal", "2026-01-01", "--al", "19/05/2026", "--tipo",
                    "determinazione", "--firmatario", "Ventrice", "--organo", "Direttore", "--stato", "pubblicato",
                    "--registro", "D.O.", "--anno", "2026")
    assert filtered.exit_code == 0 and [h["id"] for h in json.loads(filtered.stdout)] == ["DO-2026-129"]
    listed = atti("search", "--archive", root)
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[0].startswith("DO-2026-130  01/06/2026  Approvazione graduatoria")
    none = atti("search", "ornitorinco", "--archive", root)
    assert (none.exit_code, none.stdout, none.stderr) == (0, "Nessun atto trovato.\n", "")


def test_cli_bad_date_is_one_error_exit_2(atti: Atti, example: Archive) -> None:
    bad = atti("search", "proroga", "--archive", example.location, "--dal", "2026-02-30")
    assert (bad.exit_code, bad.stdout) == (2, "")
    assert bad.stderr == "Errore: --dal: '2026-02-30' non è una data; scrivila come AAAA-MM-GG (o GG/MM/AAAA)\n"
    backwards = atti("search", "--archive", example.location, "--dal", "2026-06-01", "--al", "2026-01-01")
    assert (backwards.exit_code, backwards.stderr) == (2, "Errore: --dal 2026-06-01 è successivo a --al 2026-01-01\n")


def test_cli_public_and_offset(atti: Atti, example: Archive, act: Act) -> None:
    seal(example, act, 131, oggetto="Proroga riservata", riservato=True)
    root = str(example.location)
    result = atti("search", "proroga", "--archive", root, "--json")
    every = [h["id"] for h in json.loads(result.stdout)]
    assert result.exit_code == 0 and "DO-2026-131" in every and len(every) == 3
    public = atti("search", "proroga", "--archive", root, "--json", "--public")
    assert public.exit_code == 0
    assert [h["id"] for h in json.loads(public.stdout)] == [i for i in every if i != "DO-2026-131"]
    page = atti("search", "proroga", "--archive", root, "--json", "--limit", "1", "--offset", "1")
    assert page.exit_code == 0 and [h["id"] for h in json.loads(page.stdout)] == every[1:2]
    negative = atti("search", "proroga", "--archive", root, "--offset", "-1")
    assert negative.exit_code == 2 and "Valore non valido per '--offset'" in negative.stderr
