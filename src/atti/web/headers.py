"""The headers every response of the web archive carries, in one place: a pure ASGI middleware
outside everything else, so that pages, the API, downloads, static files, redirects and every
error (a 404, a 405, the 500 of a bug) carry them alike.

- The security headers: no inline script or style, nothing from elsewhere, never framed.
- ``Cache-Control: no-store`` on whatever may depend on who asks: every response but a static
  file (200 or 304), and a static file too when the request carries the session cookie or the
  response sets one. A shared cache must never keep a signed-in reader's page, nor hand the public's page
  to someone signed in. Public static files (the style sheet) may be cached.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atti.web.session import COOKIE as SESSION_COOKIE

STATIC_PREFIX = "/static/"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self';"
    " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
NO_STORE = "no-store"


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` (and ``Cache-Control: no-store`` where it is due, see the
    module docstring) to the start of every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp, *, cookie: str = SESSION_COOKIE) -> None:
        self.app = app
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carries = any(
            name == b"cookie" and self.cookie in cookie_parser(value.decode("latin-1"))
            for name, value in scope.get("headers", [])
        )
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", []))
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                sets = any(c.startswith(f"{self.cookie}=") for c in headers.getlist("set-cookie"))
                if carries or sets or not (static and message.get("status") in (200, 304)):
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)
