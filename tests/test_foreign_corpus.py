"""Every PDF of the foreign corpus (tests/data/foreign, see its README) gets its known verdict."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from atti.errors import VerificationError
from atti.signing import load_trust_roots, verify_pdf

CORPUS = Path(__file__).parent / "data" / "foreign"
TRUST_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


def groups() -> list[Path]:
    return sorted(p.parent for p in CORPUS.glob("*/verdicts.json"))


def cases() -> list[Any]:
    found = []
    for group in groups():
        spec = json.loads((group / "verdicts.json").read_text(encoding="utf-8"))
        for name, expected in sorted(spec["files"].items()):
            found.append(pytest.param(group, name, expected, spec.get("moment"), id=f"{group.name}/{name}"))
    return found


def trust_of(group: Path) -> list[Any]:
    files = sorted(p for p in (group / "trust").glob("*") if p.suffix.lower() in TRUST_SUFFIXES)
    return load_trust_roots(files) if files else []


@pytest.mark.parametrize(("group", "name", "expected", "moment"), cases())
def test_verdict(group: Path, name: str, expected: dict[str, Any], moment: str | None) -> None:
    pdf = (group / name).read_bytes()
    when = dt.datetime.fromisoformat(moment) if moment else None
    if "error" in expected:
        with pytest.raises(VerificationError) as refused:
            verify_pdf(pdf, trust_of(group), moment=when)
        assert expected["error"] in refused.value.msg
        return
    report = verify_pdf(pdf, trust_of(group), moment=when)
    got: dict[str, Any] = {"indication": report.indication}
    want: dict[str, Any] = {"indication": expected["indication"]}
    if "sub_indication" in expected:
        got["sub_indication"], want["sub_indication"] = report.sub_indication, expected["sub_indication"]
    if "signatures" in expected:
        got["signatures"], want["signatures"] = len(report.signatures), expected["signatures"]
    if "timestamps" in expected:
        got["timestamps"], want["timestamps"] = len(report.timestamps), expected["timestamps"]
    if "intact" in expected:
        got["intact"], want["intact"] = [s.intact for s in report.signatures], expected["intact"]
    assert got == want, report.to_text(name)


def test_every_pdf_of_the_corpus_has_its_verdict() -> None:
    assert len(groups()) >= 5  # structure, cms, changes, shadow, endesive: none lost unseen
    for group in groups():
        listed = set(json.loads((group / "verdicts.json").read_text(encoding="utf-8"))["files"])
        present = {p.name for p in group.glob("*.pdf")}
        assert present == listed, group.name
