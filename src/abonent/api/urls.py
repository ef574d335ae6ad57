"""The JSON API: /api/v1/ with OpenAPI docs at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from abonent.api.auth import session_or_token
from abonent.api.errors import install_error_handlers
from abonent.api.routers import accounts, documents, identity, meta, metering
from abonent.api.routers import billing as billing_router
from abonent.api.routers import integration as integration_router
from abonent.api.routers import payments as payments_router

api = NinjaAPI(
    title="Abonent API",
    version="1",
    description="Customer accounts, readings, bills and payments for utilities. "
    "Authenticate with the browser session or `Authorization: Bearer <token>`.",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=session_or_token,
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/v1/", meta.router)
api.add_router("/v1/accounts", accounts.router)
api.add_router("/v1/identity", identity.router)
api.add_router("/v1/metering", metering.router)
api.add_router("/v1/billing", billing_router.router)
api.add_router("/v1/payments", payments_router.router)
api.add_router("/v1/documents", documents.router)
api.add_router("/v1/integration", integration_router.router)
