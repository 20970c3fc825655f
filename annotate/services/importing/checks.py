"""The checks stage: what each record may do to the project, decided before any row is written.

Two steps, so that most problems are found without asking the database:

* `RecordChecks.check` takes one record as read. It parses it (`interchange.parse_record`: fields,
  offsets, the text snapshot, references within the record), finds whose layer its annotations
  become (`Owners`: --annotator, the record's own annotator, or the gold layer), applies the size
  limits, refuses a line that repeats a layer or changes the text of an earlier line of the file,
  and checks the names the record uses against the project (`Vocabulary`, vocabulary.py), including the labels a
  relation type wants at its ends. Its `predictions` (a model's items, stored as suggestions by
  rows.write_predictions) are checked the same way, each unknown name a problem of its item.
* `BatchPlanner.plan` takes a batch of checked records and what the project already holds, and
  decides what each record does (`decide`): a new article, a layer on a stored article, a layer
  replaced (--replace), an article rewritten (--update), skipped, or refused.

Problems go to the file's `Problems` with their line and field. Nothing here inserts the file's
rows. The few writes it makes are rolled back with the file if it fails: --create-project adds
the missing vocabulary, --create-users the missing users, and a layer's owner becomes a member of
the project.
"""
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model

from ...interchange import ArticleRecord, PredictionsRecord, RecordInvalid, parse_record
from ...models import Annotation, Article, Project
from ...textutil import content_hash
from ..membership import ensure_member
from .reading import Unreadable
from .report import Problems
from .vocabulary import Vocabulary, article_label_problems, prediction_problems, relation_end_problems


class Owner(NamedTuple):
    """Whose layer a record's annotations become, and in which status."""

    user: object | None  # None: the gold layer
    is_gold: bool
    status: str

    @property
    def key(self):
        return "gold" if self.is_gold else self.user.pk

    def __str__(self):
        return "the gold layer" if self.is_gold else self.user.get_username()


class Checked(NamedTuple):
    """A record that passed every check made without the stored articles."""

    line: int
    record: ArticleRecord
    owner: Owner | None  # None: the record has no annotations


class Owners:
    """The ownership rule: --annotator when given; otherwise the record's own annotator (exports write
    it), who must exist unless --create-users; a record without an annotator whose layer is adjudicated
    is the article's gold layer."""

    def __init__(self, project: Project, *, annotator, create_users: bool):
        self.project = project
        self.annotator = annotator
        self.create_users = create_users
        self.users: dict[str, object] = {}  # username -> user, for records that name their annotator

    def owner_of(self, record: ArticleRecord) -> Owner:
        """The owner of the record's layer, or RecordInvalid saying why it has none."""
        status = record.status or Annotation.Status.SUBMITTED
        if status not in Annotation.Status.values:
            raise RecordInvalid([("status", f"must be one of {', '.join(Annotation.Status.values)}, got {status!r}")])
        if self.annotator is not None:
            return Owner(self.annotator, False, status)
        if record.annotator is None:
            if status == Annotation.Status.ADJUDICATED:
                return Owner(None, True, status)
            raise RecordInvalid([("annotations",
                                  "the record has annotations but no annotator: name one (--annotator)")])
        user = self.users.get(record.annotator)
        if user is None:
            User = get_user_model()
            user = User.objects.filter(**{User.USERNAME_FIELD: record.annotator}).first()
            if user is None and self.create_users:
                user = User.objects.create_user(record.annotator)  # no usable password until an admin sets one
            if user is None:
                raise RecordInvalid([("annotator",
                                      f"no user {record.annotator!r} (create missing users with --create-users)")])
            ensure_member(project=self.project, user=user)
            self.users[record.annotator] = user
        return Owner(user, False, status)


def check_limits(record: ArticleRecord) -> None:
    """The sizes a deployment accepts (settings.MAX_ARTICLE_CHARS, MAX_SPANS_PER_ANNOTATION)."""
    if len(record.text) > settings.MAX_ARTICLE_CHARS:
        message = f"is {len(record.text)} characters long; the limit is {settings.MAX_ARTICLE_CHARS}"
        raise RecordInvalid([("text", message)])
    for where, layer in (("annotations", record.annotations),
                         ("predictions", record.predictions.layer if record.predictions else None)):
        if layer is not None and len(layer.spans) > settings.MAX_SPANS_PER_ANNOTATION:
            message = f"{len(layer.spans)} spans; the limit per layer is {settings.MAX_SPANS_PER_ANNOTATION}"
            raise RecordInvalid([(f"{where}.spans", message)])


class RecordChecks:
    """Checks one record at a time, remembering what earlier lines of the file said."""

    def __init__(self, *, vocabulary: Vocabulary, owners: Owners, problems: Problems):
        self.vocabulary = vocabulary
        self.owners = owners
        self.problems = problems
        self.seen: dict[tuple, int] = {}  # (external id, layer owner) -> line: duplicates within the file
        self.texts: dict[str, tuple[int, str]] = {}  # external id -> (first line, text hash)

    def check(self, line: int, value) -> Checked | None:
        """The record on `line` (as read) if it passes; None, with its problems added, if not."""
        if isinstance(value, Unreadable):  # the reading stage could not read this line
            self.problems.add(line, "", value)
            return None
        try:
            return self._check(line, value)
        except RecordInvalid as invalid:
            for path, message in invalid.problems:
                self.problems.add(line, path, message)
            return None

    def _check(self, line: int, value) -> Checked | None:
        record = parse_record(value)
        if record.annotations is not None and record.annotator is None and record.status is None \
                and not any(record.annotations):
            record = replace(record, annotations=None)  # an exported article without any layer
        owner = None
        if record.annotations is not None:
            owner = self.owners.owner_of(record)
        check_limits(record)
        # One article may come on several lines, one per layer (as exports write it): the same
        # text each time, and never the same layer twice.
        # Predictions likewise: one model's for one article on one line (a second would replace the first).
        layers = [((record.external_id, None if owner is None else owner.key),
                   "" if owner is None else f" with {owner}'s layer")]
        if record.predictions is not None:
            if record.annotations is None:
                layers = []  # a record of predictions alone is no article record of its own
            layers += [((record.external_id, "predictions", model), f" with predictions of {model}")
                       for model in record.predictions.models]
        for layer, what in layers:
            first = self.seen.setdefault(layer, line)
            if first != line:
                message = f"{record.external_id!r}{what} already appears on line {first} of this file"
                raise RecordInvalid([("external_id", message)])
        text_line, text_hash = self.texts.setdefault(record.external_id, (line, content_hash(record.text)))
        if text_line != line and text_hash != content_hash(record.text):
            raise RecordInvalid([("text", f"differs from the text of {record.external_id!r} on line {text_line}")])
        if not self.vocabulary.require(record, line):
            return None  # the unknown names are reported together at the end (Vocabulary.problems)
        problems = []
        if record.annotations is not None:
            problems += relation_end_problems(record, self.vocabulary.items["relation types"])
        if record.predictions is not None:
            problems += prediction_problems(record, self.vocabulary)
        if record.article_labels:
            answers, wrong = article_label_problems(record, self.vocabulary.questions, self.vocabulary.project.slug)
            problems += wrong
            record = replace(record, article_labels=answers)
        if problems:
            raise RecordInvalid(problems)
        return Checked(line, record, owner)


def article_from(project: Project, record: ArticleRecord) -> Article:
    """The new article a record makes (not saved: the rows stage gives it its id)."""
    return Article(
        project=project,
        external_id=record.external_id,
        title=record.title,
        text=record.text,
        caption=record.caption,
        outlet=record.outlet,
        url=record.url,
        published=record.published,
        language=record.language,
        metadata=record.metadata,
        content_hash=content_hash(record.text),
    )


# What --update rewrites; the article's identity (project, external id) stays.
UPDATED_FIELDS = ("title", "text", "caption", "outlet", "url", "published", "language", "metadata")


class Stored(NamedTuple):
    """What the project holds of one batch's articles."""

    articles: dict[str, Article]  # external id -> article
    layers: set[tuple[int, int | None]]  # (article id, annotator id, or None for the gold layer)


@dataclass
class BatchPlan:
    """What one batch does to the database, in the order the rows stage applies it."""

    updated: list[Article] = field(default_factory=list)  # stored articles with the record's fields set
    retexted: set[int] = field(default_factory=set)  # ids of the updated articles whose text changes
    # --reanchor: ids of the updated annotated articles whose text changes (their spans are re-anchored).
    reanchored: set[int] = field(default_factory=set)
    replaced: list[tuple[Article, Owner]] = field(default_factory=list)  # layers to empty first
    new_articles: list[Article] = field(default_factory=list)  # without ids yet
    layers: list[tuple[Article, ArticleRecord, Owner]] = field(default_factory=list)
    # (line, article, the record's predictions): stored as suggestions, replacing the models' earlier ones.
    predictions: list[tuple[int, Article, PredictionsRecord]] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, external id, why)

    def predict(self, line: int, article: Article, record: ArticleRecord) -> None:
        if record.predictions is not None:
            self.predictions.append((line, article, record.predictions))


class BatchPlanner:
    """Decides what each checked record does, given the articles and layers the project holds.

    The rules (docs/format.md, "Import rules"): a new external id is a new article; a record with
    annotations adds its layer to a stored article with the same text, and replaces the owner's
    layer there only with --replace; a record without annotations is skipped, or with --update
    rewrites the article unless it has annotations (with --reanchor too: its new text re-anchors them).
    """

    def __init__(self, project: Project, *, update: bool, replace: bool, problems: Problems,
                 reanchor: bool = False):
        self.project = project
        self.update = update
        self.replace = replace
        self.reanchor = reanchor
        self.problems = problems
        self.in_file: dict[str, Article] = {}  # articles this file creates, for its later lines

    def keep_ids_only(self, articles: list[Article]) -> None:
        """Once a batch is written, remember its new articles by id alone (their texts are checked by hash)."""
        for article in articles:
            self.in_file[article.external_id] = Article(pk=article.pk, project_id=article.project_id,
                                                        external_id=article.external_id)

    def stored(self, batch: list[Checked]) -> Stored:
        """Two queries: the batch's articles the project already has, and their layers."""
        articles = {
            a.external_id: a
            for a in Article.objects.filter(
                project=self.project,
                external_id__in=[c.record.external_id for c in batch if c.record.external_id not in self.in_file],
            )
        }
        layers = set()
        if articles:
            layers = {
                (article_id, None if is_gold else annotator_id)
                for article_id, annotator_id, is_gold in Annotation.objects.filter(
                    article__in=articles.values()
                ).values_list("article_id", "annotator_id", "is_gold")
            }
        return Stored(articles, layers)

    def plan(self, batch: list[Checked]) -> BatchPlan:
        return self.decide(batch, self.stored(batch))

    def decide(self, batch: list[Checked], stored: Stored) -> BatchPlan:
        plan = BatchPlan()
        annotated = {article_id for article_id, _ in stored.layers}
        for line, record, owner in batch:
            article = self.in_file.get(record.external_id)
            if article is not None:  # created by an earlier line of this file (its text was checked already)
                if owner is not None:
                    plan.layers.append((article, record, owner))
                plan.predict(line, article, record)
                continue
            article = stored.articles.get(record.external_id)
            if article is None:
                article = self.in_file[record.external_id] = article_from(self.project, record)
                plan.new_articles.append(article)
                if owner is not None:
                    plan.layers.append((article, record, owner))
                plan.predict(line, article, record)
                continue
            same_text = article.content_hash == content_hash(record.text) and article.text == record.text
            if owner is not None:
                key = (article.pk, owner.user.pk if owner.user else None)
                if not same_text:
                    self.problems.add(line, "text", f"differs from the stored text of article {record.external_id!r}; "
                                                    "annotations must point into the same text")
                elif key in stored.layers and not self.replace:
                    self.problems.add(line, "annotations", f"{owner} already has a layer on {record.external_id!r} "
                                                           "(replace it with --replace)")
                else:
                    if key in stored.layers:
                        plan.replaced.append((article, owner))
                    plan.layers.append((article, record, owner))
                    plan.predict(line, article, record)
                continue
            if record.predictions is not None and not self.update:  # predictions for a stored article
                if same_text:
                    plan.predict(line, article, record)
                else:
                    self.problems.add(line, "text", f"differs from the stored text of article "
                                                    f"{record.external_id!r}; predictions must point into the same "
                                                    "text (or --update it)")
                continue
            if not self.update:
                why = ("already imported" if same_text
                       else "already imported with a different text (update it with --update)")
                plan.skipped.append((line, record.external_id, why))
            elif article.pk in annotated and not self.reanchor:
                self.problems.add(line, "external_id",
                                  f"{record.external_id!r} has annotations: updating it is refused "
                                  "(re-anchor them to the new text with --reanchor)")
            else:
                # Set now, as saving will, so that a later line of this batch sees the new text.
                for name in UPDATED_FIELDS:
                    setattr(article, name, getattr(record, name))
                article.content_hash = content_hash(article.text)
                plan.updated.append(article)
                if not same_text:
                    plan.retexted.add(article.pk)
                    if article.pk in annotated:
                        plan.reanchored.add(article.pk)
                plan.predict(line, article, record)
        return plan
