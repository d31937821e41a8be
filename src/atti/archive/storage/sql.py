"""The catalog's rules, once for SQLite and PostgreSQL: sealing, register counters, versions,
references, drafts and the hash-chained event log, in the SQL both speak.

A backend subclasses :class:`SqlCatalog` with its connection, schema, transactions, locks and
search, and the few ways to run a statement written with ``?`` placeholders (PostgreSQL's turn
them into ``%s``). What the two dialects write differently is a class attribute. Rows are read
by column name: the digests (atti.archive.digests) see the same columns and values either way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from atti.archive import search as fts
from atti.archive.digests import GENESIS, as_dict, digest_of, event_hash, loads, references_digest, row_digest
from atti.archive.records import (
    DRAFT_STATES,
    ActRecord,
    BlobRef,
    Made,
    ReferenceRecord,
    SearchHit,
    VersionRecord,
    act_record,
    reference_record,
    version_record,
)
from atti.archive.storage.head import ChainHead
from atti.errors import ActNotFound, ArchiveError, DuplicateNumber
from atti.i18n import _


class SqlCatalog:
    """The backend-independent half of a catalog (see the module docstring)."""

    # The order rows were written in: SQLite's rowid, a BIGSERIAL ``seq`` column in PostgreSQL.
    ORDER = "rowid"
    # Every act by register, year and number, drafts (number NULL) first as SQLite sorts them.
    BY_NUMBER = "register, year, number"
    # Raise a register's counter to an act's number, never lower it (an upsert's DO UPDATE).
    RAISE_COUNTER = "max(last_number, excluded.last_number)"
    # A citation's number that starts with a digit.
    STARTS_WITH_DIGIT = "GLOB '[0-9]*'"
    # The columns of the acts, versions and reference rows that the digests cover.
    ACT_SELECT = VERSION_SELECT = REFERENCE_SELECT = "*"

    _head_due: bool  # events were appended in the open transaction (see atti.archive.storage.head)

    # -- running statements (``?`` placeholders) -----------------------------------------------

    def _execute(self, query: str, params: Sequence[Any] = ()) -> Any:
        """Run a statement of a write (inside ``transaction``, whose errors it leaves to it); the cursor."""
        raise NotImplementedError

    def _execute_many(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _fetch_one(self, query: str, params: Sequence[Any] = ()) -> Any:
        """The first row a read finds, or None."""
        raise NotImplementedError

    def _fetch_all(self, query: str, params: Sequence[Any] = ()) -> Iterable[Any]:
        raise NotImplementedError

    def _in(self, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        """A condition "is one of ``values``" to follow a column, with its parameters."""
        return f"IN ({', '.join('?' * len(values))})", tuple(values)

    # -- the act's row and its search entry (the backend's own) --------------------------------

    def _insert_row(self, record: ActRecord, body: str) -> None:
        """A new act's row and its search entry."""
        raise NotImplementedError

    def _insert_new_act(self, record: ActRecord, body: str) -> None:
        """As :meth:`_insert_row`, refusing (DuplicateNumber) an id or a number already taken."""
        raise NotImplementedError

    def _replace_row(self, act_id: str, record: ActRecord, body: str) -> None:
        """Make the row of ``act_id`` (a draft's) ``record``, its search entry too, keeping its place."""
        raise NotImplementedError

    def _search(self, query: str, f: fts.Filters, limit: int, offset: int) -> list[SearchHit]:
        """One page of :meth:`search`, ``f`` with its shorthands applied."""
        raise NotImplementedError

    # -- registers -----------------------------------------------------------------------------

    def last_number(self, register: str, year: int) -> int:
        row = self._fetch_one("SELECT last_number FROM registers WHERE register=? AND year=?", (register, year))
        return int(row["last_number"]) if row else 0

    def number_taken(self, register: str, year: int, number: int) -> str | None:
        row = self._fetch_one("SELECT id FROM acts WHERE register=? AND year=? AND number=?", (register, year, number))
        return str(row["id"]) if row else None

    def registers(self) -> list[str]:
        rows = self._fetch_all("SELECT DISTINCT register FROM registers ORDER BY register")
        return [str(r["register"]) for r in rows]

    def neighbours(
        self, register: str, year: int, number: int
    ) -> tuple[tuple[int, dt.date] | None, tuple[int, dt.date] | None]:
        """The number and date of the act just before ``number`` in the register's year, and just after."""
        found: list[tuple[int, dt.date] | None] = []
        for compare, order in (("<", "DESC"), (">", "ASC")):
            row = self._fetch_one(
                f"SELECT number, data FROM acts WHERE register=? AND year=? AND number {compare} ?"
                f" ORDER BY number {order} LIMIT 1", (register, year, number),
            )
            found.append((int(row["number"]), dt.date.fromisoformat(str(row["data"]))) if row else None)
        return found[0], found[1]

    def register_gaps(self) -> list[tuple[str, int, int, int]]:
        """Where numbers are missing inside a register's year: imported acts keep their own numbers."""
        rows = self._fetch_all(
            "SELECT register, year, previous + 1 AS first, number - 1 AS last FROM ("
            " SELECT register, year, number,"
            " lag(number) OVER (PARTITION BY register, year ORDER BY number) AS previous"
            " FROM acts WHERE number IS NOT NULL) numbered"
            " WHERE number > previous + 1 ORDER BY register, year, number"
        )
        return [(str(r["register"]), int(r["year"]), int(r["first"]), int(r["last"])) for r in rows]

    def _count(self, record: ActRecord) -> None:
        """Raise the register's counter to the act's number (never lower it)."""
        self._execute(
            f"INSERT INTO registers VALUES (?,?,?) ON CONFLICT (register, year) DO UPDATE SET last_number = "
            f"{self.RAISE_COUNTER}",
            (record.registro, record.anno, record.numero),
        )

    # -- acts ----------------------------------------------------------------------------------

    def insert_act(
        self, record: ActRecord, body: str, references: Sequence[ReferenceRecord] = (), *, actor: str | None = None
    ) -> None:
        """Record a sealed act and what it cites; call inside :meth:`transaction`.

        The act gets two versions with the same files: ``firmato`` (reason ``signed``) and then
        ``record.state`` (reason ``published``), both made by ``actor``, and one ``published``
        event records its rows. Refuses an act without a number, a number or id already taken
        (DuplicateNumber).
        """
        self._check_sealable(record)
        self._insert_new_act(record, body)
        self._seal_rows(record, references, actor)
        self.append_event("published", record.id, record.to_dict())

    def restore_act(
        self, record: ActRecord, body: str, versions: Sequence[VersionRecord], references: Sequence[ReferenceRecord]
    ) -> None:
        """Record a sealed act with the history it had in another archive; call inside :meth:`transaction`.

        Its row (``created_at`` included), search entry, register counter, ``versions`` (numbers,
        states, reasons, files, dates as given) and ``references`` as given, and one ``imported``
        event. Refuses what :meth:`insert_act` refuses.
        """
        self._check_sealable(record)
        self._insert_new_act(record, body)
        self._count(record)
        self._execute_many(
            "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason, by_act,"
            " created_at, actor, verifica, esito, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(record.id, v.version, v.stato, v.source.sha256, v.docx.sha256, v.pdf.sha256, v.reason, v.by_act,
              v.created_at, v.actor, v.verifica, v.esito, v.note) for v in versions],
        )
        self._insert_references(record.id, references)
        self.append_event("imported", record.id, {**record.to_dict(), "versions": len(versions)})

    def _check_sealable(self, record: ActRecord) -> None:
        if record.numero is None:
            raise ArchiveError(_("{id} has no number: only a numbered act can be sealed").format(id=record.id))
        taken = self.number_taken(record.registro, record.anno, record.numero)
        if taken:
            raise DuplicateNumber(
                _("registro {register} already has number {number}/{year} ({taken})").format(
                    register=record.registro, number=record.numero, year=record.anno, taken=taken
                )
            )

    def _seal_rows(self, record: ActRecord, references: Sequence[ReferenceRecord], actor: str | None) -> None:
        """The register's counter, the signed and the published versions, the references."""
        self._count(record)
        self._insert_version(record.id, "firmato", record.source, record.docx, record.pdf, "signed", None,
                             Made(actor))
        self._insert_version(record.id, record.stato, record.source, record.docx, record.pdf, "published", None,
                             Made(actor))
        self._insert_references(record.id, references)

    def get(self, act_id: str) -> ActRecord:
        row = self._fetch_one("SELECT * FROM acts WHERE id=?", (act_id,))
        if row is None:
            raise ActNotFound(_("no act with id {id} in the archive").format(id=act_id))
        return act_record(row)

    def all(self) -> list[ActRecord]:
        return [act_record(r) for r in self._fetch_all(f"SELECT * FROM acts ORDER BY {self.BY_NUMBER}")]

    def counts(self) -> tuple[int, int]:
        """How many acts and events the catalog holds."""
        row = self._fetch_one("SELECT (SELECT count(*) FROM acts) AS acts, (SELECT count(*) FROM events) AS events")
        return int(row["acts"]), int(row["events"])

    def search(
        self,
        query: str = "",
        *,
        filters: fts.Filters | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> list[SearchHit]:
        """Acts matching the query's words (best first) and the filters; without words, newest first.

        ``query`` is Italian text (stemmed, stopwords dropped, all words required) or an act's
        number "129/2026" (that number, not the words 129 and 2026); a broad query ranks its
        oggetto matches first. ``offset`` skips that many results of the same ordering (pagination: page n is
        ``offset=n*limit``); :meth:`count` says how many there are in all.
        """
        return self._search(query, filters or fts.Filters(), limit, offset)

    # -- drafts --------------------------------------------------------------------------------

    def save_draft(self, record: ActRecord, body: str, *, reason: str, made: Made | None = None) -> int:
        """Record a version of a draft; call inside :meth:`transaction`. Returns its number.

        ``record`` has no number and a state in DRAFT_STATES. An id no act has (one from
        :meth:`new_draft_id`) makes a new draft; the id of a draft makes its row ``record``
        (search sees the new text). The new version holds ``record``'s state and files (a
        sha256 of "" is "no file": a draft not yet rendered) with ``reason`` and ``made`` (who,
        and what a review said); an event ``reason`` records the rows. Refuses (ArchiveError) an
        id that is not a draft.
        """
        if record.numero is not None or record.stato not in DRAFT_STATES:
            raise ArchiveError(
                _("{id}: a draft has no number and is {states}").format(
                    id=record.id, states=_(" or ").join(DRAFT_STATES)
                )
            )
        row = self._execute("SELECT number, state FROM acts WHERE id=?", (record.id,)).fetchone()
        if row is None:
            self._insert_row(record, body)
        else:
            if row["number"] is not None or row["state"] not in DRAFT_STATES:
                raise ArchiveError(_("{id} is not a draft: it is {stato}").format(id=record.id, stato=row["state"]))
            self._replace_row(record.id, record, body)
        made = made or Made()
        version = self._insert_version(record.id, record.stato, record.source, record.docx, record.pdf, reason, None,
                                       made)
        self.append_event(reason, record.id, {"state": record.stato, "version": version, **made.payload()})
        return version

    def seal_draft(
        self, draft_id: str, record: ActRecord, body: str, references: Sequence[ReferenceRecord] = (), *,
        actor: str | None = None,
    ) -> None:
        """Make the draft ``draft_id`` the sealed act ``record``; call inside :meth:`transaction`.

        The draft's row becomes the act's (id, number, text, files, state), its versions become
        the act's first versions, followed by ``firmato`` (``signed``) and ``record.state``
        (``published``) as in :meth:`insert_act`. Two events: ``draft-sealed`` about the draft id
        (payload ``{"act_id": record.id}``: the draft's earlier events vouch for nothing any more)
        and ``published`` about the act (payload ``record.to_dict()`` plus ``"draft"``). Refuses an
        unknown draft (ActNotFound), one that is not a draft any more (ArchiveError), a number or
        id taken (DuplicateNumber).
        """
        row = self._execute("SELECT number, state FROM acts WHERE id=?", (draft_id,)).fetchone()
        if row is None:
            raise ActNotFound(_("no draft with id {id} in the archive").format(id=draft_id))
        if row["number"] is not None or row["state"] not in DRAFT_STATES:
            raise ArchiveError(_("{id} is not a draft: it is {stato}").format(id=draft_id, stato=row["state"]))
        self._check_sealable(record)
        if record.id != draft_id and self._execute("SELECT 1 FROM acts WHERE id=?", (record.id,)).fetchone():
            raise DuplicateNumber(_("an act with id {id} is already in the archive").format(id=record.id))
        self._replace_row(draft_id, record, body)
        self._execute("UPDATE versions SET act_id=? WHERE act_id=?", (record.id, draft_id))
        self._seal_rows(record, references, actor)
        self.append_event("draft-sealed", draft_id, {"act_id": record.id})
        self.append_event("published", record.id, {**record.to_dict(), "draft": draft_id})

    def drafts(self) -> list[ActRecord]:
        """Every draft (no number, state in DRAFT_STATES), oldest first."""
        states, params = self._in(DRAFT_STATES)
        return [act_record(r) for r in self._fetch_all(
            f"SELECT * FROM acts WHERE number IS NULL AND state {states} ORDER BY {self.ORDER}", params
        )]

    # -- versions ------------------------------------------------------------------------------

    def _insert_version(
        self, act_id: str, state: str, source: BlobRef, docx: BlobRef, pdf: BlobRef, reason: str, by_act: str | None,
        made: Made,
    ) -> int:
        row = self._execute("SELECT max(version) AS n FROM versions WHERE act_id=?", (act_id,)).fetchone()
        number = int(row["n"] or 0) + 1
        self._execute(
            "INSERT INTO versions (act_id, version, state, source_sha256, docx_sha256, pdf_sha256, reason, by_act,"
            " created_at, actor, verifica, esito, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (act_id, number, state, source.sha256, docx.sha256, pdf.sha256, reason, by_act,
             dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), made.actor, made.verifica, made.esito, made.note),
        )
        return number

    def set_pdf(
        self, act_id: str, pdf: BlobRef, kind: str, payload: dict[str, Any], *, actor: str | None = None
    ) -> None:
        """Point an act at a new version of its PDF and log why; call inside :meth:`transaction`.

        Only the reference changes: the previous version stays in the blob store, and the event
        (hash-chained like every other) names it.
        """
        if self._execute("UPDATE acts SET pdf_sha256=? WHERE id=?", (pdf.sha256, act_id)).rowcount == 0:
            raise ActNotFound(_("no act with id {id} in the archive").format(id=act_id))
        record = self.get(act_id)
        # The event's row digest records the new version row too (see row_digest).
        self._insert_version(act_id, record.stato, record.source, record.docx, pdf, kind, None, Made(actor))
        self.append_event(kind, act_id, payload)

    def set_state(self, act_id: str, state: str, *, reason: str, by_act: str, actor: str | None = None) -> int:
        """Give an act a new state (``annullato``...) as a new version; call inside :meth:`transaction`.

        The act keeps its number and files: only its row's state changes, the new version names
        ``by_act``, the act that changed it, and the event records both rows.
        """
        if self._execute("UPDATE acts SET state=? WHERE id=?", (state, act_id)).rowcount == 0:
            raise ActNotFound(_("no act with id {id} in the archive").format(id=act_id))
        record = self.get(act_id)
        version = self._insert_version(act_id, state, record.source, record.docx, record.pdf, reason, by_act,
                                       Made(actor))
        self.append_event(reason, act_id, {"state": state, "by_act": by_act, "version": version})
        return version

    def versions(self, act_id: str) -> list[VersionRecord]:
        """The act's versions, oldest first; raises ActNotFound for an unknown act."""
        self.get(act_id)
        return [version_record(r) for r in self._fetch_all(
            "SELECT * FROM versions WHERE act_id=? ORDER BY version", (act_id,)
        )]

    # -- references ----------------------------------------------------------------------------

    def relink_candidates(self, kinds: Sequence[str]) -> list[str]:
        """Sealed acts whose references may link better now, oldest first: those without any
        reference row (archived before schema 3), and those with a citation in the text of one
        of ``kinds`` that has no target id but a number starting with a digit, a year and a
        date (it may name an act archived since)."""
        kind_in, params = self._in(kinds)
        return [r["id"] for r in self._fetch_all(
            "SELECT id FROM acts a WHERE a.number IS NOT NULL AND (NOT EXISTS (SELECT 1 FROM act_references r"
            " WHERE r.act_id = a.id) OR EXISTS (SELECT 1 FROM act_references r WHERE r.act_id = a.id"
            f" AND r.target_id IS NULL AND r.relazione IS NULL AND r.kind {kind_in}"
            f" AND r.number {self.STARTS_WITH_DIGIT} AND r.year IS NOT NULL AND r.date IS NOT NULL))"
            f" ORDER BY a.{self.ORDER}",
            params,
        )]

    def replace_references(self, act_id: str, references: Sequence[ReferenceRecord]) -> None:
        """Replace the act's reference rows by ``references`` and log a ``references-relinked``
        event recording them; call inside :meth:`transaction`. The act's row and versions stay."""
        self.get(act_id)
        self._execute("DELETE FROM act_references WHERE act_id=?", (act_id,))
        self._insert_references(act_id, references)
        linked = sum(1 for r in references if r.target_id is not None)
        self.append_event("references-relinked", act_id, {"references": len(references), "with_target": linked})

    def _insert_references(self, act_id: str, references: Sequence[ReferenceRecord]) -> None:
        if not references:
            return
        self._execute_many(
            "INSERT INTO act_references (act_id, part, idx, kind, number, year, date, text, target_id, relazione)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (act_id, r.part, r.index, r.tipo, r.numero, r.anno, r.data.isoformat() if r.data else None,
                 r.testo, r.target_id, r.relazione)
                for r in references
            ],
        )

    def cites(self, act_id: str) -> list[ReferenceRecord]:
        """What the act cites and its relazioni, in text order."""
        return self._references("r.act_id = ?", act_id)

    def cited_by(self, act_id: str) -> list[ReferenceRecord]:
        """Every citation and relazione of other acts whose target is ``act_id`` (archived or not)."""
        return self._references("r.target_id = ? AND r.act_id != r.target_id", act_id)

    def _references(self, where: str, act_id: str) -> list[ReferenceRecord]:
        rows = self._fetch_all(
            "SELECT r.*, a.id IS NOT NULL AS present FROM act_references r LEFT JOIN acts a ON a.id = r.target_id"
            f" WHERE {where} ORDER BY r.act_id, r.{self.ORDER}",
            (act_id,),
        )
        return [reference_record(r) for r in rows]

    # -- the event log -------------------------------------------------------------------------

    def append_event(self, kind: str, act_id: str | None, payload: dict[str, Any]) -> None:
        """Append to the event log (inside :meth:`transaction`, whose lock orders the appends); each
        entry hashes the one before it.

        An event about an act records the digest of the act's rows as they are now, inside the
        transaction that wrote them (see atti.archive.digests).
        """
        row = self._execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        prev, seq = (row["hash"], int(row["seq"]) + 1) if row else (GENESIS, 1)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        digest = None
        if act_id:
            act = self._execute(f"SELECT {self.ACT_SELECT} FROM acts WHERE id=?", (act_id,)).fetchone()
            if act is not None:
                versions = self._execute(
                    f"SELECT {self.VERSION_SELECT} FROM versions WHERE act_id=? ORDER BY version", (act_id,)
                ).fetchall()
                references = self._execute(
                    f"SELECT {self.REFERENCE_SELECT} FROM act_references WHERE act_id=? ORDER BY {self.ORDER}",
                    (act_id,),
                ).fetchall()
                digest = row_digest(act, versions=versions, references=references)
        self._head_due = True
        self._execute(
            "INSERT INTO events (seq, at, kind, act_id, payload, prev_hash, hash, row_digest) VALUES (?,?,?,?,?,?,?,?)",
            (seq, at, kind, act_id, text, prev, event_hash(prev, at, kind, act_id, text, digest), digest),
        )

    def events_of(self, kinds: Sequence[str]) -> list[tuple[int, str, str, str | None, dict[str, Any]]]:
        """The events of ``kinds``, oldest first: (seq, at, kind, act_id, payload as a dict)."""
        kind_in, params = self._in(kinds)
        out = []
        for r in self._fetch_all(f"SELECT seq, at, kind, act_id, payload FROM events WHERE kind {kind_in} ORDER BY seq",
                                 params):
            data = loads(r["payload"])
            out.append((int(r["seq"]), str(r["at"]), str(r["kind"]), r["act_id"], data))
        return out

    def record_event(self, kind: str, act_ids: Sequence[str], payload: dict[str, Any]) -> None:
        """One event of ``kind`` per act of ``act_ids`` with ``payload``; call inside :meth:`transaction`."""
        for act_id in act_ids:
            self.get(act_id)  # ActNotFound for an act not in the archive: the transaction records nothing
            self.append_event(kind, act_id, payload)

    def act_events(self, act_id: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(time, payload) of the act's events of ``kind``, oldest first."""
        return [(str(r["at"]), loads(r["payload"])) for r in self._fetch_all(
            "SELECT at, payload FROM events WHERE act_id=? AND kind=? ORDER BY seq", (act_id, kind)
        )]

    def _newest_event(self) -> ChainHead | None:
        row = self._fetch_one("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        return ChainHead(int(row["seq"]), str(row["hash"])) if row else None

    def verify_events(self) -> list[str]:
        """Every break in the event chain, as one line each (empty when the chain holds)."""
        problems, prev = [], GENESIS
        for row in self._fetch_all("SELECT * FROM events ORDER BY seq"):
            if row["prev_hash"] != prev:
                problems.append(f"event {row['seq']}: " + _("does not follow the event before it"))
            expected = event_hash(
                row["prev_hash"], row["at"], row["kind"], row["act_id"], row["payload"], row["row_digest"]
            )
            if row["hash"] != expected:
                problems.append(f"event {row['seq']}: " + _("content changed after it was written"))
            prev = row["hash"]
        return problems

    def verify_rows(self) -> list[tuple[str, str, str]]:
        """Rows that differ from what the event log recorded, as (kind, what, message).

        Each act row is compared with the row digest of the last event about it (an event whose
        hash the chain vouches for), naming the columns that changed; rows no event recorded,
        and acts whose row is gone, are reported too, as are register counters that no longer
        match their acts. The act's version and reference rows are checked against the same
        event (see :func:`_verify_versions`).
        """
        problems: list[tuple[str, str, str]] = []
        recorded: dict[str, tuple[int, str]] = {}
        for r in self._fetch_all(
            "SELECT seq, kind, act_id, row_digest FROM events"
            " WHERE act_id IS NOT NULL AND (row_digest IS NOT NULL OR kind = 'draft-sealed') ORDER BY seq"
        ):
            if r["kind"] == "draft-sealed":  # the draft's row became the sealed act's, which later events record
                recorded.pop(r["act_id"], None)
            else:
                recorded[r["act_id"]] = (int(r["seq"]), r["row_digest"])
        seen: set[str] = set()
        rows_of = self._rows_of_acts()
        for row in self._fetch_all(f"SELECT {self.ACT_SELECT} FROM acts ORDER BY {self.BY_NUMBER}"):
            act_id = row["id"]
            seen.add(act_id)
            if act_id not in recorded:
                problems.append(("unexpected", f"act {act_id}", _("row was not written by atti: no event records it")))
                continue
            seq, digest = recorded[act_id]
            actual, expected = json.loads(row_digest(row)), loads(digest)
            if actual["sha256"] != expected.get("sha256"):
                old, new = expected.get("columns") or {}, actual["columns"]
                changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)) or ["(row)"]
                problems.append(("changed", f"act {act_id}", _changed(changed, seq)))
            problems += _verify_versions(act_id, seq, expected, *rows_of(act_id))
        for act_id, (seq, _expected) in sorted(recorded.items()):
            if act_id not in seen:
                deleted = _("row deleted (event {seq} recorded it)").format(seq=seq)
                problems.append(("missing", f"act {act_id}", deleted))
        # Versions of an act that no event ever recorded (a deleted act's are covered by "missing").
        for act_id in sorted(r["act_id"] for r in self._fetch_all("SELECT DISTINCT act_id FROM versions")):
            if act_id not in seen and act_id not in recorded:
                problems.append(("unexpected", f"act {act_id} versions", _("rows were not written by atti")))
        for r in self._fetch_all(
            "SELECT r.register, r.year, r.last_number, max(a.number) AS highest FROM registers r"
            " LEFT JOIN acts a ON a.register = r.register AND a.year = r.year GROUP BY r.register, r.year"
            " ORDER BY r.register, r.year"
        ):
            if r["last_number"] != r["highest"]:
                problems.append(
                    ("changed", f"register {r['register']} {r['year']}",
                     _("counter says {counter}, the highest archived number is {highest}").format(
                         counter=r["last_number"], highest=r["highest"] or 0))
                )
        return problems

    def _rows_of_acts(self) -> Callable[[str], tuple[list[Any], list[Any]]]:
        """How :meth:`verify_rows` reads an act's version rows and reference rows: one act at a
        time here (a local file: no round trips to save, and no whole table held in memory)."""

        def rows_of(act_id: str) -> tuple[list[Any], list[Any]]:
            versions = self._fetch_all(
                f"SELECT {self.VERSION_SELECT} FROM versions WHERE act_id=? ORDER BY version", (act_id,)
            )
            references = self._fetch_all(
                f"SELECT {self.REFERENCE_SELECT} FROM act_references WHERE act_id=? ORDER BY {self.ORDER}", (act_id,)
            )
            return list(versions), list(references)

        return rows_of

    def blob_refs(self) -> list[tuple[BlobRef, str]]:
        """Every stored file the catalog vouches for, with who refers to it.

        That is each act's current files, the earlier PDF versions its events name (a renewed
        timestamp keeps the previous PDF), and the files of every version not named yet (a
        draft's earlier sources and previews). A draft not yet rendered has no docx or pdf: a
        sha256 of "" names no file.
        """
        refs: list[tuple[BlobRef, str]] = []
        acts = self._fetch_all(f"SELECT id, source_sha256, docx_sha256, pdf_sha256 FROM acts ORDER BY {self.ORDER}")
        for row in acts:
            files = ((row["source_sha256"], "yaml"), (row["docx_sha256"], "docx"), (row["pdf_sha256"], "pdf"))
            refs += [
                (BlobRef(sha, ext), _file_of(ext, row["id"])) for sha, ext in files if sha
            ]
        for row in self._fetch_all(
            "SELECT seq, act_id, payload FROM events WHERE kind != 'published' AND payload LIKE '%sha256%' ORDER BY seq"
        ):
            data = loads(row["payload"])  # a tampered payload is the event chain's finding, not a crash here
            for key in ("previous_sha256", "sha256"):
                if isinstance(data.get(key), str):
                    refs.append((BlobRef(data[key], "pdf"), _("pdf version of {id} (event {seq})").format(
                        id=row["act_id"], seq=row["seq"])))
        named = {ref for ref, _ in refs}
        for row in self._fetch_all(
            "SELECT act_id, version, source_sha256, docx_sha256, pdf_sha256 FROM versions ORDER BY act_id, version"
        ):
            for sha, ext in ((row["source_sha256"], "yaml"), (row["docx_sha256"], "docx"), (row["pdf_sha256"], "pdf")):
                if sha and (ref := BlobRef(sha, ext)) not in named:
                    named.add(ref)
                    refs.append((ref, _file_of(ext, f"{row['act_id']}@{row['version']}")))
        return refs


def _verify_versions(
    act_id: str, seq: int, expected: dict[str, Any], versions: list[Any], references: list[Any]
) -> list[tuple[str, str, str]]:
    """The act's version and reference rows against what its last event recorded (schema 3 on)."""
    problems: list[tuple[str, str, str]] = []
    if "versions" in expected:
        old = as_dict(expected["versions"])  # a tampered digest is the event chain's finding
        new = {str(r["version"]): digest_of(r) for r in versions}
        for number in sorted(old.keys() | new.keys(), key=lambda n: (len(n), n)):
            what = f"act {act_id} version {number}"
            if number not in new:
                problems.append(("missing", what, _("row deleted (event {seq} recorded it)").format(seq=seq)))
            elif number not in old:
                problems.append(("unexpected", what, _("row was not written by atti: no event records it")))
            elif new[number]["sha256"] != (recorded := as_dict(old[number])).get("sha256"):
                was, now = as_dict(recorded.get("columns")), new[number]["columns"]
                changed = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k)) or ["(row)"]
                problems.append(("changed", what, _changed(changed, seq)))
    if "references" in expected and references_digest(references) != expected["references"]:
        problems.append(
            ("changed", f"act {act_id} references", _("changed after event {seq} recorded them").format(seq=seq))
        )
    return problems


def _changed(columns: list[str], seq: int) -> str:
    """"number, state changed after event 12 recorded the row"."""
    return _("{columns} changed after event {seq} recorded the row").format(columns=", ".join(columns), seq=seq)


def _file_of(ext: str, owner: str) -> str:
    """Who refers to a stored file, as a finding names it: "source of DO-2026-129", "pdf of ..."."""
    if ext == "yaml":
        return _("source of {id}").format(id=owner)
    return _("{ext} of {id}").format(ext=ext, id=owner)
