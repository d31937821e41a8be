"""The archive stores and finds: registers and numbering, versions, references, the hash-chained
event log, search and integrity checks; storage/ holds the backends (SQLite + files, PostgreSQL + S3)."""

from atti.archive.archive import Archive, act_id
from atti.archive.records import ActRecord, SearchHit

__all__ = ["ActRecord", "Archive", "SearchHit", "act_id"]
