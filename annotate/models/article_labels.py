"""Questions about the whole article (check-worthiness, topic, overall stance, skip reason) and a layer's answers.

A project asks its questions of every article; each annotator's layer (and the gold layer) holds at most one
answer per question. Answers are written only through annotate/services/article_labels.py, which locks the
layer, validates the value against its question once, bumps the version and records the history.
"""
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .annotation import Annotation
from .project import Project, VocabularyManager, label_name_validator


class ArticleQuestion(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "single choice"
        MULTIPLE = "multiple", "multiple choice"
        TEXT = "text", "free text"

    CHOICE_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE})

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="article_questions")
    name = models.CharField(max_length=50, validators=[label_name_validator],
                            help_text="The answer's key in the API and the exports, e.g. CHECK_WORTHY.")
    prompt = models.CharField(max_length=300, help_text="The question as the workspace shows it.")
    help_text = models.TextField(blank=True, help_text="How to answer it (shown under the question).")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    choices = models.JSONField(default=list, blank=True,
                               help_text='The possible answers of a choice question, e.g. ["yes", "no"].')
    required = models.BooleanField(default=False, help_text="A layer cannot be submitted (or gold adjudicated) "
                                                            "without an answer to it.")
    order = models.PositiveIntegerField(default=0)

    objects = VocabularyManager()

    class Meta:
        ordering = ["project", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="article_question_name_unique_in_project"),
            models.CheckConstraint(condition=Q(kind__in=["single", "multiple", "text"]),
                                   name="article_question_kind_known"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.project.slug, self.name)

    natural_key.dependencies = ["annotate.project"]

    def clean(self):
        choices = self.choices if isinstance(self.choices, list) else None
        if choices is None or not all(isinstance(c, str) and c.strip() for c in choices):
            raise ValidationError({"choices": "a list of non-empty strings."})
        if any(";" in c for c in choices):  # the CSV table joins a multiple choice with ";"
            raise ValidationError({"choices": 'a choice cannot hold ";".'})
        if len(set(choices)) != len(choices):
            raise ValidationError({"choices": "each choice once."})
        if self.kind in self.CHOICE_KINDS and not choices:
            raise ValidationError({"choices": f"a {self.get_kind_display()} question needs its choices."})
        if self.kind == self.Kind.TEXT and choices:
            raise ValidationError({"choices": "a free-text question has no choices."})

    def check_value(self, value):
        """The value as stored, or a ValidationError saying what is wrong with it (keyed by the caller)."""
        if self.kind == self.Kind.TEXT:
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(f"{self.name} is a free-text question: send a non-empty string.")
            return value.strip()
        if self.kind == self.Kind.SINGLE:
            if not isinstance(value, str):
                raise ValidationError(f"{self.name} is a single-choice question: send one of {self.choices}.")
            if value not in self.choices:
                raise ValidationError(f"{value!r} is not a choice of {self.name} (choose one of {self.choices}).")
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(f"{self.name} is a multiple-choice question: send a list of choices.")
        if not value:
            raise ValidationError(f"{self.name}: an empty list is no answer; send null to clear it.")
        unknown = [v for v in value if v not in self.choices]
        if unknown:
            raise ValidationError(f"{unknown} {'is not a choice' if len(unknown) == 1 else 'are not choices'} "
                                  f"of {self.name} (choose from {self.choices}).")
        # In the question's order, each once: the same answer always has the same value.
        return [c for c in self.choices if c in value]


class ArticleAnswer(models.Model):
    """One layer's answer to one question: a string (single choice, text) or a list of strings (multiple)."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="article_answers")
    # PROTECT: a question that has answers is not deleted in passing (its answers would vanish from every
    # layer and export); delete or clear the answers first, like labels with spans.
    question = models.ForeignKey(ArticleQuestion, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["annotation", "question"], name="one_answer_per_question_in_layer"),
        ]

    def __str__(self):
        return f"{self.question.name}={self.value!r}"
