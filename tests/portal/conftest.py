"""Browser tests of the portal: Debian's chromium (never a downloaded browser) driven by
Playwright, against the real function app on the local host over a real Azurite.

Fixtures (stable; tests/portal/test_*.py of every section use them):
- `portal`: a `Portal` for this test: `url`, `api` (an ApiClient of the same app, for set-up),
  `services`, `new_page(**context_args)`, `signed_in_page(email, name=None, **context_args)`
  (a page in its own browser context, signed in through local mode's POST /api/dev/login;
  each call is another browser, so two users can work side by side), `buy(page, quantity,
  name)` (a subscription bought through the portal and the local checkout, active).
- `signed_in_page`: `portal.signed_in_page`.
- `check_accessibility(page)`: fails on any serious or critical axe-core violation, light and dark.
- `screenshot(page, name)`: saves NAME-light/-dark/-390 PNGs to .screenshots/ and fails when
  the page scrolls sideways at 390 px.
The portal must be built first (`make test` does it); without portal/dist these tests fail.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from local_host.host import LocalHost
from shared.services import Services, use_services
from shared.storage.clients import storage_from_settings
from tests.api_client import ApiClient
from tests.azurite import Azurite
from tests.conftest import Clock, make_settings
from tests.portal.browser import check_accessibility as _check_accessibility
from tests.portal.browser import screenshot as _screenshot

ROOT = Path(__file__).resolve().parent.parent.parent
DIST_INDEX = ROOT / "portal" / "dist" / "index.html"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """One headless chromium per test session (per xdist worker)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def services(azurite: Azurite, clock: Clock, http_host: LocalHost) -> Iterator[Services]:
    """This test's services; the portal's origin is the host's, so the browser's Origin passes."""
    settings = make_settings(azurite, PORTAL_ORIGIN=http_host.url.rstrip("/"))
    storage = storage_from_settings(settings, prefix="t" + uuid.uuid4().hex[:10])
    storage.create_all()
    built = Services(settings=settings, storage=storage, clock=clock)
    use_services(built)
    yield built
    use_services(None)


@pytest.fixture
def api(http_host: LocalHost, services: Services) -> ApiClient:
    return ApiClient(http_host.url.rstrip("/"), origin=services.settings.portal_origin)


@dataclass
class Portal:
    url: str
    api: ApiClient
    services: Services
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)

    def new_context(self, **context_args: Any) -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.url, viewport={"width": 1280, "height": 800}, **context_args
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context

    def new_page(self, **context_args: Any) -> Page:
        return self.new_context(**context_args).new_page()

    def signed_in_page(self, email: str, name: str | None = None, **context_args: Any) -> Page:
        """A page in a new browser signed in as `email` (local mode's sign-in)."""
        context = self.new_context(**context_args)
        response = context.request.post(
            f"{self.url}/api/dev/login",
            data={"email": email, "name": name},
            headers={"Origin": self.url},
        )
        assert response.status == 204, response.text()
        return context.new_page()

    def buy(self, page: Page, quantity: int = 5, name: str = "") -> str:
        """Buy through the purchase page and the local checkout; the new subscription's id."""
        page.goto(f"/purchase?quantity={quantity}" + (f"&name={name}" if name else ""))
        page.get_by_role("button", name="Purchase").click()
        page.get_by_role("button", name=re.compile(r"^Pay")).click()
        page.wait_for_url("**/subscriptions/*")
        expect(page.get_by_text("Active", exact=True).first).to_be_visible()
        return page.url.split("/subscriptions/")[1].split("?")[0]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def portal(
    chromium_browser: Browser, http_host: LocalHost, api: ApiClient, services: Services
) -> Iterator[Portal]:
    if not DIST_INDEX.is_file():
        pytest.fail("the portal is not built (portal/dist is missing): run make test")
    expect.set_options(timeout=TIMEOUT_MS)
    running = Portal(http_host.url.rstrip("/"), api, services, chromium_browser)
    yield running
    running.close()


@pytest.fixture
def signed_in_page(portal: Portal) -> Callable[..., Page]:
    return portal.signed_in_page


@pytest.fixture
def check_accessibility() -> Callable[[Page], None]:
    return _check_accessibility


@pytest.fixture
def screenshot() -> Callable[[Page, str], list[Path]]:
    return _screenshot
