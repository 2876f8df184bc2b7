"""Add-in tokens that passed are remembered: the license check does not verify RS256 again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.errors import InvalidToken
from shared.identity import addin_tokens
from shared.identity.addin_tokens import (
    VERIFIED_TOKEN_TTL,
    local_addin_audience,
    principal_for_token,
)
from shared.identity.local_issuer import local_addin_token
from shared.services import Services
from tests.conftest import Clock


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = addin_tokens.verify_token

    def counting(token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(addin_tokens, "verify_token", counting)
    return calls


def token(services: Services, email: str = "ann@contoso.com") -> str:
    return local_addin_token(services, local_addin_audience(services), email)


def test_a_token_that_passed_is_not_verified_again(
    services: Services, verifications: list[str]
) -> None:
    first = token(services)
    principal = principal_for_token(services, first)
    assert principal_for_token(services, first) == principal
    assert verifications == [first]
    other = token(services, "bob@contoso.com")
    assert principal_for_token(services, other).email == "bob@contoso.com"
    assert verifications == [first, other]


def test_a_remembered_token_is_checked_again_after_a_while_and_refused_once_expired(
    services: Services, clock: Clock, verifications: list[str]
) -> None:
    issued = token(services)
    principal_for_token(services, issued)
    clock.advance(VERIFIED_TOKEN_TTL + timedelta(seconds=1))
    principal_for_token(services, issued)
    assert len(verifications) == 2
    clock.advance(timedelta(hours=1))
    with pytest.raises(InvalidToken, match="expired"):
        principal_for_token(services, issued)


def test_a_refused_token_is_not_remembered(services: Services, verifications: list[str]) -> None:
    forged = token(services)[:-4] + "AAAA"
    for _ in range(2):
        with pytest.raises(InvalidToken):
            principal_for_token(services, forged)
    assert len(verifications) == 2


def test_the_memory_is_bounded(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addin_tokens, "VERIFIED_TOKENS_MAX", 3)
    tokens = [token(services, f"user{i}@contoso.com") for i in range(5)]
    for issued in tokens:
        principal_for_token(services, issued)
    remembered = services.gateway(addin_tokens.VERIFIED_TOKENS_GATEWAY, lambda _: None)
    assert len(remembered._entries) == 3  # type: ignore[attr-defined]
