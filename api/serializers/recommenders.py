"""The recommenders report's shape, for the OpenAPI schema (the report is built in annotate.suggestions.evaluation).

A figure that is 0/0 (precision with no suggestions, recall with no reference spans, a rate with no decisions)
is null; the object holding it then has an `undefined` object mapping the figure's name to the reason.
"""
from rest_framework import serializers

from annotate.agreement.undefined import REASONS
from annotate.suggestions.evaluation import NO_DECISIONS


def _figure(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=f"{help_text} Null when undefined (see `undefined`).")


class ScoreReasonsSerializer(serializers.Serializer):
    precision = serializers.ChoiceField(choices=REASONS, required=False)
    recall = serializers.ChoiceField(choices=REASONS, required=False)
    f1 = serializers.ChoiceField(choices=REASONS, required=False)


class LabelFiguresSerializer(serializers.Serializer):
    precision = _figure("Correct suggestions / suggestions.")
    recall = _figure("Correct suggestions / reference spans.")
    f1 = _figure("2 · correct / (suggestions + reference spans).")
    support = serializers.IntegerField(help_text="Reference spans of the label on the articles it suggested for.")
    suggested = serializers.IntegerField(help_text="Its suggestions of the label on articles with a reference.")
    correct = serializers.IntegerField(help_text="Those with the same label and offsets in the reference layer.")
    undefined = ScoreReasonsSerializer(required=False, help_text="Why a null figure has no value.")


class AcceptanceReasonsSerializer(serializers.Serializer):
    rate = serializers.ChoiceField(choices=[NO_DECISIONS], required=False)


class AcceptanceSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rate = _figure("accepted / (accepted + rejected).")
    undefined = AcceptanceReasonsSerializer(required=False)


class RecommenderReportSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="As carried by its suggestions.")
    kind = serializers.CharField(allow_null=True, help_text="Null for a name with no settings row (imported "
                                                            "predictions).")
    enabled = serializers.BooleanField(allow_null=True)
    version = serializers.CharField(allow_null=True, help_text="Its settings' current version.")
    trained_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    acceptance = AcceptanceSerializer()
    evaluated = serializers.BooleanField(help_text="Whether the latest evaluation has figures for it.")
    articles = serializers.IntegerField(allow_null=True, help_text="Articles evaluated: with its suggestions and "
                                                                   "a reference layer.")
    versions = serializers.ListField(child=serializers.CharField(), help_text="Versions of the suggestions "
                                                                               "evaluated.")
    labels = serializers.DictField(child=LabelFiguresSerializer(), help_text="Per label it proposes.")
    micro = LabelFiguresSerializer(allow_null=True, help_text="Its labels pooled.")


class RunningSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class RecommendersSerializer(serializers.Serializer):
    recommenders = RecommenderReportSerializer(many=True)
    evaluated_at = serializers.DateTimeField(allow_null=True, help_text="When the latest evaluation ran; null "
                                                                        "before the first (POST …/evaluate/).")
    evaluation_job = serializers.IntegerField(allow_null=True, help_text="The job that computed the figures.")
    reference = serializers.CharField(help_text="What the suggestions were compared with.")
    running = RunningSerializer(allow_null=True, help_text="An evaluation queued or running, if any.")
