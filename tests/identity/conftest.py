"""Fixtures of the identity tests: Entra faked at the HTTP level, app registrations set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.services import Services, use_services
from tests.azurite import Azurite
from tests.conftest import Clock, make_settings
from tests.identity.fake_entra import (
    ADDIN_APP_ID_URI,
    ADDIN_CLIENT_ID,
    PORTAL_CLIENT_ID,
    PORTAL_CLIENT_SECRET,
    FakeEntra,
    faked_entra,
)


@pytest.fixture
def entra(clock: Clock) -> Iterator[FakeEntra]:
    """Entra's metadata, JWKS and token endpoints, faked for this test."""
    with faked_entra(clock) as fake:
        yield fake


@pytest.fixture
def entra_services(azurite: Azurite, services: Services, clock: Clock) -> Services:
    """This test's services with the portal's and the add-in's app registrations configured.

    They replace `services` as the process's services, so the app on the local host uses them.
    """
    settings = make_settings(
        azurite,
        ENTRA_CLIENT_ID=PORTAL_CLIENT_ID,
        ENTRA_CLIENT_SECRET=PORTAL_CLIENT_SECRET,
        ADDIN_CLIENT_ID=ADDIN_CLIENT_ID,
        ADDIN_APP_ID_URI=ADDIN_APP_ID_URI,
    )
    built = Services(settings=settings, storage=services.storage, clock=clock)
    use_services(built)  # the `services` fixture resets the process's services afterwards
    return built
