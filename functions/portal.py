"""Serves the built portal (portal/dist): hashed assets, the HTML shell, security headers.

Registered last in function_app.py: its catch-all route has the lowest precedence, so every
API route matches first, and an unknown `/api/...` path still gets a JSON problem document.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path, PurePosixPath

import azure.functions as func

from functions.http import problem_response
from shared.errors import NotFound
from shared.services import get_services

bp = func.Blueprint()

DIST = Path(__file__).resolve().parent.parent / "portal" / "dist"

# Griffel (Fluent UI's CSS-in-JS) inserts style elements at run time, hence 'unsafe-inline'
# for styles only; scripts come from our own origin and nowhere else.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)
IMMUTABLE = "public, max-age=31536000, immutable"

# The portal's client-side routes: answered with the HTML shell (200). Any other page path
# gets the shell too, with 404, so the portal shows its own "page not found".
_PAGES = re.compile(
    r"^/(?:|purchase|sign-in|help(?:/[a-z0-9-]+)?|subscriptions/[^/]+|invitations/[^/]+)/?$"
)
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain",
    ".map": "application/json",
}
_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SecureMailMerge Licensing</title></head>
<body><main><h1>SecureMailMerge Licensing</h1>
<p>The portal has not been built yet. Run <code>make run</code> (it builds the portal and
starts the service), then reload this page.</p></main></body></html>
"""


@bp.route(route="{*path}", methods=["GET", "HEAD"])
def serve_portal(req: func.HttpRequest) -> func.HttpResponse:
    """The portal: a built asset, or the HTML shell for a page; never an API answer."""
    https = get_services().settings.portal_origin.startswith("https://")
    return portal_response(req.route_params.get("path") or "", DIST, https=https)


def portal_response(path: str, dist: Path, *, https: bool) -> func.HttpResponse:
    """What the portal answers for a request path (without its leading slash)."""
    url_path = "/" + path.lstrip("/")
    parts = PurePosixPath(url_path).parts[1:]
    if parts and parts[0].lower() == "api":
        return problem_response(NotFound(f"there is no API endpoint at {url_path}"))
    if any(part in ("..", ".") or "\\" in part or part.startswith(".") for part in parts):
        return _not_found()

    index = dist / "index.html"
    if not index.is_file():
        return _html(_NOT_BUILT.encode(), status=503, https=https)

    if parts and parts[-1] != "index.html":
        candidate = (dist / Path(*parts)).resolve()
        if candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return _asset(candidate, immutable=parts[0] == "assets")
    if _PAGES.match(url_path):
        return _html(index.read_bytes(), status=200, https=https)
    if parts and (parts[0] == "assets" or PurePosixPath(url_path).suffix):
        return _not_found()
    return _html(index.read_bytes(), status=404, https=https)


def _asset(file: Path, *, immutable: bool) -> func.HttpResponse:
    content_type = _TYPES.get(file.suffix.lower()) or (
        mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    )
    if content_type.startswith("text/") or content_type == "application/json":
        content_type += "; charset=utf-8"
    return func.HttpResponse(
        file.read_bytes(),
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Cache-Control": IMMUTABLE if immutable else "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _html(body: bytes, *, status: int, https: bool) -> func.HttpResponse:
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-cache",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return func.HttpResponse(body, status_code=status, headers=headers)


def _not_found() -> func.HttpResponse:
    return func.HttpResponse(
        "Not found",
        status_code=404,
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )
