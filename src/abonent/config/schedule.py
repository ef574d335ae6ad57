"""Every periodic job of the platform in one place (run by `manage.py scheduler`)."""

from abonent.core.scheduling import ScheduledJob

SCHEDULE: list[ScheduledJob] = [
    ScheduledJob(
        name="messaging.redeliver",
        cron="*/2 * * * *",
        task="abonent.messaging.tasks.redeliver_queued_messages_task",
        description="Retry messages left queued by transient provider errors or a crashed worker.",
    ),
    ScheduledJob(
        name="core.prune_scheduled_runs",
        cron="40 3 * * *",
        task="abonent.core.tasks.prune_scheduled_runs_task",
        description="Forget scheduler bookkeeping older than 30 days.",
    ),
    ScheduledJob(
        name="integration.watched_folders",
        cron="*/5 * * * *",
        task="abonent.integration.tasks.scan_watched_folders_task",
        description="Start an import for each new file in the watched folders of import profiles.",
    ),
    ScheduledJob(
        name="integration.resume_stalled",
        cron="*/10 * * * *",
        task="abonent.integration.tasks.resume_stalled_imports_task",
        description="Resume import runs whose worker died (the cursor makes it safe).",
    ),
    ScheduledJob(
        name="integration.export_changes",
        cron="15 * * * *",
        task="abonent.integration.tasks.export_changes_task",
        description="Write unacknowledged changes for billing systems that take them as files.",
    ),
    ScheduledJob(
        name="integration.prune_bundles",
        cron="50 3 * * *",
        task="abonent.integration.tasks.prune_import_bundles_task",
        description="Remove documents manifests' files of import runs finished longer ago than "
        "INTEGRATION_BUNDLE_RETENTION_DAYS (never of a run that may be resumed).",
    ),
    ScheduledJob(
        name="payments.autopay",
        cron="0 9 * * *",
        task="abonent.payments.tasks.run_autopay_task",
        description="Send autopay notices due today and charge saved cards on the bill date.",
    ),
    ScheduledJob(
        name="payments.reconcile",
        cron="30 2 * * *",
        task="abonent.payments.tasks.reconcile_yesterday_task",
        description="Reconcile yesterday's payments with each gateway's list.",
    ),
    ScheduledJob(
        name="documents.retrain_dictionaries",
        cron="20 4 * * 0",
        task="abonent.documents.tasks.retrain_dictionaries_task",
        description="Train new zstd dictionary versions for document kinds whose recent documents compress "
        "15 % worse than at training (or that have enough documents and no dictionary yet).",
    ),
]
