"""Helpers for the portal's browser tests: accessibility checks and screenshots."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent.parent
AXE = ROOT / "portal" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".screenshots"
BLOCKING_IMPACTS = ("serious", "critical")
NARROW = {"width": 390, "height": 844}
# Fluent UI's focus manager (tabster) adds invisible, aria-hidden "dummy" elements with
# tabindex=0 that move focus along and are never reached by a person; axe reports them as
# aria-hidden-focus, which is why Fluent's own accessibility tests leave them out.
AXE_RUN = """async () => (await axe.run(
    {include: [document], exclude: [['[data-tabster-dummy]']]},
    {resultTypes: ['violations']}
)).violations"""


def check_accessibility(page: Page, *, schemes: tuple[str, ...] = ("light", "dark")) -> None:
    """Fail on any serious or critical axe-core violation of the page, in light and dark."""
    # Evaluated over the DevTools protocol: the page's CSP (script-src 'self') does not apply.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    original = _color_scheme(page)
    failures = []
    try:
        for scheme in schemes:
            page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
            # The theme follows the media query on the next render; Fluent's colour transitions
            # (100-200 ms) must end before colours are measured.
            page.wait_for_timeout(400)
            result = page.evaluate(AXE_RUN)
            for violation in result:
                if violation["impact"] in BLOCKING_IMPACTS:
                    targets = [
                        f"{' '.join(map(str, node['target']))} {node['html'][:160]}"
                        + (
                            f" ({node['failureSummary'][:200]})"
                            if node.get("failureSummary")
                            else ""
                        )
                        for node in violation["nodes"]
                    ]
                    failures.append(
                        f"[{scheme}] {violation['id']} ({violation['impact']}): "
                        f"{violation['help']} at {targets[:5]}"
                    )
    finally:
        page.emulate_media(color_scheme=original)  # type: ignore[arg-type]
    assert not failures, f"accessibility violations on {page.url}:\n" + "\n".join(failures)


def screenshot(page: Page, name: str) -> list[Path]:
    """Save the page as it looks in light, in dark and 390 px wide to .screenshots/NAME-*.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")
    original_scheme = _color_scheme(page)
    original_size = page.viewport_size
    saved = []
    try:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
            page.wait_for_timeout(400)
            path = SCREENSHOTS / f"{safe}-{scheme}.png"
            page.screenshot(path=str(path), full_page=True)
            saved.append(path)
        page.emulate_media(color_scheme="light")
        page.set_viewport_size(NARROW)
        page.wait_for_timeout(150)
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        path = SCREENSHOTS / f"{safe}-390.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
        assert scroll_width <= NARROW["width"], (
            f"{page.url} scrolls sideways at 390 px wide ({scroll_width} px)"
        )
    finally:
        page.emulate_media(color_scheme=original_scheme)  # type: ignore[arg-type]
        if original_size:
            page.set_viewport_size(original_size)
    return saved


def _color_scheme(page: Page) -> str:
    return (
        "dark"
        if page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
        else "light"
    )
