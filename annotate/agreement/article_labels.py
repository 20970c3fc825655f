"""Agreement on the article-level questions (models/article_labels.py), one figure set per question.

Items are articles: every article where at least two of the compared annotators submitted an answer to the
question. Per question:

* single choice: the answer is the category; Krippendorff's alpha (nominal) over every annotator, and
  Cohen's kappa for each pair of annotators over the articles both answered;
* multiple choice: one binary item per (article, choice), "chosen" or "not chosen", for the annotators who
  answered the question on that article (an empty answer cannot be stored, so an unanswered question is
  missing, never "chose nothing"); alpha and pairwise kappa over those items. A per-choice binary reading
  rather than a set distance (MASI): its figures are the ordinary nominal ones, and a choice everybody
  skips makes no disagreement out of nothing;
* free text: no statistic (two wordings of one reason are not a disagreement a nominal figure can see):
  only the number of items.

A 0/0 figure (no item, one category) is null with its reason (undefined.py). This is computed from the
answers themselves (two queries), so it rides on the report computed from layers (report.py: a narrowed
request, the agreement job), not on the kept totals that answer the unfiltered request at once.
"""
from collections import defaultdict
from itertools import combinations

from django.db.models import Q

from config.routers import replica_reads

from ..models import Annotation, ArticleAnswer, ArticleQuestion
from .alpha import nominal_alpha
from .undefined import as_json, rounded

CHOSEN, NOT_CHOSEN = "chosen", "not chosen"


@replica_reads()
def question_agreement(project, *, annotators=None, articles=None) -> dict[str, dict]:
    """{QUESTION_NAME: {"kind", "items", "krippendorff_alpha", "pairs": [{"a", "b", "cohen_kappa", "items"}]}}
    over the annotators' submitted layers (two queries)."""
    from .report import kappa  # report.py imports this module for its report

    answers = ArticleAnswer.objects.filter(
        annotation__article__project=project, annotation__is_gold=False,
        annotation__status=Annotation.Status.SUBMITTED)
    if annotators:
        answers = answers.filter(Q(annotation__annotator__username__in=annotators))
    if articles:
        answers = answers.filter(annotation__article_id__in=articles)
    # question id -> article id -> username -> value
    given: dict[int, dict[int, dict[str, object]]] = defaultdict(lambda: defaultdict(dict))
    for question_id, article_id, username, value in answers.values_list(
            "question_id", "annotation__article_id", "annotation__annotator__username", "value"):
        given[question_id][article_id][username] = value

    report = {}
    for question in ArticleQuestion.objects.filter(project=project).order_by("order", "name"):
        shared = {article: by for article, by in given.get(question.pk, {}).items() if len(by) >= 2}
        if question.kind == ArticleQuestion.Kind.TEXT:
            report[question.name] = {"kind": question.kind, "items": len(shared)}
            continue
        units = _units(question, shared)  # [(unit key, {username: category})]
        names = sorted({name for _, by in units for name in by})
        table = [[by.get(name) for _, by in units] for name in names]
        pairs = []
        for a, b in combinations(names, 2):
            both = [(by[a], by[b]) for _, by in units if a in by and b in by]
            pairs.append(as_json(a=a, b=b, cohen_kappa=kappa([x for x, _ in both], [y for _, y in both]),
                                 items=len(both)))
        report[question.name] = {"kind": question.kind, "items": len(shared),
                                 **as_json(krippendorff_alpha=rounded(nominal_alpha(table))), "pairs": pairs}
    return report


def _units(question: ArticleQuestion, shared: dict[int, dict[str, object]]) -> list[tuple[tuple, dict]]:
    if question.kind == ArticleQuestion.Kind.SINGLE:
        return [((article,), by) for article, by in sorted(shared.items())]
    return [((article, choice), {name: CHOSEN if choice in value else NOT_CHOSEN for name, value in by.items()})
            for article, by in sorted(shared.items()) for choice in question.choices]
