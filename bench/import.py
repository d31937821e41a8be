"""Benchmark: how well and how fast ``atti import`` reads real acts (tests/data/import/corpus.yaml).

    python bench/import.py [-n 5] [--no-pdf] [--acts]

Prints, for the development part of the corpus, the held-out part (the quarter kept out of
development, see the manifest) and the whole, the share of acts whose field the importer reads as
a person does: numero, data, tipo and dispositivo (target 95%), organo, and the counts of punti,
premesse and visti (where the manifest judges them; tests/import_corpus.py says how).

Then the speed, acts per second (median of ``-n`` passes over the corpus, in process, warm):
from text (``import_file`` on the .txt), and from PDF: the texts are made into PDFs once, at
bench time, by LibreOffice (``soffice --convert-to pdf``, in a temporary folder, not kept), and
each is imported through pdftotext like any PDF. ``--no-pdf`` skips that part; ``--acts`` prints
each development act's wrong fields (never the held-out ones: they are not for tuning).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.import_corpus import FIELDS, Case, accuracy, load_corpus, score  # noqa: E402

from atti.acts.importer import import_file  # noqa: E402
from atti.errors import AttiError  # noqa: E402
from atti.templates.convert import find_soffice  # noqa: E402


def evaluate(cases: list[Case], folder: Path | None = None) -> tuple[list[dict[str, bool | None]], list[str]]:
    """Score each case, from its text or (``folder``) from the PDF made of it there."""
    rows, refused = [], []
    for case in cases:
        path = case.path if folder is None else folder / (case.path.stem + ".pdf")
        try:
            rows.append(score(case, import_file(path)))
        except AttiError as exc:
            refused.append(f"{case.file}: {exc.msg}")
            rows.append(dict.fromkeys(FIELDS, False))
    return rows, refused


def table(parts: dict[str, list[Case]]) -> None:
    results = {name: evaluate(cases) for name, cases in parts.items()}
    print("| field | " + " | ".join(f"{name} ({len(parts[name])} acts)" for name in parts) + " |")
    print("|---|" + "---|" * len(parts))
    for key in FIELDS:
        cells = []
        for rows, _ in results.values():
            share = accuracy(rows)[key]
            cells.append("-" if share is None else f"{share:.0%}")
        print(f"| {key} | " + " | ".join(cells) + " |")
    for name, (_, refused) in results.items():
        for line in refused if name != "all" else []:
            print(f"refused ({name}): {line}")


def acts_per_second(paths: list[Path], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        for path in paths:
            with contextlib.suppress(AttiError):  # a refused act costs its reading too
                import_file(path)
        times.append(time.perf_counter() - start)
    return len(paths) / statistics.median(times)


def make_pdfs(texts: list[Path], folder: Path) -> list[Path]:
    soffice = find_soffice()
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", "pdf",
         "--outdir", str(folder), *map(str, texts)],
        check=True, capture_output=True, timeout=600,
    )
    return sorted(folder.glob("*.pdf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="passes over the corpus for the speed (median)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF speed (needs LibreOffice)")
    parser.add_argument("--acts", action="store_true", help="print each development act's wrong fields")
    args = parser.parse_args()

    cases = load_corpus()
    dev = [c for c in cases if not c.heldout]
    held = [c for c in cases if c.heldout]
    print(f"Accuracy over {len(cases)} real acts (tests/data/import/corpus.yaml)\n")
    table({"development": dev, "held out": held, "all": cases})
    if args.acts:
        print()
        for case in dev:
            rows, _ = evaluate([case])
            wrong = [k for k, v in rows[0].items() if v is False]
            if wrong:
                print(f"{case.file}: {', '.join(wrong)}")

    paths = [c.path for c in cases]
    print(f"\nSpeed (median of {args.n} passes over {len(paths)} acts, in process)\n")
    print("| from | acts/s |")
    print("|---|---|")
    acts_per_second(paths[:1], 1)  # warm: imports, compiled patterns
    print(f"| text | {acts_per_second(paths, args.n):.0f} |")
    if not args.no_pdf:
        with tempfile.TemporaryDirectory() as tmp:
            pdfs = make_pdfs(paths, Path(tmp))
            rate = acts_per_second(pdfs, args.n)
            print(f"| PDF ({len(pdfs)} made by LibreOffice, read by pdftotext) | {rate:.1f} |")
            rows, refused = evaluate(cases, Path(tmp))
            shares = accuracy(rows)
            print("\nAccuracy from those PDFs (all acts): " + ", ".join(
                f"{k} {v:.0%}" for k, v in shares.items() if v is not None))
            for line in refused:
                print(f"refused (PDF): {line}")


if __name__ == "__main__":
    main()
