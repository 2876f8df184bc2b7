"""The ES256 keys of license certificates: parsed from PEM settings, published as a JWKS.

Only `cryptography` is imported here, so the settings can check the PEMs at start-up.
A key's `kid` is its RFC 7638 thumbprint: every instance of the app, and every rotation
step, names the same key the same way without storing a name anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----\s.*?-----END \1-----", re.DOTALL)
# Where local mode keeps its key (git-ignored), so certificates stay valid across restarts.
LOCAL_KEY_FILE = Path(__file__).resolve().parents[2] / ".local" / "license-signing-key.pem"


class InvalidSigningKey(ValueError):
    """A PEM that is not an ES256 (P-256) key; the message never repeats the PEM."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PublicKey:
    key: ec.EllipticCurvePublicKey
    kid: str
    jwk: dict[str, str]


def public_key(key: ec.EllipticCurvePublicKey) -> PublicKey:
    numbers = key.public_numbers()
    jwk = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    # RFC 7638: the required members in lexicographic order, no whitespace.
    thumbprint = hashlib.sha256(
        json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()
    ).digest()
    kid = _b64url(thumbprint)
    return PublicKey(key, kid, {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM})


@dataclass(frozen=True)
class SigningKey:
    private: ec.EllipticCurvePrivateKey
    public: PublicKey

    @property
    def kid(self) -> str:
        return self.public.kid


def _blocks(text: str, setting: str) -> list[str]:
    # A PEM pasted into a one-line field often arrives with literal "\n" for its line breaks.
    text = text.replace("\\n", "\n").strip()
    blocks = [match.group(0) for match in PEM_BLOCK.finditer(text)]
    if not blocks:
        raise InvalidSigningKey(f"{setting} holds no PEM block")
    return blocks


def _p256(key: object, setting: str) -> None:
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) or not (
        isinstance(key.curve, ec.SECP256R1)
    ):
        raise InvalidSigningKey(f"{setting} is not a P-256 (ES256) key")


def parse_signing_key(pem: str, setting: str) -> SigningKey:
    """The one private key of a setting (PKCS#8 or SEC 1 PEM)."""
    blocks = _blocks(pem, setting)
    if len(blocks) != 1:
        raise InvalidSigningKey(f"{setting} must hold exactly one private key")
    try:
        key = serialization.load_pem_private_key(blocks[0].encode(), password=None)
    except (ValueError, TypeError):
        raise InvalidSigningKey(f"{setting} is not an unencrypted PEM private key") from None
    _p256(key, setting)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return SigningKey(key, public_key(key.public_key()))


def published_keys(pem: str, setting: str) -> list[PublicKey]:
    """Every key of a setting that is only published: private or public PEM blocks."""
    keys: list[PublicKey] = []
    for block in _blocks(pem, setting):
        try:
            if "PRIVATE KEY" in block.split("-----")[1]:
                private = serialization.load_pem_private_key(block.encode(), password=None)
                _p256(private, setting)
                assert isinstance(private, ec.EllipticCurvePrivateKey)
                keys.append(public_key(private.public_key()))
            else:
                loaded = serialization.load_pem_public_key(block.encode())
                _p256(loaded, setting)
                assert isinstance(loaded, ec.EllipticCurvePublicKey)
                keys.append(public_key(loaded))
        except (ValueError, TypeError):
            raise InvalidSigningKey(f"{setting} holds a PEM block that is not a key") from None
    return keys


def generate_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def local_signing_key(path: Path = LOCAL_KEY_FILE) -> SigningKey:
    """Local mode's key: generated on first use, then read from the file by every process."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        try:
            with os.fdopen(handle, "w") as file:
                file.write(generate_pem())
            os.chmod(temporary, 0o600)
            # A hard link fails when the file exists: processes starting together (test
            # workers) all end up with the one key that was linked first.
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    return parse_signing_key(path.read_text(), str(path))


def jwks(keys: list[PublicKey]) -> dict[str, Any]:
    """The JWKS of the keys, each once, in the order given."""
    seen: dict[str, dict[str, str]] = {}
    for key in keys:
        seen.setdefault(key.kid, key.jwk)
    return {"keys": list(seen.values())}
