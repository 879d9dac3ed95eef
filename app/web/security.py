"""Request guards that run before any route: who may call, from where, and what headers
every answer carries.

- Without a token the dashboard only answers to a loopback ``Host`` header, which stops a
  web page on another origin from reaching it through DNS rebinding.
- With a token, every request must carry it (``Authorization: Bearer``, ``X-Ohm-Token``
  or the login cookie); static files are exempt because they hold no data.
- State-changing requests must come from the dashboard's own origin (``Sec-Fetch-Site``
  or ``Origin``). JSON calls must also send ``X-Ohm-Client`` (a custom header a cross-site
  page cannot add without a CORS preflight, which is never granted); form posts carry a
  per-browser CSRF token checked by ``require_form_csrf``.
- A request body over ``OHM_MAX_BODY_BYTES`` (default 1 MiB) is refused with 413: at
  once when ``Content-Length`` says so, else as soon as the body grows past the limit.
- Every answer forbids inline script, framing and MIME sniffing.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Form, HTTPException
from starlette.datastructures import URL, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nodes.limits import max_body_bytes

from .config import WebConfig, is_loopback
from .templating import error_page, page

CSRF_COOKIE = "ohm_csrf"
AUTH_COOKIE = "ohm_auth"
CLIENT_HEADER = "x-ohm-client"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PREFIXES = ("/static/", "/login", "/favicon.ico")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def wants_json(path: str) -> bool:
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class Guard:
    """ASGI middleware applying the rules in this module's docstring."""

    def __init__(self, app: ASGIApp, config: WebConfig) -> None:
        self.app = app
        self.config = config
        self.max_body = max_body_bytes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        csrf = request.cookies.get(CSRF_COOKIE) or ""
        new_csrf = None
        if len(csrf) < 32:
            csrf = new_csrf = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = csrf

        refusal = self._refuse(request) or self._too_large(request)
        if refusal is not None:
            await self._send(refusal, new_csrf, scope, receive, send)
            return
        await self._send(self.app, new_csrf, scope, self._bounded(receive, request), send)

    def _too_large(self, request: Request) -> ASGIApp | None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return self._error(request, 413, "Too large", self._size_message())
        return None

    def _size_message(self) -> str:
        return (
            f"the request body is larger than {self.max_body:,} bytes, the dashboard's limit "
            "(OHM_MAX_BODY_BYTES)"
        )

    def _bounded(self, receive: Receive, request: Request) -> Receive:
        """``receive`` that stops a body sent without a length once it passes the limit."""
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise HTTPException(413, self._size_message())
            return message

        return bounded

    async def _send(
        self, app: ASGIApp, new_csrf: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if new_csrf is not None:
                    headers.append(
                        "set-cookie",
                        f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Strict",
                    )
            await send(message)

        await app(scope, receive, wrapped)

    def _refuse(self, request: Request) -> ASGIApp | None:
        path = request.url.path
        host = request.headers.get("host", "")
        if self.config.token is None and not is_loopback(_host_name(host)):
            return self._error(
                request,
                421,
                "Wrong address",
                f"this dashboard only answers on localhost, not {host!r}",
            )
        if self.config.token is not None and not path.startswith(PUBLIC_PREFIXES):
            given = self._presented_token(request)
            if given == "query":
                return self._login_redirect(request)
            if given is None:
                if wants_json(path):
                    return JSONResponse(
                        {
                            "detail": "missing or wrong dashboard token: send "
                            "'Authorization: Bearer $OHM_DASHBOARD_TOKEN'"
                        },
                        status_code=401,
                        headers={"www-authenticate": "Bearer"},
                    )
                query = urlencode({"next": request.url.path})
                return RedirectResponse(f"/login?{query}", status_code=303)
        if request.method not in SAFE_METHODS:
            problem = self._cross_site_problem(request)
            if problem:
                return self._error(request, 403, "Refused", problem)
            if wants_json(path) and not request.headers.get(CLIENT_HEADER):
                return self._error(
                    request,
                    403,
                    "Refused",
                    "JSON requests that change data must send the header 'X-Ohm-Client' "
                    "(any value)",
                )
        return None

    def _presented_token(self, request: Request) -> str | None:
        """'ok' for a valid token, 'query' for a valid ``?token=`` to swap for a cookie."""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and self.config.token_matches(auth[7:].strip()):
            return "ok"
        header = request.headers.get("x-ohm-token")
        if header and self.config.token_matches(header):
            return "ok"
        cookie = request.cookies.get(AUTH_COOKIE)
        if cookie and self.config.cookie_matches(cookie):
            return "ok"
        query = request.query_params.get("token")
        if request.method == "GET" and query and self.config.token_matches(query):
            return "query"
        return None

    def _login_redirect(self, request: Request) -> Response:
        """Trade a token in the address for a cookie, and drop it from the address."""
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = URL(path=request.url.path, query=urlencode(params))
        response = RedirectResponse(str(target), status_code=303)
        set_login_cookie(response, self.config)
        return response

    @staticmethod
    def _cross_site_problem(request: Request) -> str | None:
        site = request.headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return f"cross-site request refused (Sec-Fetch-Site: {site})"
        origin = request.headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            if origin == "null" or parts.netloc != request.headers.get("host", ""):
                return f"request from another origin refused ({origin})"
        return None

    @staticmethod
    def _error(request: Request, status: int, title: str, message: str) -> Response:
        if wants_json(request.url.path):
            return JSONResponse({"detail": message}, status_code=status)
        return error_page(request, status, title, message)


def set_login_cookie(response: Response, config: WebConfig) -> None:
    response.set_cookie(
        AUTH_COOKIE, config.cookie_value(), httponly=True, samesite="strict", path="/"
    )


async def require_form_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Form posts must echo the token from this browser's cookie."""
    expected = request.cookies.get(CSRF_COOKIE) or ""
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        raise HTTPException(
            status_code=403, detail="this form has expired: reload the page and try again"
        )


def login_page(request: Request, next_path: str, failed: bool) -> Response:
    return page(
        request,
        "login.html",
        401 if failed else 200,
        next_path=next_path
        if next_path.startswith("/") and not next_path.startswith("//")
        else "/",
        failed=failed,
    )
