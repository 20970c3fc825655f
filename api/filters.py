import django_filters
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast

from annotate.models import Annotation, Article, Assignment, Entity, Thread


class ArticleFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    assignment_status = django_filters.ChoiceFilter(
        choices=Assignment.Status.choices, method="filter_assignment_status",
        help_text="Articles with an assignment in this status (yours, if you are an annotator).",
    )
    search = django_filters.CharFilter(method="filter_search", help_text="Words in the title or external id.")

    class Meta:
        model = Article
        fields = ["project", "language"]

    def filter_assignment_status(self, queryset, name, value):
        return queryset.filter(pk__in=Assignment.objects.visible_to(self.request.user).filter(status=value)
                               .values("article_id"))

    def filter_search(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(django_filters.filters.Q(title__icontains=word)
                                       | django_filters.filters.Q(external_id__icontains=word))
        return queryset


class AssignmentFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="article__project__slug")
    mine = django_filters.BooleanFilter(method="filter_mine", help_text="Only your own assignments.")

    class Meta:
        model = Assignment
        fields = ["project", "status"]

    def filter_mine(self, queryset, name, value):
        return queryset.filter(annotator=self.request.user) if value else queryset


class AnnotationFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="article__project__slug")
    annotator = django_filters.CharFilter(field_name="annotator__username")
    open_threads = django_filters.BooleanFilter(method="filter_open_threads", help_text=(
        "true: layers with an open discussion thread; false: layers without one."))

    class Meta:
        model = Annotation
        fields = ["project", "article", "annotator", "status", "is_gold"]

    def filter_open_threads(self, queryset, name, value):
        # An EXISTS per layer on the partial index of open threads (thread_open_in_layer): a few entries, never
        # the resolved ones.
        open_threads = Exists(Thread.objects.filter(annotation=OuterRef("pk"), resolved=False))
        return queryset.filter(open_threads if value else ~open_threads)


class EntityFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", help_text="Part of the name or an alias.")

    class Meta:
        model = Entity
        fields = ["type"]

    def filter_search(self, queryset, name, value):
        # Aliases are a JSON list; a text match on its serialised form works on SQLite and PostgreSQL alike.
        return queryset.annotate(alias_text=Cast("aliases", TextField())).filter(
            Q(name__icontains=value) | Q(alias_text__icontains=value))
