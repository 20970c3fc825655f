"""Suggestions: spans, relations and stances proposed by recommenders, kept apart from every layer.

A suggestion never enters a layer or an export of layers until an annotator (or reviewer) accepts
it; accepting writes an ordinary item through services/annotating.py, whose provenance names the
recommender, its version and the score (annotate/suggestions/deciding.py). Each decision, accept or
reject, is kept per (article, person, suggestion key): a rejected suggestion is not shown to that
annotator again for that article, even after the recommender runs again and makes a new row for it,
and the recommenders' acceptance rates are counted from these rows.

Suggestions of one recommender for one article are replaced as a whole when it runs again
(annotate/suggestions/storing.py), so they are never doubled.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from .article import Article
from .entity import Entity
from .project import Label, Polarity, Project, RelationType, StanceTarget

recommender_name_validator = RegexValidator(
    r"^[a-z][a-z0-9_.-]*$", "Use lower-case letters, digits, '_', '.' and '-', starting with a letter.")

SCORE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class Recommender(models.Model):
    """A recommender a project's managers enabled, with its settings (annotate/suggestions/registry.py)."""

    class Kind(models.TextChoices):
        ATTRIBUTION = "attribution", "attribution rules (quotes, cues, sources)"
        STRING_MATCH = "string_match", "string matching (learned from the layers and the sources)"
        TAGGER = "tagger", "trainable tagger (scikit-learn)"
        EXTERNAL = "external", "external (JSON over HTTP)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="recommenders")
    # The built-in ones are named as their kind (`attribution`, `string_match`, `tagger`); an external
    # one gets the name its manager gives it. Suggestions carry this name.
    name = models.CharField(max_length=50, validators=[recommender_name_validator])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    # External recommenders: where and how to ask (docs/suggestions.md, "External recommenders").
    url = models.URLField(max_length=500, blank=True, help_text="External: the server's base URL "
                                                                "(it answers POST <url>/predict, optionally /train).")
    auth_header = models.CharField(
        max_length=500, blank=True,
        help_text='External: one header sent with every request, e.g. "Authorization: Bearer s3cret".')
    timeout_seconds = models.FloatField(default=10.0, validators=[MinValueValidator(0.1)])
    batch_size = models.PositiveIntegerField(default=20, validators=[MinValueValidator(1)])
    # Trainable ones: retrain when this many layers were submitted since the last training (0: on demand only).
    retrain_every = models.PositiveIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True, help_text="Kind-specific settings (docs/suggestions.md).")
    # What it learned (the tagger's model), in the default storage; its version goes up with each training.
    version = models.CharField(max_length=50, default="1")
    state_file = models.CharField(max_length=300, blank=True, editable=False)
    trained_at = models.DateTimeField(null=True, blank=True, editable=False)
    trained_on = models.PositiveIntegerField(default=0, editable=False,
                                             help_text="Layers submitted or adjudicated when it last trained.")
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="recommender_name_unique_in_project")]

    def __str__(self):
        return f"{self.name} ({self.project.slug})"

    def clean(self):
        # Suggestions and the Contract name the built-in ones by their kind: one of each per project.
        if self.kind and self.kind != self.Kind.EXTERNAL and self.name != self.kind:
            raise ValidationError({"name": f"a built-in recommender is named as its kind: {self.kind}."})
        if self.kind == self.Kind.EXTERNAL and not self.url:
            raise ValidationError({"url": "an external recommender needs its server's URL."})
        if self.auth_header and ":" not in self.auth_header:
            raise ValidationError({"auth_header": 'write it as "Name: value", e.g. "Authorization: Bearer s3cret".'})


class SuggestionItem(models.Model):
    """What every suggestion has: the article, who proposed it (name and version), how sure, and when."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+", db_index=False)
    recommender = models.CharField(max_length=100)
    version = models.CharField(max_length=50, blank=True)
    score = models.FloatField(validators=SCORE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class SuggestedSpan(SuggestionItem):
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Unicode code points into article.text, end exclusive, as for Span.
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["article", "start", "end", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="suggested_span_end_after_start"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="suggested_span_score_0_1"),
        ]
        # An article's suggestions, one recommender's replaced at once: both read by (article, recommender).
        indexes = [models.Index(fields=["article", "recommender"], name="suggested_span_of_article")]

    def __str__(self):
        return f"{self.label.name} {self.start}:{self.end} ({self.recommender} {self.score:.2f})"


class SuggestedRelation(SuggestionItem):
    type = models.ForeignKey(RelationType, on_delete=models.CASCADE, related_name="+", db_index=False)
    from_span = models.ForeignKey(SuggestedSpan, on_delete=models.CASCADE, related_name="+")
    to_span = models.ForeignKey(SuggestedSpan, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["article", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_span=F("to_span")), name="suggested_relation_links_two"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="suggested_relation_score_0_1"),
        ]
        indexes = [models.Index(fields=["article", "recommender"], name="suggested_relation_of_article")]

    def __str__(self):
        return f"{self.from_span_id} {self.type.name} {self.to_span_id} ({self.recommender} {self.score:.2f})"


class SuggestedStance(SuggestionItem):
    holder_span = models.ForeignKey(SuggestedSpan, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    holder_entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                      db_index=False)
    target = models.ForeignKey(StanceTarget, on_delete=models.CASCADE, related_name="+", db_index=False)
    polarity = models.ForeignKey(Polarity, on_delete=models.CASCADE, related_name="+", db_index=False)
    explicit = models.BooleanField(default=True)
    evidence = models.ManyToManyField(SuggestedSpan, related_name="+", blank=True)

    class Meta:
        ordering = ["article", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(holder_span__isnull=False) | Q(holder_entity__isnull=False),
                                   name="suggested_stance_has_a_holder"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="suggested_stance_score_0_1"),
        ]
        indexes = [models.Index(fields=["article", "recommender"], name="suggested_stance_of_article")]

    def __str__(self):
        return f"{self.polarity.name} on {self.target.name} ({self.recommender} {self.score:.2f})"


class SuggestionDecision(models.Model):
    """One person's accept or reject of one suggestion on one article.

    `key` names the suggestion by what it proposes, not by its row (annotate/suggestions/keys.py), so a
    decision still holds when the recommender runs again and the row is replaced.
    """

    class Decision(models.TextChoices):
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    class Kind(models.TextChoices):
        SPAN = "span"
        RELATION = "relation"
        STANCE = "stance"

    # The project is the article's, kept here so a recommender's acceptance rate is one index range.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Who decided: the layer's annotator, or the reviewer editing the gold layer.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=500)
    label = models.CharField(max_length=200, help_text="The label, relation type or stance target proposed.")
    recommender = models.CharField(max_length=100)
    version = models.CharField(max_length=50, blank=True)
    score = models.FloatField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    # The layer item an accept made (its id; the item may be edited or deleted later).
    item_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "id"]
        constraints = [models.UniqueConstraint(fields=["article", "user", "key"],
                                               name="one_decision_per_suggestion")]
        indexes = [models.Index(fields=["project", "recommender", "decision"], name="decision_by_recommender")]

    def __str__(self):
        return f"{self.decision} {self.key} ({self.recommender})"
