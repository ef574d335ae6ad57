"""Background entry points of integration: thin, take ids, safe to retry (a run resumes from its cursor)."""

from __future__ import annotations

from django_tasks import task

from abonent.integration.models import ImportRun


@task()
def run_import_task(run_id: int) -> str:
    """Run or resume an import; a finished run is left as it is."""
    from abonent.integration.services import run_import

    run = ImportRun.objects.get(pk=run_id)
    if run.done:
        return run.status
    return run_import(run_id=run_id).status


@task()
def resume_stalled_imports_task() -> int:
    """Re-queue runs whose worker died (no progress for 10 minutes); the cursor makes this safe."""
    from abonent.integration.selectors import stalled_runs

    runs = list(stalled_runs())
    for run in runs:
        run_import_task.enqueue(run.pk)
    return len(runs)


@task()
def scan_watched_folders_task() -> int:
    """Start a run for each new file in the watched folders of active profiles."""
    from abonent.integration.folders import scan_watched_folders

    return len(scan_watched_folders())


@task()
def export_changes_task() -> int:
    """Write each source's unacknowledged changes to its export folder (billing takes them as files)."""
    from pathlib import Path

    from abonent.integration.api_services import export_changes_file
    from abonent.integration.models import SyncSubscription

    written = 0
    for subscription in SyncSubscription.objects.exclude(export_folder="").select_related("source"):
        if export_changes_file(source=subscription.source, folder=Path(subscription.export_folder)):
            written += 1
    return written


@task()
def prune_import_bundles_task() -> int:
    """Remove the documents bundles of runs finished before the retention (never of a resumable run)."""
    from abonent.integration.bundles import prune_bundles

    return len(prune_bundles())
