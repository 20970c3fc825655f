"""Django's Tasks API: `django.tasks` from Django 6, the django-tasks backport on Django 5.2."""
try:
    from django.tasks import task, task_backends  # Django >= 6.0
except ImportError:
    from django_tasks import task, task_backends

__all__ = ["enqueues_in_transaction", "task", "task_backends"]


def enqueues_in_transaction() -> bool:
    """Whether enqueueing writes to this database, so a job and its task commit (or vanish) together.

    Other backends (RQ) are told about a job only once it is committed, or a worker could look for a
    row it cannot see yet.
    """
    return type(task_backends["default"]).__module__.startswith("django_tasks_db")
