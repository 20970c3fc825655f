"""A project's webhooks and the log of what was sent to them (annotate/webhooks/).

A Webhook is a URL a project's manager registered for some events; each event it listens for makes
one WebhookDelivery, the row a delivery task works from and the log people read in admin.
"""
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .project import Project

EVENTS = ("layer.submitted", "layer.returned", "gold.adjudicated", "import.finished", "snapshot.ready")
EVENT_CHOICES = [
    ("layer.submitted", "layer submitted by its annotator"),
    ("layer.returned", "layer returned by a reviewer"),
    ("gold.adjudicated", "gold layer adjudicated"),
    ("import.finished", "import job finished (done or failed)"),
    ("snapshot.ready", "snapshot ready to download"),
]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500, help_text="http:// or https://; a public address unless "
                                                   "WEBHOOK_ALLOW_PRIVATE is set.")
    events = models.JSONField(default=list, help_text="The event names this hook is told of.")
    # Signs every delivery (HMAC-SHA256); only those who may edit the hook can read it.
    secret = models.CharField(max_length=100, default=new_secret)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]
        indexes = [models.Index(fields=["project", "active"], name="webhook_by_project")]

    def __str__(self):
        return f"{self.url} ({', '.join(self.events)})"

    def listens_to(self, event: str) -> bool:
        return self.active and event in self.events

    def clean(self):
        from ..webhooks.addresses import UnsafeURL, check_url

        errors = {}
        if not isinstance(self.events, list) or not self.events:
            errors["events"] = "Choose at least one event."
        else:
            unknown = [event for event in self.events if event not in EVENTS]
            if unknown:
                errors["events"] = f"Unknown event {', '.join(map(str, unknown))}; the events are {', '.join(EVENTS)}."
        if self.url:
            try:
                check_url(self.url)
            except UnsafeURL as refused:
                errors["url"] = str(refused)
        if errors:
            raise ValidationError(errors)


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=EVENT_CHOICES)
    # The body sent, but for the delivery's id (added at sending): {"event", "project", "created_at", "data"}.
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Attempts claimed so far; a task is told which attempt it makes, so a duplicate of it claims nothing.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The delivery log: newest first, all of them or one hook's; and what is still waiting.
            models.Index(fields=["-created_at", "-id"], name="delivery_newest"),
            models.Index(fields=["webhook", "-created_at"], name="delivery_by_webhook"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_by_status"),
        ]

    def __str__(self):
        return f"{self.event} delivery {self.pk} ({self.status})"
