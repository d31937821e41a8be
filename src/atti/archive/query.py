"""The query language of atti search, what archivists type, and its translation into a match on
the index tokens (atti.archive.terms) for SQLite FTS5 and for PostgreSQL.

* words: every word is required; a word matches its own forms (``proroga`` finds "prorogato");
* ``"opere pubbliche"``: a phrase, the words in that order;
* ``proroga OR rinvio``: either; ``-revoca`` (or ``NOT revoca``): without; ``contribut*``: a prefix;
* ``firmatario:Ventrice`` (``proposta:``, ``verificatore:``, ``ente:``, ``organo:``): a word of
  that person or body; ``oggetto:proroga``: in the oggetto;
* an act's number as people write it: ``60/2026``, ``n. 60 del 18/03/2026``, ``D.O. 60/2026``,
  ``determinazione n. 60/2026``, atti's id ``DO-2026-60``, a bare ``129``, the registers' own
  spellings (``DCA n. U00117``, ``D.G.R. n. X/7859``), ``ordinanza n. 17`` (that tipo first, of
  any year), a date ``decreto 14 agosto 2020``: that act, then the acts that cite it;
* a law: ``267/2000``, ``D.Lgs. 36/2023``, ``L. 241/1990``, or its name (``TUEL``, ``codice dei
  contratti``, ``CAD``, ``GDPR``): the acts citing it, by number or by name.

A query that cannot be read (an unclosed quote, an OR with nothing on one side, only exclusions)
is a SearchError with one line saying what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from atti.acts.references import extract_references, parse_date, registro_slug
from atti.archive.terms import FIELDS, LAW_NAMES, STOPWORDS, citation_key, fold, serial_of, stem, words
from atti.errors import SearchError
from atti.i18n import _

# Which kinds of citation may be an act of the archive (its own number), the others are laws.
_ACT_KINDS = {"determinazione", "delibera", "decreto", "ordinanza", None}
_FIELD_NAMES = {**{f: f for f in FIELDS}, "verificatori": "verificatore", "firma": "firmatario", "oggetto": "oggetto"}


class MalformedQuery(SearchError):
    """A query that cannot be read: ``msg`` says so in the messages' language (the command line),
    ``italian`` in Italian (the web pages)."""

    def __init__(self, msg: str, italian: str) -> None:
        super().__init__(msg)
        self.italian = italian


@dataclass(frozen=True)
class Term:
    """A word (folded), a prefix of words, restricted to a field or not."""

    word: str
    prefix: bool = False
    field: str | None = None


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class Citation:
    """An act's number or a law as cited: ``own`` the tokens that are the act itself (all of
    them), ``cites`` the tokens of the acts citing it (any), ``text`` the words as typed."""

    own: tuple[str, ...]
    cites: tuple[str, ...]
    text: str
    numbers: tuple[str, ...] = ()  # the words highlighted in a snippet
    also: tuple[Term | Phrase, ...] = ()  # words that match as well: "TUEL", a bare "129"
    typed: tuple[str, ...] = ()  # the own number of that tipo ("delibera 12/2025"), which ranks higher


Item = Term | Phrase | Citation


@dataclass(eq=False)
class Query:
    """The parsed query: every group of ``must`` (a group matches when any of its items does)
    and none of ``must_not``."""

    must: list[list[Item]] = field(default_factory=list)
    must_not: list[Item] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.must

    def citations(self) -> list[Citation]:
        return [i for group in self.must for i in group if isinstance(i, Citation)]

    def positive(self) -> list[Item]:
        return [i for group in self.must for i in group]


# -- parsing -----------------------------------------------------------------------------------

_DATE = r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{1,2}\s+[A-Za-z]+\s+\d{4}"
# a number followed by a month is a day: "DPCM 14 gennaio 2011" names no DPCM n. 14
_NOT_A_DAY = (r"(?!\s*°?\s*(?i:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre"
              r"|dicembre)\b)")
_OWN_PATTERNS = [
    # atti's id: DO-2026-60
    re.compile(r"(?<![\w/.-])(?P<reg>[A-Za-z][A-Za-z0-9]{0,9})-(?P<year>\d{4})-(?P<num>\d{1,6})(?![\w/-])"),
    # a register, the date, then the number, as bulletins title acts: "D.D. 1 marzo 2005, n. 100",
    # "O.P.C.M. 18/10/2007, n. 3621"
    re.compile(
        r"(?<![\w.])(?P<reg>(?:[A-Z]{1,4}\.){1,4}|[A-Z]{2,6})\s+(?P<date>" + _DATE + r")\s*,?\s*"
        r"(?:n\.?|nr\.?|n°|numero)\s*(?:[A-Z](?=0))?(?P<num>\d{1,6})(?![\w/])"
    ),
    # a register and a number: "D.O. 60/2026", "DO n. 60/2026", "D.O. n. 60 del 18/03/2026"
    re.compile(
        r"(?<![\w.])(?P<reg>(?:[A-Z]{1,4}\.){1,4}|[A-Z]{2,6})\s*(?:(?:n\.?|nr\.?|n°|numero)\s*)?"
        r"(?:[A-Z](?=0))?(?P<num>\d{1,6})" + _NOT_A_DAY + r"(?:\s*/\s*(?P<year>\d{4}))?"
        r"(?:\s*,?\s*(?:del|dell'|in data)\s*(?P<date>" + _DATE + r"))?(?![\w/])"
    ),
    # "n. 60 del 18/03/2026", "n. 60/2026", "numero 60"
    re.compile(
        r"(?<![\w.])(?i:n\.?|nr\.?|n°|numero)\s*(?:[A-Z](?=0))?(?P<num>\d{1,6})" + _NOT_A_DAY
        + r"(?:\s*/\s*(?P<year>\d{4}))?"
        r"(?:\s*,?\s*(?i:del|dell'|in data)\s*(?P<date>" + _DATE + r"))?(?![\w/])"
    ),
    # "60/2026"
    re.compile(r"(?<![\w/.-])(?P<num>\d{1,6})\s*/\s*(?P<year>\d{4})(?![\w/])"),
]
_BARE_NUMBER = re.compile(r"(?<![\w/.,-])(?P<num>\d{1,6})(?![\w/.,]|\.\d)")
_LAW_NUMBER = re.compile(
    r"(?<![\w.])(?i:legge|l\.|d\.\s?lgs\.?|dlgs|decreto\s+legislativo|d\.\s?p\.\s?r\.|dpr)\s*(?:(?i:n\.?|nr\.?|n°)\s*)?"
    r"(?P<num>\d{1,5})(?![\w/.]|\.\d)"
)
# The words of a query, its operators and its quotes.


def _citation(own: list[str], cites: list[str], text: str, numbers: list[str]) -> Citation:
    return Citation(tuple(own), tuple(dict.fromkeys(cites)), text.strip(), tuple(numbers))


def _own_citation(m: re.Match[str]) -> Citation | None:
    groups = m.groupdict()
    num = int(m["num"])
    date = parse_date(groups["date"]) if groups.get("date") else None
    year = int(m["year"]) if groups.get("year") else (date.year if date else None)
    if year is not None and not 1800 <= year <= 2999:
        return None
    reg = groups.get("reg")
    if reg is not None and (reg.rstrip(".").lower() in {"n", "nr", "art", "c", "co", "l", "d"}
                            or reg in {"OR", "AND", "NOT"}):
        return None  # "art. 15", "L. 241/1990", "bando OR 60/2026" name no register
    own: list[str] = []
    slug = registro_slug(reg).lower() if reg else None
    if slug and year:
        own.append(f"r{slug}n{num}a{year}")
    elif slug:
        own.append(f"r{slug}n{num}")
    elif year:
        own.append(f"n{num}a{year}")
    else:
        own.append(f"n{num}")
    if date is not None:
        own.append(f"d{date.isoformat().replace('-', '')}")
    cites = [f"c{num}a{year}"] if year else [f"c{num}"]
    return _citation(own, cites, m.group(), [str(num)])


def _cut_citations(text: str) -> tuple[list[Citation], str]:
    """The citations in ``text`` (outside quotes) and the text without them."""
    found: list[tuple[int, int, Citation]] = []
    taken = [False] * len(text)

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def take(start: int, end: int, c: Citation) -> None:
        found.append((start, end, c))
        for i in range(start, end):
            taken[i] = True

    # Citations with a kind word: "determinazione n. 60/2026", "D.Lgs. 36/2023", "DGR n. XII/1536"
    for ref in extract_references(text):
        if not free(ref.start, ref.end):
            continue
        key = citation_key(ref)
        if key is None:
            continue
        cites = [f"c{key}"]
        own: list[str] = []
        serial = serial_of(ref)  # "DGR n. X/7859", "DCA n. U00117", "Decreto n. 0176/Pres.": the digits
        if ref.kind in _ACT_KINDS and serial is not None:
            slug = registro_slug(ref.register).lower() if ref.register else None
            own = [f"r{slug}n{serial}a{ref.year}" if slug and ref.year else
                   f"n{serial}a{ref.year}" if ref.year else f"n{serial}"]
            if ref.date is not None:
                own.append(f"d{ref.date.isoformat().replace('-', '')}")
        numbers = [n for n in re.findall(r"\d+", ref.number or "") if not (len(n) == 4 and n == str(ref.year))]
        c = _citation(own, cites, ref.text, numbers or re.findall(r"\d+", ref.number or ""))
        if own and ref.kind is not None:  # "ordinanza n. 17" ranks the ordinanza 17 first, of any year
            typed = f"t{ref.kind}n{serial}a{ref.year}" if ref.year is not None else f"t{ref.kind}n{serial}"
            c = Citation(c.own, c.cites, c.text, c.numbers, c.also, (typed,))
        take(ref.start, ref.end, c)
    # A law by its name: "TUEL", "codice dei contratti" (matched on the folded words)
    folded_words = [(w.start(), w.end(), fold(w.group())) for w in re.finditer(r"[^\W_]+", text)]
    joined = " ".join(w for _, _, w in folded_words)
    starts = []
    pos = 0
    for _start, _end, w in folded_words:
        starts.append(pos)
        pos += len(w) + 1
    for name in sorted(LAW_NAMES, key=len, reverse=True):
        for m in re.finditer(rf"\b{re.escape(name)}\b", joined):
            i = starts.index(m.start()) if m.start() in starts else -1
            if i < 0:
                continue
            j = i + len(name.split()) - 1
            start, end = folded_words[i][0], folded_words[j][1]
            if free(start, end):
                named = tuple(name.split())
                also: tuple[Term | Phrase, ...] = (Phrase(named),) if len(named) > 1 else (Term(named[0]),)
                take(start, end, Citation((), (f"c{LAW_NAMES[name]}",), text[start:end], named, also))
    for pattern in _OWN_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            citation = _own_citation(m)
            if citation is not None:
                take(m.start(), m.end(), citation)
    # A law by its number alone, "legge 241", "D.Lgs. 267": the acts citing a law of that number.
    for m in _LAW_NUMBER.finditer(text):
        if free(m.start(), m.end()):
            take(m.start(), m.end(), Citation((), (f"c{int(m['num'])}",), m.group(), (m["num"],)))
    # A date, "18/03/2026", "14 agosto 2020": the acts of that day, then the acts that write it.
    for m in re.finditer(r"(?<![\w/.-])(?:\d{1,2}[/.]\d{1,2}[/.]\d{4}|\d{1,2}°?\s+[A-Za-z]+\s+\d{4})(?![\w/])", text):
        day = parse_date(m.group())
        if day is not None and free(m.start(), m.end()):
            written = Phrase(tuple(words(m.group())))
            take(m.start(), m.end(), Citation((f"d{day.isoformat().replace('-', '')}",), (), m.group(), (), (written,)))
    # A bare number, "129": the act with that number (any year), the acts citing a number 129,
    # and the number in the text. A year (1900-2100) is only a word.
    for m in _BARE_NUMBER.finditer(text):
        num = m["num"]
        before = text[: m.start()].rstrip().lower()
        article = before.endswith(("art.", "art", "artt.", "comma", "commi", "c.", "lett.", "punto", "pag."))
        if free(m.start(), m.end()) and not article and not (len(num) == 4 and 1900 <= int(num) <= 2100):
            take(m.start(), m.end(), Citation((f"n{int(num)}",), (f"c{int(num)}",), num, (num,), (Term(num),)))
    found.sort()
    rest = "".join(" " if taken[i] else ch for i, ch in enumerate(text))
    return [c for _, _, c in found], rest


def parse(query: str) -> Query:
    """The query as a :class:`Query`; SearchError for a malformed one (see the module docstring).

    The same Query for the same text (it is read for the search, its count, its facets and every
    snippet): callers must not change it."""
    return _parse(query)


@lru_cache(maxsize=512)
def _parse(query: str) -> Query:
    if query.count('"') % 2:
        raise MalformedQuery(
            _('the query has a quote (") that is not closed: close the phrase, "opere pubbliche", or leave the quotes'
              " out"),
            'La ricerca ha delle virgolette (") non chiuse: chiudi la frase, "opere pubbliche", o togli le virgolette.',
        )
    # The query as a sequence of phrases, citations and words, in the order typed.
    tokens: list[tuple[str, object]] = []
    for n, segment in enumerate(query.split('"')):
        if n % 2:
            found = [fold(w) for w in words(segment)]
            if not found:
                raise MalformedQuery(_('the query has an empty phrase (""): write words between the quotes'),
                                     'La ricerca ha una frase vuota (""): scrivi le parole tra le virgolette.')
            tokens.append(("phrase", tuple(found)))
            continue
        citations, rest = _cut_citations(segment)
        tokens += [("citation", c) for c in citations]
        tokens += [("word", raw) for raw in rest.split()]

    groups: list[list[Item]] = []
    excluded: list[Item] = []
    pending_or = negate = False
    pending_field: str | None = None

    def add(items: list[Item], negative: bool) -> None:
        nonlocal pending_or
        if negative:
            if pending_or:
                raise MalformedQuery(_("the query has OR before an excluded word: write 'a OR b', and '-c' apart"),
                                     "La ricerca ha OR prima di una parola esclusa: scrivi 'a OR b' e '-c' a parte.")
            excluded.extend(items)
        elif pending_or:
            groups[-1].extend(items)
            pending_or = False
        else:
            groups.append(list(items))

    for kind, value in tokens:
        if kind == "citation":
            assert isinstance(value, Citation)
            add([value], False)
            continue
        if kind == "phrase":
            assert isinstance(value, tuple)
            phrase = tuple(str(w) for w in value)
            add([Phrase(phrase, pending_field) if len(phrase) > 1 else Term(phrase[0], field=pending_field)], negate)
            negate, pending_field = False, None
            continue
        raw = str(value)
        if raw in {"OR", "|"}:
            if pending_or or not groups or negate:
                raise MalformedQuery(_("the query has OR with nothing before it: write 'proroga OR rinvio'"),
                                     "La ricerca ha OR senza nulla prima: scrivi 'proroga OR rinvio'.")
            pending_or = True
            continue
        if raw in {"AND", "&"}:
            continue
        if raw == "NOT":
            negate = True
            continue
        if raw.startswith("-") and len(raw) > 1:
            negate, raw = True, raw[1:]
        elif raw == "-":
            raise MalformedQuery(
                _("the query has a '-' with nothing after it: write -word to leave out the acts with it"),
                "La ricerca ha un '-' senza nulla dopo: scrivi -parola per escludere gli atti che la contengono.")
        name, colon, rest = raw.partition(":")
        if colon and fold(name) in _FIELD_NAMES:
            pending_field = _FIELD_NAMES[fold(name)]
            if not rest:
                continue  # firmatario:"Mario Rossi"
            raw = rest
        prefix = raw.endswith("*")
        found = [fold(w) for w in words(raw)]
        if prefix and (not found or len(found[-1]) < 3):
            raise MalformedQuery(
                _("the query has the prefix {prefix}: a prefix needs at least 3 letters, e.g. contribut*").format(
                    prefix=repr(raw)),
                f"La ricerca ha il prefisso «{raw}»: un prefisso vuole almeno 3 lettere, es. contribut*.")
        if found:
            if len(found) > 1 and not prefix and "'" not in raw and "’" not in raw:
                add([Phrase(tuple(found), pending_field)], negate)  # "art.107", "e-mail": the words together
            else:
                items: list[Item] = [Term(w, prefix=prefix and i == len(found) - 1, field=pending_field)
                                     for i, w in enumerate(found)]
                if negate:
                    add(items, True)
                else:
                    for item in items:
                        add([item], False)
        negate, pending_field = False, None
    if pending_or:
        raise MalformedQuery(_("the query ends with OR: write 'proroga OR rinvio'"),
                             "La ricerca finisce con OR: scrivi 'proroga OR rinvio'.")
    if negate or pending_field:
        raise MalformedQuery(_("the query ends with NOT or a field: write what to leave out, or search, after it"),
                             "La ricerca finisce con NOT o con un campo: scrivi dopo cosa escludere o cercare.")
    # Stopwords neither narrow nor rank: dropped, unless the query has nothing else.
    content = [g for g in groups if not _only_stopwords(g)]
    q = Query(must=content or groups, must_not=excluded)
    if not q.must and q.must_not:
        raise MalformedQuery(_("the query only excludes words: write what to search for as well, 'bando -revoca'"),
                             "La ricerca esclude soltanto: scrivi anche cosa cercare, 'bando -revoca'.")
    return q


def _only_stopwords(group: list[Item]) -> bool:
    return all(isinstance(i, Term) and not i.prefix and i.field is None and i.word in STOPWORDS for i in group)


@lru_cache(maxsize=512)
def lenient(query: str) -> Query:
    """The query as far as it can be read (for highlighting): a malformed one reads as its words."""
    try:
        return parse(query)
    except SearchError:
        return Query(must=[[Term(fold(w))] for w in words(query)])


# -- what matches, as index tokens -------------------------------------------------------------

# Where a word may match, each zone its own tokens (atti.archive.terms): the oggetto as written
# ("o_"), its stems ("os_"), the body's stems ("_"), the people and bodies ("p_"). A feature is
# a query on fewer zones: no column filter is ever needed, every match is an index lookup.
NOTHING = "z_"  # a token no act has (atti.archive.terms makes none in that namespace)
ALL_ZONES = frozenset({"o", "os", "b", "p"})
_MARK = {"o": "o_", "os": "os_", "b": "_", "p": "p_"}


def _alternatives(item: Term | Phrase, zones: frozenset[str]) -> list[tuple[tuple[str, ...], bool]]:
    """The token phrases (and whether the last token is a prefix) any of which matches ``item``
    in ``zones``."""
    found = item.words if isinstance(item, Phrase) else (item.word,)
    prefix = isinstance(item, Term) and item.prefix
    if item.field in FIELDS:
        return [(tuple(f"{item.field}_{w}" for w in found), prefix)] if "p" in zones else []
    if item.field == "oggetto":
        zones = zones & {"o", "os"}
    out: list[tuple[tuple[str, ...], bool]] = []
    for zone in ("o", "os", "b", "p"):
        if zone not in zones:
            continue
        if zone in ("os", "b"):
            if prefix:
                s = stem(found[-1])
                base = [*found[:-1], s if found[-1].startswith(s) else found[-1]]
                tokens = tuple(_MARK[zone] + (stem(w) if i < len(found) - 1 else w) for i, w in enumerate(base))
            else:
                tokens = tuple(_MARK[zone] + stem(w) for w in found)
        else:
            tokens = tuple(_MARK[zone] + w for w in found)
        out.append((tokens, prefix))
    return out


def _citation_tokens(item: Citation) -> tuple[list[tuple[str, ...]], list[str]]:
    """(own token sets, each required whole; citing tokens) of a citation."""
    return ([item.own] if item.own else []), list(item.cites)


# -- SQLite FTS5 ---------------------------------------------------------------------------------


def _fts_phrase(tokens: tuple[str, ...], prefix: bool) -> str:
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


def _fts_item(item: Item, zones: frozenset[str]) -> str | None:
    if isinstance(item, Citation):
        own, cites = _citation_tokens(item)
        alternatives = ["(" + " AND ".join(f'"{t}"' for t in o) + ")" for o in own] + [f'"{t}"' for t in cites]
        alternatives += [x for a in item.also if (x := _fts_item(a, zones)) is not None]
    else:
        alternatives = [_fts_phrase(t, p) for t, p in _alternatives(item, zones)]
    return "(" + " OR ".join(alternatives) + ")" if alternatives else None


def fts(q: Query, zones: frozenset[str] = ALL_ZONES) -> str:
    """The FTS5 expression of ``q`` (which must not be empty), its words matched in ``zones``."""
    groups = []
    for g in q.must:
        found = [x for i in g if (x := _fts_item(i, zones)) is not None]
        groups.append("(" + " OR ".join(found) + ")" if found else f'"{NOTHING}"')
    out = "(" + " AND ".join(groups) + ")"
    for item in q.must_not:
        if (x := _fts_item(item, ALL_ZONES)) is not None:
            out += " NOT " + x
    return out


def _words_only(q: Query) -> Query:
    return Query([g for g in q.must if not any(isinstance(i, Citation) for i in g)], q.must_not)


# The features that rank a match, by weight: its own number of the tipo typed (64), its own
# number (32), citing it (16), every word in
# its people (8), in its oggetto as written (4), in its oggetto or stemmed (2), in its oggetto
# and people together (1). A match's score is the sum of those it has.
_WORD_FEATURES = ((8, frozenset({"p"})), (4, frozenset({"o"})), (2, frozenset({"o", "os"})),
                  (1, frozenset({"o", "os", "p"})))
HEAD_ZONES = frozenset({"o", "os", "p"})


def fts_features(q: Query) -> list[tuple[int, str]]:
    """(weight, FTS5 expression) of each feature of ``q`` (see _WORD_FEATURES)."""
    out: list[tuple[int, str]] = []
    typed = [t for c in q.citations() for t in c.typed]
    if typed:
        out.append((64, " OR ".join(f'"{t}"' for t in typed)))
    own = [o for c in q.citations() for o in _citation_tokens(c)[0]]
    if own:
        out.append((32, " OR ".join("(" + " AND ".join(f'"{t}"' for t in o) + ")" for o in own)))
    cites = [t for c in q.citations() for t in c.cites]
    if cites:
        out.append((16, " OR ".join(f'"{t}"' for t in cites)))
    words_only = _words_only(q)
    if words_only.must:
        out += [(w, fts(words_only, zones)) for w, zones in _WORD_FEATURES]
    return out


def fts_head(q: Query) -> str:
    """``q`` matched without the body: in the oggetto, the people, the number, the citations."""
    return fts(q, HEAD_ZONES)


def broad_tiers(q: Query) -> list[tuple[int, str]]:
    """(weight, FTS5 expression) of the tiers of a broad query: the matches with each feature,
    the heaviest first, then every match (weight 0); an act is in the first tier it matches."""
    main = fts(q)
    return [(w, f"({main}) AND ({expr})") for w, expr in fts_features(q)] + [(0, main)]


def features_imply_match(q: Query) -> bool:
    """Whether an act with any feature of ``q`` matches ``q`` (so a tier needs no other check): so
    when ``q`` excludes nothing and is made of words only, or of one citation only."""
    citations = [g for g in q.must if any(isinstance(i, Citation) for i in g)]
    return not q.must_not and (not citations or (len(q.must) == 1 and all(isinstance(i, Citation) for i in q.must[0])))


def ts_broad_tiers(q: Query) -> list[tuple[int, str]]:
    """(weight, tsquery on the head vector, or None for every match) as :func:`broad_tiers`."""
    return [*ts_features(q), (0, "")]


# -- PostgreSQL tsquery ------------------------------------------------------------------------


def _ts_phrase(tokens: tuple[str, ...], prefix: bool) -> str:
    parts = [f"'{t}'" + (":*" if prefix and i == len(tokens) - 1 else "") for i, t in enumerate(tokens)]
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def _ts_item(item: Item, zones: frozenset[str]) -> str | None:
    if isinstance(item, Citation):
        own, cites = _citation_tokens(item)
        alternatives = ["(" + " & ".join(f"'{t}'" for t in o) + ")" for o in own] + [f"'{t}'" for t in cites]
        alternatives += [x for a in item.also if (x := _ts_item(a, zones)) is not None]
    else:
        alternatives = [_ts_phrase(t, p) for t, p in _alternatives(item, zones)]
    return "(" + " | ".join(alternatives) + ")" if alternatives else None


def tsquery(q: Query, zones: frozenset[str] = ALL_ZONES) -> str:
    """The tsquery (input syntax) of ``q``, its words matched in ``zones`` (as :func:`fts`)."""
    groups = []
    for g in q.must:
        found = [x for i in g if (x := _ts_item(i, zones)) is not None]
        groups.append("(" + " | ".join(found) + ")" if found else f"'{NOTHING}'")
    out = "(" + " & ".join(groups) + ")"
    for item in q.must_not:
        if (x := _ts_item(item, ALL_ZONES)) is not None:
            out += " & !" + x
    return out


def ts_features(q: Query) -> list[tuple[int, str]]:
    """(weight, tsquery) of each feature of ``q``, as :func:`fts_features`."""
    out: list[tuple[int, str]] = []
    typed = [t for c in q.citations() for t in c.typed]
    if typed:
        out.append((64, " | ".join(f"'{t}'" for t in typed)))
    own = [o for c in q.citations() for o in _citation_tokens(c)[0]]
    if own:
        out.append((32, " | ".join("(" + " & ".join(f"'{t}'" for t in o) + ")" for o in own)))
    cites = [t for c in q.citations() for t in c.cites]
    if cites:
        out.append((16, " | ".join(f"'{t}'" for t in cites)))
    words_only = _words_only(q)
    if words_only.must:
        out += [(w, tsquery(words_only, zones)) for w, zones in _WORD_FEATURES]
    return out


# -- misspelt words ----------------------------------------------------------------------------


def _distance(a: str, b: str, limit: int) -> int:
    """The edit distance of ``a`` and ``b`` (a transposition is one edit), or limit + 1 past it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous, current = list(range(len(b) + 1)), [0] * (len(b) + 1)
    before: list[int] = []
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[len(b)]


def corrected(q: Query, vocabulary: Callable[[str, str], list[str]]) -> Query | None:
    """``q`` with each word (of 4 letters or more) that no oggetto or person of the index has
    widened to those it has at one edit (two from 8 letters): "Ventrcie" also searches "ventrice".
    ``vocabulary(low, high)`` gives the index's tokens from ``low`` to ``high`` (excluded); the
    words are looked for among those with the same first two letters. None when nothing changes.

    Asked only when ``q`` finds no act: a query that finds something is taken as typed."""
    changed = False
    groups: list[list[Item]] = []
    for group in q.must:
        out = list(group)
        for item in group:
            if not isinstance(item, Term) or item.prefix or len(item.word) < 4 or not item.word.isalpha():
                continue
            marks = ["p_"] if item.field in FIELDS else ["o_"] if item.field == "oggetto" else ["o_", "p_"]
            limit = 2 if len(item.word) >= 8 else 1
            found: set[str] = set()
            for mark in marks:
                start = mark + item.word[:2]
                tokens = vocabulary(start, start[:-1] + chr(ord(start[-1]) + 1))
                if mark + item.word in tokens:
                    found = set()
                    break
                found |= {t[len(mark):] for t in tokens if _distance(t[len(mark):], item.word, limit) <= limit}
            for word in sorted(found):
                out.append(Term(word, field=item.field))
                changed = True
        groups.append(out)
    return Query(groups, q.must_not) if changed else None


# -- highlighting ------------------------------------------------------------------------------


def matcher(q: Query) -> tuple[set[str], set[str], tuple[str, ...]]:
    """What a word of an act must be to be marked in a snippet: (its fold, its stem, a prefix)."""
    exact: set[str] = set()
    stems: set[str] = set()
    prefixes: list[str] = []
    for item in q.positive():
        if isinstance(item, Citation):
            exact.update(item.numbers)
            stems.update(stem(w) for w in item.numbers)
            continue
        if isinstance(item, Term):
            if item.prefix:
                prefixes.append(item.word)
            else:
                exact.add(item.word)
                stems.add(stem(item.word))
        else:
            exact.update(item.words)
            stems.update(stem(w) for w in item.words)
    return exact, stems, tuple(prefixes)


_ACCENTED = {"a": "[aàáâ]", "e": "[eèéê]", "i": "[iìíî]", "o": "[oòóô]", "u": "[uùúû]"}


@lru_cache(maxsize=512)
def _candidates(q: Query) -> re.Pattern[str] | None:
    """A regular expression finding every word of a text that :func:`marker` may mark (and some
    more): the words starting with a stem, an exact word or a prefix of ``q``, accents or not."""
    exact, stems, prefixes = matcher(q)
    starts = sorted({*stems, *prefixes, *(w for w in exact if not w.startswith(stem(w)))}, key=len, reverse=True)
    if not starts:
        return None
    alternatives = ("".join(_ACCENTED.get(c, re.escape(c)) for c in w) for w in starts if w)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")[^\W_]*", re.IGNORECASE)


def found_in(q: Query, text: str) -> list[re.Match[str]]:
    """The words of ``text`` that ``q`` searched for, in order."""
    pattern = _candidates(q)
    if pattern is None:
        return []
    marked = marker(q)
    return [m for m in pattern.finditer(text) if marked(m.group())]


def found_any(q: Query, text: str) -> bool:
    """Whether ``text`` has a word ``q`` searched for."""
    pattern = _candidates(q)
    if pattern is None:
        return False
    marked = marker(q)
    return any(marked(m.group()) for m in pattern.finditer(text))


def marker(q: Query) -> Callable[[str], bool]:
    """Whether a word of an act is one ``q`` searched for (and is marked in a snippet)."""
    exact, stems, prefixes = matcher(q)
    known: dict[str, bool] = {}

    def marked(word: str) -> bool:
        found = known.get(word)
        if found is None:
            f = fold(word)
            found = known[word] = f in exact or stem(word) in stems or (bool(prefixes) and f.startswith(prefixes))
        return found

    return marked
