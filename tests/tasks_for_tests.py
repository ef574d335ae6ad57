"""A task that exists only for the tests of the task backends (importable by the workers)."""

from django_tasks import task


@task()
def add_numbers(a: int, b: int) -> int:
    return a + b
