"""host.json and local.settings.json, read as the Functions host reads them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

# .NET's TimeSpan.Parse, as the host reads host.json: "d", "[d.]hh:mm[:ss[.fffffff]]" or
# "d:hh:mm:ss[.fffffff]" (https://learn.microsoft.com/dotnet/api/system.timespan.parse).
_DAYS_ONLY = re.compile(r"\d+")
_CLOCK = re.compile(r"(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?")
_DAYS_COLON = re.compile(r"(\d+):(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?")


def parse_timespan(value: str) -> timedelta:
    """A .NET TimeSpan as host.json writes it, e.g. "00:00:30" or "1.02:03:04.5"."""
    text = value.strip()
    if _DAYS_ONLY.fullmatch(text):
        return timedelta(days=int(text))
    match = _CLOCK.fullmatch(text) or _DAYS_COLON.fullmatch(text)
    if not match:
        raise ValueError(f"not a TimeSpan: {value!r}")
    days, hours, minutes, seconds, fraction = match.groups()
    if int(hours) > 23 or int(minutes) > 59 or int(seconds or 0) > 59:
        # TimeSpan.Parse refuses these (OverflowException), so the host would not start.
        raise ValueError(f"TimeSpan component out of range: {value!r}")
    return timedelta(
        days=int(days or 0),
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds or 0) + (float(f"0.{fraction}") if fraction else 0),
    )


@dataclass(frozen=True)
class QueueOptions:
    """The host's queue trigger behaviour (defaults are the Functions host's own)."""

    batch_size: int = 16
    max_dequeue_count: int = 5
    visibility_timeout: timedelta = timedelta(0)
    max_polling_interval: timedelta = timedelta(minutes=1)
    # None: batch_size // 2. (The host's default is N * batchSize / 2, N the vCPUs on a
    # dedicated or Premium plan and 1 on Consumption; the local host takes N = 1.)
    new_batch_threshold: int | None = None

    @property
    def threshold(self) -> int:
        """Fetch the next batch once no more than this many messages are in flight."""
        if self.new_batch_threshold is not None:
            return self.new_batch_threshold
        return self.batch_size // 2

    @property
    def max_in_flight(self) -> int:
        return self.batch_size + self.threshold


@dataclass(frozen=True)
class HostConfig:
    route_prefix: str = "api"
    queues: QueueOptions = QueueOptions()
    # host.json's functionTimeout; None runs invocations without a limit (the host's
    # default depends on the plan, and Flex Consumption's is 30 minutes).
    function_timeout: timedelta | None = None


def load_host_config(path: Path) -> HostConfig:
    document = json.loads(path.read_text()) if path.exists() else {}
    extensions = document.get("extensions", {})
    route_prefix = extensions.get("http", {}).get("routePrefix", "api")
    queues = extensions.get("queues", {})
    defaults = QueueOptions()
    timeout = document.get("functionTimeout")
    return HostConfig(
        route_prefix=route_prefix.strip("/"),
        function_timeout=_function_timeout(timeout) if timeout is not None else None,
        queues=QueueOptions(
            batch_size=int(queues.get("batchSize", defaults.batch_size)),
            max_dequeue_count=int(queues.get("maxDequeueCount", defaults.max_dequeue_count)),
            visibility_timeout=parse_timespan(queues["visibilityTimeout"])
            if "visibilityTimeout" in queues
            else defaults.visibility_timeout,
            max_polling_interval=parse_timespan(queues["maxPollingInterval"])
            if "maxPollingInterval" in queues
            else defaults.max_polling_interval,
            new_batch_threshold=int(queues["newBatchThreshold"])
            if "newBatchThreshold" in queues
            else None,
        ),
    )


def _function_timeout(value: str) -> timedelta | None:
    """functionTimeout as the host reads it: "-1" means no limit."""
    if str(value).strip() == "-1":
        return None
    return parse_timespan(str(value))


def load_local_settings(path: Path, environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Copy `Values` of local.settings.json into the environment; variables already set win.

    Returns the names that were filled in.
    """
    if not path.exists():
        return []
    values = json.loads(path.read_text()).get("Values", {})
    filled = []
    for name, value in values.items():
        if name not in environ:
            environ[name] = str(value)
            filled.append(name)
    return filled
