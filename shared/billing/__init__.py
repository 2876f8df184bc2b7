"""Billing: checkout, the Stripe webhook, seat quantity, the billing portal and invoices.

`gateway` is the interface to the payment provider, with two implementations: `stripe_gateway`
(the real Stripe API) and `local` (local payments for `make run`, when no STRIPE_SECRET_KEY is
set). The domain operations (`checkout`, `webhook`, `changes`) only know the interface.
"""
