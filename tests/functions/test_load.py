"""Bursts a reseller's script sends, against the real app on the local host: 40 racing
assignments and 64 concurrent license checks, each on its own connection. Every request gets
an HTTP answer; none is refused or reset. (Correctness under load, not a timing test.)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from shared.services import Services
from shared.subscriptions.store import get_subscription
from tests.api_client import ApiClient
from tests.factories import make_subscription

OWNER = "owner@contoso.com"
ASSIGNMENTS = 40
CHECKS = 64
TIMEOUT = 120


def burst(calls: list[Any]) -> list[requests.Response | Exception]:
    """Run every call at once, each in its own thread; a call's exception is its result."""

    def run(call: Any) -> requests.Response | Exception:
        try:
            return call()  # type: ignore[no-any-return]
        except requests.RequestException as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_forty_racing_assignments_are_all_answered(api: ApiClient, services: Services) -> None:
    subscription = make_subscription(services, OWNER, quantity=2 * ASSIGNMENTS)
    owner = api.login(OWNER)
    cookies = owner.session.cookies.get_dict()
    assert cookies, "signed in"
    headers = {
        "Origin": owner.origin,
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    url = f"{api.base_url}/api/subscriptions/{subscription.id}/licenses"

    def assign(number: int) -> Any:
        emails = [f"user{number}a@fabrikam.example", f"user{number}b@fabrikam.example"]
        # requests.post without a session: a new connection, as a script's thread pool makes.
        return lambda: requests.post(url, json={"emails": emails}, headers=headers, timeout=TIMEOUT)

    results = burst([assign(number) for number in range(ASSIGNMENTS)])

    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    responses = [result for result in results if isinstance(result, requests.Response)]
    statuses = sorted(response.status_code for response in responses)
    # Seats suffice for all: each assignment succeeds, or is refused as a conflict to retry.
    assert set(statuses) <= {200, 409}, [(r.status_code, r.text[:200]) for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.headers["Content-Type"].startswith("application/problem+json")
            assert response.json()["code"]
    succeeded = statuses.count(200)
    assert succeeded >= 1
    assert get_subscription(services, subscription.id).assigned == 2 * succeeded


def test_sixty_four_concurrent_license_checks_are_all_answered(
    api: ApiClient, services: Services
) -> None:
    subscription = make_subscription(services, OWNER, quantity=5)
    owner = api.login(OWNER)
    assigned = owner.post(
        f"/api/subscriptions/{subscription.id}/licenses", json={"emails": ["ann@contoso.com"]}
    )
    assert assigned.status_code == 200, assigned.text
    token = api.post("/api/dev/token", json={"email": "ann@contoso.com"})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    url = f"{api.base_url}/api/license"

    results = burst(
        [lambda: requests.get(url, headers=headers, timeout=TIMEOUT) for _ in range(CHECKS)]
    )

    assert [result for result in results if isinstance(result, Exception)] == []
    assert [result.status_code for result in results] == [200] * CHECKS  # type: ignore[union-attr]
    assert all(result.json()["licensed"] is True for result in results)  # type: ignore[union-attr]
