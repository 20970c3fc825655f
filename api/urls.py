"""REST API routes: /api/v1/ resources, /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI, served locally)."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import agreement, annotations, articles, assignments, jobs, projects, releases, review, suggestions

app_name = "api"

v1 = [
    path("projects/", projects.ProjectList.as_view(), name="project-list"),
    path("projects/<slug:slug>/", projects.ProjectDetail.as_view(), name="project-detail"),
    path("projects/<slug:slug>/entities/", projects.EntityList.as_view(), name="entity-list"),
    path("projects/<slug:slug>/entities/<id:pk>/", projects.EntityDetail.as_view(), name="entity-detail"),
    path("projects/<slug:slug>/entities/<id:pk>/merge/", review.MergeEntities.as_view(), name="entity-merge"),
    path("projects/<slug:slug>/next/", projects.NextArticle.as_view(), name="next-article"),
    path("projects/<slug:slug>/export/", include("api.export_urls")),
    path("projects/<slug:slug>/agreement/", agreement.Agreement.as_view(), name="agreement"),
    path("projects/<slug:slug>/agreement/reports/", jobs.StartAgreementReport.as_view(), name="agreement-report"),
    path("projects/<slug:slug>/imports/", jobs.StartImport.as_view(), name="import-start"),
    path("projects/<slug:slug>/snapshots/", jobs.StartSnapshot.as_view(), name="snapshot-start"),
    path("jobs/", jobs.JobList.as_view(), name="job-list"),
    path("jobs/<id:pk>/", jobs.JobDetail.as_view(), name="job-detail"),
    path("jobs/<id:pk>/cancel/", jobs.CancelJob.as_view(), name="job-cancel"),
    path("jobs/<id:pk>/download/", jobs.DownloadJobFile.as_view(), name="job-download"),
    path("articles/", articles.ArticleList.as_view(), name="article-list"),
    path("articles/<id:pk>/", articles.ArticleDetail.as_view(), name="article-detail"),
    path("articles/<id:pk>/review/", review.ArticleReview.as_view(), name="article-review"),
    path("articles/<id:pk>/gold/", review.StartGold.as_view(), name="article-gold"),
    path("articles/<id:pk>/suggestions/", suggestions.ArticleSuggestions.as_view(), name="article-suggestions"),
    path("articles/<id:pk>/suggestions/refresh/", suggestions.RefreshSuggestions.as_view(),
         name="article-suggestions-refresh"),
    path("assignments/", assignments.AssignmentList.as_view(), name="assignment-list"),
    path("assignments/<id:pk>/", assignments.AssignmentDetail.as_view(), name="assignment-detail"),
    path("assignments/<id:pk>/open/", assignments.OpenLayer.as_view(), name="assignment-open"),
    path("assignments/<id:pk>/skip/", assignments.SkipAssignment.as_view(), name="assignment-skip"),
    path("annotations/", annotations.AnnotationList.as_view(), name="annotation-list"),
    path("annotations/<id:pk>/", annotations.AnnotationDetail.as_view(), name="annotation-detail"),
    path("annotations/<id:pk>/submit/", annotations.SubmitAnnotation.as_view(), name="annotation-submit"),
    path("annotations/<id:pk>/history/", annotations.AnnotationHistory.as_view(), name="annotation-history"),
    path("annotations/<id:pk>/restore/", annotations.RestoreAnnotation.as_view(), name="annotation-restore"),
    path("annotations/<id:pk>/accept/", review.AcceptItem.as_view(), name="annotation-accept"),
    path("annotations/<id:pk>/adjudicate/", review.Adjudicate.as_view(), name="annotation-adjudicate"),
    path("annotations/<id:pk>/return/", review.ReturnLayer.as_view(), name="annotation-return"),
    path("annotations/<id:pk>/suggestions/accept/", suggestions.AcceptSuggestions.as_view(),
         name="suggestions-accept"),
    path("annotations/<id:pk>/suggestions/reject/", suggestions.RejectSuggestions.as_view(),
         name="suggestions-reject"),
    path("annotations/<id:pk>/spans/", annotations.SpanList.as_view(), name="span-list"),
    path("annotations/<id:pk>/spans/<id:item_pk>/", annotations.SpanDetail.as_view(), name="span-detail"),
    path("annotations/<id:pk>/relations/", annotations.RelationList.as_view(), name="relation-list"),
    path("annotations/<id:pk>/relations/<id:item_pk>/", annotations.RelationDetail.as_view(),
         name="relation-detail"),
    path("annotations/<id:pk>/stances/", annotations.StanceList.as_view(), name="stance-list"),
    path("annotations/<id:pk>/stances/<id:item_pk>/", annotations.StanceDetail.as_view(), name="stance-detail"),
    path("projects/<slug:slug>/releases/", releases.ReleaseList.as_view(), name="release-list"),
    path("projects/<slug:slug>/releases/<slug:name>/", releases.ReleaseDetail.as_view(), name="release-detail"),
    path("projects/<slug:slug>/releases/<slug:name>/<str:file>", releases.ReleaseFile.as_view(),
         name="release-file"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the page needs no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
