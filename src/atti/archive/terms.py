"""What the search index holds of an act: its words, their light stems, its people, its own
number and the acts and laws it cites, as tokens the same on SQLite and PostgreSQL.

Both backends index these tokens (SQLite in an FTS5 table, PostgreSQL in a tsvector), never
their own analysis of the text: a query therefore matches the same acts on both.

Tokens live in separate namespaces, so that no column filter is needed to tell them apart (a
query on the oggetto alone is a query on its tokens, as fast as any other):

* ``o_proroga``, ``os_prorog``: a word of the oggetto as written (lowercase, accents folded), and
  its light stem (see :func:`stem`);
* ``_prorog``: the light stem of a word of the body, and of the act's tipo (``_ordinanz``: its
  title says it, so "ordinanze" finds the ordinanze);
* ``p_ventrice``, ``firmatario_ventrice``: a word of a person or body, and the same in its role
  (``FIELDS``);
* ``n60``, ``n60a2026``, ``rdon60a2026``, ``rdon60``, ``tdeterminazionen60a2026``,
  ``tdeterminazionen60``, ``d20260318``: the act's own number, in its register, of its tipo, its
  date;
* ``c60a2026``, ``c60``, ``c267a2000``: what the act cites (a law's abbreviation, "TUEL", cites
  the law it stands for), never its own number, which its text may print (a page's header).

The stemmer is deliberately light: it brings together the forms of one word (gender, number,
"-are" verbs and their participles: proroga, proroghe, prorogare, prorogato) and nothing else,
so that "opere" does not match "operativo" (Snowball's "oper") nor "operazione".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from atti.acts.references import Reference, extract_references, registro_slug

# The version of the tokens a document gives. Bump it with every change to what document() and
# its helpers make of an act: an archive indexed with another version is indexed anew when it is
# next opened for writing (storage/sqlite.py, storage/postgresql.py), since a search meets the
# query's tokens with the index's, and SQLite's FTS5 removes an act's entry by the tokens it
# computes now. tests/test_search_index_version.py fails when the tokens change and this does not.
INDEX_VERSION = 2

# A word: letters and digits (an underscore is a namespace mark in the index, never part of a word).
WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Articles, prepositions and conjunctions: in nearly every act, so they neither narrow nor rank a
# search, and their huge posting lists are what makes a query slow. Dropped from queries that
# have other words ("proroga dei termini" searches "proroga" and "termini").
_STOPWORDS = (
    "il lo la i gli le l un uno una d di del dello della dei degli delle dell a al allo alla ai agli"
    " alle all da dal dallo dalla dai dagli dalle dall in nel nello nella nei negli nelle nell con su sul"
    " sullo sulla sui sugli sulle sull per tra fra e ed o od che non si come anche ma"
)
STOPWORDS = frozenset(_STOPWORDS.split())

# The roles of the people and bodies of an act, as a query names them ("firmatario:Ventrice"),
# and its tipo ("tipo:ordinanza"; a plain "ordinanza" finds the ordinanze too).
FIELDS = ("firmatario", "proposta", "verificatore", "ente", "organo", "tipo")

# How the act's people other than the signer travel in its searchable text (Act.body_text): one
# line each, "Proposta: <struttura>, <firmatario>" and "Verifica <tipo>: <nome>".
PEOPLE_LINE = re.compile(r"^(?P<role>Proposta|Verifica)\b[^:\n]{0,80}:\s*(?P<who>[^\n]+)$", re.MULTILINE)


@lru_cache(maxsize=262144)
def fold(word: str) -> str:
    """Lowercase, without accents: lost accents are common in imported text ("citta'")."""
    if word.isascii():
        return word.lower()
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return WORD.findall(text)


# "-are" verbs and the participles of every conjugation, with what remains at least 4 letters:
# "prorogare", "prorogato" -> "prorog"; "stato", "parere" stay whole words.
_VERB_ENDINGS = ("are", "ato", "ata", "ati", "ate", "ito", "ita", "iti", "ite", "uto", "uta", "uti", "ute")


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """The light stem of an Italian word (see the module docstring); numbers stay as they are."""
    w = fold(word)
    if len(w) <= 3 or not w.isalpha():
        return w
    for ending in _VERB_ENDINGS:
        if w.endswith(ending) and len(w) - len(ending) >= 4:
            return _hard(w[: -len(ending)])
    if w[-1] in "aeiou":
        w = w[:-1]
        if w.endswith("i") and len(w) > 3:
            w = w[:-1]
    return _hard(w)


def _hard(w: str) -> str:
    # "proroghe" -> "prorogh" -> "prorog", as "proroga"; "pubbliche" as "pubblica"
    return w[:-1] if w.endswith(("ch", "gh")) else w


def stem_text(text: str) -> str:
    return " ".join(stem(w) for w in words(text))


# -- citations ---------------------------------------------------------------------------------

# The laws people cite by a name or an abbreviation, with the key of the law (its number and
# year): in a query the name finds the acts citing the law by number, and the other way round.
LAW_NAMES: dict[str, str] = {
    "tuel": "267a2000",
    "testo unico enti locali": "267a2000",
    "testo unico degli enti locali": "267a2000",
    "testo unico delle leggi sull ordinamento degli enti locali": "267a2000",
    "codice dei contratti": "36a2023",
    "codice dei contratti pubblici": "36a2023",
    "codice degli appalti": "36a2023",
    "codice appalti": "36a2023",
    "cad": "82a2005",
    "codice dell amministrazione digitale": "82a2005",
    "gdpr": "679a2016",
    "rgpd": "679a2016",
    "codice privacy": "196a2003",
    "codice della privacy": "196a2003",
    "tupi": "165a2001",
    "testo unico pubblico impiego": "165a2001",
    "testo unico sul pubblico impiego": "165a2001",
    "legge sul procedimento amministrativo": "241a1990",
    "tuda": "445a2000",
    "testo unico documentazione amministrativa": "445a2000",
    "decreto trasparenza": "33a2013",
    "legge anticorruzione": "190a2012",
    "legge severino": "190a2012",
    "tusp": "175a2016",
    "codice dei beni culturali": "42a2004",
    "codice della strada": "285a1992",  # not "C.d.S.", which also names the Consiglio di Stato
}
_LAW_NAME = re.compile(r"\b(" + "|".join(sorted((re.escape(n) for n in LAW_NAMES), key=len, reverse=True)) + r")\b")


def law_names_in(folded: str) -> list[str]:
    """The keys of the laws named in ``folded`` text (lowercase, no accents, punctuation as spaces)."""
    return [LAW_NAMES[m.group(1)] for m in _LAW_NAME.finditer(folded)]


def flat(text: str) -> str:
    """``text`` folded, its words separated by single spaces (what LAW_NAMES are matched against)."""
    return " ".join(fold(w) for w in words(text))


# A number as the registers of some bodies print it: "U00117" and "G13543" (Regione Lazio), "0176/Pres."
# (Friuli Venezia Giulia), "175/PRO", "X/7859" (a legislature first): the act's serial is its digits.
_PRINTED_SERIAL = re.compile(r"(?:[IVXLC]+/)?[A-Za-z]{0,2}\s?0*(?P<serial>\d{1,6})(?:\s*/\s*[A-Za-z][A-Za-z.]*)?")


def serial_of(ref: Reference) -> int | None:
    """The number of the act ``ref`` cites within its register and year: :attr:`Reference.serial`,
    or the digits of a number printed with a letter prefix, a legislature or a register after it
    (``_PRINTED_SERIAL``); None for a number that is no serial ("2006/123/CE", "5/24483")."""
    if ref.serial is not None or ref.number is None:
        return ref.serial
    m = _PRINTED_SERIAL.fullmatch(ref.number.rstrip("."))
    return int(m["serial"]) if m and int(m["serial"]) else None


def citation_key(ref: Reference) -> str | None:
    """The key of what a citation names, number and year: "60a2026", "267a2000", "1536a2023"
    (DGR n. XII/1536 del 18 dicembre 2023), "679a2016" (Regolamento UE 2016/679); the number
    alone when the year is unknown ("60"); None for a citation by date only."""
    if ref.number is None:
        return None
    serial = serial_of(ref)  # "XII/1536": the number after the legislature; "U00117": 117
    parts = ref.number.split("/")
    if (serial is None and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit()
            and ref.year == int(parts[0])):
        serial = int(parts[1])  # EU style, year first: "2016/679"
    if serial is None:
        key = "".join(words(fold(ref.number)))
        return key or None
    return f"{serial}a{ref.year}" if ref.year else str(serial)


def citation_tokens(text: str, own: tuple[int, int] | None = None) -> list[str]:
    """The ``c...`` tokens of everything ``text`` cites, and of the laws it names; ``own`` (number,
    year) is the act's own number, which its text names without citing it (a page's header, the
    title of its allegato: "ALLEGATO AL DECRETO RETTORALE N. 60")."""
    out: list[str] = []
    itself = {str(own[0]), f"{own[0]}a{own[1]}"} if own else set()
    for ref in extract_references(text):
        key = citation_key(ref)
        if key is not None and key not in itself:
            out.append(f"c{key}")
            if "a" in key and key.split("a")[0].isdigit():
                out.append(f"c{key.split('a')[0]}")
    out += [f"c{key}" for key in law_names_in(flat(text))]
    return out


def own_tokens(register: str, year: int, number: int | None, data: str, tipo: str = "") -> list[str]:
    """The ``n...``/``r...``/``t...``/``d...`` tokens of an act's own number (in its register, of
    its tipo: "tdeliberan12a2025") and date."""
    out = [f"d{data.replace('-', '')}"]
    if number is not None:
        slug = registro_slug(register).lower() or "r"
        out += [f"n{number}", f"n{number}a{year}", f"r{slug}n{number}a{year}", f"r{slug}n{number}"]
        if tipo:
            kind = "".join(words(fold(tipo)))
            out += [f"t{kind}n{number}a{year}", f"t{kind}n{number}"]  # "ordinanza n. 17" names no year
    return out


# -- the index document ------------------------------------------------------------------------

# The columns of the index, in order, and which of them a match of the oggetto or the people counts.
COLUMNS = ("oggetto", "body", "persone", "estremi", "citazioni")


@dataclass(frozen=True)
class Document:
    """An act's tokens per index column, each a string of space-separated tokens."""

    oggetto: str
    body: str
    persone: str
    estremi: str
    citazioni: str

    def columns(self) -> tuple[str, str, str, str, str]:
        return (self.oggetto, self.body, self.persone, self.estremi, self.citazioni)


def people_of(signer: str, ente: str, organo: str, body: str, tipo: str = "") -> list[tuple[str, str]]:
    """(role, text) of the act's people and bodies: its signer, ente and organo, and the
    proposta and verificatori lines of its text (see PEOPLE_LINE); and its tipo."""
    out = [("firmatario", signer), ("ente", ente), ("organo", organo), ("tipo", tipo)]
    for m in PEOPLE_LINE.finditer(body):
        out.append(("proposta" if m["role"] == "Proposta" else "verificatore", m["who"]))
    return out


def document(
    *, oggetto: str, body: str, signer: str, ente: str, organo: str, register: str, year: int,
    number: int | None, data: str, tipo: str = "",
) -> Document:
    """The index document of an act, from what its catalog row holds."""
    exact = [fold(w) for w in words(oggetto)]
    # the tipo is a word of the act (its title says it): "ordinanze" finds the ordinanze by its stem
    kind = [stem(w) for w in words(tipo)]
    # the register is a word people type with the number: "Ocdpc n. 274", "DCA 68/2015"
    slug = registro_slug(register).lower()
    persone: list[str] = [f"p_{slug}"] if slug else []
    for role, who in people_of(signer, ente, organo, body, tipo):
        found = [fold(w) for w in words(who)]
        persone += [f"p_{w}" for w in found] + [f"{role}_{w}" for w in found]
    return Document(
        oggetto=" ".join(["o_" + w for w in exact] + ["os_" + stem(w) for w in exact]),
        body=" ".join("_" + w for w in [*kind, *(stem(w) for w in words(body))]),
        persone=" ".join(persone),
        estremi=" ".join(own_tokens(register, year, number, data, tipo)),
        citazioni=" ".join(citation_tokens(f"{oggetto}\n{body}", None if number is None else (number, year))),
    )


def document_of_row(row: Any) -> Document:
    """The index document of an acts row (an sqlite3.Row or a dict, read by column name)."""
    return document(
        oggetto=str(row["oggetto"]), body=str(row["body"]), signer=str(row["signer"]), ente=str(row["ente"]),
        organo=str(row["organo"]), register=str(row["register"]), year=int(row["year"]),
        number=None if row["number"] is None else int(row["number"]), data=str(row["data"]), tipo=str(row["tipo"]),
    )


def vocabulary_tokens(doc: Document) -> list[str]:
    """The tokens of ``doc`` a misspelt query word may be corrected to: the oggetto's words as
    written and the people's (atti.archive.query.corrected)."""
    return sorted({t for t in (*doc.oggetto.split(), *doc.persone.split()) if t.startswith(("o_", "p_"))})


# PostgreSQL: one tsvector, each column a weight (A the people and the own number, B the
# oggetto, C the citations, D the body), and a small "head" tsvector without the body.
PG_WEIGHTS = {"persone": "A", "estremi": "A", "oggetto": "B", "citazioni": "C", "body": "D"}
_PG_MAX_POSITION = 16383


def tsvector_literal(doc: Document, *, head: bool = False) -> str:
    """The tsvector of ``doc`` as PostgreSQL's input syntax ('tok':1A,5B ...), positions running
    through the columns in COLUMNS order with a gap between them (no phrase spans two)."""
    positions: dict[str, list[str]] = {}
    pos = 1
    for name, text in zip(COLUMNS, doc.columns(), strict=True):
        if head and name == "body":
            continue
        weight = PG_WEIGHTS[name]
        for token in text.split():
            positions.setdefault(token, []).append(f"{min(pos, _PG_MAX_POSITION)}{weight}")
            pos += 1
        pos += 10
    # A lexeme keeps at most 256 positions in PostgreSQL; more add nothing to a match.
    return " ".join(f"'{t}':{','.join(p[:256])}" for t, p in positions.items())
