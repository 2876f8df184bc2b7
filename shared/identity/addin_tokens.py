"""Add-in tokens issued by Entra ID. Not implemented yet: every token is refused."""

from __future__ import annotations

from shared.errors import InvalidToken
from shared.identity.principal import Principal
from shared.services import Services


def principal_for_token(services: Services, token: str) -> Principal:
    raise InvalidToken("add-in tokens are not accepted yet")
