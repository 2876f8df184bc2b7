"""The process's clients, built once and handed to the domain (tests build their own)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from shared.settings import Settings, load_settings
from shared.storage.clients import Storage, storage_from_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything a handler needs from outside: settings, storage, gateways, the clock."""

    settings: Settings
    storage: Storage
    clock: Callable[[], datetime] = utc_now
    # Gateways to outside systems, built on first use: their construction may call out.
    _built: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def gateway(self, name: str, build: Callable[[Services], T]) -> T:
        """The named gateway (email sender, Stripe, identity provider), built once."""
        if name not in self._built:
            with self._lock:
                if name not in self._built:
                    self._built[name] = build(self)
        return self._built[name]  # type: ignore[no-any-return]

    def provide(self, name: str, instance: Any) -> None:
        """Hand in a ready-made gateway (tests, tools) instead of building one."""
        self._built[name] = instance


_current: Services | None = None
_current_lock = threading.Lock()


def get_services() -> Services:
    """The process-wide services, built from the environment on first use."""
    global _current
    if _current is None:
        with _current_lock:
            if _current is None:
                settings = load_settings()
                storage = storage_from_settings(settings)
                if settings.dev_mode:
                    storage.create_all()
                _current = Services(settings=settings, storage=storage)
    return _current


def use_services(services: Services | None) -> None:
    """Replace the process-wide services (tests and tools); None rebuilds from the environment."""
    global _current
    with _current_lock:
        _current = services
