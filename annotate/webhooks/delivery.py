"""Telling a project's webhooks of an event: emit() records deliveries, deliver() sends one.

emit() runs inside the write that caused the event. It only writes WebhookDelivery rows and queues
their task, in the same transaction, so a rolled-back write sends nothing and no write waits on the
network. (On the database task backend the task rows commit with the write; on RQ the tasks are
queued once it commits, as annotate/jobs/lifecycle.py does for jobs.)

deliver(delivery_id, attempt) makes one attempt. It claims the attempt with one conditional UPDATE
(pending, and `attempt - 1` attempts made so far), so a duplicate of the task, an RQ retry or a stale
retry finds nothing to claim, and a delivery already sent is never sent again. A failure (no
connection, a timeout, a redirect, an answer other than 2xx) queues the next attempt after a backoff,
until WEBHOOK_MAX_ATTEMPTS; then the delivery is failed.
"""
import http.client
import json
import logging
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..jobs.backend import enqueues_in_transaction, task, task_backends
from ..models import Webhook, WebhookDelivery
from ..models.webhook import EVENTS
from .addresses import UnsafeURL, check_url
from .signing import signature

logger = logging.getLogger(__name__)

# Seconds to wait before attempt 2, 3, ...; the last one repeats if WEBHOOK_MAX_ATTEMPTS asks for more.
BACKOFF = (30, 120, 600, 3600, 6 * 3600)
ERROR_LIMIT = 2000  # characters of an error (or of a failing answer's body) kept on the delivery
USER_AGENT = "annotate-webhooks/1"


def emit(project, event: str, data: dict) -> list[WebhookDelivery]:
    """Queue a delivery of `event` to each of the project's active hooks that listen for it.

    `project` is a Project or its id. One query when no hook listens.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}; the events are {', '.join(EVENTS)}")
    project_id = getattr(project, "pk", project)
    # A project has a handful of hooks: their events are matched here, the same way on every database.
    hooks = [hook for hook in Webhook.objects.filter(project_id=project_id, active=True).select_related("project")
             if hook.listens_to(event)]
    if not hooks:
        return []
    now = timezone.now()
    payload = {"event": event, "project": {"id": project_id, "slug": hooks[0].project.slug},
               "created_at": now.isoformat(), "data": data}
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(webhook=hook, event=event, payload=payload, next_attempt_at=now) for hook in hooks
        )
        ids = [delivery.pk for delivery in deliveries]
        if enqueues_in_transaction():
            _enqueue_first(ids)
        else:
            transaction.on_commit(lambda: _enqueue_first(ids))
    return deliveries


def layer_data(annotation) -> dict:
    """What the layer events tell: which layer, of which article and annotator, in which state."""
    data = {"annotation": annotation.pk, "article": annotation.article_id, "annotator": annotation.annotator_id,
            "reviewer": annotation.reviewer_id, "is_gold": annotation.is_gold, "status": annotation.status,
            "version": annotation.version}
    if annotation.status == "returned":
        data["comment"] = annotation.review_comment
    return data


def _enqueue_first(ids: list[int]) -> None:
    for delivery_id in ids:
        deliver.enqueue(delivery_id, 1)


def send_again(delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event and payload to the same hook (admin's "send again")."""
    return _queue_copy(delivery)


@transaction.atomic
def _queue_copy(delivery: WebhookDelivery) -> WebhookDelivery:
    copy = WebhookDelivery.objects.create(webhook_id=delivery.webhook_id, event=delivery.event,
                                          payload=delivery.payload, next_attempt_at=timezone.now())
    if enqueues_in_transaction():
        _enqueue_first([copy.pk])
    else:
        transaction.on_commit(lambda: _enqueue_first([copy.pk]))
    return copy


@task(queue_name=settings.JOBS_QUEUE)
def deliver(delivery_id: int, attempt: int = 1) -> str:
    return attempt_delivery(delivery_id, attempt)


def backoff(attempt: int) -> int:
    """Seconds to wait after failed attempt number `attempt` (1-based)."""
    return BACKOFF[min(attempt, len(BACKOFF)) - 1]


def attempt_delivery(delivery_id: int, attempt: int) -> str:
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, attempts=attempt - 1,
    ).update(attempts=F("attempts") + 1, next_attempt_at=None)
    if not claimed:
        logger.info("webhook delivery %s attempt %s: already made, sent or gone: nothing to do", delivery_id, attempt)
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    hook = delivery.webhook
    if not hook.active:
        return _end(delivery, attempt, status=WebhookDelivery.Status.FAILED, error="The webhook was deactivated.")
    code, error = post(hook, delivery)
    if error is None:
        return _end(delivery, attempt, status=WebhookDelivery.Status.SENT, code=code)
    if attempt >= settings.WEBHOOK_MAX_ATTEMPTS or not task_backends["default"].supports_defer:
        return _end(delivery, attempt, status=WebhookDelivery.Status.FAILED, code=code, error=error)
    next_at = timezone.now() + timedelta(seconds=backoff(attempt))
    _end(delivery, attempt, status=WebhookDelivery.Status.PENDING, code=code, error=error, next_at=next_at)
    deliver.using(run_after=next_at).enqueue(delivery_id, attempt + 1)
    return "retrying"


def _end(delivery, attempt, *, status, code=None, error=None, next_at=None) -> str:
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(
        status=status, last_status_code=code, last_error=(error or "")[:ERROR_LIMIT], next_attempt_at=next_at,
        delivered_at=timezone.now() if status == WebhookDelivery.Status.SENT else None,
    )
    if error:
        logger.warning("webhook delivery %s attempt %s to %s: %s", delivery.pk, attempt, delivery.webhook.url, error)
    return status


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps({**delivery.payload, "delivery": delivery.pk}, cls=DjangoJSONEncoder,
                      separators=(",", ":")).encode()


def post(hook: Webhook, delivery: WebhookDelivery) -> tuple[int | None, str | None]:
    """POST the delivery to the hook: (status code or None, None if it succeeded else why not)."""
    try:
        addresses = check_url(hook.url)  # again: DNS may have changed since the hook was registered
    except UnsafeURL as refused:
        return None, f"Refused: {refused}"
    parts = urlsplit(hook.url)
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Annotate-Event": delivery.event,
        "X-Annotate-Delivery": str(delivery.pk),
        "X-Annotate-Timestamp": str(timestamp),
        "X-Annotate-Signature": signature(hook.secret, timestamp, body),
    }
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _connection(parts, addresses, settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(ERROR_LIMIT)
    except (OSError, http.client.HTTPException) as error:  # refused, reset, timeout, TLS, a broken answer
        return None, f"{type(error).__name__}: {error}"
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return response.status, None
    if 300 <= response.status < 400:
        # Not followed: the new location was never checked, and a redirect to an internal address is
        # the classic way around an SSRF guard.
        location = response.getheader("Location", "?")
        return response.status, f"HTTP {response.status}: redirect to {location} not followed"
    return response.status, f"HTTP {response.status}: {answer.decode('utf-8', 'replace')}"


def _connection(parts, addresses: list[str], timeout: float) -> http.client.HTTPConnection:
    """A connection to the URL's host that connects to `addresses` (checked) instead of resolving its name
    again; the Host header, TLS's server name and the certificate check still use the name."""
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = cls(parts.hostname, parts.port, timeout=timeout)

    def connect_to_checked(address, timeout=timeout, source_address=None):
        port = address[1]
        last = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, port), timeout, source_address)
            except OSError as error:
                last = error
        raise last

    connection._create_connection = connect_to_checked
    return connection


def forget_old(cutoff) -> int:
    """Delete the log's ended deliveries (sent or failed) made before `cutoff` (clean_jobs' retention)."""
    deleted, _ = WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.PENDING).filter(
        created_at__lt=cutoff).delete()
    return deleted
