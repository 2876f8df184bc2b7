"""A small HTTP client for tests: a cookie jar per user and the portal's Origin header."""

from __future__ import annotations

from typing import Any

import requests


class ApiClient:
    def __init__(self, base_url: str, origin: str) -> None:
        self.base_url = base_url
        self.origin = origin
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {}) or {}
        if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
            headers.setdefault("Origin", self.origin)
        return self.session.request(
            method,
            self.base_url + path,
            headers=headers,
            timeout=30,
            allow_redirects=False,
            **kwargs,
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def fresh(self) -> ApiClient:
        """Another client of the same app with an empty cookie jar (another browser)."""
        return ApiClient(self.base_url, self.origin)

    def login(self, email: str, name: str | None = None) -> ApiClient:
        """A new client signed in through local mode's sign-in."""
        client = self.fresh()
        response = client.post("/api/dev/login", json={"email": email, "name": name})
        assert response.status_code == 204, response.text
        return client
