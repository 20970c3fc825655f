"""Webhooks: a manager's URLs told of a project's events, signed, retried, never sent to private addresses."""
import pytest

from annotate import webhooks
from annotate.models import Webhook, WebhookDelivery

PUBLIC = "https://hooks.example.com/in"


@pytest.fixture
def public_dns(monkeypatch):
    """example.com resolves to a public documentation-free address, without a network."""
    import socket

    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host.endswith("example.com"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_emit_records_a_delivery_for_each_listening_hook(project, manager, django_capture_on_commit_callbacks):
    listening = Webhook.objects.create(project=project, url=PUBLIC, events=["layer.submitted"], created_by=manager)
    Webhook.objects.create(project=project, url=PUBLIC, events=["snapshot.ready"])
    Webhook.objects.create(project=project, url=PUBLIC, events=["layer.submitted"], active=False)
    webhooks.emit(project, "layer.submitted", {"annotation": 1})
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook == listening and delivery.status == "pending"
    assert delivery.payload["data"] == {"annotation": 1}
    assert delivery.payload["project"] == {"id": project.pk, "slug": project.slug}


def test_emit_refuses_an_unknown_event(project):
    with pytest.raises(ValueError):
        webhooks.emit(project, "layer.eaten", {})
