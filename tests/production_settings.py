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
    # A P-256 key made for these tests only; it signs nothing anywhere else.
    "LICENSE_SIGNING_KEY": (
        "-----BEGIN PRIVATE KEY-----\n"
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgshvTNsErODe3izL8\n"
        "wFxmVQJj/9LS5c0X5PiUkKVciwKhRANCAASVl8FzFtFn5c7ECEpe5PkpNmSplohh\n"
        "ezgUDkkIQW5rS8jByP008HRquyoNx/uHLEYxBidFX2TRRgqkURcvQe7b\n"
        "-----END PRIVATE KEY-----\n"
    ),
}
