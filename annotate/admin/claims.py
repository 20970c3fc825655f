"""Claim clusters in the admin, read-only, for the project's managers (and superusers): the clusters, their
members and the reviewers' decisions. Clusters are computed by the `claims` job and changed by decisions on
the Claims page or the API (annotate/claims/); editing them here would bypass both (docs/claims.md)."""
from django.contrib import admin

from ..models import ClaimCluster, ClaimLink, ClaimMember
from .common import ReadOnlyAdmin
from .large import LargeTableAdmin
from .webhooks import ProjectManagersOnly


@admin.register(ClaimCluster)
class ClaimClusterAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    list_display = ["id", "project", "short_text", "size", "articles", "first_published", "last_published",
                    "computed_at"]
    list_select_related = ["project"]
    sortable_by = ["id", "size"]
    fields = ["project", "text", "representative", "size", "articles", "first_published", "last_published",
              "computed_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, cluster):
        return cluster.project_id

    @admin.display(description="text")
    def short_text(self, cluster):
        return cluster.text[:120]


@admin.register(ClaimMember)
class ClaimMemberAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    project_path = "cluster__project"
    list_display = ["id", "cluster_id", "span_id", "annotation_id", "article_id"]
    fields = ["cluster", "span", "annotation", "article"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, member):
        return member.cluster.project_id


@admin.register(ClaimLink)
class ClaimLinkAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    list_display = ["id", "project", "kind", "span_id", "other_id", "decided_by", "decided_at"]
    list_select_related = ["project", "decided_by"]
    list_filter = ["kind"]
    fields = ["project", "kind", "span", "other", "decided_by", "decided_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, link):
        return link.project_id
