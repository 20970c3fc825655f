"""Bulk annotation from search: what a reviewer sends and what comes back (annotate/search/bulk.py)."""
from rest_framework import serializers

from annotate.models import BulkOperation


class BulkInput(serializers.Serializer):
    q = serializers.CharField(trim_whitespace=False, help_text="The query whose text hits are marked.")
    label = serializers.CharField(help_text="A label of the project, by name.")
    entity = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                      help_text="A source of the project (its id).")
    attributes = serializers.DictField(required=False, default=dict)
    into = serializers.ChoiceField(choices=BulkOperation.Into.choices)
    preview = serializers.BooleanField(default=False, help_text="true: count and sample, write nothing.")
    client_id = serializers.UUIDField(required=False, allow_null=True,
                                      help_text="The writer's id of this commit: sent again, it applies once.")


class CountsOut(serializers.Serializer):
    hits = serializers.IntegerField()
    articles = serializers.IntegerField()
    layers = serializers.IntegerField(help_text="Into layers: editable layers getting at least one new span.")
    new = serializers.IntegerField(help_text="Into layers: spans added (a hit in a layer).")
    present = serializers.IntegerField(help_text="Into layers: the layer held that label at those offsets already.")
    closed = serializers.IntegerField(help_text="Into layers: submitted or adjudicated layers, left alone.")
    without_layer = serializers.IntegerField(help_text="Into layers: articles with no editable layer.")
    suggestions = serializers.IntegerField(help_text="Into suggestions: suggestions stored.")
    annotators = serializers.IntegerField(help_text="Into suggestions: annotators of those articles.")


class PreviewOut(serializers.Serializer):
    preview = serializers.BooleanField()
    counts = CountsOut()
    sample = serializers.ListField(child=serializers.DictField(), help_text="The first hits, in context.")
    problem = serializers.CharField(help_text="Why the commit would be refused (too many spans), or empty.")


class OperationOut(serializers.ModelSerializer):
    label = serializers.CharField(source="label.name")
    entity = serializers.IntegerField(source="entity_id", allow_null=True)
    entity_name = serializers.CharField(source="entity.name", allow_null=True, default=None)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    undone_by = serializers.CharField(source="undone_by.username", allow_null=True, default=None)
    layers = serializers.SerializerMethodField(help_text="Per layer: the version before and after, spans added.")

    class Meta:
        model = BulkOperation
        fields = ["id", "client_id", "query", "label", "entity", "entity_name", "attributes", "into", "status",
                  "counts", "layers", "created_by", "created_at", "undone_by", "undone_at", "undo_result"]

    def get_layers(self, operation) -> list[dict]:
        return [{"annotation": entry["annotation"], "article": entry.get("article"), "before": entry["before"],
                 "after": entry["after"], "spans": len(entry["spans"])} for entry in operation.layers]
