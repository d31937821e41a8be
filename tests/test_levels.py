"""PAdES B-B, B-T, B-LT and B-LTA against a live TSA, OCSP responder and CRL (tests/livepki.py).

Every signed PDF written here is verified afterwards. B-LT and B-LTA verify offline, from the
validation data the PDF carries, with hard-fail revocation checking: missing data is a failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from freezegun import freeze_time
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager

from atti.acts import load_act
from atti.archive import Archive
from atti.config import load_settings
from atti.errors import ArchiveError, ConfigError, ServiceError, SigningError
from atti.signing import ActSigner, VerificationReport, verify_pdf
from atti.signing.levels import add_document_timestamp, last_timestamp, parse_level

from .conftest import EXAMPLE, Atti
from .livepki import CONFIG, LivePKI
from .test_signing import make_pdf

LEVELS = ["B-B", "B-T", "B-LT", "B-LTA"]
REVOKED = "il certificato di Paola Revocata è stato revocato il 2024-06-01 00:00 UTC (motivo: key compromise)"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePKI]:
    pki = LivePKI(tmp_path_factory.mktemp("live-pki"))
    yield pki
    pki.stop()


@pytest.fixture(scope="module")
def giulia(live: LivePKI) -> ActSigner:
    return ActSigner.from_pkcs12(live.pkcs12("giulia"))


def closed_port() -> int:
    """A port nothing listens on: the OS just handed it out and it was released at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def verify(pdf: bytes, live: LivePKI, mode: str = "hard-fail") -> VerificationReport:
    return verify_pdf(pdf, [live.root], revocation_mode=mode)  # type: ignore[arg-type]


def layout(pdf: bytes) -> tuple[bool, int, int, int]:
    """(signature timestamp?, OCSP responses in the DSS, CRLs in the DSS, document timestamps)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    sig = reader.embedded_regular_signatures[0]
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        ocsps, crls = len(dss.ocsps), len(dss.crls)
    except Exception:  # no DSS at all
        ocsps = crls = 0
    has_ts = any(True for _ in extract_tst_data_iter(sig.signer_info, signed=False))
    return has_ts, ocsps, crls, len(reader.embedded_timestamp_signatures)


# -- the four levels ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_signs_and_verifies(live: LivePKI, giulia: ActSigner, level: str) -> None:
    original = make_pdf()
    signed = giulia.sign(original, level=level, tsa_url=live.tsa_url, reason="Adozione")
    assert signed.startswith(original)  # incremental: the rendered bytes stay as they are

    has_ts, ocsps, crls, doc_timestamps = layout(signed)
    assert has_ts == (level != "B-B")
    # OCSP for the signer, the CRL for the TSA's certificate (which names no OCSP responder).
    assert (ocsps >= 1 and crls >= 1) == (level in ("B-LT", "B-LTA"))
    assert doc_timestamps == (1 if level == "B-LTA" else 0)

    soft = verify(signed, live, "soft-fail")
    assert soft.indication == "TOTAL_PASSED", soft.signatures[0].message
    assert soft.signer == "Giulia Neri"
    hard = verify(signed, live, "hard-fail")
    if level in ("B-LT", "B-LTA"):
        # Offline, from the DSS alone.
        assert hard.indication == "TOTAL_PASSED", hard.signatures[0].message
    else:
        # The certificate names an OCSP responder and a CRL but the PDF carries neither.
        assert hard.indication == "INDETERMINATE"


@pytest.mark.parametrize("level", LEVELS)
def test_verify_names_the_level(live: LivePKI, giulia: ActSigner, level: str) -> None:
    signed = giulia.sign(make_pdf(), level=level, tsa_url=live.tsa_url)
    assert verify(signed, live, "soft-fail").signatures[0].format == f"PAdES-BASELINE-{level[2:]}"
    if level != "B-B":
        # A document timestamp (with fresh validation data) makes any timestamped level B-LTA.
        renewed = add_document_timestamp(signed, tsa_url=live.tsa_url).pdf
        assert verify(renewed, live).signatures[0].format == "PAdES-BASELINE-LTA"


def test_b_lt_alone_has_no_proof_of_existence_for_pyhanko(live: LivePKI, giulia: ActSigner) -> None:
    """What pyHanko's long-term validation (ETSI EN 319 102-1 5.6.3) says of B-LT and B-LTA.

    verify_pdf validates at one point in time, so B-LT passes there while its revocation data is
    fresh. The AdES long-term process wants a proof that the DSS data existed (a document
    timestamp over it): without one B-LT is INDETERMINATE/NO_POE even right after signing,
    which is why atti's long-term level is B-LTA.
    """
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[live.arch.get_cert(CertLabel("root"))]),
        revinfo_policy=CertRevTrustPolicy(
            RevocationCheckingPolicy(
                ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
                intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
            )
        ),
    )
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )

    def ades(level: str) -> object:
        signed = giulia.sign(make_pdf(), level=level, tsa_url=live.tsa_url)
        sig = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[0]
        now = dt.datetime.now(dt.UTC)
        result = asyncio.run(ades_lta_validation(sig, spec, timing_info=ValidationTimingInfo(now, now, False)))
        return result.ades_subindic

    assert ades("B-LT") == AdESIndeterminate.NO_POE
    assert ades("B-LTA") == AdESPassed.OK


def test_level_names(giulia: ActSigner) -> None:
    assert [parse_level(v) for v in ("b-b", " B-T", "PAdES-B-LT", "pades-baseline-b-lta")] == LEVELS
    with pytest.raises(SigningError, match=r"^livello di firma 'B-X' sconosciuto: scegli tra B-B, B-T, B-LT, B-LTA$"):
        giulia.sign(make_pdf(), level="B-X")
    settings = load_settings(environ={"ATTI_LEVEL": "b-lta", "ATTI_TSA_URL": "https://tsa.example.it"})
    assert (settings.level, settings.tsa_url) == ("B-LTA", "https://tsa.example.it")
    with pytest.raises(ConfigError, match="impostazione 'level'"):
        load_settings(environ={"ATTI_LEVEL": "LTA-plus"})


@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_a_timestamped_level_needs_a_tsa(giulia: ActSigner, level: str) -> None:
    with pytest.raises(SigningError) as e:
        giulia.sign(make_pdf(), level=level)
    assert e.value.msg == f"una firma {level} richiede una TSA: indica --tsa URL o imposta tsa_url"
    with pytest.raises(SigningError, match="deve iniziare con http"):
        giulia.sign(make_pdf(), level=level, tsa_url="tsa.example.it")


def test_long_term_levels_need_a_certificate_that_names_revocation_services(live: LivePKI) -> None:
    # Anna Verdi's certificate names neither an OCSP responder nor a CRL.
    signer = ActSigner.from_pkcs12(live.pkcs12("signer"))
    with pytest.raises(SigningError) as e:
        signer.sign(make_pdf(), level="B-LT", tsa_url=live.tsa_url)
    assert e.value.msg == (
        "il certificato di Anna Verdi non indica né un responder OCSP né una CRL, quindi una firma B-LT non può "
         "portarne i dati di revoca"
    )
    # B-T needs no revocation data.
    signed = signer.sign(make_pdf(), level="B-T", tsa_url=live.tsa_url)
    assert verify(signed, live, "soft-fail").indication == "TOTAL_PASSED"


# -- refused certificates ----------------------------------------------------------------------


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_a_revoked_signer_is_refused(live: LivePKI, level: str) -> None:
    signer = ActSigner.from_pkcs12(live.pkcs12("revocata"))
    with pytest.raises(SigningError) as e:
        signer.sign(make_pdf(), level=level, tsa_url=live.tsa_url)
    assert e.value.msg == REVOKED


def test_an_expired_signer_is_refused(live: LivePKI) -> None:
    path = live.pkcs12("scaduto")
    with pytest.raises(SigningError) as e:
        ActSigner.from_pkcs12(path)
    assert e.value.msg == f"il certificato di Marco Scaduto ({path}) è scaduto il 2021-01-01"


def test_a_pdf_signed_before_the_revocation_verifies_as_revoked(live: LivePKI) -> None:
    # January 2024, months before the revocation: the whole PKI, the TSA included, lives then.
    with freeze_time("2024-01-15 10:00:00", tick=True, real_asyncio=True):
        signed = ActSigner.from_pkcs12(live.pkcs12("revocata")).sign(
            make_pdf(), level="B-LTA", tsa_url=live.tsa_url
        )
        assert verify(signed, live).indication == "TOTAL_PASSED"

    # Today the DSS of 2024 is stale, and the renewal's fresh data records the revocation.
    renewed = add_document_timestamp(signed, tsa_url=live.tsa_url)
    assert renewed.notes == [REVOKED]
    assert renewed.pdf.startswith(signed)
    sig = verify(renewed.pdf, live).signatures[0]
    # verify_pdf validates at the present time, so the revocation counts: pyHanko says
    # REVOKED_NO_POE, "revoked, and nothing proves the signature came before". (ETSI's
    # long-term process could accept it, since the signature timestamp of January 2024
    # predates the revocation; that is verify.py's policy to decide.)
    assert sig.indication != "TOTAL_PASSED"
    assert sig.sub_indication is not None and "REVOKED" in sig.sub_indication
    assert "revocato" in sig.message


# -- services that fail ------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["B-T", "B-LTA"])
def test_an_unreachable_tsa_is_one_clean_error(live: LivePKI, level: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}/tsa"
    signer = ActSigner.from_pkcs12(live.pkcs12("giulia"))
    with pytest.raises(ServiceError) as e:
        signer.sign(make_pdf(), level=level, tsa_url=url)
    assert e.value.msg == f"la TSA {url} non ha risposto: connessione rifiutata"


def test_a_tsa_answering_an_http_error(live: LivePKI, giulia: ActSigner) -> None:
    url = f"{live.url}/atti-test/tsa/nessuna"
    with pytest.raises(ServiceError) as e:
        giulia.sign(make_pdf(), level="B-T", tsa_url=url)
    assert e.value.msg == f"la TSA {url} ha risposto HTTP 404 NOT FOUND"


def test_unreachable_revocation_services_are_named(live: LivePKI) -> None:
    # The same PKI (same keys) as published at an address where nothing listens.
    dead = f"http://127.0.0.1:{closed_port()}"
    config = CertomancerConfig.from_file(str(CONFIG), key_search_dir=str(live.directory), external_url_prefix=dead)
    p12 = live.directory / "giulia-dead.p12"
    p12.write_bytes(config.get_pki_arch(ArchLabel("atti-test")).package_pkcs12(CertLabel("giulia")))
    signer = ActSigner.from_pkcs12(p12)
    with pytest.raises(ServiceError) as e:
        signer.sign(make_pdf(), level="B-LT", tsa_url=live.tsa_url)
    assert e.value.msg == (
        f"nessun dato di revoca per il certificato di Giulia Neri: il responder OCSP {dead}/atti-test/ocsp/root non"
        f" ha risposto: connessione rifiutata; la CRL {dead}/atti-test/crls/root/latest.crl non ha risposto:"
        " connessione rifiutata"
    )


# -- document timestamps -----------------------------------------------------------------------


def test_a_document_timestamp_makes_b_t_long_term_and_renews(live: LivePKI, giulia: ActSigner) -> None:
    signed = giulia.sign(make_pdf(), level="B-T", tsa_url=live.tsa_url)
    first = last_timestamp(signed)
    assert first is not None and first.kind == "signature" and first.tsa == "Certomancer TSA di prova"

    once = add_document_timestamp(signed, tsa_url=live.tsa_url)
    assert once.notes == [] and once.pdf.startswith(signed)
    assert layout(once.pdf)[1:] == (1, 1, 1)
    assert verify(once.pdf, live).indication == "TOTAL_PASSED"

    twice = add_document_timestamp(once.pdf, tsa_url=live.tsa_url)
    assert twice.pdf.startswith(once.pdf)
    assert layout(twice.pdf)[3] == 2
    newest = last_timestamp(twice.pdf)
    assert newest is not None and newest.kind == "document" and newest.time >= first.time
    assert newest.tsa_not_after == dt.datetime(2099, 6, 1, tzinfo=dt.UTC)
    assert verify(twice.pdf, live).indication == "TOTAL_PASSED"


def test_a_document_timestamp_needs_a_signed_pdf(live: LivePKI) -> None:
    with pytest.raises(SigningError, match=r"^il PDF non ha alcuna firma da mantenere valida: prima firmalo$"):
        add_document_timestamp(make_pdf(), tsa_url=live.tsa_url)
    with pytest.raises(SigningError, match=r"^non è un PDF: "):
        add_document_timestamp(b"%PDF-1.7 nothing", tsa_url=live.tsa_url)


# -- the archive: a new version of an act's PDF --------------------------------------------------


def _seal(archive_dir: Path, pdf: bytes, numero: int) -> str:
    loaded = load_act(EXAMPLE)
    with Archive.create(archive_dir)[0] as archive:
        act = loaded.act.with_numero(numero)
        return archive.seal(act, source=loaded.text, docx=b"docx", pdf=pdf, firmatario="Giulia Neri").id


def test_add_pdf_version_keeps_the_previous_one(tmp_path: Path, live: LivePKI, giulia: ActSigner) -> None:
    signed = giulia.sign(make_pdf(), level="B-T", tsa_url=live.tsa_url)
    act_id = _seal(tmp_path, signed, 300)
    renewed = add_document_timestamp(signed, tsa_url=live.tsa_url).pdf
    with Archive.open(tmp_path) as archive:
        before = archive.get(act_id)
        with pytest.raises(ArchiveError, match="non estende quello archiviato"):
            archive.add_pdf_version(act_id, make_pdf())
        after = archive.add_pdf_version(act_id, renewed)
        assert after.pdf.sha256 != before.pdf.sha256
        assert archive.blobs.get(before.pdf) == signed  # still there
        assert archive.blobs.get(after.pdf) == renewed
        assert archive.catalog.verify_events() == []
    assert verify(renewed, live).indication == "TOTAL_PASSED"
    db = sqlite3.connect(tmp_path / "atti.sqlite")
    kind, payload = db.execute("SELECT kind, payload FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    db.close()
    assert kind == "timestamp-renewed"
    assert json.loads(payload) == {"previous_sha256": before.pdf.sha256, "sha256": after.pdf.sha256}


# -- command line --------------------------------------------------------------------------------


def test_cli_sign_at_every_level(atti: Atti, tmp_path: Path, live: LivePKI) -> None:
    src = tmp_path / "atto.pdf"
    src.write_bytes(make_pdf())
    p12 = live.pkcs12("giulia", b"segreto")
    env = {"ATTI_P12_PASSPHRASE": "segreto", "ATTI_ARCHIVE": str(tmp_path / "none")}
    for level in LEVELS:
        out = tmp_path / f"{level}.pdf"
        result = atti("sign", src, "-o", out, "--p12", p12, "--level", level.lower(), "--tsa", live.tsa_url, env=env)
        assert (result.exit_code, result.stdout) == (0, f"Firmato {out} (PAdES {level}) da Giulia Neri\n")
        mode = "hard-fail" if level in ("B-LT", "B-LTA") else "soft-fail"
        assert verify(out.read_bytes(), live, mode).indication == "TOTAL_PASSED"
    # The level and the TSA from the environment; the field name from the command line.
    out = tmp_path / "env.pdf"
    env |= {"ATTI_LEVEL": "b-lt", "ATTI_TSA_URL": live.tsa_url}
    result = atti("sign", src, "-o", out, "--p12", p12, "--field", "FirmaDirigente", env=env)
    assert result.exit_code == 0, result.output
    report = verify(out.read_bytes(), live)
    assert report.indication == "TOTAL_PASSED"
    assert report.signatures[0].field_name == "FirmaDirigente"


def test_cli_sign_errors(atti: Atti, tmp_path: Path, live: LivePKI) -> None:
    src = tmp_path / "atto.pdf"
    src.write_bytes(make_pdf())
    out = tmp_path / "firmato.pdf"
    giulia = live.pkcs12("giulia")
    dead = f"http://127.0.0.1:{closed_port()}/tsa"
    cases = [
        (("--p12", giulia, "--level", "B-T"), "una firma B-T richiede una TSA: indica --tsa URL o imposta tsa_url"),
        (("--p12", giulia, "--level", "B-T", "--tsa", dead), f"la TSA {dead} non ha risposto: connessione rifiutata"),
        (
            ("--p12", live.pkcs12("revocata"), "--level", "B-LTA", "--tsa", live.tsa_url),
            REVOKED,
        ),
        ((), "nessuna chiave con cui firmare: indica --p12 FILE, un token PKCS#11 (--pkcs11-module) o --remote"),
    ]
    for options, message in cases:
        result = atti("sign", src, "-o", out, *options, env={"ATTI_ARCHIVE": str(tmp_path / "none")})
        assert (result.exit_code, result.stderr) == (4, f"Errore: {message}\n")
        assert not out.exists()
    result = atti("sign", src, "-o", out, "--p12", giulia, "--level", "B-Z")
    assert result.exit_code == 2 and "'B-Z' non è uno tra" in result.stderr


def test_cli_timestamp_a_file(atti: Atti, tmp_path: Path, live: LivePKI, giulia: ActSigner) -> None:
    pdf = tmp_path / "firmato.pdf"
    pdf.write_bytes(giulia.sign(make_pdf(), level="B-LT", tsa_url=live.tsa_url))
    out = tmp_path / "lta.pdf"
    result = atti("timestamp", pdf, "--tsa", live.tsa_url, "-o", out)
    assert (result.exit_code, result.stdout) == (0, f"Apposta la marca temporale a {out} (TSA {live.tsa_url})\n")
    assert out.read_bytes().startswith(pdf.read_bytes())
    assert layout(out.read_bytes())[3] == 1
    assert verify(out.read_bytes(), live).indication == "TOTAL_PASSED"
    # Without -o the file itself gets the new revision.
    before = pdf.read_bytes()
    assert atti("timestamp", pdf, env={"ATTI_TSA_URL": live.tsa_url}).exit_code == 0
    assert pdf.read_bytes().startswith(before) and len(pdf.read_bytes()) > len(before)
    assert verify(pdf.read_bytes(), live).indication == "TOTAL_PASSED"


def test_cli_timestamp_errors(atti: Atti, tmp_path: Path, live: LivePKI) -> None:
    unsigned = tmp_path / "atto.pdf"
    unsigned.write_bytes(original := make_pdf())
    dead = f"http://127.0.0.1:{closed_port()}/tsa"
    for args, code, message in [
        ((unsigned,), 4, "Errore: una marca temporale del documento richiede una TSA: indica --tsa URL o "
                         "imposta tsa_url\n"),
        ((unsigned, "--tsa", live.tsa_url), 4, ("Errore: il PDF non ha alcuna firma da mantenere valida: prima "
                                                "firmalo\n")),
        ((tmp_path / "assente.pdf", "--tsa", live.tsa_url), 4,
         f"Errore: impossibile leggere {tmp_path / 'assente.pdf'}: "),
        (("--renew", "--tsa", dead, "--archive", tmp_path / "none"), 6, "Errore: nessun archivio in "),
    ]:
        result = atti("timestamp", *args)
        assert result.exit_code == code
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert unsigned.read_bytes() == original
    for args in [(), (unsigned, "--renew"), ("--renew", "-o", tmp_path / "x.pdf")]:
        result = atti("timestamp", *args)
        assert result.exit_code == 2 and "Uso:" in result.stderr


@pytest.mark.libreoffice
def test_publish_b_lta_then_renew_the_archive(atti: Atti, tmp_path: Path, live: LivePKI, giulia: ActSigner) -> None:
    """The firmatario's certificate with OCSP and CRL: the act is published B-LTA, then renewed."""
    archive = tmp_path / "archive"
    trust = live.root_pem()
    assert atti("init", "--archive", archive, "--trust", trust).exit_code == 0
    # Outside development mode: the verifiche, given no key, stay unsigned (the live PKI's roots
    # would not know the development CA's).
    env = {"ATTI_P12_PASSPHRASE": "pw", "ATTI_DEVELOPMENT": None}

    # Fabrizio Ventrice's first certificate names no revocation service: refused before numbering.
    plain = atti("publish", EXAMPLE, "--archive", archive, "--p12", live.pkcs12("ventrice", b"pw"),
                 "--level", "B-LT", "--tsa", live.tsa_url, env=env)
    assert plain.exit_code == 4
    assert plain.stderr == (
        "Errore: il certificato di Fabrizio Ventrice non indica né un responder OCSP né una CRL, quindi una firma "
         "B-LT non può portarne i dati di revoca\n"
    )
    assert not list((archive / "blobs").rglob("*.pdf"))

    published = atti("publish", EXAMPLE, "--archive", archive, "--p12", live.pkcs12("ventrice-lt", b"pw"),
                     "--level", "B-LTA", "--tsa", live.tsa_url, "--json", env=env)
    assert published.exit_code == 0, published.output
    record = json.loads(published.stdout)
    original = Path(record["pdf"]).read_bytes()
    assert verify(original, live).indication == "TOTAL_PASSED"
    assert layout(original)[3] == 1
    # An act signed B-B beside it: it has no timestamp chain to renew.
    _seal(archive, giulia.sign(make_pdf()), 301)

    base = ("timestamp", "--renew", "--archive", archive, "--tsa", live.tsa_url)
    none_due = atti(*base)
    assert none_due.exit_code == 0, none_due.output
    assert none_due.stdout == "Atti rinnovati: 0 su 2, senza alcuna marca temporale (B-B): 1\n"

    # The TSA certificate expires in 2099: "within 40000 days" makes it due.
    due = atti(*base, "--before", "40000")
    assert due.exit_code == 0, due.output
    assert due.stdout == (
        f"rinnovato {record['id']} (il certificato della TSA scade il 2099-06-01)\n"
        "Atti rinnovati: 1 su 2, senza alcuna marca temporale (B-B): 1\n"
    )
    shown = json.loads(atti("show", record["id"], "--archive", archive, "--json").stdout)
    assert shown["sha256"] != record["sha256"]
    renewed = Path(shown["pdf"]).read_bytes()
    assert renewed.startswith(original)
    assert layout(renewed)[3] == 2
    assert verify(renewed, live).indication == "TOTAL_PASSED"
    assert Path(record["pdf"]).read_bytes() == original  # the previous version is kept

    # An unreachable TSA stops the run at once, with one line.
    dead = f"http://127.0.0.1:{closed_port()}/tsa"
    stopped = atti("timestamp", "--renew", "--archive", archive, "--tsa", dead, "--before", "40000")
    assert (stopped.exit_code, stopped.stderr) == (4, f"Errore: la TSA {dead} non ha risposto: connessione rifiutata\n")
