"""The corpus of real act texts (tests/data/import/corpus.yaml) and how an import is scored on it.

Shared by tests/test_import_corpus.py, which holds the importer to its accuracy, and by
bench/import.py, which prints the accuracy per field and the speed.

A field is right when the importer gives the value a person reads in the text. Where the text does
not print it (``numero``/``data`` expected null) the importer is right when it does not claim to
have read one: no number at all, or a date it reports as guessed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from atti.acts.importer import ImportResult

DATA = Path(__file__).parent / "data" / "import"
REAL = DATA / "real"
# the fields bench/import.py reports, in its order; the first four are held to 95%
FIELDS = ("numero", "data", "tipo", "dispositivo", "organo", "punti", "premesse", "visti")
TARGETS = ("numero", "data", "tipo", "dispositivo")


@dataclass(frozen=True)
class Case:
    file: str
    expected: dict[str, Any]

    @property
    def path(self) -> Path:
        return REAL / self.file

    @property
    def heldout(self) -> bool:
        return bool(self.expected.get("heldout"))


def load_corpus() -> list[Case]:
    doc = yaml.safe_load((DATA / "corpus.yaml").read_text(encoding="utf-8"))
    return [Case(a["file"], a) for a in doc["acts"]]


def _norm(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = re.findall(r"\w+", text.casefold())
    return " ".join(w for w in words if w not in {"il", "la", "lo", "l", "del", "della", "dei", "di", "in", "e"})


def score(case: Case, result: ImportResult) -> dict[str, bool | None]:
    """Each field of ``FIELDS``: right (True), wrong (False) or not judged (None)."""
    want, act = case.expected, result.act
    out: dict[str, bool | None] = {}
    out["tipo"] = act.tipo.value == want["tipo"] and "tipo" not in result.guessed
    out["numero"] = act.numero == want["numero"]
    if want["data"] is None:
        out["data"] = "data" in result.guessed or "data" in result.missing
    else:
        out["data"] = act.data == dt.date.fromisoformat(str(want["data"]))
    got, expected = _norm(act.organo), _norm(want["organo"])
    out["organo"] = bool(got) and (got in expected or expected in got)
    has_punti = "dispositivo" not in result.missing
    out["dispositivo"] = has_punti == bool(want["dispositivo"])
    counts = {
        "punti": len(act.dispositivo.punti) if has_punti else 0,
        "premesse": len(act.premesse) + len(act.considerato),
        "visti": len(act.visti),
    }
    for key, n in counts.items():
        out[key] = None if want[key] is None else n == want[key]
    return out


def accuracy(rows: list[dict[str, bool | None]]) -> dict[str, float | None]:
    """The share right of each field over the rows that judge it."""
    out: dict[str, float | None] = {}
    for key in FIELDS:
        judged = [r[key] for r in rows if r[key] is not None]
        out[key] = sum(1 for v in judged if v) / len(judged) if judged else None
    return out
