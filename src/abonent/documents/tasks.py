"""Background entry points of documents: thin, take ids, safe to retry."""

from __future__ import annotations

from django_tasks import task

from abonent.documents.models import PrintBatch


@task()
def compose_chunk_task(chunk_id: int) -> int:
    """Compose one chunk of a composition run (a chunk done before is a no-op)."""
    from abonent.documents.composition import compose_chunk

    return compose_chunk(chunk_id=chunk_id)


@task()
def build_print_batch_task(batch_id: int) -> int:
    """Build a print batch's zip; a batch built before is left as it is."""
    from abonent.documents.composition import build_print_batch

    batch = PrintBatch.objects.select_related("run__branch").get(pk=batch_id)
    if batch.status == PrintBatch.Status.DONE:
        return batch.printed
    try:
        return build_print_batch(batch=batch).printed
    except Exception as exc:
        PrintBatch.objects.filter(pk=batch_id).update(status=PrintBatch.Status.FAILED, error=repr(exc)[:2000])
        raise


@task()
def retrain_dictionaries_task() -> dict[str, int]:
    """Train new dictionary versions for the kinds whose documents drifted."""
    from abonent.documents.services import retrain_drifted_dictionaries

    return retrain_drifted_dictionaries()
