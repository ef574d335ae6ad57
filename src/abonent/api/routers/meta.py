"""The API root: who am I and what is here."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema

router = Router(tags=["meta"])


class ApiRoot(Schema):
    version: str
    user: str
    docs: str
    accounts: str


@router.get("", response=ApiRoot, url_name="root", summary="API root")
def api_root(request: HttpRequest) -> dict[str, str]:
    return {
        "version": "1",
        "user": request.user.get_username(),
        "docs": reverse("api:openapi-view"),
        "accounts": reverse("api:accounts"),
    }
