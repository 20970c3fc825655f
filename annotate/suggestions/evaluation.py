"""How good each recommender is, measured on what people did: its span suggestions against the corpus's layers
(precision, recall and F1 per label), and how often people accepted its suggestions.

The reference on an article is its adjudicated gold layer when it has one, else each of its submitted
annotators' layers, each counted on its own (a suggestion found in two of three layers is two true positives
and one false positive): gold settles what the annotators disagreed on, and without it no one annotator is
preferred. A suggestion is a true positive when the reference layer has a span with the same label and
offsets. Recall counts, on the articles where the recommender made suggestions, the reference spans of the
labels it proposes anywhere in the project: a recommender is not blamed for labels it never proposes, nor
for articles it never saw. Articles with suggestions but no reference layer are not counted (only
`articles_without_reference`).

The layers are not independent of the suggestions: an accepted suggestion is in the layer, so these figures
are an upper bound on what the recommender would score on text no one saw its suggestions for. The
acceptance rate says how often people agreed with it when asked.

The figures read every suggestion and every layer of the project, so they are computed in a background job
(annotate/jobs/kinds/recommenders.py) whose result the pages read; the acceptance counts are one index range
of the decisions (decision_by_recommender) and are read live.
"""
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from ..agreement.scores import Counts
from ..agreement.undefined import Undefined, as_json, rounded
from ..models import Annotation, Article, Job, Label, Project, Recommender, Span, SuggestedSpan, SuggestionDecision
from ..services.figures import in_corpus

KIND = "recommender_evaluation"  # the job kind that computes and holds the figures
BATCH = 500  # articles read together: three queries a batch, within SQLite's limit on parameters
REFERENCE = "adjudicated gold where there is one, else each submitted layer"
NO_DECISIONS = "no decisions"  # an acceptance rate with nothing accepted or rejected: 0/0

SpanKey = tuple[int, int, int]  # (label id, start, end)


@dataclass
class Tally:
    """One recommender's counts over the articles walked so far."""

    articles: int = 0
    articles_without_reference: int = 0
    versions: set[str] = field(default_factory=set)
    proposed: set[int] = field(default_factory=set)  # label ids it suggested anywhere
    # label id -> Counts(matched = true positives, a = reference spans, b = its suggestions), every label seen,
    # so a label it proposes only on a later article still has its misses on the earlier ones.
    per_label: dict[int, Counts] = field(default_factory=lambda: defaultdict(Counts))

    def add(self, suggested: set[SpanKey], references: list[set[SpanKey]]) -> None:
        for reference in references:
            for label in {key[0] for key in suggested | reference}:
                mine = {key for key in suggested if key[0] == label}
                theirs = {key for key in reference if key[0] == label}
                self.per_label[label].add(Counts(matched=len(mine & theirs), a=len(theirs), b=len(mine)))


def _figures(counts: Counts) -> dict:
    """precision, recall, F1 (null and a reason when 0/0), support (reference spans), suggested, correct."""
    return as_json(**{key: rounded(value) for key, value in counts.scores().items()},
                   support=counts.a, suggested=counts.b, correct=counts.matched)


def _references(article_ids: list[int]) -> dict[int, list[set[SpanKey]]]:
    """Each article's reference layers as sets of span keys: its gold layer if adjudicated, else its
    submitted annotators' layers (an empty layer included: every suggestion on it is a false positive)."""
    layers = defaultdict(dict)  # article id -> {layer id: is gold}
    for pk, article_id, is_gold in (Annotation.objects.filter(in_corpus(), article_id__in=article_ids)
                                    .values_list("pk", "article_id", "is_gold")):
        layers[article_id][pk] = is_gold
    spans = defaultdict(set)  # layer id -> its span keys
    for layer_id, label, start, end in (Span.objects.filter(in_corpus("annotation__"),
                                                            annotation__article_id__in=article_ids)
                                        .values_list("annotation_id", "label_id", "start", "end")):
        spans[layer_id].add((label, start, end))
    references = {}
    for article_id, of_article in layers.items():
        gold = [pk for pk, is_gold in of_article.items() if is_gold]
        references[article_id] = [spans[pk] for pk in (gold or list(of_article))]
    return references


def evaluate(project: Project, *, progress: Callable[[int], None] | None = None) -> dict:
    """Every recommender's span figures on the project, walking its articles a batch at a time (keyset)."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    articles = Article.objects.filter(project=project).order_by("pk").values_list("pk", flat=True)
    last = 0
    while batch := list(articles.filter(pk__gt=last)[:BATCH]):
        last = batch[-1]
        suggested = defaultdict(lambda: defaultdict(set))  # recommender -> article id -> span keys
        for article_id, name, version, label, start, end in (
                SuggestedSpan.objects.filter(article_id__in=batch)
                .values_list("article_id", "recommender", "version", "label_id", "start", "end")):
            suggested[name][article_id].add((label, start, end))
            tallies[name].versions.add(version)
            tallies[name].proposed.add(label)
        references = _references(sorted({a for per_article in suggested.values() for a in per_article})) \
            if suggested else {}
        for name, per_article in suggested.items():
            tally = tallies[name]
            for article_id, keys in per_article.items():
                if article_id in references:
                    tally.articles += 1
                    tally.add(keys, references[article_id])
                else:
                    tally.articles_without_reference += 1
        if progress is not None:
            progress(len(batch))
    names = dict(Label.objects.filter(project=project).values_list("pk", "name"))
    recommenders = {}
    for name, tally in sorted(tallies.items()):
        labels = {names[label]: tally.per_label[label] for label in sorted(tally.proposed, key=names.get)}
        micro = Counts()
        for counts in labels.values():
            micro.add(counts)
        recommenders[name] = {
            "articles": tally.articles, "articles_without_reference": tally.articles_without_reference,
            "versions": sorted(tally.versions),
            "labels": {label: _figures(counts) for label, counts in labels.items()},
            "micro": _figures(micro),
        }
    return {"evaluated_at": timezone.now().isoformat(), "reference": REFERENCE, "recommenders": recommenders}


def acceptance(project: Project) -> dict[str, dict]:
    """Per recommender: accepted, rejected and the rate accepted / (accepted + rejected), null when 0/0.

    One grouped read of the decisions index (project, recommender, decision), whatever the corpus."""
    counts = defaultdict(lambda: {"accepted": 0, "rejected": 0})
    rows = (SuggestionDecision.objects.filter(project=project).order_by()
            .values_list("recommender", "decision").annotate(n=Count("pk")))
    for name, decision, n in rows:
        counts[name][decision] = n
    return {name: acceptance_of(c["accepted"], c["rejected"]) for name, c in counts.items()}


def acceptance_of(accepted: int, rejected: int) -> dict:
    decided = accepted + rejected
    rate = rounded(accepted / decided) if decided else Undefined(NO_DECISIONS)
    return as_json(accepted=accepted, rejected=rejected, rate=rate)


def latest_evaluation(project: Project) -> Job | None:
    """The project's last finished evaluation job (the job_by_project index, newest first)."""
    return (Job.objects.filter(project=project, kind=KIND, status=Job.Status.DONE)
            .order_by("-created_at", "-id").only("pk", "result", "finished_at", "created_at").first())


def active_evaluation(project: Project) -> Job | None:
    return Job.objects.filter(project=project, kind=KIND, status__in=Job.ACTIVE).only("pk", "status").first()


def report(project: Project) -> dict:
    """Every recommender of the project with its settings, acceptance and the latest evaluation's figures.

    The recommenders are the project's Recommender rows and any other name that made decided or evaluated
    suggestions (imported predictions, say); a name found only on suggestions that nobody decided appears
    once an evaluation has run, since listing the names on suggestions is a walk over all of them.
    Four queries whatever the corpus.
    """
    rows = {row.name: row for row in Recommender.objects.filter(project=project).order_by("name")}
    accepted = acceptance(project)
    latest = latest_evaluation(project)
    active = active_evaluation(project)
    evaluated = (latest.result or {}).get("recommenders", {}) if latest is not None else {}
    recommenders = []
    for name in sorted(set(rows) | set(accepted) | set(evaluated)):
        row, figures = rows.get(name), evaluated.get(name)
        recommenders.append({
            "name": name,
            "kind": row.kind if row else None,
            "enabled": row.enabled if row else None,
            "version": row.version if row else None,
            "trained_at": row.trained_at if row else None,
            "last_error": row.last_error if row else "",
            "acceptance": accepted.get(name) or acceptance_of(0, 0),
            "evaluated": figures is not None,
            "articles": figures["articles"] if figures else None,
            "versions": figures["versions"] if figures else [],
            "labels": figures["labels"] if figures else {},
            "micro": figures["micro"] if figures else None,
        })
    return {
        "recommenders": recommenders,
        "evaluated_at": (latest.result or {}).get("evaluated_at") if latest is not None else None,
        "evaluation_job": latest.pk if latest is not None else None,
        "reference": REFERENCE,
        "running": {"id": active.pk, "status": active.status} if active is not None else None,
    }
