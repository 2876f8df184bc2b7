"""API keys: created by the owner, shown once, used by scripts, revoked at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE, SUBSCRIPTIONS_TABLE
from shared.subscriptions.activity import list_activity
from shared.subscriptions.model import Permission
from shared.subscriptions.store import get_subscription
from shared.tokens import token_hash
from tests.api_client import ApiClient
from tests.conftest import Clock
from tests.shared.admins.factories import bearer, make_api_key, make_delegate, make_subscription

OWNER = "owner@contoso.com"


@pytest.fixture
def owner(api: ApiClient) -> ApiClient:
    return api.login(OWNER)


def keys_of(owner: ApiClient, subscription_id: str) -> list[dict[str, Any]]:
    response = owner.get(f"/api/subscriptions/{subscription_id}/api-keys")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def reach(api: ApiClient, key: str, subscription_id: str) -> int:
    """What a script with the key gets when it reads a subscription."""
    response = api.fresh().get(f"/api/subscriptions/{subscription_id}", headers=bearer(key))
    return response.status_code


def test_a_key_is_shown_once_and_only_its_hash_is_stored(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    subscription = make_subscription(services, OWNER)

    response = owner.post(
        f"/api/subscriptions/{subscription.id}/api-keys",
        json={"name": " Reseller sync ", "permissions": ["assign"]},
    )

    assert response.status_code == 201, response.text
    created = response.json()
    key = created.pop("key")
    assert key.startswith("smk_") and len(key) == 4 + 43
    assert created["name"] == "Reseller sync"
    assert created["permissions"] == ["view", "assign"]
    assert created["last_used_at"] is None
    assert keys_of(owner, subscription.id) == [created]
    stored = [
        *services.storage.table(SUBSCRIPTIONS_TABLE).list_entities(),
        *services.storage.table(DIRECTORY_TABLE).list_entities(),
    ]
    assert not any(key in str(value) for row in stored for value in row.values())
    assert any(token_hash(key) in str(value) for row in stored for value in row.values())
    (entry,) = list_activity(services, subscription.id, 10, None).items
    assert (entry.action, entry.target) == ("api_key_created", "Reseller sync")


def test_a_key_reaches_its_subscription_only(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    subscription = make_subscription(services, OWNER)
    other = make_subscription(services, "boss@fabrikam.com", name="Fabrikam")
    key = make_api_key(services, subscription, {Permission.ASSIGN})

    read = api.fresh().get(f"/api/subscriptions/{subscription.id}", headers=bearer(key))
    assert read.status_code == 200
    assert read.json()["role"] == "api_key"
    assert read.json()["permissions"] == ["view", "assign"]
    listed = api.fresh().get("/api/subscriptions", headers=bearer(key)).json()["items"]
    assert [item["id"] for item in listed] == [subscription.id]
    assert reach(api, key, other.id) == 404
    assert reach(api, key, "no-such-subscription") == 404
    foreign = api.fresh().post(
        f"/api/subscriptions/{other.id}/licenses",
        headers=bearer(key),
        json={"emails": ["someone@fabrikam.com"]},
    )
    assert foreign.status_code == 404
    assert get_subscription(services, other.id).assigned == 0


def test_a_resellers_script_assigns_and_unassigns_with_its_key(
    api: ApiClient, services: Services
) -> None:
    subscription = make_subscription(services, OWNER, quantity=5)
    assigner = make_api_key(services, subscription, {Permission.ASSIGN})
    reader = make_api_key(services, subscription, {Permission.VIEW}, name="reader")
    script = api.fresh()
    licenses = f"/api/subscriptions/{subscription.id}/licenses"

    refused = script.post(licenses, headers=bearer(reader), json={"emails": ["a@client.com"]})
    assigned = script.post(licenses, headers=bearer(assigner), json={"emails": ["a@client.com"]})

    assert refused.status_code == 403
    assert assigned.status_code == 200, assigned.text
    assert [item["email"] for item in assigned.json()["assigned"]] == ["a@client.com"]
    page = script.get(licenses, headers=bearer(reader)).json()["items"]
    assert [item["email"] for item in page] == ["a@client.com"]
    removed = script.delete(f"{licenses}/a@client.com", headers=bearer(assigner))
    assert removed.status_code == 204
    assert get_subscription(services, subscription.id).assigned == 0


def test_a_key_records_when_it_was_last_used_without_writing_on_every_request(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    subscription = make_subscription(services, OWNER)
    key = make_api_key(services, subscription, {Permission.VIEW})
    first_use = clock.now

    assert reach(api, key, subscription.id) == 200
    clock.advance(timedelta(minutes=1))
    assert reach(api, key, subscription.id) == 200
    (listed,) = keys_of(api.login(OWNER), subscription.id)
    assert listed["last_used_at"] == first_use.strftime("%Y-%m-%dT%H:%M:%SZ")

    clock.advance(timedelta(minutes=10))
    assert reach(api, key, subscription.id) == 200
    (listed,) = keys_of(api.login(OWNER), subscription.id)
    assert listed["last_used_at"] == clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_revoked_key_is_refused_on_its_next_request(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    subscription = make_subscription(services, OWNER)
    key = make_api_key(services, subscription, {Permission.ASSIGN, Permission.QUANTITY})
    kept = make_api_key(services, subscription, {Permission.VIEW}, name="kept")
    assert reach(api, key, subscription.id) == 200
    key_id = next(item["id"] for item in keys_of(owner, subscription.id) if item["name"] == "k")

    response = owner.delete(f"/api/subscriptions/{subscription.id}/api-keys/{key_id}")

    assert response.status_code == 204
    refused = api.fresh().get(f"/api/subscriptions/{subscription.id}", headers=bearer(key))
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    assert reach(api, kept, subscription.id) == 200
    assert [item["name"] for item in keys_of(owner, subscription.id)] == ["kept"]
    again = owner.delete(f"/api/subscriptions/{subscription.id}/api-keys/{key_id}")
    assert again.status_code == 404
    actions = [item.action for item in list_activity(services, subscription.id, 10, None).items]
    assert "api_key_revoked" in actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "permissions": ["billing"]}, "permissions[0]"),
        ({"name": "x", "permissions": ["assign", "billing"]}, "permissions[1]"),
        ({"name": "x", "permissions": ["superuser"]}, "permissions[0]"),
        ({"name": "x", "permissions": []}, "permissions"),
        ({"name": "", "permissions": ["view"]}, "name"),
        ({"name": "   ", "permissions": ["view"]}, "name"),
        ({"name": "x" * 101, "permissions": ["view"]}, "name"),
        ({"permissions": ["view"]}, "name"),
        ({"name": "x"}, "permissions"),
        ({"name": "x", "permissions": ["view"], "subscription_id": "other"}, "subscription_id"),
    ],
)
def test_bad_keys_are_refused_and_nothing_is_created(
    services: Services, owner: ApiClient, body: dict[str, Any], field: str
) -> None:
    subscription = make_subscription(services, OWNER)

    response = owner.post(f"/api/subscriptions/{subscription.id}/api-keys", json=body)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert keys_of(owner, subscription.id) == []
    assert list(services.storage.table(DIRECTORY_TABLE).query_entities("RowKey eq 'apikey'")) == []


def test_a_name_of_one_hundred_characters_is_accepted(services: Services, owner: ApiClient) -> None:
    subscription = make_subscription(services, OWNER)
    response = owner.post(
        f"/api/subscriptions/{subscription.id}/api-keys",
        json={"name": "n" * 100, "permissions": ["view", "assign", "quantity"]},
    )
    assert response.status_code == 201
    assert response.json()["permissions"] == ["view", "assign", "quantity"]


@pytest.mark.parametrize(
    "credential",
    [
        "smk_",
        "smk_short",
        "smk_" + "A" * 43,
        "smk_" + "A" * 5000,
        "smk_" + "!" * 43,
        "smk_" + "A" * 42 + "\u00e9",
    ],
)
def test_unknown_and_malformed_keys_are_401(
    api: ApiClient, services: Services, credential: str
) -> None:
    subscription = make_subscription(services, OWNER)
    response = api.fresh().get(
        f"/api/subscriptions/{subscription.id}",
        headers={"Authorization": f"Bearer {credential}".encode()},
    )
    assert response.status_code == 401, response.text


def test_a_tampered_key_is_401(api: ApiClient, services: Services) -> None:
    subscription = make_subscription(services, OWNER)
    key = make_api_key(services, subscription, {Permission.VIEW})
    flipped = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert reach(api, flipped, subscription.id) == 401
    assert reach(api, key, subscription.id) == 200


def test_only_the_owner_manages_keys(api: ApiClient, services: Services) -> None:
    subscription = make_subscription(services, OWNER)
    make_delegate(services, subscription, "all@contoso.com", set(Permission))
    key = make_api_key(services, subscription, {Permission.VIEW, Permission.ASSIGN})
    base = f"/api/subscriptions/{subscription.id}/api-keys"
    delegate = api.login("all@contoso.com")
    script = api.fresh()
    body = {"name": "x", "permissions": ["view"]}

    assert delegate.get(base).status_code == 403
    assert delegate.post(base, json=body).status_code == 403
    assert script.get(base, headers=bearer(key)).status_code == 403
    assert script.post(base, headers=bearer(key), json=body).status_code == 403
    key_id = keys_of(api.login(OWNER), subscription.id)[0]["id"]
    assert delegate.delete(f"{base}/{key_id}").status_code == 403
    assert script.delete(f"{base}/{key_id}", headers=bearer(key)).status_code == 403
    assert len(keys_of(api.login(OWNER), subscription.id)) == 1
