"""A project's recommenders as its reviewers and managers judge them: settings, acceptance, and the figures of
the latest evaluation against the layers; starting a new evaluation, or a run over the project (background
jobs, 202).

Annotators are refused (403): the figures compare suggestions with everyone's layers. Outsiders get 404.
"""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import project_for, reviewed_project
from annotate.jobs.kinds.recommenders import start_evaluation
from annotate.jobs.kinds.suggestions import start_suggestions
from annotate.models import Membership
from annotate.suggestions import evaluation, running

from ..serializers.jobs import JobStartedSerializer
from ..serializers.recommenders import RecommendersSerializer
from .jobs import _started


class RunInput(serializers.Serializer):
    recommenders = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                         help_text="Their names; default: the project's enabled recommenders.")
    articles = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
                                     help_text="Article ids; default: every article of the project.")
    retrain = serializers.BooleanField(required=False, default=False)


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


class RunRecommenders(APIView):
    """Run the project's enabled recommenders (or those named) over every article, or the articles given, in a
    background job (202 with the job): trainable ones train first when due, or when `retrain` is true. For
    the project's managers: a run replaces the suggestions annotators see."""

    @extend_schema(request=RunInput, responses={202: JobStartedSerializer})
    def post(self, request, slug):
        project = project_for(request.user, slug, roles={Membership.Role.MANAGER})
        data = RunInput(data=request.data)
        data.is_valid(raise_exception=True)
        names = data.validated_data.get("recommenders") or None
        try:
            running.check_names(project, names)
        except LookupError as error:
            raise ValidationError({"recommenders": [str(error)]}) from None
        return _started(start_suggestions(project, user=request.user, recommenders=names,
                                          articles=data.validated_data.get("articles") or None,
                                          retrain=data.validated_data["retrain"]))
