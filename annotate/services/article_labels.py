"""Answers to a project's article-level questions, written into a layer (docs/format.md, "article_labels").

One write sets or clears several answers at once, PATCH-like: a question named with a value is answered,
named with null is cleared, not named is left alone. Like every layer write it locks the layer, checks the
version, validates every value once (all errors at once, keyed by the question's name), bumps the version and
records one `article_label.set` event per answer it changed: before and after are
{"question": id, "name": NAME, "value": value or null}, which services/restoring.py sets back.

Sending answers the layer already holds writes nothing (a retry whose reply was lost): the layer comes back
with `replayed = True` and the version to continue from (locking.replay_version).
"""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from ..models import Annotation, AnnotationEvent, ArticleAnswer, ArticleQuestion
from .history import record
from .locking import bump, check_layer, hold_layer, replay_version

ACTION = "article_label.set"
FIELD = "article_labels"


# Reads ---------------------------------------------------------------------------------


def questions_of(project_id: int) -> list[ArticleQuestion]:
    return list(ArticleQuestion.objects.filter(project_id=project_id).order_by("order", "name"))


def answers_by_layer(annotation_ids) -> dict[int, dict[str, object]]:
    """Each layer's answers as {QUESTION_NAME: value}, in the questions' order (one query for any number)."""
    answers: dict[int, dict[str, object]] = {pk: {} for pk in annotation_ids}
    rows = (ArticleAnswer.objects.filter(annotation_id__in=list(answers))
            .order_by("annotation_id", "question__order", "question__name")
            .values_list("annotation_id", "question__name", "value"))
    for annotation_id, name, value in rows:
        answers[annotation_id][name] = value
    return answers


def answers_of(annotation_id: int) -> dict[str, object]:
    return answers_by_layer([annotation_id])[annotation_id]


# Checks --------------------------------------------------------------------------------


def check_answers(project_id: int, article_labels, *, questions: list[ArticleQuestion] | None = None
                  ) -> list[tuple[ArticleQuestion, object]]:
    """The answers as (question, stored value or None to clear); every problem at once, keyed
    "article_labels.NAME" (a 400 names each question), or a ValidationError on "article_labels"."""
    if not isinstance(article_labels, dict):
        raise ValidationError({FIELD: 'send an object {"QUESTION_NAME": value}.'})
    by_name = {q.name: q for q in (questions if questions is not None else questions_of(project_id))}
    checked, errors = [], {}
    for name, value in article_labels.items():
        question = by_name.get(name)
        if question is None:
            errors[f"{FIELD}.{name}"] = f"{name!r} is not an article question of this project."
            continue
        if value is None:
            checked.append((question, None))
            continue
        try:
            checked.append((question, question.check_value(value)))
        except ValidationError as error:
            errors[f"{FIELD}.{name}"] = error.messages
    if errors:
        raise ValidationError(errors)
    return checked


def missing_required(annotation: Annotation) -> list[str]:
    """The required questions this layer has not answered, by name (two queries)."""
    answered = set(ArticleAnswer.objects.filter(annotation_id=annotation.pk).values_list("question_id", flat=True))
    return [q.name for q in ArticleQuestion.objects.filter(project_id=annotation.article.project_id, required=True)
            .order_by("order", "name") if q.pk not in answered]


def check_required(annotation: Annotation, *, doing: str = "submitting") -> None:
    """The project's rule: every required question answered before submit (or gold adjudication)."""
    missing = missing_required(annotation)
    if missing:
        raise ValidationError({FIELD: f"answer the required question{'s' if len(missing) > 1 else ''} "
                                      f"{', '.join(missing)} before {doing}."})


# Writes --------------------------------------------------------------------------------


def answer_state(question: ArticleQuestion, value) -> dict:
    return {"question": question.pk, "name": question.name, "value": value}


@transaction.atomic
def set_article_labels(*, annotation: Annotation, expected_version, article_labels, actor=None) -> Annotation:
    """Set (a value) or clear (None) the named answers of a layer; the layer with its new version."""
    held = hold_layer(annotation)
    checked = check_answers(annotation.article.project_id, article_labels)
    current = {a.question_id: a for a in ArticleAnswer.objects.filter(
        annotation_id=annotation.pk, question_id__in=[q.pk for q, _ in checked])}
    changes = [(q, current.get(q.pk), value) for q, value in checked
               if (current[q.pk].value if q.pk in current else None) != value]
    if not changes:
        applied_at = (AnnotationEvent.objects.filter(annotation_id=annotation.pk, action=ACTION)
                      .filter(Q(after__question__in=[q.pk for q, _ in checked]))
                      .order_by("-version", "-id").values_list("version", flat=True).first())
        annotation.version = replay_version(annotation, expected_version, applied_at)
        annotation.replayed = True
        return annotation
    check_layer(annotation, held, expected_version)
    bump(annotation)
    apply(annotation, changes, actor=actor)
    annotation.replayed = False
    return annotation


def apply(annotation: Annotation, changes, *, actor=None) -> None:
    """Write (question, current ArticleAnswer or None, new value or None) changes and record each one, at the
    layer's current version (the caller holds the lock and has bumped it, or is creating the layer)."""
    for question, answer, value in changes:
        old = answer.value if answer is not None else None
        if value is None:
            answer.delete()
        elif answer is None:
            ArticleAnswer.objects.create(annotation_id=annotation.pk, question=question, value=value)
        else:
            ArticleAnswer.objects.filter(pk=answer.pk).update(value=value)
        record(annotation, ACTION, actor=actor, before=answer_state(question, old),
               after=answer_state(question, value))


# Review and gold -----------------------------------------------------------------------


def agreed_answers(annotator_layer_ids: list[int]) -> dict[ArticleQuestion, object]:
    """The answers every one of these layers gives alike (a question someone left open is not agreed)."""
    by_question: dict[int, list] = {}
    questions = {}
    for answer in ArticleAnswer.objects.filter(annotation_id__in=annotator_layer_ids).select_related("question"):
        by_question.setdefault(answer.question_id, []).append(answer.value)
        questions[answer.question_id] = answer.question
    return {questions[pk]: values[0] for pk, values in by_question.items()
            if len(values) == len(annotator_layer_ids) and all(v == values[0] for v in values)}


def copy_into_new_gold(gold: Annotation, answers: dict[ArticleQuestion, object], *, actor=None) -> None:
    """start_gold: the chosen answers into a gold layer just made (its first version, like its copied items)."""
    apply(gold, [(question, None, value) for question, value in sorted(answers.items(), key=lambda qa: qa[0].pk)],
          actor=actor)


@transaction.atomic
def accept_answer(*, gold: Annotation, expected_version, answer_id: int, actor=None) -> Annotation:
    """review.accept_item for kind "article_label": one annotator's answer (by its id) becomes gold's."""
    held = hold_layer(gold)
    check_layer(gold, held, expected_version)
    source = (ArticleAnswer.objects.filter(pk=answer_id, annotation__article_id=gold.article_id,
                                           annotation__is_gold=False)
              .exclude(annotation__status=Annotation.Status.IN_PROGRESS).select_related("question").first())
    if source is None:
        raise ValidationError({"item_id": f"no article label {answer_id} in a submitted layer of this article."})
    current = ArticleAnswer.objects.filter(annotation_id=gold.pk, question_id=source.question_id).first()
    if current is None or current.value != source.value:
        bump(gold)
        apply(gold, [(source.question, current, source.value)], actor=actor)
    return gold


def set_back(annotation: Annotation, event: AnnotationEvent, actor) -> None:
    """Undo one `article_label.set` event (services/restoring.py): the answer as it was before it."""
    before, after = event.before, event.after
    question = ArticleQuestion.objects.filter(pk=before["question"]).first()
    if question is None:
        raise ValidationError({"version": f"the article question {before['name']} was deleted since; "
                                          "its answers cannot be restored."})
    if before["value"] is None:
        ArticleAnswer.objects.filter(annotation_id=annotation.pk, question=question).delete()
    else:
        ArticleAnswer.objects.update_or_create(annotation_id=annotation.pk, question=question,
                                               defaults={"value": before["value"]})
    record(annotation, ACTION, actor=actor, before=after, after=before)
