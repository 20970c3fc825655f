"""Running recommenders over a project or over one article, and training the trainable ones.

One path for every door: `manage.py suggest`, the project's background job (annotate/jobs/kinds/
suggestions.py) and the workspace's "fresh suggestions" for the open article. A recommender that fails
(a server down, an answer that is not the protocol) is reported with its message and skipped; the
others go on, and the articles it had answered keep their suggestions.
"""
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from ..models import Annotation, Article, Project, Recommender, Relation, Span
from . import storing
from .base import BaseRecommender, Document, Example, RecommenderError
from .registry import recommender_class
from .storing import Stored
from .vocabulary import Vocabulary

BUILT_IN = ("attribution", "string_match", "tagger")
ARTICLES_PER_BATCH = 100
# A recommender failing this many batches in one run is left out of the rest of the run (a server down).
FAILURES_TO_GIVE_UP = 3
# Layers a trainable recommender learns from, the most recently submitted first (options.max_examples).
MAX_EXAMPLES = 5000
# The tagger's time and memory grow with its examples (1,000 layers: ~20 s and ~300 MB on 2 cores).
MAX_EXAMPLES_OF = {"tagger": 1000}
LEARNED_FROM = (Annotation.Status.SUBMITTED, Annotation.Status.ADJUDICATED)


@dataclass
class Outcome:
    """What one recommender did in a run."""
    stored: Stored = field(default_factory=Stored)
    articles: int = 0
    errors: list[str] = field(default_factory=list)
    trained: dict | None = None
    skipped: str = ""

    def as_dict(self) -> dict:
        return {"articles": self.articles, "spans": self.stored.spans, "relations": self.stored.relations,
                "stances": self.stored.stances, "errors": self.errors, "trained": self.trained,
                "skipped": self.skipped}


def check_names(project: Project, names: list[str] | None) -> None:
    """LookupError unless every name is a recommender of the project or a built-in one."""
    if not names:
        return
    rows = set(Recommender.objects.filter(project=project).values_list("name", flat=True))
    unknown = [name for name in names if name not in rows and name not in BUILT_IN]
    if unknown:
        known = sorted(rows | set(BUILT_IN))
        raise LookupError(f"no recommender {', '.join(unknown)} in {project.slug}; there are {', '.join(known)}")


def recommenders_of(project: Project, names: list[str] | None = None) -> list[Recommender]:
    """The project's enabled recommenders, or those named (a built-in named but not set up is added,
    enabled). A project with none set up gets the built-in ones, enabled, on first use."""
    rows = {row.name: row for row in Recommender.objects.filter(project=project)}
    if not rows:
        rows = {name: Recommender.objects.create(project=project, name=name, kind=name) for name in BUILT_IN}
    if names:
        check_names(project, names)
        for name in names:
            if name not in rows:
                rows[name] = Recommender.objects.create(project=project, name=name, kind=name)
        return [rows[name] for name in names]
    return [row for row in rows.values() if row.enabled]


# Trained recommenders loaded in this process, by (row, version, state file): the workspace's "Suggest"
# predicts for one article, and reading and compiling what string_match learned from the whole project
# for each request would make that path grow with the corpus. A new training is a new version: a new key.
_LOADED: OrderedDict[tuple, BaseRecommender] = OrderedDict()
LOADED_MAX = 8


def instantiate(row: Recommender, vocabulary: Vocabulary) -> BaseRecommender:
    key = (row.pk, row.version, row.state_file)
    cached = _LOADED.get(key) if row.state_file else None
    if cached is not None and cached.project == vocabulary.view:  # a source added since: load again
        _LOADED.move_to_end(key)
        cached.settings = row
        return cached
    recommender = recommender_class(row.kind)(vocabulary.view, row)
    if recommender.trainable and row.state_file and default_storage.exists(row.state_file):
        with default_storage.open(row.state_file, "rb") as state:
            recommender.load(state.read())
        _LOADED[key] = recommender
        while len(_LOADED) > LOADED_MAX:
            _LOADED.popitem(last=False)
    return recommender


def learned_layers(project: Project):
    return Annotation.objects.filter(article__project=project, status__in=LEARNED_FROM)


def needs_training(row: Recommender, recommender: BaseRecommender) -> bool:
    if not recommender.trainable:
        return False
    if not recommender.trained:
        return True
    return bool(row.retrain_every) and learned_layers(row.project).count() - row.trained_on >= row.retrain_every


def examples_of(project: Project, *, limit: int = MAX_EXAMPLES) -> Iterator[Example]:
    """The project's submitted and adjudicated layers as examples, the latest first, a batch at a time."""
    layers = list(learned_layers(project).order_by("-updated_at", "-pk")
                  .values_list("pk", "article_id", "article__text", "article__language")[:limit])
    for i in range(0, len(layers), 200):
        batch = layers[i:i + 200]
        ids = [row[0] for row in batch]
        spans: dict[int, list] = {}
        for annotation_id, pk, label, start, end, entity in (
                Span.objects.filter(annotation_id__in=ids).order_by("annotation_id", "start", "end", "pk")
                .values_list("annotation_id", "pk", "label__name", "start", "end", "entity_id")):
            spans.setdefault(annotation_id, []).append((pk, label, start, end, entity))
        relations: dict[int, list] = {}
        for annotation_id, type_name, from_id, to_id in Relation.objects.filter(annotation_id__in=ids).values_list(
                "annotation_id", "type__name", "from_span_id", "to_span_id"):
            relations.setdefault(annotation_id, []).append((type_name, from_id, to_id))
        for pk, article_id, text, language in batch:
            own = spans.get(pk, [])
            index = {span[0]: i for i, span in enumerate(own)}
            yield Example(Document(article_id, text, language or ""),
                          tuple((label, start, end, entity) for _, label, start, end, entity in own),
                          tuple((type_name, index[a], index[b]) for type_name, a, b in relations.get(pk, [])
                                if a in index and b in index))


def train(row: Recommender, recommender: BaseRecommender, *, log: Callable[[str], None] = print) -> dict:
    """Train on the project's layers, store what was learned, and count a new version."""
    project = row.project
    seen = learned_layers(project).count()
    default = MAX_EXAMPLES_OF.get(row.kind, MAX_EXAMPLES)
    limit = int(row.options.get("max_examples", default)) if isinstance(row.options, dict) else default
    summary = recommender.train(list(examples_of(project, limit=limit)))
    data = recommender.dump()
    version = str(int(row.version) + 1) if row.version.isdigit() else f"{row.version}.1"
    if data:
        name = default_storage.save(f"recommenders/{project.slug}/{row.name}-{version}.bin", ContentFile(data))
        old, row.state_file = row.state_file, name
        if old and old != name:
            default_storage.delete(old)
    row.version, row.trained_at, row.trained_on = version, timezone.now(), seen
    row.save(update_fields=["version", "state_file", "trained_at", "trained_on", "updated_at"])
    log(f"{row.name}: trained on {seen} layers, version {version}: {summary}")
    return {"version": version, "layers": seen, **(summary or {})}


def _articles(project: Project, article_ids: list[int] | None) -> Iterator[list[Article]]:
    """The articles to run over, in id order, a batch at a time (keyset: flat in the project's size)."""
    rows = Article.objects.filter(project=project).only("pk", "external_id", "text", "language").order_by("pk")
    if article_ids is not None:
        rows = rows.filter(pk__in=article_ids)
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:ARTICLES_PER_BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def article_count(project: Project, article_ids: list[int] | None = None) -> int:
    rows = Article.objects.filter(project=project)
    return rows.filter(pk__in=article_ids).count() if article_ids is not None else rows.count()


def run(project: Project, *, names: list[str] | None = None, article_ids: list[int] | None = None,
        may_train: bool = True, retrain: bool = False, progress: Callable[[int], None] | None = None,
        log: Callable[[str], None] = print, check: Callable[[], None] | None = None) -> dict[str, Outcome]:
    """Run the recommenders (the enabled ones, or `names`) over the project's articles (or `article_ids`),
    replacing each one's earlier suggestions there. `may_train`: train a trainable one that needs it
    (never trained, or `retrain_every` layers submitted since); `retrain`: train them whatever."""
    vocabulary = Vocabulary.of(project)
    active: list[tuple[Recommender, BaseRecommender]] = []
    outcomes: dict[str, Outcome] = {}
    for row in recommenders_of(project, names):
        outcome = outcomes[row.name] = Outcome()
        try:
            recommender = instantiate(row, vocabulary)
        except (RecommenderError, LookupError, ValueError) as error:  # an unknown kind, a state file unreadable
            outcome.errors.append(str(error))
            log(f"{row.name}: {error}")
            continue
        if recommender.trainable and (retrain or (may_train and needs_training(row, recommender))):
            try:
                outcome.trained = train(row, recommender, log=log)
            except (RecommenderError, ValueError) as error:
                # Nothing to learn yet is not a failed run; a model trained before goes on predicting.
                log(f"{row.name}: not trained: {error}")
                outcome.skipped = f"not trained: {error}"
        if not recommender.trained:
            outcome.skipped = outcome.skipped or (
                "not trained yet: it learns from submitted layers (train it, or submit some first)")
            continue
        outcome.skipped = ""
        active.append((row, recommender))
    failures = dict.fromkeys(outcomes, 0)
    for batch in _articles(project, article_ids):
        if check is not None:
            check()
        documents = [Document(article.pk, article.text, article.language or "") for article in batch]
        for row, recommender in active:
            if failures[row.name] >= FAILURES_TO_GIVE_UP:
                continue
            outcome = outcomes[row.name]
            try:
                answers = recommender.predict(documents)
                version = getattr(recommender, "reported_version", None) or recommender.version
                outcome.stored.add(storing.replace(vocabulary=vocabulary, recommender=row.name, version=version,
                                                   answers=list(zip(batch, answers, strict=True))))
                outcome.articles += len(batch)
            except RecommenderError as error:
                failures[row.name] += 1
                outcome.errors.append(str(error))
                log(f"{row.name}: {error}")
                if failures[row.name] == FAILURES_TO_GIVE_UP:
                    log(f"{row.name}: failed {FAILURES_TO_GIVE_UP} times; left out of the rest of this run")
        if progress is not None:
            progress(len(batch))
    _remember_errors(project, outcomes)
    return outcomes


def _remember_errors(project: Project, outcomes: dict[str, Outcome]) -> None:
    """Each recommender's last error (or none) on its row, for the admin and the API to show."""
    for name, outcome in outcomes.items():
        last = outcome.errors[-1] if outcome.errors else ""
        Recommender.objects.filter(project=project, name=name).exclude(last_error=last).update(last_error=last)
