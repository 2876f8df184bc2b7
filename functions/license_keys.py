"""The public keys of license certificates, for the add-in to verify them offline."""

from __future__ import annotations

import azure.functions as func
from pydantic import BaseModel, Field

from functions.http import ApiRequest, Auth, Reply, endpoint
from shared.certificates.issuer import certificate_issuer

bp = func.Blueprint()

# Clients refresh the keys at most hourly; a rotation publishes the next key at least this
# long before it signs (docs/deploy.md).
KEYS_MAX_AGE = 3600


class LicenseKey(BaseModel):
    kty: str = Field(description="EC")
    crv: str = Field(description="P-256")
    x: str
    y: str
    kid: str = Field(description="RFC 7638 thumbprint; the certificate header's kid")
    use: str = Field(description="sig")
    alg: str = Field(description="ES256")


class LicenseKeys(BaseModel):
    """A JWKS: the key that signs certificates now, the next one and the previous ones."""

    keys: list[LicenseKey]


@bp.route(route="api/license/keys", methods=["GET"])
@endpoint(
    summary="The public keys (JWKS) that verify the certificates of GET /api/license",
    auth=Auth.PUBLIC,
    response=LicenseKeys,
    headers={"Cache-Control": f"public, max-age={KEYS_MAX_AGE}: the keys may be kept an hour"},
)
def get_license_keys(request: ApiRequest) -> Reply:
    """The JWKS of license certificates; cacheable for an hour."""
    return Reply(
        certificate_issuer(request.services).jwks(),
        headers={"Cache-Control": f"public, max-age={KEYS_MAX_AGE}"},
    )
