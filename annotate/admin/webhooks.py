"""Webhooks and their delivery log: a project's managers (and superusers) manage its hooks and read its log.

Unlike the rest of the admin, which model permissions govern, both lists are scoped by project: a staff
user sees the hooks of the projects they manage and nothing else, because a hook's secret and its
deliveries' payloads are the project's. Annotators, reviewers and managers of other projects see neither.
"""
import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from ..models import Membership, Project, Webhook, WebhookDelivery
from ..models.webhook import EVENT_CHOICES, new_secret
from ..webhooks.delivery import send_again
from .common import ReadOnlyAdmin, changelist_link
from .large import LargeTableAdmin


def managed_projects(user):
    """The ids of the projects `user` manages, as a subquery."""
    return Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values("project_id")


class ProjectManagersOnly:
    """Permissions of a ModelAdmin whose rows belong to a project: `project_path` (a lookup from the row)
    scopes the list, `project_id_of(row)` one row."""

    project_path = "project"

    def _manages_any(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        cached = getattr(request, "_manages_a_project", None)
        if cached is None:
            cached = request._manages_a_project = managed_projects(user).exists()
        return cached

    def _manages(self, request, obj) -> bool:
        if not self._manages_any(request):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return managed_projects(request.user).filter(project_id=self.project_id_of(obj)).exists()

    def scoped(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.project_path}__in": managed_projects(request.user)})

    def scoped_projects(self, request):
        """The projects a row may be put in: the ones the user manages."""
        projects = Project.objects.order_by("name")
        return projects if request.user.is_superuser else projects.filter(pk__in=managed_projects(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            kwargs["queryset"] = self.scoped_projects(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return self._manages_any(request)

    def has_view_permission(self, request, obj=None):
        return self._manages(request, obj)


class ProjectManagersEdit(ProjectManagersOnly):
    """A project's rows its managers add, change and delete (webhooks, recommenders, article questions)."""

    def has_add_permission(self, request):
        return self._manages_any(request)

    def has_change_permission(self, request, obj=None):
        return self._manages(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._manages(request, obj)


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", label="URL",
                         help_text=Webhook._meta.get_field("url").help_text)
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Webhook
        fields = ["project", "url", "events", "active"]


@admin.register(Webhook)
class WebhookAdmin(ProjectManagersEdit, admin.ModelAdmin):
    form = WebhookForm
    list_display = ["url", "project", "event_list", "active", "deliveries", "created_by", "created_at"]
    list_filter = ["active"]
    list_select_related = ["project", "created_by"]
    search_fields = ["url"]
    readonly_fields = ["secret", "created_by", "created_at"]
    actions = ["new_secrets"]

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, hook):
        return hook.project_id

    def get_fieldsets(self, request, obj=None):
        fields = ["project", "url", "events", "active"]
        if obj is not None:  # the secret exists once the hook is saved
            fields += ["secret", "created_by", "created_at"]
        return [(None, {"fields": fields, "description": (
            "Every delivery is a POST of JSON signed with the hook's secret: see docs/webhooks.md. "
            "The URL must resolve to public addresses unless WEBHOOK_ALLOW_PRIVATE is set.")})]


    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="events")
    def event_list(self, hook):
        return ", ".join(hook.events)

    @admin.display(description="deliveries")
    def deliveries(self, hook):
        return changelist_link(WebhookDelivery, "deliveries", webhook=hook.pk)

    @admin.action(description="Give the selected hooks new secrets (receivers must be told)",
                  permissions=["change"])
    def new_secrets(self, request, queryset):
        hooks = list(queryset)
        for hook in hooks:
            hook.secret = new_secret()
            hook.save(update_fields=["secret"])
        self.message_user(request, f"{len(hooks)} hook(s) got a new secret: read it on each hook's page.",
                          messages.SUCCESS)


class WebhookFilter(admin.SimpleListFilter):
    """The hooks the user may see, by URL: the same scope as the rows (never another project's hook)."""

    title = "webhook"
    parameter_name = "webhook"

    def lookups(self, request, model_admin):
        hooks = model_admin.scoped_hooks(request).select_related("project")
        return [(str(hook.pk), f"{hook.project.slug}: {hook.url}") for hook in hooks]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(webhook_id=self.value())
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    """The delivery log, read-only; "send again" queues a new delivery of the same payload."""

    project_path = "webhook__project"
    list_display = ["id", "event", "hook", "status", "attempts", "last_status_code", "next_attempt_at",
                    "created_at", "delivered_at"]
    list_filter = ["status", "event", WebhookFilter]
    list_select_related = ["webhook__project"]
    fields = ["webhook", "event", "status", "attempts", "last_status_code", "last_error", "next_attempt_at",
              "created_at", "delivered_at", "payload_json"]
    readonly_fields = fields
    actions = ["send_again"]

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, delivery):
        return delivery.webhook.project_id

    def scoped_hooks(self, request):
        hooks = Webhook.objects.order_by("project__slug", "id")
        return hooks if request.user.is_superuser else hooks.filter(project__in=managed_projects(request.user))

    def has_resend_permission(self, request):
        return self._manages_any(request)

    @admin.display(description="webhook")
    def hook(self, delivery):
        return f"{delivery.webhook.project.slug}: {delivery.webhook.url}"

    @admin.display(description="payload")
    def payload_json(self, delivery):
        return format_html("<pre>{}</pre>", json.dumps(delivery.payload, indent=2, ensure_ascii=False))

    @admin.action(description="Send the selected deliveries again (as new deliveries)", permissions=["resend"])
    def send_again(self, request, queryset):
        # The queryset is the user's scope already (get_queryset): another project's rows cannot be picked.
        sent = [send_again(delivery) for delivery in queryset.select_related(None)[:1000]]
        self.message_user(request, f"{len(sent)} deliver{'y' if len(sent) == 1 else 'ies'} queued again.",
                          messages.SUCCESS)

