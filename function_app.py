"""The function app: composes one blueprint per concern; nothing else lives here."""

import azure.functions as func

from functions import (
    admins,
    auth,
    dev,
    dev_payments,
    emails,
    license_keys,
    licenses,
    portal,
    purchases,
    service,
    subscriptions,
)
from shared.settings import load_settings
from shared.telemetry import configure_telemetry

configure_telemetry()

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

app.register_functions(service.bp)
app.register_functions(emails.bp)
app.register_functions(auth.bp)
app.register_functions(admins.bp)
app.register_functions(purchases.bp)
app.register_functions(subscriptions.bp)
app.register_functions(licenses.bp)
app.register_functions(license_keys.bp)

# Local-mode routes exist only when DEV_MODE is on; reading the settings here also refuses
# DEV_MODE in Azure before any function is served.
if load_settings().dev_mode:
    app.register_functions(dev.bp)
    app.register_functions(dev_payments.bp)

# Last: the portal's catch-all route must not shadow any API route.
app.register_functions(portal.bp)
