"""The command line contract: exit codes and messages of every command, and one real publish.

The publishing tests run the real pipeline: LibreOffice renders, pyHanko signs, SQLite archives,
and every signed PDF written is verified afterwards.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from atti.acts import load_act

from .conftest import EXAMPLE, SEED, Atti, ForeignPKI, run_atti

COMMANDS = ["init", "check", "render", "publish", "search", "show", "history", "diff", "verify", "proof", "templates"]


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
    return normalise(out.stdout.decode("utf-8"))


def assert_in_order(text: str, items: list[str]) -> None:
    at = 0
    for item in items:
        found = text.find(normalise(item), at)
        assert found >= 0, f"not found in order: {item[:70]}"
        at = found + len(normalise(item))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(atti: Atti, command: str) -> None:
    result = atti(command, "--help")
    assert (result.exit_code, result.output.startswith(f"Uso: main {command} ")) == (0, True)
    result = atti("--lang", "en", command, "--help")
    assert (result.exit_code, result.output.startswith(f"Usage: main {command} ")) == (0, True)


def test_check_valid_act(atti: Atti) -> None:
    result = atti("check", EXAMPLE)
    assert (result.exit_code, result.output) == (0, f"{EXAMPLE}: valido\n")


def test_check_invalid_acts_print_one_line_per_problem(atti: Atti, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("data: 2026-05-19", "data: 2026-05-32").replace(
        "\norgano:", "\norgano_:"))
    result = atti("check", EXAMPLE, bad, tmp_path / "none.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{EXAMPLE}: valido",
        f"{bad}:4:1: manca la chiave obbligatoria 'organo'",
        f"{bad}:8:1: chiave sconosciuta 'organo_' (forse 'organo'?)",
        f"{bad}:11:7: data: data non valida: '2026-05-32' (scrivila nella forma AAAA-MM-GG, es. 2026-05-19)",
        f"{tmp_path / 'none.yaml'}:1:1: il file non esiste",
    ]


def test_commands_without_an_archive_say_how_to_make_one(atti: Atti, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for args in (["search", "x"], ["show", "DO-2026-1"], ["publish", str(EXAMPLE)]):
        result = atti(*args, "--archive", missing)
        assert result.exit_code == 6, args
        assert result.stderr == (
            f"Errore: nessun archivio in {missing}: creane uno con 'atti init --archive {missing}'\n"
        )


def test_publish_an_invalid_act_prints_its_problems_and_stores_nothing(atti: Atti, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("esito: positivo", "esito: sospeso", 1))
    result = atti("publish", bad, "--archive", archive)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:")
    assert "'sospeso'; ogni verifica deve essere positiva prima della firma" in result.stderr
    assert not list((archive / "blobs").rglob("*.pdf"))


def test_config_errors_exit_2(atti: Atti, tmp_path: Path) -> None:
    result = atti("search", "x", env={"ATTI_ARCHVIE": "x"})
    assert (result.exit_code, result.stderr) == (2, "Errore: impostazione sconosciuta nell'ambiente: ATTI_ARCHVIE\n")


def test_init_is_idempotent(atti: Atti, tmp_path: Path) -> None:
    archive = tmp_path / "a"
    first = atti("init", "--archive", archive)
    assert first.exit_code == 0
    assert first.output == (
        f"Creato {archive}\nCA di sviluppo (non qualificata): {archive / 'pki' / 'root.pem'}\n"
    )
    root = (archive / "pki" / "root.pem").read_bytes()
    again = atti("init", "--archive", archive)
    assert (again.exit_code, again.output) == (0, f"L'archivio esiste già in {archive}\n")
    assert (archive / "pki" / "root.pem").read_bytes() == root


def test_init_refuses_a_trust_root_that_is_not_a_certificate(atti: Atti, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    result = atti("init", "--archive", tmp_path / "a", "--trust", junk)
    assert result.exit_code != 0 and result.stderr.startswith("Errore: ") and "junk.pem" in result.stderr


@pytest.fixture(scope="module")
def published(libreoffice: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, object]]]:
    archive = tmp_path_factory.mktemp("pub") / "archive"
    assert run_atti("init", "--archive", archive).exit_code == 0
    result = run_atti("publish", EXAMPLE, "--archive", archive, "--json")
    assert result.exit_code == 0, result.output
    yield archive, json.loads(result.stdout)


def test_publish_json_contract(published: tuple[Path, dict[str, object]]) -> None:
    archive, record = published
    assert {k: record[k] for k in ("id", "registro", "anno", "numero")} == {
        "id": "DO-2026-129", "registro": "D.O.", "anno": 2026, "numero": 129,
    }
    pdf = Path(str(record["pdf"]))
    assert pdf.is_file() and pdf.is_relative_to(archive.resolve())
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == record["sha256"]


def test_signed_pdf_holds_the_whole_act_in_order(published: tuple[Path, dict[str, object]]) -> None:
    _, record = published
    pdf = Path(str(record["pdf"]))
    act = load_act(EXAMPLE).act
    text = pdf_text(pdf)
    assert_in_order(
        text,
        [
            "Unioncamere Lombardia",
            "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026",
            "Del 19/05/2026",
            "OGGETTO:",
            act.oggetto,
            "IL DIRETTORE OPERATIVO",
            *act.poteri,
            "Premesso che:",
            *act.premesse,
            "Visto:",
            *act.visti,
            "DETERMINA",
            *act.dispositivo.punti,
            "Proposta di: Area Servizi alle Imprese ed al Territorio",
            "Nicolas Sangalli",
            "Il Direttore Operativo",
            "Fabrizio Ventrice",
            "Firmato digitalmente ai sensi dell'art. 24 del D. Lgs. 82/2005",
            "Verifica Area Servizi alle Imprese ed al Territorio",
            "Roberto Valente",
            "Verifica Legale",
            "Franco Pozzoli",
            "Verifica Amministrativa",
            "Mattia Cattaneo",
        ],
    )


def test_every_item_of_the_seed_act_survives(published: tuple[Path, dict[str, object]]) -> None:
    """Each "- " item of the original act's text is in the signed PDF, in the seed's order."""
    _, record = published
    seed = SEED.read_text(encoding="utf-8")
    # The seed's text was extracted from a PDF: its items are "- " lines, some broken by a page.
    items = [normalise(i) for i in seed.split("\n- ")[1:]]
    items = [re.sub(r" (Premesso che:|Visto:|DETERMINA|Proposta di:).*$", "", i) for i in items]
    # "Il finestra" in the seed is the PDF's OCR-like slip for "II finestra"; the act says II.
    items = [i.replace("Il finestra", "II finestra") for i in items]
    assert len(items) == 2 + 14 + 11 + 2
    assert_in_order(pdf_text(Path(str(record["pdf"]))), items)


def test_verify_the_published_pdf(atti: Atti, published: tuple[Path, dict[str, object]]) -> None:
    archive, record = published
    result = atti("verify", str(record["pdf"]), "--archive", archive, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert report["signer"] == "Fabrizio Ventrice"
    human = atti("verify", str(record["pdf"]), "--archive", archive)
    assert human.exit_code == 0 and human.output.startswith("TOTAL_PASSED  ")


def test_verify_failures(atti: Atti, published: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    archive, record = published
    signed = Path(str(record["pdf"])).read_bytes()
    # A byte changed inside the signed range: the hash no longer matches.
    at = signed.index(b"/Type /Page") if b"/Type /Page" in signed else len(signed) // 3
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(signed[:at] + (b"X" if signed[at:at + 1] != b"X" else b"Y") + signed[at + 1:])
    result = atti("verify", tampered, "--archive", archive, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["indication"] in {"TOTAL_FAILED", "INDETERMINATE"}
    # An archive whose CA did not issue the signer's certificate cannot trust it.
    other = tmp_path / "other"
    atti("init", "--archive", other)
    result = atti("verify", str(record["pdf"]), "--archive", other, "--json")
    assert (result.exit_code, json.loads(result.stdout)["indication"]) == (1, "INDETERMINATE")
    # Not a PDF at all.
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"hello")
    result = atti("verify", junk, "--archive", archive)
    assert result.exit_code == 5 and result.stderr.startswith("Errore: ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.libreoffice
def test_publish_refuses_a_duplicate_and_numbers_a_draft(
    atti: Atti, published: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    archive, _ = published
    again = atti("publish", EXAMPLE, "--archive", archive)
    assert again.exit_code == 6
    assert again.stderr == "Errore: il registro D.O. ha già il numero 129/2026 (DO-2026-129)\n"
    draft = tmp_path / "draft.yaml"
    draft.write_text(EXAMPLE.read_text().replace("numero: 129 ", "# no number yet "))
    result = atti("publish", draft, "--archive", archive, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["id"], record["numero"]) == ("DO-2026-130", 130)
    verified = atti("verify", record["pdf"], "--archive", archive)
    assert verified.exit_code == 0
    assert "N. 130/2026" in pdf_text(Path(record["pdf"]))


def test_search_and_show(atti: Atti, published: tuple[Path, dict[str, object]]) -> None:
    archive, record = published
    result = atti("search", "prorogare termini", "--archive", archive, "--json")
    assert result.exit_code == 0
    hits = json.loads(result.stdout)
    # An earlier test may have published the same text as 130: equal scores, the newest first.
    assert [h["id"] for h in hits] in (["DO-2026-129"], ["DO-2026-130", "DO-2026-129"])
    assert {"id", "registro", "anno", "numero", "oggetto"} <= set(hits[0])
    assert json.loads(atti("search", "ornitorinco", "--archive", archive, "--json").stdout) == []
    assert atti("search", "ornitorinco", "--archive", archive).output == "Nessun atto trovato.\n"
    shown = atti("show", "DO-2026-129", "--archive", archive, "--json")
    assert json.loads(shown.stdout)["sha256"] == record["sha256"]
    missing = atti("show", "DO-2026-999", "--archive", archive)
    assert (missing.exit_code, missing.stderr) == (6, "Errore: nessun atto con id DO-2026-999 nell'archivio\n")


@pytest.mark.libreoffice
def test_render_writes_docx_and_pdf(atti: Atti, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = atti("render", EXAMPLE, "-o", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "determinazione-DO-129-2026.docx", "determinazione-DO-129-2026.pdf",
    ]
    assert "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026" in pdf_text(out / "determinazione-DO-129-2026.pdf")


@pytest.mark.libreoffice
def test_an_output_folder_that_cannot_be_written_is_a_render_error(
    atti: Atti, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 3 naming the output folder, whether the folder sits under a file or on a read-only disk,
    and nothing half-written is left behind."""
    blocked = tmp_path / "file"
    blocked.write_text("")
    result = atti("render", EXAMPLE, "-o", blocked / "out")
    # write_error's words and the reason are Italian; what is written is the renderer's to say
    said = result.stderr
    assert (result.exit_code, said.startswith("Errore: impossibile scrivere "), said.endswith(
        f" {blocked / 'out'}: parte del percorso è un file, non una cartella\n")) == (3, True, True)

    def read_only(src: object, dst: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    out = tmp_path / "out"
    monkeypatch.setattr("atti.files.os.replace", read_only)
    result = atti("render", EXAMPLE, "-o", out)
    said = result.stderr
    assert (result.exit_code, said.startswith("Errore: impossibile scrivere "), said.endswith(
        f" {out}: il file system è in sola lettura\n")) == (3, True, True)
    assert list(out.iterdir()) == []


def test_render_without_libreoffice_is_one_clear_error(atti: Atti, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = atti("render", EXAMPLE, "-o", out, env={"ATTI_SOFFICE": str(tmp_path / "no-soffice")})
    assert result.exit_code == 3
    assert result.stderr.startswith("Errore: LibreOffice non trovato")
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.libreoffice
def test_publish_with_a_foreign_pkcs12(atti: Atti, tmp_path: Path, foreign_p12: tuple[Path, bytes, Path]) -> None:
    p12, passphrase, root = foreign_p12
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive, "--trust", root).exit_code == 0
    wrong = atti("publish", EXAMPLE, "--archive", archive, "--p12", p12, env={"ATTI_P12_PASSPHRASE": "wrong"})
    assert wrong.exit_code == 4
    assert wrong.stderr == f"Errore: passphrase errata per {p12}\n"
    ok = atti("publish", EXAMPLE, "--archive", archive, "--p12", p12, "--json",
              env={"ATTI_P12_PASSPHRASE": passphrase.decode()})
    assert ok.exit_code == 0, ok.output
    pdf = json.loads(ok.stdout)["pdf"]
    verified = atti("verify", pdf, "--archive", archive, "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["signer"] == "Fabrizio Ventrice"


@pytest.mark.libreoffice
def test_publish_and_verify_agree_on_a_certificate_naming_the_firmatario_surname_first(
    atti: Atti, tmp_path: Path, foreign_pki: ForeignPKI
) -> None:
    """CN "VENTRICE FABRIZIO" with givenName and SN, as Italian qualified certificates have it:
    publish accepts it for Fabrizio Ventrice, and verify says the firmatario is named."""
    p12 = foreign_pki.pkcs12("ventrice-it", b"segreto")
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive, "--trust", foreign_pki.root_pem).exit_code == 0
    ok = atti("publish", EXAMPLE, "--archive", archive, "--p12", p12, "--json", env={"ATTI_P12_PASSPHRASE": "segreto"})
    assert ok.exit_code == 0, ok.output
    verified = atti("verify", json.loads(ok.stdout)["pdf"], "--archive", archive, "--json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["signer"] == "VENTRICE FABRIZIO"
    assert report["firmatario"]["expected"] == "Fabrizio Ventrice" and report["firmatario"]["matches"] is True


def test_publish_refuses_a_certificate_of_someone_else(
    atti: Atti, tmp_path: Path, foreign_p12: tuple[Path, bytes, Path]
) -> None:
    p12, passphrase, _ = foreign_p12
    archive = tmp_path / "archive"
    atti("init", "--archive", archive)
    other = tmp_path / "other.yaml"
    other.write_text(EXAMPLE.read_text().replace("nome: Fabrizio Ventrice", "nome: Mario Rossi"))
    result = atti("publish", other, "--archive", archive, "--p12", p12,
                  env={"ATTI_P12_PASSPHRASE": passphrase.decode()})
    assert result.exit_code == 4
    assert result.stderr == (
        "Errore: firmatario dell'atto: Mario Rossi, ma il certificato appartiene a Fabrizio Ventrice\n"
    )
    assert not list((archive / "blobs").rglob("*.pdf"))


@pytest.mark.libreoffice
def test_soffice_is_installed_for_the_suite() -> None:
    """The set-up installs LibreOffice; the tests marked libreoffice need it, so say so plainly."""
    assert shutil.which("soffice"), "run scripts/setup.sh: LibreOffice is missing"


@pytest.mark.libreoffice
def test_publish_asks_for_the_passphrase_in_a_terminal(
    atti: Atti, tmp_path: Path, foreign_p12: tuple[Path, bytes, Path]
) -> None:
    p12, passphrase, root = foreign_p12
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive, "--trust", root).exit_code == 0
    # Without a terminal there is nobody to ask: say how to give it instead.
    piped = atti("publish", EXAMPLE, "--archive", archive, "--p12", p12)
    assert (piped.exit_code, piped.stderr) == (
        4, f"Errore: {p12} è protetto da una passphrase: imposta ATTI_P12_PASSPHRASE o esegui in un terminale\n"
    )
    # In a real terminal (a pty) atti prompts, without echo, on stderr.
    atti_bin = Path(sys.executable).parent / "atti"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTI_")}
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([atti_bin, "publish", EXAMPLE, "--archive", archive, "--p12", p12, "--json"],
                            stdin=secondary, stdout=subprocess.PIPE, stderr=secondary, env=env)
    os.close(secondary)
    seen = b""
    while b"Passphrase per" not in seen:
        seen += os.read(primary, 1024)
    os.write(primary, passphrase + b"\n")
    out, _ = proc.communicate(timeout=120)
    os.close(primary)
    assert proc.returncode == 0
    record = json.loads(out)
    assert record["id"] == "DO-2026-129" and passphrase not in seen
    verified = atti("verify", record["pdf"], "--archive", archive, "--json")
    assert json.loads(verified.stdout)["indication"] == "TOTAL_PASSED"


def test_proof_that_the_signed_pdf_says_what_the_yaml_says(
    atti: Atti, published: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    _, record = published
    pdf = str(record["pdf"])
    ok = atti("proof", EXAMPLE, pdf)
    assert (ok.exit_code, ok.stdout) == (0, f"{pdf}: dice ciò che dice {EXAMPLE} (39 voci)\n")
    altered = tmp_path / "altered.yaml"
    altered.write_text(EXAMPLE.read_text().replace("alle ore 16.00.", "alle ore 18.00."))
    result = atti("proof", altered, pdf)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{pdf}: dispositivo[1]: mancante o alterato: 'di prorogare i termini per la presentazione delle "
        "domande relative all'",
    ]
    assert json.loads(atti("proof", altered, pdf, "--json").stdout)["passed"] is False
    draft = tmp_path / "draft.yaml"
    draft.write_text(EXAMPLE.read_text().replace("numero: 129 ", "# no number yet "))
    assert atti("proof", draft, pdf).exit_code == 1
    assert atti("proof", draft, pdf, "--numero", "129").exit_code == 0
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7 nothing")
    bad = atti("proof", EXAMPLE, junk)
    assert bad.exit_code == 5 and bad.stderr.startswith("Errore: non è un PDF leggibile: ")


def test_templates_are_copied_for_a_body_and_then_used(atti: Atti, tmp_path: Path) -> None:
    folder = tmp_path / "modelli"
    result = atti("templates", folder)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"scritto   {folder / 'determinazione.docx'}"
    (folder / "delibera.docx").write_bytes(b"edited by the body")
    again = atti("templates", folder)
    assert f"lasciato  {folder / 'delibera.docx'}" in again.stdout.splitlines()
    assert (folder / "delibera.docx").read_bytes() == b"edited by the body"
    blocked = tmp_path / "file"
    blocked.write_text("")
    failed = atti("templates", blocked / "sub")
    said = failed.stderr
    assert (failed.exit_code, said.startswith("Errore: impossibile scrivere "), said.endswith(
        f" {blocked / 'sub'}: parte del percorso è un file, non una cartella\n")) == (3, True, True)


@pytest.mark.libreoffice
def test_reviewers_sign_their_verifiche_with_their_own_keys(
    atti: Atti, tmp_path: Path, foreign_p12: tuple[Path, bytes, Path]
) -> None:
    from atti.signing import DevCA

    p12, passphrase, root = foreign_p12
    archive = tmp_path / "archive"
    assert atti("init", "--archive", archive, "--trust", root).exit_code == 0
    # The legal office's reviewer has a key of their own (here from the archive's development CA).
    pozzoli = DevCA.load(archive / "pki").signer_for("Franco Pozzoli", "Verifica Legale")
    stranger = DevCA.load(archive / "pki").signer_for("Mario Rossi", "Funzionario")
    # Outside development mode: the verifiche given no key stay unsigned.
    env = {"ATTI_P12_PASSPHRASE": passphrase.decode(), "ATTI_DEVELOPMENT": None}
    refused = atti("publish", EXAMPLE, "--archive", archive, "--p12", p12, "--reviewer-p12", stranger, env=env)
    assert refused.exit_code == 4
    assert refused.stderr == (
        f"Errore: {stranger} appartiene a Mario Rossi, che non ha fatto nessuna delle verifiche dell'atto "
        "(Roberto Valente, Franco Pozzoli, Mattia Cattaneo)\n"
    )
    ok = atti("publish", EXAMPLE, "--archive", archive, "--p12", p12, "--reviewer-p12", pozzoli, "--json", env=env)
    assert ok.exit_code == 0, ok.output
    report = json.loads(atti("verify", json.loads(ok.stdout)["pdf"], "--archive", archive, "--json").stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert [(s["field_name"], s["signer"]) for s in report["signatures"]] == [
        ("Verifica2", "Franco Pozzoli"), ("Firma", "Fabrizio Ventrice"),
    ]
