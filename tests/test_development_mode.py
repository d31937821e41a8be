"""Development mode (issue 16): the development CA signs an act in its firmatario's name only in an
explicit, visibly marked development mode. Without a key and outside it, publishing is refused
before anything is numbered or stored; in it, publish says so and so does the act's signature;
a configured key signs as it is, development mode or not.

The suite runs in development mode (tests/conftest.py); the tests of publishing outside it remove
ATTI_DEVELOPMENT.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from atti import pipeline
from atti.archive import Archive
from atti.config import Settings, load_settings
from atti.errors import SigningError

from .conftest import EXAMPLE, Atti

OUTSIDE = {"ATTI_DEVELOPMENT": None}

REFUSAL = (
    "nessuna chiave con cui firmare l'atto: imposta p12 (--p12 FILE), oppure pkcs11_module, pkcs11_token e "
    "pkcs11_key (--pkcs11-module, --token, --key-label); o imposta development = true (--development) per provare "
    "atti con la CA di sviluppo, che NON è una firma digitale"
)
START_NOTE = "Nota: 129/2026 è il primo del registro D.O. in questo archivio: i numeri 1-128 non ci sono\n"
ACT_NOTE = (
    "Nota: modalità di sviluppo: la CA di sviluppo ha firmato l'atto a nome del firmatario, Fabrizio Ventrice: "
    "NON è una firma digitale, non per un atto vero\n"
)
VERIFICHE_NOTE = (
    "Nota: modalità di sviluppo: la CA di sviluppo ha firmato le verifiche di Roberto Valente, Franco Pozzoli, "
    "Mattia Cattaneo a loro nome, senza una loro chiave: non per un atto vero\n"
)


def reasons(pdf: Path) -> dict[str, str]:
    """Each signature's reason, by its field's name."""
    reader = PdfFileReader(io.BytesIO(pdf.read_bytes()))
    return {str(s.field_name): str(s.sig_object["/Reason"]) for s in reader.embedded_signatures}


def untouched(atti: Atti, root: Path) -> None:
    """Nothing numbered, stored or logged: the archive verifies clean and holds no act."""
    checked = atti("archive", "verify", "--archive", root)
    assert checked.exit_code == 0, checked.output
    with Archive.open(root) as arc:
        assert arc.catalog.last_number("D.O.", 2026) == 0
        assert arc.search("") == []


def test_publish_without_a_key_outside_development_mode_is_refused(atti: Atti, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    assert atti("init", "--archive", root).exit_code == 0
    for env in (OUTSIDE, {"ATTI_DEVELOPMENT": "false"}):
        refused = atti("publish", EXAMPLE, "--archive", root, env=env)
        assert (refused.exit_code, refused.stdout, refused.stderr) == (4, "", f"Errore: {REFUSAL}\n")
    untouched(atti, root)


def test_the_library_refuses_too_before_numbering(tmp_path: Path) -> None:
    pipeline.init_archive(tmp_path)
    with Archive.open(tmp_path) as arc:
        with pytest.raises(SigningError) as refused:
            pipeline.publish(arc, EXAMPLE, Settings(archive=tmp_path))
        assert refused.value.msg == REFUSAL
        assert arc.catalog.last_number("D.O.", 2026) == 0


def test_development_mode_is_a_setting_off_by_default() -> None:
    assert load_settings(environ={}).development is False
    assert load_settings(environ={"ATTI_DEVELOPMENT": "1"}).development is True
    # The flag only turns it on: not given, the setting decides.
    assert load_settings({"development": None}, environ={"ATTI_DEVELOPMENT": "true"}).development is True


@pytest.mark.libreoffice
def test_development_mode_signs_in_the_firmatarios_name_and_says_so(atti: Atti, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    assert atti("init", "--archive", root).exit_code == 0
    published = atti("publish", EXAMPLE, "--archive", root, "--development", "--json", env=OUTSIDE)
    assert published.exit_code == 0, published.output
    assert published.stderr == START_NOTE + ACT_NOTE + VERIFICHE_NOTE
    pdf = Path(json.loads(published.stdout)["pdf"])
    assert reasons(pdf) == {
        "Verifica1": "Verifica Area Servizi alle Imprese ed al Territorio: positivo [SVILUPPO: firmata dalla CA "
                     "di sviluppo, non con la chiave del revisore]",
        "Verifica2": "Verifica Legale: positivo [SVILUPPO: firmata dalla CA di sviluppo, non con la chiave del "
                     "revisore]",
        "Verifica3": "Verifica Amministrativa: positivo [SVILUPPO: firmata dalla CA di sviluppo, non con la "
                     "chiave del revisore]",
        "Firma": "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026 [SVILUPPO: firmato dalla CA di sviluppo, "
                 "non con la chiave del firmatario]",
    }
    report = json.loads(atti("verify", pdf, "--archive", root, "--json").stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert report["signer"] == "Fabrizio Ventrice"


@pytest.mark.libreoffice
def test_a_configured_key_signs_as_it_is_in_development_mode_or_not(
    atti: Atti, tmp_path: Path, foreign_p12: tuple[Path, bytes, Path]
) -> None:
    p12, passphrase, trust = foreign_p12
    root = tmp_path / "archive"
    assert atti("init", "--archive", root, "--trust", trust).exit_code == 0
    secret = passphrase.decode()
    plain = atti("publish", EXAMPLE, "--archive", root, "--p12", p12, "--json",
                 env={**OUTSIDE, "ATTI_P12_PASSPHRASE": secret})
    assert (plain.exit_code, plain.stderr) == (0, START_NOTE), plain.output
    first = Path(json.loads(plain.stdout)["pdf"])
    assert reasons(first) == {"Firma": "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 129/2026"}
    # In development mode too the key signs the act, unmarked: only the verifiche given no key are
    # the development CA's.
    second = tmp_path / "second.yaml"
    second.write_text(EXAMPLE.read_text(encoding="utf-8").replace("numero: 129 ", "numero: 130 "), encoding="utf-8")
    dev = atti("publish", second, "--archive", root, "--p12", p12, "--development", "--json",
               env={"ATTI_P12_PASSPHRASE": secret})
    assert (dev.exit_code, dev.stderr) == (0, VERIFICHE_NOTE), dev.output
    second_pdf = Path(json.loads(dev.stdout)["pdf"])
    assert reasons(second_pdf)["Firma"] == "DETERMINAZIONE DEL DIRETTORE OPERATIVO N. 130/2026"
    for pdf in (first, second_pdf):
        report = json.loads(atti("verify", pdf, "--archive", root, "--json").stdout)
        assert report["indication"] == "TOTAL_PASSED"
        act_signature = next(s for s in report["signatures"] if s["field_name"] == "Firma")
        assert act_signature["qualification"]["development"] is False
