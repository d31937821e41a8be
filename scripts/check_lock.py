"""Checks that the virtualenv holds every package atti needs, direct and transitive, at the version
requirements/lock.txt pins. scripts/setup.sh runs it after installing with the lock as constraints.

    .venv/bin/python scripts/check_lock.py [--lock requirements/lock.txt] [--extra test]

pip installs a package the lock does not pin at whatever version is newest that day, so a clean
clone would no longer get what the suite was tested with: that happens when pyproject.toml gains
a dependency and the lock is not made again. Exit 1 with one line per such package; the fix is
``bash scripts/lock.sh``.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.version import Version
except ImportError:  # a runtime-only virtualenv may lack packaging; pip always carries one
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[assignment]
    from pip._vendor.packaging.version import Version  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(lock: Path) -> dict[str, Version]:
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonical(name)] = Version(version)
    return pins


def unpinned(root: str, extras: frozenset[str], pins: dict[str, Version]) -> list[str]:
    """One line per package that ``root[extras]`` needs and that is missing, or not at its pin."""
    problems = []
    todo, seen = [(root, extras)], set()
    while todo:
        name, wanted = todo.pop()
        if (canonical(name), wanted) in seen:
            continue
        seen.add((canonical(name), wanted))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name}: needed but not installed")
            continue
        pin = pins.get(canonical(name))
        if canonical(name) != canonical(root) and pin != Version(dist.version):
            shown = f"{dist.metadata['Name']}=={dist.version}"
            problems.append(f"{shown} installed, " + (f"the lock pins {pin}" if pin else "not in the lock"))
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in wanted or {""}):
                todo.append((req.name, frozenset(req.extras)))
    return sorted(set(problems))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements" / "lock.txt")
    parser.add_argument("--extra", action="append", default=[], help="an extra of atti installed too (test)")
    args = parser.parse_args()
    problems = unpinned("atti", frozenset(args.extra), read_pins(args.lock))
    for line in problems:
        print(f"Error: {line}", file=sys.stderr)
    if problems:
        print(f"The pins in {args.lock} do not cover pyproject.toml: run bash scripts/lock.sh, then commit "
              "the lock file with pyproject.toml", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
