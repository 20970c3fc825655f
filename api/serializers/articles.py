from rest_framework import serializers

from annotate.models import Article, Assignment


class ArticleListSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Article
        fields = ["id", "project", "external_id", "title", "outlet", "url", "published", "language"]


class ArticleSerializer(ArticleListSerializer):
    length = serializers.SerializerMethodField(help_text="Length of text in code points (offsets run 0..length).")

    class Meta(ArticleListSerializer.Meta):
        fields = ArticleListSerializer.Meta.fields + ["caption", "metadata", "content_hash", "length", "text"]

    def get_length(self, article) -> int:
        return len(article.text)


class AssignmentArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "external_id", "title"]


class AssignmentSerializer(serializers.ModelSerializer):
    article = AssignmentArticleSerializer(read_only=True)
    project = serializers.CharField(source="article.project.slug", read_only=True)
    annotator = serializers.CharField(source="annotator.get_username", read_only=True)
    annotation = serializers.IntegerField(
        source="annotation_id", read_only=True, allow_null=True, help_text="Your layer on the article, once opened."
    )

    class Meta:
        model = Assignment
        fields = ["id", "project", "article", "annotator", "status", "skip_reason", "annotation", "assigned_at",
                  "started_at", "finished_at"]


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
