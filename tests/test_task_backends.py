"""The Django Tasks API on both real backends: the database queue with its worker, and RQ on Redis."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks.base import TaskResultStatus

from tests.tasks_for_tests import add_numbers

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db(transaction=True)
def test_database_queue_runs_a_task_in_the_worker() -> None:
    with override_settings(TASKS=DB_TASKS):
        result = add_numbers.using(backend="default").enqueue(2, 3)
        assert result.status == TaskResultStatus.READY
        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == 5


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_rq_queue_runs_a_task_in_a_worker(redis_url: str) -> None:
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    rq_tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=rq_tasks, RQ_QUEUES={"default": {"URL": redis_url}}):
        queue = django_rq.get_queue("default")
        queue.empty()
        result = add_numbers.using(backend="default").enqueue(20, 22)
        worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
        worker.work(burst=True)
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == 42
