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
]
