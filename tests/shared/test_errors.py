"""azure-core errors become problem documents by their status, in one place (shared/errors.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient

from shared.errors import storage_problem
from shared.services import Services, use_services
from shared.storage.clients import Storage
from shared.tokens import new_token
from tests.api_client import ApiClient
from tests.azurite import ACCOUNT_KEY, Azurite, refused_port


def status_error(status: int) -> HttpResponseError:
    error = HttpResponseError(message=f"status {status}")
    error.status_code = status
    return error


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ResourceNotFoundError("gone"), 404, "not_found"),
        (status_error(404), 404, "not_found"),
        (ResourceExistsError("exists"), 409, "conflict"),
        (ResourceModifiedError("etag"), 409, "conflict"),
        (status_error(409), 409, "conflict"),
        (status_error(412), 409, "conflict"),
        (ClientAuthenticationError("no"), 500, "configuration_error"),
        (status_error(401), 500, "configuration_error"),
        (status_error(403), 500, "configuration_error"),
        (status_error(429), 503, "storage_unavailable"),
        (status_error(500), 503, "storage_unavailable"),
        (status_error(503), 503, "storage_unavailable"),
        (ServiceRequestError("connection refused"), 503, "storage_unavailable"),
        (ServiceResponseError("read timed out"), 503, "storage_unavailable"),
        (status_error(400), 500, "internal_error"),
    ],
)
def test_azure_errors_map_by_status(error: Exception, status: int, code: str) -> None:
    problem = storage_problem(error, "test")  # type: ignore[arg-type]
    assert (problem.status, problem.code) == (status, code)
    if status == 503:
        assert int(problem.extra["retry_after"]) >= 1


@pytest.fixture
def use_storage(services: Services) -> Iterator[Storage | None]:
    """Serve the app over another storage for the test, then over the test's own again."""
    yield None
    use_services(services)


def serve_over(services: Services, storage: Storage) -> None:
    use_services(Services(settings=services.settings, storage=storage, clock=services.clock))


def test_storage_refusing_our_credentials_is_a_configuration_fault(
    api: ApiClient,
    azurite: Azurite,
    services: Services,
    use_storage: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong_key = azurite.connection_string.replace(ACCOUNT_KEY, "d3Jvbmc=" * 11)
    serve_over(
        services,
        Storage(
            TableServiceClient.from_connection_string(wrong_key),
            QueueServiceClient.from_connection_string(wrong_key),
            prefix="x",
        ),
    )
    with caplog.at_level(logging.ERROR, logger="shared.errors"):
        response = api.get(f"/api/invitations/{new_token()}")

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "configuration_error"
    assert "403" not in response.text and "AuthenticationFailed" not in response.text
    faults = [r for r in caplog.records if "configuration fault" in r.getMessage()]
    assert faults and faults[0].levelno == logging.ERROR
    assert "403" in faults[0].getMessage()


def test_storage_that_does_not_answer_is_503_with_retry_after(
    api: ApiClient, azurite: Azurite, services: Services, use_storage: None
) -> None:
    with refused_port() as port:
        nowhere = (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};"
            f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
            f"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        )
        serve_over(
            services,
            Storage(
                TableServiceClient.from_connection_string(nowhere, retry_total=0),
                QueueServiceClient.from_connection_string(nowhere, retry_total=0),
            ),
        )
        response = api.get(f"/api/invitations/{new_token()}")

    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert int(response.headers["Retry-After"]) >= 1


def test_an_api_key_with_a_permission_keys_cannot_hold_is_a_422_not_a_value_error(
    services: Services,
) -> None:
    from shared.admins.api_keys import create_key
    from shared.errors import FieldError
    from shared.subscriptions.model import Permission
    from tests.billing.factories import make_subscription, user

    subscription = make_subscription(services)
    with pytest.raises(FieldError) as refused:
        create_key(
            services,
            user("ann@contoso.com"),
            subscription,
            "script",
            {Permission.VIEW, Permission.BILLING},
        )
    assert refused.value.status == 422
    assert refused.value.errors[0]["field"] == "permissions"
