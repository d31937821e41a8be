"""Benchmark: archive ingest, search latency and ``atti archive verify`` throughput, in one table.

    python bench/archive.py [--acts 100000] [--ingest 200] [--queries 300] [--verify-mb 512]

* ingest: acts/s through the path ``pipeline.publish`` takes once an act is rendered: register
  lock, next number, a real PAdES B-B signature (the example act rendered once by LibreOffice,
  signed afresh for each act with one ActSigner whose key is loaded once), then ``Archive.seal``.
* search: median and p95 of ``Archive.search`` over ``--acts`` generated acts (one to three
  words from the acts' vocabulary, and one query in ten an "N/YYYY" number), limit 20. The acts
  are inserted through the catalog API in one transaction and share one set of files.
* verify: ``verify_archive`` on an archive holding ``--verify-mb`` of files (sizes 20 KB-4 MB),
  against ``sha256sum`` over the same files; both with the files already in the page cache,
  best of three. Also the whole check of the search archive (mostly row digests and the chain).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from atti.acts import load_act
from atti.archive import Archive, act_id
from atti.archive.catalog import ActRecord
from atti.archive.integrity import verify_archive

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "determinazione-DO-129-2026.yaml"
_VOCABULARY = (
    "proroga termini bando contributi imprese export graduatoria approvazione nomina commissione"
    " liquidazione fattura servizio manutenzione affidamento incarico consulenza convenzione camera"
    " commercio regione lombardia progetto finanziamento rendicontazione personale formazione acquisto"
    " fornitura software hardware sede locazione rimborso spese trasferta revoca annullamento rettifica"
    " impegno spesa bilancio esercizio variazione accordo collaborazione università digitale sostenibilità"
)
WORDS = _VOCABULARY.split()


def median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def rendered_example(tmp: Path) -> bytes:
    from atti import pipeline
    from atti.config import load_settings

    settings = load_settings({"archive": tmp / "unused"}, environ={})
    return pipeline.render(EXAMPLE, tmp / "render", settings).pdf.read_bytes()


def bench_ingest(tmp: Path, count: int) -> float:
    from atti.signing import ActSigner, DevCA

    act = load_act(EXAMPLE).act
    pdf = rendered_example(tmp)
    arc, _ = Archive.create(tmp / "ingest")
    ca = DevCA.create(arc.pki_dir)
    signer = ActSigner.from_pkcs12(ca.signer_for(act.firmatario.nome, act.firmatario.qualifica), None)
    docx, source = b"PK docx stand-in", EXAMPLE.read_text(encoding="utf-8")
    start = time.perf_counter()
    with arc:
        for _ in range(count):
            with arc.register_lock(act.registro, act.anno):
                numbered = act.with_numero(arc.next_number(act.registro, act.anno))
                signed = signer.sign(pdf, reason=f"{numbered.titolo} N. {numbered.estremi}", location=act.ente.nome)
                arc.seal(numbered, source=source, docx=docx, pdf=signed, signer=signer.signer_name)
        elapsed = time.perf_counter() - start
        assert verify_archive(arc).ok
    return count / elapsed


def generate(arc: Archive, count: int, rng: random.Random) -> float:
    """Insert ``count`` acts in one transaction; returns acts per second."""
    source, docx, pdf = (arc.blobs.put(f"shared {ext}".encode(), ext) for ext in ("yaml", "docx", "pdf"))
    counters: dict[tuple[str, int], int] = {}
    start = time.perf_counter()
    with arc.catalog.transaction():
        for _ in range(count):
            register, year = rng.choice(("D.O.", "D.G.", "D.C.")), rng.randint(2016, 2026)
            number = counters[register, year] = counters.get((register, year), 0) + 1
            oggetto = " ".join(rng.choices(WORDS, k=rng.randint(4, 10))).capitalize()
            body = ". ".join(" ".join(rng.choices(WORDS, k=12)) for _ in range(rng.randint(5, 15)))
            record = ActRecord(
                id=act_id(register, year, number), register=register, year=year, number=number,
                tipo="determinazione", organo="Direzione", data=dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
                ente="Unioncamere Lombardia", oggetto=oggetto, signer="Fabrizio Ventrice", state="pubblicato",
                source=source, docx=docx, pdf=pdf, created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
            arc.catalog.insert_act(record, body)
    return count / (time.perf_counter() - start)


def bench_search(arc: Archive, queries: int, rng: random.Random) -> tuple[float, float]:
    times = []
    for i in range(queries):
        q = f"{rng.randint(1, 3000)}/{rng.randint(2016, 2026)}" if i % 10 == 0 else " ".join(
            rng.sample(WORDS, rng.randint(1, 3)))
        start = time.perf_counter()
        arc.search(q, limit=20)
        times.append(time.perf_counter() - start)
    return median_p95(times)


def fill_files(arc: Archive, megabytes: int, rng: random.Random) -> list[Path]:
    paths, total = [], 0
    while total < megabytes * 1_000_000:
        size = int(min(4_000_000, max(20_000, rng.lognormvariate(12.5, 1.0))))
        ref = arc.blobs.put(os.urandom(size), "pdf")
        paths.append(arc.path_of(ref))
        total += size
    return paths


def sha256sum_seconds(paths: list[Path]) -> float:
    start = time.perf_counter()
    for i in range(0, len(paths), 1000):
        subprocess.run(["sha256sum", "--", *map(str, paths[i:i + 1000])], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acts", type=int, default=100_000, help="acts in the search archive")
    parser.add_argument("--ingest", type=int, default=200, help="acts signed and sealed")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--verify-mb", type=int, default=512)
    args = parser.parse_args()
    rng = random.Random(129)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="atti-bench-") as name:
        tmp = Path(name)
        rate = bench_ingest(tmp, args.ingest)
        rows.append((f"ingest, signed B-B ({args.ingest} acts)", f"{rate:.1f} acts/s"))

        arc, _ = Archive.create(tmp / "search")
        with arc:
            rate = generate(arc, args.acts, rng)
            rows.append((f"generate {args.acts} acts (catalog API, one transaction)", f"{rate:.0f} acts/s"))
            med, p95 = bench_search(arc, args.queries, rng)
            rows.append((f"search, {args.queries} queries: median / p95", f"{med * 1e3:.2f} / {p95 * 1e3:.2f} ms"))
            start = time.perf_counter()
            report = verify_archive(arc)
            assert report.ok, report.findings[:5]
            rows.append((f"archive verify, {args.acts} acts (rows + chain)", f"{time.perf_counter() - start:.1f} s"))

        files, _ = Archive.create(tmp / "files")
        with files:
            paths = fill_files(files, args.verify_mb, rng)
            megabytes = sum(p.stat().st_size for p in paths) / 1e6
            sha256sum_seconds(paths)  # into the page cache
            ours = min(_timed(lambda: verify_archive(files)) for _ in range(3))
            theirs = min(sha256sum_seconds(paths) for _ in range(3))
        rows.append((f"archive verify, {len(paths)} files, {megabytes:.0f} MB", f"{megabytes / ours:.0f} MB/s"))
        rows.append(("sha256sum, same files", f"{megabytes / theirs:.0f} MB/s"))
        rows.append(("verify / sha256sum", f"{theirs / ours:.2f}"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  result  ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    print(f"{'-' * width}  {'-' * 20}")
    for what, value in rows:
        print(f"{what:<{width}}  {value}")
    return 0


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
