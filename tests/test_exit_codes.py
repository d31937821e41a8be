"""Exit codes: every one atti can end with is in README.md's table, and means what the table says.

The table is read from the README itself, so a code added to errors.py or cli.py without its row,
or a row that names a class whose code differs, fails here. Then the paths that are easy to get
wrong: bulk commands that skipped something, a standard output closed early, an archive location
that is a malformed database URL, verifying without an archive, interrupts and bugs.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from atti import errors
from atti.cli import main

from .conftest import ROOT, Atti

README = ROOT / "README.md"
CLI = ROOT / "src" / "atti" / "cli.py"


def exit_table(text: str) -> dict[int, str]:
    """The exit-code table of README.md's text: code -> its row's text."""
    section = re.search(r"^- \*\*Errors\*\*:.*?(?=^- \*\*|^#)", text, re.MULTILINE | re.DOTALL)
    assert section is not None, "README.md has no **Errors** item"
    rows = re.findall(r"^\s*\|\s*(\d+)\s*\|(.*)\|\s*$", section.group(0), re.MULTILINE)
    assert rows, "README.md has no exit-code table (| code | meaning |)"
    table = {int(code): meaning for code, meaning in rows}
    assert len(table) == len(rows), "an exit code has two rows"
    return table


def readme_table() -> dict[int, str]:
    return exit_table(README.read_text(encoding="utf-8"))


def error_classes() -> list[type[errors.AttiError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.AttiError)]


def class_problems(table: dict[int, str], classes: list[type[errors.AttiError]], tree: str) -> list[str]:
    """Each class must be named in the row of its exit code, itself or through the nearest ancestor
    the table names; errors.py's tree (``tree``) must give it the same code."""
    problems = []
    every_row = " ".join(table.values())
    for cls in classes:
        named = next((c for c in cls.__mro__ if f"`{c.__name__}`" in every_row), None)
        if named is None:
            problems.append(f"the table names neither {cls.__name__} nor an ancestor of it")
            continue
        rows = [code for code, meaning in table.items() if f"`{named.__name__}`" in meaning]
        if rows != [cls.exit_code]:
            problems.append(f"{cls.__name__} exits {cls.exit_code}; the table says {rows} ({named.__name__})")
        found = re.search(rf"\b{cls.__name__}\s+exit (\d+)", tree)
        if found is None or int(found.group(1)) != cls.exit_code:
            problems.append(f"errors.py's tree does not say {cls.__name__} exits {cls.exit_code}")
    return problems


def code_problems(table: dict[int, str], used: set[int]) -> list[str]:
    """Every code atti uses has a row, and every row a use (0 is always used)."""
    problems = [f"atti exits with {code}, which the table does not list" for code in sorted(used - set(table))]
    problems += [f"the table lists {code}, which atti never exits with" for code in sorted(set(table) - used - {0})]
    return problems


def literal_exits(source: str) -> set[int]:
    """The codes a module passes to sys.exit / ctx.exit as literals (``0 if ok else 1`` counts both)."""
    found: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "exit":
            for arg in node.args:
                for leaf in ast.walk(arg):
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, int):
                        found.add(leaf.value)
    return found


def used_codes() -> set[int]:
    return literal_exits(CLI.read_text(encoding="utf-8")) | {c.exit_code for c in error_classes()}


def test_every_error_class_exits_with_the_code_its_row_names() -> None:
    assert class_problems(readme_table(), error_classes(), errors.__doc__ or "") == []


def test_every_code_the_command_line_uses_is_in_the_table() -> None:
    assert {1, 70, 130, 143} <= literal_exits(CLI.read_text(encoding="utf-8")), "checks, bugs, interrupts"
    assert code_problems(readme_table(), used_codes()) == []


def test_the_table_checks_find_what_they_look_for() -> None:
    """Run on a doctored table and tree, the checks above report each fault."""
    table = readme_table()
    moved = {**{c: m for c, m in table.items() if c != 6}, 7: table[6]}
    assert "ArchiveNotFound exits 6; the table says [7] (ArchiveError)" in class_problems(
        moved, error_classes(), errors.__doc__ or "")
    unnamed = {c: m.replace("`SigningError`", "signing") for c, m in table.items()}
    assert "ServiceError exits 4; the table says [2] (AttiError)" in class_problems(  # named by its base's row
        unnamed, error_classes(), errors.__doc__ or "")
    bare = {c: m.replace("`AttiError`", "") for c, m in unnamed.items()}
    assert "the table names neither ServiceError nor an ancestor of it" in class_problems(
        bare, error_classes(), errors.__doc__ or "")
    tree = (errors.__doc__ or "").replace("RenderError                exit 3", "RenderError                exit 4")
    assert class_problems(table, error_classes(), tree) == ["errors.py's tree does not say RenderError exits 3"]
    assert code_problems(moved, used_codes()) == [
        "atti exits with 6, which the table does not list", "the table lists 7, which atti never exits with",
    ]
    assert literal_exits("import sys\nsys.exit(141)\nctx.exit(0 if ok else 3)\n") == {141, 0, 3}


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        out.append((prefix + name, command))
        if isinstance(command, click.Group):
            out += _commands(command, f"{prefix}{name} ")
    return out


def test_every_exit_code_a_help_text_names_is_in_the_table() -> None:
    table = readme_table()
    for name, command in _commands(main):
        help_text = " ".join((command.help or "").split())
        for sentence in re.findall(r"\bExits? .*?(?:\.(?:\s|$)|$)", help_text):
            codes = {int(n) for n in re.findall(r"\b(\d+)\b", sentence)}
            assert codes <= set(table), f"atti {name}: its help names exit codes {sorted(codes - set(table))}"


# -- bulk commands ------------------------------------------------------------------------------


def test_import_of_a_folder_exits_1_when_any_file_was_skipped(atti: Atti, tmp_path: Path) -> None:
    folder = tmp_path / "vecchi"
    folder.mkdir()
    (folder / "nota.txt").write_text("Determinazione n. 1/2026", encoding="utf-8")
    (folder / "rotto.pdf").write_bytes(b"%PDF-1.7 broken")
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    result = atti("import", folder, "--archive", archive)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "Saltato nota.txt: non è un PDF: solo un PDF si può conservare come originale firmato",
        "Saltato rotto.pdf: rotto.pdf: non è un PDF leggibile (danneggiato o cifrato)",
        "0 importati, 2 saltati; citazioni ricollegate in 0 atti",
    ]
    as_json = atti("import", folder, "--archive", archive, "--json")
    assert as_json.exit_code == 1 and len(json.loads(as_json.stdout)["skipped"]) == 2


def test_renewal_exits_1_when_an_act_failed(atti: Atti, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atti import pipeline

    def renew(archive: object, settings: object, *, before_days: int, progress: object) -> pipeline.RenewResult:
        failed = pipeline.Renewal("DO-2026-1", "2026-06-01", error="the PDF is damaged")
        done = pipeline.Renewal("DO-2026-2", "2026-06-01", sha256="ab" * 32)
        for renewal in (failed, done):
            progress(renewal)  # type: ignore[operator]
        return pipeline.RenewResult(2, [done], [failed], [])

    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    monkeypatch.setattr(pipeline, "renew_timestamps", renew)
    result = atti("timestamp", "--renew", "--archive", archive, "--tsa", "http://127.0.0.1:9/tsa")
    assert (result.exit_code, result.stderr) == (1, "Errore: DO-2026-1: the PDF is damaged\n")
    assert result.stdout == ("rinnovato DO-2026-2 (il certificato della TSA scade il 2026-06-01)\n"
                             "Atti rinnovati: 1 su 2, non riusciti: 1\n")


# -- a standard output closed early ---------------------------------------------------------------


def _closed_stdout(*args: object) -> subprocess.CompletedProcess[bytes]:
    """Run atti with its standard output a pipe nobody reads any more (as ``atti ... | head -1``
    leaves it once head is done)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-c", "from atti.cli import main; main(prog_name='atti')", *map(str, args)],
            stdout=write, stderr=subprocess.PIPE, timeout=120, check=False,
        )
    finally:
        os.close(write)


def test_a_closed_standard_output_ends_atti_quietly(atti: Atti, tmp_path: Path) -> None:
    """No traceback, no "internal error": exit 1, as click has a closed pipe end a command."""
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    for args in (("search", "--archive", archive), ("search", "--archive", archive, "--json"), ("--help",),
                 ("archive", "verify", "--archive", archive)):
        done = _closed_stdout(*args)
        assert (done.returncode, done.stderr.decode()) == (1, ""), args


# -- where the archive is -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "missing"),
    [
        ("postgresql://", "non indica né l'host né il database"),
        ("postgres://", "non indica né l'host né il database"),
        ("postgresql:", "non indica né l'host né il database"),
        ("postgresql://db.example.it", "non indica alcun database"),
        ("postgresql://atti@db.example.it:54x2/atti", "ha una porta che non è un numero da 1 a 65535"),
    ],
)
def test_a_malformed_database_url_says_what_it_lacks(atti: Atti, location: str, missing: str) -> None:
    for command in (("search", "x"), ("init",), ("verify", README)):
        result = atti(*command, "--archive", location)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.startswith("Errore: l'URL del database dell'archivio "), result.stderr
        assert missing in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert "postgresql://UTENTE@HOST[:PORTA]/DATABASE" in result.stderr
    assert not Path("postgresql:").exists() and not Path("postgres:").exists()  # no folder made by mistake


def test_verify_with_trust_roots_needs_no_archive(atti: Atti, tmp_path: Path) -> None:
    """--trust (or --tsl) is enough to verify: no archive needed, whatever --archive names. Without
    either, the archive's roots are all there is to trust, and there must be one."""
    from atti.signing import ActSigner, DevCA

    from .test_signing import make_pdf

    ca = DevCA.create(tmp_path / "ca", ente="Comune di Prova")
    root = tmp_path / "ca" / "root.pem"
    signer = ActSigner.from_pkcs12(ca.signer_for("Mario Rossi", "Dirigente"), None)
    pdf = tmp_path / "firmato.pdf"
    pdf.write_bytes(signer.sign(make_pdf(), reason="Adozione", location="Prova"))
    nowhere = tmp_path / "nowhere"
    for args in ((), ("--archive", nowhere)):
        result = atti("verify", pdf, "--trust", root, *args, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["indication"] == "TOTAL_PASSED" and report["trust"] == [f"certificati in {root}"]
    without = atti("verify", pdf, "--archive", nowhere)
    assert (without.exit_code, without.stderr) == (
        6, f"Errore: nessun archivio in {nowhere}: creane uno con 'atti init --archive {nowhere}'\n"
    )
    assert not nowhere.exists()


# -- interrupts and bugs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (KeyboardInterrupt(), 130, "Errore: interrotto\n"),
        (click.Abort(), 130, "Errore: interrotto\n"),
        (ZeroDivisionError("division by zero"), 70,
         "Errore: errore interno (ZeroDivisionError: division by zero); riesegui con --verbose\n"),
    ],
)
def test_interrupts_and_bugs(
    atti: Atti, monkeypatch: pytest.MonkeyPatch, raised: BaseException, code: int, message: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr("atti.cli.load_settings", fail)
    for args in (("search", "x"), ("archive", "verify")):
        result = atti(*args)
        assert (result.exit_code, result.stderr) == (code, message), args
