"""Webhooks: a project's registered URLs told of events, by a signed, retried delivery job."""


def emit(project, event: str, data: dict) -> None:
    """Queue a delivery of `event` to each of the project's hooks that listen for it."""
    from .delivery import emit as _emit

    _emit(project, event, data)
