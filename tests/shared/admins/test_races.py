"""Operations on one administrator racing each other: one partition's ETags decide, and the
result is always one of the orders in which they could have run."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from shared.admins import administrators, invitations, transfer
from shared.errors import Problem
from shared.services import Services
from shared.subscriptions.access import access_to, authorize
from shared.subscriptions.model import Permission
from shared.subscriptions.store import get_subscription
from tests.shared.admins.factories import invite, make_delegate, make_subscription, user

OWNER = "owner@contoso.com"
COLLEAGUE = "colleague@contoso.com"
ROUNDS = 5


def race(*operations: Callable[[], object]) -> list[str]:
    """Run the operations at once; each outcome is 'ok' or the problem's code."""
    barrier = Barrier(len(operations))

    def run(operation: Callable[[], object]) -> str:
        barrier.wait()
        try:
            operation()
        except Problem as problem:
            return problem.code
        return "ok"

    with ThreadPoolExecutor(max_workers=len(operations)) as pool:
        return list(pool.map(run, operations))


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_accepting_while_the_owner_revokes(services: Services, round_number: int) -> None:
    subscription = make_subscription(services, OWNER)
    issued = invite(services, subscription, COLLEAGUE, {Permission.ASSIGN})
    owner = user(OWNER)
    _, owner_access = authorize(services, owner, subscription.id)

    accepted, removed = race(
        lambda: invitations.accept(services, user(COLLEAGUE), issued.token),
        lambda: administrators.remove(services, owner, subscription, owner_access, issued.admin.id),
    )

    # Either order is fine; what is never fine is an administrator left behind.
    assert (accepted, removed) in {("ok", "ok"), ("not_found", "ok")}
    assert access_to(services, user(COLLEAGUE), get_subscription(services, subscription.id)) is None
    listed = administrators.list_administrators(services, subscription.id, 10, None)
    assert listed.items == []


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_transferring_while_the_successor_is_removed(services: Services, round_number: int) -> None:
    subscription = make_subscription(services, OWNER)
    admin_id = make_delegate(services, subscription, COLLEAGUE, {Permission.VIEW})
    owner = user(OWNER)
    _, owner_access = authorize(services, owner, subscription.id)

    transferred, removed = race(
        lambda: transfer.transfer_ownership(services, owner, subscription.id, COLLEAGUE),
        lambda: administrators.remove(services, owner, subscription, owner_access, admin_id),
    )

    record = get_subscription(services, subscription.id)
    emails = {
        item.email
        for item in administrators.list_administrators(services, subscription.id, 10, None).items
    }
    if transferred == "ok":
        # The removal read the old row and lost its ETag; on retry the row was gone.
        assert removed == "not_found"
        assert record.owner.email == COLLEAGUE and emails == {OWNER}
    else:
        assert (transferred, removed) == ("not_an_administrator", "ok")
        assert record.owner.email == OWNER and emails == set()


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_owners_cannot_both_come_out_of_racing_transfers(
    services: Services, round_number: int
) -> None:
    subscription = make_subscription(services, OWNER)
    for email in ("a@contoso.com", "b@contoso.com"):
        make_delegate(services, subscription, email, {Permission.VIEW})
    owner = user(OWNER)

    outcomes = race(
        lambda: transfer.transfer_ownership(services, owner, subscription.id, "a@contoso.com"),
        lambda: transfer.transfer_ownership(services, owner, subscription.id, "b@contoso.com"),
    )

    assert sorted(outcomes) == ["forbidden", "ok"]
    record = get_subscription(services, subscription.id)
    winner = "a@contoso.com" if outcomes[0] == "ok" else "b@contoso.com"
    loser = "b@contoso.com" if winner == "a@contoso.com" else "a@contoso.com"
    assert record.owner.email == winner
    emails = {
        item.email
        for item in administrators.list_administrators(services, subscription.id, 10, None).items
    }
    assert emails == {OWNER, loser}
