"""The agreement report's shape, for the OpenAPI schema (the report itself is built in annotate.agreement.report).

A figure that is 0/0 is null; the object holding it then has an `undefined` object mapping the figure's
name to the reason (one of REASONS). `undefined` is present only when something in that object is null.
"""
from rest_framework import serializers

from annotate.agreement.undefined import REASONS


def _figure(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=f"{help_text} Null when undefined (see `undefined`).")


def _reason() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=REASONS, required=False)


class AgreementScoreReasonsSerializer(serializers.Serializer):
    precision = _reason()
    recall = _reason()
    f1 = _reason()


class AgreementMacroScoresSerializer(serializers.Serializer):
    precision = _figure("Mean over the labels where it is defined.")
    recall = _figure("Mean over the labels where it is defined.")
    f1 = _figure("Mean over the labels where it is defined.")
    undefined = AgreementScoreReasonsSerializer(required=False, help_text="Why a null figure has no value.")


class AgreementScoresSerializer(serializers.Serializer):
    precision = _figure("matched / the compared side's items (b).")
    recall = _figure("matched / the reference side's items (a).")
    f1 = _figure("2 · matched / (a + b).")
    support = serializers.IntegerField(help_text="a + b: the items on both sides.")
    undefined = AgreementScoreReasonsSerializer(required=False, help_text="Why a null figure has no value.")


class AgreementModesSerializer(serializers.Serializer):
    exact = AgreementScoresSerializer()
    overlap = AgreementScoresSerializer()


class AgreementMacroModesSerializer(serializers.Serializer):
    exact = AgreementMacroScoresSerializer()
    overlap = AgreementMacroScoresSerializer()


class AgreementSpanAlphaReasonsSerializer(serializers.Serializer):
    krippendorff_alpha = serializers.DictField(child=_reason(), help_text="Label -> why its alpha is null.")


class AgreementSpansSerializer(serializers.Serializer):
    per_label = serializers.DictField(child=AgreementModesSerializer(), help_text="Label -> scores.")
    micro = AgreementModesSerializer()
    macro = AgreementMacroModesSerializer()
    krippendorff_alpha = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Label -> Krippendorff's alpha over characters; null when undefined (see `undefined`).")
    undefined = AgreementSpanAlphaReasonsSerializer(required=False)


class AgreementKappaReasonSerializer(serializers.Serializer):
    cohen_kappa = _reason()


class AgreementStancePairSerializer(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    cohen_kappa = _figure("Cohen's kappa over the items both coded.")
    items = serializers.IntegerField()
    undefined = AgreementKappaReasonSerializer(required=False)


class AgreementStanceAlphaReasonSerializer(serializers.Serializer):
    krippendorff_alpha = _reason()


class AgreementStancesSerializer(serializers.Serializer):
    items = serializers.IntegerField()
    krippendorff_alpha = _figure("Krippendorff's alpha (nominal) across all annotators.")
    pairs = AgreementStancePairSerializer(many=True)
    undefined = AgreementStanceAlphaReasonSerializer(required=False)


class AgreementPairSerializer(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    articles = serializers.IntegerField()
    exact = AgreementScoresSerializer()
    overlap = AgreementScoresSerializer()
    per_label = serializers.DictField(child=AgreementModesSerializer())


class AgreementAccuracyReasonSerializer(serializers.Serializer):
    stance_accuracy = _reason()


class AgreementGoldSerializer(serializers.Serializer):
    annotator = serializers.CharField()
    articles = serializers.IntegerField()
    exact = AgreementScoresSerializer()
    overlap = AgreementScoresSerializer()
    relations = AgreementModesSerializer()
    stance_accuracy = _figure("Share of the stance items both coded on which the polarity agrees with gold.")
    stance_items = serializers.IntegerField()
    undefined = AgreementAccuracyReasonSerializer(required=False)


class AgreementSerializer(serializers.Serializer):
    annotators = serializers.ListField(child=serializers.CharField())
    articles = serializers.IntegerField()
    spans = AgreementSpansSerializer()
    relations = AgreementModesSerializer()
    stances = AgreementStancesSerializer()
    pairs = AgreementPairSerializer(many=True)
    gold = AgreementGoldSerializer(many=True)
    article_labels = serializers.DictField(
        required=False, help_text="Per article question: kind, items, krippendorff_alpha and pairs with cohen_kappa "
                                  "(annotate/agreement/article_labels.py). In a narrowed report and the agreement "
                                  "job's; the whole project's report answered at once leaves it out.")
