"""The rules of the data model, enforced below the forms and the API."""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotate.models import Annotation, Relation, Span, Stance
from annotate.services.locking import StaleVersion, lock_layer
from annotate.validation import check_span_offsets

from .factories import make_annotation, make_article, make_entity, make_project, make_span, make_user

pytestmark = pytest.mark.django_db

TEXT = "Bellouan said 🌍 التعاون الدولي ضروري today."


@pytest.fixture
def annotation(project, annotator_a):
    return make_annotation(make_article(project, text=TEXT), annotator_a)


def label(project, name):
    return project.labels.get(name=name)


def test_new_project_has_the_default_label_set(project):
    assert set(project.labels.values_list("name", flat=True)) == {
        "CLAIM", "SOURCE", "QUOTE", "CUE", "STANCE_EVIDENCE"}
    assert dict(project.relation_types.values_list("name", "from_label__name")) == {
        "ATTRIBUTED_TO": "QUOTE", "CUE_OF": "CUE", "CLAIMED_BY": "CLAIM"}
    assert list(project.polarities.values_list("name", flat=True)) == ["favor", "against", "neutral"]
    assert list(project.stance_targets.values_list("name", flat=True)) == [
        "Moroccan sovereignty over Western Sahara", "International cooperation against ISIS"]


@pytest.mark.parametrize(
    "start,end,field",
    [(-1, 3, "start"), (5, 5, "end"), (6, 2, "end"), (0, len(TEXT) + 1, "end")],
)
def test_span_offsets_are_checked(annotation, start, end, field):
    span = Span(annotation=annotation, label=label(annotation.article.project, "CLAIM"), start=start, end=end, text="x")
    with pytest.raises(ValidationError) as error:
        span.full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize("start,end,field", [("0", 3, "start"), (0, 2.5, "end"), (True, 3, "start")])
def test_offsets_from_outside_must_be_integers(start, end, field):
    # Model fields would coerce "0" and 2.5; files and API payloads must not be.
    with pytest.raises(ValidationError) as error:
        check_span_offsets(TEXT, start, end)
    assert field in error.value.message_dict


def test_span_offsets_are_code_points_after_emoji_and_in_arabic(annotation):
    start = TEXT.index("التعاون")
    span = Span(annotation=annotation, label=label(annotation.article.project, "CLAIM"),
                start=start, end=start + len("التعاون الدولي"), text="التعاون الدولي")
    span.full_clean()  # the emoji before it counts as one code point, not two UTF-16 units
    span.save()
    assert TEXT[span.start:span.end] == "التعاون الدولي"


def test_span_snapshot_must_match_the_text(annotation):
    source = label(annotation.article.project, "SOURCE")
    span = Span(annotation=annotation, label=source, start=0, end=8, text="Bellouan!")
    with pytest.raises(ValidationError) as error:
        span.full_clean()
    assert "text" in error.value.message_dict


def test_span_label_and_entity_must_belong_to_the_articles_project(annotation):
    other = make_project("other")
    span = Span(annotation=annotation, label=label(other, "SOURCE"), start=0, end=8, text="Bellouan")
    with pytest.raises(ValidationError) as error:
        span.full_clean()
    assert "label" in error.value.message_dict
    span.label = label(annotation.article.project, "SOURCE")
    span.entity = make_entity(other)
    with pytest.raises(ValidationError) as error:
        span.full_clean()
    assert "entity" in error.value.message_dict


def test_database_refuses_an_empty_span(annotation):
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.create(annotation=annotation, label=label(annotation.article.project, "CLAIM"),
                            start=4, end=4, text="")


def test_relation_ends_must_be_in_the_same_annotation(annotation, annotator_b):
    quote = make_span(annotation, "QUOTE", 14, 16)
    source = make_span(annotation, "SOURCE", 0, 8)
    attributed = annotation.article.project.relation_types.get(name="ATTRIBUTED_TO")
    Relation(annotation=annotation, type=attributed, from_span=quote, to_span=source).full_clean()

    foreign = make_span(make_annotation(annotation.article, annotator_b), "SOURCE", 0, 8)
    with pytest.raises(ValidationError) as error:
        Relation(annotation=annotation, type=attributed, from_span=quote, to_span=foreign).full_clean()
    assert "to_span" in error.value.message_dict


def test_relation_type_restricts_the_labels_of_its_ends(annotation):
    quote = make_span(annotation, "QUOTE", 14, 16)
    claim = make_span(annotation, "CLAIM", 0, 8)
    attributed = annotation.article.project.relation_types.get(name="ATTRIBUTED_TO")
    with pytest.raises(ValidationError) as error:
        Relation(annotation=annotation, type=attributed, from_span=quote, to_span=claim).full_clean()
    assert "SOURCE" in error.value.message_dict["to_span"][0]


def test_stance_needs_a_holder_and_project_vocabulary(annotation):
    project = annotation.article.project
    target, favor = project.stance_targets.first(), project.polarities.get(name="favor")
    with pytest.raises(ValidationError) as error:
        Stance(annotation=annotation, target=target, polarity=favor).full_clean()
    assert "holder" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Stance.objects.create(annotation=annotation, target=target, polarity=favor)

    other = make_project("elsewhere", targets=["Something else"])
    stance = Stance(annotation=annotation, holder_entity=make_entity(project, "France"),
                    target=other.stance_targets.get(), polarity=favor)
    with pytest.raises(ValidationError) as error:
        stance.full_clean()
    assert "target" in error.value.message_dict


def test_stance_evidence_must_come_from_its_annotation(annotation, annotator_b):
    project = annotation.article.project
    stance = Stance.objects.create(annotation=annotation, holder_entity=make_entity(project, "France"),
                                   target=project.stance_targets.first(), polarity=project.polarities.first())
    stance.check_evidence([make_span(annotation, "STANCE_EVIDENCE", 0, 8)])
    foreign = make_span(make_annotation(annotation.article, annotator_b), "STANCE_EVIDENCE", 0, 8)
    with pytest.raises(ValidationError):
        stance.check_evidence([foreign])


def test_article_text_is_frozen_once_annotated(project, annotator_a):
    article = make_article(project, text="Original text.")
    article.text = "Edited before anyone annotated."
    article.save()
    assert article.content_hash  # kept in step with the text
    make_annotation(article, annotator_a)
    article.title = "A title may still change"
    article.save()
    article.text = "Edited after annotation."
    with pytest.raises(ValidationError):
        article.save()
    article.refresh_from_db()
    assert article.text == "Edited before anyone annotated."


def test_one_layer_per_annotator_and_one_gold_layer(project, annotator_a):
    article = make_article(project)
    make_annotation(article, annotator_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_annotation(article, annotator_a)
    Annotation.objects.create(article=article, is_gold=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(article=article, is_gold=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(article=make_article(project), annotator=None, is_gold=False)


def test_a_stale_version_is_refused_naming_both_versions(project):
    annotation = make_annotation(make_article(project), make_user(), version=4)
    assert lock_layer(annotation, 4).version == 4
    with pytest.raises(StaleVersion) as error:
        lock_layer(annotation, 3)
    assert "you have version 3, it is at 4" in str(error.value)


def test_project_visibility_and_roles(project, annotator_a, reviewer, outsider, superuser):
    from annotate.models import Project

    assert list(Project.objects.visible_to(annotator_a)) == [project]
    assert list(Project.objects.visible_to(outsider)) == []
    assert project.role_of(reviewer) == "reviewer"
    assert project.role_of(outsider) is None
    assert project.role_of(superuser) == "manager"


def test_the_database_refuses_to_change_annotated_text(project, annotator_a):
    from annotate.models import Article

    article = make_article(project, text="Original text.")
    Article.objects.filter(pk=article.pk).update(text="Changed while nobody annotated.")
    make_annotation(article, annotator_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(text="Changed behind the model's back.")
    Article.objects.filter(pk=article.pk).update(title="Titles may change")
    article.refresh_from_db()
    assert (article.text, article.title) == ("Changed while nobody annotated.", "Titles may change")


def test_annotated_articles_are_not_deleted_in_passing(project, annotator_a):
    from django.db.models import ProtectedError

    article = make_article(project)
    make_annotation(article, annotator_a)
    with pytest.raises(ProtectedError):
        article.delete()
    article.annotations.all().delete()
    article.delete()


def test_text_size_is_limited(project, settings):
    from annotate.models import Article

    settings.MAX_ARTICLE_CHARS = 10
    with pytest.raises(ValidationError):
        Article(project=project, external_id="long", text="x" * 11).full_clean()
