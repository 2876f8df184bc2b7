"""API keys of resellers' scripts. Not implemented yet: every key is refused."""

from __future__ import annotations

from shared.errors import InvalidToken
from shared.identity.principal import Principal
from shared.services import Services


def principal_for_key(services: Services, key: str) -> Principal:
    raise InvalidToken("API keys are not accepted yet")
