"""Benchmark: response time of the web archive's search page over a large archive, in one table.

    python bench/web.py [--acts 100000] [--queries 300] [--reserved 0.1] [--archive DIR]

The archive holds ``--acts`` generated acts (as bench/archive.py makes them: Italian words with
Zipf frequencies, three registers over eleven years), one in ten of them riservato. The real
server (uvicorn, one worker) is started on a free local port and asked over HTTP, one request
at a time, for the search page as people use it (the mix of bench/archive.py's ``query``: words,
numbers "N/YYYY", words with a filter, filters alone; page 1, sometimes page 2-5): by the public
(``public_only``: the catalog hides reserved acts and drafts, counts and facets included) and
by a signed-in archivist; and the same searches through /api/search. Each response is the whole
page: ranked results with snippets, the total count and the facet counts. Prints the median and
95th percentile per row. ``--archive`` keeps the generated archive there to reuse it (an archive
made by an older atti is brought up to date when the server opens it, before the timing starts).

Then sign-in under attack: a server of its own (a separate process, so its memory is its own) is
sent ``--burst`` concurrent sign-ins with wrong passwords (40 by default), first all for one
account, then each for a different name; the second table gives the answers (401 wrong, 429 too
soon, 503 every hashing slot taken), the attempts answered per second, the median and 95th
percentile latency, and the server's peak resident memory (VmHWM) before and after: it stays
bounded because at most two passwords are hashed at once (atti.web.signin).
"""

from __future__ import annotations

import argparse
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive import generate, median_p95, query  # bench/archive.py: the same acts and the same queries

from atti.archive import Archive
from atti.archive.search import Filters
from atti.web import WebConfig, create_app
from atti.web.session import SESSIONS_FILE
from atti.web.users import UserStore

PASSWORD = "bench-password-1"


def build(root: Path, acts: int, reserved: float) -> None:
    if (root / "atti.sqlite").exists():
        return
    arc, _ = Archive.create(root)
    with arc:
        rate = generate(arc, acts, random.Random(11))
    # Made reserved behind the API's back (the generator has no such flag): the event chain of
    # this throwaway archive does not matter here, only what the searches must leave out.
    db = sqlite3.connect(root / "atti.sqlite")
    db.execute("UPDATE acts SET riservato = 1 WHERE abs(random()) % 1000 < ?", (int(reserved * 1000),))
    db.commit()
    db.close()
    UserStore(root).add("archivista", "archivist", PASSWORD)
    print(f"generated {acts:,} acts ({rate:,.0f} acts/s)", file=sys.stderr)


def params_of(text: str, filters: Filters | None, rng: random.Random) -> dict[str, str]:
    params = {"q": text}
    if filters is not None:
        if filters.registro:
            params["registro"] = filters.registro
        if filters.anno:
            params["anno"] = str(filters.anno)
        if filters.dal:
            params["dal"] = filters.dal.isoformat()
        if filters.al:
            params["al"] = filters.al.isoformat()
        if filters.firmatario:
            params["firmatario"] = filters.firmatario
    if rng.random() < 0.2:
        params["pagina"] = str(rng.randint(2, 5))
    return {k: v for k, v in params.items() if v}


def serve(root: Path) -> tuple[str, object, threading.Thread]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(WebConfig(archive=root)), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def measure(client: object, base: str, path: str, queries: int, seed: int) -> tuple[float, float, int]:
    import httpx2 as httpx

    assert isinstance(client, httpx.Client)
    rng, times, results = random.Random(seed), [], 0
    for i in range(queries):
        text, filters = query(rng, i)
        url = f"{base}{path}?{urlencode(params_of(text, filters, rng))}"
        start = time.perf_counter()
        answer = client.get(url)
        times.append(time.perf_counter() - start)
        answer.raise_for_status()
        if path.startswith("/api/"):
            results += len(answer.json()["results"])
    med, p95 = median_p95(times)
    return med, p95, results


_SERVER = """
import logging, sys, uvicorn
from atti.web import WebConfig, create_app
logging.getLogger("atti.web.signin").setLevel(logging.ERROR)  # the audit lines of the burst: not the table's
uvicorn.run(create_app(WebConfig(archive=sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]), log_level="error")
"""


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _burst(base: str, names: list[str], at_once: bool) -> tuple[list[int], list[float], float]:
    """Each name's wrong sign-in, all at once or one after the other, from a client of its own:
    status codes, latencies, seconds."""
    import httpx2 as httpx

    clients = [httpx.Client(timeout=120) for _ in names]
    tokens = [c.get(base + "/accesso").text.split('name="csrf" value="', 1)[1].split('"', 1)[0] for c in clients]
    times, codes = [0.0] * len(names), [0] * len(names)
    go = threading.Barrier(len(names) if at_once else 1)

    def attempt(i: int) -> None:
        go.wait()
        start = time.perf_counter()
        answer = clients[i].post(base + "/accesso", data={"nome": names[i], "password": f"sbagliata-{i}",
                                                          "csrf": tokens[i]})
        times[i], codes[i] = time.perf_counter() - start, answer.status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(names))]
    start = time.perf_counter()
    for t in threads:
        t.start()
        if not at_once:
            t.join()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for c in clients:
        c.close()
    return codes, times, elapsed


def sign_in_burst(root: Path, burst: int) -> list[tuple[str, dict[int, int], float, float, float, float, float]]:
    """Concurrent wrong sign-ins against a server process of its own; a row per burst."""
    import httpx2 as httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(root), str(port)])
    rows = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/accesso", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sign-in server did not start"
                time.sleep(0.1)
        with httpx.Client(timeout=60) as warm:  # one right sign-in: argon2 has run once
            token = warm.get(base + "/accesso").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            warm.post(base + "/accesso", data={"nome": "archivista", "password": PASSWORD, "csrf": token})
        for label, names, at_once in (("one account", ["archivista"] * burst, True),
                                      ("a name each", [f"nome{i}" for i in range(burst)], True),
                                      ("in a row", [f"altro{i % 3}" for i in range(burst)], False)):
            before = peak_rss_mb(server.pid)
            codes, times, elapsed = _burst(base, names, at_once)
            med, p95 = median_p95(times)
            answers = {code: codes.count(code) for code in sorted(set(codes))}
            rows.append((label, answers, burst / elapsed, med, p95, before, peak_rss_mb(server.pid)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> None:
    import httpx2 as httpx

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--acts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--reserved", type=float, default=0.1, help="share of the acts made riservato")
    parser.add_argument("--archive", type=Path, help="keep (or reuse) the generated archive here")
    parser.add_argument("--burst", type=int, default=40, help="concurrent wrong sign-ins (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atti-bench-web-") as tmp:
        root = args.archive or Path(tmp) / "archive"
        build(root, args.acts, args.reserved)
        db = sqlite3.connect(root / "atti.sqlite")
        db.execute("DROP INDEX IF EXISTS bench_facets")  # left by the --facet-index of earlier versions
        db.close()
        for leftover in (root / SESSIONS_FILE).parent.glob(SESSIONS_FILE.name + "*"):
            leftover.unlink()  # sign-in limits left by an earlier run (and its WAL): start clean
        base, server, thread = serve(root)
        rows = []
        with httpx.Client(timeout=60) as public, httpx.Client(timeout=60) as signed:
            page = signed.get(base + "/accesso").text
            token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            signed.post(base + "/accesso", data={"nome": "archivista", "password": PASSWORD, "csrf": token})
            assert "archivista" in signed.get(base + "/").text, "the archivist could not sign in"
            for label, client, path in (
                ("search page, public", public, "/"),
                ("search page, archivist", signed, "/"),
                ("/api/search, public", public, "/api/search"),
            ):
                measure(client, base, path, 20, 99)  # warm the page cache and the templates
                rows.append((label, *measure(client, base, path, args.queries, 5)))
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=10)
        burst = sign_in_burst(root, args.burst) if args.burst else []
    print(f"\nWeb archive search over {args.acts:,} acts ({args.reserved:.0%} riservato), "
          f"{args.queries} requests per row, one at a time, uvicorn over HTTP on localhost\n")
    print(f"| {'request':<26} | {'median ms':>9} | {'p95 ms':>7} |")
    print(f"|{'-' * 28}|{'-' * 10}:|{'-' * 8}:|")
    for label, med, p95, _ in rows:
        print(f"| {label:<26} | {med * 1000:>9.1f} | {p95 * 1000:>7.1f} |")
    if burst:
        print(f"\nSign-in under {args.burst} wrong passwords from one address, all at once (for one account, "
              "for a name each) and one after the other (over 3 names): 401 wrong, 429 too soon, 503 busy; "
              "the server's peak RSS before and after\n")
        print(f"| {'burst':<12} | {'answers':<22} | {'attempts/s':>10} | {'median ms':>9} | {'p95 ms':>7} "
              f"| {'RSS MB before':>13} | {'after':>6} |")
        print(f"|{'-' * 14}|{'-' * 24}|{'-' * 11}:|{'-' * 10}:|{'-' * 8}:|{'-' * 14}:|{'-' * 7}:|")
        for label, answers, rate, med, p95, before, after in burst:
            shown = ", ".join(f"{n}× {code}" for code, n in answers.items())
            print(f"| {label:<12} | {shown:<22} | {rate:>10.1f} | {med * 1000:>9.1f} | {p95 * 1000:>7.1f} "
                  f"| {before:>13.0f} | {after:>6.0f} |")


if __name__ == "__main__":
    main()
