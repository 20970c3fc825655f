"""Annotation layers with their spans, relations and stances.

Output serializers read prefetched rows only (see api/views/annotations.py);
input serializers check shapes and types, and the service layer checks the
rules (offsets, snapshot, vocabulary, same annotation), so the API, the UI
and the importer give the same errors.
"""
from rest_framework import serializers

from annotate.models import Annotation, Relation, Span, Stance


def _uuid(value) -> str | None:
    return None if value is None else str(value)


# The three item serializers declare their fields (for the schema and for reading) but write
# their output by hand: a layer has ~70 spans and DRF's per-field machinery was most of the
# detail's time. The tests compare the output with the declared fields.


class SpanSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="label.name")
    entity_name = serializers.CharField(source="entity.name", read_only=True, default=None)

    class Meta:
        model = Span
        fields = ["id", "client_id", "label", "start", "end", "text", "entity", "entity_name", "attributes"]

    def to_representation(self, span):
        entity = span.entity
        return {"id": span.pk, "client_id": _uuid(span.client_id), "label": span.label.name, "start": span.start,
                "end": span.end, "text": span.text, "entity": span.entity_id,
                "entity_name": entity.name if entity is not None else None, "attributes": span.attributes}


class RelationSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="type.name")

    class Meta:
        model = Relation
        fields = ["id", "client_id", "type", "from_span", "to_span"]

    def to_representation(self, relation):
        return {"id": relation.pk, "client_id": _uuid(relation.client_id), "type": relation.type.name,
                "from_span": relation.from_span_id, "to_span": relation.to_span_id}


class StanceSerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="target.name")
    polarity = serializers.CharField(source="polarity.name")
    holder_entity_name = serializers.CharField(source="holder_entity.name", read_only=True, default=None)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Stance
        fields = ["id", "client_id", "holder_span", "holder_entity", "holder_entity_name", "target", "polarity",
                  "explicit", "evidence"]

    def get_evidence(self, stance) -> list[int]:
        return sorted(span.pk for span in stance.evidence.all())  # prefetched

    def to_representation(self, stance):
        holder = stance.holder_entity
        return {"id": stance.pk, "client_id": _uuid(stance.client_id), "holder_span": stance.holder_span_id,
                "holder_entity": stance.holder_entity_id,
                "holder_entity_name": holder.name if holder is not None else None, "target": stance.target.name,
                "polarity": stance.polarity.name, "explicit": stance.explicit, "evidence": self.get_evidence(stance)}


class AnnotationListSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="article.project.slug", read_only=True)
    annotator = serializers.CharField(source="annotator.get_username", read_only=True, default=None)
    span_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Annotation
        fields = ["id", "project", "article", "annotator", "is_gold", "status", "version", "span_count",
                  "created_at", "updated_at", "submitted_at"]


class AnnotationSerializer(AnnotationListSerializer):
    spans = SpanSerializer(many=True, read_only=True)
    relations = RelationSerializer(many=True, read_only=True)
    stances = StanceSerializer(many=True, read_only=True)

    class Meta(AnnotationListSerializer.Meta):
        fields = [f for f in AnnotationListSerializer.Meta.fields if f != "span_count"] + [
            "review_comment", "spans", "relations", "stances"]

    def to_representation(self, annotation):
        """The layer and everything in it, read as plain rows (four queries) rather than model instances:
        the detail is the hottest read of the workspace and instances were most of its time."""
        when = serializers.DateTimeField().to_representation
        return {
            "id": annotation.pk,
            "project": annotation.article.project.slug,
            "article": annotation.article_id,
            "annotator": annotation.annotator.get_username() if annotation.annotator_id else None,
            "is_gold": annotation.is_gold,
            "status": annotation.status,
            "version": annotation.version,
            "created_at": when(annotation.created_at),
            "updated_at": when(annotation.updated_at),
            "submitted_at": when(annotation.submitted_at) if annotation.submitted_at else None,
            "review_comment": annotation.review_comment,
            **layer_items(annotation.pk),
        }


def layer_items(annotation_id: int) -> dict:
    """spans, relations and stances of one layer in the API's shapes, from values_list rows."""
    spans = [
        {"id": pk, "client_id": _uuid(client_id), "label": label, "start": start, "end": end, "text": text,
         "entity": entity, "entity_name": entity_name, "attributes": attributes}
        for pk, client_id, label, start, end, text, entity, entity_name, attributes in Span.objects.filter(
            annotation_id=annotation_id).order_by("start", "end", "id").values_list(
            "id", "client_id", "label__name", "start", "end", "text", "entity_id", "entity__name", "attributes")
    ]
    relations = [
        {"id": pk, "client_id": _uuid(client_id), "type": kind, "from_span": from_span, "to_span": to_span}
        for pk, client_id, kind, from_span, to_span in Relation.objects.filter(annotation_id=annotation_id).order_by(
            "id").values_list("id", "client_id", "type__name", "from_span_id", "to_span_id")
    ]
    evidence: dict[int, list[int]] = {}
    for stance_id, span_id in Stance.evidence.through.objects.filter(
            stance__annotation_id=annotation_id).values_list("stance_id", "span_id"):
        evidence.setdefault(stance_id, []).append(span_id)
    stances = [
        {"id": pk, "client_id": _uuid(client_id), "holder_span": holder_span, "holder_entity": holder_entity,
         "holder_entity_name": holder_name, "target": target, "polarity": polarity, "explicit": explicit,
         "evidence": sorted(evidence.get(pk, []))}
        for pk, client_id, holder_span, holder_entity, holder_name, target, polarity, explicit in Stance.objects.filter(
            annotation_id=annotation_id).order_by("id").values_list(
            "id", "client_id", "holder_span_id", "holder_entity_id", "holder_entity__name", "target__name",
            "polarity__name", "explicit")
    ]
    return {"spans": spans, "relations": relations, "stances": stances}


# Inputs ------------------------------------------------------------------------------


class VersionedInput(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="The layer version you edited (or If-Match).")


CLIENT_ID_HELP = (
    "Your id for the new item (a UUID), unique in the layer. Send the same one when you retry: a create whose "
    "client_id the layer already holds answers 200 with that item instead of making a second one "
    "(header Idempotent-Replayed: true). Without one, the server makes one up.")


class CreateInput(VersionedInput):
    client_id = serializers.UUIDField(required=False, help_text=CLIENT_ID_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.partial:  # a PATCH cannot change an item's client id
            self.fields.pop("client_id")


class SpanInput(CreateInput):
    label = serializers.CharField(max_length=50)
    start = serializers.IntegerField(help_text="Code point offset into the article text.")
    end = serializers.IntegerField(help_text="Code point offset, exclusive.")
    text = serializers.CharField(required=False, trim_whitespace=False, allow_blank=False,
                                 help_text="The covered text as you saw it; checked against the article.")
    entity = serializers.IntegerField(required=False, allow_null=True)
    attributes = serializers.DictField(required=False)


class RelationInput(CreateInput):
    type = serializers.CharField(max_length=50)
    from_span = serializers.IntegerField()
    to_span = serializers.IntegerField()


class StanceInput(CreateInput):
    holder_span = serializers.IntegerField(required=False, allow_null=True)
    holder_entity = serializers.IntegerField(required=False, allow_null=True)
    target = serializers.CharField(max_length=200)
    polarity = serializers.CharField(max_length=50)
    explicit = serializers.BooleanField(required=False, default=True)
    evidence = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=200)


class WriteResult(serializers.Serializer):
    """What a write answers besides the item: the layer version to send with the next write."""

    annotation_version = serializers.IntegerField()


class SubmitInput(VersionedInput):
    confirm_missing_evidence = serializers.BooleanField(
        required=False, default=False,
        help_text="In projects where stance evidence is expected but not required: submit even though some "
                  "stances have no evidence span (otherwise a 400 lists them).")
