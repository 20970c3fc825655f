"""Claim clusters' inputs and answers (the shapes come from annotate/claims/reading.py; docs/claims.md)."""
from rest_framework import serializers

from .search import ContextOut


class ClaimListQuery(serializers.Serializer):
    min_size = serializers.IntegerField(required=False, default=2, min_value=1,
                                        help_text="Clusters of at least this many claims (1: singletons too).")


class MemberOut(serializers.Serializer):
    annotation_id = serializers.IntegerField()
    span_id = serializers.IntegerField()
    text = serializers.CharField()
    label = serializers.CharField(help_text="CLAIM or QUOTE.")
    article = serializers.IntegerField()
    external_id = serializers.CharField()
    title = serializers.CharField()
    published = serializers.DateField(allow_null=True)
    annotator = serializers.CharField(allow_null=True, help_text="The layer's annotator; null for gold.")
    gold = serializers.BooleanField()


class MemberInContextOut(MemberOut):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    context = ContextOut(help_text="The sentence around the claim.")


class SourceOut(serializers.Serializer):
    name = serializers.CharField(help_text="The source's entity name, else the SOURCE span's text.")
    entity = serializers.IntegerField(allow_null=True)
    members = serializers.IntegerField(help_text="Members attributed to this source.")


class StanceCountOut(serializers.Serializer):
    holder = serializers.CharField(allow_null=True)
    target = serializers.CharField()
    polarity = serializers.CharField()
    count = serializers.IntegerField(help_text="Stances with a member among their evidence.")


class ClaimClusterOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="Kept across recomputations while most members stay together.")
    text = serializers.CharField(help_text="The representative claim's text.")
    size = serializers.IntegerField()
    articles = serializers.IntegerField()
    sources = serializers.ListField(child=serializers.CharField(), help_text="Who makes the claim, most first.")
    members = MemberOut(many=True, help_text="The first 100 members by span id (members_truncated says more).")
    representative = serializers.IntegerField(allow_null=True, help_text="The representative's span id.")
    first_published = serializers.DateField(allow_null=True)
    last_published = serializers.DateField(allow_null=True)
    source_counts = SourceOut(many=True)
    stances = StanceCountOut(many=True)
    members_truncated = serializers.BooleanField()
    computed_at = serializers.DateTimeField()


class ClaimClusterDetailOut(ClaimClusterOut):
    members = MemberInContextOut(many=True, help_text="The first 500 members by span id, in context.")
    months = serializers.ListField(child=serializers.ListField(), help_text='[["2024-03", articles], ...]')


class ClaimPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ClaimClusterOut(many=True)


class MergeIn(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, max_value=2**63 - 1,
                                    help_text="The cluster that takes this one's members (it stays).")


class SplitIn(serializers.Serializer):
    span = serializers.IntegerField(min_value=1, max_value=2**63 - 1,
                                    help_text="The member's span id: it leaves for a cluster of its own.")


class MoveIn(serializers.Serializer):
    span = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The member's span id.")
    to = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The cluster it joins.")


class RecomputeIn(serializers.Serializer):
    threshold = serializers.FloatField(required=False, min_value=0.05, max_value=1.0,
                                       help_text="Cosine at which two claims are linked (default: the setting).")
