"""Search relevance: recall@10 and MRR per kind of query and backend, on the judged set.

    python bench/search_quality.py [--backend sqlite|postgresql|both] [--misses]

The set is tests/data/search (written by scripts/search_corpus.py): the 40 real acts of
tests/data/import/real read by atti's importer and 330 variations in their styles, and 133
queries of eight kinds (names, numbers, laws, subjects, phrases, operators, stems, typos), 66 of
them with real acts among the acts they want, each with the acts an archivist wants for it,
judged from what the acts are about, never from what the engine returns.

* recall@10: the share of a query's relevant acts among its first 10 results, out of at most 10
  (a name with 12 acts is fully recalled by 10 of them on the first page);
* MRR: the mean of 1/rank of the first relevant act (of the act typed, for a number: the act
  itself must come first; 0 when none is in the first 10).

``--misses`` also lists each query below 1 on either measure, with what came first instead.
PostgreSQL runs on a throwaway cluster started like the tests' one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from atti.archive import Archive

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.pgserver, for a throwaway cluster

from tests.search_set import KINDS, TOP, Measure, fill, measure, summary
from tests.search_set import acts as set_acts
from tests.search_set import queries as set_queries


def judged() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The acts and the judged queries of the set."""
    return set_acts(), set_queries()


def evaluate(location: Path | str) -> list[Measure]:
    """Archive the set at ``location`` (a new archive) and measure every query on it."""
    acts, queries = judged()
    arc, _ = Archive.create(location)
    with arc:
        fill(arc, acts)
        return measure(arc, queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--misses", action="store_true", help="list the queries below 1")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results: dict[str, dict[str, tuple[float, float, int]]] = {}
    misses: list[str] = []
    with tempfile.TemporaryDirectory(prefix="atti-quality-") as name:
        for backend in backends:
            measures = evaluate(Path(name) / "archive") if backend == "sqlite" else _on_postgresql(Path(name))
            results[backend] = summary(measures)
            misses += [f"{backend:<10} {m.kind:<9} {m.query!r}: recall {m.recall:.2f}, RR {m.reciprocal_rank:.2f},"
                       f" first {m.found[:3]}" for m in measures if m.recall < 1 or m.reciprocal_rank < 1]
    acts, queries = judged()
    print(f"search relevance: {len(acts)} acts, {len(queries)} judged queries, first {TOP} results")
    header = f"{'kind':<10} {'queries':>7}  " + "  ".join(f"{b + ' recall@10':>20} {b + ' MRR':>16}" for b in backends)
    print(header)
    print("-" * len(header))
    for kind in (*KINDS, "all"):
        cells = []
        for b in backends:
            recall, mrr, _ = results[b].get(kind, (0.0, 0.0, 0))
            cells.append(f"{recall:>20.3f} {mrr:>16.3f}")
        count = results[backends[0]].get(kind, (0, 0, 0))[2]
        print(f"{kind:<10} {count:>7}  " + "  ".join(cells))
    if args.misses:
        print("\n".join(["", *misses]) if misses else "\nno misses")
    return 0


def _on_postgresql(tmp: Path) -> list[Measure]:
    import os
    import shutil
    import subprocess

    from tests.pgserver import start_server

    server, stop = start_server()
    os.environ["ATTI_STATE_DIR"] = str(tmp / "pg-state")
    try:
        server.execute("CREATE DATABASE atti_quality")
        return evaluate(server.url("atti_quality"))
    finally:
        subprocess.run(stop, check=False, capture_output=True)
        shutil.rmtree(server.directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
