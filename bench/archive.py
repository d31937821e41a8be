"""Benchmark: archive ingest, search latency and ``atti archive verify`` throughput, in one table.

    python bench/archive.py [--acts 100000] [--ingest 200] [--queries 300] [--verify-mb 512]
                            [--backend sqlite|postgresql|both] [--pg-url URL] [--publishers 8]
                            [--only search]

* ingest: acts/s through the path ``pipeline.publish`` takes once an act is rendered: register
  lock, next number, a real PAdES B-B signature (the example act rendered once by LibreOffice,
  signed afresh for each act with one ActSigner whose key is loaded once), then ``Archive.seal``.
* search: median and p95 of ``Archive.search`` over ``--acts`` generated acts, limit 20 (see
  ``query`` for the mix: words, numbers in every written form, names, fields, phrases, OR,
  exclusions, prefixes, law citations, filters), and the mean share of the acts a word query
  matches. The acts are written in Italian words drawn with Zipf frequencies from
  about 3,000 (see ``vocabulary``), 100-1,000 words each, inserted through the catalog API in
  one transaction; they share one set of files.
* verify: ``verify_archive`` on an archive holding ``--verify-mb`` of files (sizes 20 KB-4 MB),
  against ``sha256sum`` over the same files; both with the files already in the page cache,
  best of three. Also the whole check of the search archive (mostly row digests and the chain).
* concurrent publishers: ``--publishers`` processes, each with its own connection and signer,
  publishing ``--ingest``/publishers acts into ONE register at once, as above (register lock,
  number, sign, seal); acts/s over all of them, and a check that the numbers are 1..N without gaps.

``--backend postgresql`` runs the same measures on the PostgreSQL catalog (documents as files in
its state directory): each archive is a fresh database on ``--pg-url``'s server (a user allowed
to create databases), or, without it, on a throwaway cluster started like the tests' one.
``--backend both`` runs them on SQLite, then on PostgreSQL, and prints one table with a column
each. ``--only search`` measures the search (generate and query) and nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from atti.acts import load_act
from atti.archive import Archive, act_id
from atti.archive.integrity import verify_archive
from atti.archive.records import ActRecord
from atti.archive.search import Filters, fts_query

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.pgserver, for a throwaway cluster

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "determinazione-DO-129-2026.yaml"
SEED = ROOT.parent / "shared" / "seeds" / "000_79e5a06dcd4514e5.txt"
# Endings Italian administrative words take: a stem with several of them gives the forms a real
# archive holds ("proroga", "prorogare", "prorogato", ...), which the stemmer must bring together.
_ENDINGS = ("o", "a", "i", "e", "are", "ato", "ata", "ati", "azione", "azioni", "ente", "enti", "ità", "ivo", "iva")


def vocabulary(size: int = 4000) -> tuple[list[str], list[float]]:
    """About ``size`` Italian words with Zipf-like weights (the k-th word weighs 1/k).

    The words of the example act and of its seed text come first, in order of how often they
    occur there (so "di", "del", "la" are the commonest, as in real acts); then forms generated
    from their stems with Italian endings, rarer and rarer. Queries on it match realistic
    fractions of the acts: a few common words most acts have, most words a few acts.
    """
    text = EXAMPLE.read_text(encoding="utf-8") + (SEED.read_text(encoding="utf-8") if SEED.exists() else "")
    counts: dict[str, int] = {}
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: -counts[w])
    rng = random.Random(7)
    stems = sorted({w[:-1] for w in words if len(w) >= 6})
    generated = [s + e for s in stems for e in _ENDINGS]
    rng.shuffle(generated)
    seen = set(words)
    for word in generated:
        if len(words) >= size:
            break
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words, [1 / (k + 1) for k in range(len(words))]


WORDS, WEIGHTS = vocabulary()
CUM_WEIGHTS = list(itertools.accumulate(WEIGHTS))  # random.choices would sum them on every call
# Queries are what an archivist types: content words (no articles or prepositions), drawn with
# the same Zipf weights as the text, so common terms ("determinazione", "bando") are asked often.
TIPI = ("determinazione", "determinazione", "determinazione", "delibera", "decreto", "ordinanza")
ORGANI = ("Direttore Operativo", "Segretario Generale", "Giunta", "Consiglio")
SIGNERS = ("Fabrizio Ventrice", "Maria Rossi", "Giovanni Bianchi", "Laura Colombo")
STATES = ("pubblicato",) * 9 + ("annullato",)
LAWS = ("D.Lgs. 267/2000", "D.Lgs. 36/2023", "L. 241/1990", "D.Lgs. 82/2005", "D.Lgs. 33/2013", "TUEL",
        "Regolamento (UE) 2016/679", "D.P.R. 445/2000")
QUERY_WORDS = [(w, wt) for w, wt in zip(WORDS, WEIGHTS, strict=True) if len(w) >= 4]


def median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def rendered_example(tmp: Path) -> bytes:
    from atti import pipeline
    from atti.config import load_settings

    settings = load_settings({"archive": tmp / "unused"}, environ={})
    return pipeline.render(EXAMPLE, tmp / "render", settings).pdf.read_bytes()


class Locations:
    """Where each measure's archive goes: a new directory, or a new database (and state directory)."""

    def __init__(self, backend: str, tmp: Path, pg_url: str | None) -> None:
        self.backend, self.tmp, self.pg_url = backend, tmp, pg_url
        self.stop: list[str] | None = None
        self.server = None
        if backend == "postgresql" and not pg_url:
            from tests.pgserver import start_server

            self.server, self.stop = start_server()

    def new(self, name: str) -> Path | str:
        if self.backend == "sqlite":
            return self.tmp / name
        os.environ["ATTI_STATE_DIR"] = str(self.tmp / f"{name}-state")
        database = f"atti_bench_{name}_{os.getpid()}"
        if self.server is not None:
            self.server.execute(f"CREATE DATABASE {database}")
            return self.server.url(database)
        import psycopg

        assert self.pg_url
        with psycopg.connect(self.pg_url, autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {database}".encode())
            db.execute(f"CREATE DATABASE {database}".encode())
        return self.pg_url.rsplit("/", 1)[0] + "/" + database

    def close(self) -> None:
        if self.stop:
            subprocess.run(self.stop, check=False, capture_output=True)
            if self.server is not None:
                import shutil

                shutil.rmtree(self.server.directory, ignore_errors=True)


def bench_ingest(tmp: Path, count: int, where: Path | str, pdf: bytes) -> float:
    from atti.signing import ActSigner, DevCA

    act = load_act(EXAMPLE).act
    arc, _ = Archive.create(where)
    ca = DevCA.create(arc.pki_dir)
    signer = ActSigner.from_pkcs12(ca.signer_for(act.firmatari[0].nome, act.firmatari[0].qualifica), None)
    docx, source = b"PK docx stand-in", EXAMPLE.read_text(encoding="utf-8")
    start = time.perf_counter()
    with arc:
        for _ in range(count):
            with arc.register_lock(act.registro, act.anno):
                numbered = act.with_numero(arc.next_number(act.registro, act.anno))
                signed = signer.sign(pdf, reason=f"{numbered.titolo} N. {numbered.estremi}", location=act.ente.nome)
                arc.seal(numbered, source=source, docx=docx, pdf=signed, firmatario=signer.signer_name)
        elapsed = time.perf_counter() - start
        assert verify_archive(arc).ok
    return count / elapsed


def _publisher(location: str, state: str, pdf_path: str, count: int, ready: Any, start: Any, out: Any) -> None:
    """One publishing process of bench_concurrent: its own connection, key and register lock."""
    from atti.signing import ActSigner, DevCA

    os.environ["ATTI_STATE_DIR"] = state
    act = load_act(EXAMPLE).act
    pdf = Path(pdf_path).read_bytes()
    numbers = []
    with Archive.open(location) as arc:
        ca = DevCA.load(arc.pki_dir)
        signer = ActSigner.from_pkcs12(ca.signer_for(act.firmatari[0].nome, act.firmatari[0].qualifica), None)
        source = EXAMPLE.read_text(encoding="utf-8")
        ready.release()
        start.wait()
        for _ in range(count):
            with arc.register_lock(act.registro, act.anno):
                numbered = act.with_numero(arc.next_number(act.registro, act.anno))
                signed = signer.sign(pdf, reason=f"{numbered.titolo} N. {numbered.estremi}", location=act.ente.nome)
                arc.seal(numbered, source=source, docx=b"PK docx stand-in", pdf=signed, firmatario=signer.signer_name)
            numbers.append(numbered.numero)
    out.put(numbers)


def bench_concurrent(where: Path | str, pdf: Path, publishers: int, total: int) -> tuple[float, bool]:
    """``publishers`` processes publishing ``total`` acts into one register; acts/s and gapless."""
    import multiprocessing

    from atti.signing import DevCA

    arc, _ = Archive.create(where)
    with arc:
        DevCA.create(arc.pki_dir)
    spawn = multiprocessing.get_context("spawn")
    ready, start, out = spawn.Semaphore(0), spawn.Event(), spawn.Queue()
    each = max(1, total // publishers)
    procs = [
        spawn.Process(target=_publisher, args=(str(where), os.environ.get("ATTI_STATE_DIR", ""), str(pdf), each,
                                               ready, start, out))
        for _ in range(publishers)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire()  # every process connected and holding its key: time the publishing only
    began = time.perf_counter()
    start.set()
    numbers = sorted(n for _ in procs for n in out.get())
    elapsed = time.perf_counter() - began
    for proc in procs:
        proc.join()
    with Archive.open(where) as arc:
        archived = [r.numero for r in arc.catalog.all()]
        gapless = numbers == archived == list(range(1, each * publishers + 1)) and verify_archive(arc).ok
    return len(numbers) / elapsed, gapless


def generate(arc: Archive, count: int, rng: random.Random) -> float:
    """Insert ``count`` acts in one transaction; returns acts per second."""
    source, docx, pdf = (arc.blobs.put(f"shared {ext}".encode(), ext) for ext in ("yaml", "docx", "pdf"))
    counters: dict[tuple[str, int], int] = {}
    start = time.perf_counter()
    with arc.catalog.transaction():
        for _ in range(count):
            register, year = rng.choice(("D.O.", "D.G.", "D.C.")), rng.randint(2016, 2026)
            number = counters[register, year] = counters.get((register, year), 0) + 1
            oggetto = " ".join(rng.choices(WORDS, cum_weights=CUM_WEIGHTS, k=rng.randint(6, 20))).capitalize()
            body = ". ".join(" ".join(rng.choices(WORDS, cum_weights=CUM_WEIGHTS, k=rng.randint(8, 25)))
                             for _ in range(rng.randint(10, 40)))
            # What real acts cite: an earlier act of the register, and a law or two.
            cited_year = rng.randint(2016, year)
            body += (f". Vista la Determinazione {register} n. {rng.randint(1, 3000)} del"
                     f" {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{cited_year}; visto il "
                     + ", ".join(rng.sample(LAWS, 2)) + f".\nProposta: Settore {rng.choice(WORDS).capitalize()},"
                     f" {rng.choice(SIGNERS)}\nVerifica contabile: {rng.choice(SIGNERS)}")
            record = ActRecord(
                id=act_id(register, year, number), registro=register, anno=year, numero=number,
                tipo=rng.choice(TIPI), organo=rng.choice(ORGANI),
                data=dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
                ente="Unioncamere Lombardia", oggetto=oggetto, firmatario=rng.choice(SIGNERS), stato=rng.choice(STATES),
                source=source, docx=docx, pdf=pdf, created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
            arc.catalog.insert_act(record, body)
    return count / (time.perf_counter() - start)


def query(rng: random.Random, i: int) -> tuple[str, Filters | None]:
    """One search as an archivist makes them: mostly words, one in ten a number as people write
    it ("N/YYYY", "n. N del DD/MM/YYYY", "D.O. N/YYYY", atti's id), one in ten a name, a field, a
    law, a phrase, OR, an exclusion or a prefix, one in five words with a filter (a year, a date
    range, a register), one in twenty filters alone."""
    words, weights = zip(*QUERY_WORDS, strict=True)
    picked = list(dict.fromkeys(rng.choices(words, weights, k=rng.randint(1, 3))))
    text = " ".join(picked)
    number, year = rng.randint(1, 3000), rng.randint(2016, 2026)
    if i % 10 == 0:
        return rng.choice((
            f"{number}/{year}", f"n. {number} del {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
            f"D.O. {number}/{year}", f"DG-{year}-{number}", f"determinazione {number}/{year}",
        )), None
    if i % 20 == 1:
        return "", Filters(registro=rng.choice(("D.O.", "D.G.", "D.C.")), anno=rng.randint(2016, 2026))
    if i % 10 == 3:
        other = rng.choices(words, weights)[0]
        return rng.choice((
            rng.choice(SIGNERS).split()[-1], f"firmatario:{rng.choice(SIGNERS).split()[-1]}",
            f"proposta:{rng.choice(SIGNERS).split()[-1]} {picked[0]}", rng.choice(LAWS), "codice dei contratti",
            f'"{picked[0]} {other}"', f"{picked[0]} OR {other}", f"{picked[0]} -{other}", f"{picked[0][:4]}*",
        )), None
    if i % 5 == 2:
        return text, rng.choice((
            Filters(anno=year),
            Filters(dal=dt.date(year, 3, 1), al=dt.date(year, 5, 31)),
            Filters(registro=rng.choice(("D.O.", "D.G.", "D.C.")), firmatario=rng.choice(SIGNERS).split()[-1]),
        ))
    return text, None


def bench_search(arc: Archive, queries: int, rng: random.Random) -> tuple[float, float, float]:
    """Median and p95 latency, and the mean fraction of the acts the word queries match."""
    times, fractions = [], []
    total = arc.catalog.counts()[0]
    for i in range(queries):
        text, filters = query(rng, i)
        start = time.perf_counter()
        arc.search(text, filters=filters, limit=20)
        times.append(time.perf_counter() - start)
        match = fts_query(text)
        if filters is None and match and i % 10 not in (0, 3):
            fractions.append(arc.catalog.count(text) / total)
    med, p95 = median_p95(times)
    return med, p95, statistics.mean(fractions) if fractions else 0.0


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
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--pg-url", help="a PostgreSQL server to create the databases on [default: a throwaway one]")
    parser.add_argument("--publishers", type=int, default=8, help="concurrent publishing processes")
    parser.add_argument("--only", choices=("all", "search"), default="all", help="measure only the search")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    if len(backends) == 1:
        columns = [run_backend(args, backends[0])]
    else:  # side by side, each in its own process: the same acts and queries, half the wait
        import concurrent.futures
        import multiprocessing

        spawn = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(len(backends), mp_context=spawn) as pool:
            columns = list(pool.map(run_backend, [args] * len(backends), backends))

    width = max(len(r[0]) for rows in columns for r in rows)
    cell = max(20, *(len(r[1]) for rows in columns for r in rows))
    print(f"{'measure':<{width}}  " + "  ".join(f"{b:<{cell}}" for b in backends)
          + f"  ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    print(f"{'-' * width}  " + "  ".join("-" * cell for _ in backends))
    for i, (what, _) in enumerate(columns[0]):
        print(f"{what:<{width}}  " + "  ".join(f"{rows[i][1]:<{cell}}" for rows in columns))
    return 0


def run_backend(args: argparse.Namespace, backend: str) -> list[tuple[str, str]]:
    """Every measure on one backend, as (what, result) rows."""
    rng = random.Random(129)  # the same acts and queries on each backend
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="atti-bench-") as name:
        tmp = Path(name)
        where = Locations(backend, tmp, args.pg_url)
        try:
            _measure(args, tmp, where, rng, rows)
        finally:
            where.close()
    return rows


def _measure(args: argparse.Namespace, tmp: Path, where: Locations, rng: random.Random,
             rows: list[tuple[str, str]]) -> None:
    if args.only == "search":
        _measure_search(args, where, rng, rows, verify=False)
        return
    pdf = rendered_example(tmp)
    rate = bench_ingest(tmp, args.ingest, where.new("ingest"), pdf)
    rows.append((f"ingest, signed B-B ({args.ingest} acts)", f"{rate:.1f} acts/s"))
    (tmp / "example.pdf").write_bytes(pdf)
    rate, gapless = bench_concurrent(where.new("concurrent"), tmp / "example.pdf", args.publishers, args.ingest)
    rows.append((f"ingest, {args.publishers} concurrent publishers, one register",
                 f"{rate:.1f} acts/s, {'gapless' if gapless else 'GAPS OR REPEATS'}"))

    _measure_search(args, where, rng, rows, verify=True)

    files, _ = Archive.create(where.new("files"))
    with files:
        paths = fill_files(files, args.verify_mb, rng)
        megabytes = sum(p.stat().st_size for p in paths) / 1e6
        sha256sum_seconds(paths)  # into the page cache
        ours = min(_timed(lambda: verify_archive(files)) for _ in range(3))
        theirs = min(sha256sum_seconds(paths) for _ in range(3))
    rows.append((f"archive verify, {len(paths)} files, {megabytes:.0f} MB", f"{megabytes / ours:.0f} MB/s"))
    rows.append(("sha256sum, same files", f"{megabytes / theirs:.0f} MB/s"))
    rows.append(("verify / sha256sum", f"{theirs / ours:.2f}"))


def _measure_search(args: argparse.Namespace, where: Locations, rng: random.Random, rows: list[tuple[str, str]],
                    *, verify: bool) -> None:
    arc, _ = Archive.create(where.new("search"))
    with arc:
        rate = generate(arc, args.acts, rng)
        rows.append((f"generate {args.acts} acts (catalog API, one transaction)", f"{rate:.0f} acts/s"))
        med, p95, fraction = bench_search(arc, args.queries, rng)
        rows.append((f"search, {args.queries} queries: median / p95", f"{med * 1e3:.2f} / {p95 * 1e3:.2f} ms"))
        rows.append(("search, acts a word query matches (mean)", f"{fraction:.1%}"))
        if verify:
            start = time.perf_counter()
            report = verify_archive(arc)
            assert report.ok, report.findings[:5]
            rows.append((f"archive verify, {args.acts} acts (rows + chain)", f"{time.perf_counter() - start:.1f} s"))


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
