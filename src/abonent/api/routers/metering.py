"""API operations of the metering area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["metering"])
