"""Tamper evidence, the same on every backend: the event chain's hashes and the row digests.

Every event that creates or changes an act records a digest of the act's row as written
(``row_digest``: the SHA-256 of the canonical JSON of its columns, plus a short digest per column
so that a later check can name the column that changed), and that digest is part of the event's
chained hash. Rows are read by column name: SQLite's and PostgreSQL's rows, with the same columns
and values, digest identically, so an archive migrated between them verifies unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64

# Columns added to a table after rows were recorded in events: left out of a row's digest while
# they hold their default, so a row recorded before the column existed still matches its event
# (and any other value, e.g. an act made riservato behind atti's back, does not). Schema 6 gave
# the versions who made each one and what a review said: NULL in every version written before.
LATE_COLUMNS: dict[str, object] = {"riservato": 0, "actor": None, "verifica": None, "esito": None, "note": None}


def event_hash(prev: str, at: str, kind: str, act_id: str | None, payload: str, row_digest: str | None) -> str:
    fields = [prev, at, kind, act_id, payload]
    if row_digest is not None:  # events of schema 1 have none: their hash stays as it was written
        fields.append(row_digest)
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest_of(row: Any) -> dict[str, Any]:
    """One row's digest: whole-row SHA-256 and 16 hex per column (``row``: an sqlite3.Row or a dict)."""
    columns = {
        key: row[key] for key in row.keys()  # noqa: SIM118 (sqlite3.Row is not a mapping)
        if key not in LATE_COLUMNS or row[key] != LATE_COLUMNS[key]
    }
    return {
        "sha256": hashlib.sha256(_canonical(columns).encode()).hexdigest(),
        "columns": {k: hashlib.sha256(_canonical(v).encode()).hexdigest()[:16] for k, v in columns.items()},
    }


def row_digest(row: Any, *, versions: list[Any] | None = None, references: list[Any] | None = None) -> str:
    """The digest of an act's row that events record: whole-row SHA-256 and 16 hex per column.

    From schema 3 it also covers the act's version rows (one digest each, by number) and its
    reference rows (one digest for all): they change only together with an event about the act,
    so the last such event vouches for all of them.
    """
    digest = digest_of(row)
    if versions is not None:
        digest["versions"] = {str(v["version"]): digest_of(v) for v in versions}
    if references is not None:
        digest["references"] = references_digest(references)
    return _canonical(digest)


def references_digest(rows: list[Any]) -> str:
    return hashlib.sha256(_canonical([[r[k] for k in r.keys()] for r in rows]).encode()).hexdigest()  # noqa: SIM118


def loads(text: str) -> dict[str, Any]:
    """A JSON object, or {} for anything else: a tampered payload is the event chain's finding."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
