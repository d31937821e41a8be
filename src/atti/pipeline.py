"""The one-way pipeline: act -> rendered documents -> signed PDF -> archive record.

Each CLI command is one call into this module; nothing here knows about the command line.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atti.acts import LoadedAct, load_act
from atti.archive import ActRecord, Archive, SearchHit
from atti.config import Settings
from atti.errors import PassphraseNeeded, SigningError, StorageError, VerificationError

if TYPE_CHECKING:
    # pyHanko and docxtpl take most of a second to import: commands that do not sign or render
    # (check, search, show) should not pay for them, so the functions below import them late.
    from atti.signing import ActSigner, VerificationReport
    from atti.templates import RenderedAct
    from atti.templates.proof import TextProof

PassphrasePrompt = Callable[[Path], bytes]


@dataclass(frozen=True)
class InitResult:
    root: Path
    created: bool
    ca_created: bool
    root_certificate: Path


@dataclass(frozen=True)
class PublishResult:
    record: ActRecord
    pdf: Path

    def to_dict(self) -> dict[str, Any]:
        return {**self.record.to_dict(), "pdf": str(self.pdf)}


def init_archive(root: Path, *, trust: Sequence[Path] = ()) -> InitResult:
    """Create the archive and its development CA; running it again changes nothing."""
    from atti.signing import DevCA, load_trust_roots

    archive, created = Archive.create(root)
    with archive:
        ca_created = not (archive.pki_dir / "root.pem").exists()
        if ca_created:
            DevCA.create(archive.pki_dir)
        for cert in trust:
            load_trust_roots([cert])  # refuse a file that is not a certificate before copying it
            try:
                (archive.trust_dir / cert.name).write_bytes(cert.read_bytes())
            except OSError as exc:
                raise StorageError(f"cannot copy trust root {cert}: {exc.strerror}") from None
        return InitResult(archive.root, created, ca_created, archive.pki_dir / "root.pem")


def render(path: Path, out_dir: Path, settings: Settings) -> RenderedAct:
    """Check an act and render it to DOCX and PDF/A in ``out_dir`` (unsigned)."""
    from atti.templates import Converter, render_act

    loaded = load_act(path)
    return render_act(
        loaded.act,
        out_dir,
        template=settings.template,
        templates_dir=settings.templates,
        converter=Converter(timeout=settings.convert_timeout),
        source=loaded.text if settings.embed_source else None,
        base_dir=Path(loaded.source.file).parent,
    )


def _same_person(a: str, b: str) -> bool:
    def fold(s: str) -> str:
        s = unicodedata.normalize("NFD", s)
        return " ".join("".join(c for c in s if not unicodedata.combining(c)).casefold().split())

    return fold(a) == fold(b)


def open_signer(
    archive: Archive, loaded: LoadedAct, p12: Path | None, prompt: PassphrasePrompt | None
) -> ActSigner:
    """The signer for an act: the given PKCS#12, else a development certificate for the firmatario.

    The certificate must belong to the act's firmatario: an act signed by someone else than the
    person it names is not that person's act.
    """
    from atti.signing import ActSigner, DevCA

    act = loaded.act
    if p12 is None:
        ca = DevCA.load(archive.pki_dir)
        path = ca.signer_for(act.firmatario.nome, act.firmatario.qualifica, organisation=act.ente.nome)
        signer = ActSigner.from_pkcs12(path, None)
    else:
        env = os.environ.get("ATTI_P12_PASSPHRASE")
        if env is not None:
            signer = ActSigner.from_pkcs12(p12, env.encode())
        else:
            try:
                signer = ActSigner.from_pkcs12(p12, None)
            except PassphraseNeeded:
                if prompt is None:
                    raise
                signer = ActSigner.from_pkcs12(p12, prompt(p12))
    if not _same_person(signer.signer_name, act.firmatario.nome):
        raise SigningError(
            f"the act's firmatario is {act.firmatario.nome} but the certificate belongs to "
            f"{signer.signer_name}"
        )
    return signer


def publish(
    path: Path, settings: Settings, *, prompt: PassphrasePrompt | None = None
) -> PublishResult:
    """Check, number, render, sign and archive one act."""
    from atti.templates import Converter, render_act

    loaded = load_act(path)
    with Archive.open(settings.archive) as archive:
        signer = open_signer(archive, loaded, settings.p12, prompt)
        act = loaded.act
        with archive.register_lock(act.registro, act.anno):
            if act.numero is None:
                act = act.with_numero(archive.next_number(act.registro, act.anno))
            else:
                archive.ensure_number_free(act.registro, act.anno, act.numero)
            with tempfile.TemporaryDirectory(prefix="atti-publish-") as tmp:
                rendered = render_act(
                    act,
                    Path(tmp),
                    template=settings.template,
                    templates_dir=settings.templates,
                    converter=Converter(timeout=settings.convert_timeout),
                    source=loaded.text if settings.embed_source else None,
                    base_dir=Path(loaded.source.file).parent,
                )
                signed = signer.sign(
                    rendered.pdf.read_bytes(),
                    reason=f"{act.titolo} N. {act.estremi}",
                    location=act.ente.nome,
                )
                docx = rendered.docx.read_bytes()
            record = archive.seal(act, source=loaded.text, docx=docx, pdf=signed, signer=signer.signer_name)
        return PublishResult(record, archive.path_of(record.pdf).resolve())


def search(
    query: str, settings: Settings, *, register: str | None = None, year: int | None = None, limit: int = 20
) -> list[SearchHit]:
    with Archive.open(settings.archive) as archive:
        return archive.search(query, register=register, year=year, limit=limit)


def show(act_id: str, settings: Settings) -> PublishResult:
    with Archive.open(settings.archive) as archive:
        record = archive.get(act_id)
        return PublishResult(record, archive.path_of(record.pdf).resolve())


def verify(pdf: Path, settings: Settings, *, trust: Sequence[Path] = ()) -> VerificationReport:
    """Validate a signed PDF against the archive's trust roots (and any given ones)."""
    from atti.signing import load_trust_roots, verify_pdf

    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise VerificationError(f"cannot read {pdf}: {exc.strerror}") from None
    roots_from: list[Path] = list(trust)
    if (settings.archive / "atti.sqlite").is_file() or not trust:
        archive = Archive.open(settings.archive)
        archive.close()
        roots_from += [archive.pki_dir / "root.pem", archive.trust_dir]
    return verify_pdf(data, load_trust_roots(roots_from))


if TYPE_CHECKING:
    from atti.templates.batch import BatchResult, Progress


def render_many(
    inputs: Sequence[Path],
    out_dir: Path,
    settings: Settings,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> BatchResult:
    """Render act files and folders of acts (their ``*.yaml``) into ``out_dir`` on every core.

    Each act as :func:`render` renders one. A failing act does not stop the others: the result
    lists what was rendered and what failed. ``workers``: LibreOffices to run [default: one per
    core, at most four].
    """
    from atti.templates.batch import render_batch

    return render_batch(
        inputs,
        out_dir,
        template=settings.template,
        templates_dir=settings.templates,
        embed_source=settings.embed_source,
        timeout=settings.convert_timeout,
        workers=workers,
        progress=progress,
    )


def prove(path: Path, pdf: Path, settings: Settings, *, numero: int | None = None) -> TextProof:
    """Check that a PDF says what the act's YAML says, part by part and item by item.

    ``numero`` is the number the archive gave a draft that had none in its YAML.
    """
    from atti.templates import render_docx
    from atti.templates.proof import docx_paragraphs, prove_pdf

    act = load_act(path, check=False).act
    if numero is not None:
        act = act.with_numero(numero)
    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise VerificationError(f"cannot read {pdf}: {exc.strerror}") from None
    docx = render_docx(act, settings.template, templates_dir=settings.templates)
    return prove_pdf(act, data, docx_paragraphs(docx))
