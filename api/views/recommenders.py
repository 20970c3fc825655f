"""A project's recommenders as its reviewers and managers judge them: settings, acceptance, and the figures of
the latest evaluation against the layers; starting a new evaluation (a background job, 202).

Annotators are refused (403): the figures compare suggestions with everyone's layers. Outsiders get 404.
"""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import reviewed_project
from annotate.jobs.kinds.recommenders import start_evaluation
from annotate.suggestions import evaluation

from ..serializers.jobs import JobStartedSerializer
from ..serializers.recommenders import RecommendersSerializer
from .jobs import _started


class Recommenders(APIView):
    """Each recommender: settings, acceptance (live) and per-label precision, recall and F1 (latest evaluation)."""

    @extend_schema(responses=RecommendersSerializer)
    def get(self, request, slug):
        project = reviewed_project(request.user, slug)
        return Response(evaluation.report(project))


class EvaluateRecommenders(APIView):
    """Evaluate the project's recommenders against its layers in a background job (202 with the job); the one
    already queued or running is answered instead of a second."""

    @extend_schema(request=None, responses={202: JobStartedSerializer})
    def post(self, request, slug):
        project = reviewed_project(request.user, slug)
        return _started(start_evaluation(project, user=request.user))
