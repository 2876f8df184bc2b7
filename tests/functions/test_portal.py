"""The portal's serving: assets, the HTML shell, security headers, and what it never serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.portal import CONTENT_SECURITY_POLICY, portal_response
from tests.api_client import ApiClient

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A built portal as Vite lays it out."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>shell</title><div id=root></div>")
    (root / "assets" / "index-AbC123.js").write_text("console.log('portal')")
    (root / "assets" / "index-AbC123.css").write_text("body{margin:0}")
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside the portal")
    return root


def assert_html_headers(response) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "connect-src 'self'",
    ):
        assert directive in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize(
    "path",
    [
        "",
        "purchase",
        "sign-in",
        "subscriptions/3f2a",
        "invitations/abc.def",
        "help",
        "help/admin-approval",
    ],
)
def test_pages_get_the_shell_uncached_with_security_headers(dist: Path, path: str) -> None:
    response = portal_response(path, dist, https=False)

    assert response.status_code == 200
    assert b"<title>shell</title>" in response.get_body()
    assert_html_headers(response)
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_when_the_portal_is_served_over_https(dist: Path) -> None:
    response = portal_response("", dist, https=True)

    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_an_unknown_page_gets_the_shell_with_404_so_the_portal_says_so(dist: Path) -> None:
    response = portal_response("no-such-page", dist, https=False)

    assert response.status_code == 404
    assert b"<title>shell</title>" in response.get_body()
    assert_html_headers(response)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("assets/index-AbC123.js", "text/javascript; charset=utf-8"),
        ("assets/index-AbC123.css", "text/css; charset=utf-8"),
    ],
)
def test_hashed_assets_are_immutable_with_their_type(
    dist: Path, path: str, content_type: str
) -> None:
    response = portal_response(path, dist, https=False)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_body() == (dist / path).read_bytes()


def test_unhashed_files_are_revalidated(dist: Path) -> None:
    response = portal_response("favicon.svg", dist, https=False)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    ["assets/missing-123.js", "assets/", "robots.txt", "index.html/../secret.txt"],
)
def test_missing_files_are_404_never_the_shell(dist: Path, path: str) -> None:
    response = portal_response(path, dist, https=False)

    assert response.status_code == 404
    assert b"shell" not in response.get_body()


@pytest.mark.parametrize(
    "path",
    ["../secret.txt", "assets/../../secret.txt", "..", "assets/..%2f..%2fsecret.txt", ".env"],
)
def test_paths_outside_the_portal_are_404(dist: Path, path: str) -> None:
    response = portal_response(path, dist, https=False)

    assert response.status_code == 404
    assert b"outside the portal" not in response.get_body()
    assert b"shell" not in response.get_body()


def test_without_a_build_the_page_says_to_run_make_run(tmp_path: Path) -> None:
    response = portal_response("", tmp_path / "dist", https=False)

    assert response.status_code == 503
    assert b"make run" in response.get_body()
    assert_html_headers(response)


@pytest.mark.parametrize("path", ["api", "api/", "api/no-such-endpoint", "API/Nope/deeper"])
def test_an_unknown_api_path_is_a_problem_document(dist: Path, path: str) -> None:
    response = portal_response(path, dist, https=False)

    assert response.status_code == 404
    assert response.mimetype == PROBLEM_JSON
    assert b'"code": "not_found"' in response.get_body()


# Through the real function app on the local host: the catch-all never shadows the API.


def test_the_api_still_answers_before_the_portal(api: ApiClient) -> None:
    response = api.get("/api/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/no-such-endpoint", "/api", "/api/subscriptions/x/nope"])
def test_unknown_api_paths_on_the_host_are_json_404(api: ApiClient, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert response.json()["code"] == "not_found"


def test_the_root_is_an_html_page_with_security_headers(api: ApiClient) -> None:
    for method in ("GET", "HEAD"):
        response = api.request(method, "/")

        assert response.status_code in (200, 503)  # 503: the portal is not built
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_portal_is_not_part_of_the_api_document(api: ApiClient) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]

    assert all(path.startswith("/api/") for path in paths)
    assert "/{*path}" not in paths and "/{path}" not in paths
