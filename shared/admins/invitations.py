"""Invitations of delegated administrators. Not implemented yet: there are none."""

from __future__ import annotations

from typing import Any

from shared.services import Services


def pending_invitations_for(services: Services, email: str) -> list[Any]:
    return []
