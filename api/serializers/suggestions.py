"""Suggestions as the API reads and writes them (the shapes come from annotate/suggestions/reading.py)."""
from rest_framework import serializers

from .annotations import VersionedInput


class SuggestionQuery(serializers.Serializer):
    recommender = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                        help_text="Only these recommenders' suggestions (repeat, or comma-separate).")
    min_score = serializers.FloatField(required=False, min_value=0.0, max_value=1.0,
                                       help_text="Only suggestions scoring at least this (0 to 1).")
    layer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1, help_text=(
        "A layer you work on (an annotator's is found by itself): leave out what it holds and what you "
        "decided already."))


class SuggestedSpanOut(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    start = serializers.IntegerField(help_text="Unicode code points, end exclusive.")
    end = serializers.IntegerField()
    text = serializers.CharField()
    score = serializers.FloatField()
    recommender = serializers.CharField()
    version = serializers.CharField()
    entity = serializers.IntegerField(allow_null=True)
    attributes = serializers.DictField()
    key = serializers.CharField()


class SuggestedRelationOut(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    # "from" is a Python keyword: declared below.
    to = serializers.IntegerField(help_text="A suggested span's id.")
    score = serializers.FloatField()
    recommender = serializers.CharField()
    version = serializers.CharField()
    key = serializers.CharField()


SuggestedRelationOut._declared_fields["from"] = serializers.IntegerField(help_text="A suggested span's id.")


class SuggestedStanceOut(serializers.Serializer):
    id = serializers.IntegerField()
    target = serializers.CharField()
    polarity = serializers.CharField()
    holder = serializers.IntegerField(allow_null=True, help_text="A suggested span's id.")
    holder_entity = serializers.IntegerField(allow_null=True)
    evidence = serializers.ListField(child=serializers.IntegerField())
    explicit = serializers.BooleanField()
    score = serializers.FloatField()
    recommender = serializers.CharField()
    version = serializers.CharField()
    key = serializers.CharField()


class SuggestionsOut(serializers.Serializer):
    spans = SuggestedSpanOut(many=True)
    relations = SuggestedRelationOut(many=True)
    stances = SuggestedStanceOut(many=True)
    ends = serializers.DictField(child=SuggestedSpanOut(), help_text=(
        "Spans that shown relations and stances point at but that are not shown themselves (you accepted "
        "them, or your layer holds them), by id."))


class RefreshOut(SuggestionsOut):
    errors = serializers.ListField(child=serializers.DictField(), help_text='[{"recommender", "message"}]')


def ids():
    """A list of row ids: positive, within a 64-bit column (a larger one would fail in the driver, not here)."""
    return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
                                 default=list, max_length=10_000)


class ChoiceInput(VersionedInput):
    spans = ids()
    relations = ids()
    stances = ids()
    label = serializers.CharField(required=False, max_length=50, help_text=(
        "Every suggested span of this label you still see (at min_score or above): accept or reject them all."))
    min_score = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)

    def validate(self, data):
        if not (data["spans"] or data["relations"] or data["stances"] or data.get("label")):
            raise serializers.ValidationError("name the suggestions: spans, relations, stances (ids) or a label.")
        return data


class RefreshInput(serializers.Serializer):
    recommender = serializers.ListField(child=serializers.CharField(max_length=100), required=False)


class AcceptedOut(serializers.Serializer):
    """The items an accept made (or found made, on a retry), as the layer's API shows them."""
    spans = serializers.ListField(child=serializers.DictField())
    relations = serializers.ListField(child=serializers.DictField())
    stances = serializers.ListField(child=serializers.DictField())
    annotation_version = serializers.IntegerField()


class RejectedOut(serializers.Serializer):
    rejected = serializers.IntegerField(help_text="How many suggestions were rejected.")
