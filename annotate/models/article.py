"""Articles (the text offsets point into) and the tasks that hand them to annotators."""
import random

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from ..textutil import content_hash
from .project import Project, visible_to_member

SHUFFLE_KEYS = 2**31  # a shuffle key is in [0, 2**31): any int4


def shuffle_key() -> int:
    """A new article's place in a project's random queue order, drawn once and kept (a fixed shuffle)."""
    return random.randrange(SHUFFLE_KEYS)


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reviewers and managers see every article of their projects; annotators the ones assigned to them."""
        # EXISTS, not a join: no duplicate rows to DISTINCT away, so a page of a large project stays an
        # index scan in id order.
        assigned = Assignment.objects.filter(article=models.OuterRef("pk"), annotator_id=getattr(user, "pk", None))
        return visible_to_member(self, user, own=models.Q(models.Exists(assigned)), project="project")


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_by_natural_key(self, project_slug, external_id):
        return self.get(project__slug=project_slug, external_id=external_id)


class Article(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="articles")
    external_id = models.CharField(max_length=200)
    title = models.CharField(max_length=1000, blank=True)
    # Offsets of every span are Unicode code points into this exact string; it
    # is frozen once any annotation exists (see save()).
    text = models.TextField()
    caption = models.TextField(blank=True)
    outlet = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    published = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=20, blank=True, help_text="As given by the source, e.g. en, ar, fr.")
    metadata = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64, editable=False)
    # Fewer active (not skipped) assignments than the project's annotators_per_article. Kept by
    # services/assignments.refresh_needs_annotators in the transaction of every write that adds, skips
    # or moves an assignment, and when the project's overlap changes; true for a new article, which
    # has none (a project asks for at least one; db_default too, for the importer's raw rows).
    # It makes "the next article" an index scan (the partial index below).
    needs_annotators = models.BooleanField(default=True, db_default=True, editable=False)
    # The queue's orders other than by id (Project.queue_order, services/assignments.next_candidates).
    # random: a key drawn once per article, so the shuffle is the same on every call; the importer's raw
    # rows draw it too (importing/rows.py). Nullable at the database only so that adding it never rebuilt
    # the table on SQLite (which drops the triggers on it, migration 0007's note); migration 0015 filled it.
    shuffle_key = models.IntegerField(null=True, default=shuffle_key, editable=False)
    # uncertainty: how unsure its suggestions are (annotate/suggestions/uncertainty.py), refreshed when
    # they are stored; NULL for an article without span suggestions, which comes after every one with.
    suggestion_uncertainty = models.FloatField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleManager()

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="article_external_id_unique_in_project"),
        ]
        indexes = [
            # take_next_article: the first articles of a project still needing annotators, in id order,
            # without walking the full ones (most of a project, once work is under way).
            models.Index(fields=["project", "id"], condition=models.Q(needs_annotators=True),
                         name="article_needs_annotators"),
            # The same walk in the project's other queue orders: partial like it, so each order stays an
            # index scan of the open articles however large the project.
            models.Index(fields=["project", "shuffle_key", "id"], condition=models.Q(needs_annotators=True),
                         name="article_queue_random"),
            # The uncertainty order's index, (project, suggestion_uncertainty DESC NULLS LAST, id) where
            # needs_annotators, is made by migration 0015 in SQL: PostgreSQL needs NULLS LAST in it and SQLite
            # refuses the words in an index (its descending order puts NULLs last already), which a Meta
            # index cannot say per database.
        ]

    def __str__(self):
        return self.title or self.external_id

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored_text", None)
        if self.pk and stored is not None and self.text != stored and self.annotations.exists():
            raise ValidationError({"text": "The text cannot change: this article already has annotations."})
        self.content_hash = content_hash(self.text)
        super().save(*args, **kwargs)
        self._stored_text = self.text

    def natural_key(self):
        return (self.project.slug, self.external_id)

    natural_key.dependencies = ["annotate.project"]

    @classmethod
    def from_db(cls, db, field_names, values):
        article = super().from_db(db, field_names, values)
        article._stored_text = article.__dict__.get("text")
        article._stored_project_id = article.__dict__.get("project_id")
        return article

    def clean(self):
        # Its layers use its project's vocabulary and its assignments are counted in its project; the
        # database refuses the move too (migration 0007), this says so on the admin's form.
        stored_project = getattr(self, "_stored_project_id", None)
        if stored_project is not None and self.project_id != stored_project and (
                self.assignments.exists() or self.annotations.exists()):
            raise ValidationError({"project": "This article has assignments or annotations: it stays in its project."})
        if len(self.text) > settings.MAX_ARTICLE_CHARS:
            raise ValidationError(
                {"text": f"is {len(self.text)} characters long; the limit is {settings.MAX_ARTICLE_CHARS}."}
            )


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Your own assignments; reviewers and managers see all of their projects'."""
        return visible_to_member(self, user, own=models.Q(annotator=user), project="article__project")

    def with_layer_id(self):
        """Each assignment with its article and project, its annotator, and `annotation_id`: the id of the
        annotator's layer on the article (None until opened), in one query."""
        from .annotation import Annotation  # annotation.py imports this module: import at use

        layer = Annotation.objects.filter(
            article=models.OuterRef("article_id"), annotator=models.OuterRef("annotator_id"), is_gold=False)
        return self.select_related("article__project", "annotator").annotate(
            annotation_id=models.Subquery(layer.values("pk")[:1]))


class Assignment(models.Model):
    """One article handed to one annotator."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned"
        IN_PROGRESS = "in_progress", "in progress"
        SUBMITTED = "submitted"
        SKIPPED = "skipped"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSIGNED)
    skip_reason = models.TextField(blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it was submitted or skipped.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["article", "annotator"]
        constraints = [
            models.UniqueConstraint(fields=["article", "annotator"], name="one_assignment_per_article_and_annotator"),
            models.CheckConstraint(
                condition=~models.Q(status="skipped") | ~models.Q(skip_reason=""), name="skip_needs_a_reason"
            ),
        ]
        indexes = [
            # My work: an annotator's counts by status, and the newest few of each status by this
            # index's order, however many they have done.
            models.Index(fields=["annotator", "status", "updated_at"], name="assignment_mine_by_status"),
        ]

    def __str__(self):
        return f"{self.article} → {self.annotator} ({self.status})"
