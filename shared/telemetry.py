"""Logs and traces to Application Insights, only when its connection string is set."""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)
CONNECTION_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
# The project's own packages: their loggers' records go to Azure Monitor.
APP_LOGGERS = ("shared", "functions")

_configured = False


def configure_telemetry() -> bool:
    """Send this process's logs and traces to Azure Monitor; False when not configured."""
    global _configured
    if not os.environ.get(CONNECTION_SETTING):
        return False
    if _configured:
        return True
    from azure.monitor.opentelemetry import configure_azure_monitor

    # The Functions host already collects request telemetry; this adds the app's own logs
    # and the SDKs' outgoing calls. configure_azure_monitor sets the process's providers, so it
    # runs once: its `logger_name` takes one logger, whose handler the other package shares.
    first = logging.getLogger(APP_LOGGERS[0])
    before = list(first.handlers)
    configure_azure_monitor(logger_name=first.name)
    handlers = [handler for handler in first.handlers if handler not in before]
    for name in APP_LOGGERS[1:]:
        target = logging.getLogger(name)
        for handler in handlers:
            if handler not in target.handlers:
                target.addHandler(handler)
    _configured = True
    return True
