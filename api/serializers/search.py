"""Corpus search's query parameters and answers (the shapes come from annotate/search/hits.py; docs/search.md)."""
from rest_framework import serializers

from annotate.search.hits import MAX_PAGE_SIZE, MODES, PAGE_SIZE


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(trim_whitespace=False, help_text="The query (docs/search.md: the language).")
    mode = serializers.ChoiceField(choices=MODES, default="hits",
                                   help_text="hits: hits in context; articles: the articles with hits.")
    cursor = serializers.CharField(required=False, help_text="From the previous page's `next`.")
    page_size = serializers.IntegerField(required=False, default=PAGE_SIZE, min_value=1, max_value=MAX_PAGE_SIZE)


class ContextOut(serializers.Serializer):
    start = serializers.IntegerField(help_text="Code points into the article's text.")
    end = serializers.IntegerField()
    before = serializers.CharField()
    hit = serializers.CharField()
    after = serializers.CharField()


class HitOut(serializers.Serializer):
    article = serializers.IntegerField()
    external_id = serializers.CharField()
    annotation_id = serializers.IntegerField(allow_null=True, help_text="The item's layer; null for a text hit.")
    annotator = serializers.CharField(allow_null=True, help_text="The layer's annotator; null for gold and text.")
    gold = serializers.BooleanField()
    item = serializers.ChoiceField(choices=["span", "relation", "stance", "text"])
    id = serializers.IntegerField(allow_null=True)
    label = serializers.CharField(allow_null=True, help_text="Span label, relation type or stance polarity.")
    start = serializers.IntegerField(allow_null=True, help_text="Code points, end exclusive.")
    end = serializers.IntegerField(allow_null=True)
    text = serializers.CharField(allow_null=True)
    context = ContextOut(allow_null=True)


class ArticleOut(serializers.Serializer):
    article = serializers.IntegerField()
    external_id = serializers.CharField()
    title = serializers.CharField()
    language = serializers.CharField()
    hits = serializers.IntegerField(help_text="Hits in this article.")


class SearchPageOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Counted up to 200 hits or 1,000 articles (then: at least).")
    next = serializers.URLField(allow_null=True)
    results = serializers.ListField(child=serializers.DictField(), help_text="Hits (HitOut) or articles (ArticleOut).")
