"""The license endpoints over HTTP: the new user's path, bad input, CSV, and who may call what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from shared.services import Services
from shared.subscriptions.limits import email_budget
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription
from tests.api_client import ApiClient
from tests.factories import drain_license_sync, make_subscription
from tests.shared.admins.factories import deliver_emails
from tests.shared.licenses.helpers import assert_consistent, outbox_rows, seat_emails

OWNER = "owner@contoso.com"
STRANGER = "stranger@contoso.com"


@pytest.fixture
def subscription_id(services: Services) -> str:
    return make_subscription(services, OWNER, quantity=5).id


@pytest.fixture
def owner(api: ApiClient) -> ApiClient:
    return api.login(OWNER)


def licenses_url(subscription_id: str, suffix: str = "") -> str:
    return f"/api/subscriptions/{subscription_id}/licenses{suffix}"


def addin(api: ApiClient, email: str) -> ApiClient:
    token = api.post("/api/dev/token", json={"email": email})
    assert token.status_code == 200, token.text
    client = api.fresh()
    client.session.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


def license_of(api: ApiClient, email: str, mailbox: str | None = None) -> dict[str, Any]:
    params = {"mailbox": mailbox} if mailbox else None
    response = addin(api, email).get("/api/license", params=params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def buy(api: ApiClient, owner: ApiClient, quantity: int) -> str:
    """Seats bought as a new user would: local checkout, then the pay button."""
    started = owner.post("/api/checkout", json={"quantity": quantity, "name": "Contoso"})
    assert started.status_code == 201, started.text
    session_id = started.json()["url"].rstrip("/").rsplit("/", 1)[1]
    assert api.fresh().post(f"/api/dev/checkout/{session_id}/complete").status_code == 303
    subscription_id: str = started.json()["subscription_id"]
    return subscription_id


def test_a_new_user_buys_assigns_three_and_the_add_in_sees_them(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    subscription_id = buy(api, owner, 5)
    emails = ["ann@contoso.com", "bob@contoso.com", "cy@contoso.com"]
    response = owner.post(licenses_url(subscription_id), json={"emails": emails, "label": "Sales"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["email"] for item in body["assigned"]] == emails
    assert body["already_assigned"] == []
    assert set(body["assigned"][0]) == {
        "email",
        "status",
        "label",
        "shared_mailbox",
        "assigned_at",
        "assigned_by",
        "last_seen_at",
    }
    assert body["assigned"][0]["label"] == "Sales"
    assert body["assigned"][0]["assigned_by"] == OWNER

    deliver_emails(services)
    for email in emails:
        inbox = api.get("/api/dev/emails", params={"to": email}).json()["items"]
        assert [item["subject"] for item in inbox] == ["Your SecureMailMerge license is ready"]
        assert OWNER in inbox[0]["text"]

    answer = license_of(api, "ann@contoso.com")
    assert answer["licensed"] is True and answer["subscription"] == "Contoso"
    assert owner.delete(licenses_url(subscription_id, "/ann@contoso.com")).status_code == 204
    unlicensed = license_of(api, "ann@contoso.com")
    assert unlicensed.pop("certificate")
    assert unlicensed == {"licensed": False, "email": "ann@contoso.com", "reason": "no_license"}
    view = owner.get(f"/api/subscriptions/{subscription_id}").json()
    assert (view["assigned"], view["available"]) == (2, 3)


def test_assigning_again_reports_already_assigned(owner: ApiClient, subscription_id: str) -> None:
    owner.post(licenses_url(subscription_id), json={"emails": ["a@contoso.com"]})
    response = owner.post(
        licenses_url(subscription_id), json={"emails": [" A@Contoso.com", "b@contoso.com"]}
    )
    body = response.json()
    assert [i["email"] for i in body["assigned"]] == ["b@contoso.com"]
    assert [i["email"] for i in body["already_assigned"]] == ["a@contoso.com"]


def test_not_enough_seats_is_a_409_naming_what_is_free(
    owner: ApiClient, services: Services, subscription_id: str
) -> None:
    emails = [f"u{i}@contoso.com" for i in range(6)]
    response = owner.post(licenses_url(subscription_id), json={"emails": emails})
    assert response.status_code == 409
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["code"], problem["available"], problem["requested"]) == (
        "not_enough_seats",
        5,
        6,
    )
    assert seat_emails(services, subscription_id) == set()


def test_label_reassign_list_and_activity(
    api: ApiClient, owner: ApiClient, services: Services, subscription_id: str
) -> None:
    owner.post(licenses_url(subscription_id), json={"emails": ["a@contoso.com", "b@contoso.com"]})
    labelled = owner.patch(licenses_url(subscription_id, "/a@contoso.com"), json={"label": "X"})
    assert labelled.status_code == 200 and labelled.json()["label"] == "X"
    cleared = owner.patch(licenses_url(subscription_id, "/A%40contoso.com"), json={"label": None})
    assert cleared.json()["label"] is None

    moved = owner.post(
        licenses_url(subscription_id, "/b@contoso.com/reassign"), json={"email": "c@contoso.com"}
    )
    assert moved.status_code == 200 and moved.json()["email"] == "c@contoso.com"
    taken = owner.post(
        licenses_url(subscription_id, "/a@contoso.com/reassign"), json={"email": "c@contoso.com"}
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "already_assigned")
    assert owner.delete(licenses_url(subscription_id, "/b@contoso.com")).status_code == 404

    listed = owner.get(licenses_url(subscription_id), params={"limit": 1})
    assert listed.status_code == 200
    assert [i["email"] for i in listed.json()["items"]] == ["a@contoso.com"]
    rest = owner.get(licenses_url(subscription_id), params={"cursor": listed.json()["next_cursor"]})
    assert [i["email"] for i in rest.json()["items"]] == ["c@contoso.com"]
    assert rest.json()["next_cursor"] is None

    activity_url = f"/api/subscriptions/{subscription_id}/activity"
    activity = owner.get(activity_url)
    assert activity.status_code == 200
    # The test's clock stands still, so these share a millisecond: their order is unknown.
    assert sorted(a["action"] for a in activity.json()["items"]) == [
        "license_labelled",
        "license_labelled",
        "license_reassigned",
        "licenses_assigned",
    ]
    assert owner.get(activity_url, params={"limit": 3}).json()["next_cursor"]
    deliver_emails(services)
    assert len(api.get("/api/dev/emails", params={"to": "c@contoso.com"}).json()["items"]) == 1


def test_csv_export_and_import(owner: ApiClient, services: Services, subscription_id: str) -> None:
    imported = owner.post(
        licenses_url(subscription_id, ".csv"),
        data="email,label\r\nann@contoso.com,=cmd|' /C calc'!A0\r\nbob@contoso.com,Client B\r\n",
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert [i["label"] for i in imported.json()["assigned"]] == ["=cmd|' /C calc'!A0", "Client B"]

    exported = owner.get(licenses_url(subscription_id, ".csv"))
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["email", "label", "status", "assigned_at", "last_seen_at", "shared_mailbox"]
    assert rows[1][:3] == ["ann@contoso.com", "'=cmd|' /C calc'!A0", "active"]
    only_b = owner.get(licenses_url(subscription_id, ".csv"), params={"label": "Client B"})
    assert [row[0] for row in csv.reader(io.StringIO(only_b.text))] == ["email", "bob@contoso.com"]


def test_a_csv_with_bad_rows_names_each_line_and_assigns_nothing(
    owner: ApiClient, services: Services, subscription_id: str
) -> None:
    response = owner.post(
        licenses_url(subscription_id, ".csv"),
        data="email,label\nok@contoso.com,\nbroken,\nok2@contoso.com,x,y\n",
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["line 3", "line 4"]
    assert seat_emails(services, subscription_id) == set()


BAD_CSV = [
    (b"address,tag\na@contoso.com,x\n", 422),
    ("email,label\na@contoso.com,Caf\u00e9\n".encode("latin-1"), 400),
    (b"", 422),
    (("email,label\n" + "".join(f"u{i}@contoso.com,\n" for i in range(1001))).encode(), 422),
]


@pytest.mark.parametrize(("body", "status"), BAD_CSV, ids=["header", "encoding", "empty", "rows"])
def test_an_unusable_csv_is_refused(
    owner: ApiClient, services: Services, subscription_id: str, body: bytes, status: int
) -> None:
    response = owner.post(
        licenses_url(subscription_id, ".csv"), data=body, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert seat_emails(services, subscription_id) == set()


BAD_REQUESTS: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    (
        "invalid address",
        "POST",
        "",
        {"json": {"emails": ["a@contoso.com", "nope"]}},
        422,
        "emails[1]",
    ),
    ("no addresses", "POST", "", {"json": {"emails": []}}, 422, "emails"),
    (
        "too many addresses",
        "POST",
        "",
        {"json": {"emails": [f"u{i}@contoso.com" for i in range(1001)]}},
        422,
        "emails",
    ),
    (
        "label too long",
        "POST",
        "",
        {"json": {"emails": ["a@contoso.com"], "label": "x" * 101}},
        422,
        "label",
    ),
    ("unknown field", "POST", "", {"json": {"emails": ["a@contoso.com"], "x": 1}}, 422, "x"),
    (
        "not JSON",
        "POST",
        "",
        {"data": b"{", "headers": {"Content-Type": "application/json"}},
        400,
        None,
    ),
    ("malformed address in path", "DELETE", "/not-an-address", {}, 422, "email"),
    ("malformed address to label", "PATCH", "/a@@b", {"json": {"label": "x"}}, 422, "email"),
    (
        "label too long on a license",
        "PATCH",
        "/a@contoso.com",
        {"json": {"label": "x" * 101}},
        422,
        "label",
    ),
    (
        "shared_mailbox not a boolean",
        "PATCH",
        "/a@contoso.com",
        {"json": {"shared_mailbox": "yes"}},
        422,
        "shared_mailbox",
    ),
    (
        "shared_mailbox not a boolean on assign",
        "POST",
        "",
        {"json": {"emails": ["a@contoso.com"], "shared_mailbox": 1}},
        422,
        "shared_mailbox",
    ),
    (
        "label with a right-to-left override",
        "POST",
        "",
        {"json": {"emails": ["a@contoso.com"], "label": "invoice\u202egpj.exe"}},
        422,
        "label",
    ),
    (
        "label with a line break",
        "PATCH",
        "/a@contoso.com",
        {"json": {"label": "a\r\nb"}},
        422,
        "label",
    ),
    (
        "deeply nested JSON",
        "POST",
        "",
        {"data": b"[" * 3000 + b"]" * 3000, "headers": {"Content-Type": "application/json"}},
        400,
        None,
    ),
    (
        "reassign to a malformed address",
        "POST",
        "/a@contoso.com/reassign",
        {"json": {"email": "x"}},
        422,
        "email",
    ),
    ("limit zero", "GET", "", {"params": {"limit": 0}}, 422, "limit"),
    ("limit too big", "GET", "", {"params": {"limit": 1001}}, 422, "limit"),
    ("limit not a number", "GET", "", {"params": {"limit": "ten"}}, 422, "limit"),
    ("cursor not ours", "GET", "", {"params": {"cursor": "bm90LW91cnM"}}, 400, None),
    ("cursor garbage", "GET", "", {"params": {"cursor": "!!!"}}, 400, None),
    ("unknown status", "GET", "", {"params": {"status": "lost"}}, 422, "status"),
]


@pytest.mark.parametrize(
    ("method", "suffix", "kwargs", "status", "field"),
    [row[1:] for row in BAD_REQUESTS],
    ids=[row[0].replace(" ", "-") for row in BAD_REQUESTS],
)
def test_bad_input_is_a_problem_naming_the_field_and_assigns_nothing(
    owner: ApiClient,
    services: Services,
    subscription_id: str,
    method: str,
    suffix: str,
    kwargs: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    response = owner.request(method, licenses_url(subscription_id, suffix), **kwargs)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    if field is not None:
        assert field in [error["field"] for error in problem["errors"]]
    assert seat_emails(services, subscription_id) == set()
    assert assert_consistent(services, subscription_id).assigned == 0


def test_bad_domains_and_mailboxes_are_refused(
    api: ApiClient, owner: ApiClient, subscription_id: str
) -> None:
    url = f"/api/subscriptions/{subscription_id}/auto-assign"
    response = owner.put(url, json={"domains": ["contoso.com", "not a domain"]})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["domains[1]"]
    bad = addin(api, "ann@contoso.com").get("/api/license", params={"mailbox": "shared@"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "mailbox"


def test_auto_assign_over_http(api: ApiClient, owner: ApiClient, services: Services) -> None:
    subscription_id = make_subscription(services, OWNER, quantity=1).id
    url = f"/api/subscriptions/{subscription_id}/auto-assign"
    response = owner.put(url, json={"domains": ["Contoso.com"]})
    assert response.status_code == 200, response.text
    assert response.json()["auto_assign_domains"] == ["contoso.com"]
    assert license_of(api, "first@contoso.com")["licensed"] is True
    assert license_of(api, "second@contoso.com")["licensed"] is False
    assert seat_emails(services, subscription_id) == {"first@contoso.com"}
    assert [row["to"] for row in outbox_rows(services, subscription_id)] == ["first@contoso.com"]


def test_the_check_answers_with_the_subscriptions_current_status(
    api: ApiClient, owner: ApiClient, services: Services, subscription_id: str
) -> None:
    owner.post(licenses_url(subscription_id), json={"emails": ["ann@contoso.com"]})
    from shared.licenses.sync import request_lookup_sync
    from tests.factories import change_record

    change_record(services, subscription_id, status=Status.EXPIRED)
    request_lookup_sync(services, subscription_id)
    drain_license_sync(services)
    assert license_of(api, "ann@contoso.com")["reason"] == "expired"
    listed = owner.get(licenses_url(subscription_id)).json()["items"]
    assert [item["status"] for item in listed] == ["expired"]
    refused = owner.post(licenses_url(subscription_id), json={"emails": ["bob@contoso.com"]})
    assert (refused.status_code, refused.json()["code"]) == (409, "subscription_not_active")
    assert get_subscription(services, subscription_id).assigned == 1


# Who may call what: the owner succeeds, a signed-in stranger finds nothing (404), nobody
# signed in is asked to (401), and the add-in's token reaches only the license check (403).
ENDPOINTS: list[tuple[str, str, str, dict[str, Any], int]] = [
    ("list", "GET", "/licenses", {}, 200),
    ("assign", "POST", "/licenses", {"json": {"emails": ["new@contoso.com"]}}, 200),
    ("unassign", "DELETE", "/licenses/held@contoso.com", {}, 204),
    ("label", "PATCH", "/licenses/held@contoso.com", {"json": {"label": "L"}}, 200),
    (
        "reassign",
        "POST",
        "/licenses/held@contoso.com/reassign",
        {"json": {"email": "next@contoso.com"}},
        200,
    ),
    ("export", "GET", "/licenses.csv", {}, 200),
    (
        "import",
        "POST",
        "/licenses.csv",
        {"data": b"email,label\nimp@contoso.com,\n", "headers": {"Content-Type": "text/csv"}},
        200,
    ),
    ("auto-assign", "PUT", "/auto-assign", {"json": {"domains": ["contoso.com"]}}, 200),
    ("activity", "GET", "/activity", {}, 200),
]


@pytest.mark.parametrize(
    ("method", "suffix", "kwargs", "ok"),
    [row[1:] for row in ENDPOINTS],
    ids=[row[0] for row in ENDPOINTS],
)
def test_each_license_endpoint_answers_each_caller_exactly(
    api: ApiClient,
    owner: ApiClient,
    services: Services,
    subscription_id: str,
    method: str,
    suffix: str,
    kwargs: dict[str, Any],
    ok: int,
) -> None:
    owner.post(licenses_url(subscription_id), json={"emails": ["held@contoso.com"]})
    before = get_subscription(services, subscription_id)
    url = f"/api/subscriptions/{subscription_id}{suffix}"
    callers = {
        "anonymous": (api.fresh(), 401),
        "stranger": (api.login(STRANGER), 404),
        "add-in": (addin(api, OWNER), 403),
        "unknown subscription": (owner, 404),
        "owner": (owner, ok),
    }
    outcomes = {}
    for name, (client, _) in callers.items():
        target = url
        if name == "unknown subscription":
            target = f"/api/subscriptions/00000000-0000-4000-8000-000000000000{suffix}"
        response = client.request(method, target, **kwargs)
        outcomes[name] = response.status_code
        if name != "owner":
            assert get_subscription(services, subscription_id).etag == before.etag, name
    assert outcomes == {name: status for name, (_, status) in callers.items()}


def test_the_license_check_takes_only_the_add_ins_token(api: ApiClient, owner: ApiClient) -> None:
    assert api.fresh().get("/api/license").status_code == 401
    bad = api.fresh().get("/api/license", headers={"Authorization": "Bearer not.a.token"})
    assert (bad.status_code, bad.json()["code"]) == (401, "invalid_token")
    assert owner.get("/api/license").status_code == 403
    assert addin(api, OWNER).get("/api/license").status_code == 200


def test_a_resellers_script_assigns_with_an_api_key(
    api: ApiClient, services: Services, subscription_id: str
) -> None:
    from shared.subscriptions.model import Permission
    from tests.shared.admins.factories import bearer, make_api_key

    key = make_api_key(services, get_subscription(services, subscription_id), {Permission.ASSIGN})
    script = api.fresh()
    script.session.headers.update(bearer(key))
    response = script.post(licenses_url(subscription_id), json={"emails": ["ann@contoso.com"]})
    assert response.status_code == 200, response.text
    assert response.json()["assigned"][0]["assigned_by"].startswith("api-key:")
    deliver_emails(services)
    email = api.get("/api/dev/emails", params={"to": "ann@contoso.com"}).json()["items"][0]
    # The welcome email names a person: the owner, for a script's assignment.
    assert OWNER in email["text"] and "api-key" not in email["text"]


def test_the_queue_and_timer_functions_keep_the_lookup(
    api: ApiClient, owner: ApiClient, services: Services, subscription_id: str
) -> None:
    import json

    import azure.functions as func
    from azure.functions.timer import TimerRequest

    from functions import licenses
    from tests.factories import change_record

    owner.post(licenses_url(subscription_id), json={"emails": ["ann@contoso.com"]})
    change_record(services, subscription_id, status=Status.PAST_DUE)
    licenses.sync_license_lookup(
        func.QueueMessage(body=json.dumps({"subscription_id": subscription_id}))
    )
    assert license_of(api, "ann@contoso.com")["status"] == "past_due"

    change_record(services, subscription_id, status=Status.EXPIRED)
    licenses.reconcile_license_lookup(TimerRequest(past_due=False))
    assert license_of(api, "ann@contoso.com")["reason"] == "expired"


def welcome_rows(services: Services, subscription_id: str, to: str) -> list[Any]:
    return [
        row
        for row in outbox_rows(services, subscription_id)
        if row.get("template") == "welcome" and row.get("to") == to
    ]


def test_an_unpaid_checkout_assigns_nothing_and_mails_nobody(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    """A pending subscription is no relay: no seats, no welcome emails, no active status."""
    started = owner.post(
        "/api/checkout", json={"quantity": 10000, "name": "URGENT: verify at evil.example"}
    )
    assert started.status_code == 201, started.text
    subscription_id = started.json()["subscription_id"]
    outsiders = [f"victim{n}@outside.example" for n in range(1000)]
    assign = owner.post(licenses_url(subscription_id), json={"emails": outsiders})
    assert (assign.status_code, assign.json()["code"]) == (409, "subscription_not_active")
    csv_import = owner.post(
        licenses_url(subscription_id, ".csv"),
        data="email\nvictim@outside.example\n",
        headers={"Content-Type": "text/csv"},
    )
    assert (csv_import.status_code, csv_import.json()["code"]) == (409, "subscription_not_active")
    assert outbox_rows(services, subscription_id) == []
    assert seat_emails(services, subscription_id) == set()


def test_an_address_gets_one_welcome_email_a_day_however_often_it_is_reassigned(
    api: ApiClient, owner: ApiClient, services: Services, subscription_id: str, clock: Any
) -> None:
    for _ in range(5):
        assigned = owner.post(licenses_url(subscription_id), json={"emails": ["ann@contoso.com"]})
        assert assigned.status_code == 200, assigned.text
        assert owner.delete(licenses_url(subscription_id, "/ann@contoso.com")).status_code == 204
    # Reassigning to the address does not mail it again either.
    owner.post(licenses_url(subscription_id), json={"emails": ["bob@contoso.com"]})
    moved = owner.post(
        licenses_url(subscription_id, "/bob@contoso.com/reassign"),
        json={"email": "ann@contoso.com"},
    )
    assert moved.status_code == 200, moved.text
    assert len(welcome_rows(services, subscription_id, "ann@contoso.com")) == 1
    assert len(welcome_rows(services, subscription_id, "bob@contoso.com")) == 1
    # The next day, a new assignment is welcomed again.
    owner.delete(licenses_url(subscription_id, "/ann@contoso.com"))
    clock.advance(timedelta(days=1))
    owner = api.login(OWNER)
    assigned = owner.post(licenses_url(subscription_id), json={"emails": ["ann@contoso.com"]})
    assert assigned.status_code == 200, assigned.text
    assert len(welcome_rows(services, subscription_id, "ann@contoso.com")) == 2


def test_emails_beyond_the_daily_budget_are_429_with_retry_after(
    api: ApiClient, services: Services
) -> None:
    subscription = make_subscription(services, OWNER, quantity=1)
    owner = api.login(OWNER)
    budget = email_budget(1)  # 3 a seat + 20: 23 emails today
    url = licenses_url(subscription.id)
    # One seat, reassigned to a new address each time: each reassignment is a welcome email.
    assert owner.post(url, json={"emails": ["a0@contoso.com"]}).status_code == 200
    for n in range(1, budget):
        moved = owner.post(
            licenses_url(subscription.id, f"/a{n - 1}@contoso.com/reassign"),
            json={"email": f"a{n}@contoso.com"},
        )
        assert moved.status_code == 200, moved.text
    refused = owner.post(
        licenses_url(subscription.id, f"/a{budget - 1}@contoso.com/reassign"),
        json={"email": "one-too-many@contoso.com"},
    )
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    assert seat_emails(services, subscription.id) == {f"a{budget - 1}@contoso.com"}
    welcomes = [
        row for row in outbox_rows(services, subscription.id) if row["template"] == "welcome"
    ]
    assert len(welcomes) == budget


def test_a_shared_mailbox_is_marked_on_assign_patch_and_csv(
    api: ApiClient, owner: ApiClient, services: Services, subscription_id: str
) -> None:
    assigned = owner.post(
        licenses_url(subscription_id),
        json={"emails": ["sales@contoso.com"], "shared_mailbox": True},
    )
    assert assigned.json()["assigned"][0]["shared_mailbox"] is True
    owner.post(licenses_url(subscription_id), json={"emails": ["boss@contoso.com"]})
    drain_license_sync(services)
    # A colleague's mailbox licenses nobody else; a shared one does.
    assert license_of(api, "ann@contoso.com", mailbox="boss@contoso.com")["licensed"] is False
    assert license_of(api, "ann@contoso.com", mailbox="sales@contoso.com")["licensed"] is True
    patched = owner.patch(
        licenses_url(subscription_id, "/sales@contoso.com"), json={"shared_mailbox": False}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["shared_mailbox"] is False and patched.json()["label"] is None
    assert license_of(api, "ann@contoso.com", mailbox="sales@contoso.com")["licensed"] is False
    imported = owner.post(
        licenses_url(subscription_id, ".csv"),
        data="email,label,shared_mailbox\ninfo@contoso.com,Front desk,true\n",
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["assigned"][0]["shared_mailbox"] is True
    rows = list(csv.DictReader(io.StringIO(owner.get(licenses_url(subscription_id, ".csv")).text)))
    assert {row["email"]: row["shared_mailbox"] for row in rows} == {
        "boss@contoso.com": "false",
        "info@contoso.com": "true",
        "sales@contoso.com": "false",
    }


@pytest.mark.parametrize(
    "label",
    ["a\x1bb", "a\rb", "\u202eexe.pdf", "a\u2066b", "a\x85b", "a\x7fb", "zero\u200bwidth"],
)
def test_a_csv_label_with_control_or_bidi_characters_is_refused(
    owner: ApiClient, services: Services, subscription_id: str, label: str
) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([["email", "label"], ["ann@contoso.com", label]])
    response = owner.post(
        licenses_url(subscription_id, ".csv"),
        data=out.getvalue().encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    # The line the reader was at: a quoted cell may span lines.
    assert response.json()["errors"][0]["field"] in ("line 2", "line 3")
    assert seat_emails(services, subscription_id) == set()


def test_labels_are_stored_in_one_normal_form(owner: ApiClient, subscription_id: str) -> None:
    decomposed = "Cafe\u0301"
    response = owner.post(
        licenses_url(subscription_id), json={"emails": ["ann@contoso.com"], "label": decomposed}
    )
    assert response.json()["assigned"][0]["label"] == "Caf\u00e9"
