"""Pages for reviewers and managers: review and gold, the project dashboard, the stance map, the source registry,
the claims across articles."""
from django.urls import path

from .views import claims, dashboards, review, search

app_name = "review"

urlpatterns = [
    path("review/<slug:slug>/", review.index, name="index"),
    path("review/articles/<id:pk>/", review.article, name="article"),
    path("review/articles/<id:pk>/gold/", review.edit_gold, name="edit-gold"),
    path("projects/<slug:slug>/dashboard/", dashboards.dashboard, name="dashboard"),
    path("projects/<slug:slug>/dashboard/recommenders/evaluate/", dashboards.evaluate_recommenders,
         name="evaluate-recommenders"),
    path("projects/<slug:slug>/stances/", dashboards.stance_map, name="stances"),
    path("projects/<slug:slug>/stances/evidence/", dashboards.stance_evidence, name="stance-evidence"),
    path("projects/<slug:slug>/sources/", dashboards.sources, name="sources"),
    path("projects/<slug:slug>/sources/<id:pk>/", dashboards.source_detail, name="source"),
    path("projects/<slug:slug>/sources/<id:pk>/merge/", dashboards.merge_source, name="merge-source"),
    path("projects/<slug:slug>/claims/", claims.claims, name="claims"),
    path("projects/<slug:slug>/claims/recompute/", claims.recompute_claims, name="claims-recompute"),
    path("projects/<slug:slug>/claims/<id:pk>/", claims.claim_detail, name="claim"),
    path("projects/<slug:slug>/claims/<id:pk>/merge/", claims.merge_claims, name="claim-merge"),
    path("projects/<slug:slug>/claims/<id:pk>/split/", claims.split_claim, name="claim-split"),
    path("projects/<slug:slug>/claims/<id:pk>/move/", claims.move_claim, name="claim-move"),
    path("projects/<slug:slug>/search/annotate/", search.bulk_annotate, name="search-annotate"),
    path("projects/<slug:slug>/search/operations/<id:pk>/undo/", search.undo_operation, name="search-undo"),
]
