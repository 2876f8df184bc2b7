"""Email delivery: the queue-triggered sender and the timer-triggered outbox sweep."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.email import outbox
from shared.email.gateway import email_sender
from shared.services import get_services
from shared.settings import load_settings
from shared.storage.clients import EMAIL_QUEUE

logger = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.queue_trigger(arg_name="message", queue_name=EMAIL_QUEUE, connection="AzureWebJobsStorage")
def send_email(message: func.QueueMessage) -> None:
    """Send the outbox email a queue message names (once per outbox id)."""
    services = get_services()
    outbox.deliver(services, email_sender(services), message.get_body().decode("utf-8"))


# In Azure, run_on_startup fires on every scale-out and every wake from idle, so only local
# mode sweeps at start (https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer).
@bp.timer_trigger(
    arg_name="timer", schedule="0 */5 * * * *", run_on_startup=load_settings().dev_mode
)
def sweep_outbox(timer: func.TimerRequest) -> None:
    """Re-enqueue outbox emails that were written but never reached the queue."""
    outbox.sweep(get_services())
