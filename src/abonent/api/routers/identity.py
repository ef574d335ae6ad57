"""API operations of the identity area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["identity"])
