"""A complete set of settings for outside local mode (every value made up)."""

from __future__ import annotations

PRODUCTION = {
    "AzureWebJobsStorage__accountName": "smmprod",
    "SESSION_SECRET": "a-long-random-secret",
    "STRIPE_SECRET_KEY": "sk_test_production_shape",
    "STRIPE_WEBHOOK_SECRET": "whsec_real",
    "STRIPE_PRICE_ID": "price_seats",
    "ACS_ENDPOINT": "https://smm.communication.azure.com",
    "EMAIL_SENDER": "DoNotReply@smm.example.com",
    "ENTRA_CLIENT_ID": "11111111-1111-1111-1111-111111111111",
    "ENTRA_CLIENT_SECRET": "entra-secret",
    "ADDIN_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
}
