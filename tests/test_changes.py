"""Changes after a signature judged by the permissions in force, shadow attacks, and what atti
itself writes: `atti sign` locks, and an ECDSA key leaves a PDF 1.7 file at 1.7."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields

from atti.errors import SigningError
from atti.signing import ActSigner, DevCA, load_trust_roots, verify_pdf
from atti.signing import changes as changes_module
from atti.signing.changes import Permissions, annotations_only, permissions_in_force, visual_changes

from .conftest import Atti
from .test_signing import make_pdf

FOREIGN = Path(__file__).parent / "data" / "foreign"
CHANGES, SHADOW = FOREIGN / "changes", FOREIGN / "shadow"
MOMENT = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def first_signature(pdf: bytes) -> tuple[PdfFileReader, object, int]:
    reader = PdfFileReader(io.BytesIO(pdf))
    sig = reader.embedded_signatures[0]
    end = int(sig.byte_range[2]) + int(sig.byte_range[3])
    return reader, sig, end


def verify(group: Path, name: str):  # type: ignore[no-untyped-def]
    return verify_pdf((group / name).read_bytes(), load_trust_roots([group / "trust"]), moment=MOMENT)


# -- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "level", "source"),
    [
        ("approval.pdf", None, "nessuno (nessuna certificazione, nessun blocco)"),
        ("form-filled-certified-p1.pdf", fields.MDPPerm.NO_CHANGES, "firma di certificazione, DocMDP /P 1"),
        ("form-filled-certified-p2.pdf", fields.MDPPerm.FILL_FORMS, "firma di certificazione, DocMDP /P 2"),
        ("annotation-certified-p3.pdf", fields.MDPPerm.ANNOTATE, "firma di certificazione, DocMDP /P 3"),
    ],
)
def test_permissions_in_force(name: str, level: fields.MDPPerm | None, source: str) -> None:
    reader, sig, _end = first_signature((CHANGES / name).read_bytes())
    found = permissions_in_force(reader, sig)  # type: ignore[arg-type]
    assert found.level == level
    assert found.source.startswith(source)


def test_what_each_level_of_permission_allows() -> None:
    from pyhanko.sign.diff_analysis import ModificationLevel as M

    allowed = {
        level: [m.name for m in M if Permissions(level, "").allows(m)]
        for level in (None, *fields.MDPPerm)
    }
    assert allowed == {
        None: ["NONE", "LTA_UPDATES", "FORM_FILLING", "ANNOTATIONS"],
        fields.MDPPerm.NO_CHANGES: ["NONE", "LTA_UPDATES"],
        fields.MDPPerm.FILL_FORMS: ["NONE", "LTA_UPDATES", "FORM_FILLING"],
        fields.MDPPerm.ANNOTATE: ["NONE", "LTA_UPDATES", "FORM_FILLING", "ANNOTATIONS"],
    }


# -- annotations pyHanko cannot explain --------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "name", "only"),
    [
        (CHANGES, "annotation-approval.pdf", True),
        (CHANGES, "annotation-certified-p2.pdf", True),  # annotations, which /P 2 then refuses
        (SHADOW, "hide.pdf", True),  # an annotation removed is an annotation change too
        (CHANGES, "page-added.pdf", False),
        (CHANGES, "content-replaced.pdf", False),
        (SHADOW, "hide-and-replace.pdf", False),
    ],
)
def test_annotations_only(group: Path, name: str, only: bool) -> None:
    pdf = (group / name).read_bytes()
    _reader, _sig, end = first_signature(pdf)
    assert annotations_only(pdf, end) is only


# -- what the pages show -----------------------------------------------------------------------


OPEN = Permissions(None, "none")


@pytest.mark.parametrize(
    ("group", "name", "pages", "replaced"),
    [
        (CHANGES, "annotation-approval.pdf", (), ()),  # on blank paper
        (CHANGES, "form-filled-certified-p2.pdf", (), ()),  # an empty field on blank paper, filled
        (CHANGES, "second-signature-certified-p2.pdf", (), ()),  # a stamp on blank paper
        (CHANGES, "annotation-over-text-approval.pdf", (1,), ()),
        (SHADOW, "hide.pdf", (1,), ()),
        (SHADOW, "replace.pdf", (1,), ("Importo",)),
        (SHADOW, "annullato-certified-p2.pdf", (1,), ()),
        (CHANGES, "page-added.pdf", (2,), ()),
    ],
)
def test_visual_changes(group: Path, name: str, pages: tuple[int, ...], replaced: tuple[str, ...]) -> None:
    pdf = (group / name).read_bytes()
    _reader, _sig, end = first_signature(pdf)
    visual = visual_changes(pdf, end, OPEN)
    assert (visual.checked, visual.pages, visual.replaced) == (True, pages, replaced)


def test_an_addition_the_permissions_refuse_gives_no_allowance() -> None:
    # The same filled field, judged under /P 1: its box no longer excuses the new value.
    pdf = (CHANGES / "form-filled-certified-p2.pdf").read_bytes()
    _reader, _sig, end = first_signature(pdf)
    assert visual_changes(pdf, end, Permissions(fields.MDPPerm.NO_CHANGES, "")).pages == (1,)


def test_an_unmade_comparison_is_never_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes_module.shutil, "which", lambda _name: None)
    report = verify(CHANGES, "form-filled-certified-p2.pdf")
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "SIG_CONSTRAINTS_FAILURE")
    assert "confrontare ciò che mostrano le pagine con la revisione firmata: pdftoppm non trovato" in report.message
    # Validation data and timestamps show nothing: no rendering, no doubt.
    assert verify(CHANGES, "dss-after-certified-p1.pdf").indication == "TOTAL_PASSED"
    assert verify(CHANGES, "timestamp-after-certified-p1.pdf").indication == "TOTAL_PASSED"


def test_pages_beyond_the_bound_are_reported_not_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes_module, "MAX_PAGES", 0)
    report = verify(CHANGES, "annotation-approval.pdf")
    assert report.indication == "INDETERMINATE"
    assert "1 pagine cambiate, più delle 0 confrontate" in report.message


def test_a_signature_whose_pages_take_too_long_to_render_is_reported_not_compared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rendering of one signature's pages shares one time budget: a hostile file that makes
    pdftoppm slow ends as "not compared" (never TOTAL_PASSED), not as a verification that hangs."""
    monkeypatch.setattr(changes_module, "RENDER_BUDGET", 0.0)
    report = verify(CHANGES, "annotation-approval.pdf")
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "SIG_CONSTRAINTS_FAILURE")
    assert "la pagina 1 non è stata disegnata in tempo (30 s a pagina, 0 s a firma)" in report.message


def test_shadow_attacks_say_which_pages_changed() -> None:
    report = verify(SHADOW, "hide.pdf")
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "SIG_CONSTRAINTS_FAILURE")
    assert report.message == (
        "ciò che il PDF mostra è cambiato dopo la firma: le pagine 1 ora mostrano altro rispetto a ciò che è stato "
         "firmato"
    )
    replaced = verify(SHADOW, "replace-certified-p2.pdf").signatures[0]
    assert replaced.modification_level == "FORM_FILLING"
    assert "il valore dei campi Importo mostrato alla firma è stato sostituito" in replaced.message


def test_annotation_levels_follow_the_permissions() -> None:
    assert verify(CHANGES, "annotation-approval.pdf").signatures[0].modification == (
        "sono state aggiunte o cambiate annotazioni (livello di modifica ANNOTATIONS, ammessa; permessi: nessuno"
        " (nessuna certificazione, nessun blocco): firme, compilazione di moduli e annotazioni)"
    )
    refused = verify(CHANGES, "annotation-certified-p2.pdf")
    assert (refused.indication, refused.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert "livello di modifica ANNOTATIONS, NON ammessa; permessi: firma di certificazione, DocMDP /P 2" in (
        refused.message
    )


# -- atti sign locks ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> DevCA:
    return DevCA.create(tmp_path_factory.mktemp("ca"), ente="Comune di Esempio")


def lock_of(pdf: bytes, field: str) -> dict[str, object] | None:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for f in doc.Root.AcroForm.Fields:
            if str(f.get("/T")) == field:
                lock = f.get("/Lock")
                return None if lock is None else {"P": int(lock.get("/P", 0)), "Action": str(lock.Action)}
    raise KeyError(field)


def test_atti_sign_locks_unless_told_not_to(atti: Atti, ca: DevCA, tmp_path: Path) -> None:
    src = tmp_path / "atto.pdf"
    src.write_bytes(make_pdf())
    p12 = ca.issue_signer("Mario Rossi", "Dirigente")
    env = {"ATTI_ARCHIVE": str(tmp_path / "none")}
    locked, second = tmp_path / "locked.pdf", tmp_path / "second.pdf"
    assert atti("sign", src, "-o", locked, "--p12", p12, env=env).exit_code == 0
    assert lock_of(locked.read_bytes(), "Firma") == {"P": 2, "Action": "/All"}
    report = verify_pdf(locked.read_bytes(), [ca.root_cert])
    assert report.indication == "TOTAL_PASSED"
    # A later signature in a field of its own would break the lock: refused before signing.
    refused = atti("sign", locked, "-o", second, "--p12", p12, "--field", "Annullamento", env=env)
    assert refused.exit_code == 4
    assert refused.stderr.strip().startswith(
        "Errore: il PDF è bloccato da una firma e non ha un campo firma vuoto"
    )
    assert not second.exists()

    opened = tmp_path / "open.pdf"
    assert atti("sign", src, "-o", opened, "--p12", p12, "--no-lock", env=env).exit_code == 0
    assert lock_of(opened.read_bytes(), "Firma") is None
    assert atti("sign", opened, "-o", second, "--p12", p12, "--field", "Visto", env=env).exit_code == 0
    both = verify_pdf(second.read_bytes(), [ca.root_cert])
    assert [s.indication for s in both.signatures] == ["TOTAL_PASSED", "TOTAL_PASSED"]


def test_a_field_without_a_lock_is_not_locked_silently(ca: DevCA) -> None:
    signer = ActSigner.from_pkcs12(ca.issue_signer("Mario Rossi", "Dirigente"), None)
    from atti.signing.stamp import FieldPlan, prepare_fields

    with_field = prepare_fields(make_pdf(), [FieldPlan("Firma")])
    with pytest.raises(SigningError, match="campo vuoto 'Firma' senza blocco"):
        signer.sign(with_field, lock=True)
    assert verify_pdf(signer.sign(with_field), [ca.root_cert]).indication == "TOTAL_PASSED"


# -- ECDSA: no PDF 2.0 -------------------------------------------------------------------------


def ecdsa_signer(ca: DevCA, curve: ec.EllipticCurve) -> ActSigner:
    key = ec.generate_private_key(curve)
    cert = ca.certify(key.public_key(), "Mario Rossi", "Dirigente")
    return ActSigner(cert, key, [ca.root_cert])


def versions(pdf: bytes) -> tuple[str, str | None, list[str]]:
    header = re.match(rb"%PDF-(\d\.\d)", pdf)
    assert header is not None
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        version = doc.Root.get("/Version")
        extensions = doc.Root.get("/Extensions")
        names = sorted(str(k) for k in extensions) if extensions is not None else []
        return header[1].decode(), str(version) if version is not None else None, names


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1()], ids=["P-256", "P-384"])
def test_an_ecdsa_signature_keeps_a_pdf_17_at_17(ca: DevCA, curve: ec.EllipticCurve, tmp_path: Path) -> None:
    signed = ecdsa_signer(ca, curve).sign(make_pdf())
    header, catalog, extensions = versions(signed)
    assert header == "1.7"
    assert catalog in (None, "/1.7")
    assert extensions == ["/ESIC"]  # PAdES's extension at 1.7; no ISO 32002, which needs 2.0
    assert verify_pdf(signed, [ca.root_cert]).indication == "TOTAL_PASSED"
    path = tmp_path / "ecdsa.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=False).stdout
    assert "Signature Validation: Signature is Valid." in out, out


def test_metadata_refreshed_with_an_annotation_is_still_annotations_only() -> None:
    # Writers refresh /Info (and XMP) dates with every update; pyHanko's metadata rule allows it.
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = (CHANGES / "approval.pdf").read_bytes()
    _reader, _sig, end = first_signature(signed)
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref, _resources = w.find_page_for_modification(0)
    rect = generic.ArrayObject(map(generic.NumberObject, (400, 80, 420, 100)))
    note = {pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Text"), pdf_name("/Rect"): rect}
    w.register_annotation(page_ref, w.add_object(generic.DictionaryObject(note)))
    w.set_info(generic.DictionaryObject({pdf_name("/Producer"): generic.TextStringObject("altro")}))
    out = io.BytesIO()
    w.write(out)
    assert annotations_only(out.getvalue(), end)
    # A change of the catalog itself is no annotation.
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    w.root[pdf_name("/Lang")] = generic.TextStringObject("en")
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    assert not annotations_only(out.getvalue(), end)
