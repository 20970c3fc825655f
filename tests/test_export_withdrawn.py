"""Withdrawals: `export/withdrawn?updated_since=T` lists the layers that left the selection, so a mirror kept by
incremental pulls stays exact (docs/export.md, "Withdrawals")."""
import datetime as dt
import io
import random

import orjson
import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from annotate.export import ExportFilters, iter_withdrawals
from annotate.export import withdrawn as withdrawn_module
from annotate.models import Annotation, AnnotationEvent, Membership
from annotate.services import annotating, review
from annotate.services.editing import delete_layers
from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .factories import api_client, make_member, make_project, make_user
from .plans import explain_queryset

pytestmark = pytest.mark.django_db
KEYS = {"annotation_id", "article", "external_id", "annotator", "withdrawn_at", "reason"}


@pytest.fixture
def corpus():
    """Twelve articles, each with a submitted layer by anna and one by ben; an engineer's client."""
    project = make_project("mirror", targets=TARGETS)
    records = annotated_records(12, seed=7)
    anna, ben, rita = make_user("anna"), make_user("ben"), make_user("rita")
    for user in (anna, ben):
        import_file(io.BytesIO(to_jsonl(records)), name="corpus.jsonl", project_slug=project.slug, annotator=user)
    make_member(project, rita, role=Membership.Role.REVIEWER)
    client = api_client(make_member(project, make_user("erin"), role=Membership.Role.ENGINEER))
    return project, records, {"anna": anna, "ben": ben, "rita": rita}, client


def get_lines(client, project, name, **params) -> list[dict]:
    response = client.get(reverse(f"api:export-{name}", kwargs={"slug": project.slug}), params)
    assert response.status_code == 200, response.content
    return [orjson.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Mirror:
    """A copy kept the documented way: withdrawals first, then the JSONL pull, both since the last pull's start."""

    def __init__(self, client, project, status):
        self.client, self.project, self.status = client, project, status
        self.records: dict[int, dict] = {}
        self.since = None

    def pull(self) -> None:
        started = timezone.now()
        params = {"status": self.status, **({"updated_since": stamp(self.since)} if self.since else {})}
        for tombstone in get_lines(self.client, self.project, "withdrawn", **params):
            assert set(tombstone) == KEYS
            self.records.pop(tombstone["annotation_id"], None)
        for record in get_lines(self.client, self.project, "jsonl", **params):
            self.records[record["annotation_id"]] = record
        self.since = started

    def matches_a_full_export(self) -> bool:
        full = {r["annotation_id"]: r for r in get_lines(self.client, self.project, "jsonl", status=self.status)}
        return self.records == full


def test_a_returned_layer_is_one_tombstone_and_comes_back_in_the_jsonl_once_resubmitted(corpus):
    project, _, users, client = corpus
    start = timezone.now()
    layer = Annotation.objects.filter(article__project=project, annotator=users["anna"]).first()
    review.return_to_annotator(annotation=layer, reviewer=users["rita"], comment="check the quotes")

    [tombstone] = get_lines(client, project, "withdrawn", updated_since=stamp(start))
    event = AnnotationEvent.objects.get(annotation_id=layer.pk, action="status.return")
    assert tombstone == {"annotation_id": layer.pk, "article": layer.article_id,
                         "external_id": layer.article.external_id, "annotator": "anna",
                         "withdrawn_at": stamp(event.created_at), "reason": "returned"}
    assert layer.pk not in {r["annotation_id"] for r in get_lines(client, project, "jsonl",
                                                                   updated_since=stamp(start))}
    # Nothing left the gold export, and nothing leaves "all" by a status change.
    assert get_lines(client, project, "withdrawn", updated_since=stamp(start), status="gold") == []
    assert get_lines(client, project, "withdrawn", updated_since=stamp(start), status="all") == []

    layer.refresh_from_db()
    annotating.submit(annotation=layer, expected_version=layer.version, confirm_missing_evidence=True)
    assert get_lines(client, project, "withdrawn", updated_since=stamp(start)) == []
    assert layer.pk in {r["annotation_id"] for r in get_lines(client, project, "jsonl", updated_since=stamp(start))}


def test_deletes_and_replaces_are_tombstones_with_their_reason(corpus):
    project, records, users, client = corpus
    start = timezone.now()
    anna_layers = list(Annotation.objects.filter(article__project=project, annotator=users["anna"]).order_by("pk"))
    delete_layers([anna_layers[0]], actor=users["rita"])
    # --replace with another status takes the layer out; with the same status it is an update (same id).
    moved = dict(records[1], status="in_progress")
    import_file(io.BytesIO(to_jsonl([moved, records[2]])), name="redo.jsonl", project_slug=project.slug,
                annotator=users["anna"], replace=True)

    tombstones = {t["annotation_id"]: t for t in get_lines(client, project, "withdrawn",
                                                           updated_since=stamp(start))}
    assert {pk: t["reason"] for pk, t in tombstones.items()} == {anna_layers[0].pk: "deleted",
                                                                 anna_layers[1].pk: "replaced"}
    assert tombstones[anna_layers[0].pk]["external_id"] == records[0]["external_id"]
    assert tombstones[anna_layers[0].pk]["annotator"] == "anna"
    updated = {r["annotation_id"] for r in get_lines(client, project, "jsonl", updated_since=stamp(start))}
    assert anna_layers[2].pk in updated and anna_layers[1].pk not in updated
    # The filters of the export apply: ben lost nothing; the deleted layer's article is known.
    assert get_lines(client, project, "withdrawn", updated_since=stamp(start), annotator="ben") == []
    assert [t["annotation_id"] for t in get_lines(client, project, "withdrawn", updated_since=stamp(start),
                                                  article=records[0]["external_id"])] == [anna_layers[0].pk]
    # A deleted layer leaves "all" too.
    assert [t["annotation_id"] for t in get_lines(client, project, "withdrawn", updated_since=stamp(start),
                                                  status="all")] == [anna_layers[0].pk]
    # Since a later time, nothing.
    assert get_lines(client, project, "withdrawn", updated_since=stamp(timezone.now())) == []


def test_other_projects_withdrawals_stay_in_their_project(corpus):
    project, records, users, client = corpus
    other = make_project("other", targets=TARGETS)
    import_file(io.BytesIO(to_jsonl(records[:2])), name="o.jsonl", project_slug=other.slug, annotator=users["anna"])
    start = timezone.now()
    delete_layers(list(Annotation.objects.filter(article__project=other)))
    assert get_lines(client, project, "withdrawn", updated_since=stamp(start)) == []


def test_a_bad_filter_is_a_400_naming_it(corpus):
    project, _, _, client = corpus
    response = client.get(reverse("api:export-withdrawn", kwargs={"slug": project.slug}), {"updated_since": "soon"})
    assert response.status_code == 400 and "updated_since" in response.json()


@pytest.mark.parametrize("status", ["submitted", "gold", "all"])
def test_a_mirror_kept_by_incremental_pulls_equals_a_full_export(corpus, status):
    project, records, users, client = corpus
    rng = random.Random(f"mirror-{status}")
    mirror = Mirror(client, project, status)
    mirror.pull()
    for round_ in range(6):
        for _ in range(5):
            _random_change(rng, project, records, users, gold=status == "gold")
        mirror.pull()
        assert mirror.matches_a_full_export(), f"round {round_}"
    assert mirror.records  # the test is about something


def _random_change(rng, project, records, users, *, gold: bool):
    layers = list(Annotation.objects.filter(article__project=project).select_related("article", "annotator")
                  .order_by("pk"))
    submitted = [la for la in layers if la.status == Annotation.Status.SUBMITTED]
    editable = [la for la in layers if la.status in (Annotation.Status.IN_PROGRESS, Annotation.Status.RETURNED)]
    action = rng.choice(["return", "edit", "resubmit", "replace", "delete", "gold"]
                        + ["gold", "gold_delete"] * (3 if gold else 0))
    if action == "return" and submitted:
        review.return_to_annotator(annotation=rng.choice(submitted), reviewer=users["rita"], comment="again")
    elif action == "edit" and editable:
        layer = rng.choice(editable)
        annotating.add_span(annotation=layer, expected_version=layer.version, label="CLAIM", start=0, end=3)
    elif action == "resubmit" and editable:
        layer = rng.choice(editable)
        annotating.submit(annotation=layer, expected_version=layer.version, confirm_missing_evidence=True)
    elif action == "replace":
        record = rng.choice(records)
        status = rng.choice(["submitted", "in_progress", "returned"])
        who = rng.choice(["anna", "ben"])
        if Annotation.objects.filter(article__external_id=record["external_id"], annotator__username=who).exists():
            record = dict(record, status=status,
                          annotations=dict(record["annotations"], stances=record["annotations"]["stances"][:1]))
            import_file(io.BytesIO(to_jsonl([record])), name="redo.jsonl", project_slug=project.slug,
                        annotator=users[who], replace=True)
    elif action == "delete" and layers:
        delete_layers([rng.choice([la for la in layers if not la.is_gold] or layers)], actor=users["rita"])
    elif action == "gold":
        candidates = [la for la in submitted if not Annotation.objects.filter(article=la.article, is_gold=True)
                      .exists()]
        if candidates:
            source = rng.choice(candidates)
            gold = review.start_gold(article=source.article, reviewer=users["rita"], source=source)
            review.adjudicate(gold=gold, expected_version=gold.version, reviewer=users["rita"])
    elif action == "gold_delete":
        golds = [la for la in layers if la.is_gold]
        if golds:
            delete_layers([rng.choice(golds)], actor=users["rita"])


def test_the_query_count_is_per_batch_not_per_layer(corpus, django_assert_max_num_queries, monkeypatch):
    project, _, users, _ = corpus
    start = timezone.now()
    layers = list(Annotation.objects.filter(article__project=project).order_by("pk"))
    for layer in layers[:6]:
        review.return_to_annotator(annotation=layer, reviewer=users["rita"], comment="again")
    delete_layers(layers[6:12])
    filters = ExportFilters(updated_since=start)
    # Per batch: the exit events, the layers, their exit events, deleted layers' articles and annotators.
    with django_assert_max_num_queries(5 + 1):
        assert len(list(iter_withdrawals(project, filters, batch_size=100))) == 12
    with django_assert_max_num_queries(3 * 5 + 1):
        assert len(list(iter_withdrawals(project, filters, batch_size=4))) == 12


def test_the_withdrawal_index_covers_exactly_the_exit_events():
    index = next(i for i in AnnotationEvent._meta.indexes if i.name == withdrawn_module.WITHDRAWAL_INDEX_NAME)
    assert index.condition == Q(action__in=list(withdrawn_module.EXIT_ACTIONS))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_the_batch_query_reads_exit_events_by_index(corpus):
    last = timezone.now()
    first = (AnnotationEvent.objects.filter(action__in=withdrawn_module.EXIT_ACTIONS, created_at__gte=last)
             .order_by("created_at", "pk").values_list("pk", "annotation_id", "created_at", "action", "before"))
    following = first.filter(Q(created_at__gt=last) | Q(pk__gt=10))  # a next batch's keyset condition
    for queryset in (first, following):
        plan = explain_queryset(queryset[:500])
        assert _bounded_by_time(plan), "\n".join(plan)


def _bounded_by_time(plan: list[str]) -> bool:
    """The events are reached through the withdrawal index, from `created_at >= ...` on."""
    text = "\n".join(plan)
    return (f"on {withdrawn_module.WITHDRAWAL_INDEX_NAME}" in text and "Seq Scan" not in text
            and any("Index Cond: (created_at >=" in line for line in plan))

