"""Handing articles to annotators: overlap respected, load balanced, never twice to one person."""
import pytest
from django.core.exceptions import ValidationError

from annotate.models import Assignment
from annotate.services.assignments import assign_articles

from .factories import make_article, make_member, make_project, make_user

pytestmark = pytest.mark.django_db


def loads(project):
    return sorted(Assignment.objects.filter(article__project=project).values_list("annotator__username", flat=True))


def test_each_article_gets_its_overlap_and_load_is_balanced():
    project = make_project("overlap", annotators_per_article=2)
    annotators = [make_member(project, make_user(name)) for name in ("a", "b", "c")]
    articles = [make_article(project) for _ in range(6)]
    report = assign_articles(articles=articles, annotators=annotators)
    assert len(report.created) == 12
    counts = {name: loads(project).count(name) for name in "abc"}
    assert counts == {"a": 4, "b": 4, "c": 4}
    for article in articles:
        assert article.assignments.count() == 2


def test_rerunning_creates_nothing_new_and_skips_free_a_slot(project, annotator_a, annotator_b):
    articles = [make_article(project) for _ in range(3)]
    assign_articles(articles=articles, annotators=[annotator_a])
    again = assign_articles(articles=articles, annotators=[annotator_a, annotator_b])
    assert again.created == [] and len(again.already_covered) == 3

    skipped = Assignment.objects.get(article=articles[0], annotator=annotator_a)
    skipped.status, skipped.skip_reason = Assignment.Status.SKIPPED, "Not about Morocco"
    skipped.save()
    report = assign_articles(articles=articles, annotators=[annotator_a, annotator_b])
    assert [(a.article_id, a.annotator_id) for a in report.created] == [(articles[0].pk, annotator_b.pk)]


def test_not_enough_candidates_is_reported(project, annotator_a):
    project.annotators_per_article = 3
    project.save()
    report = assign_articles(articles=[make_article(project)], annotators=[annotator_a])
    assert len(report.created) == 1
    assert [(article.pk, missing) for article, missing in report.short] == [(report.created[0].article_id, 2)]
    assert "still need annotators" in report.summary()


def test_non_members_cannot_be_assigned_and_nothing_is_written(project, annotator_a, outsider):
    with pytest.raises(ValidationError) as error:
        assign_articles(articles=[make_article(project)], annotators=[annotator_a, outsider])
    assert "otto in demo" in str(error.value)
    assert not Assignment.objects.exists()
