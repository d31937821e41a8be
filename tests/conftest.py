"""Shared fixtures: the reference act, and the seed text it was written from."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "determinazione-DO-129-2026.yaml"
SEED = ROOT.parent / "shared" / "seeds" / "000_79e5a06dcd4514e5.txt"


@pytest.fixture()
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")
