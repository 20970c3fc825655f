"""Webhooks: a project's registered URLs told of events, by a signed, retried delivery job."""


def emit(project, event: str, data: dict) -> None:
    """Queue a delivery of `event` to each of the project's hooks that listen for it (`project`: a Project or
    its id). In the caller's transaction: a write that rolls back sends nothing; nothing waits on the network."""
    from .delivery import emit as _emit

    _emit(project, event, data)


def layer_data(annotation) -> dict:
    """The `data` of the layer events (layer.submitted, layer.returned, gold.adjudicated)."""
    from .delivery import layer_data as _layer_data

    return _layer_data(annotation)
