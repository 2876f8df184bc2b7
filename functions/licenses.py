"""Licenses: assign, unassign, reassign, move, labels, CSV, auto-assign, activity, and the add-in's
license check; the queue and timer functions that keep the license look-up in line."""

from __future__ import annotations

import logging
from typing import Any

import azure.functions as func
from pydantic import BaseModel

from functions.http import ApiRequest, Auth, BodyKind, Reply, endpoint
from shared.errors import Conflict, InvalidToken
from shared.licenses import auto_assign, check, listing, move, reconcile, seats, sync
from shared.licenses.model import LicenseView, license_document, license_status
from shared.licenses.schemas import (
    AssignBody,
    AssignResult,
    AutoAssignBody,
    LabelBody,
    LicenseCheck,
    LicenseCheckQuery,
    LicensePage,
    MoveBody,
    MoveResult,
    ReassignBody,
)
from shared.licenses.seats import Assignment, Requested
from shared.paging import PageQuery
from shared.services import get_services
from shared.storage.clients import LICENSE_SYNC_QUEUE
from shared.subscriptions.access import authorize
from shared.subscriptions.activity import ActivityPage, list_activity
from shared.subscriptions.model import Permission, Subscription
from shared.subscriptions.views import SubscriptionView, subscription_view
from shared.validation import EmailAddress

logger = logging.getLogger(__name__)

bp = func.Blueprint()

LICENSES = "api/subscriptions/{subscription_id}/licenses"
LICENSE = LICENSES + "/{email}"
LICENSES_CSV = "api/subscriptions/{subscription_id}/licenses.csv"
# A seat's record changed under a retried read-modify-write too often.
CONCURRENT = "concurrent_change"
ASSIGN_CONFLICTS = {
    409: ("subscription_not_active", "not_enough_seats", CONCURRENT),
    429: ("too_many_requests",),
}
INVALID_CURSOR = {400: ("invalid_cursor",)}


class LicensePath(BaseModel):
    subscription_id: str
    email: EmailAddress


def _subscription_id(request: ApiRequest) -> str:
    return request.route("subscription_id")


def _path_email(request: ApiRequest) -> str:
    path: LicensePath = request.path
    return path.email


def _sender(request: ApiRequest, subscription: Subscription) -> str:
    """Who the welcome email says assigned the license: a person, or the owner for a script."""
    return request.principal.email or subscription.owner.email


def _assignment(outcome: Assignment) -> dict[str, Any]:
    status = license_status(outcome.subscription)
    return {
        "assigned": [license_document(seat, status) for seat in outcome.assigned],
        "already_assigned": [license_document(seat, status) for seat in outcome.already_assigned],
    }


@bp.route(route=LICENSES, methods=["POST"])
@endpoint(
    summary="Assign licenses to 1 to 1,000 addresses, all or nothing",
    auth=Auth.MANAGER,
    body=AssignBody,
    response=AssignResult,
    errors=ASSIGN_CONFLICTS,
)
def assign_licenses(request: ApiRequest) -> dict[str, Any]:
    """Assign seats; each newly assigned address gets a welcome email."""
    body: AssignBody = request.body
    subscription, _ = authorize(
        request.services, request.principal, _subscription_id(request), Permission.ASSIGN
    )
    outcome = seats.assign(
        request.services,
        subscription,
        [Requested(email, body.label, body.shared_mailbox) for email in body.emails],
        actor=request.principal.actor,
        assigned_by=_sender(request, subscription),
    )
    return _assignment(outcome)


@bp.route(route=LICENSES, methods=["GET"])
@endpoint(
    summary="A page of the subscription's licenses",
    auth=Auth.MANAGER,
    query=listing.LicenseQuery,
    response=LicensePage,
    errors=INVALID_CURSOR,
)
def list_licenses(request: ApiRequest) -> dict[str, Any]:
    """Licenses in address order, filtered by status, label and the start of an address."""
    subscription, _ = authorize(request.services, request.principal, _subscription_id(request))
    return listing.list_licenses(request.services, subscription, request.query)


@bp.route(route=LICENSE, methods=["DELETE"])
@endpoint(
    summary="Unassign a license",
    auth=Auth.MANAGER,
    path=LicensePath,
    status=204,
    errors={409: (CONCURRENT,)},
)
def unassign_license(request: ApiRequest) -> Reply:
    """Free the address's seat; its license check turns false."""
    subscription, _ = authorize(
        request.services, request.principal, _subscription_id(request), Permission.ASSIGN
    )
    seats.unassign(
        request.services, subscription, _path_email(request), actor=request.principal.actor
    )
    return Reply(status=204)


@bp.route(route=LICENSE, methods=["PATCH"])
@endpoint(
    summary="Set or clear a license's label, mark it a shared mailbox or not",
    auth=Auth.MANAGER,
    body=LabelBody,
    path=LicensePath,
    response=LicenseView,
    errors={409: (CONCURRENT,)},
)
def label_license(request: ApiRequest) -> dict[str, Any]:
    """Label a license (a client's name, say) or clear its label with null."""
    body: LabelBody = request.body
    subscription, _ = authorize(
        request.services, request.principal, _subscription_id(request), Permission.ASSIGN
    )
    seat = seats.relabel(
        request.services,
        subscription,
        _path_email(request),
        body.label,
        actor=request.principal.actor,
        change_label="label" in body.model_fields_set,
        shared_mailbox=body.shared_mailbox,
    )
    return license_document(seat, license_status(subscription))


@bp.route(route=LICENSE + "/reassign", methods=["POST"])
@endpoint(
    summary="Move a license to another address",
    auth=Auth.MANAGER,
    body=ReassignBody,
    path=LicensePath,
    response=LicenseView,
    errors={
        409: ("subscription_not_active", "already_assigned", CONCURRENT),
        429: ("too_many_requests",),
    },
)
def reassign_license(request: ApiRequest) -> dict[str, Any]:
    """The seat moves in one transaction; the new holder gets a welcome email."""
    body: ReassignBody = request.body
    subscription, _ = authorize(
        request.services, request.principal, _subscription_id(request), Permission.ASSIGN
    )
    if body.email == _path_email(request):
        # Well-formed, but the license is where it was asked to go: a conflict with the state,
        # as when another address holds it.
        raise Conflict("this address already holds the license", code="already_assigned")
    seat = seats.reassign(
        request.services,
        subscription,
        _path_email(request),
        body.email,
        actor=request.principal.actor,
        assigned_by=_sender(request, subscription),
    )
    return license_document(seat, license_status(subscription))


@bp.route(route=LICENSES + "/move", methods=["POST"])
@endpoint(
    summary="Move licenses (by address or label) to another subscription, all or nothing",
    auth=Auth.MANAGER,
    body=MoveBody,
    response=MoveResult,
    errors={409: ("subscription_not_active", "not_enough_seats", CONCURRENT)},
)
def move_licenses(request: ApiRequest) -> dict[str, Any]:
    """Needs `assign` on both; labels and assignment times move, no welcome email is sent."""
    body: MoveBody = request.body
    source, _ = authorize(
        request.services, request.principal, _subscription_id(request), Permission.ASSIGN
    )
    target, _ = authorize(request.services, request.principal, body.to, Permission.ASSIGN)
    outcome = move.move_licenses(
        request.services,
        source,
        target,
        emails=body.emails,
        label=body.label if body.emails is None else None,
        actor=request.principal.actor,
    )
    status = license_status(outcome.target)
    return {
        "moved": [license_document(seat, status) for seat in outcome.moved],
        "not_assigned": outcome.not_assigned,
    }


@bp.route(route=LICENSES_CSV, methods=["GET"])
@endpoint(
    summary="Every license as CSV: email,label,status,assigned_at,last_seen_at",
    auth=Auth.MANAGER,
    query=listing.ExportQuery,
    response=str,
    response_type="text/csv",
    headers={"Content-Disposition": 'attachment; filename="licenses.csv"'},
)
def export_licenses_csv(request: ApiRequest) -> Reply:
    """Export the licenses (of one label) as CSV."""
    subscription, _ = authorize(request.services, request.principal, _subscription_id(request))
    text = listing.export_csv(request.services, subscription, request.query.label)
    return Reply(
        text,
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="licenses.csv"'},
    )


@bp.route(route=LICENSES_CSV, methods=["POST"])
@endpoint(
    summary="Assign licenses from a CSV with the header email,label, all or nothing",
    auth=Auth.MANAGER,
    body_kind=BodyKind.CSV,
    response=AssignResult,
    errors=ASSIGN_CONFLICTS,
)
def import_licenses_csv(request: ApiRequest) -> dict[str, Any]:
    """Assign the CSV's addresses with their labels; any bad line and nothing is assigned."""
    subscription, _ = authorize(
        request.services, request.principal, _subscription_id(request), Permission.ASSIGN
    )
    rows = listing.parse_import(request.text)
    outcome = seats.assign(
        request.services,
        subscription,
        rows,
        actor=request.principal.actor,
        assigned_by=_sender(request, subscription),
    )
    return _assignment(outcome)


@bp.route(route="api/subscriptions/{subscription_id}/auto-assign", methods=["PUT"])
@endpoint(
    summary="Set the email domains whose users get a free seat automatically",
    auth=Auth.MANAGER,
    body=AutoAssignBody,
    response=SubscriptionView,
    errors={409: (CONCURRENT,)},
)
def set_auto_assign(request: ApiRequest) -> SubscriptionView:
    """Owner only: replace the auto-assign domains."""
    body: AutoAssignBody = request.body
    subscription, access = authorize(
        request.services,
        request.principal,
        _subscription_id(request),
        need=None,
        owner_only=True,
    )
    updated = auto_assign.set_auto_assign(
        request.services, subscription, body.domains, actor=request.principal.actor
    )
    return subscription_view(updated, access)


@bp.route(route="api/subscriptions/{subscription_id}/activity", methods=["GET"])
@endpoint(
    summary="The subscription's activity, newest first",
    auth=Auth.MANAGER,
    query=PageQuery,
    response=ActivityPage,
    errors=INVALID_CURSOR,
)
def list_subscription_activity(request: ApiRequest) -> ActivityPage:
    """Every change to licenses, quantity, administrators, keys and ownership."""
    subscription, _ = authorize(request.services, request.principal, _subscription_id(request))
    query: PageQuery = request.query
    return list_activity(request.services, subscription.id, query.limit, query.cursor)


@bp.route(route="api/license", methods=["GET"])
@endpoint(
    summary="The add-in's license check",
    auth=Auth.ADDIN,
    query=LicenseCheckQuery,
    response=LicenseCheck,
)
def check_license(request: ApiRequest) -> dict[str, Any]:
    """Whether the add-in's user (or a shared mailbox of their domain) holds a license."""
    principal = request.principal
    if not principal.email:
        raise InvalidToken("the token names no email address")
    query: LicenseCheckQuery = request.query
    return check.check_license(
        request.services, principal.email, principal.tenant_id, query.mailbox
    )


@bp.queue_trigger(
    arg_name="message", queue_name=LICENSE_SYNC_QUEUE, connection="AzureWebJobsStorage"
)
def sync_license_lookup(message: func.QueueMessage) -> None:
    """Rewrite a subscription's look-up rows, or release an assignment's welcome emails."""
    sync.handle_sync_message(get_services(), message.get_body().decode("utf-8"))


@bp.timer_trigger(arg_name="timer", schedule="30 */5 * * * *", run_on_startup=False)
def reconcile_license_lookup(timer: func.TimerRequest) -> None:
    """Repair what the work list names and take the daily full sweep a step further."""
    reconcile.reconcile(get_services())
