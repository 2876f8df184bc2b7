"""`python -m bench scale`: the background work of an idle system at two sizes.

Each size is seeded in its own tables: subscriptions of SEATS_PER_SUBSCRIPTION seats. The
first subscription of a size is made by the project's own operations (checkout's record,
`assign`); the rest are written with raw batched transactions of the same row shapes (the
record, `seat_entity`, `lookup_entity`, sent `outbox_row`s, `activity_row`), because assigning
200k seats one request at a time takes far longer than the figures need. Then every timer's
daily pass is recorded as done (the seeded rows agree), one cycle handles the work the
seeding's own assignment left, and one idle cycle of each timer job is measured: requests
and entities returned, counted at the azure-core transport, and the peak of Python's heap
(tracemalloc) during the cycle.
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.transport import RequestsTransport

from bench.harness import Environment
from shared.email import outbox
from shared.identity.sweep import sweep_expired
from shared.licenses import reconcile
from shared.licenses.check import check_license
from shared.licenses.model import lookup_entity, seat_entity
from shared.licenses.seats import Requested, assign
from shared.services import Services
from shared.storage.clients import (
    LICENSE_LOOKUP_TABLE,
    SUBSCRIPTIONS_TABLE,
    storage_from_settings,
)
from shared.subscriptions.activity import activity_row
from shared.subscriptions.model import Subscription
from shared.subscriptions.store import MAX_TRANSACTION_OPERATIONS, subscriptions_table
from tests.factories import make_subscription

SIZES = {"20k": 20_000, "200k": 200_000}
SEATS_PER_SUBSCRIPTION = 200
# One sent welcome email kept (within its 7 days) for this share of the seats.
SENT_EMAIL_SHARE = 10
OWNER = "owner@contoso.com"


@dataclass
class Counter:
    requests: int = 0
    entities: int = 0
    active: bool = False


_COUNTER = Counter()


@contextmanager
def _counting() -> Iterator[Counter]:
    """Count requests and entities returned at the transport while active."""
    original = RequestsTransport.send

    def send(self: RequestsTransport, request: Any, **kwargs: Any) -> Any:
        response = original(self, request, **kwargs)
        if _COUNTER.active:
            _COUNTER.requests += 1
            _COUNTER.entities += _entities(response)
        return response

    RequestsTransport.send = send  # type: ignore[method-assign]
    try:
        yield _COUNTER
    finally:
        RequestsTransport.send = original  # type: ignore[method-assign]


def _entities(response: Any) -> int:
    if "json" not in (response.headers.get("content-type") or ""):
        return 0
    try:
        document = json.loads(response.internal_response.content or b"null")
    except ValueError:
        return 0
    if isinstance(document, dict):
        if isinstance(document.get("value"), list):
            return len(document["value"])
        if "PartitionKey" in document:
            return 1
    return 0


@dataclass
class Measured:
    requests: int
    entities: int
    peak_mb: float


def measure(call: Callable[[], Any]) -> Measured:
    gc.collect()
    _COUNTER.requests = _COUNTER.entities = 0
    tracemalloc.start()
    _COUNTER.active = True
    try:
        call()
    finally:
        _COUNTER.active = False
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return Measured(_COUNTER.requests, _COUNTER.entities, peak / 2**20)


def _raw_write(services: Services, table_name: str, rows: list[dict[str, Any]]) -> None:
    table = services.storage.table(table_name)
    by_partition: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_partition.setdefault(row["PartitionKey"], []).append(row)
    for group in by_partition.values():
        for start in range(0, len(group), MAX_TRANSACTION_OPERATIONS):
            table.submit_transaction(
                [("upsert", row) for row in group[start : start + MAX_TRANSACTION_OPERATIONS]]
            )


def _seed_subscription(services: Services, number: int) -> None:
    now = services.clock()
    subscription = Subscription.from_entity(
        {
            **make_subscription(services, OWNER, quantity=SEATS_PER_SUBSCRIPTION).to_entity(),
            "assigned": SEATS_PER_SUBSCRIPTION,
        }
    )
    subscriptions_table(services).upsert_entity(subscription.to_entity())
    domain = f"customer{number:05d}.example"
    emails = [f"user{i:04d}@{domain}" for i in range(SEATS_PER_SUBSCRIPTION)]
    batch = uuid.uuid4().hex
    seats = [
        seat_entity(
            subscription.id, email, label=None, assigned_at=now, assigned_by=OWNER, batch=batch
        )
        for email in emails
    ]
    sent = []
    for email in emails[::SENT_EMAIL_SHARE]:
        entity, _ = outbox.outbox_row(
            subscription.id,
            to=email,
            template="welcome",
            params={"email": email, "assigned_by": OWNER, "subscription_name": "Contoso"},
            now=now,
        )
        sent.append({**entity, "status": outbox.OutboxStatus.SENT.value, "sent_at": now})
    activity = activity_row(
        subscription.id, at=now, actor=OWNER, action="licenses_assigned", target=domain
    )
    _raw_write(services, SUBSCRIPTIONS_TABLE, [*seats, *sent, activity])
    _raw_write(
        services,
        LICENSE_LOOKUP_TABLE,
        [lookup_entity(subscription, email) for email in emails],
    )


def _seed(services: Services, seats: int) -> tuple[Subscription, float]:
    started = time.perf_counter()
    first = make_subscription(services, OWNER, quantity=SEATS_PER_SUBSCRIPTION)
    assign(
        services,
        first,
        [Requested(f"user{i:04d}@first.example") for i in range(SEATS_PER_SUBSCRIPTION)],
        actor=OWNER,
    )
    for number in range(1, seats // SEATS_PER_SUBSCRIPTION):
        _seed_subscription(services, number)
    return first, time.perf_counter() - started


def _sweeps_done(services: Services) -> None:
    now = services.clock()
    lookup = services.storage.table(LICENSE_LOOKUP_TABLE)
    lookup.upsert_entity(
        {
            "PartitionKey": reconcile.SWEEP_PARTITION,
            "RowKey": reconcile.SWEEP_ROW,
            "phase": reconcile.Phase.IDLE,
            "finished_at": now,
        }
    )
    services.storage.table(SUBSCRIPTIONS_TABLE).upsert_entity(
        {
            "PartitionKey": outbox.DUE_PARTITION,
            "RowKey": outbox.PASS_ROW,
            "running": False,
            "finished_at": now,
        }
    )


def _size_services(environment: Environment, size: str) -> Services:
    base = environment.services
    storage = storage_from_settings(base.settings, prefix=f"s{size}{uuid.uuid4().hex[:6]}")
    storage.create_all()
    return Services(settings=base.settings, storage=storage)


def scale(environment: Environment) -> dict[str, str]:
    figures: dict[str, str] = {}
    idle_entities: dict[str, int] = {}
    with _counting():
        for size, seats in SIZES.items():
            services = _size_services(environment, size)
            first, seconds = _seed(services, seats)
            figures[f"seed_seconds_{size}"] = f"{seconds:.0f}"
            # The day's sweeps have run (seeding wrote consistent rows): what follows is an
            # idle cycle between them. A full sweep's step is measured below.
            _sweeps_done(services)
            reconcile.reconcile(services)
            sweep_expired(services)
            jobs: dict[str, Callable[[], Any]] = {
                "reconciliation": lambda services=services: reconcile.reconcile(services),
                "outbox_sweep": lambda services=services: outbox.sweep(services),
                "session_sweep": lambda services=services: sweep_expired(services),
            }
            for job, call in jobs.items():
                result = measure(call)
                figures[f"{job}_idle_requests_{size}"] = str(result.requests)
                figures[f"{job}_idle_entities_{size}"] = str(result.entities)
                figures[f"{job}_idle_peak_mb_{size}"] = f"{result.peak_mb:.2f}"
                if job == "reconciliation":
                    idle_entities[size] = result.entities
            # One step of the daily sweep (a subscription partition), for the record.
            reconcile.start_full_sweep(services)
            step = measure(
                lambda services=services: reconcile.reconcile(services, max_sweep_steps=1)
            )
            figures[f"reconciliation_sweep_step_requests_{size}"] = str(step.requests)
            figures[f"reconciliation_sweep_step_peak_mb_{size}"] = f"{step.peak_mb:.2f}"
            _sweeps_done(services)

            check_license(services, "user0001@first.example", first.owner.tenant_id)

            check = measure(
                lambda services=services, tenant=first.owner.tenant_id: check_license(
                    services, "user0001@first.example", tenant
                )
            )
            figures[f"license_check_requests_{size}"] = str(check.requests)
            target = make_subscription(services, OWNER, quantity=100)
            emails = [Requested(f"new{i:03d}@assign-{size}.example") for i in range(100)]
            assigned = measure(
                lambda services=services, target=target, emails=emails: assign(
                    services, target, emails, actor=OWNER
                )
            )
            figures[f"assign_100_requests_{size}"] = str(assigned.requests)
    small, large = idle_entities["20k"], idle_entities["200k"]
    figures["scale_growth_ratio"] = f"{large / small:.2f}" if small else "n/a"
    return figures
