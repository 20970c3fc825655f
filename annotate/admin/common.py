"""Small pieces the admin modules share: subquery counts, scoped choices, filters, links."""
from django import forms
from django.contrib import admin
from django.db.models import Func, IntegerField, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html


def count_rows(queryset):
    """COUNT(*) of `queryset` as a correlated subquery, for annotating a changelist.

    One scalar per row and no join in the outer query, so two counts never
    multiply each other the way two `Count()`s over joins do. COUNT() as a
    plain Func (not an aggregate) keeps Django from adding a GROUP BY. COUNT(*),
    not COUNT(id): PostgreSQL can then count from an index alone (the
    project's articles from the project_id index) without reading the rows.
    """
    count = Func(function="COUNT", template="COUNT(*)", output_field=IntegerField())
    counted = queryset.order_by().annotate(_n=count).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def limit_choices(form_class, name, queryset, label=None):
    """Narrow the select `name` of a freshly built admin form class to `queryset`, read once.

    The admin builds a new form class on every request, so changing its
    base_fields is safe. The choices are frozen to (pk, text) pairs because a
    ModelChoiceField runs its query again for every form that renders it: an
    inline of 200 spans would otherwise run 200 label queries. Passing the
    same queryset object to several fields reads it once (its result cache).
    Validation still goes through `queryset`, so a value outside it is refused.
    """
    field = form_class.base_fields.get(name)
    if field is None or not hasattr(field, "queryset"):
        return  # excluded, read-only, or shown as a raw id
    field.queryset = queryset
    to_text = label or field.label_from_instance
    choices = [(obj.pk, to_text(obj)) for obj in queryset]
    if getattr(field, "empty_label", None) is not None:
        choices.insert(0, ("", field.empty_label))
    field.choices = choices


class ModelCleanNeedsFieldsForm(forms.ModelForm):
    """Skip Model.clean() while a field already has an error.

    Django calls Model.clean() even when a required field failed, and the
    clean() methods of Span, Relation and Stance read related objects
    (`self.label`, `self.from_span`), which raise instead of reporting when
    missing. The field error already tells the user what to fix.
    """

    def _post_clean(self):
        if self._errors:
            return
        super()._post_clean()


def vocabulary_filter(field: str, vocabulary_model, title: str):
    """A list filter by vocabulary name (CLAIM, ATTRIBUTED_TO...) across projects.

    The options come from the small vocabulary table, not from a DISTINCT over
    the filtered rows (what `field__name` in list_filter would do), which on
    the span table means scanning every span on every changelist page. The
    rows are filtered by the matching vocabulary ids (a subquery), not through
    a join: joined, SQLite started from the label and sorted its every span.
    """

    class VocabularyNameFilter(admin.SimpleListFilter):
        parameter_name = f"{field}_name"

        def lookups(self, request, model_admin):
            names = vocabulary_model.objects.order_by("name").values_list("name", flat=True).distinct()
            return [(name, name) for name in names]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{f"{field}__in": vocabulary_model.objects.filter(name=self.value())})
            return queryset

    VocabularyNameFilter.title = title
    return VocabularyNameFilter


def in_project(item) -> str:
    """A choice label for vocabulary offered across projects, where names repeat: "demo: SOURCE"."""
    return f"{item.project.slug}: {item}"


def changelist_link(model, text, **filters):
    """A link to `model`'s changelist filtered by `filters` (e.g. article__id__exact=3)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, text)


class ReadOnlyAdmin:
    """A record nobody adds, edits or deletes through the admin (history, deliveries, releases)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
