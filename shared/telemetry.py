"""Logs and traces to Application Insights, only when its connection string is set."""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)
CONNECTION_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"


def configure_telemetry() -> bool:
    """Send this process's logs and traces to Azure Monitor; False when not configured."""
    if not os.environ.get(CONNECTION_SETTING):
        return False
    from azure.monitor.opentelemetry import configure_azure_monitor

    # The Functions host already collects request telemetry; this adds the app's own logs
    # (logger names under the project's packages) and the SDKs' outgoing calls.
    configure_azure_monitor(logger_name="shared")
    configure_azure_monitor(logger_name="functions")
    return True
