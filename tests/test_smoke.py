from tests.api_client import ApiClient


def test_health_answers_ok_when_storage_answers(api: ApiClient) -> None:
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_dev_login_sets_a_session_cookie(api: ApiClient) -> None:
    response = api.post("/api/dev/login", json={"email": " Ann@Contoso.com "})
    assert response.status_code == 204
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("smm_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain-http localhost
