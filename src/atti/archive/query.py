"""The query language of atti search, what archivists type, and its translation into a match on
the index tokens (atti.archive.terms) for SQLite FTS5 and for PostgreSQL.

* words: every word is required; a word matches its own forms (``proroga`` finds "prorogato");
* ``"opere pubbliche"``: a phrase, the words in that order;
* ``proroga OR rinvio``: either; ``-revoca`` (or ``NOT revoca``): without; ``contribut*``: a prefix;
* ``firmatario:Ventrice`` (``proposta:``, ``verificatore:``, ``ente:``, ``organo:``): a word of
  that person or body; ``oggetto:proroga``: in the oggetto;
* an act's number as people write it: ``60/2026``, ``n. 60 del 18/03/2026``, ``D.O. 60/2026``,
  ``determinazione n. 60/2026``, atti's id ``DO-2026-60``, a bare ``129``: that act, then the
  acts that cite it;
* a law: ``267/2000``, ``D.Lgs. 36/2023``, ``L. 241/1990``, or its name (``TUEL``, ``codice dei
  contratti``, ``CAD``, ``GDPR``): the acts citing it, by number or by name.

A query that cannot be read (an unclosed quote, an OR with nothing on one side, only exclusions)
is a SearchError with one line saying what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from atti.acts.references import extract_references, parse_date, registro_slug
from atti.archive.terms import FIELDS, LAW_NAMES, STOPWORDS, citation_key, fold, stem, words
from atti.errors import SearchError

# Which kinds of citation may be an act of the archive (its own number), the others are laws.
_ACT_KINDS = {"determinazione", "delibera", "decreto", "ordinanza", None}
_FIELD_NAMES = {**{f: f for f in FIELDS}, "verificatori": "verificatore", "firma": "firmatario", "oggetto": "oggetto"}


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


Item = Term | Phrase | Citation


@dataclass
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
_OWN_PATTERNS = [
    # atti's id: DO-2026-60
    re.compile(r"(?<![\w/.-])(?P<reg>[A-Za-z][A-Za-z0-9]{0,9})-(?P<year>\d{4})-(?P<num>\d{1,6})(?![\w/-])"),
    # a register and a number: "D.O. 60/2026", "DO n. 60/2026", "D.O. n. 60 del 18/03/2026"
    re.compile(
        r"(?<![\w.])(?P<reg>(?:[A-Z]{1,4}\.){1,4}|[A-Z]{2,6})\s*(?:(?:n\.?|nr\.?|n°|numero)\s*)?"
        r"(?P<num>\d{1,6})(?:\s*/\s*(?P<year>\d{4}))?(?:\s*,?\s*(?:del|dell'|in data)\s*(?P<date>" + _DATE + "))?"
        r"(?![\w/])"
    ),
    # "n. 60 del 18/03/2026", "n. 60/2026", "numero 60"
    re.compile(
        r"(?<![\w.])(?i:n\.?|nr\.?|n°|numero)\s*(?P<num>\d{1,6})(?:\s*/\s*(?P<year>\d{4}))?"
        r"(?:\s*,?\s*(?i:del|dell'|in data)\s*(?P<date>" + _DATE + r"))?(?![\w/])"
    ),
    # "60/2026"
    re.compile(r"(?<![\w/.])(?P<num>\d{1,6})\s*/\s*(?P<year>\d{4})(?![\w/])"),
]
_BARE_NUMBER = re.compile(r"(?<![\w/.,])(?P<num>\d{1,6})(?![\w/.,]|\.\d)")
_LAW_KIND_WORDS = re.compile(r"(?i)^(?:d\.?\s?lgs|l\.|legge|dpr|d\.p\.r|d\.l\.|decreto|reg|direttiva)")
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
    if reg is not None and reg.rstrip(".").lower() in {"n", "nr", "art", "c", "co", "l", "d"}:
        return None  # "art. 15", "L. 241/1990" are not registers
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
        if ref.kind in _ACT_KINDS and ref.serial is not None:
            slug = registro_slug(ref.register).lower() if ref.register else None
            own = [f"r{slug}n{ref.serial}a{ref.year}" if slug and ref.year else
                   f"n{ref.serial}a{ref.year}" if ref.year else f"n{ref.serial}"]
            if ref.date is not None:
                own.append(f"d{ref.date.isoformat().replace('-', '')}")
        numbers = [n for n in re.findall(r"\d+", ref.number or "") if not (len(n) == 4 and n == str(ref.year))]
        take(ref.start, ref.end, _citation(own, cites, ref.text, numbers or re.findall(r"\d+", ref.number or "")))
    for pattern in _OWN_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            c = _own_citation(m)
            if c is not None:
                take(m.start(), m.end(), c)
    # A law by its name: "TUEL", "codice dei contratti" (matched on the folded words)
    folded_words = [(w.start(), w.end(), fold(w.group())) for w in re.finditer(r"[^\W_]+", text)]
    joined = " ".join(w for _, _, w in folded_words)
    starts = []
    pos = 0
    for _, _, w in folded_words:
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
    """The query as a :class:`Query`; SearchError for a malformed one (see the module docstring)."""
    if query.count('"') % 2:
        raise SearchError(
            'the query has a quote (") that is not closed: close the phrase, "opere pubbliche", or leave the quotes out'
        )
    # The query as a sequence of phrases, citations and words, in the order typed.
    tokens: list[tuple[str, object]] = []
    for n, segment in enumerate(query.split('"')):
        if n % 2:
            found = [fold(w) for w in words(segment)]
            if not found:
                raise SearchError('the query has an empty phrase (""): write words between the quotes')
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
                raise SearchError("the query has OR before an excluded word: write 'a OR b', and '-c' apart")
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
                raise SearchError("the query has OR with nothing before it: write 'proroga OR rinvio'")
            pending_or = True
            continue
        if raw in {"AND", "&"}:
            continue
        if raw == "NOT":
            negate = True
            continue
        if raw.startswith("-") and len(raw) > 1 and not raw[1:2].isdigit():
            negate, raw = True, raw[1:]
        elif raw == "-":
            raise SearchError("the query has a '-' with nothing after it: write -word to leave out the acts with it")
        name, colon, rest = raw.partition(":")
        if colon and fold(name) in _FIELD_NAMES:
            pending_field = _FIELD_NAMES[fold(name)]
            if not rest:
                continue  # firmatario:"Mario Rossi"
            raw = rest
        prefix = raw.endswith("*")
        found = [fold(w) for w in words(raw)]
        if prefix and (not found or len(found[-1]) < 3):
            raise SearchError(f"the query has the prefix {raw!r}: a prefix needs at least 3 letters, e.g. contribut*")
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
        raise SearchError("the query ends with OR: write 'proroga OR rinvio'")
    if negate or pending_field:
        raise SearchError("the query ends with NOT or a field: write what to leave out, or search, after it")
    # Stopwords neither narrow nor rank: dropped, unless the query has nothing else.
    content = [g for g in groups if not _only_stopwords(g)]
    q = Query(must=content or groups, must_not=excluded)
    if not q.must and q.must_not:
        raise SearchError("the query only excludes words: write what to search for as well, 'bando -revoca'")
    return q


def _only_stopwords(group: list[Item]) -> bool:
    return all(isinstance(i, Term) and not i.prefix and i.field is None and i.word in STOPWORDS for i in group)


def lenient(query: str) -> Query:
    """The query as far as it can be read (for highlighting): a malformed one reads as its words."""
    try:
        return parse(query)
    except SearchError:
        return Query(must=[[Term(fold(w))] for w in words(query)])


# -- what matches, as index tokens -------------------------------------------------------------

# Each item as alternatives of token sequences (a sequence is a phrase), prefix marked by "*".


def _alternatives(item: Item) -> list[tuple[tuple[str, ...], bool]]:
    """The token phrases (and whether the last token is a prefix) any of which matches ``item``."""
    if isinstance(item, Citation):
        return []  # compiled apart: own tokens are required together
    if isinstance(item, Term):
        w = item.word
        if item.field in FIELDS:
            return [((f"{item.field}_{w}",), item.prefix)]
        if item.prefix:
            s = stem(w)
            base = s if w.startswith(s) else w
            return [((w,), True), (("_" + base,), True)]
        return [((w,), False), (("_" + stem(w),), False)]
    if item.field in FIELDS:
        return [(tuple(f"{item.field}_{w}" for w in item.words), False)]
    return [(item.words, False), (tuple("_" + stem(w) for w in item.words), False)]


def exact_alternatives(item: Item) -> list[tuple[tuple[str, ...], bool]]:
    """Only the alternatives of ``item`` as written (no stems)."""
    return [a for a in _alternatives(item) if not a[0][0].startswith("_")]


# -- SQLite FTS5 ---------------------------------------------------------------------------------


def _fts_phrase(tokens: tuple[str, ...], prefix: bool) -> str:
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


def _fts_item(item: Item, *, exact: bool = False) -> str:
    if isinstance(item, Citation):
        own = " AND ".join(f'"{t}"' for t in item.own)
        alternatives = ([f"({own})"] if own else []) + [f'"{t}"' for t in item.cites]
        alternatives += [_fts_item(a)[1:-1] for a in item.also]
        return "(" + " OR ".join(alternatives) + ")"
    found = exact_alternatives(item) if exact else _alternatives(item)
    if not found:
        return '"\u0000"'  # matches nothing
    text = " OR ".join(_fts_phrase(t, p) for t, p in found)
    if getattr(item, "field", None) == "oggetto":
        return "({oggetto} : (" + text + "))"
    return "(" + text + ")"


def fts(q: Query, *, exact: bool = False) -> str:
    """The FTS5 expression of ``q`` (which must not be empty)."""
    groups = ["(" + " OR ".join(_fts_item(i, exact=exact) for i in g) + ")" for g in q.must]
    out = "(" + " AND ".join(groups) + ")"
    for item in q.must_not:
        out += " NOT " + _fts_item(item)
    return out


def fts_features(q: Query) -> list[tuple[int, str]]:
    """(weight, FTS5 expression) of what ranks a match higher (see :func:`features`)."""
    out: list[tuple[int, str]] = []
    own = [c for c in q.citations() if c.own]
    if own:
        out.append((32, " OR ".join("(" + " AND ".join(f'"{t}"' for t in c.own) + ")" for c in own)))
    cites = [t for c in q.citations() for t in c.cites]
    if cites:
        out.append((16, " OR ".join(f'"{t}"' for t in cites)))
    words_only = Query([g for g in q.must if not any(isinstance(i, Citation) for i in g)])
    if words_only.must:
        body = fts(words_only)
        out.append((8, "{persone} : " + body))
        out.append((4, "{oggetto} : " + fts(words_only, exact=True)))
        out.append((2, "{oggetto} : " + body))
        out.append((1, "{oggetto persone} : " + body))
    return out


def fts_head(q: Query) -> str:
    """``q`` matched in the oggetto, the people, the own number and the citations only."""
    return "{oggetto persone estremi citazioni} : " + fts(q)


# -- PostgreSQL tsquery ------------------------------------------------------------------------


def _ts_token(token: str, prefix: bool, weights: str) -> str:
    mark = ":" + ("*" if prefix else "") + weights if prefix or weights else ""
    return f"'{token}'{mark}"


def _ts_phrase(tokens: tuple[str, ...], prefix: bool, weights: str) -> str:
    parts = [_ts_token(t, prefix and i == len(tokens) - 1, weights) for i, t in enumerate(tokens)]
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def _ts_item(item: Item, *, exact: bool = False, weights: str = "") -> str:
    if isinstance(item, Citation):
        own = " & ".join(f"'{t}'" for t in item.own)
        alternatives = ([f"({own})"] if own else []) + [f"'{t}'" for t in item.cites]
        alternatives += [_ts_item(a, weights=weights)[1:-1] for a in item.also]
        return "(" + " | ".join(alternatives) + ")"
    found = exact_alternatives(item) if exact else _alternatives(item)
    if not found:
        return "'\u0001'"
    w = "B" if getattr(item, "field", None) == "oggetto" else weights
    return "(" + " | ".join(_ts_phrase(t, p, w) for t, p in found) + ")"


def tsquery(q: Query, *, exact: bool = False, weights: str = "") -> str:
    """The tsquery (input syntax) of ``q``; ``weights`` restricts its words to those classes."""
    groups = ["(" + " | ".join(_ts_item(i, exact=exact, weights=weights) for i in g) + ")" for g in q.must]
    out = "(" + " & ".join(groups) + ")"
    for item in q.must_not:
        out += " & !" + _ts_item(item)
    return out


def ts_features(q: Query) -> list[tuple[int, str]]:
    """(weight, tsquery) of what ranks a match higher, on the head tsvector (as fts_features)."""
    out: list[tuple[int, str]] = []
    own = [c for c in q.citations() if c.own]
    if own:
        out.append((32, " | ".join("(" + " & ".join(f"'{t}'" for t in c.own) + ")" for c in own)))
    cites = [t for c in q.citations() for t in c.cites]
    if cites:
        out.append((16, " | ".join(f"'{t}'" for t in cites)))
    words_only = Query([g for g in q.must if not any(isinstance(i, Citation) for i in g)])
    if words_only.must:
        out.append((8, tsquery(words_only, weights="A")))
        out.append((4, tsquery(words_only, exact=True, weights="B")))
        out.append((2, tsquery(words_only, weights="B")))
        out.append((1, tsquery(words_only, weights="AB")))
    return out


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


def marker(q: Query) -> Callable[[str], bool]:
    """Whether a word of an act is one ``q`` searched for (and is marked in a snippet)."""
    exact, stems, prefixes = matcher(q)

    def marked(word: str) -> bool:
        f = fold(word)
        return f in exact or stem(word) in stems or (bool(prefixes) and f.startswith(prefixes))

    return marked
