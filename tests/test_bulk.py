"""The raw-row writer behind the importer, on whichever database the suite runs."""
import pytest
from django.db import IntegrityError, transaction

from annotate.models import Span
from annotate.services.bulk import RowWriter, allocate_ids, json_text

from .factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def span_rows(annotation, label, ids, text):
    return [(pk, annotation.pk, label.pk, 0, 4, text[:4], None, json_text({"n": i}), "[]") for i, pk in enumerate(ids)]


FIELDS = ["id", "annotation_id", "label_id", "start", "end", "text", "entity_id", "attributes", "provenance"]


def test_rows_land_with_the_allocated_ids_and_json(project):
    annotation = make_annotation(make_article(project, text="Rabat said so."), make_user())
    label = project.labels.get(name="CLAIM")
    with transaction.atomic():
        ids = allocate_ids(Span, 3)
        writer = RowWriter()
        writer.insert(Span, FIELDS, span_rows(annotation, label, ids, annotation.article.text))
        writer.close()
    assert len(set(ids)) == 3
    spans = list(Span.objects.filter(pk__in=ids).order_by("pk"))
    assert [(s.pk, s.text, s.attributes) for s in spans] == [(ids[i], "Raba", {"n": i}) for i in range(3)]
    # The next allocation never reuses those ids.
    with transaction.atomic():
        assert min(allocate_ids(Span, 2)) > max(ids)


def test_a_failing_batch_raises_in_the_caller_and_rolls_everything_back(project):
    annotation = make_annotation(make_article(project, text="Rabat said so."), make_user())
    label = project.labels.get(name="CLAIM")
    before = Span.objects.count()
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        writer = RowWriter()
        try:
            ids = allocate_ids(Span, 2)
            writer.insert(Span, FIELDS, span_rows(annotation, label, ids, annotation.article.text))
            bad = [(ids[0] + 10_000, annotation.pk, label.pk, 5, 2, "x", None, "{}", "[]")]  # end before start
            writer.insert(Span, FIELDS, bad)
        finally:
            writer.close()
    assert "span_end_after_start" in str(error.value) or "check" in str(error.value).lower()
    assert Span.objects.count() == before


def test_ids_are_never_those_of_rows_still_queued_and_flush_waits_for_them(project):
    annotation = make_annotation(make_article(project, text="Rabat said so."), make_user())
    label = project.labels.get(name="CLAIM")
    with transaction.atomic():
        writer = RowWriter()
        try:
            first = writer.allocate_ids(Span, 3)
            writer.insert(Span, FIELDS, span_rows(annotation, label, first, annotation.article.text))
            # The rows above may still be queued: on SQLite max(id) would not see them yet.
            second = writer.allocate_ids(Span, 2)
            assert not set(first) & set(second)
            writer.flush()
            assert Span.objects.filter(pk__in=first).count() == 3  # in the database now, same transaction
            writer.insert(Span, FIELDS, span_rows(annotation, label, second, annotation.article.text))
        finally:
            writer.close()
    assert Span.objects.filter(annotation=annotation).count() == 5
