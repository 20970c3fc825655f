"""With a read replica configured, exports, dashboards and agreement read from it; everything else from the primary."""
import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from annotate import dashboards
from annotate.agreement.report import agreement_report
from annotate.models import Membership
from annotate.services import annotating

from .factories import api_client, make_article, make_assignment, make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def world():
    project = make_project("routed")
    annotator, engineer = make_user("anna"), make_user("erin")
    Membership.objects.create(project=project, user=annotator, role="annotator")
    Membership.objects.create(project=project, user=engineer, role="engineer")
    layer = annotating.open_layer(assignment=make_assignment(make_article(project, text="Rabat said so."), annotator))
    annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=5)
    annotating.submit(annotation=layer, expected_version=2)
    return project, annotator, engineer, layer


def queries(run):
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as replica:
        result = run()
    return result, len(primary), len(replica)


@override_settings(READ_REPLICA_ALIAS="replica")
def test_exports_dashboards_and_agreement_read_from_the_replica(world):
    project, annotator, engineer, layer = world
    response, _, on_replica = queries(
        lambda: b"".join(api_client(engineer).get(reverse("api:export-jsonl", args=[project.slug])).streaming_content))
    assert b"Rabat" in response and on_replica >= 5  # summary, layers, spans, relations, stances...
    # The dashboards read their kept totals (a few rows) where they keep them: a replica could lag behind
    # the recount the same request has just made. None stale, the totals, the label order.
    _, on_primary, on_replica = queries(lambda: dashboards.label_distribution(project))
    assert on_primary == 3 and on_replica == 0
    # A report computed from the layers themselves (narrowed, or agreement_report directly) reads the replica.
    _, on_primary, on_replica = queries(lambda: agreement_report(project))
    assert on_primary == 0 and on_replica > 0


@override_settings(READ_REPLICA_ALIAS="replica")
def test_annotator_reads_and_writes_stay_on_the_primary(world):
    project, annotator, engineer, layer = world
    client = api_client(annotator)
    _, on_primary, on_replica = queries(lambda: client.get(reverse("api:annotation-detail", args=[layer.pk])))
    assert on_primary > 0 and on_replica == 0
    layer.refresh_from_db()
    Membership.objects.filter(user=annotator).update(role="annotator")
    _, on_primary, on_replica = queries(lambda: annotating.open_layer(assignment=layer.article.assignments.get()))
    assert on_replica == 0


def test_without_a_replica_everything_uses_the_primary(world):
    project, *_ = world
    _, on_primary, on_replica = queries(lambda: dashboards.label_distribution(project))
    assert (on_primary, on_replica) == (3, 0)
