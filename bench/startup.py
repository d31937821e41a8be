"""Benchmark: start-up time of ``atti --help`` next to bare Python, and the imports that make it up.

    python bench/startup.py [--runs 20] [--python .venv/bin/python] [--top 10]

Runs ``python -c pass`` and ``atti --help`` alternately, ``--runs`` times each after one
untimed run of each (so both find their .pyc files and the page cache warm), with the same
interpreter: ``--python``, else the project's ``.venv/bin/python``, else this one. ``atti`` is
the console script beside that interpreter (``bin/atti``), else the same call through
``python -c``; both inherit this environment, so ``PYTHONPATH=src`` measures this checkout's
sources with another checkout's virtualenv. Prints the median and 90th percentile wall time of
each and the difference of the medians against the target: under 0.3 s above bare Python.

Below the table, from ``python -X importtime -c "import atti.cli"`` (the median of 5 runs per
module): the ``--top`` imports with the largest cumulative time, indented as they nest, and the
packages with the largest self time summed over their modules (atti's by subpackage): what to
import lazily.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.3  # seconds above bare Python
IMPORTTIME_RUNS = 5


def interpreter(given: str | None) -> str:
    if given:
        return given
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def atti_command(python: str) -> tuple[list[str], str]:
    """``atti --help`` as a user runs it: the console script beside ``python`` when there is one."""
    script = Path(python).parent / "atti"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "--help"], f"{script.parent.name}/atti --help"
    code = "import sys; from atti.cli import main; sys.argv[0] = 'atti'; sys.exit(main())"
    return [python, "-c", code, "--help"], "python -c 'atti.cli.main()' --help"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_p90(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, math.ceil(len(ordered) * 0.9) - 1)]


def measure(bare: list[str], atti: list[str], runs: int) -> tuple[list[float], list[float]]:
    timed(bare), timed(atti)  # untimed: .pyc files written, files in the page cache
    bare_times, atti_times = [], []
    for i in range(runs):
        # Alternating, and swapping which goes first, so a drift of the machine hits both alike.
        if i % 2:
            atti_times.append(timed(atti))
            bare_times.append(timed(bare))
        else:
            bare_times.append(timed(bare))
            atti_times.append(timed(atti))
    return bare_times, atti_times


def import_times(python: str) -> list[tuple[str, int, float, float]]:
    """(module, depth, self ms, cumulative ms) per module imported by ``import atti.cli``, in
    import order, each time the median over IMPORTTIME_RUNS runs."""
    samples: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    order: list[tuple[str, int]] = []
    for _ in range(IMPORTTIME_RUNS):
        result = subprocess.run([python, "-X", "importtime", "-c", "import atti.cli"],
                                check=True, capture_output=True, text=True)
        for line in result.stderr.splitlines():
            if not line.startswith("import time:") or "imported package" in line:
                continue
            own, cumulative, name = line.removeprefix("import time:").split("|")
            key = (name.strip(), (len(name) - len(name.lstrip()) - 1) // 2)
            if key not in samples:
                order.append(key)
            samples[key].append((int(own) / 1e3, int(cumulative) / 1e3))
    return [(name, depth, statistics.median(s for s, _ in samples[name, depth]),
             statistics.median(c for _, c in samples[name, depth])) for name, depth in order]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each command")
    parser.add_argument("--python", help="the interpreter [default: .venv/bin/python, else this one]")
    parser.add_argument("--top", type=int, default=10, help="imports and packages listed")
    args = parser.parse_args()
    python = interpreter(args.python)
    atti, atti_label = atti_command(python)
    bare = [python, "-c", "pass"]
    bare_times, atti_times = measure(bare, atti, args.runs)

    (bare_med, bare_p90), (atti_med, atti_p90) = median_p90(bare_times), median_p90(atti_times)
    rows = [
        ("python -c pass", f"{bare_med:.3f}", f"{bare_p90:.3f}"),
        (atti_label, f"{atti_med:.3f}", f"{atti_p90:.3f}"),
    ]
    extra = atti_med - bare_med
    verdict = "met" if extra < TARGET else "NOT met"
    width = max(len("difference of medians"), *(len(r[0]) for r in rows))
    version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             check=True, capture_output=True, text=True).stdout.strip()
    print(f"{python} (Python {version}; {os.cpu_count()} CPUs), {args.runs} runs each, alternating")
    print(f"{'command':<{width}}  {'median s':>8}  {'p90 s':>8}")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 8}")
    for what, med, p90 in rows:
        print(f"{what:<{width}}  {med:>8}  {p90:>8}")
    print(f"{'difference of medians':<{width}}  {extra:>8.3f}  target < {TARGET} s above bare Python: {verdict}")

    modules = import_times(python)
    print(f"\nimport atti.cli: top {args.top} cumulative imports (median of {IMPORTTIME_RUNS} runs, -X importtime)")
    print(f"{'cumulative ms':>13}  {'self ms':>8}  module")
    for name, depth, own, cumulative in sorted(modules, key=lambda m: -m[3])[:args.top]:
        print(f"{cumulative:>13.1f}  {own:>8.1f}  {'  ' * depth}{name}")

    packages: dict[str, float] = defaultdict(float)
    for name, _, own, _ in modules:
        parts = name.split(".")
        packages[".".join(parts[:2] if parts[0] == "atti" else parts[:1])] += own  # atti by subpackage
    total = sum(packages.values())
    print(f"\ntop {args.top} packages by self time, summed over their modules (atti by subpackage; "
          f"{total:.0f} ms in all)")
    print(f"{'self ms':>13}  package")
    for name, own in sorted(packages.items(), key=lambda p: -p[1])[:args.top]:
        print(f"{own:>13.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
