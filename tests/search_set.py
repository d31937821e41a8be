"""The judged relevance set of issue 18 (tests/data/search): its acts, its queries, and how a
query is scored; shared by tests/test_search_quality.py and bench/search_quality.py, so that
the threshold the test keeps and the figures the bench prints are the same measure."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atti.archive import Archive
from atti.archive.records import ActRecord

DATA = Path(__file__).parent / "data" / "search"
TOP = 10
KINDS = ("names", "numbers", "laws", "subjects", "phrases", "operators", "stems", "typos")


def acts() -> list[dict[str, Any]]:
    return list(json.loads((DATA / "acts.json").read_text(encoding="utf-8")))


def queries() -> list[dict[str, Any]]:
    return list(json.loads((DATA / "queries.json").read_text(encoding="utf-8")))


def fill(arc: Archive, acts: list[dict[str, Any]], reserved: frozenset[str] = frozenset()) -> None:
    """Archive ``acts`` through the catalog API, in one transaction (they share files); the ids in
    ``reserved`` are archived riservato."""
    source, docx, pdf = (arc.blobs.put(f"relevance set {ext}".encode(), ext) for ext in ("yaml", "docx", "pdf"))
    with arc.catalog.transaction():
        for a in acts:
            record = ActRecord(
                id=a["id"], registro=a["registro"], anno=a["anno"], numero=a["numero"], tipo=a["tipo"],
                organo=a["organo"], data=dt.date.fromisoformat(a["data"]), ente=a["ente"], oggetto=a["oggetto"],
                firmatario=a["firmatario"], stato="pubblicato", source=source, docx=docx, pdf=pdf,
                created_at="2026-11-01T00:00:00+00:00", riservato=a["id"] in reserved,
            )
            arc.catalog.insert_act(record, a["body"])


@dataclass
class Measure:
    query: str
    kind: str
    recall: float
    reciprocal_rank: float
    found: list[str]


def measure(arc: Archive, judged: list[dict[str, Any]]) -> list[Measure]:
    """Each query's recall@TOP (out of at most TOP relevant acts) and reciprocal rank of the act
    it must find first (``first``), or of any relevant act."""
    out = []
    for q in judged:
        found = [h.record.id for h in arc.search(q["query"], limit=TOP)]
        relevant = set(q["relevant"])
        recall = len(relevant & set(found)) / min(TOP, len(relevant))
        wanted = {q["first"]} if "first" in q else relevant
        rank = next((i + 1 for i, id_ in enumerate(found) if id_ in wanted), None)
        out.append(Measure(q["query"], q["kind"], recall, 1 / rank if rank else 0.0, found))
    return out


def summary(measures: list[Measure]) -> dict[str, tuple[float, float, int]]:
    """Per kind (and "all"): mean recall@10, MRR and how many queries."""
    out: dict[str, tuple[float, float, int]] = {}
    for kind in (*KINDS, "all"):
        chosen = [m for m in measures if kind in ("all", m.kind)]
        if chosen:
            out[kind] = (sum(m.recall for m in chosen) / len(chosen),
                         sum(m.reciprocal_rank for m in chosen) / len(chosen), len(chosen))
    return out
