"""Italian full-text search helpers: stemming and query building for SQLite FTS5.

FTS5 has no Italian stemmer, so the catalog indexes Snowball stems ("proroga" and "prorogare"
both become "prorog") in their own columns and the query is stemmed the same way. Snippets are
cut from the original text, so the archivist reads the act's words, not stems.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("italian")
ESTREMI = re.compile(r"^\s*(?:n\.?\s*)?(\d{1,6})\s*/\s*(\d{4})\s*$", re.IGNORECASE)


def _fold(word: str) -> str:
    # Lost accents are common in imported text ("citta'"): index without them.
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _fold(_STEMMER.stemWord(word.lower()))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def stem_text(text: str) -> str:
    return " ".join(stem(w) for w in words(text))


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression for the user's words (AND of stems), or None if it has none.

    Every stem is quoted, so the user's punctuation can never become FTS5 syntax.
    """
    stems = [stem(w) for w in words(query)]
    if not stems:
        return None
    return " AND ".join(f'"{s}"' for s in dict.fromkeys(stems))


def snippet(text: str, query: str, width: int = 160) -> str:
    """The stretch of ``text`` around the first word whose stem the query has."""
    wanted = {stem(w) for w in words(query)}
    flat = " ".join(text.split())
    for m in _WORD.finditer(flat):
        if stem(m.group()) in wanted:
            start = max(0, m.start() - width // 3)
            end = min(len(flat), start + width)
            prefix = "…" if start > 0 else ""
            suffix = "…" if end < len(flat) else ""
            return prefix + flat[start:end].strip() + suffix
    return flat[:width] + ("…" if len(flat) > width else "")
