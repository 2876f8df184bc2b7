"""Bearer secrets: 32 random bytes, stored only as SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32
# A token is 43 url-safe base64 characters (plus any prefix); anything much longer is refused
# before hashing so an oversized header costs nothing.
MAX_TOKEN_LENGTH = 128


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)


def plausible_token(token: str, prefix: str = "") -> bool:
    """Cheap shape check before any storage look-up."""
    if not token.startswith(prefix) or len(token) > MAX_TOKEN_LENGTH:
        return False
    body = token[len(prefix) :]
    return len(body) >= 40 and all(c.isalnum() or c in "-_" for c in body)
