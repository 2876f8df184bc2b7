"""The three figures of the performance budget, each measured against its raw floor."""

from __future__ import annotations

import gc
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.harness import Environment, http_request, ms, p50, percentile, ratio
from local_host.config import load_host_config
from local_host.host import LocalHost
from shared.licenses.listing import LicenseQuery, list_licenses
from shared.licenses.lookup import lookup_table
from shared.licenses.model import SEAT_COLUMNS, SEAT_RANGE, lookup_key, odata
from shared.licenses.seats import Requested, assign
from shared.storage.clients import LICENSE_LOOKUP_TABLE, SUBSCRIPTIONS_TABLE
from shared.subscriptions.model import RECORD_ROW
from shared.subscriptions.store import (
    MAX_TRANSACTION_OPERATIONS,
    get_subscription,
    subscriptions_table,
)
from tests.factories import make_subscription

OWNER = "owner@contoso.com"
CHECKS = 3000
WARM_UP = 200
ASSIGN_ROUNDS = 5
LIST_ROUNDS = 200
THROUGHPUT_CONCURRENCY = (16, 64)
THROUGHPUT_ROUNDS = 3
THROUGHPUT_SECONDS = 1.5
THROUGHPUT_WARM_UP_SECONDS = 0.5
ROOT = Path(__file__).resolve().parent.parent


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


@dataclass(frozen=True)
class CheckSetup:
    token: str
    partition: str
    row: str


def _check_setup(environment: Environment) -> CheckSetup:
    """A licensed caller among 300 licensed colleagues (a realistic domain partition), and
    the add-in token POST /api/dev/token's function issues for the caller."""
    services = environment.services
    subscription = make_subscription(services, OWNER, quantity=400)
    colleagues = [f"user{i:03d}@contoso.com" for i in range(299)] + ["ann@contoso.com"]
    assign(services, subscription, [Requested(e) for e in colleagues], actor=OWNER)
    issued = environment.call(
        "issue_dev_token",
        http_request(
            "POST",
            "http://127.0.0.1:7071/api/dev/token",
            headers={"Content-Type": "application/json"},
            body=b'{"email": "ann@contoso.com"}',
        ),
    )
    partition, row = lookup_key("ann@contoso.com", subscription.id)
    return CheckSetup(json.loads(issued.get_body())["token"], partition, row)


def license_check(environment: Environment) -> dict[str, str]:
    """The check through the real HTTP function vs a raw point read of one entity."""
    services = environment.services
    setup = _check_setup(environment)
    request = http_request(
        "GET",
        "http://127.0.0.1:7071/api/license",
        headers={"Authorization": f"Bearer {setup.token}"},
    )
    table = lookup_table(services)
    partition, row = setup.partition, setup.row

    def check() -> None:
        response = environment.call("check_license", request)
        if response.status_code != 200:
            raise RuntimeError(response.get_body())

    def raw() -> None:
        table.get_entity(partition, row)

    answer = json.loads(environment.call("check_license", request).get_body())
    # The measured answer includes its signed certificate (reused while half its life remains).
    assert answer["licensed"] is True and answer["certificate"], answer
    for _ in range(WARM_UP):
        check()
        raw()
    ours: list[float] = []
    floor: list[float] = []
    gc.collect()
    for index in range(CHECKS):
        # Interleaved, alternating which goes first, so drift affects both alike.
        if index % 2:
            ours.append(timed(check))
            floor.append(timed(raw))
        else:
            floor.append(timed(raw))
            ours.append(timed(check))
    return {
        "license_check_p50_ms": ms(p50(ours)),
        "license_check_p95_ms": ms(percentile(ours, 0.95)),
        "raw_point_read_p50_ms": ms(p50(floor)),
        "raw_point_read_p95_ms": ms(percentile(floor, 0.95)),
        "license_check_p50_ratio": ratio(p50(ours), p50(floor)),
    }


def _throughput(work: Callable[[], None], concurrency: int, seconds: float) -> float:
    """Calls a second of `work` run by `concurrency` threads at once, each call after the last."""
    stop = threading.Event()
    counts = [0] * concurrency
    failures: list[BaseException] = []
    ready = threading.Barrier(concurrency + 1)

    def loop(index: int) -> None:
        ready.wait()
        try:
            while not stop.is_set():
                work()
                counts[index] += 1
        except BaseException as error:  # reported below: a failed call spoils the figure
            failures.append(error)

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} calls failed, e.g. {failures[0]!r}")
    return sum(counts) / elapsed


def license_check_throughput(environment: Environment) -> dict[str, str]:
    """License checks per second through the local host (HTTP, the waitress server, the
    worker's thread pool) vs raw point reads per second of the same SDK, each at 16- and
    64-way concurrency.

    Clients hold one keep-alive connection each (http.client, the lightest client) and run
    in the bench's process, as do the host and the raw reads: all of it shares one GIL, so the
    figures compare the two sides on the same machine rather than predict Azure's.
    """
    services = environment.services
    setup = _check_setup(environment)
    table = lookup_table(services)
    host = LocalHost(
        environment,  # type: ignore[arg-type]  # an app as LocalHost reads one
        load_host_config(ROOT / "host.json"),
        environment.storage_connection,
        port=0,
        run_queues=False,
        run_timers=False,
    )
    host.start()
    address = urlsplit(host.url)
    connections = threading.local()

    def check() -> None:
        connection = getattr(connections, "http", None)
        if connection is None:
            connection = connections.http = HTTPConnection(
                address.hostname, address.port, timeout=60
            )
        connection.request(
            "GET", "/api/license", headers={"Authorization": f"Bearer {setup.token}"}
        )
        response = connection.getresponse()
        body = response.read()
        if response.status != 200 or json.loads(body)["licensed"] is not True:
            raise RuntimeError(f"{response.status} {body[:200]!r}")

    def raw() -> None:
        table.get_entity(setup.partition, setup.row)

    figures: dict[str, str] = {"local_host_worker_threads": str(host.worker.threads)}
    try:
        for concurrency in THROUGHPUT_CONCURRENCY:
            _throughput(check, concurrency, THROUGHPUT_WARM_UP_SECONDS)
            _throughput(raw, concurrency, THROUGHPUT_WARM_UP_SECONDS)
            ours: list[float] = []
            floor: list[float] = []
            gc.collect()
            for _ in range(THROUGHPUT_ROUNDS):
                # Alternated, so drift affects both alike.
                ours.append(_throughput(check, concurrency, THROUGHPUT_SECONDS))
                floor.append(_throughput(raw, concurrency, THROUGHPUT_SECONDS))
            checks, reads = p50(ours), p50(floor)
            figures[f"license_checks_per_second_{concurrency}"] = f"{checks:.1f}"
            figures[f"raw_point_reads_per_second_{concurrency}"] = f"{reads:.1f}"
            figures[f"license_check_throughput_ratio_{concurrency}"] = f"{checks / reads:.3f}"
    finally:
        host.stop()
    return figures


def _raw_write(services: Any, table_name: str, rows: list[dict[str, Any]]) -> None:
    table = services.storage.table(table_name)
    for start in range(0, len(rows), MAX_TRANSACTION_OPERATIONS):
        table.submit_transaction(
            [("create", row) for row in rows[start : start + MAX_TRANSACTION_OPERATIONS]]
        )


def _copies(rows: list[Any], partition: str) -> list[dict[str, Any]]:
    return [{**dict(row), "PartitionKey": partition} for row in rows]


def assign_1000(environment: Environment) -> dict[str, str]:
    """Assigning 1,000 seats in one request vs the raw SDK writing the same rows.

    The floor is every row the assignment leaves behind, written with `submit_transaction`
    in full 100-row transactions: the seat rows, their welcome emails' outbox rows and the
    activity row (the subscription's partition) and the look-up rows (the domain's). The
    floor of the seat rows alone is printed too.
    """
    services = environment.services
    headers = environment.session_headers(OWNER) | {"Content-Type": "application/json"}
    ours: list[float] = []
    floor: list[float] = []
    seats_only: list[float] = []
    for round_number in range(ASSIGN_ROUNDS):
        subscription = make_subscription(services, OWNER, quantity=1000)
        domain = f"round{round_number}-{uuid.uuid4().hex[:6]}.example"
        emails = [f"user{i:04d}@{domain}" for i in range(1000)]
        request = http_request(
            "POST",
            f"http://127.0.0.1:7071/api/subscriptions/{subscription.id}/licenses",
            route_params={"subscription_id": subscription.id},
            headers=headers,
            body=json.dumps({"emails": emails}).encode(),
        )
        started = time.perf_counter()
        response = environment.call("assign_licenses", request)
        ours.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_body()[:300]
        assert len(json.loads(response.get_body())["assigned"]) == 1000

        written = [
            row
            for row in subscriptions_table(services).query_entities(
                f"PartitionKey eq {odata(subscription.id)} and RowKey ne {odata(RECORD_ROW)}"
            )
        ]
        lookups = list(
            lookup_table(services).query_entities(
                f"PartitionKey eq {odata(lookup_key(emails[0], subscription.id)[0])}"
            )
        )
        assert len(written) == 2001 and len(lookups) == 1000, (len(written), len(lookups))
        partition_rows = _copies(written, str(uuid.uuid4()))
        lookup_rows = _copies(lookups, "floor-" + uuid.uuid4().hex)
        seat_rows = _copies(
            [row for row in written if row["RowKey"].startswith(SEAT_RANGE[0])], str(uuid.uuid4())
        )
        floor.append(
            timed(partial(_raw_write, services, SUBSCRIPTIONS_TABLE, partition_rows))
            + timed(partial(_raw_write, services, LICENSE_LOOKUP_TABLE, lookup_rows))
        )
        seats_only.append(timed(partial(_raw_write, services, SUBSCRIPTIONS_TABLE, seat_rows)))
    return {
        "assign_1000_ms": ms(p50(ours)),
        "assign_1000_floor_same_rows_ms": ms(p50(floor)),
        "assign_1000_ratio": ratio(p50(ours), p50(floor)),
        "assign_1000_floor_seat_rows_only_ms": ms(p50(seats_only)),
        "assign_1000_ratio_vs_seat_rows_only": ratio(p50(ours), p50(seats_only)),
    }


def list_1000(environment: Environment) -> dict[str, str]:
    """A page of 1,000 licenses vs the raw partition query of the same rows and columns.

    `list_1000_ratio` is the listing operation (its query, the License documents and their
    JSON) as the budget's "1 storage request" counts it; `list_1000_http_ratio` is the whole
    HTTP function, whose caller's session and the subscription's record are two more reads.
    """
    services = environment.services
    subscription = make_subscription(services, OWNER, quantity=1000)
    emails = [f"user{i:04d}@fabrikam.example" for i in range(1000)]
    assign(services, subscription, [Requested(e, "Client A") for e in emails], actor=OWNER)
    subscription = get_subscription(services, subscription.id)
    request = http_request(
        "GET",
        f"http://127.0.0.1:7071/api/subscriptions/{subscription.id}/licenses?limit=1000",
        route_params={"subscription_id": subscription.id},
        params={"limit": "1000"},
        headers=environment.session_headers(OWNER),
    )
    table = subscriptions_table(services)
    query = (
        f"PartitionKey eq {odata(subscription.id)} and RowKey ge {odata(SEAT_RANGE[0])} "
        f"and RowKey lt {odata(SEAT_RANGE[1])}"
    )
    page_query = LicenseQuery(limit=1000)

    def listing() -> None:
        page = list_licenses(services, subscription, page_query)
        assert len(json.dumps(page)) > 1000 * 50

    def http() -> None:
        response = environment.call("list_licenses", request)
        assert response.status_code == 200

    def raw() -> None:
        # The same query the listing sends, columns included, without anything around it.
        rows = table.query_entities(query, select=SEAT_COLUMNS, results_per_page=1000)
        assert len(list(next(rows.by_page()))) == 1000

    assert len(json.loads(environment.call("list_licenses", request).get_body())["items"]) == 1000
    for _ in range(5):
        listing()
        http()
        raw()
    gc.collect()  # start from a clean heap, as both sides should
    samples: dict[str, list[float]] = {"listing": [], "http": [], "raw": []}
    calls = {"listing": listing, "http": http, "raw": raw}
    for index in range(LIST_ROUNDS):
        order = list(calls) if index % 2 else list(reversed(calls))
        for name in order:
            samples[name].append(timed(calls[name]))
    ours, whole, floor = (p50(samples[name]) for name in ("listing", "http", "raw"))
    return {
        "list_1000_ms": ms(ours),
        "list_1000_raw_query_ms": ms(floor),
        "list_1000_ratio": ratio(ours, floor),
        "list_1000_http_ms": ms(whole),
        "list_1000_http_ratio": ratio(whole, floor),
    }
