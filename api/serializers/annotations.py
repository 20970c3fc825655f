"""Annotation layers with their spans, relations and stances.

Output serializers read prefetched rows only (see api/views/annotations.py);
input serializers check shapes and types, and the service layer checks the
rules (offsets, snapshot, vocabulary, same annotation), so the API, the UI
and the importer give the same errors.
"""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotate.models import Annotation, Relation, Span, Stance
from annotate.services.article_labels import answers_of
from annotate.validation import MAX_FRAGMENTS, span_pieces


def _uuid(value) -> str | None:
    return None if value is None else str(value)


class ItemShape:
    """How the API shows one kind of layer item, written once.

    Each field is (key, lookup): the lookup is an ORM path ("label__name", "entity_id") that reads a model
    instance (following attributes) and selects plain rows (values_list) alike. The serializer's declared
    fields, its output and the layer detail's fast path (layer_items) all come from here, so they cannot
    drift apart; the tests compare them with DRF's own rendering.
    """

    CONVERT = {"client_id": _uuid}

    def __init__(self, *fields: tuple[str, str], order: tuple[str, ...], evidence: bool = False, finish=None):
        self.fields, self.order, self.evidence = fields, order, evidence
        self.keys = [key for key, _ in fields] + (["evidence"] if evidence else [])
        self.finish = finish  # item -> None: fills in what needs several fields (a span's fragments)

    def of(self, obj) -> dict:
        """One instance (with its related rows selected, and evidence prefetched) as the API shows it."""
        item = {key: self._convert(key, self._read(obj, lookup)) for key, lookup in self.fields}
        if self.evidence:
            item["evidence"] = sorted(span.pk for span in obj.evidence.all())
        if self.finish:
            self.finish(item)
        return item

    def rows(self, queryset, evidence: dict[int, list[int]] | None = None) -> list[dict]:
        """The queryset as the API shows it, from values_list rows (no instances: the detail's hot path)."""
        lookups = [lookup for _, lookup in self.fields]
        items = [{key: self._convert(key, value) for (key, _), value in zip(self.fields, row)}
                 for row in queryset.order_by(*self.order).values_list(*lookups)]
        if self.evidence:
            for item in items:
                item["evidence"] = sorted((evidence or {}).get(item["id"], []))
        if self.finish:
            for item in items:
                self.finish(item)
        return items

    def _convert(self, key, value):
        convert = self.CONVERT.get(key)
        return value if convert is None else convert(value)

    @staticmethod
    def _read(obj, lookup: str):
        for name in lookup.split("__"):
            if obj is None:
                return None
            obj = getattr(obj, name)
        return obj


def _span_fragments(item: dict) -> None:
    """A span always shows its fragments: a NULL column is the ordinary one-piece span, [[start, end]]."""
    item["fragments"] = span_pieces(item["start"], item["end"], item["fragments"])


SPAN = ItemShape(
    ("id", "id"), ("client_id", "client_id"), ("label", "label__name"), ("start", "start"), ("end", "end"),
    ("fragments", "fragments"), ("text", "text"), ("entity", "entity_id"), ("entity_name", "entity__name"),
    ("attributes", "attributes"), ("needs_review", "needs_review"),
    order=("start", "end", "id"), finish=_span_fragments)
RELATION = ItemShape(
    ("id", "id"), ("client_id", "client_id"), ("type", "type__name"), ("from_span", "from_span_id"),
    ("to_span", "to_span_id"),
    order=("id",))
STANCE = ItemShape(
    ("id", "id"), ("client_id", "client_id"), ("holder_span", "holder_span_id"), ("holder_entity", "holder_entity_id"),
    ("holder_entity_name", "holder_entity__name"), ("target", "target__name"), ("polarity", "polarity__name"),
    ("explicit", "explicit"),
    order=("id",), evidence=True)


# The serializers declare their fields' types (for the schema and for reading input) and write their
# output through the shape: a layer has ~70 spans, and DRF's per-field machinery was most of the detail's time.


def fragments_field(**kwargs) -> serializers.ListField:
    """[[start, end], ...]: a span's pieces, code points, end exclusive (the schema's array of [int, int])."""
    pair = serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2)
    return serializers.ListField(child=pair, min_length=1, max_length=MAX_FRAGMENTS, **kwargs)


class SpanSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="label.name")
    fragments = serializers.SerializerMethodField(
        help_text="The span's pieces, [[start, end], ...] in order; one piece for an ordinary span. start and end "
                  "are the outer bounds, text the pieces' texts joined by one space.")
    entity_name = serializers.CharField(source="entity.name", read_only=True, default=None)
    needs_review = serializers.BooleanField(
        read_only=True, help_text="Flagged when a corrected article text was re-anchored and this span's text "
                                  "changed or vanished; text keeps the old snapshot.")

    class Meta:
        model = Span
        fields = SPAN.keys

    @extend_schema_field(fragments_field())
    def get_fragments(self, span) -> list[list[int]]:
        return [list(piece) for piece in span.pieces]

    def to_representation(self, span):
        return SPAN.of(span)


class RelationSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="type.name")

    class Meta:
        model = Relation
        fields = RELATION.keys

    def to_representation(self, relation):
        return RELATION.of(relation)


class StanceSerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="target.name")
    polarity = serializers.CharField(source="polarity.name")
    holder_entity_name = serializers.CharField(source="holder_entity.name", read_only=True, default=None)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Stance
        fields = STANCE.keys

    def get_evidence(self, stance) -> list[int]:
        return sorted(span.pk for span in stance.evidence.all())  # prefetched

    def to_representation(self, stance):
        return STANCE.of(stance)


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
    article_labels = serializers.DictField(
        read_only=True, help_text='The answers to the project\'s article questions: {"QUESTION_NAME": value}, a '
                                  "string (single choice, text) or a list of strings (multiple choice).")

    class Meta(AnnotationListSerializer.Meta):
        fields = [f for f in AnnotationListSerializer.Meta.fields if f != "span_count"] + [
            "review_comment", "spans", "relations", "stances", "article_labels"]

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
            "article_labels": answers_of(annotation.pk),  # one query more, whatever the layer's size
        }


def layer_items(annotation_id: int) -> dict:
    """spans, relations and stances of one layer in the API's shapes, from plain rows (four queries)."""
    evidence: dict[int, list[int]] = {}
    for stance_id, span_id in Stance.evidence.through.objects.filter(
            stance__annotation_id=annotation_id).values_list("stance_id", "span_id"):
        evidence.setdefault(stance_id, []).append(span_id)
    return {
        "spans": SPAN.rows(Span.objects.filter(annotation_id=annotation_id)),
        "relations": RELATION.rows(Relation.objects.filter(annotation_id=annotation_id)),
        "stances": STANCE.rows(Stance.objects.filter(annotation_id=annotation_id), evidence),
    }


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
    start = serializers.IntegerField(required=False, help_text="Code point offset into the article text (or send "
                                                               "fragments).")
    end = serializers.IntegerField(required=False, help_text="Code point offset, exclusive.")
    fragments = fragments_field(
        required=False, help_text="A discontinuous span's pieces instead of start/end: [[start, end], ...], in "
                                  "order, neither overlapping nor touching. With start/end too, they must be the "
                                  "outer bounds. In a PATCH, the span's new pieces (start/end alone move the first "
                                  "piece's start and the last piece's end).")
    text = serializers.CharField(required=False, trim_whitespace=False, allow_blank=False,
                                 help_text="The covered text as you saw it (a discontinuous span's pieces joined by "
                                           "one space); checked against the article.")
    entity = serializers.IntegerField(required=False, allow_null=True)
    attributes = serializers.DictField(required=False)
    needs_review = serializers.BooleanField(
        required=False, help_text="PATCH only: false confirms a span flagged by re-anchoring, where it is (only when "
                                  "the article has its text there) or at the offsets sent with it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.partial:  # a new span is never flagged
            self.fields.pop("needs_review")


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
