"""API authentication: the browser's session (with CSRF) or a bearer token for integrations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from abonent.identity.services import authenticate_api_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = authenticate_api_token(raw_token=token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]  # scopes are read by operations
        return api_token.user


# The token goes first: SessionAuth's CSRF check would reject a bearer-token POST before TokenAuth ran.
session_or_token = [TokenAuth(), SessionAuth()]
