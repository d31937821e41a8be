"""The one-way pipeline: act -> rendered documents -> signed PDF -> archive record.

Each CLI command is one call into this module; nothing here knows about the command line. The
functions that store or read acts work on an open :class:`Archive` that the caller opened (and
closes), whatever its backend: a web server keeps one per thread, the CLI one per command.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atti.acts import LoadedAct, load_act, load_act_text, numbered_text
from atti.acts.loader import with_registro
from atti.acts.model import Act
from atti.archive import ActRecord, Archive
from atti.archive.records import DRAFT_STATES, ReferenceRecord, VersionRecord
from atti.config import Settings
from atti.errors import ArchiveError, SigningError, StorageError, VerificationError
from atti.files import PRIVATE_FILE, write_atomic, write_error
from atti.i18n import N_, _, translate

if TYPE_CHECKING:
    # pyHanko and docxtpl take most of a second to import: commands that do not sign or render
    # (check, search, show) should not pay for them, so the functions below import them late.
    from cryptography import x509

    from atti.archive.albo import Publication
    from atti.archive.esecutivita import Esecutivita
    from atti.archive.history import VersionDiff
    from atti.archive.integrity import IntegrityReport
    from atti.export.transfer import Receipt, Selection, TransferResult
    from atti.signing import ActSigner, VerificationReport
    from atti.signing.keys import PassphrasePrompt
    from atti.signing.stamp import FieldPlan
    from atti.templates import RenderedAct
    from atti.templates.batch import BatchResult, Progress
    from atti.templates.proof import TextProof


@dataclass(frozen=True)
class InitResult:
    archive: str  # its location (a URL without its password)
    created: bool
    ca_created: bool
    root_certificate: Path


@dataclass(frozen=True)
class PublishResult:
    record: ActRecord
    pdf: str  # where the signed PDF is stored: a file's path, or an s3:// URL
    notes: tuple[str, ...] = ()  # what the user should know, e.g. that the act starts its register
    # The act's signature as the archive records it (signature_record): key, certificate, qualified status.
    signature: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {**self.record.to_dict(), "pdf": self.pdf}
        if self.signature is not None:
            out["signature"] = self.signature
        return out


def signature_record(signer: ActSigner, settings: Settings) -> dict[str, Any]:
    """What the archive records of an act's signature: the key (a file, a token, a CSC service's
    credential), the certificate (subject, issuer, serial, SHA-256), what it claims of itself
    (QC statements and policies, ETSI EN 319 412-5) and whether the signature is qualified
    (:func:`atti.signing.qualified.qualify`, with the trusted lists of the settings, if any)."""
    import datetime as dt

    from cryptography.hazmat.primitives import hashes

    from atti.signing.qualified import certificate_claims, qualify
    from atti.signing.trust import read_trusted_list

    cert = signer.certificate
    claims = certificate_claims(cert)
    signers_ = [] if not settings.trusted_list_signers else _load_roots(settings.trusted_list_signers)
    files = [f for p in settings.trusted_lists for f in (sorted(Path(p).glob("*.xml")) if Path(p).is_dir() else [p])]
    lists = [read_trusted_list(f, signers=signers_) for f in files]
    qualification = qualify(cert, dt.datetime.now(dt.UTC), lists, chain=signer.chain[1:])
    return {
        "signer": signer.signer_name,
        "key": signer.source,
        "certificate": {
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "X"),
            "sha256": cert.fingerprint(hashes.SHA256()).hex(),
            "not_after": cert.not_valid_after_utc.date().isoformat(),
        },
        "qc": {
            "compliance": claims.compliance,
            "qscd": claims.qscd,
            "types": sorted(claims.types),
            "policies": sorted(claims.policies),
        },
        "qualification": {"level": qualification.level, "reason": qualification.reason},
    }


def _load_roots(paths: Sequence[Path]) -> list[x509.Certificate]:
    from atti.signing import load_trust_roots

    return load_trust_roots(list(paths))


def init_archive(location: Path | str, *, trust: Sequence[Path] = (), settings: Settings | None = None) -> InitResult:
    """Create the archive at ``location`` (a directory or a postgresql:// URL) and its development
    CA; running it again changes nothing but adding the ``trust`` roots."""
    from atti.signing import DevCA, load_trust_roots

    archive, created = Archive.create(location, settings=settings)
    with archive:
        ca_created = not (archive.pki_dir / "root.pem").exists()
        if ca_created:
            DevCA.create(archive.pki_dir)
        for cert in trust:
            load_trust_roots([cert])  # refuse a file that is not a certificate before copying it
            try:
                data = cert.read_bytes()
            except OSError as exc:
                raise StorageError(_("cannot read trust root {path}: {reason}").format(
                    path=cert, reason=exc.strerror)) from None
            try:
                write_atomic(archive.trust_dir / cert.name, data, mode=PRIVATE_FILE)
            except OSError as exc:
                raise write_error(exc, _("the trust root {path}").format(path=archive.trust_dir / cert.name)) from None
        return InitResult(archive.name, created, ca_created, archive.pki_dir / "root.pem")


def render(path: Path, out_dir: Path, settings: Settings) -> RenderedAct:
    """Check an act and render it to DOCX and PDF/A in ``out_dir`` (unsigned)."""
    from atti.templates import Converter, render_act

    loaded = load_act(path, allegati_dirs=settings.allegati_dirs, max_days_ahead=settings.max_days_ahead)
    with Converter(timeout=settings.convert_timeout) as converter:  # its LibreOffice profile goes with it
        return render_act(
            loaded.act,
            out_dir,
            template=settings.template,
            templates_dir=settings.templates,
            converter=converter,
            source=loaded.text if settings.embed_source else None,
            base_dir=Path(loaded.source.file).parent,
            allegati_dirs=settings.allegati_dirs,
        )


def open_signers(
    archive: Archive, loaded: LoadedAct, settings: Settings, prompt: PassphrasePrompt | None,
    cosigners: dict[int, ActSigner] | None = None,
) -> tuple[dict[int, ActSigner], list[int]]:
    """A signer for each of the act's firmatari, by their index, and the indexes the development
    CA signs for: the configured key is one firmatario's; ``cosigners`` (from ``--reviewer``
    keys) the others'. Only in ``settings.development`` does the development CA sign for a
    firmatario without a key. Closes what it opened when it refuses.

    Without keys and outside development mode it refuses (:data:`NO_KEY`): a body must never
    publish an act signed by a development certificate by accident. Each certificate must name
    its firmatario (:func:`atti.signing.keys.ensure_holder`, the rule verification applies too).
    """
    from atti.signing import ActSigner, DevCA
    from atti.signing.identity import names_person
    from atti.signing.keys import ensure_holder, open_key

    act = loaded.act
    firmatari = act.firmatari
    signers: dict[int, ActSigner] = dict(cosigners or {})
    dev: list[int] = []
    try:
        signer = open_key(settings, prompt)
        if signer is not None:
            if len(firmatari) == 1:
                ensure_holder(signer, firmatari[0].nome)
                signers[0] = signer
            else:
                match = [i for i, f in enumerate(firmatari)
                         if i not in signers and names_person(signer.certificate, f.nome)]
                if not match:
                    signer.close()
                    names = ", ".join(f.nome for f in firmatari)
                    raise SigningError(_("the act's firmatari are {names} but the certificate belongs to "
                                         "{signer}").format(names=names, signer=signer.signer_name))
                signers[match[0]] = signer
        missing = [i for i in range(len(firmatari)) if i not in signers]
        if missing and not settings.development:
            if not signers:
                raise SigningError(translate(NO_KEY))
            raise SigningError(
                _("the firmatario {name} must sign with their own key: give it with --reviewer "
                  "(the development CA signs in their name only in development mode)").format(
                    name=firmatari[missing[0]].nome)
            )
        if missing:
            ca = DevCA.load(archive.pki_dir)
            for i in missing:
                f = firmatari[i]
                signers[i] = ActSigner.from_pkcs12(ca.signer_for(f.nome, f.qualifica, organisation=act.ente.nome), None)
                dev.append(i)
    except BaseException:
        for opened in signers.values():
            opened.close()
        raise
    return signers, dev


# Why publishing without a key is refused, and the settings that let it sign.
NO_KEY = N_(
    "no key to sign the act with: set p12 (--p12 FILE), or pkcs11_module, pkcs11_token and pkcs11_key "
    "(--pkcs11-module, --token, --key-label); or set development = true (--development) to try atti with "
    "the development CA, NOT a firma digitale"
)


def publish(
    archive: Archive,
    path: Path | None,
    settings: Settings,
    *,
    prompt: PassphrasePrompt | None = None,
    reviewer_keys: Sequence[str] = (),
    draft_id: str | None = None,
    actor: str | None = None,
) -> PublishResult:
    """Check, number, render, sign and archive one act (its versions made by ``actor``).

    ``reviewer_keys``: the keys of the verifiche's reviewers, as key specs (``p12:PATH``,
    ``pkcs11:token=...;key=...``, ``remote:MODULE:FACTORY``: :func:`atti.signing.keys.open_key_spec`),
    each certificate naming one verifica's ``nome``; each reviewer signs their verifica before
    the signer signs the act. In ``settings.development`` the development CA signs the others in
    their reviewers' names.

    Refused before anything is rendered: a draft still bozza (never submitted, or sent back), and
    an act whose required verifiche (:func:`required_verifiche`, for its ente and tipo) are not all
    in it, approved (``atti review``, since the draft was last submitted) and given their
    reviewers' keys (or development mode).

    ``draft_id``: the draft the act is sealed from (its versions come first in the act's
    history); without ``path`` the act is the draft's current source, its allegati looked up in
    the current directory as the act's folder (and in ``settings.allegati_dirs``), under the same
    rules as beside a file. Without ``draft_id``, an open draft whose source is exactly the
    file's is the one sealed, if there is one.
    """
    if path is None and draft_id is None:
        raise ArchiveError(_("give the act's YAML file, or --draft ID to publish a draft"))
    archive.ensure_writable()
    if path is None:
        assert draft_id is not None
        source = archive.blobs.get(archive.draft(draft_id).source).decode("utf-8")
        loaded = load_act_text(source, f"{draft_id}.yaml", allegati_dirs=settings.allegati_dirs,
                               max_days_ahead=settings.max_days_ahead)
    else:
        loaded = load_act(path, allegati_dirs=settings.allegati_dirs, max_days_ahead=settings.max_days_ahead)
        if draft_id is None:
            draft_id = archive.find_draft(loaded.text)
        else:
            archive.draft(draft_id)  # refused now if it is not a draft, before rendering
    required = _check_reviewed(archive, loaded, settings, draft_id)
    reviewers, cosigners = _open_reviewers(loaded.act, reviewer_keys, settings, prompt)
    signers: dict[int, ActSigner] = {}
    try:
        if not settings.development:
            for i in required:
                if i not in reviewers:
                    v = loaded.act.verifiche[i]
                    raise SigningError(
                        _("the verifica '{tipo}' must be signed with the key of its reviewer, {name}: give it "
                          "with --reviewer (the development CA signs in their name only in development mode)").format(
                            tipo=v.tipo, name=v.nome)
                    )
        signers, development = open_signers(archive, loaded, settings, prompt, cosigners)
        cosigners = {}
        return _publish_with(archive, loaded, settings, signers, reviewers, draft_id, actor,
                             development=development)
    finally:
        # A reviewer's or signer's token stays logged in until its signer is closed: whatever happened.
        for opened in [*reviewers.values(), *cosigners.values(), *signers.values()]:
            opened.close()


@dataclass(frozen=True)
class BatchItem:
    """One act of a batch publication: published (``result``) or not, and why (``error``)."""

    file: str
    result: PublishResult | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.result is not None:
            return {"file": self.file, "published": True, **self.result.to_dict()}
        return {"file": self.file, "published": False, "error": self.error}


@dataclass(frozen=True)
class PublishBatch:
    """What ``atti publish DIR`` did, act by act; ``authorisations``: the OTPs a remote key asked for."""

    items: list[BatchItem]
    authorisations: int | None = None
    stopped: str | None = None  # why the acts after a failure were not attempted
    # Whether what stopped it was the service refusing the authorisation (OTP, PIN, SAD) rather
    # than the service failing: the web asks for the OTP again.
    refused: bool = False

    @property
    def published(self) -> list[BatchItem]:
        return [i for i in self.items if i.result is not None]

    @property
    def failed(self) -> list[BatchItem]:
        return [i for i in self.items if i.result is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "published": len(self.published),
            "failed": len(self.failed),
            "authorisations": self.authorisations,
            "stopped": self.stopped,
            "acts": [i.to_dict() for i in self.items],
        }


def act_files(inputs: Sequence[Path]) -> list[Path]:
    """The act files among ``inputs``: files as given, folders as their ``*.yaml``/``*.yml`` in name order."""
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            files.append(path)
    return files


def publish_many(
    archive: Archive,
    inputs: Sequence[Path],
    settings: Settings,
    *,
    prompt: PassphrasePrompt | None = None,
    actor: str | None = None,
    progress: Callable[[BatchItem], None] | None = None,
    drafts: Sequence[str] = (),
) -> PublishBatch:
    """Publish many acts with one key opened once ("firma massiva"): a remote key over the CSC API
    is authorised once, with one OTP, for as many signatures as there are acts (up to what its
    credential allows, ``multisign``; then it asks for another OTP).

    Each act is all-or-nothing, as :func:`publish` makes it: checked, numbered, rendered, signed,
    sealed, or nothing of it stored (and no number taken). An act that fails is reported and the
    next one goes on; a failure of the service or of the authorisation (OTP refused, SAD expired)
    stops the batch, since every later act would fail alike: those acts are reported as not
    attempted. Each act's certificate check is its own: an act whose firmatario the
    certificate does not name fails alone. Verifiche are not signed by reviewers in a batch:
    an act whose verifiche must be signed (required_verifiche) fails and is published singly.

    ``drafts``: draft ids published from their current source (as ``atti publish --draft ID``),
    after the files of ``inputs``; each reported by its id (the web's batch of ready drafts).
    """
    from atti.errors import AttiError, ServiceError
    from atti.signing.identity import names_person
    from atti.signing.keys import open_key

    files: list[Path | str] = [*act_files(inputs), *drafts]
    if not files:
        raise ArchiveError(_("no act to publish in {folders} (its *.yaml files)").format(
            folders=", ".join(str(p) for p in inputs)))
    archive.ensure_writable()
    for name in drafts:
        archive.draft(name)  # an unknown draft is refused before the OTP is spent
    signer = open_key(settings, prompt)
    if signer is None and not settings.development:
        raise SigningError(translate(NO_KEY))
    from atti.signing.csc import CSCAuthorisationError

    items: list[BatchItem] = []
    stopped: str | None = None
    refused = False
    try:
        if signer is not None:
            # What every act would be refused for alike (a missing TSA), before the OTP is spent.
            signer.plan(settings.level, settings.tsa_url, archive_trust_roots(archive))
            signer.begin_batch(len(files))
            try:
                signer.authorise_ahead()  # the OTP now, not after the first act is rendered
            except (ServiceError, CSCAuthorisationError) as exc:
                items = [BatchItem(str(p), error=_("not attempted: {error}").format(error=exc.msg)) for p in files]
                for item in items:
                    if progress is not None:
                        progress(item)
                return PublishBatch(items, signer.authorisations, exc.msg,
                                    isinstance(exc, CSCAuthorisationError))
        for n, path in enumerate(files):
            try:
                loaded, draft_id = _batch_act(archive, path, settings)
                required = _check_reviewed(archive, loaded, settings, draft_id)
                if required and not settings.development:
                    v = loaded.act.verifiche[required[0]]
                    raise SigningError(
                        _("the verifica '{tipo}' must be signed with the key of its reviewer, {name}: publish"
                          " this act on its own, with --reviewer").format(tipo=v.tipo, name=v.nome)
                    )
                if signer is None:
                    own, development = open_signers(archive, loaded, settings, prompt)
                    try:
                        result = _publish_with(archive, loaded, settings, own, {}, draft_id, actor,
                                               development=development)
                    finally:
                        for opened in own.values():
                            opened.close()
                else:
                    if len(loaded.act.firmatari) != 1:
                        raise SigningError(
                            _("the act has {count} firmatari: publish it on its own, with "
                              "--reviewer for the other firmatari's keys").format(count=len(loaded.act.firmatari))
                        )
                    person = loaded.act.firmatari[0].nome
                    if not names_person(signer.certificate, person):
                        raise SigningError(
                            _("the act's firmatario is {name} but the certificate belongs to {signer}").format(
                                name=person, signer=signer.signer_name)
                        )
                    result = _publish_with(archive, loaded, settings, {0: signer}, {}, draft_id, actor)
                item = BatchItem(str(path), result)
            except AttiError as exc:
                item = BatchItem(str(path), error=exc.msg)
                if isinstance(exc, ServiceError | CSCAuthorisationError):
                    stopped = exc.msg
                    refused = isinstance(exc, CSCAuthorisationError)
                    rest = [BatchItem(str(p), error=_("not attempted: {error}").format(error=exc.msg))
                            for p in files[n + 1:]]
                    for done in (item, *rest):
                        items.append(done)
                        if progress is not None:
                            progress(done)
                    break
            items.append(item)
            if signer is not None and item.result is None:
                signer.begin_batch(len(files) - n - 1)  # the act took no signature of the authorisation
            if progress is not None:
                progress(item)
        return PublishBatch(items, signer.authorisations if signer is not None else None, stopped, refused)
    finally:
        if signer is not None:
            signer.close()


def _batch_act(archive: Archive, item: Path | str, settings: Settings) -> tuple[LoadedAct, str | None]:
    """A batch's act: a file (and the open draft with its source, if any), or a draft by its id."""
    if isinstance(item, str):
        source = archive.blobs.get(archive.draft(item).source).decode("utf-8")
        return load_act_text(source, f"{item}.yaml", allegati_dirs=settings.allegati_dirs,
                             max_days_ahead=settings.max_days_ahead), item
    loaded = load_act(item, allegati_dirs=settings.allegati_dirs, max_days_ahead=settings.max_days_ahead)
    return loaded, archive.find_draft(loaded.text)


def ready_drafts(archive: Archive, settings: Settings) -> list[ActRecord]:
    """The drafts a batch (:func:`publish_many`) can publish: submitted, their required verifiche
    approved, none of which must be signed by its reviewer (unless in development mode)."""
    from atti.errors import AttiError

    ready = []
    for record in archive.drafts():
        if record.stato == "bozza":
            continue
        try:
            loaded, _id = _batch_act(archive, record.id, settings)
            required = _check_reviewed(archive, loaded, settings, record.id)
        except AttiError:
            continue
        if required and not settings.development:
            continue
        ready.append(record)
    return ready


@dataclass(frozen=True)
class RequiredVerifiche:
    names: list[str]
    setting: str  # which setting names them, for messages: required_verifiche[_by_ente]
    ente: str | None  # the body's entry they come from, None for every body's


def required_verifiche(settings: Settings, tipo: str, ente: str) -> RequiredVerifiche:
    """The verifiche required of an act of ``tipo`` by the body ``ente``: its entry in
    ``settings.required_verifiche_by_ente`` (the body's name in any case and spacing) when that
    names ``tipo``, else ``settings.required_verifiche``'s. ConfigError for a key that is no tipo
    of act, named as a misspelt setting is, and for a body named twice."""
    from atti.acts.model import TipoAtto
    from atti.errors import ConfigError
    from atti.signing.identity import same_person

    tipi = [t.value for t in TipoAtto]

    def check(where: str, table: dict[str, list[str]]) -> None:
        for key in table:
            if key not in tipi:
                raise ConfigError(_("setting '{setting}': unknown tipo '{tipo}' (one of {tipi})").format(
                    setting=where, tipo=key, tipi=", ".join(tipi)))

    check("required_verifiche", settings.required_verifiche)
    bodies = list(settings.required_verifiche_by_ente)
    for n, body in enumerate(bodies):
        check(f"required_verifiche_by_ente.{body}", settings.required_verifiche_by_ente[body])
        twin = next((other for other in bodies[:n] if same_person(other, body)), None)
        if twin is not None:
            raise ConfigError(_("setting 'required_verifiche_by_ente': '{first}' and '{second}' name the same "
                                "body").format(first=twin, second=body))
    for body, table in settings.required_verifiche_by_ente.items():
        # same_person: the same comparison of names (case, accents, spacing) as for people.
        if same_person(body, ente) and tipo in table:
            return RequiredVerifiche(table[tipo], "required_verifiche_by_ente", body)
    return RequiredVerifiche(settings.required_verifiche.get(tipo, []), "required_verifiche", None)


def _check_reviewed(archive: Archive, loaded: LoadedAct, settings: Settings, draft_id: str | None) -> list[int]:
    """Refuse a draft never submitted, and an act whose required verifiche were not approved; the
    indexes of the required verifiche in the act."""
    from atti.archive.archive import verifica_index

    act = loaded.act
    if draft_id is not None:
        record = archive.draft(draft_id)
        if record.stato == "bozza":
            raise ArchiveError(
                _("{id} is a bozza: it was not submitted for verifica since it last changed "
                  "(atti draft submit {id})").format(id=draft_id)
            )
    required = required_verifiche(settings, act.tipo.value, act.ente.nome)
    if not required.names:
        return []
    label = draft_id or loaded.source.file
    indexes = []
    for name in required.names:
        try:
            indexes.append(verifica_index(act, name, label))
        except ArchiveError:
            raise ArchiveError(
                (_("{label} lacks the verifica '{name}', which every {tipo} needs ({setting})")
                 if required.ente is None else
                 _("{label} lacks the verifica '{name}', which every {tipo} of {ente} needs ({setting})")).format(
                    label=label, name=name, tipo=act.tipo.value, ente=required.ente, setting=required.setting)
            ) from None
    if draft_id is None:
        raise ArchiveError(
            _("a {tipo} needs its verifiche approved before it is published: save it as a draft "
              "(atti draft save), submit it and have it reviewed (atti review)").format(tipo=act.tipo.value)
        )
    source = archive.blobs.get(archive.draft(draft_id).source).decode("utf-8")
    if loaded.text != source:
        raise ArchiveError(_("{file} is not the text reviewed in {id}: publish --draft {id}").format(
            file=loaded.source.file, id=draft_id))
    approved = {v.verifica.casefold() for v in archive.reviews(draft_id) if v.esito == "positivo" and v.verifica}
    for i in indexes:
        tipo = act.verifiche[i].tipo
        if tipo.casefold() not in approved:
            raise ArchiveError(
                _("{id} cannot be published: the verifica '{tipo}' was not approved since it was last submitted "
                  "(atti review {id} --approve --verifica '{tipo}')").format(id=draft_id, tipo=tipo)
            )
    return indexes


@dataclass(frozen=True)
class DraftResult:
    record: ActRecord
    versions: list[VersionRecord]
    saved: bool  # False when the draft already had this source and nothing was rendered

    def to_dict(self) -> dict[str, Any]:
        return {**self.record.to_dict(), "version": len(self.versions), "saved": self.saved}


def save_draft(
    archive: Archive, path: Path, settings: Settings, *, draft_id: str | None = None, render: bool = False,
    actor: str | None = None,
) -> DraftResult:
    """Store an act as a draft (``atti draft save``), or as a new version of the draft ``draft_id``.

    A draft must be a well-formed act but need not pass the checks made before signing (a
    verifica may still be pending). With ``render`` its DOCX and unnumbered preview PDF/A are
    stored in the version too.
    """
    archive.ensure_writable()
    loaded = load_act(path, check=False)
    docx = pdf = None
    if render:
        from atti.templates import Converter, render_act

        with (
            tempfile.TemporaryDirectory(prefix="atti-draft-") as tmp,
            Converter(settings.convert_timeout) as converter,
        ):
            rendered = render_act(
                loaded.act.model_copy(update={"numero": None}), Path(tmp), template=settings.template,
                templates_dir=settings.templates, converter=converter,
                source=loaded.text if settings.embed_source else None, base_dir=path.parent,
                allegati_dirs=settings.allegati_dirs,
            )
            docx, pdf = rendered.docx.read_bytes(), rendered.pdf.read_bytes()
    record, saved = archive.save_draft(loaded.act, loaded.text, draft_id=draft_id, docx=docx, pdf=pdf, actor=actor)
    return DraftResult(record, archive.versions(record.id), saved)


@dataclass(frozen=True)
class DraftSummary:
    """One draft as ``atti draft list`` shows it: what it is and its last change."""

    id: str
    tipo: str
    oggetto: str
    stato: str
    changed_at: str  # when its newest version was made (UTC, ISO 8601)
    actor: str | None  # who made it, when recorded
    versions: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tipo": self.tipo, "oggetto": self.oggetto, "stato": self.stato,
                "changed_at": self.changed_at, "actor": self.actor, "versions": self.versions}


def list_drafts(archive: Archive) -> list[DraftSummary]:
    """The drafts in the archive, oldest first, each with its newest version's time and author."""
    out = []
    for record in archive.drafts():
        versions = archive.versions(record.id)
        last = versions[-1] if versions else None
        out.append(DraftSummary(
            record.id, record.tipo, record.oggetto, record.stato,
            last.created_at if last is not None else record.created_at, last.actor if last is not None else None,
            len(versions),
        ))
    return out


def submit_draft(archive: Archive, draft_id: str, *, actor: str | None = None) -> DraftResult:
    """Send a bozza to verification (``atti draft submit``): state in verifica, as a new version."""
    record = archive.submit_draft(draft_id, actor=actor)
    return DraftResult(record, archive.versions(record.id), True)


def review(
    archive: Archive, draft_id: str, *, approve: bool, verifica: str | None = None, note: str | None = None,
    actor: str | None = None,
) -> DraftResult:
    """A reviewer's approval or rejection of one verifica of a draft in verifica (``atti review``):
    a version recording who, the verifica, its esito and the note, with the esito written into
    the draft's text; a rejection sends the draft back to bozza (see ``Archive.review_draft``)."""
    if not approve and not (note or "").strip():
        raise ArchiveError(_("a rejection needs a note saying what to change (--note TEXT)"))
    record = archive.review_draft(
        draft_id, esito="positivo" if approve else "negativo", verifica=verifica, note=(note or "").strip() or None,
        actor=actor,
    )
    return DraftResult(record, archive.versions(record.id), True)


def _open_reviewers(
    act: Act, keys: Sequence[str], settings: Settings, prompt: PassphrasePrompt | None
) -> tuple[dict[int, ActSigner], dict[int, ActSigner]]:
    """Each reviewer's signer, by the index of their verifica, and each further firmatario's (an
    act several people sign), by their index among the firmatari; refused before anything is
    done, closing the keys opened so far (a token's login among them)."""
    from atti.signing.identity import names_person
    from atti.signing.keys import open_key_spec

    out: dict[int, ActSigner] = {}
    cosigners: dict[int, ActSigner] = {}
    firmatari = act.firmatari if len(act.firmatari) > 1 else []
    try:
        for key in keys:
            signer = open_key_spec(key, settings, prompt)
            match = [i for i, v in enumerate(act.verifiche) if names_person(signer.certificate, v.nome)]
            signs = [i for i, f in enumerate(firmatari) if names_person(signer.certificate, f.nome)]
            if not match and signs:
                if signs[0] in cosigners:
                    signer.close()
                    raise SigningError(_("two keys for the signature of {name}").format(name=signer.signer_name))
                cosigners[signs[0]] = signer
                continue
            if not match or match[0] in out:
                signer.close()
            if not match:
                names = ", ".join(v.nome for v in act.verifiche) or _("none")
                raise SigningError(
                    _("{key} belongs to {name}, who made none of the act's verifiche ({names})").format(
                        key=signer.source, name=signer.signer_name, names=names)
                )
            if match[0] in out:
                raise SigningError(_("two keys for the verifica of {name}").format(name=signer.signer_name))
            out[match[0]] = signer
    except BaseException:
        for opened in [*out.values(), *cosigners.values()]:
            opened.close()
        raise
    return out, cosigners


def _publish_with(
    archive: Archive, loaded: LoadedAct, settings: Settings, signers: dict[int, ActSigner],
    reviewers: dict[int, ActSigner], draft_id: str | None = None, actor: str | None = None, *,
    development: Sequence[int] = (),
) -> PublishResult:
    """Number, render, sign and seal, with the signers open (a token session stays open till here):
    ``signers`` by the index of their firmatario; ``development``: the firmatari the development CA
    signs for, which their signatures and the notes say."""
    from atti.signing.stamp import place_stamps, signer_fields
    from atti.templates import Converter, render_act

    trust_roots = archive_trust_roots(archive)
    # A missing TSA, or a certificate that names no revocation service, is refused before
    # a number is taken and LibreOffice runs.
    for signer in signers.values():
        signer.plan(settings.level, settings.tsa_url, trust_roots)
    act = loaded.act
    notes: tuple[str, ...] = ()
    # The certificate's qualified status, recorded with the signature: read (trusted lists too) first.
    # The record is the last firmatario's (who locks the act), with every firmatario's when several.
    last = len(act.firmatari) - 1
    signature = signature_record(signers[last], settings)
    if len(signers) > 1:
        signature["firmatari"] = [signature_record(signers[i], settings) for i in sorted(signers)]
    if reviewers:  # and each reviewer's, with the verifica they sign
        signature["verifiche"] = [{"verifica": act.verifiche[i].tipo, **signature_record(reviewers[i], settings)}
                                  for i in sorted(reviewers)]
    # A remote key that can be authorised before the document exists asks for its OTP now: a
    # refused one costs no number and no rendering (a no-op for other keys, or when authorised).
    for signer in signers.values():
        signer.authorise_ahead()
    with archive.register_lock(act.registro, act.anno):
        # One register, one spelling: "DO" or "d.o." is the archive's "D.O.", in the act as signed too.
        name = archive.register_name(act.registro)
        if name != act.registro:
            notes += (_("registro {written} is the archive's {name}: the act is published as {name}").format(
                written=act.registro, name=name),)
            loaded = with_registro(loaded, name)
            act = loaded.act
        # All refused here, before LibreOffice runs and anything is stored: a spelling of an
        # archived register the archive cannot tell apart, a number taken or out of turn.
        archive.ensure_register(act.registro, act.anno)
        numero = archive.next_number(act.registro, act.anno)
        if act.numero is None:
            act = act.with_numero(numero)
        else:
            archive.ensure_next_number(act.registro, act.anno, act.numero)
        if numero == 1 and act.numero is not None and act.numero > 1:  # the office's register began before atti
            numero = act.numero
            message = (_("{numero}/{anno} starts registro {registro} in this archive: number 1 is not in it")
                       if numero == 2 else
                       _("{numero}/{anno} starts registro {registro} in this archive: numbers 1-{last} are not in it"))
            notes += (message.format(numero=numero, anno=act.anno, registro=act.registro, last=numero - 1),)
        assert act.numero is not None  # given above when the act had none
        archive.ensure_in_order(act.registro, act.anno, act.numero, act.data)  # dated between its neighbours
        archive.check_relazioni(act)  # an annulment of a missing act is refused before rendering
        # Removed on any exit, an interruption included (the CLI turns SIGTERM into an exception).
        with (
            tempfile.TemporaryDirectory(prefix="atti-publish-") as tmp,
            Converter(settings.convert_timeout) as converter,
        ):
            rendered = render_act(
                act,
                Path(tmp),
                template=settings.template,
                templates_dir=settings.templates,
                converter=converter,
                # The act as signed, number included: what `atti proof ID` proves the PDF against.
                source=numbered_text(loaded, act.numero) if settings.embed_source and act.numero else None,
                base_dir=Path(loaded.source.file).parent,
                allegati_dirs=settings.allegati_dirs,
                signed=True,
            )
            firmatari = act.firmatari
            if development:
                names = ", ".join(firmatari[i].nome for i in development)
                notes += (_("development mode: the development CA signed the act in the name of its firmatario, "
                            "{names}: NOT a firma digitale, not for a real act").format(names=names),)
            # Every field first (after the last, locking signature none may be added): the
            # verifiche's, then one visible stamp per firmatario, in signing order.
            pdf, stamps = place_stamps(rendered.pdf.read_bytes(), signer_fields(len(firmatari)))
            pdf, dev_signed = _sign_verifiche(archive, act, pdf, reviewers, stamps,
                                              development=settings.development)
            if dev_signed:
                notes += (_("development mode: the development CA signed the verifiche of {names} in "
                            "their names, with no key of theirs: not for a real act").format(
                                names=", ".join(dev_signed)),)
            for i, (firmatario, plan) in enumerate(zip(firmatari, stamps, strict=True)):
                reason = f"{act.titolo} N. {act.estremi}"
                if i in development:
                    reason += f" {DEVELOPMENT_ACT_MARK}"
                pdf = signers[i].sign(
                    pdf,
                    field_name=plan.name,
                    reason=reason,
                    location=act.ente.nome,
                    level=settings.level,
                    tsa_url=settings.tsa_url,
                    trust_roots=trust_roots,
                    stamp={"qualifica": firmatario.qualifica},
                )
            signed = pdf
            docx = rendered.docx.read_bytes()
            # The publication copy is signed by the firmatario who signs last (who locks the original).
            copy = _publication_copy(act, Path(tmp), settings, signers[len(firmatari) - 1], converter, reason,
                                     trust_roots)
        record = archive.seal(act, source=loaded.text, docx=docx, pdf=signed,
                              firmatario=", ".join(signers[i].signer_name for i in range(len(firmatari))),
                              draft_id=draft_id, actor=actor, signature=signature)
    if copy is not None:
        from atti.archive import albo

        albo.add_publication_copy(archive, record.id, copy, actor=actor)
        notes += (_("the act marks personal data: its publication copy, each marked span [omissis], is signed and "
                    "is the only PDF of it the public is given"),)
    if record.tipo in albo_automatico(settings, record.ente):
        from atti.archive import albo

        pub = albo.publish(archive, record.id, giorni=settings.albo_giorni, actor=actor)
        notes += (_("published on the albo as {numero}/{anno}, from {dal} to {al}").format(
            numero=pub.numero, anno=pub.anno, dal=f"{pub.dal:%d/%m/%Y}", al=f"{pub.al:%d/%m/%Y}"),)
    return PublishResult(record, archive.blobs.location(record.pdf), notes, signature)


def albo_automatico(settings: Settings, ente: str) -> list[str]:
    """The tipi the body's acts go on the albo with as soon as they are published."""
    wanted = " ".join(ente.split()).casefold()
    for name, tipi in settings.albo_automatico_by_ente.items():
        if " ".join(name.split()).casefold() == wanted:
            return tipi
    return settings.albo_automatico


def _publication_copy(
    act: Act, tmp: Path, settings: Settings, signer: ActSigner, converter: Any, reason: str,
    trust_roots: Sequence[x509.Certificate],
) -> bytes | None:
    """The signed publication copy of an act that marks personal data (else None): rendered from
    the act with every marked span [omissis], without the act's YAML (it holds the data) nor its
    allegati's files (a file cannot be cut: publish a redacted allegato as its own document)."""
    from atti.acts.personal import has_personal_data, publication_act
    from atti.signing.stamp import FINAL_FIELD, place_stamp, prepare_fields
    from atti.templates import render_act

    if not has_personal_data(act):
        return None
    public = publication_act(act)
    public = public.model_copy(update={"allegati": [a.model_copy(update={"file": None}) for a in public.allegati]})
    rendered = render_act(public, tmp / "copia", template=settings.template, templates_dir=settings.templates,
                          converter=converter, source=None, signed=True)
    pdf, final = place_stamp(rendered.pdf.read_bytes())
    pdf = prepare_fields(pdf, [final])
    return signer.sign(pdf, field_name=FINAL_FIELD, reason=f"{reason} - copia per la pubblicazione (omissis)",
                       location=act.ente.nome, level=settings.level, tsa_url=settings.tsa_url,
                       trust_roots=trust_roots, stamp={"qualifica": _final_qualifica(act)})


def _final_qualifica(act: Act) -> str:
    """The qualifica of who signs last (``firmatario`` may be a list: its ``firmatari``)."""
    return act.firmatari[-1].qualifica


# What a verifica signed by the development CA says of itself, in its signature's reason.
DEVELOPMENT_MARK = "[SVILUPPO: firmata dalla CA di sviluppo, non con la chiave del revisore]"
# And what the act's own signature says when the development CA signed it for the firmatario.
DEVELOPMENT_ACT_MARK = "[SVILUPPO: firmato dalla CA di sviluppo, non con la chiave del firmatario]"


def _sign_verifiche(
    archive: Archive, act: Act, pdf: bytes, reviewers: dict[int, ActSigner], stamps: Sequence[FieldPlan], *,
    development: bool,
) -> tuple[bytes, list[str]]:
    """Create every signature field, then let each reviewer sign their verifica; with the names
    the development CA signed for.

    Fields come first because after the final signature (which locks the document) no field may
    be added. Reviewers sign with their own keys (``reviewers``). Only in ``development`` mode does
    the development CA sign, in their names, the verifiche no key was given for, each signature's
    reason marked :data:`DEVELOPMENT_MARK`, so the example shows the whole chain of signatures.
    """
    from atti.signing import ActSigner, DevCA
    from atti.signing.stamp import FieldPlan, prepare_fields, verification_field

    reviewers = dict(reviewers)
    dev_signed: set[int] = set()
    if development and act.verifiche:
        ca = DevCA.load(archive.pki_dir)
        for i, v in enumerate(act.verifiche):
            if i not in reviewers:
                reviewers[i] = ActSigner.from_pkcs12(ca.signer_for(v.nome, v.tipo, organisation=act.ente.nome), None)
                dev_signed.add(i)
    order = sorted(reviewers)
    pdf = prepare_fields(pdf, [*(FieldPlan(verification_field(i)) for i in order), *stamps])
    for i in order:
        verifica = act.verifiche[i]
        reason = f"{verifica.tipo}: {verifica.esito}" + (f" {DEVELOPMENT_MARK}" if i in dev_signed else "")
        with reviewers[i] as reviewer:
            pdf = reviewer.sign(pdf, field_name=verification_field(i), reason=reason, location=act.ente.nome)
    return pdf, [act.verifiche[i].nome for i in sorted(dev_signed)]


@dataclass(frozen=True)
class ShowResult:
    """An archived act with its versions and its links both ways (``atti show``)."""

    record: ActRecord
    pdf: str  # a file's path, or an s3:// URL
    versions: list[VersionRecord]
    cites: list[ReferenceRecord]  # its citations and its relazioni, ``present`` when the target is archived
    cited_by: list[ReferenceRecord]  # other acts' citations and relazioni that point to it
    esecutivita: Esecutivita | None = None  # None when its source cannot be read
    albo: tuple[Publication, ...] = ()  # its publications on the albo, oldest first
    # When a conservatore's receipt of a pacchetto di versamento was recorded, and its details.
    transfers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.record.to_dict(),
            "versamenti": self.transfers,
            "pdf": str(self.pdf),
            "esecutivita": self.esecutivita.to_dict() if self.esecutivita else None,
            "albo": [p.to_dict() for p in self.albo],
            "versions": len(self.versions),
            "cites": [r.to_dict() for r in self.cites if r.relazione is None],
            "relazioni": [r.to_dict() for r in self.cites if r.relazione is not None],
            "cited_by": [r.to_dict() for r in self.cited_by if r.relazione is None],
            "relazioni_by": [r.to_dict() for r in self.cited_by if r.relazione is not None],
        }


def show(archive: Archive, act_id: str) -> ShowResult:
    """An archived act with its versions and its links both ways (``atti show``)."""
    from atti.archive import albo

    record = archive.get(act_id)
    try:
        when = esecutivita(archive, act_id) if record.numero is not None else None
    except ArchiveError:
        when = None
    return ShowResult(
        record, archive.blobs.location(record.pdf), archive.versions(act_id), archive.cites(act_id),
        archive.cited_by(act_id), when, tuple(albo.of_act(archive, act_id)), transfers=transfers(archive, act_id),
    )


RECEIPT_EVENT = "versamento"  # the event of a receipt of conservation (atti.export.transfer records it)


def transfers(archive: Archive, act_id: str) -> list[dict[str, Any]]:
    """The receipts of conservation recorded for the act, oldest first: when, which package, who."""
    return [{"recorded_at": at, "package": p.get("package"), "conservatore": p.get("conservatore"),
             "receipt_sha256": p.get("receipt_digest")} for at, p in archive.act_events(act_id, RECEIPT_EVENT)]


def diff(archive: Archive, a: str, b: str, *, pdf: Path | None = None, settings: Settings | None = None) -> VersionDiff:
    """Compare two versions, "ID@N" or a bare ID for the newest, field by field (``atti diff``);
    with ``pdf``, also write there the redline report for the legal file (a tagged PDF/A)."""
    from atti.archive.history import diff_versions

    result = diff_versions(archive, a, b)
    if pdf is not None:
        from atti.errors import RenderError
        from atti.templates import Converter
        from atti.templates.redline import redline_docx

        by = f" (atto {result.b.by_act})" if result.b.by_act else ""
        stato = f"{result.a.stato} → {result.b.stato}{by}" if result.stato_changed else None
        header = [f"Versione {label}: {v.act_id}@{v.version} ({v.stato}, {v.created_at})"
                  for label, v in (("A", result.a), ("B", result.b))]
        docx = redline_docx(f"Differenze tra {a} e {b}", header, stato, result.parts)
        with Converter(timeout=settings.convert_timeout if settings else 120) as converter:
            data = converter.to_pdf(docx)
        try:
            write_atomic(pdf, data)
        except OSError as exc:
            raise write_error(exc, str(pdf), RenderError) from None
    return result


def verify(
    pdf: Path,
    *,
    archive: Archive | None = None,
    trust: Sequence[Path] = (),
    tsl: Sequence[Path] = (),
    tsl_signers: Sequence[Path] = (),
    act: Path | None = None,
) -> VerificationReport:
    """Validate a signed PDF offline against the ``archive``'s trust roots (its development CA and
    trust/), the given certificates (``trust``) and the granted CA/QC services of trusted lists
    (``tsl``, ETSI TS 119 612 files), which also say whether each signature is qualified.

    ``tsl_signers``: certificates the trusted lists must be signed with. The act's firmatario
    must be named by a signer certificate; it comes from ``act``, else from the YAML source the
    PDF carries under its first signature, else it is not checked (and the report says so).
    """
    import dataclasses

    from atti.acts import load_act_text
    from atti.errors import ActError
    from atti.signing import load_trust_roots, verify_pdf
    from atti.signing.trust import read_trusted_list
    from atti.signing.verify import signed_act_source

    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise VerificationError(_("cannot read {path}: {reason}").format(path=pdf, reason=exc.strerror)) from None
    roots = load_trust_roots(trust)
    sources = [_("certificates in {path}").format(path=path) for path in trust]
    if archive is not None:
        roots += archive_trust_roots(archive)
        sources.append(_("the archive {name}: its development CA (NOT qualified) and {path}").format(
            name=archive.name, path=archive.trust_dir))
    tsa_roots = []
    signers = load_trust_roots(tsl_signers) if tsl_signers else []
    lists = []
    files = [f for path in tsl for f in (sorted(Path(path).glob("*.xml")) if Path(path).is_dir() else [path])]
    for path in files:
        trusted_list = read_trusted_list(path, signers=signers)
        lists.append(trusted_list)
        roots += trusted_list.ca_certificates
        tsa_roots += trusted_list.tsa_certificates
        sources.append(trusted_list.describe())

    expected: list[str] = []
    source = None
    notes = []
    if act is not None:
        expected = [f.nome for f in load_act(act, check=False).act.firmatari]
        source = _("the act {file}").format(file=act)
    elif (attached := signed_act_source(data)) is not None:
        name, text = attached
        try:
            # Not checked as for publishing: only the firmatari are needed, and a draft may lack a number.
            expected = [f.nome for f in load_act_text(text, f"{pdf}:{name}", check=False).act.firmatari]
            source = _("the act source {name} attached to the PDF").format(name=name)
        except ActError as exc:
            notes.append(_("the act source {name} attached to the PDF is not a valid act ({error}): "
                           "the firmatario was not checked").format(name=name, error=exc.msg))
    else:
        notes.append(_("no act given and no act source attached to the PDF: the firmatario was not checked"))

    report = verify_pdf(data, roots, expected_signers=expected, tsa_roots=tsa_roots, trusted_lists=lists)
    firmatario = dataclasses.replace(report.firmatario, source=source) if report.firmatario else None
    firmatari = tuple(dataclasses.replace(f, source=source) for f in report.firmatari)
    return dataclasses.replace(report, firmatario=firmatario, firmatari=firmatari, trust=tuple(sources),
                               notes=tuple(notes))


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
        allegati_dirs=settings.allegati_dirs,
        embed_source=settings.embed_source,
        timeout=settings.convert_timeout,
        workers=workers,
        progress=progress,
    )


@dataclass(frozen=True)
class ProofResult:
    """A proof (``atti proof``) and what it compared: where the act and the PDF were read."""

    proof: TextProof
    act: str  # a YAML file, an archived version's source "ID@N", or the source a PDF carries
    pdf: str  # a file, or an archived act "ID" / version "ID@N"

    def to_dict(self) -> dict[str, Any]:
        return {**self.proof.to_dict(), "act": self.act, "pdf": self.pdf}


def _is_file_name(name: str) -> bool:
    """Whether ``name`` names a file rather than an archived act: it exists, or looks like a path."""
    return Path(name).exists() or "/" in name or name.lower().endswith((".yaml", ".yml", ".pdf"))


def prove(
    pdf: str, settings: Settings, *, act: str | None = None, archive: Archive | None = None,
    numero: int | None = None,
) -> ProofResult:
    """Check that a PDF says what its act's YAML says, part by part and item by item.

    ``pdf``: a PDF file, or an archived act ``ID`` (its current PDF) or version ``ID@N``.
    ``act``: a YAML file, or an archived version ``ID@N`` (its source, a bare ID its newest);
    without it, the YAML the PDF carries (as its first signature covers it, when signed): the
    act as it was signed, number included. A YAML without a number is proved with ``numero``,
    else with the number the archive gave the act; an archived draft's preview has none.
    """
    from atti.archive.history import parse_version_ref
    from atti.errors import ActError
    from atti.signing.verify import act_source
    from atti.templates import render_docx
    from atti.templates.proof import docx_paragraphs, prove_pdf

    def archived(name: str) -> tuple[ActRecord, VersionRecord]:
        if archive is None:
            raise ArchiveError(_("{name} is not a file, and there is no archive to find it in: give --archive").format(
                name=name))
        act_id, number = parse_version_ref(name)
        record = archive.get(act_id)
        return record, archive.version(act_id, number) if number is not None else archive.versions(act_id)[-1]

    given = numero
    draft = False  # an archived draft's preview: rendered without a number (save_draft)
    if _is_file_name(pdf):
        try:
            data = Path(pdf).read_bytes()
        except OSError as exc:
            raise VerificationError(_("cannot read {path}: {reason}").format(path=pdf, reason=exc.strerror)) from None
    else:
        record, version = archived(pdf)
        if not version.pdf.sha256:
            raise ArchiveError(_("{id} has no PDF: the draft was saved without rendering it").format(id=pdf))
        data = archive.blobs.get(version.pdf) if archive is not None else b""
        draft = version.stato in DRAFT_STATES
        if numero is None and not draft:
            numero = record.numero
    if act is None:
        attached = act_source(data)
        if attached is None:
            raise VerificationError(
                _("{pdf} carries no act source (a YAML attachment): give the act's YAML too").format(pdf=pdf))
        name, text = attached
        what = _("the act source {name} attached to {pdf}").format(name=name, pdf=pdf)
        try:
            the_act = load_act_text(text, what, check=False).act
        except ActError as exc:
            raise VerificationError(_("{what} is not a valid act: {error}").format(what=what, error=exc.msg)) from None
    elif _is_file_name(act):
        what, the_act = act, load_act(Path(act), check=False).act
    else:
        _id, version = archived(act)
        what = f"{version.act_id}@{version.version}"
        if archive is None or not version.source.sha256:
            raise ArchiveError(_("{what} has no source").format(what=what))
        the_act = load_act_text(archive.blobs.get(version.source).decode("utf-8"), f"{what}.yaml", check=False).act
    if draft and given is None:
        the_act = the_act.model_copy(update={"numero": None})
    elif the_act.numero is None and numero is not None:
        the_act = the_act.with_numero(numero)
    elif given is not None and the_act.numero != given:
        raise VerificationError(_("{what} is numbered {numero}: --numero {given} is for an act without one").format(
            what=what, numero=the_act.numero, given=given))
    # The signed rendering's words: a PDF that is signed says "Firmato digitalmente", and the
    # unsigned rendering's mark is left out by the proof itself.
    docx = render_docx(the_act, settings.template, templates_dir=settings.templates, signed=True)
    return ProofResult(prove_pdf(the_act, data, docx_paragraphs(docx)), what, pdf)


# -- PAdES levels: signing any PDF, document timestamps and their renewal ------------------------


def archive_trust_roots(archive: Archive | None) -> list[x509.Certificate]:
    """The roots of ``archive``: its development CA and the certificates in its trust/ folder.

    Verification trusts them. Signing and timestamping use them only to build certificate paths
    while collecting validation data (a TSA's CA, say): whether to trust a signature is the
    verifier's decision.
    """
    from atti.signing import load_trust_roots

    if archive is None:
        return []
    return load_trust_roots([p for p in (archive.pki_dir / "root.pem", archive.trust_dir) if p.exists()])


@dataclass(frozen=True)
class SignResult:
    pdf: Path
    signer: str
    level: str


def sign_pdf(
    src: Path,
    out: Path,
    settings: Settings,
    *,
    archive: Archive | None = None,
    field_name: str = "Firma",
    prompt: PassphrasePrompt | None = None,
    lock: bool = True,
) -> SignResult:
    """Sign any PDF with the key of the settings at ``settings.level``; ``out`` may be ``src``.

    With ``lock`` (the default) the signature locks the PDF as publishing does: afterwards only
    further signatures in existing fields and form filling are allowed, so a later signature
    cannot add a stamp of its own over the page.

    The ``archive``'s roots help build the TSA's and the signer's paths for B-LT and B-LTA.
    """
    from atti.signing.keys import open_key

    signer = open_key(settings, prompt)
    if signer is None:
        raise SigningError(_("no key to sign with: give --p12 FILE, a PKCS#11 token (--pkcs11-module) or --remote"))
    with signer:
        signer.sign_file(
            src,
            out,
            field_name=field_name,
            level=settings.level,
            tsa_url=settings.tsa_url,
            trust_roots=archive_trust_roots(archive),
            lock=lock,
        )
        return SignResult(out, signer.signer_name, settings.level)


@dataclass(frozen=True)
class TimestampResult:
    pdf: Path
    tsa_url: str
    notes: list[str]


def _tsa_url(settings: Settings) -> str:
    if not settings.tsa_url:
        raise SigningError(_("a document timestamp needs a TSA: give --tsa URL or set tsa_url"))
    return settings.tsa_url


def timestamp_pdf(src: Path, out: Path, settings: Settings, *, archive: Archive | None = None) -> TimestampResult:
    """Refresh the validation data of a signed PDF and add a document timestamp (PAdES B-LTA).

    ``out`` may be ``src``: it is replaced atomically, and the new revision only appends.
    """
    from atti.signing.levels import add_document_timestamp

    tsa_url = _tsa_url(settings)
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise SigningError(_("cannot read {path}: {reason}").format(path=src, reason=exc.strerror or exc)) from None
    outcome = add_document_timestamp(data, tsa_url=tsa_url, trust_roots=archive_trust_roots(archive))
    try:
        write_atomic(out, outcome.pdf)
    except OSError as exc:
        raise write_error(exc, str(out), SigningError) from None
    return TimestampResult(out, tsa_url, outcome.notes)


@dataclass(frozen=True)
class Renewal:
    act_id: str
    tsa_not_after: str  # ISO date of the expiry that made the renewal due
    sha256: str | None = None  # of the new PDF; None when it failed
    error: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenewResult:
    checked: int
    renewed: list[Renewal]
    failed: list[Renewal]
    not_timestamped: list[str]  # acts signed B-B: no timestamp chain to extend


def renew_timestamps(
    archive: Archive, settings: Settings, *, before_days: int = 90, progress: Callable[[Renewal], None] | None = None
) -> RenewResult:
    """Add a document timestamp to every archived act whose newest timestamp's TSA certificate
    expires within ``before_days`` days: after that expiry the chain could no longer be extended.

    Each renewed PDF is stored as a new version through :meth:`Archive.add_pdf_version` (the
    previous one stays). An act that cannot be renewed is reported and the others go on; an
    unreachable TSA stops the run, since every act would fail the same way.
    """
    import datetime as dt

    from atti.errors import ServiceError
    from atti.signing.levels import add_document_timestamp, last_timestamp, make_timestamper

    tsa_url = _tsa_url(settings)
    timestamper = make_timestamper(tsa_url)  # one client for the whole run: it caches the TSA's chain
    limit = dt.datetime.now(dt.UTC) + dt.timedelta(days=before_days)
    renewed: list[Renewal] = []
    failed: list[Renewal] = []
    not_timestamped: list[str] = []
    trust_roots = archive_trust_roots(archive)
    records = archive.catalog.all()
    for record in records:
        pdf = archive.blobs.get(record.pdf)
        last = last_timestamp(pdf)
        if last is None:
            not_timestamped.append(record.id)
            continue
        if last.tsa_not_after > limit:
            continue
        expiry = last.tsa_not_after.date().isoformat()
        try:
            outcome = add_document_timestamp(
                pdf, tsa_url=tsa_url, timestamper=timestamper, trust_roots=trust_roots
            )
            new = archive.add_pdf_version(record.id, outcome.pdf, event="timestamp-renewed")
            done = Renewal(record.id, expiry, sha256=new.pdf.sha256, notes=tuple(outcome.notes))
            renewed.append(done)
        except ServiceError:
            raise
        except SigningError as exc:
            done = Renewal(record.id, expiry, error=exc.msg)
            failed.append(done)
        if progress is not None:
            progress(done)
    return RenewResult(len(records), renewed, failed, not_timestamped)


def verify_archive(archive: Archive, *, workers: int | None = None) -> IntegrityReport:
    """Check every stored file, row and event of the archive (``atti archive verify``)."""
    from atti.archive.integrity import verify_archive as check

    return check(archive, workers=workers)


# -- export and import: BagIt packages with AgID and Akoma Ntoso metadata -------------------------


def export_act(archive: Archive, act_id: str, out_dir: Path, settings: Settings | None = None) -> Path:
    """Write the archived act as a BagIt bag ``out_dir/<act id>`` (see :mod:`atti.export.package`),
    with the AgID metadata when ``settings`` give the body."""
    from atti.export.package import export_package

    return export_package(archive, act_id, out_dir, settings=settings)


def export_transfer(archive: Archive, selection: Selection, out_dir: Path, settings: Settings) -> TransferResult:
    """Write one pacchetto di versamento of the sealed acts of ``selection`` (a register and
    year, dates, ids) in ``out_dir``: see :mod:`atti.export.transfer`."""
    from atti.export.transfer import export_transfer as write

    return write(archive, selection, out_dir, settings)


def record_receipt(archive: Archive, package: Path, receipt: Path) -> Receipt:
    """Record the conservatore's receipt of ``package`` against its acts (``atti receipt``)."""
    from atti.export.transfer import record_receipt as record

    return record(archive, package, receipt)


def import_packages(archive: Archive, bag: Path) -> list[ActRecord]:
    """The acts of a bag: one act's package (:func:`import_package`), or every act of a
    pacchetto di versamento (its rapporto.json and SInCRO index say which it is)."""
    from atti.export.transfer import INDEX, REPORT, import_transfer

    if (bag / "data" / REPORT).is_file() and (bag / "data" / INDEX).is_file():
        return import_transfer(archive, bag)
    return [import_package(archive, bag)]


def import_package(archive: Archive, bag: Path) -> ActRecord:
    """Validate a bag made by :func:`export_act` and store its act, under its own number, in the archive."""
    from atti.export.package import import_package as import_bag

    return import_bag(archive, bag)


# -- the Albo pretorio online ---------------------------------------------------------------------


def albo_publish(
    archive: Archive, act_id: str, settings: Settings, *, giorni: int | None = None, actor: str | None = None
) -> Publication:
    """Put an archived act on the albo for ``giorni`` days (``settings.albo_giorni``) from today."""
    from atti.archive import albo

    return albo.publish(archive, act_id, giorni=giorni or settings.albo_giorni, actor=actor)


def make_publication_copy(
    archive: Archive, act_id: str, settings: Settings, *, prompt: PassphrasePrompt | None = None,
    actor: str | None = None,
) -> str:
    """Render, sign and link the publication copy of an archived act that marks personal data
    (when publishing could not: ``atti albo copia``); the firmatario's key signs it, or in
    development mode the development CA. Returns where the copy is stored."""
    from atti.acts.personal import has_personal_data
    from atti.archive import albo
    from atti.templates import Converter

    archive.ensure_writable()
    record = archive.get(act_id)
    if record.numero is None:
        raise ArchiveError(_("{id} is a draft: a publication copy is made of a published act").format(id=act_id))
    loaded = load_act_text(archive.blobs.get(record.source).decode("utf-8"), f"{act_id}.yaml", check=False)
    act = loaded.act if loaded.act.numero is not None else loaded.act.with_numero(record.numero)
    if not has_personal_data(act):
        raise ArchiveError(_("{id} marks no personal data: the public is given the act itself").format(id=act_id))
    trust_roots = archive_trust_roots(archive)
    signers, dev = open_signers(archive, loaded, settings, prompt)
    last = len(act.firmatari) - 1  # who signs last signs the copy, as in publish
    signer, development = signers[last], last in dev
    try:
        signer.plan(settings.level, settings.tsa_url, trust_roots)
        reason = f"{act.titolo} N. {act.estremi}" + (f" {DEVELOPMENT_ACT_MARK}" if development else "")
        with (
            tempfile.TemporaryDirectory(prefix="atti-copy-") as tmp,
            Converter(settings.convert_timeout) as converter,
        ):
            copy = _publication_copy(act, Path(tmp), settings, signer, converter, reason, trust_roots)
    finally:
        for opened in signers.values():
            opened.close()
    assert copy is not None
    return archive.blobs.location(albo.add_publication_copy(archive, act_id, copy, actor=actor))


def albo_annul(archive: Archive, albo_id: str, motivo: str, *, actor: str | None = None) -> Publication:
    """Annul the publication ``albo_id`` ("15/2026" or "2026-15") with its reason; never deleted."""
    from atti.archive import albo

    anno, numero = parse_albo_id(albo_id)
    return albo.annul(archive, anno, numero, motivo, actor=actor)


def parse_albo_id(albo_id: str) -> tuple[int, int]:
    """(anno, numero) of "15/2026" (as the register writes it) or "2026-15" (as its URL does)."""
    import re

    text = albo_id.strip()
    if m := re.fullmatch(r"(\d{1,6})/(\d{4})", text):
        return int(m[2]), int(m[1])
    if m := re.fullmatch(r"(\d{4})-(\d{1,6})", text):
        return int(m[1]), int(m[2])
    raise ArchiveError(_("'{id}' is not a publication of the albo: write its number and year, e.g. 15/2026").format(
        id=albo_id))


@dataclass(frozen=True)
class Attested:
    publication: Publication
    pdf: str  # where the signed attestato is stored


def albo_attest(
    archive: Archive, settings: Settings, *, prompt: PassphrasePrompt | None = None, actor: str | None = None
) -> list[Attested]:
    """Make, sign and link the attestato di pubblicazione of every publication whose period has
    ended (run daily, e.g. from cron); the responsible officer (``settings.albo_responsabile``)
    signs with the configured key, or in development mode with the development CA."""
    from atti.archive import albo
    from atti.signing import ActSigner, DevCA
    from atti.signing.keys import ensure_holder, open_key
    from atti.signing.stamp import FINAL_FIELD, place_stamp, prepare_fields
    from atti.templates import Converter
    from atti.templates.attestato import Attestato, render_attestato

    archive.ensure_writable()
    due = albo.due_attestati(archive)
    if not due:
        return []
    name = settings.albo_responsabile
    if not name:
        raise SigningError(_("set albo_responsabile: the officer who signs the attestati di pubblicazione"))
    signer = open_key(settings, prompt)
    if signer is None:
        if not settings.development:
            raise SigningError(translate(NO_KEY))
        ente = archive.get(due[0].act_id).ente
        signer = ActSigner.from_pkcs12(DevCA.load(archive.pki_dir).signer_for(name, settings.albo_qualifica,
                                                                               organisation=ente), None)
    ensure_holder(signer, name)
    trust_roots = archive_trust_roots(archive)
    done: list[Attested] = []
    with signer, Converter(settings.convert_timeout) as converter:
        signer.plan(settings.level, settings.tsa_url, trust_roots)
        for pub in due:
            record = archive.get(pub.act_id)
            number = f"n. {record.numero}/{record.anno}"
            data = Attestato(
                ente=record.ente, estremi=f"{record.tipo.capitalize()} {record.registro} {number}",
                oggetto=record.oggetto, numero_albo=pub.numero, anno_albo=pub.anno, dal=pub.dal, al=pub.al,
                giorni=pub.giorni, responsabile=name, qualifica=settings.albo_qualifica, url=pub.url,
            )
            pdf, final = place_stamp(render_attestato(data, converter))
            pdf = prepare_fields(pdf, [final])
            signed = signer.sign(pdf, field_name=FINAL_FIELD, reason=f"Attestato di pubblicazione n. {pub.numero}/"
                                 f"{pub.anno}", location=record.ente, level=settings.level,
                                 tsa_url=settings.tsa_url, trust_roots=trust_roots,
                                 stamp={"qualifica": settings.albo_qualifica})
            attested = albo.attest(archive, pub.anno, pub.numero, signed, actor=actor)
            assert attested.attestato is not None
            done.append(Attested(attested, archive.blobs.location(attested.attestato)))
    return done


def albo_list(archive: Archive, *, all_: bool = False) -> list[Publication]:
    """The publications on the albo today (with ``all_``, the whole register, newest first)."""
    from atti.archive import albo

    pubs = albo.publications(archive)
    if not all_:
        pubs = [p for p in pubs if p.stato() == albo.IN_PUBBLICAZIONE]
    return sorted(pubs, key=lambda p: (p.anno, p.numero), reverse=True)


def esecutivita(archive: Archive, act_id: str) -> Esecutivita:
    """When the archived act is (or will be) executive, and by which rule."""
    from atti.archive import albo
    from atti.archive.esecutivita import esecutivita as compute

    record = archive.get(act_id)
    return compute(archive, record, albo.source_act(archive, record))
