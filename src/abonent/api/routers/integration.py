"""The integration API for billing systems (mounted at /api/v1/integration).

Authentication: `Authorization: Bearer <token>`, a token issued to the source system's service login
with scopes per source: `integration:<source code>:import` to send data, `integration:<source code>:sync`
to pull changes. A token for one source can do nothing for another.

- POST /sources/{source_code}/imports/{kind}     bulk upsert of rows of one kind (customers, accounts,
  readings, charges, payments, balances): the same cleaning, quarantine and report as a file import
- GET  /sources/{source_code}/runs/{import_id}   the report of an earlier batch
- GET  /sources/{source_code}/changes?after=N     changes made here since event N (cursor), oldest first;
  at-least-once: events come again until acknowledged
- POST /sources/{source_code}/changes/ack         acknowledge every event up to a cursor
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from abonent.api.errors import ErrorOut
from abonent.identity.services import authenticate_api_token
from abonent.integration.api_services import (
    acknowledge_changes,
    changes_after,
    import_rows,
    source_for_token,
)
from abonent.integration.errors import ImportNotFound
from abonent.integration.fields import FileKind
from abonent.integration.models import ImportRun, SourceSystem

MAX_ROWS = 10_000


class SourceTokenAuth(HttpBearer):
    """A bearer token; the operation then checks its scope for the source named in the path."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = authenticate_api_token(raw_token=token)
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]  # read by _source
        return api_token


router = Router(tags=["integration"], auth=SourceTokenAuth())


class ImportIn(Schema):
    rows: list[dict[str, str | int | float | None]] = Field(
        ...,
        min_length=1,
        max_length=MAX_ROWS,
        description="Rows with our field names (see the file kinds) as keys",
    )


class QuarantinedOut(Schema):
    row: int
    key: str
    reasons: list[str]


class ImportReport(Schema):
    id: int
    status: str
    rows: int
    applied: int
    updated: int
    unchanged: int
    quarantined: int
    rules: dict[str, int]
    quarantine: list[QuarantinedOut] = Field(description="The first 100 quarantined rows with reasons")


class ChangeOut(Schema):
    id: int
    topic: str
    customer_id: int | None
    account_number: str | None
    payload: dict[str, Any]
    created_at: datetime


class ChangesOut(Schema):
    changes: list[ChangeOut]
    next_cursor: int = Field(description="Pass as `after` next time; acknowledge it once processed")
    acknowledged: int


class AckIn(Schema):
    cursor: int = Field(..., ge=0)


class AckOut(Schema):
    acknowledged: int


def _source(request: HttpRequest, source_code: str, scope: str) -> SourceSystem:
    return source_for_token(token=request.api_token, source_code=source_code, scope=scope)  # type: ignore[attr-defined]


def _report(run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "rows": run.total_rows,
        "applied": run.applied,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "quarantined": run.quarantined,
        "rules": run.rules or {},
        "quarantine": [
            {"row": q.row, "key": q.key, "reasons": q.reasons} for q in run.quarantine.order_by("row")[:100]
        ],
    }


@router.post(
    "/sources/{source_code}/imports/{kind}",
    response={200: ImportReport, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Upsert a batch of rows of one kind",
)
def post_import(request: HttpRequest, source_code: str, kind: FileKind, payload: ImportIn) -> Any:
    source = _source(request, source_code, "import")
    run = import_rows(source=source, kind=kind, rows=payload.rows, token=request.api_token)  # type: ignore[attr-defined]
    return _report(run)


@router.get(
    "/sources/{source_code}/runs/{import_id}",
    response={200: ImportReport, 403: ErrorOut, 404: ErrorOut},
    summary="The report of an earlier batch",
)
def get_import(request: HttpRequest, source_code: str, import_id: int) -> Any:
    source = _source(request, source_code, "import")
    run = ImportRun.objects.filter(pk=import_id, profile__source=source).first()
    if run is None:
        raise ImportNotFound()
    return _report(run)


@router.get(
    "/sources/{source_code}/changes",
    response={200: ChangesOut, 403: ErrorOut, 404: ErrorOut},
    summary="Changes made here since a cursor (at least once, until acknowledged)",
)
def get_changes(request: HttpRequest, source_code: str, after: int = 0, limit: int = 500) -> Any:
    source = _source(request, source_code, "sync")
    return changes_after(source=source, after=max(0, after), limit=min(max(1, limit), 5000))


@router.post(
    "/sources/{source_code}/changes/ack",
    response={200: AckOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Acknowledge every change up to a cursor",
)
def post_ack(request: HttpRequest, source_code: str, payload: AckIn) -> Any:
    source = _source(request, source_code, "sync")
    return {"acknowledged": acknowledge_changes(source=source, cursor=payload.cursor)}
