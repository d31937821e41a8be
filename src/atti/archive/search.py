"""Italian full-text search helpers: filters, the visibility of the indexes, snippets.

The index holds atti's own tokens (atti.archive.terms: words, light stems, people, numbers,
citations) and a query is read by atti.archive.query, so SQLite and PostgreSQL match the same
acts. Snippets are cut from the original text, so the archivist reads the act's words, not stems.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from atti.archive import query as parsed
from atti.archive.terms import STOPWORDS, WORD, fold, stem, stem_text, words
from atti.errors import SearchError
from atti.i18n import _

__all__ = ["STOPWORDS", "fold", "stem", "stem_text", "words"]
_WORD = WORD

# The indexes "N/YYYY" lookups and the filters use. The listings without words are ordered
# newest first (data, number), so the common filters (none, a date range, a year, a register's
# year) read their first ``limit`` acts straight from an index instead of sorting thousands.
# Created with the schema; additive, so any catalog can take them.
INDEXES = """
CREATE INDEX IF NOT EXISTS acts_by_number ON acts (number, year);
CREATE INDEX IF NOT EXISTS acts_by_data ON acts (data, number);
CREATE INDEX IF NOT EXISTS acts_by_year ON acts (year, data, number);
CREATE INDEX IF NOT EXISTS acts_by_register ON acts (register, year, data, number);
"""

# Every column a filter reads (but the citations') with the FACETS first, in the GROUP BY order of
# ``count`` and ``facets``: they read this index alone, in one pass, and group as they go. Made
# once the acts table is at schema 4 (it names riservato), so after any migration.
TALLY_INDEX = (
    "CREATE INDEX IF NOT EXISTS acts_by_facets ON acts (register, year, tipo, signer, state, riservato, data, organo)"
)
# The acts table holds each act's text, about a page per act: its rows of 100,000 acts are 400 MB,
# this index 10 MB. A text query matching up to this many acts reads just their rows (a few µs
# each) instead of the whole index (about 20 ms at 100,000 acts).
TALLY_ROWS_UP_TO = 5_000


# Up to this many matches a text search ranks all of them by the sum of their features (see
# atti.archive.query), newest first on ties; a broader one ranks them by their best feature, each
# tier most recently archived first (query.broad_tiers), reading no more acts than the page
# needs. The same rule on both backends.
RANK_ALL_UP_TO = 2_000

# The states of an act the public may see: published, and later annulled or rectified (still
# published, with the act that changed it), or imported (signed and published before atti).
# Drafts (bozza, in verifica) and acts signed but not yet sealed (firmato) are the office's business.
PUBLISHED_STATES = ("pubblicato", "rettificato", "annullato", "importato")

# One full-text index per visibility class (SQLite): bm25 ranks with statistics of the whole
# index (how many acts, their lengths, how many hold each word), so an index that held acts a
# viewer may not see would let them move that viewer's scores. Each search reads the index of
# exactly what its filters let through; an act is in every index whose class may see it.
FTS_TABLES = {  # the index: (holds reserved acts, holds acts not yet published)
    "acts_fts": (True, True),
    "acts_fts_public": (False, False),
    "acts_fts_drafts": (False, True),
    "acts_fts_reserved": (True, False),
}


def fts_table(f: Filters) -> str:
    """The full-text index whose acts are exactly those ``f``'s visibility lets through."""
    reserved = not (f.public_only or f.hide_reserved)
    drafts = not (f.public_only or f.hide_unpublished)
    return next(t for t, holds in FTS_TABLES.items() if holds == (reserved, drafts))


def fts_tables_of(riservato: bool, state: str) -> list[str]:
    """The full-text indexes an act with this riservato and stato is in."""
    draft = state not in PUBLISHED_STATES
    return [t for t, (reserved, drafts) in FTS_TABLES.items() if (reserved or not riservato) and (drafts or not draft)]


# What ``facets`` counts, in this order: by the act format's name, the catalog's column.
FACETS = {"registro": "register", "anno": "year", "tipo": "tipo", "firmatario": "signer", "stato": "state"}


@dataclass(frozen=True)
class Filters:
    """Conditions on the act's record, each optional, all combined with AND (and with the text).

    registro, tipo and stato must equal the act's (tipo and stato ignoring case); organo and
    firmatario need only be contained in it, ignoring case ("Ventrice" finds "Fabrizio Ventrice");
    ``dal``/``al`` bound the act's date, both ends included. ``cites`` keeps the acts
    that cite the act with that id (a citation in the text or a relazione), ``cited_by`` the
    acts that act cites. ``public_only`` keeps only what the public may see: no act marked
    riservato and no act not yet published (its stato one of PUBLISHED_STATES); it is
    ``hide_reserved`` and ``hide_unpublished`` together, which may also be asked separately
    (a viewer allowed to see drafts but not reserved acts, or the other way round).
    """

    registro: str | None = None
    anno: int | None = None
    dal: dt.date | None = None
    al: dt.date | None = None
    tipo: str | None = None
    organo: str | None = None
    firmatario: str | None = None
    stato: str | None = None
    cites: str | None = None
    cited_by: str | None = None
    public_only: bool = False
    hide_reserved: bool = False
    hide_unpublished: bool = False

    def __post_init__(self) -> None:
        if self.anno is not None and not 1000 <= self.anno <= 9999:
            raise SearchError(_("--anno: {anno} is not a year").format(anno=self.anno))
        if self.dal and self.al and self.dal > self.al:
            raise SearchError(
                _("--dal {dal} is after --al {al}").format(dal=self.dal.isoformat(), al=self.al.isoformat())
            )

    @classmethod
    def parse(
        cls,
        *,
        registro: str | None = None,
        anno: int | None = None,
        dal: str | None = None,
        al: str | None = None,
        tipo: str | None = None,
        organo: str | None = None,
        firmatario: str | None = None,
        stato: str | None = None,
        cites: str | None = None,
        cited_by: str | None = None,
        public_only: bool = False,
    ) -> Filters:
        """Filters from what a user typed; empty strings mean "no filter", dates are checked."""
        return cls(
            registro=registro or None, anno=anno, dal=parse_date(dal, "--dal"), al=parse_date(al, "--al"),
            tipo=tipo or None, organo=organo or None, firmatario=firmatario or None, stato=stato or None,
            cites=cites or None, cited_by=cited_by or None, public_only=public_only,
        )

    def sql(self, table: str) -> tuple[list[str], list[object]]:
        """WHERE clauses on ``table`` (an alias of ``acts``) and their parameters."""
        where: list[str] = []
        params: list[object] = []
        for clause, value in (
            ("{t}.register = ?", self.registro),
            ("{t}.year = ?", self.anno),
            ("{t}.data >= ?", self.dal.isoformat() if self.dal else None),
            ("{t}.data <= ?", self.al.isoformat() if self.al else None),
            ("{t}.tipo = ? COLLATE NOCASE", self.tipo),
            ("instr(lower({t}.organo), ?) > 0", self.organo.lower() if self.organo else None),
            ("instr(lower({t}.signer), ?) > 0", self.firmatario.lower() if self.firmatario else None),
            ("{t}.state = ? COLLATE NOCASE", self.stato),
            # Both served by the indexes on act_references' act_id and target_id; an act quoting
            # its own number is not a citation.
            ("{t}.id IN (SELECT act_id FROM act_references WHERE target_id = ? AND act_id != target_id)",
             self.cites),
            ("{t}.id IN (SELECT target_id FROM act_references WHERE act_id = ? AND act_id != target_id)",
             self.cited_by),
        ):
            if value is not None:
                where.append(clause.format(t=table))
                params.append(value)
        if self.public_only or self.hide_reserved:
            where.append(f"{table}.riservato = 0")
        if self.public_only or self.hide_unpublished:
            where.append(f"{table}.state IN ({', '.join('?' * len(PUBLISHED_STATES))})")
            params += PUBLISHED_STATES
        return where, params


def parse_date(text: str | None, option: str) -> dt.date | None:
    """``YYYY-MM-DD`` or the Italian ``DD/MM/YYYY``; one clear error for anything else."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", value):
            day, month, year = (int(p) for p in value.split("/"))
            return dt.date(year, month, day)
    except ValueError:
        pass
    raise SearchError(
        _("{option}: {text} is not a date; write it as YYYY-MM-DD (or DD/MM/YYYY)").format(
            option=option, text=repr(text)
        )
    )


def query_stems(query: str) -> list[str]:
    """The stems of the words a query searches for, in order, without repeats (stopwords are
    dropped unless the query has nothing else; a malformed query reads as its words)."""
    exact, stems, _ = parsed.matcher(parsed.lenient(query))
    found = [stem(w) for w in words(query) if stem(w) in stems or fold(w) in exact]
    return list(dict.fromkeys(found))


# The longest query searched: a person's query is a few words; a 6,000-word one cost the catalog
# seconds of stemming and matching for nothing anyone reads. Every face (CLI, pages, API) keeps it.
MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 64


def query_size(query: str) -> tuple[int, str] | None:
    """What makes ``query`` too long to search, (600, "characters") or (70, "words"); None when it
    is within MAX_QUERY_CHARS characters and MAX_QUERY_WORDS words. Characters are counted first,
    so a huge query is never split into words."""
    if len(query) > MAX_QUERY_CHARS:
        return len(query), "characters"
    found = len(words(query))
    return (found, "words") if found > MAX_QUERY_WORDS else None


def check_query(query: str) -> None:
    """SearchError for a query beyond the bounds (:func:`query_size`), before any work is done."""
    size = query_size(query)
    if size is not None:
        raise SearchError(
            _("the query has {count} {unit}: search with at most {chars} characters and {words} words").format(
                count=size[0], unit=_("characters") if size[1] == "characters" else _("words"),
                chars=MAX_QUERY_CHARS, words=MAX_QUERY_WORDS)
        )


def fts_query(query: str) -> str | None:
    """The FTS5 MATCH expression of the query (atti.archive.query), or None if it has no words;
    SearchError for a malformed query."""
    q = parsed.parse(query)
    return None if q.empty else parsed.fts(q)


def snippet(text: str, query: str, width: int = 160, mark: tuple[str, str] = ("", "")) -> str:
    """About ``width`` characters of ``text`` where the most of the query's words are.

    The stemmed query is located in the original words (each word of the text is stemmed the
    way the index was), and every matched word is wrapped in ``mark`` (e.g. ``("[", "]")``).
    Without a match, the text's beginning.
    """
    q = parsed.lenient(query)
    flat = " ".join(text.split())
    hits = parsed.found_in(q, flat) if not q.empty else []
    if not hits:
        return flat[:width] + ("…" if len(flat) > width else "")
    # The window starting a little before the hit that sees the most distinct query words.
    best, best_count = 0, 0
    for i, first in enumerate(hits[:200]):  # bounded: a long act can repeat a common word often
        start = max(0, first.start() - width // 3)
        seen = set()
        for m in hits[i:]:
            if m.end() > start + width:
                break
            seen.add(stem(m.group()))  # distinct words, as far as the stems tell
        if len(seen) > best_count:
            best, best_count = i, len(seen)
    start = max(0, hits[best].start() - width // 3)
    end = min(len(flat), start + width)
    # Whole words only: move the cut to the nearest space inside the window.
    if start > 0 and (cut := flat.find(" ", start, hits[best].start())) >= 0:
        start = cut + 1
    if end < len(flat) and (cut := flat.rfind(" ", hits[best].end(), end)) >= 0:
        end = cut
    out, pos = [], start
    for m in hits:
        if m.start() >= start and m.end() <= end:
            out += [flat[pos:m.start()], mark[0], m.group(), mark[1]]
            pos = m.end()
    out.append(flat[pos:end])
    return ("…" if start > 0 else "") + "".join(out).strip() + ("…" if end < len(flat) else "")


# How a snippet marks the words that matched (plain text: readable in a terminal and in JSON).
HIGHLIGHT = ("[", "]")


def hit_snippet(oggetto: str, body: str, query: str) -> str:
    """A search hit's snippet: from the body, where the words are seen in context (the oggetto is
    shown anyway), or from the oggetto when only it has them."""
    q = parsed.lenient(query)
    in_body = parsed.found_any(q, body)
    return snippet(body if in_body else oggetto, query, mark=HIGHLIGHT)
