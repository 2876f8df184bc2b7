"""Service endpoints: health and the OpenAPI document."""

from __future__ import annotations

import logging

import azure.functions as func
from azure.core.exceptions import AzureError
from pydantic import BaseModel

from functions.http import ApiRequest, Auth, Reply, endpoint
from functions.openapi import openapi_document
from shared.errors import StorageUnavailable

logger = logging.getLogger(__name__)

bp = func.Blueprint()


class Health(BaseModel):
    status: str


@bp.route(route="api/health", methods=["GET"])
@endpoint(
    summary="Whether the service and its storage answer",
    auth=Auth.PUBLIC,
    response=Health,
)
def get_health(request: ApiRequest) -> Reply:
    """Health: 200 when storage answers, 503 otherwise."""
    try:
        request.services.storage.ping()
    except AzureError as error:
        logger.warning("health check: storage did not answer (%s)", type(error).__name__)
        # A problem document, as every error of the API (and as the OpenAPI document says).
        raise StorageUnavailable("storage did not answer") from None
    return Reply(Health(status="ok"))


@bp.route(route="api/openapi.json", methods=["GET"])
@endpoint(summary="The OpenAPI 3.1 document of this API", auth=Auth.PUBLIC, response=dict)
def get_openapi(request: ApiRequest) -> dict[str, object]:
    """The OpenAPI document, generated from the registered functions."""
    return openapi_document()
