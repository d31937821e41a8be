"""The archive: registers and numbering, the blob store, the event log and search."""

from atti.archive.archive import Archive, act_id
from atti.archive.records import ActRecord, SearchHit

__all__ = ["ActRecord", "Archive", "SearchHit", "act_id"]
