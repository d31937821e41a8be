"""The search index is made with the tokens of one version of atti.archive.terms, recorded in the
catalog: an archive indexed by an earlier atti is indexed anew when next opened for writing, so
its searches meet today's query tokens, and an act's old entry is never removed by tokens it no
longer has. The version follows the tokens: changing what terms.document() gives without
bumping terms.INDEX_VERSION fails here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from atti.archive import Archive, terms
from atti.archive.search import FTS_TABLES

from . import search_set
from .pgserver import raw

# terms.INDEX_VERSION -> the SHA-256 of the tokens the first 60 acts of the relevance set give.
# When tokens change on purpose: bump INDEX_VERSION and add its fingerprint here.
FINGERPRINTS = {
    2: "b58b4550fb2fdf6489616380901edcc7e91318993b680df7eb6e3a3ec1473e59",
}


def fingerprint() -> str:
    digest = hashlib.sha256()
    for a in search_set.acts()[:60]:
        doc = terms.document(
            oggetto=a["oggetto"], body=a["body"], signer=a["firmatario"], ente=a["ente"], organo=a["organo"],
            register=a["registro"], year=a["anno"], number=a["numero"], data=a["data"], tipo=a["tipo"],
        )
        digest.update(json.dumps(doc.columns(), ensure_ascii=False).encode())
    return digest.hexdigest()


def test_the_index_version_names_the_tokens() -> None:
    assert FINGERPRINTS.get(terms.INDEX_VERSION) == fingerprint(), (
        "the tokens changed: bump terms.INDEX_VERSION and record its fingerprint here"
    )


def test_an_archive_indexed_by_an_earlier_atti_is_indexed_anew(archive_location: Path | str) -> None:
    arc, _ = Archive.create(archive_location)
    with arc:
        search_set.fill(arc, search_set.acts()[:40])
        expected = [h.record.id for h in arc.search("Verdi", limit=50)]
        misspelt = [h.record.id for h in arc.search("Verdii", limit=50)]  # retried through the vocabulary
        assert expected and misspelt
        # What an earlier atti left: an index of other tokens, and no version recorded.
        if isinstance(archive_location, Path):
            for table in FTS_TABLES:
                raw(arc, f"INSERT INTO {table}({table}) VALUES ('delete-all')")
        else:
            raw(arc, "UPDATE acts SET terms = 'x'::tsvector, head = 'x'::tsvector, pairs = ''::tsvector")
            raw(arc, "DELETE FROM search_terms")
        raw(arc, "DELETE FROM meta WHERE key='index_version'")
        assert [h.record.id for h in arc.search("Verdi", limit=50)] == []
    with Archive.open(archive_location) as arc:
        assert [h.record.id for h in arc.search("Verdi", limit=50)] == expected
        assert [h.record.id for h in arc.search("Verdii", limit=50)] == misspelt
    with Archive.open(archive_location) as arc:  # once: the version is recorded
        assert [h.record.id for h in arc.search("Verdi", limit=50)] == expected
