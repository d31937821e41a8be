"""The web archive: an ASGI application (Starlette) over the archive's library API.

Pages in Italian, rendered on the server with Jinja2 (autoescaped) and working without
JavaScript; a JSON API under ``/api/`` answers the same searches and acts with the same access
rules (:mod:`atti.web.access`). Handlers are plain functions, which Starlette runs in its thread
pool: the archive's SQLite connection is opened once per thread.
"""

from __future__ import annotations

import ipaddress
import math
import re
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from atti import pipeline
from atti.archive import albo
from atti.archive import query as parsed
from atti.archive import search as fts
from atti.archive.archive import Archive
from atti.archive.esecutivita import Esecutivita, esecutivita
from atti.archive.records import ActRecord, BlobRef
from atti.archive.search import HIGHLIGHT, Filters, parse_date
from atti.archive.visibility import Viewer, Visible, is_draft, is_reserved
from atti.config import Settings
from atti.errors import ActNotFound, ArchiveError, AttiError, SearchError, SigningError
from atti.export import feeds
from atti.i18n import N_, _, language, translate
from atti.signing import esiti
from atti.web import access, documents, parole
from atti.web.headers import SecurityHeaders
from atti.web.session import Clock, SessionMiddleware, csrf_ok, csrf_token, session_store
from atti.web.signin import SignIn
from atti.web.users import User, UserStore

PAGE_SIZE = 20
MAX_PAGE = 500  # deep pages cost the catalog more than anyone reads
_STATIC = Path(__file__).parent / "static"

FACETS = (  # the facet (its GET parameter too), its title
    ("registro", "Registro"),
    ("anno", "Anno"),
    ("tipo", "Tipo"),
    ("firmatario", "Firmatario"),
    ("stato", "Stato"),
)
_SEARCH_PARAMS = ("q", "registro", "anno", "dal", "al", "tipo", "firmatario", "stato")


# What a search's size is counted in (atti.archive.search.query_size), as the message says it.
_QUERY_UNITS = {"characters": N_("characters"), "words": N_("words")}


class FieldError(SearchError):
    """A search parameter the page cannot read, said in Italian, with the field that holds it: the
    page marks that field invalid and ties the message to it."""

    def __init__(self, msg: str, field: str) -> None:
        super().__init__(msg)
        self.field = field


@dataclass(frozen=True)
class WebConfig:
    """How the web archive runs; built by ``atti serve`` from its options and ATTI_* variables."""

    archive: Path | str  # a directory or a postgresql:// URL (see atti.archive.storage.location)
    host: str = "127.0.0.1"
    port: int = 8000
    # Secure cookies: None marks them Secure unless the server listens on a loopback address only
    # (plain http on this machine); True or False says so whatever the address.
    secure_cookies: bool | None = None
    settings: Settings | None = None  # the S3 bucket of a database archive [default: environment, atti.toml]


def highlight(snippet: str, query: str) -> Markup:
    """A snippet from the catalog, escaped, with the words it marked [like this] in <mark>.

    Only a bracketed word the query searched for (atti.archive.query.marker) is highlighted, so brackets in the
    act's own text stay text; everything else is escaped.
    """
    marked = parsed.marker(parsed.lenient(query))
    pattern = re.compile(re.escape(HIGHLIGHT[0]) + r"(\w+)" + re.escape(HIGHLIGHT[1]))
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(snippet):
        if not marked(m.group(1)):
            continue
        out += [str(escape(snippet[pos:m.start()])), f"<mark>{escape(m.group(1))}</mark>"]
        pos = m.end()
    out.append(str(escape(snippet[pos:])))
    return Markup("".join(out))


def estremi(record: ActRecord) -> str:
    """"Determinazione D.O. n. 129/2026"; a draft has no number yet."""
    number = f"n. {record.numero}/{record.anno}" if record.numero is not None else f"(bozza {record.anno})"
    return f"{record.tipo.capitalize()} {record.registro} {number}"


def plain(snippet: str, query: str) -> str:
    """The snippet without the catalog's marks, for the API (which gives the marked words apart)."""
    return re.sub(re.escape(HIGHLIGHT[0]) + r"(\w+)" + re.escape(HIGHLIGHT[1]), r"\1", snippet)


class WebArchive:
    """The application's state: the archive (one connection per thread), users, templates."""

    def __init__(self, config: WebConfig, clock: Clock = time.time) -> None:
        self.config = config
        # Opened now for a clear error rather than one at the first request. Users, the session
        # key and the caches live in the archive's state directory.
        with Archive.open(config.archive, settings=config.settings) as archive:
            self.state_dir = archive.state_dir
        self.sessions = session_store(self.state_dir, config.settings, clock)
        self.users = UserStore(self.state_dir, self.sessions)
        self.signin = SignIn(self.users, self.sessions, self.state_dir, clock=clock)
        self._local = threading.local()
        self.templates = Environment(
            loader=PackageLoader("atti.web", "templates"), autoescape=select_autoescape(default=True),
            trim_blocks=True, lstrip_blocks=True,
        )
        self.templates.filters["data_it"] = lambda d: d.strftime("%d/%m/%Y") if d else ""
        self.templates.filters["estremi"] = estremi
        # The verification report speaks English; the act page says it in Italian.
        self.templates.globals["esiti"] = esiti
        self.templates.globals["parole"] = parole
        # The library's messages (a refused review, a draft not published) are in atti's language
        # (atti.i18n): marked lang="en" on the Italian page only when that language is English.
        self.templates.globals["lingua_messaggi"] = language

    @property
    def archive(self) -> Archive:
        arc: Archive | None = getattr(self._local, "archive", None)
        if arc is None:
            arc = self._local.archive = Archive.open(self.config.archive, settings=self.config.settings)
        return arc

    # -- who is asking -------------------------------------------------------------------------

    def user(self, request: Request) -> User | None:
        name = request.session.get("user")
        return self.users.get(name) if isinstance(name, str) else None

    def viewer(self, request: Request) -> Viewer:
        return access.viewer_of(self.user(request))

    def visible(self, request: Request, act_id: str) -> ActRecord | None:
        """The act when this viewer may see it; None both when hidden and when absent.

        For a viewer without the personal grant the record's PDF is the publication copy (an act
        marking personal data without one has none: nothing rather than the full text)."""
        viewer = self.viewer(request)
        record = Visible(self.archive, viewer).get(act_id)
        if record is None or viewer.personal or is_draft(record):
            return record
        return replace(record, pdf=albo.publication_pdf(self.archive, record) or BlobRef("", "pdf"))

    def full_text(self, request: Request, record: ActRecord) -> bool:
        """Whether this viewer is given the act's full text: the personal grant, or an act that
        marks no personal data (its public PDF is its own)."""
        if self.viewer(request).personal or is_draft(record):
            return True
        return record.pdf == self.archive.get(record.id).pdf

    # -- responses ------------------------------------------------------------------------------

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        # csrf() is called by the forms that need it: a public reader who never meets a form gets
        # no session cookie at all.
        html = self.templates.get_template(template).render(
            request=request, user=self.user(request), csrf=lambda: csrf_token(request.session), **context
        )
        return HTMLResponse(html, status_code=status)

    def not_found(self, request: Request) -> Response:
        # Read who is asking whatever the way in: every 404 then carries the same Vary: Cookie,
        # so a hidden act's answer cannot be told from a missing one's by its headers.
        self.user(request)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "atto non trovato"}, status_code=404)
        return self.page(request, "errore.html", 404, title="Atto non trovato",
                         message="Non c'è un atto con questo identificativo.")

    # -- search -------------------------------------------------------------------------------

    def run_search(self, request: Request) -> dict[str, Any]:
        p = request.query_params
        args = {k: p.get(k, "").strip() for k in _SEARCH_PARAMS}
        if (size := fts.query_size(args["q"])) is not None:  # the library's bound, said in the page's words
            unit = translate(_QUERY_UNITS[size[1]])
            too_long = _("The search is too long ({size} {unit}): use at most {chars} characters and {words} words.")
            raise FieldError(too_long.format(size=size[0], unit=unit, chars=fts.MAX_QUERY_CHARS,
                                             words=fts.MAX_QUERY_WORDS), "q")
        if args["anno"] and not re.fullmatch(r"\d{4}", args["anno"]):
            raise FieldError(_("Not a valid year: «{anno}» (write it with four digits, e.g. 2026).").format(
                anno=args["anno"]), "anno")
        year = int(args["anno"]) if args["anno"] else None
        for key, label in (("dal", "Dal"), ("al", "Al")):
            try:
                parse_date(args[key], key)
            except SearchError:
                not_a_date = _("{label}: «{value}» is not a date (YYYY-MM-DD or DD/MM/YYYY).")
                raise FieldError(not_a_date.format(label=label, value=args[key]), key) from None
        if (d1 := parse_date(args["dal"], "dal")) and (d2 := parse_date(args["al"], "al")) and d1 > d2:
            raise FieldError(_("The date «dal» is after the date «al»."), "dal")
        try:
            page = max(1, min(MAX_PAGE, int(p.get("pagina", "1") or 1)))
        except ValueError:
            page = 1
        filters = Filters.parse(registro=args["registro"], anno=year, dal=args["dal"], al=args["al"],
                                tipo=args["tipo"], firmatario=args["firmatario"], stato=args["stato"])
        filters = self.viewer(request).filters(filters)
        arc, query = self.archive, args["q"]
        total = arc.count(query, filters)
        hits = arc.search(query, filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        facets = arc.facets(query, filters)
        return {"args": args, "page": page, "page_size": PAGE_SIZE, "pages": max(1, math.ceil(total / PAGE_SIZE)),
                "total": total, "hits": hits, "facets": facets}

    def search_page(self, request: Request) -> Response:
        try:
            found = self.run_search(request)
        except SearchError as exc:
            args = {k: request.query_params.get(k, "") for k in _SEARCH_PARAMS}
            error = getattr(exc, "italian", exc.msg)  # a malformed query says it in Italian
            return self.page(request, "ricerca.html", 400, error=error, args=args, hits=[], total=0, page=1,
                             page_size=PAGE_SIZE, pages=1, facets={}, facet_defs=FACETS, link=lambda **kw: "",
                             error_field=exc.field if isinstance(exc, FieldError) else "q")
        args = found["args"]

        def link(**changes: Any) -> str:
            params = {**{k: v for k, v in args.items() if v}, **{k: v for k, v in changes.items()}}
            return "/?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

        hits = [(h, highlight(h.snippet, args["q"])) for h in found["hits"]]
        return self.page(request, "ricerca.html", **{**found, "hits": hits}, facet_defs=FACETS, link=link,
                         error=None, error_field=None)

    def api_search(self, request: Request) -> Response:
        try:
            found = self.run_search(request)
        except SearchError as exc:
            return JSONResponse({"error": getattr(exc, "italian", exc.msg)}, status_code=400)
        q = found["args"]["q"]
        return JSONResponse({
            "query": found["args"], "page": found["page"], "pages": found["pages"], "total": found["total"],
            "results": [{**_public_record(h.record), "snippet": plain(h.snippet, q), "score": round(h.score, 4),
                         "url": f"/atti/{h.record.id}"} for h in found["hits"]],
            "facets": {k: [[v, n] for v, n in values] for k, values in found["facets"].items()},
        })

    # -- acts ---------------------------------------------------------------------------------

    def act_data(self, request: Request, record: ActRecord) -> dict[str, Any]:
        """What the act page and /api/atti/{id} show; links to acts this viewer cannot see are cut."""
        arc = self.archive
        settings = self.config.settings
        visible = Visible(arc, self.viewer(request))
        versions = visible.versions(record.id)
        full = self.full_text(request, record)
        return {
            "record": record,
            "parts": documents.act_parts(arc, record, personal=full),
            "versions": versions,
            "diffs": visible.diffs(versions),
            "cites": visible.cites(record.id),
            "cited_by": visible.cited_by(record.id),
            # A draft's PDF is an unsigned preview: nothing to verify.
            "verification": None if is_draft(record) else documents.verification(
                arc, record, tsl=settings.trusted_lists if settings else (),
                tsl_signers=settings.trusted_list_signers if settings else (),
            ),
            "pages": documents.page_count(arc, record),
            "has_pdf": documents.has_pdf(record),
            # For a viewer without the personal grant, an act marking personal data is exported as its
            # publication copy (atti.export.package), once it has one.
            "exportable": not is_draft(record) and documents.has_pdf(record),
            "publications": [p for p in albo.of_act(arc, record.id)],
            "esecutivita": self.esecutivita_of(record),
            "publication_copy": not full,
            # The review form, for a reviewer, on a draft in verifica: its verifiche as (tipo, nome, esito).
            "reviewable": documents.verifiche(arc, record) if self._reviews(request, record) else [],
            "shows_actors": visible.viewer.drafts,
            # When a conservatore's receipt of a pacchetto di versamento with this act was recorded.
            "transfers": [{"recorded_at": t["recorded_at"], "conservatore": t["conservatore"]}
                          for t in pipeline.transfers(arc, record.id)],
        }

    def _reviews(self, request: Request, record: ActRecord) -> bool:
        user = self.user(request)
        return user is not None and user.role == "reviewer" and record.stato == "in verifica"

    def act_page(self, request: Request) -> Response:
        record = self.visible(request, request.path_params["act_id"])
        if record is None:
            return self.not_found(request)
        return self.act_response(request, record)

    def act_response(self, request: Request, record: ActRecord, status: int = 200, **review: Any) -> Response:
        """The act page; ``review``: a refused review's error, the field it is about and what was sent."""
        data = self.act_data(request, record)
        return self.page(request, "atto.html", status, **data, max_previews=documents.MAX_PREVIEW_PAGES,
                         reserved=is_reserved(record), draft=is_draft(record), **review)

    def api_act(self, request: Request) -> Response:
        record = self.visible(request, request.path_params["act_id"])
        if record is None:
            return self.not_found(request)
        d = self.act_data(request, record)
        return JSONResponse({
            **_public_record(record),
            "riservato": is_reserved(record),
            "parts": {name: items for name, _title, items in d["parts"]},
            "versions": [v.to_dict() for v in d["versions"]],
            "diffs": [x.to_dict() for x in d["diffs"]],
            "cites": [{**r.to_dict(), "target_id": r.target_id if r.present else None} for r in d["cites"]],
            "cited_by": [r.to_dict() for r in d["cited_by"]],
            "verification": d["verification"],
            "versamenti": d["transfers"],
            "pages": d["pages"],
            "esecutivita": d["esecutivita"].to_dict() if d["esecutivita"] else None,
            "albo": [{**p.to_dict(), "attestato": f"{p.url}/attestato.pdf" if p.attestato else None}
                     for p in d["publications"]],
            "downloads": {
                "pdf": f"/atti/{record.id}/pdf" if d["has_pdf"] else None,
                "package": f"/atti/{record.id}/pacchetto.zip" if d["exportable"] else None,
                "metadata": f"/atti/{record.id}/metadati.xml" if d["exportable"] else None,
            },
        })

    def download(self, request: Request) -> Response:
        record = self.visible(request, request.path_params["act_id"])
        if record is None:
            return self.not_found(request)
        kind = request.path_params["kind"]
        arc, viewer = self.archive, self.viewer(request)
        if kind == "pdf" and not documents.has_pdf(record):
            return self.not_found(request)
        if kind in ("pacchetto.zip", "metadati.xml") and (is_draft(record) or not documents.has_pdf(record)):
            # A draft is not exported: it has no number nor signature yet; nor is an act that marks
            # personal data and has no publication copy yet, to a viewer without the grant.
            return self.not_found(request)
        if kind == "pdf":
            data, media, name = arc.blobs.get(record.pdf), "application/pdf", f"{record.id}.pdf"
        elif kind == "pacchetto.zip":
            data, media, name = (documents.package_zip(arc, record, viewer, self.config.settings), "application/zip",
                                 f"{record.id}.zip")
        elif kind == "metadati.xml":
            metadata = documents.metadata_xml(arc, record, viewer, self.config.settings)
            if metadata is None:
                return self.not_found(request)  # the body's settings (IPA code, AOO, PEC) are not given
            data, media = metadata, "application/xml"
            name = f"{record.id}-metadati.xml"
        else:
            return self.not_found(request)
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type=media, headers=headers)

    def preview(self, request: Request) -> Response:
        record = self.visible(request, request.path_params["act_id"])
        if record is None:
            return self.not_found(request)
        png = documents.preview(self.archive, record, request.path_params["page"])
        if png is None:
            return self.not_found(request)
        return Response(png, media_type="image/png")

    async def review(self, request: Request) -> Response:
        """A reviewer's esito on one verifica of a draft in verifica (the act page's form)."""
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            return self.page(request, "errore.html", 403, title="Richiesta rifiutata",
                             message="Sessione scaduta o modulo non valido: riprova dalla pagina.")
        from starlette.concurrency import run_in_threadpool

        record = await run_in_threadpool(self.visible, request, request.path_params["act_id"])
        if record is None:
            return self.not_found(request)
        user = self.user(request)
        if user is None or not self._reviews(request, record):
            return self.page(request, "errore.html", 403, title="Richiesta rifiutata",
                             message="Solo un revisore può approvare o respingere una bozza in verifica.")
        esito, note, verifica = str(form.get("esito", "")), str(form.get("nota", "")), str(form.get("verifica", ""))

        def refused(error: str, field: str | None = None, detail: str | None = None) -> Response:
            # The act page again, with the form as it was sent and the error tied to its field.
            return self.act_response(request, record, 400, review_error=error, review_field=field,
                                     review_detail=detail, review_note=note, review_verifica=verifica)

        if esito not in ("positivo", "negativo"):
            return await run_in_threadpool(refused, "scegli se approvare o respingere la verifica.")
        if esito == "negativo" and not note.strip():
            # pipeline.review refuses it too; said here in Italian, about the field to fill.
            return await run_in_threadpool(
                refused, "per respingere serve una nota che dica cosa cambiare.", "nota")
        try:
            # self.archive inside the worker thread: each thread has its own connection.
            await run_in_threadpool(lambda: pipeline.review(
                self.archive, record.id, approve=esito == "positivo", verifica=verifica or None,
                note=note, actor=user.name,
            ))
        except AttiError as exc:  # the library's words, in atti's language: marked lang="en" when English
            return await run_in_threadpool(refused, "la revisione non è stata registrata.", None, exc.msg)
        return RedirectResponse(f"/atti/{record.id}#versioni", status_code=303)

    # -- batch publication with one remote authorisation ("firma massiva") --------------------

    def _officer(self, request: Request) -> Response | None:
        """None for a signed-in officer; else the sign-in page (nobody signed in) or a 403."""
        user = self.user(request)
        if user is None:
            return RedirectResponse("/accesso?" + urlencode({"next": "/firma"}), status_code=303)
        if user.role != "officer":
            return self.page(request, "errore.html", 403, title="Richiesta rifiutata",
                             message="Solo un funzionario può pubblicare le bozze con la firma remota.")
        return None

    def _signing_page(self, request: Request, status: int = 200, **context: Any) -> Response:
        settings = self.config.settings or Settings()
        ready = pipeline.ready_drafts(self.archive, settings) if settings.remote is not None else []
        context.setdefault("selected", [])
        return self.page(request, "firma.html", status, remote=settings.remote, drafts=ready, **context)

    def signing_form(self, request: Request) -> Response:
        """The officer's drafts ready to publish, to sign in one batch with one OTP."""
        return self._officer(request) or self._signing_page(request)

    async def sign_batch(self, request: Request) -> Response:
        """Publish the chosen drafts with the configured remote key, one authorisation for all.

        The OTP and the PIN live only in this request: handed to the signing service through the
        prompt, never stored in the session, the archive or a log, and never shown back."""
        from starlette.concurrency import run_in_threadpool

        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            return self.page(request, "errore.html", 403, title="Richiesta rifiutata",
                             message="Sessione scaduta o modulo non valido: riprova dalla pagina.")
        refused = self._officer(request)
        if refused is not None:
            return refused
        user = self.user(request)
        assert user is not None
        settings = self.config.settings or Settings()
        if settings.remote is None:
            return await run_in_threadpool(self._signing_page, request, 400)
        chosen = [str(v) for v in form.getlist("bozze")]
        otp, pin = str(form.get("otp", "")).strip(), str(form.get("pin", ""))

        def again(error: str, field: str) -> Response:
            return self._signing_page(request, 400, error=error, error_field=field, selected=chosen)

        ready = {r.id for r in await run_in_threadpool(lambda: pipeline.ready_drafts(self.archive, settings))}
        if not chosen or not set(chosen) <= ready:
            return await run_in_threadpool(again, "scegli almeno una delle bozze pronte da pubblicare.", "bozze")
        if not otp:
            return await run_in_threadpool(again, "scrivi l'OTP che il servizio di firma ti ha dato.", "otp")

        def prompt(question: str) -> bytes:
            # Only the OTP and the PIN come from the form; the service's client secret, from the
            # server's environment (atti.signing.csc), else the authorisation cannot happen.
            if question.startswith("OTP"):
                return otp.encode()
            if question.startswith("PIN") and pin:
                return pin.encode()
            raise SigningError("PIN" if question.startswith("PIN") else "secret")  # i18n: not a message

        try:
            batch = await run_in_threadpool(lambda: pipeline.publish_many(
                self.archive, [], settings, prompt=prompt, actor=user.name, drafts=chosen))
        except AttiError as exc:
            return await run_in_threadpool(again, _signing_error(exc), "otp" if _about_otp(exc) else "")
        if batch.stopped is not None and not batch.published:
            error = (OTP_REFUSED if batch.refused else
                     "il servizio di firma remota non risponde: nessun atto è stato firmato. Riprova più tardi.")
            return await run_in_threadpool(again, error, "otp" if batch.refused else "")
        return self.page(request, "firma.html", remote=settings.remote, batch=batch, drafts=[], selected=[])

    # -- the Albo pretorio online ----------------------------------------------------------------

    def esecutivita_of(self, record: ActRecord) -> Esecutivita | None:
        if record.numero is None:
            return None
        try:
            return esecutivita(self.archive, record, albo.source_act(self.archive, record))
        except ArchiveError:
            return None

    def albo_entries(self, request: Request) -> list[tuple[albo.Publication, ActRecord]]:
        """Every publication of the register whose act this viewer may see, newest first."""
        visible = Visible(self.archive, self.viewer(request))
        out = []
        for p in reversed(albo.publications(self.archive)):
            record = visible.get(p.act_id)
            if record is not None:
                out.append((p, record))
        return out

    def albo_page(self, request: Request) -> Response:
        p = request.query_params
        args = {"q": p.get("q", "").strip()[:200], "tipo": p.get("tipo", "").strip()[:40],
                "elenco": "registro" if p.get("elenco") == "registro" else ""}
        entries = self.albo_entries(request)
        tipi = sorted({r.tipo for _, r in entries})
        if not args["elenco"]:
            entries = [(pub, r) for pub, r in entries if pub.stato() == albo.IN_PUBBLICAZIONE]
        if args["tipo"]:
            entries = [(pub, r) for pub, r in entries if r.tipo == args["tipo"]]
        if args["q"]:
            words = args["q"].casefold().split()
            entries = [(pub, r) for pub, r in entries
                       if all(w in f"{r.oggetto} {r.id} {r.numero}/{r.anno} {pub.numero}/{pub.anno}".casefold()
                              for w in words)]
        rows = [(pub, r, self.esecutivita_of(r)) for pub, r in entries]
        return self.page(request, "albo.html", rows=rows, args=args, tipi=tipi, oggi=albo.today())

    def publication_of(self, request: Request) -> tuple[albo.Publication, ActRecord] | None:
        try:
            pub = albo.publication(self.archive, int(request.path_params["anno"]), int(request.path_params["numero"]))
        except ActNotFound:
            return None
        record = self.visible(request, pub.act_id)
        return None if record is None else (pub, record)

    def publication_page(self, request: Request) -> Response:
        found = self.publication_of(request)
        if found is None:
            return self.not_found(request)
        pub, record = found
        return self.page(request, "pubblicazione.html", pub=pub, record=record, oggi=albo.today(),
                         esecutivita=self.esecutivita_of(record), has_pdf=documents.has_pdf(record))

    def attestato(self, request: Request) -> Response:
        found = self.publication_of(request)
        if found is None or found[0].attestato is None:
            return self.not_found(request)
        pub = found[0]
        assert pub.attestato is not None
        name = f"attestato-{pub.anno}-{pub.numero}.pdf"
        return Response(self.archive.blobs.get(pub.attestato), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def feed_items(self, request: Request) -> tuple[feeds.Channel, list[feeds.AlboItem]]:
        base = str(request.base_url).rstrip("/")
        entries = [(p, r) for p, r in self.albo_entries(request) if p.stato() == albo.IN_PUBBLICAZIONE]
        settings = self.config.settings or Settings()
        ente = entries[0][1].ente if entries else self._ente()
        channel = feeds.Channel(ente=ente, tipo_ente=settings.albo_tipo_ente, feed_url=f"{base}{request.url.path}",
                                albo_url=f"{base}/albo", webmaster=settings.albo_webmaster)
        items = []
        for p, r in entries:
            e = self.esecutivita_of(r)
            items.append(feeds.AlboItem(r, p, f"{base}{p.url}", f"{base}/atti/{r.id}/pdf" if documents.has_pdf(r)
                                        else None, 0, e.dal if e else None))
        return channel, items

    def _ente(self) -> str:
        found = self.archive.search("", limit=1, filters=Filters(public_only=True))
        return found[0].record.ente if found else "Albo pretorio"

    def albo_rss(self, request: Request) -> Response:
        channel, items = self.feed_items(request)
        return Response(feeds.albopop_rss(channel, items), media_type="application/rss+xml; charset=utf-8")

    def albo_json(self, request: Request) -> Response:
        channel, items = self.feed_items(request)
        return Response(feeds.json_feed(channel, items), media_type="application/feed+json")

    def api_albo(self, request: Request) -> Response:
        out = []
        for p, r in self.albo_entries(request):
            e = self.esecutivita_of(r)
            out.append({**p.to_dict(), "attestato": f"{p.url}/attestato.pdf" if p.attestato else None,
                        "atto": {**_public_record(r), "url": f"/atti/{r.id}"},
                        "esecutivita": e.to_dict() if e else None})
        return JSONResponse({"pubblicazioni": out})

    # -- Amministrazione Trasparente -------------------------------------------------------------

    def provvedimenti(self, request: Request) -> Response:
        """The list of provvedimenti (art. 23 D.Lgs. 33/2013) of a semester, as HTML or CSV;
        without a semester, the semesters there are."""
        visible = Visible(self.archive, self.viewer(request))
        acts = [r for r in visible.records(self.archive.catalog.all()) if r.numero is not None and not is_draft(r)]
        semestri = sorted({(r.data.year, 1 if r.data.month <= 6 else 2) for r in acts}, reverse=True)
        which = request.path_params.get("semestre")
        if which is None:
            return self.page(request, "trasparenza.html", semestri=semestri, rows=None, semestre=None)
        m = re.fullmatch(r"(\d{4})-([12])\.(csv|html)", which)
        if m is None:
            return self.not_found(request)
        anno, numero, fmt = int(m[1]), int(m[2]), m[3]
        start, end = feeds.semester(anno, numero)
        base = str(request.base_url).rstrip("/")
        rows = feeds.provvedimenti_rows([r for r in acts if start <= r.data <= end], base)
        if fmt == "csv":
            name = f"provvedimenti-{anno}-{numero}.csv"
            return Response(feeds.provvedimenti_csv(rows), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return self.page(request, "trasparenza.html", semestri=semestri, rows=rows, semestre=(anno, numero))

    # -- signing in and out -------------------------------------------------------------------

    def login_form(self, request: Request) -> Response:
        target = _safe_next(request.query_params.get("next"))
        return self.page(request, "accesso.html", error=None, name="", next=target)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("nome", "")), str(form.get("password", ""))
        target = _safe_next(str(form.get("next", "")))
        if not csrf_ok(request.session, form.get("csrf")):
            return self.page(request, "accesso.html", 403, error="Sessione scaduta: riprova.", name=name, next=target)
        from starlette.concurrency import run_in_threadpool

        address = request.client.host if request.client else "-"
        # argon2 is slow on purpose: within limits per account and address, a few at a time.
        outcome = await run_in_threadpool(self.signin.attempt, name, password, address)
        if outcome.user is None:
            status, error = {
                "refused": (429, f"Troppi tentativi di accesso: riprova tra {outcome.retry_after} secondi."),
                "busy": (503, "Troppi accessi in corso: riprova tra qualche secondo."),
            }.get(outcome.result, (401, "Nome utente o password errati."))
            # Only a wrong name or password is about the fields; the others are about when to retry.
            answer = self.page(request, "accesso.html", status, error=error, name=name, next=target,
                               invalid_fields=status == 401)
            if outcome.retry_after:
                answer.headers["Retry-After"] = str(outcome.retry_after)
            return answer
        # A new session at sign-in: nothing set before it carries over, and its id is new
        # (atti.web.session rotates it whenever the user changes).
        request.session.clear()
        request.session.update(user=outcome.user.name, generation=outcome.user.generation)
        csrf_token(request.session)
        return RedirectResponse(target, status_code=303)

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            return self.page(request, "errore.html", 403, title="Richiesta rifiutata",
                             message="Sessione scaduta o modulo non valido: riprova dalla pagina.")
        request.session.clear()
        return RedirectResponse("/", status_code=303)


OTP_REFUSED = ("il servizio di firma ha rifiutato l'OTP (o il PIN): nessun atto è stato firmato. Riprova con un"
               " nuovo OTP.")


def _about_otp(exc: AttiError) -> bool:
    from atti.signing.csc import CSCAuthorisationError

    return isinstance(exc, CSCAuthorisationError) and "secret" not in exc.msg and "token" not in exc.msg


def _signing_error(exc: AttiError) -> str:
    """One Italian sentence for what stopped a batch before any act was attempted."""
    from atti.errors import ServiceError

    if _about_otp(exc):
        return OTP_REFUSED
    if isinstance(exc, ServiceError):
        return "il servizio di firma remota non risponde: nessun atto è stato firmato. Riprova più tardi."
    return ("la firma remota non è configurata correttamente (chiave, credenziale o segreto del servizio):"
            " nessun atto è stato firmato. Avvisa l'amministratore.")


def _public_record(record: ActRecord) -> dict[str, Any]:
    data = record.to_dict()
    data.pop("created_at", None)
    return data


def _safe_next(target: str | None) -> str:
    """Only a path of this site: an open redirect would make the sign-in page a phishing tool."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def secure_cookies(config: WebConfig) -> bool:
    """Whether the session cookie is marked Secure: as configured, else unless the server listens
    on a loopback address only (127.0.0.0/8, ::1, localhost), where plain http stays on this machine."""
    if config.secure_cookies is not None:
        return config.secure_cookies
    if config.host.lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(config.host.strip("[]")).is_loopback
    except ValueError:
        return True  # a host name: whatever it resolves to, it is not known to stay here


class _Starlette(Starlette):
    """Starlette with :class:`SecurityHeaders` outside its own error handling, so that the 500 of
    a bug, which Starlette's outermost middleware answers, carries the headers too."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(config: WebConfig, *, clock: Clock = time.time) -> Starlette:
    """The application; ``clock`` (seconds since the epoch) times sessions and sign-in limits."""
    web = WebArchive(config, clock)

    async def on_error(request: Request, exc: Exception) -> Response:
        msg = exc.msg if isinstance(exc, AttiError) else "errore interno"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": msg}, status_code=500)
        return web.page(request, "errore.html", 500, title="Errore", message=msg)

    async def not_found(request: Request, exc: Exception) -> Response:
        return web.not_found(request)

    routes = [
        Route("/", web.search_page),
        Route("/atti/{act_id}", web.act_page),
        Route("/atti/{act_id}/anteprima/{page:int}.png", web.preview),
        Route("/atti/{act_id}/revisione", web.review, methods=["POST"]),
        Route("/atti/{act_id}/{kind}", web.download),
        Route("/accesso", web.login_form, methods=["GET"]),
        Route("/accesso", web.login, methods=["POST"]),
        Route("/uscita", web.logout, methods=["POST"]),
        Route("/firma", web.signing_form, methods=["GET"]),
        Route("/firma", web.sign_batch, methods=["POST"]),
        Route("/albo", web.albo_page),
        Route("/albo/feed.rss", web.albo_rss),
        Route("/albo/feed.json", web.albo_json),
        Route("/albo/{anno:int}/{numero:int}", web.publication_page),
        Route("/albo/{anno:int}/{numero:int}/attestato.pdf", web.attestato),
        Route("/trasparenza/provvedimenti", web.provvedimenti),
        Route("/trasparenza/provvedimenti/{semestre}", web.provvedimenti),
        Route("/api/albo", web.api_albo),
        Route("/api/search", web.api_search),
        Route("/api/atti/{act_id}", web.api_act),
        Mount("/static", StaticFiles(directory=_STATIC), name="static"),
    ]
    middleware = [
        Middleware(SessionMiddleware, store=web.sessions, generation_of=web.users.generation,
                   secure=secure_cookies(config)),
    ]
    app = _Starlette(routes=routes, middleware=middleware,
                     exception_handlers={404: not_found, AttiError: on_error})
    app.state.web = web
    return app


def serve(config: WebConfig) -> None:
    """Run the web archive with uvicorn until interrupted (``atti serve``)."""
    import uvicorn

    app = create_app(config)
    uvicorn.run(app, host=config.host, port=config.port, log_level="info", proxy_headers=False)


