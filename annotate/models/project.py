"""A project and its vocabulary: span labels, relation types, stance targets, polarities, members."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

label_name_validator = RegexValidator(
    r"^[A-Z][A-Z0-9_]*$", "Use capital letters, digits and underscores, starting with a letter (e.g. CLAIM)."
)
color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #1f77b4.")


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Projects the user belongs to; superusers act as managers everywhere."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user)

    def where_role_in(self, user, roles):
        """Projects where the user holds one of `roles` (superusers: all)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user, memberships__role__in=roles)

    def with_role(self, user):
        """Each project with `role`: the user's role in it (superusers: manager), in the same query."""
        if user.is_superuser:
            return self.annotate(role=models.Value(Membership.Role.MANAGER))
        roles = Membership.objects.filter(project=models.OuterRef("pk"), user=user).values("role")[:1]
        return self.annotate(role=models.Subquery(roles))

    def with_vocabulary(self):
        """Each project with its whole label set prefetched: labels, relation types, targets, polarities."""
        return self.prefetch_related(
            models.Prefetch("labels", Label.objects.order_by("order", "name")),
            models.Prefetch("relation_types", RelationType.objects.select_related("from_label", "to_label")),
            models.Prefetch("stance_targets", StanceTarget.objects.order_by("order", "name")),
            models.Prefetch("polarities", Polarity.objects.order_by("order", "name")),
            # Questions about the whole article (models/article_labels.py), ordered as the workspace asks them.
            models.Prefetch("article_questions", _article_questions()),
        )


def _article_questions():
    from .article_labels import ArticleQuestion  # here: article_labels imports this module

    return ArticleQuestion.objects.order_by("order", "name")


def visible_to_member(queryset, user, *, own: Q, project: str):
    """`queryset` as `user` may read it: rows matching `own`, plus every row of the projects where
    they read all layers (reviewer, manager); superusers read everything, anonymous users nothing.

    `project` is the lookup path from the queryset's model to its Project ("article__project").
    """
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    reviewed = Project.objects.where_role_in(user, Membership.READS_ALL_LAYERS)
    return queryset.filter(own | Q(**{f"{project}__in": reviewed}))


class ProjectManager(models.Manager.from_queryset(ProjectQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="Annotation guidelines, in Markdown.")
    annotators_per_article = models.PositiveSmallIntegerField(
        default=1, help_text="How many annotators label each article independently."
    )

    class Evidence(models.TextChoices):
        REQUIRED = "required", "required: a layer with a stance without evidence cannot be submitted"
        CONFIRM = "confirm", "expected: submitting a stance without evidence needs the annotator's confirmation"

    stance_evidence = models.CharField(
        max_length=10, choices=Evidence.choices, default=Evidence.CONFIRM,
        help_text="What submitting a layer does about stances without evidence spans.")

    class QueueOrder(models.TextChoices):
        SEQUENTIAL = "sequential", "sequential: in the order articles came in"
        RANDOM = "random", "random: a fixed shuffle of the articles"
        UNCERTAINTY = "uncertainty", "uncertainty: articles whose suggestions are least certain first"

    queue_order = models.CharField(
        max_length=12, choices=QueueOrder.choices, default=QueueOrder.SEQUENTIAL,
        help_text="Which article an annotator gets next (docs/suggestions.md, active learning).")
    suggestion_threshold = models.FloatField(
        default=0.3, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Suggestions scoring below this are not shown in the workspace (0 to 1).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(annotators_per_article__gte=1), name="project_needs_an_annotator"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def role_of(self, user) -> str | None:
        """The user's role here, or None. Superusers are managers of every project."""
        if not user.is_authenticated:
            return None
        if user.is_superuser:
            return Membership.Role.MANAGER
        return self.memberships.filter(user=user).values_list("role", flat=True).first()


class VocabularyManager(models.Manager):
    """Project-scoped vocabulary rows are addressed by (project slug, name) in fixtures."""

    def get_by_natural_key(self, project_slug, name):
        return self.get(project__slug=project_slug, name=name)


class VocabularyItem(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    objects = VocabularyManager()

    class Meta:
        abstract = True
        ordering = ["project", "order", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.project.slug, self.name)

    natural_key.dependencies = ["annotate.project"]


class Label(VocabularyItem):
    """A span label (CLAIM, SOURCE, QUOTE, CUE, STANCE_EVIDENCE, ...)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50, validators=[label_name_validator])
    color = models.CharField(max_length=7, default="#999999", validators=[color_validator])
    hotkey = models.CharField(max_length=1, blank=True, help_text="One key that applies this label in the workspace.")

    class Meta(VocabularyItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="label_name_unique_in_project"),
            models.UniqueConstraint(
                fields=["project", "hotkey"], condition=~Q(hotkey=""), name="label_hotkey_unique_in_project"
            ),
        ]


class RelationType(VocabularyItem):
    """A directed relation between two spans, e.g. ATTRIBUTED_TO from a QUOTE to a SOURCE.

    `from_label`/`to_label` restrict the ends when set; empty means any label.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="relation_types")
    name = models.CharField(max_length=50, validators=[label_name_validator])
    from_label = models.ForeignKey(Label, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_label = models.ForeignKey(Label, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta(VocabularyItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="relation_type_name_unique_in_project"),
        ]


class StanceTarget(VocabularyItem):
    """Something a holder takes a position on, e.g. "Moroccan sovereignty over Western Sahara"."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stance_targets")

    class Meta(VocabularyItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="stance_target_name_unique_in_project"),
        ]


class Polarity(VocabularyItem):
    """A stance polarity: favor / against / neutral by default."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="polarities")
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#999999", validators=[color_validator])

    class Meta(VocabularyItem.Meta):
        verbose_name_plural = "polarities"
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="polarity_name_unique_in_project"),
        ]


class Membership(models.Model):
    """A user's role in a project. Every permission check reads this table."""

    class Role(models.TextChoices):
        ANNOTATOR = "annotator"  # annotates what they are assigned; sees only their own layers
        REVIEWER = "reviewer"  # sees every layer of the project, adjudicates gold
        MANAGER = "manager"  # a reviewer who also runs the project
        ENGINEER = "engineer", "ML engineer"  # reads the project's exports; annotates nothing

    # Roles that read every annotation layer of the project.
    READS_ALL_LAYERS = frozenset({Role.REVIEWER, Role.MANAGER})
    # Roles that may pull the corpus (exports, agreement figures).
    READS_EXPORTS = frozenset({Role.REVIEWER, Role.MANAGER, Role.ENGINEER})

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "user"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_user")]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.project}"
