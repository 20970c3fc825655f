from rest_framework import serializers

from annotate.models import ArticleQuestion, Entity, Label, Polarity, Project, RelationType, StanceTarget


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "description", "color", "hotkey"]


class RelationTypeSerializer(serializers.ModelSerializer):
    from_label = serializers.SlugRelatedField(slug_field="name", read_only=True)
    to_label = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = RelationType
        fields = ["id", "name", "description", "from_label", "to_label"]


class StanceTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = StanceTarget
        fields = ["id", "name", "description"]


class PolaritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Polarity
        fields = ["id", "name", "color"]


class ArticleQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ArticleQuestion
        fields = ["id", "name", "prompt", "help_text", "kind", "choices", "required", "order"]


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True, help_text="Your role in the project.")
    labels = LabelSerializer(many=True, read_only=True)
    relation_types = RelationTypeSerializer(many=True, read_only=True)
    stance_targets = StanceTargetSerializer(many=True, read_only=True)
    polarities = PolaritySerializer(many=True, read_only=True)
    article_questions = ArticleQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = ["id", "slug", "name", "description", "guidelines", "annotators_per_article", "stance_evidence",
                  "role", "labels", "relation_types", "stance_targets", "polarities", "article_questions"]


class EntitySerializer(serializers.ModelSerializer):
    aliases = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=100)

    class Meta:
        model = Entity
        fields = ["id", "name", "type", "description", "aliases"]
        read_only_fields = ["id"]
