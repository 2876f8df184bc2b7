"""The subscriptions a principal can reach. Not implemented yet: nobody reaches any."""

from __future__ import annotations

from typing import Any

from shared.identity.principal import Principal
from shared.services import Services


def reachable_subscriptions(services: Services, principal: Principal) -> list[Any]:
    return []
