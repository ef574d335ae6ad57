"""What the integration API does: scope checks per source, batches of rows as import runs, the change feed.

A batch posted to the API becomes an import run exactly like a file (written as CSV with our field names),
so it gets the same cleaning, the same quarantine and the same report; batches are small (≤ 10,000 rows)
and run in the request.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from abonent.customers.models import SyncEvent
from abonent.identity.models import ApiToken
from abonent.integration.errors import ScopeMissing, SourceNotFound, UnknownFields
from abonent.integration.fields import fields_for
from abonent.integration.models import ImportProfile, ImportRun, SourceSystem, SyncSubscription
from abonent.integration.services import run_import, start_import

SCOPES = ("import", "sync")


def scope_name(source_code: str, scope: str) -> str:
    return f"integration:{source_code}:{scope}"


def source_for_token(*, token: ApiToken, source_code: str, scope: str) -> SourceSystem:
    """Return the active source if the token holds the scope for it; otherwise not found / forbidden."""
    source = SourceSystem.objects.filter(code=source_code, is_active=True).first()
    if source is None:
        raise SourceNotFound()
    if scope_name(source_code, scope) not in (token.scopes or []):
        raise ScopeMissing()
    return source


def import_rows(*, source: SourceSystem, kind: str, rows: list[dict[str, Any]], token: ApiToken) -> ImportRun:
    """Import a batch of rows through a run of the source's API profile for the kind; return the run."""
    names = [spec.name for spec in fields_for(kind)]
    unknown = sorted({key for row in rows for key in row} - set(names))
    if unknown:
        raise UnknownFields(unknown, names)
    profile, _created = ImportProfile.objects.get_or_create(source=source, name=f"API: {kind}", kind=kind)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"api-{kind}-{timezone.now():%Y%m%d-%H%M%S}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(names)
            writer.writerows([_text(row.get(name)) for name in names] for row in rows)
        with transaction.atomic():
            run = start_import(
                profile=profile,
                path=path,
                channel=ImportRun.Channel.API,
                created_by=token.user,
                enqueue=False,
            )
    return run_import(run_id=run.pk)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r", " ").replace("\n", " ")


def changes_after(*, source: SourceSystem, after: int, limit: int) -> dict[str, Any]:
    """Return changes after the cursor (or after the acknowledged one, whichever is later), oldest first."""
    subscription, _created = SyncSubscription.objects.get_or_create(source=source)
    start = max(after, subscription.acknowledged_id)
    events = list(SyncEvent.objects.filter(pk__gt=start).select_related("account").order_by("pk")[:limit])
    return {
        "changes": [
            {
                "id": e.pk,
                "topic": e.topic,
                "customer_id": e.customer_id,
                "account_number": e.account.number if e.account else None,
                "payload": e.payload,
                "created_at": e.created_at,
            }
            for e in events
        ],
        "next_cursor": events[-1].pk if events else start,
        "acknowledged": subscription.acknowledged_id,
    }


def acknowledge_changes(*, source: SourceSystem, cursor: int) -> int:
    """Move the source's acknowledged cursor forward (never back) and return it."""
    newest = SyncEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    cursor = min(cursor, newest)
    with transaction.atomic():
        subscription, _created = SyncSubscription.objects.select_for_update().get_or_create(source=source)
        if cursor > subscription.acknowledged_id:
            subscription.acknowledged_id, subscription.acknowledged_at = cursor, timezone.now()
            subscription.save(update_fields=["acknowledged_id", "acknowledged_at"])
    return subscription.acknowledged_id


def export_changes_file(*, source: SourceSystem, folder: Path, limit: int = 100_000) -> Path | None:
    """Write unacknowledged changes to a CSV in the folder and acknowledge them (file delivery)."""
    feed = changes_after(source=source, after=0, limit=limit)
    if not feed["changes"]:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"changes-{source.code}-{feed['changes'][0]['id']}-{feed['next_cursor']}.csv"
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["id", "topic", "customer_id", "account_number", "payload", "created_at"])
        for change in feed["changes"]:
            writer.writerow(
                [
                    change["id"],
                    change["topic"],
                    change["customer_id"] or "",
                    change["account_number"] or "",
                    _json(change["payload"]),
                    change["created_at"].isoformat(),
                ]
            )
    tmp.replace(path)  # a reader never sees half a file
    acknowledge_changes(source=source, cursor=feed["next_cursor"])
    return path


def _json(payload: dict[str, Any]) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False, sort_keys=True)
