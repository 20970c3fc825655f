"""Webhooks: a manager's URLs told of a project's events, signed, retried, never sent to private addresses."""
import io
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from annotate import webhooks
from annotate.jobs.kinds.imports import start_import
from annotate.jobs.kinds.snapshots import start_snapshot
from annotate.models import Annotation, Membership, Webhook, WebhookDelivery
from annotate.services import annotating
from annotate.services.review import adjudicate, return_to_annotator, start_gold
from annotate.webhooks import delivery as delivery_module
from annotate.webhooks.addresses import UnsafeURL, check_url
from annotate.webhooks.delivery import attempt_delivery, backoff, deliver
from annotate.webhooks.signing import signature, verify

from .factories import make_article, make_assignment, make_member, make_project, make_user

PUBLIC = "https://hooks.example.com/in"
ALL_EVENTS = ["layer.submitted", "layer.returned", "gold.adjudicated", "import.finished", "snapshot.ready"]


@pytest.fixture
def public_dns(monkeypatch):
    """*.example.com resolves to a public address, without a network; other names as usual."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host.endswith("example.com"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


class Receiver:
    """A webhook receiver on 127.0.0.1: what it was sent, and the statuses it answers in turn (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.url = ""


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # it listens on loopback
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status = received.answers.pop(0) if received.answers else 200
            self.send_response(status)
            if status in (301, 302, 307):
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"answer")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_port}/hook?source=annotate"
    yield received
    server.shutdown()
    server.server_close()


def hook_for(project, url=PUBLIC, events=ALL_EVENTS, **extra) -> Webhook:
    return Webhook.objects.create(project=project, url=url, events=list(events), **extra)


def due_now():
    """Bring every deferred task forward, as the clock would."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))


def submitted_layer(project, user) -> Annotation:
    layer = annotating.open_layer(assignment=make_assignment(make_article(project), user))
    return annotating.submit(annotation=layer, expected_version=layer.version)


# Signing ------------------------------------------------------------------------


def test_a_signature_verifies_with_the_secret_only_and_only_while_recent():
    body = b'{"event":"layer.submitted"}'
    now = int(time.time())
    header = signature("s3cret", now, body)
    assert header.startswith("sha256=") and len(header) == len("sha256=") + 64
    assert verify("s3cret", str(now), body, header)
    assert not verify("other", str(now), body, header)
    assert not verify("s3cret", str(now), body + b" ", header)
    assert not verify("s3cret", str(now + 1), body, header)  # the timestamp is signed
    old = now - 3600
    assert not verify("s3cret", str(old), body, signature("s3cret", old, body))  # a replay an hour later


def test_the_docs_receiver_example_verifies_a_delivery():
    import hashlib
    import hmac

    secret, timestamp, body = "s3cret", str(int(time.time())), b'{"a":1}'
    header = signature(secret, int(timestamp), body)
    # docs/webhooks.md's receiver, as written there
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, header) and abs(time.time() - int(timestamp)) < 300


# Where hooks may point ------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://10.0.0.7/hook", "http://[::1]:8080/hook", "http://169.254.169.254/latest",
    "http://localhost:8000/hook", "http://192.168.1.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
    "http://100.64.0.1/", "http://224.0.0.1/",
])
def test_private_loopback_and_link_local_addresses_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeURL, match="public addresses only"):
        check_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://[::1]/", "http://localhost/"])
def test_the_setting_allows_private_addresses(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert check_url(url)


@pytest.mark.parametrize("url", ["ftp://hooks.example.com/", "file:///etc/passwd", "gopher://hooks.example.com/"])
def test_only_http_and_https(url, settings, public_dns):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with pytest.raises(UnsafeURL, match="Only http and https"):
        check_url(url)


def test_a_public_host_is_allowed(public_dns):
    assert check_url(PUBLIC) == ["93.184.215.14"]


def test_a_name_resolving_to_any_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port)),
    ])
    with pytest.raises(UnsafeURL, match="10.0.0.1"):
        check_url("https://mixed.example.org/")


def test_registering_a_loopback_hook_is_a_clear_field_error(project, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    hook = Webhook(project=project, url="http://localhost:9000/", events=["layer.submitted"])
    with pytest.raises(ValidationError) as refused:
        hook.full_clean()
    assert "public addresses only" in refused.value.message_dict["url"][0]


def test_unknown_events_and_no_events_are_refused(project, public_dns):
    with pytest.raises(ValidationError, match="Unknown event layer.eaten"):
        Webhook(project=project, url=PUBLIC, events=["layer.eaten"]).full_clean()
    with pytest.raises(ValidationError, match="at least one event"):
        Webhook(project=project, url=PUBLIC, events=[]).full_clean()


def test_a_hook_whose_name_now_resolves_to_loopback_is_not_sent_to(project, monkeypatch, settings):
    """Registered while public; the DNS changed since: the delivery re-checks and never connects."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    hook_for(project, url="http://rebound.example.net/")
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))])
    connected = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    (delivery,) = delivery_module.emit(project, "layer.submitted", {})
    assert attempt_delivery(delivery.pk, 1) == "retrying"  # refused, retried later in case DNS changes back
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused:") and connected == []


def test_delivery_connects_to_the_checked_address_not_a_second_lookup(project, receiver, monkeypatch):
    """DNS rebinding: the name is resolved once, checked, and that address is the one connected to."""
    port = receiver.url.split(":")[2].split("/")[0]
    hook_for(project, url=f"http://rebinding.example.net:{port}/hook")
    lookups = []

    def resolve(host, port, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    (delivery,) = delivery_module.emit(project, "layer.submitted", {})
    assert attempt_delivery(delivery.pk, 1) == "sent"
    assert lookups.count("rebinding.example.net") == 1  # the check's; the connection is to 127.0.0.1 itself
    assert receiver.requests[0]["headers"]["Host"] == f"rebinding.example.net:{port}"


# Events from the services ------------------------------------------------------------


def test_emit_records_a_delivery_for_each_listening_hook(project, manager):
    listening = hook_for(project, events=["layer.submitted"], created_by=manager)
    hook_for(project, events=["snapshot.ready"])
    hook_for(project, events=["layer.submitted"], active=False)
    hook_for(make_project("elsewhere"), events=["layer.submitted"])
    webhooks.emit(project, "layer.submitted", {"annotation": 1})
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook == listening and delivery.status == "pending" and delivery.attempts == 0
    assert delivery.payload["data"] == {"annotation": 1}
    assert delivery.payload["project"] == {"id": project.pk, "slug": project.slug}
    assert DBTaskResult.objects.filter(task_path__endswith="delivery.deliver").count() == 1


def test_emit_refuses_an_unknown_event(project):
    with pytest.raises(ValueError):
        webhooks.emit(project, "layer.eaten", {})


def test_emit_without_hooks_costs_one_query(project, django_assert_num_queries):
    with django_assert_num_queries(1):
        webhooks.emit(project.pk, "layer.submitted", {})


def test_submitting_returning_and_adjudicating_emit_their_events(project, annotator_a, reviewer):
    hook_for(project)
    layer = submitted_layer(project, annotator_a)
    submitted_version = layer.version
    returned = return_to_annotator(annotation=layer, reviewer=reviewer, comment="Link the quote to its cue.")
    gold = start_gold(article=layer.article, reviewer=reviewer)
    adjudicate(gold=gold, expected_version=gold.version, reviewer=reviewer)

    by_event = {d.event: d.payload for d in WebhookDelivery.objects.all()}
    assert set(by_event) == {"layer.submitted", "layer.returned", "gold.adjudicated"}
    assert by_event["layer.submitted"]["data"] == {
        "annotation": layer.pk, "article": layer.article_id, "annotator": annotator_a.pk, "reviewer": None,
        "is_gold": False, "status": "submitted", "version": submitted_version}
    assert by_event["layer.returned"]["data"]["comment"] == "Link the quote to its cue."
    assert by_event["layer.returned"]["data"]["version"] == returned.version
    assert by_event["gold.adjudicated"]["data"]["annotation"] == gold.pk
    assert by_event["gold.adjudicated"]["data"]["status"] == "adjudicated"


def test_a_rolled_back_write_queues_nothing(project, annotator_a):
    hook_for(project)
    layer = annotating.open_layer(assignment=make_assignment(make_article(project), annotator_a))
    tasks_before = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        annotating.submit(annotation=layer, expected_version=layer.version)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the request failed after the submit")
    assert WebhookDelivery.objects.count() == 0
    assert DBTaskResult.objects.count() == tasks_before


def test_on_a_queue_outside_the_database_the_task_is_sent_on_commit(project, annotator_a, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    """RQ cannot take part in the transaction: the task goes once the write has committed, never before."""
    monkeypatch.setattr(delivery_module, "enqueues_in_transaction", lambda: False)
    hook_for(project)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submitted_layer(project, annotator_a)
    assert WebhookDelivery.objects.count() == 1
    assert not DBTaskResult.objects.filter(task_path__endswith="delivery.deliver").exists()
    for callback in callbacks:
        callback()
    assert DBTaskResult.objects.filter(task_path__endswith="delivery.deliver").count() == 1


# Delivering ---------------------------------------------------------------------------


def test_a_delivery_is_posted_signed_to_the_receiver(project, annotator_a, receiver, run_jobs):
    hook = hook_for(project, url=receiver.url, events=["layer.submitted"])
    layer = submitted_layer(project, annotator_a)
    assert receiver.requests == []  # nothing is sent by the write itself
    assert run_jobs() == 1

    (request,) = receiver.requests
    delivery = WebhookDelivery.objects.get()
    headers = request["headers"]
    assert request["path"] == "/hook?source=annotate"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Annotate-Event"] == "layer.submitted"
    assert headers["X-Annotate-Delivery"] == str(delivery.pk)
    assert verify(hook.secret, headers["X-Annotate-Timestamp"], request["body"], headers["X-Annotate-Signature"])
    body = json.loads(request["body"])
    assert body["event"] == "layer.submitted" and body["delivery"] == delivery.pk
    assert body["project"] == {"id": project.pk, "slug": "demo"}
    assert body["data"]["annotation"] == layer.pk
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_a_failed_delivery_is_retried_with_backoff_then_sent(project, receiver, run_jobs):
    hook_for(project, url=receiver.url)
    receiver.answers = [500, 503]
    (delivery,) = delivery_module.emit(project, "snapshot.ready", {"job": 1})

    before = timezone.now()
    assert run_jobs() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500: answer"
    assert timedelta(seconds=29) < delivery.next_attempt_at - before < timedelta(seconds=40)
    assert run_jobs() == 0  # the retry waits for its time

    due_now()
    assert run_jobs() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 2, 503)
    assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=110)  # 2 minutes, then 10

    due_now()
    assert run_jobs() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == ("sent", 3, 200, "")
    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Annotate-Delivery"] for r in receiver.requests}) == 1  # receivers dedupe by it


def test_backoff_grows_and_stops_at_six_hours():
    assert [backoff(n) for n in range(1, 8)] == [30, 120, 600, 3600, 21600, 21600, 21600]


def test_after_the_last_attempt_the_delivery_fails(project, receiver, run_jobs, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    hook_for(project, url=receiver.url)
    receiver.answers = [500, 500, 500]
    (delivery,) = delivery_module.emit(project, "snapshot.ready", {})
    run_jobs()
    due_now()
    run_jobs()
    due_now()
    assert run_jobs() == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
    assert len(receiver.requests) == 2


def test_an_unreachable_receiver_is_an_error_retried(project, settings, run_jobs):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook_for(project, url=f"http://127.0.0.1:{port}/")
    (delivery,) = delivery_module.emit(project, "snapshot.ready", {})
    run_jobs()
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error


def test_redirects_are_not_followed(project, receiver, run_jobs):
    hook_for(project, url=receiver.url)
    receiver.answers = [302]
    (delivery,) = delivery_module.emit(project, "snapshot.ready", {})
    run_jobs()
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_status_code == 302
    assert "not followed" in delivery.last_error
    assert len(receiver.requests) == 1  # the metadata address was never asked


def test_a_duplicate_task_sends_nothing_twice(project, receiver, run_jobs):
    hook_for(project, url=receiver.url)
    (delivery,) = delivery_module.emit(project, "snapshot.ready", {})
    deliver.enqueue(delivery.pk, 1)  # an RQ retry, a worker restarted mid-task, a double enqueue
    assert run_jobs() == 2
    assert len(receiver.requests) == 1
    assert attempt_delivery(delivery.pk, 1) == "skipped"
    assert attempt_delivery(delivery.pk, 2) == "skipped"  # a stale retry of a delivery since sent
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_a_deactivated_hook_is_not_sent_to(project, receiver, run_jobs):
    hook = hook_for(project, url=receiver.url)
    (delivery,) = delivery_module.emit(project, "snapshot.ready", {})
    Webhook.objects.filter(pk=hook.pk).update(active=False)
    run_jobs()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and receiver.requests == []


def test_import_and_snapshot_jobs_tell_their_hooks(project, manager, receiver, run_jobs):
    hook_for(project, url=receiver.url, events=["import.finished", "snapshot.ready"])
    upload = io.BytesIO(b'{"external_id": "w1", "text": "Morocco said it.", "title": "T"}\n')
    upload.name = "articles.jsonl"
    imported = start_import(upload, user=manager, project_slug=project.slug)
    snapshot = start_snapshot(project, user=manager)
    assert WebhookDelivery.objects.count() == 0  # queued jobs tell nothing yet
    run_jobs()  # the jobs, then the deliveries they queued

    by_event = {json.loads(r["body"])["event"]: json.loads(r["body"])["data"] for r in receiver.requests}
    assert by_event["import.finished"]["job"] == imported.pk
    assert by_event["import.finished"]["status"] == "done"
    assert by_event["import.finished"]["result"]["articles_created"] == 1
    assert by_event["snapshot.ready"]["job"] == snapshot.pk
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}


# Admin -----------------------------------------------------------------------------------


@pytest.fixture
def staff_manager(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


@pytest.fixture
def other_manager(db):
    """A staff user who manages another project."""
    user = make_user("olga", is_staff=True)
    make_member(make_project("other"), user, role=Membership.Role.MANAGER)
    return user


def admin_url(model, view, *args):
    return reverse(f"admin:annotate_{model._meta.model_name}_{view}", args=args)


def test_a_manager_registers_a_hook_and_reads_its_secret(client, project, staff_manager, public_dns):
    client.force_login(staff_manager)
    response = client.post(admin_url(Webhook, "add"), {
        "project": project.pk, "url": PUBLIC, "events": ["layer.submitted", "gold.adjudicated"], "active": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    hook = Webhook.objects.get()
    assert hook.events == ["layer.submitted", "gold.adjudicated"] and hook.created_by == staff_manager
    assert len(hook.secret) >= 40
    assert hook.secret in client.get(admin_url(Webhook, "change", hook.pk)).content.decode()


def test_registering_a_private_url_in_admin_says_why(client, project, staff_manager, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(staff_manager)
    response = client.post(admin_url(Webhook, "add"), {
        "project": project.pk, "url": "http://169.254.169.254/latest/meta-data/", "events": ["layer.submitted"]})
    assert response.status_code == 200
    assert "public addresses only" in response.context["adminform"].form.errors["url"][0]
    assert not Webhook.objects.exists()


def test_a_manager_cannot_register_a_hook_on_another_project(client, staff_manager, other_manager, public_dns):
    client.force_login(other_manager)
    response = client.post(admin_url(Webhook, "add"), {
        "project": Membership.objects.get(user=staff_manager).project_id, "url": PUBLIC,
        "events": ["layer.submitted"]})
    assert response.status_code == 200 and "project" in response.context["adminform"].form.errors
    assert not Webhook.objects.exists()


def test_another_projects_manager_sees_neither_the_hook_nor_its_deliveries(client, project, staff_manager,
                                                                          other_manager):
    hook = hook_for(project)
    (delivery,) = delivery_module.emit(project, "layer.submitted", {"secret_thing": "payload-only-for-demo"})

    client.force_login(other_manager)
    listing = client.get(admin_url(Webhook, "changelist"))
    assert listing.status_code == 200 and list(listing.context["cl"].result_list) == []
    for url in (admin_url(Webhook, "change", hook.pk), admin_url(WebhookDelivery, "change", delivery.pk)):
        response = client.get(url, follow=True)
        assert hook.secret not in response.content.decode()
        assert "payload-only-for-demo" not in response.content.decode()
    response = client.post(admin_url(Webhook, "delete", hook.pk), {"post": "yes"})
    assert Webhook.objects.filter(pk=hook.pk).exists()
    deliveries = client.get(admin_url(WebhookDelivery, "changelist"))
    assert list(deliveries.context["cl"].result_list) == []
    assert hook.url not in deliveries.content.decode()  # not even in the webhook filter

    client.force_login(staff_manager)
    assert list(client.get(admin_url(Webhook, "changelist")).context["cl"].result_list) == [hook]
    page = client.get(admin_url(WebhookDelivery, "change", delivery.pk))
    assert page.status_code == 200 and "payload-only-for-demo" in page.content.decode()


@pytest.mark.parametrize("persona", ["annotator_a", "reviewer"])
def test_annotators_and_reviewers_see_no_webhooks(client, project, persona, request):
    user = request.getfixturevalue(persona)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    hook_for(project)
    client.force_login(user)
    assert client.get(admin_url(Webhook, "changelist")).status_code == 403
    assert client.get(admin_url(WebhookDelivery, "changelist")).status_code == 403


def test_the_superuser_sees_every_projects_log(client, project, superuser, other_manager):
    hook_for(project)
    hook_for(Membership.objects.get(user=other_manager).project)
    delivery_module.emit(project, "layer.submitted", {})
    client.force_login(superuser)
    assert len(client.get(admin_url(Webhook, "changelist")).context["cl"].result_list) == 2
    assert len(client.get(admin_url(WebhookDelivery, "changelist")).context["cl"].result_list) == 1


def test_the_delivery_log_is_read_only_and_sends_again(client, project, staff_manager):
    hook_for(project)
    (delivery,) = delivery_module.emit(project, "layer.submitted", {"annotation": 7})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6, last_error="HTTP 500: no")
    client.force_login(staff_manager)
    assert client.get(admin_url(WebhookDelivery, "add")).status_code == 403
    page = client.get(admin_url(WebhookDelivery, "change", delivery.pk)).content.decode()
    assert "HTTP 500: no" in page and "&quot;annotation&quot;: 7" in page
    response = client.post(admin_url(WebhookDelivery, "changelist"),
                           {"action": "send_again", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert (again.status, again.attempts, again.payload) == ("pending", 0, delivery.payload)


def test_the_delivery_log_queries_do_not_grow_with_rows(client, project, superuser, django_assert_max_num_queries):
    hook_for(project)
    client.force_login(superuser)
    counts = []
    for rows in (3, 30):
        while WebhookDelivery.objects.count() < rows:
            delivery_module.emit(project, "layer.submitted", {})
        # session, user, capped count, rows with their hooks and projects, the webhook filter's hooks
        with django_assert_max_num_queries(5) as captured:
            response = client.get(admin_url(WebhookDelivery, "changelist"))
        assert len(response.context["cl"].result_list) == rows
        counts.append(len(captured))
    assert counts[0] == counts[1]
