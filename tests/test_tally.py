"""Count and facets of a search: the one grouped pass behind them, both of its ways, and its cache.

A text query matching many acts is tallied over the acts_by_facets index, one matching few over
the matches' rows (``search.TALLY_ROWS_UP_TO``); the generated acts of test_search match few, so
here the threshold is 0 and every text query takes the index, checked against the same
plain-Python reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atti.acts import Act, load_act
from atti.archive import Archive, search
from atti.archive.search import Filters

from .conftest import EXAMPLE
from .test_search import _WORDS, Generated, _expected, _fill, _filters, seal


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    arc, _ = Archive.create(tmp_path_factory.mktemp("tally") / "archive")
    with arc:
        yield from _fill(arc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=2).map(" ".join), filters=_filters)
def test_broad_text_tally_over_the_index_matches_the_reference(
    generated: Generated, query: str, filters: Filters
) -> None:
    arc, acts = generated.arc, generated
    with mock.patch.object(search, "TALLY_ROWS_UP_TO", 0):
        count, facets = arc.count(query, filters), arc.facets(query, filters)
    found = [r for r, _ in acts if r.id in _expected(acts, query, filters)]
    assert count == len(found)
    for name, values in facets.items():
        counted = Counter(str(getattr(r, name)) for r in found)
        assert values == sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])), name


def test_count_and_facets_follow_every_write(tmp_path: Path) -> None:
    """The tally kept for the page's facets is never stale: a write by this connection or by
    another process's is seen by the next count."""
    act: Act = load_act(EXAMPLE).act
    arc, _ = Archive.create(tmp_path / "archive")
    with arc:
        seal(arc, act, 1)
        assert arc.count("") == 1 and arc.count("ornitorinco") == 0
        seal(arc, act, 2, oggetto="Nomina ornitorinco")
        assert arc.count("") == 2 and arc.count("ornitorinco") == 1
        assert sum(n for _, n in arc.facets("")["registro"]) == 2
        with Archive.open(tmp_path / "archive") as other:
            seal(other, act, 3, oggetto="Ornitorinco")
        assert arc.count("") == 3 and arc.count("ornitorinco") == 2
        assert [n for _, n in arc.facets("ornitorinco")["registro"]] == [2]
        assert arc.facets("", Filters(anno=1999)) == {name: [] for name in search.FACETS}
