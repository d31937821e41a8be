"""A search query is bounded (500 characters, 64 words) in the library, so that every face says
so alike: ``atti search`` with one ``Error:`` line and exit 2, the web with a 400 in Italian
(tests/test_web_headers.py). A 6,000-word query is refused before the catalog does any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from atti import pipeline
from atti.archive import Archive
from atti.archive.search import MAX_QUERY_CHARS, MAX_QUERY_WORDS, check_query, query_size
from atti.errors import SearchError

from .conftest import Atti

LONG = " ".join(["proroga"] * 6000)
BOUNDS = f"cerca con al massimo {MAX_QUERY_CHARS} caratteri e {MAX_QUERY_WORDS} parole"


def test_the_bounds() -> None:
    assert (MAX_QUERY_CHARS, MAX_QUERY_WORDS) == (500, 64)
    assert query_size("x" * 500) is None
    assert query_size("x" * 501) == (501, "characters")
    assert query_size(" ".join(["atto"] * 64)) is None
    assert query_size(" ".join(["a"] * 65)) == (65, "words")
    assert query_size(LONG) == (len(LONG), "characters")
    with pytest.raises(SearchError) as refused:
        check_query(" ".join(["a"] * 65))
    assert refused.value.msg == f"la ricerca ha 65 parole: {BOUNDS}"


class Spy:
    """A catalog that counts the calls it gets."""

    def __init__(self, catalog: object) -> None:
        self.catalog = catalog
        self.calls = 0

    def __getattr__(self, name: str) -> object:
        self.calls += 1
        return getattr(self.catalog, name)


def test_a_query_too_long_reaches_no_catalog(archive_location: Path | str) -> None:
    pipeline.init_archive(archive_location)
    with Archive.open(archive_location) as arc:
        spy = Spy(arc.catalog)
        arc.catalog = spy  # type: ignore[assignment]
        for ask in (lambda: arc.search(LONG), lambda: arc.count(LONG), lambda: arc.facets(LONG)):
            with pytest.raises(SearchError, match=f"^la ricerca ha {len(LONG)} caratteri: {BOUNDS}$"):
                ask()
        assert spy.calls == 0
        assert arc.search(" ".join(["atto"] * 64)) == [] and spy.calls == 1
        arc.catalog = spy.catalog  # type: ignore[assignment]


def test_atti_search_says_it_in_one_line(atti: Atti, tmp_path: Path) -> None:
    pipeline.init_archive(tmp_path / "archive")
    result = atti("search", "--archive", tmp_path / "archive", LONG)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"Errore: la ricerca ha {len(LONG)} caratteri: {BOUNDS}\n")
