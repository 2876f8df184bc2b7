"""Who may call what: every endpoint of the app × every kind of caller, exact statuses.

The matrix covers each endpoint under `/api/subscriptions/{subscription_id}` with a row of
SCOPED below; `test_every_subscription_endpoint_has_a_row` fails when the app has one that
the table lacks, so a new endpoint cannot ship untested. Rows written from API.md for
endpoints the app does not have yet are skipped until they appear. Endpoints outside a
subscription are checked for the credential kinds their declared security refuses.

Callers: the owner; a delegate holding each single permission (plus the implicit `view`); a
signed-in stranger; anonymous; an API key of this subscription with each permission a key may
hold; and a key of another subscription.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest

from shared.admins.api_keys import list_keys
from shared.identity.api_keys import principal_for_key
from shared.services import Services
from shared.subscriptions.activity import list_activity
from shared.subscriptions.model import Permission
from tests.api_client import ApiClient
from tests.shared.admins.factories import (
    bearer,
    invite,
    make_api_key,
    make_delegate,
    make_subscription,
)

OWNER = "owner@contoso.com"
STRANGER = "stranger@contoso.com"
KEY_PERMISSIONS = (Permission.VIEW, Permission.ASSIGN, Permission.QUANTITY)
PLACEHOLDER = re.compile(r"\{[^}]*\}")

# Denied callers first and the owner last: an owner's success may change the world (transfer).
CALLERS = (
    "anonymous",
    "stranger",
    "key:other",
    *(f"delegate:{p.value}" for p in Permission),
    *(f"key:{p.value}" for p in KEY_PERMISSIONS),
    "owner",
)


@dataclass
class World:
    """A paid subscription with a delegate per permission and a key per key permission, and
    another subscription with a key of its own."""

    api: ApiClient
    services: Services
    subscription_id: str
    owner: ApiClient
    keys: dict[str, str]
    sequence: Iterator[int] = field(default_factory=count)

    def fresh_email(self, domain: str = "contoso.com") -> str:
        return f"user{next(self.sequence)}-{uuid.uuid4().hex[:6]}@{domain}"

    def subscription(self) -> Any:
        from shared.subscriptions.store import get_subscription

        return get_subscription(self.services, self.subscription_id)

    def client(self, caller: str) -> ApiClient:
        if caller == "anonymous":
            return self.api.fresh()
        if caller == "owner":
            return self.api.login(OWNER)
        if caller == "stranger":
            return self.api.login(STRANGER)
        kind, _, name = caller.partition(":")
        if kind == "delegate":
            return self.api.login(delegate_email(name))
        client = self.api.fresh()
        client.session.headers.update(bearer(self.keys[name]))
        return client

    def assigned_license(self) -> str:
        """An address that holds a license of the subscription (assigned by the owner)."""
        email = self.fresh_email()
        response = self.owner.post(
            f"/api/subscriptions/{self.subscription_id}/licenses", json={"emails": [email]}
        )
        assert response.status_code == 200, response.text
        return email

    def move_target(self, caller: str) -> str:
        """Another subscription of the owner's, which a delegate also administers fully."""
        target = make_subscription(self.services, OWNER, quantity=5, name="Target")
        kind, _, name = caller.partition(":")
        if kind == "delegate":
            make_delegate(self.services, target, delegate_email(name), set(Permission))
        return target.id

    def pending_admin(self) -> str:
        return invite(
            self.services, self.subscription(), self.fresh_email(), {Permission.VIEW}
        ).admin.id

    def api_key_id(self) -> str:
        make_api_key(self.services, self.subscription(), {Permission.VIEW}, name="target")
        items = list_keys(self.services, self.subscription_id, 1000, None).items
        return next(item.id for item in items if item.name == "target")


def delegate_email(permission: str) -> str:
    return f"delegate-{permission}@contoso.com"


@dataclass(frozen=True)
class Request:
    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)


Prepare = Callable[[World, str], Request]


@dataclass(frozen=True)
class Row:
    """One endpoint (or one use of it) and who may call it."""

    label: str
    method: str
    template: str  # as OpenAPI names it
    ok: int  # the status of an allowed call
    need: Permission | None = Permission.VIEW
    owner_only: bool = False
    prepare: Prepare | None = None

    def allows(self, caller: str) -> bool:
        if caller == "owner":
            return True
        if caller in ("anonymous", "stranger", "key:other"):
            return False
        kind, _, name = caller.partition(":")
        if kind not in ("delegate", "key") or self.owner_only:
            return False
        held = {Permission.VIEW, Permission(name)}
        return self.need is None or self.need in held

    def expected(self, caller: str) -> int:
        if caller == "anonymous":
            return 401
        if caller in ("stranger", "key:other"):
            return 404  # no access at all: the subscription does not exist for them
        return self.ok if self.allows(caller) else 403

    def request(self, world: World, caller: str) -> Request:
        if self.prepare is not None:
            return self.prepare(world, caller)
        return Request(self.template.replace("{subscription_id}", world.subscription_id))


@dataclass(frozen=True)
class MoveRow(Row):
    """Moving needs `assign` on a second subscription too, which no API key can reach."""

    def expected(self, caller: str) -> int:
        if caller.startswith("key:") and self.allows(caller):
            return 404
        return super().expected(caller)


def base(world: World) -> str:
    return f"/api/subscriptions/{world.subscription_id}"


SUBSCRIPTION = "/api/subscriptions/{subscription_id}"
LICENSE = SUBSCRIPTION + "/licenses/{email}"

SCOPED: tuple[Row, ...] = (
    # Subscriptions and billing
    Row("read", "GET", SUBSCRIPTION, 200),
    Row(
        "change quantity",
        "PATCH",
        SUBSCRIPTION,
        200,
        need=Permission.QUANTITY,
        prepare=lambda w, c: Request(base(w), {"json": {"quantity": 60 + CALLERS.index(c)}}),
    ),
    Row(
        "rename",
        "PATCH",
        SUBSCRIPTION,
        200,
        owner_only=True,
        prepare=lambda w, c: Request(base(w), {"json": {"name": f"Renamed by {c}"}}),
    ),
    Row(
        "quantity preview",
        "POST",
        SUBSCRIPTION + "/quantity-preview",
        200,
        need=Permission.QUANTITY,
        prepare=lambda w, c: Request(base(w) + "/quantity-preview", {"json": {"quantity": 70}}),
    ),
    Row("billing portal", "POST", SUBSCRIPTION + "/billing-portal", 200, need=Permission.BILLING),
    Row("invoices", "GET", SUBSCRIPTION + "/invoices", 200, need=Permission.BILLING),
    Row("activity", "GET", SUBSCRIPTION + "/activity", 200),
    # Licenses
    Row("list licenses", "GET", SUBSCRIPTION + "/licenses", 200),
    Row(
        "assign",
        "POST",
        SUBSCRIPTION + "/licenses",
        200,
        need=Permission.ASSIGN,
        prepare=lambda w, c: Request(
            base(w) + "/licenses", {"json": {"emails": [w.fresh_email()]}}
        ),
    ),
    Row(
        "unassign",
        "DELETE",
        LICENSE,
        204,
        need=Permission.ASSIGN,
        prepare=lambda w, c: Request(f"{base(w)}/licenses/{w.assigned_license()}"),
    ),
    Row(
        "label",
        "PATCH",
        LICENSE,
        200,
        need=Permission.ASSIGN,
        prepare=lambda w, c: Request(
            f"{base(w)}/licenses/{w.assigned_license()}", {"json": {"label": "Client A"}}
        ),
    ),
    Row(
        "reassign",
        "POST",
        LICENSE + "/reassign",
        200,
        need=Permission.ASSIGN,
        prepare=lambda w, c: Request(
            f"{base(w)}/licenses/{w.assigned_license()}/reassign",
            {"json": {"email": w.fresh_email()}},
        ),
    ),
    MoveRow(
        "move",
        "POST",
        SUBSCRIPTION + "/licenses/move",
        200,
        need=Permission.ASSIGN,
        prepare=lambda w, c: Request(
            base(w) + "/licenses/move",
            {"json": {"to": w.move_target(c), "emails": [w.assigned_license()]}},
        ),
    ),
    Row("export CSV", "GET", SUBSCRIPTION + "/licenses.csv", 200),
    Row(
        "import CSV",
        "POST",
        SUBSCRIPTION + "/licenses.csv",
        200,
        need=Permission.ASSIGN,
        prepare=lambda w, c: Request(
            base(w) + "/licenses.csv",
            {
                "data": f"email,label\n{w.fresh_email()},Imported\n".encode(),
                "headers": {"Content-Type": "text/csv"},
            },
        ),
    ),
    Row(
        "auto-assign domains",
        "PUT",
        SUBSCRIPTION + "/auto-assign",
        200,
        owner_only=True,
        prepare=lambda w, c: Request(
            base(w) + "/auto-assign", {"json": {"domains": ["contoso.com"]}}
        ),
    ),
    # Delegated administration
    Row("list administrators", "GET", SUBSCRIPTION + "/admins", 200),
    Row(
        "invite",
        "POST",
        SUBSCRIPTION + "/admins",
        201,
        owner_only=True,
        prepare=lambda w, c: Request(
            base(w) + "/admins", {"json": {"email": w.fresh_email(), "permissions": ["view"]}}
        ),
    ),
    Row(
        "change permissions",
        "PATCH",
        SUBSCRIPTION + "/admins/{admin_id}",
        200,
        owner_only=True,
        prepare=lambda w, c: Request(
            f"{base(w)}/admins/{w.pending_admin()}", {"json": {"permissions": ["assign"]}}
        ),
    ),
    Row(
        # Someone else's row: a delegate may remove only itself (tested in test_admins).
        "remove another administrator",
        "DELETE",
        SUBSCRIPTION + "/admins/{admin_id}",
        204,
        owner_only=True,
        prepare=lambda w, c: Request(f"{base(w)}/admins/{w.pending_admin()}"),
    ),
    Row(
        "resend invitation",
        "POST",
        SUBSCRIPTION + "/admins/{admin_id}/resend",
        202,
        owner_only=True,
        prepare=lambda w, c: Request(f"{base(w)}/admins/{w.pending_admin()}/resend"),
    ),
    Row("list API keys", "GET", SUBSCRIPTION + "/api-keys", 200, owner_only=True),
    Row(
        "create API key",
        "POST",
        SUBSCRIPTION + "/api-keys",
        201,
        owner_only=True,
        prepare=lambda w, c: Request(
            base(w) + "/api-keys", {"json": {"name": "script", "permissions": ["assign"]}}
        ),
    ),
    Row(
        "revoke API key",
        "DELETE",
        SUBSCRIPTION + "/api-keys/{key_id}",
        204,
        owner_only=True,
        prepare=lambda w, c: Request(f"{base(w)}/api-keys/{w.api_key_id()}"),
    ),
    Row(
        "transfer ownership",
        "POST",
        SUBSCRIPTION + "/transfer",
        200,
        owner_only=True,
        prepare=lambda w, c: Request(
            base(w) + "/transfer", {"json": {"email": delegate_email("billing")}}
        ),
    ),
)


def shape(template: str) -> str:
    """A path template with its parameters unnamed, so `{email}` and `{address}` match."""
    return PLACEHOLDER.sub("{}", template)


@pytest.fixture(scope="module")
def operations() -> dict[tuple[str, str], list[str]]:
    """(METHOD, path shape) → security schemes of every operation the app serves."""
    from functions.openapi import openapi_document

    document = openapi_document()
    found: dict[tuple[str, str], list[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            schemes = [name for entry in operation.get("security", []) for name in entry]
            found[(method.upper(), shape(path))] = schemes
    return found


def is_scoped(path_shape: str) -> bool:
    return path_shape.startswith(shape(SUBSCRIPTION))


def test_every_subscription_endpoint_has_a_row(
    operations: dict[tuple[str, str], list[str]],
) -> None:
    covered = {(row.method, shape(row.template)) for row in SCOPED}
    missing = sorted(key for key in operations if is_scoped(key[1]) and key not in covered)
    assert missing == [], f"add rows to SCOPED in {__file__} for {missing}"


def paid_subscription(api: ApiClient, services: Services, paths: set[str]) -> str:
    """A subscription bought through local payments, so billing endpoints have a customer."""
    if ("POST", "/api/checkout") not in paths:
        return make_subscription(services, OWNER, quantity=50).id
    owner = api.login(OWNER)
    started = owner.post("/api/checkout", json={"quantity": 50, "name": "Contoso"})
    assert started.status_code == 201, started.text
    session_id = started.json()["url"].rstrip("/").rsplit("/", 1)[1]
    paid = api.fresh().post(f"/api/dev/checkout/{session_id}/complete")
    assert paid.status_code == 303, paid.text
    subscription_id: str = started.json()["subscription_id"]
    view = owner.get(f"/api/subscriptions/{subscription_id}")
    assert view.json()["status"] == "active", view.text
    return subscription_id


@pytest.fixture
def world(
    api: ApiClient, services: Services, operations: dict[tuple[str, str], list[str]]
) -> World:
    paths = {(method, path) for method, path in operations}
    subscription_id = paid_subscription(api, services, paths)
    world = World(api, services, subscription_id, api.login(OWNER), keys={})
    subscription = world.subscription()
    for permission in Permission:
        make_delegate(services, subscription, delegate_email(permission.value), {permission})
    for permission in KEY_PERMISSIONS:
        world.keys[permission.value] = make_api_key(services, subscription, {permission})
    other = make_subscription(services, "owner@fabrikam.com", name="Fabrikam")
    world.keys["other"] = make_api_key(services, other, set(KEY_PERMISSIONS))
    make_delegate(services, other, STRANGER, set(Permission))  # a stranger here, not there
    return world


def activity(world: World) -> Counter[tuple[object, ...]]:
    items = list_activity(world.services, world.subscription_id, 1000, None).items
    return Counter((item.at, item.actor, item.action, item.target, item.detail) for item in items)


def actor_of(world: World, caller: str) -> str:
    kind, _, name = caller.partition(":")
    if kind == "delegate":
        return delegate_email(name)
    if kind == "key":
        return principal_for_key(world.services, world.keys[name]).actor
    return OWNER if caller == "owner" else STRANGER if caller == "stranger" else caller


@pytest.mark.parametrize("row", SCOPED, ids=lambda row: row.label.replace(" ", "-"))
def test_subscription_endpoint_answers_each_caller_exactly(
    row: Row, world: World, operations: dict[tuple[str, str], list[str]]
) -> None:
    if (row.method, shape(row.template)) not in operations:
        pytest.skip(f"{row.method} {row.template} is not in the app yet")

    def call(caller: str) -> tuple[str, int]:
        request = row.request(world, caller)
        response = world.client(caller).request(row.method, request.path, **request.kwargs)
        if response.status_code >= 400:
            assert response.headers["Content-Type"].startswith("application/problem+json")
        return caller, response.status_code

    refused = [caller for caller in CALLERS if not row.allows(caller)]
    before = activity(world)
    # Refused calls change nothing, so they can race each other; allowed ones run in turn
    # (the owner last: its transfer changes who everyone else is).
    with ThreadPoolExecutor(max_workers=len(refused)) as pool:
        outcomes = dict(pool.map(call, refused))
    outcomes |= dict(call(caller) for caller in CALLERS if row.allows(caller))

    assert outcomes == {caller: row.expected(caller) for caller in CALLERS}
    # A refused change leaves no trace in the activity log.
    new_actors = {entry[1] for entry in activity(world) - before}
    assert not {actor_of(world, caller) for caller in refused} & new_actors


def test_the_subscription_list_shows_each_caller_what_it_reaches(world: World) -> None:
    expected = {
        "anonymous": (401, None),
        "stranger": (200, False),
        "key:other": (200, False),
        **{f"delegate:{p.value}": (200, True) for p in Permission},
        **{f"key:{p.value}": (200, True) for p in KEY_PERMISSIONS},
        "owner": (200, True),
    }
    for caller, (status, listed) in expected.items():
        response = world.client(caller).get("/api/subscriptions")
        assert response.status_code == status, caller
        if listed is not None:
            ids = [item["id"] for item in response.json()["items"]]
            assert (world.subscription_id in ids) is listed, caller


def test_a_delegate_without_billing_reaches_neither_invoices_nor_the_billing_portal(
    world: World, operations: dict[tuple[str, str], list[str]]
) -> None:
    if ("GET", shape(SUBSCRIPTION + "/invoices")) not in operations:
        pytest.skip("billing endpoints are not in the app yet")
    for permission in (Permission.VIEW, Permission.ASSIGN, Permission.QUANTITY):
        delegate = world.client(f"delegate:{permission.value}")
        invoices = delegate.get(base(world) + "/invoices")
        portal = delegate.post(base(world) + "/billing-portal")
        for response in (invoices, portal):
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden"
            assert "url" not in response.json() and "items" not in response.json()
    billing = world.client("delegate:billing")
    assert billing.get(base(world) + "/invoices").status_code == 200
    assert billing.post(base(world) + "/billing-portal").status_code == 200


# Outside a subscription: what a credential of the wrong kind gets, from declared security.
def test_endpoints_refuse_credentials_of_the_wrong_kind(
    world: World, operations: dict[tuple[str, str], list[str]]
) -> None:
    checked = 0
    for (method, path_shape), schemes in sorted(operations.items()):
        if is_scoped(path_shape) or not schemes or schemes == ["stripeSignature"]:
            continue
        path = path_shape.replace("{}", "x")
        callers = {"anonymous": 401}
        if "apiKey" not in schemes:
            callers |= {"key:view": 403, "key:other": 403}
        if "session" not in schemes:
            callers |= {"owner": 403, "stranger": 403}
        for caller, status in callers.items():
            response = world.client(caller).request(method, path)
            assert response.status_code == status, (method, path, caller, response.text)
        checked += 1
    assert checked >= 3  # /api/me, accept an invitation, the subscription list at least
