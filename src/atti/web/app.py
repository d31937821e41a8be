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
from dataclasses import dataclass
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
from atti.archive import query as parsed
from atti.archive import search as fts
from atti.archive.archive import Archive
from atti.archive.records import ActRecord
from atti.archive.search import HIGHLIGHT, Filters, parse_date
from atti.archive.visibility import Viewer, Visible, is_draft, is_reserved
from atti.config import Settings
from atti.errors import AttiError, SearchError
from atti.signing import esiti
from atti.web import access, documents
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
        """The act when this viewer may see it; None both when hidden and when absent."""
        return Visible(self.archive, self.viewer(request)).get(act_id)

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
        if (size := fts.query_size(args["q"])) is not None:  # the library's bound, said in Italian
            unit = {"characters": "caratteri", "words": "parole"}[size[1]]
            raise SearchError(f"La ricerca è troppo lunga ({size[0]} {unit}): usa al massimo {fts.MAX_QUERY_CHARS}"
                              f" caratteri e {fts.MAX_QUERY_WORDS} parole.")
        if args["anno"] and not re.fullmatch(r"\d{4}", args["anno"]):
            raise SearchError(f"Anno non valido: «{args['anno']}» (scrivilo con quattro cifre, es. 2026).")
        year = int(args["anno"]) if args["anno"] else None
        for key, label in (("dal", "Dal"), ("al", "Al")):
            try:
                parse_date(args[key], key)
            except SearchError:
                raise SearchError(f"{label}: «{args[key]}» non è una data (AAAA-MM-GG o GG/MM/AAAA).") from None
        if (d1 := parse_date(args["dal"], "dal")) and (d2 := parse_date(args["al"], "al")) and d1 > d2:
            raise SearchError("La data «dal» è successiva alla data «al».")
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
                             page_size=PAGE_SIZE, pages=1, facets={}, facet_defs=FACETS, link=lambda **kw: "")
        args = found["args"]

        def link(**changes: Any) -> str:
            params = {**{k: v for k, v in args.items() if v}, **{k: v for k, v in changes.items()}}
            return "/?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

        hits = [(h, highlight(h.snippet, args["q"])) for h in found["hits"]]
        return self.page(request, "ricerca.html", **{**found, "hits": hits}, facet_defs=FACETS, link=link,
                         error=None)

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
        return {
            "record": record,
            "parts": documents.act_parts(arc, record),
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
            "exportable": not is_draft(record),
            # The review form, for a reviewer, on a draft in verifica: its verifiche as (tipo, nome, esito).
            "reviewable": documents.verifiche(arc, record) if self._reviews(request, record) else [],
            "shows_actors": visible.viewer.drafts,
        }

    def _reviews(self, request: Request, record: ActRecord) -> bool:
        user = self.user(request)
        return user is not None and user.role == "reviewer" and record.stato == "in verifica"

    def act_page(self, request: Request) -> Response:
        record = self.visible(request, request.path_params["act_id"])
        if record is None:
            return self.not_found(request)
        data = self.act_data(request, record)
        return self.page(request, "atto.html", **data, max_previews=documents.MAX_PREVIEW_PAGES,
                         reserved=is_reserved(record), draft=is_draft(record))

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
            "pages": d["pages"],
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
        if kind in ("pacchetto.zip", "metadati.xml") and is_draft(record):
            return self.not_found(request)  # a draft is not exported: it has no number nor signature yet
        if kind == "pdf":
            data, media, name = arc.blobs.get(record.pdf), "application/pdf", f"{record.id}.pdf"
        elif kind == "pacchetto.zip":
            data, media, name = documents.package_zip(arc, record, viewer), "application/zip", f"{record.id}.zip"
        elif kind == "metadati.xml":
            data, media = documents.metadata_xml(arc, record, viewer), "application/xml"
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
        esito = str(form.get("esito", ""))
        if esito not in ("positivo", "negativo"):
            return self.page(request, "errore.html", 400, title="Revisione non registrata",
                             message="Scegli se approvare o respingere la verifica.")
        try:
            # self.archive inside the worker thread: each thread has its own connection.
            await run_in_threadpool(lambda: pipeline.review(
                self.archive, record.id, approve=esito == "positivo", verifica=str(form.get("verifica", "")) or None,
                note=str(form.get("nota", "")), actor=user.name,
            ))
        except AttiError as exc:
            return self.page(request, "errore.html", 400, title="Revisione non registrata", message=exc.msg)
        return RedirectResponse(f"/atti/{record.id}#versioni", status_code=303)

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
            answer = self.page(request, "accesso.html", status, error=error, name=name, next=target)
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


