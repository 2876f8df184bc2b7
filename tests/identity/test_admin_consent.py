"""GET /api/admin-consent: the v2.0 admin-consent link for the add-in's app."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.identity.admin_consent import normalize_tenant
from shared.services import Services
from tests.api_client import ApiClient
from tests.conftest import PORTAL_ORIGIN
from tests.identity.fake_entra import ADDIN_CLIENT_ID, TENANT


@pytest.mark.parametrize(
    ("tenant", "in_url"),
    [
        (TENANT, TENANT),
        (TENANT.upper(), TENANT),
        ("contoso.com", "contoso.com"),
        (" Contoso.OnMicrosoft.com ", "contoso.onmicrosoft.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_redirects_to_the_v2_admin_consent_url(
    api: ApiClient, entra_services: Services, tenant: str, in_url: str
) -> None:
    response = api.get("/api/admin-consent", params={"tenant": tenant})
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc) == ("https", "login.microsoftonline.com")
    assert location.path == f"/{in_url}/v2.0/adminconsent"
    assert parse_qs(location.query) == {
        "client_id": [ADDIN_CLIENT_ID],
        "scope": ["https://graph.microsoft.com/.default"],
        "redirect_uri": [f"{PORTAL_ORIGIN}/"],
    }


@pytest.mark.parametrize(
    "tenant",
    [
        "common",
        "organizations",
        "Consumers",
        "",
        "contoso",
        "-contoso.com",
        "contoso-.com",
        "contoso..com",
        "contoso.com/evil",
        "https://contoso.com",
        "contoso.com?x=1",
        "evil.com#",
        "contoso.123",
        "a" * 64 + ".com",
        "3c5f2b8e-1d4a-4f6b-9e7c-0a1b2c3d4e5",
        "../common",
    ],
)
def test_anything_but_one_organization_is_422_naming_tenant(
    api: ApiClient, entra_services: Services, tenant: str
) -> None:
    response = api.get("/api/admin-consent", params={"tenant": tenant})
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["tenant"]


def test_a_missing_tenant_is_422_naming_tenant(api: ApiClient, entra_services: Services) -> None:
    response = api.get("/api/admin-consent")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["tenant"]


def test_without_addin_client_id_the_link_is_not_configured(api: ApiClient) -> None:
    response = api.get("/api/admin-consent", params={"tenant": "contoso.com"})
    assert response.status_code == 503
    assert response.json()["code"] == "not_configured"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(tenant=st.text(max_size=80))
def test_any_tenant_is_a_redirect_into_entra_or_a_422(
    api: ApiClient, entra_services: Services, tenant: str
) -> None:
    response = api.get("/api/admin-consent", params={"tenant": tenant})
    assert response.status_code in (302, 422)
    if response.status_code == 302:
        location = urlsplit(response.headers["Location"])
        assert location.netloc == "login.microsoftonline.com"
        assert location.path == f"/{normalize_tenant(tenant)}/v2.0/adminconsent"
