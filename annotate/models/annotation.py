"""Annotation layers and what they contain: spans, relations between spans, and stances."""
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from ..validation import check_same_project, check_span_shape, span_pieces
from .article import Article
from .entity import Entity
from .project import Label, Polarity, RelationType, StanceTarget, visible_to_member


class AnnotationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Your own layers; reviewers and managers see every layer (gold included) of their projects.

        Annotators never see each other's layers, not even after submitting.
        """
        return visible_to_member(self, user, own=Q(annotator=user, is_gold=False), project="article__project")

    def for_detail(self):
        """Layers with what a layer's detail shows besides its items (its article's project, its annotator);
        the items are read as plain rows, four queries whatever the layer's size (api/payloads.py)."""
        return self.select_related("article__project", "annotator")


class Annotation(models.Model):
    """One annotator's layer on one article, or the article's gold layer.

    `version` increases with every write to the layer or anything in it;
    writers send the version they read and a stale one is refused
    (optimistic locking: two tabs never silently overwrite each other).
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "in progress"
        SUBMITTED = "submitted"
        RETURNED = "returned", "returned to annotator"
        ADJUDICATED = "adjudicated"

    # PROTECT: an annotated article (or its project) is never deleted in passing; its layers must be
    # deleted first, on purpose (admin lists them), and the API has no delete for articles at all.
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="annotations")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="annotations"
    )
    is_gold = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    version = models.PositiveIntegerField(default=1)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewed_annotations",
        help_text="Who adjudicated this gold layer, or last sent this layer back.",
    )
    review_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["article", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "annotator"], condition=Q(is_gold=False), name="one_layer_per_annotator"
            ),
            models.UniqueConstraint(fields=["article"], condition=Q(is_gold=True), name="one_gold_layer_per_article"),
            models.CheckConstraint(
                condition=Q(is_gold=True) | Q(annotator__isnull=False), name="annotator_layer_has_annotator"
            ),
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self):
        who = "gold" if self.is_gold else str(self.annotator)
        return f"{self.article} [{who}]"


def client_id_field():
    """The id the writer gave an item, so a retried create is recognised and applied once.

    Unique among a layer's items. Items made by the ORM get one here; rows written by the importer's
    fast path and items older than the field have none (NULL, which the unique constraint allows).
    """
    return models.UUIDField(null=True, blank=True, default=uuid.uuid4, editable=False)


def client_id_unique(kind: str):
    return models.UniqueConstraint(fields=["annotation", "client_id"], name=f"{kind}_client_id_unique_in_layer")


# Index choices for the three big tables: every index costs every imported
# row, so each one must earn its place. A span is found by its annotation
# (the (annotation, start) index covers that FK); a relation by its annotation
# or its ends (the unique (from, to, type) index covers from_span). Labels and
# relation types get no index of their own: they are a handful of values,
# read through the annotation, and deleting one is a rare, PROTECTed admin act.
class Span(models.Model):
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="spans", db_index=False)
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="spans", db_index=False)
    # Unicode code points into article.text, end exclusive (Python slicing).
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField(help_text="The covered text when the span was made: text[start:end].")
    # A discontinuous span ("The plan," Bourita said, "is serious."): its pieces in order, [[start, end], ...],
    # non-overlapping, the first starting at `start` and the last ending at `end`. NULL for the ordinary
    # one-piece span (every span made before fragments existed), which reads as [[start, end]]: start/end stay
    # the outer bounds, so every query and index on them keeps working.
    fragments = models.JSONField(null=True, blank=True)
    # Set when a corrected article text was re-anchored and this span's text changed or vanished: its offsets
    # are the best guess and `text` keeps the old snapshot, until someone confirms or fixes it.
    needs_review = models.BooleanField(default=False)
    # Indexed with the span's id (Meta), so a source's mentions are read in order a page at a time.
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions",
                               db_index=False)
    attributes = models.JSONField(default=dict, blank=True)
    provenance = models.JSONField(
        default=list, blank=True, help_text="Gold only: usernames of the annotators who had this item."
    )
    client_id = client_id_field()

    class Meta:
        ordering = ["annotation", "start", "end", "id"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="span_end_after_start"),
                       client_id_unique("span")]
        indexes = [models.Index(fields=["annotation", "start"]), models.Index(fields=["entity", "id"],
                                                                               name="span_entity_in_order")]

    def __str__(self):
        return f"{self.label.name} {self.start}:{self.end}"

    @property
    def pieces(self) -> list[tuple[int, int]]:
        """The span's fragments as (start, end) tuples; [(start, end)] for the ordinary one-piece span."""
        return [(s, e) for s, e in span_pieces(self.start, self.end, self.fragments)]

    def clean(self):
        # Django calls clean() even when a field already failed: check only what is there.
        if self.annotation_id is None:
            return
        article = self.annotation.article
        if self.start is not None and self.end is not None:
            # A span flagged by re-anchoring keeps its old snapshot, which the corrected text no longer has.
            snapshot = None if self.needs_review else self.text
            check_span_shape(article.text, self.start, self.end, self.fragments, snapshot)
        if self.label_id is not None:
            check_same_project("label", self.label, article.project_id)
        check_same_project("entity", self.entity, article.project_id)


class Relation(models.Model):
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="relations")
    type = models.ForeignKey(RelationType, on_delete=models.PROTECT, related_name="relations", db_index=False)
    from_span = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="outgoing_relations", db_index=False)
    to_span = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="incoming_relations")
    provenance = models.JSONField(default=list, blank=True)
    client_id = client_id_field()

    class Meta:
        ordering = ["annotation", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_span=F("to_span")), name="relation_links_two_spans"),
            models.UniqueConstraint(fields=["from_span", "to_span", "type"], name="relation_unique"),
            client_id_unique("relation"),
        ]

    def __str__(self):
        return f"{self.from_span_id} {self.type.name} {self.to_span_id}"

    def clean(self):
        if None in (self.annotation_id, self.type_id, self.from_span_id, self.to_span_id):
            return  # a missing field has its own error already
        check_same_project("type", self.type, self.annotation.article.project_id)
        for field in ("from_span", "to_span"):
            span = getattr(self, field)
            if span.annotation_id != self.annotation_id:
                raise ValidationError({field: "must be a span of the same annotation."})
        if self.from_span_id == self.to_span_id:
            raise ValidationError({"to_span": "a relation links two different spans."})
        for field, wanted in (("from_span", self.type.from_label_id), ("to_span", self.type.to_label_id)):
            span = getattr(self, field)
            if wanted is not None and span.label_id != wanted:
                wanted_name = Label.objects.get(pk=wanted).name
                raise ValidationError({field: f"{self.type.name} needs a {wanted_name} span here."})


class Stance(models.Model):
    """A holder's position on one of the project's targets, with the spans that show it."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="stances")
    holder_span = models.ForeignKey(Span, null=True, blank=True, on_delete=models.CASCADE, related_name="held_stances")
    holder_entity = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="held_stances"
    )
    target = models.ForeignKey(StanceTarget, on_delete=models.PROTECT, related_name="stances")
    polarity = models.ForeignKey(Polarity, on_delete=models.PROTECT, related_name="stances")
    explicit = models.BooleanField(default=True, help_text="Stated outright (true) or implied (false).")
    evidence = models.ManyToManyField(Span, related_name="evidence_for", blank=True)
    provenance = models.JSONField(default=list, blank=True)
    client_id = client_id_field()

    class Meta:
        ordering = ["annotation", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holder_span__isnull=False) | Q(holder_entity__isnull=False), name="stance_has_a_holder"
            ),
            client_id_unique("stance"),
        ]

    def __str__(self):
        holder = self.holder_entity or self.holder_span
        return f"{holder} → {self.polarity} → {self.target}"

    def clean(self):
        if self.annotation_id is None:
            return
        project_id = self.annotation.article.project_id
        if self.holder_span_id is None and self.holder_entity_id is None:
            raise ValidationError({"holder": "a stance needs a holder span or a holder entity."})
        if self.holder_span is not None and self.holder_span.annotation_id != self.annotation_id:
            raise ValidationError({"holder_span": "must be a span of the same annotation."})
        check_same_project("holder_entity", self.holder_entity, project_id)
        if self.target_id is not None:
            check_same_project("target", self.target, project_id)
        if self.polarity_id is not None:
            check_same_project("polarity", self.polarity, project_id)

    def check_evidence(self, spans) -> None:
        """Evidence spans belong to this stance's annotation.

        A stance may be saved without evidence while work is in progress; submitting the layer applies
        the project's rule (Project.stance_evidence: required, or confirmed by the annotator).
        """
        for span in spans:
            if span.annotation_id != self.annotation_id:
                raise ValidationError({"evidence": f"span {span.pk} belongs to another annotation."})
