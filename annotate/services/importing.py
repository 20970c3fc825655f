"""Importing articles (and annotation layers) from interchange JSONL or scraped text.

One file is one transaction: it lands whole or not at all. Problems are
collected across the whole file (up to MAX_PROBLEMS) so a user fixes them in
one pass, each named by file, line and field.

Writes go in batches of plain rows (services/bulk.py: COPY on PostgreSQL,
executemany on SQLite): a few statements per batch of articles whatever
their number of spans, never one per row.
"""
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import orjson
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from ..cleaning import clean_scraped_text
from ..interchange import ArticleRecord, RecordInvalid, parse_record
from ..models import (
    Annotation,
    AnnotationEvent,
    Article,
    Assignment,
    Entity,
    Label,
    Polarity,
    Project,
    Relation,
    RelationType,
    Span,
    Stance,
    StanceTarget,
)
from ..textutil import content_hash
from .bulk import RowWriter, allocate_ids, json_text, timestamp
from .history import layer_state, record, record_changes
from .locking import bump
from .membership import ensure_member
from .projects import add_vocabulary, create_project

MAX_PROBLEMS = 100
BATCH_ARTICLES = 250
TEXT_SUFFIXES = {".txt"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ImportFailed(Exception):
    """The file was not imported; nothing was written. `problems` says why."""

    def __init__(self, problems: list[ImportProblem], truncated: bool = False):
        self.problems = problems
        self.truncated = truncated
        lines = [str(p) for p in problems]
        if truncated:
            lines.append(f"(stopped after {MAX_PROBLEMS} problems)")
        super().__init__("\n".join(lines))


@dataclass
class ImportReport:
    file: str
    articles_created: int = 0
    articles_updated: int = 0
    layers_created: int = 0
    layers_replaced: int = 0
    spans: int = 0
    relations: int = 0
    stances: int = 0
    entities_created: int = 0
    vocabulary_created: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, external id, why)

    def summary(self) -> str:
        text = (
            f"{self.file}: {self.articles_created} article(s) created, {self.articles_updated} updated, "
            f"{len(self.skipped)} skipped; {self.layers_created} annotation layer(s) "
            f"({self.layers_replaced} replaced) with {self.spans} spans, {self.relations} relations, "
            f"{self.stances} stances; {self.entities_created} entit(ies) created"
        )
        for kind, names in self.vocabulary_created.items():
            text += f"; new {kind}: {', '.join(names)}"
        return text + "."


def read_records(stream: io.BufferedIOBase, name: str, *, language: str = "") -> Iterator[tuple[int, object]]:
    """Yield (line number, decoded JSON value or a problem message) for each record in the file.

    Scraped text files become records here, so everything downstream sees one format.
    """
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        raw = stream.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            yield 1, f"not UTF-8 text: {error}"
            return
        stem = Path(name).stem
        for n, article in enumerate(clean_scraped_text(text), start=1):
            yield article.first_line, {
                "external_id": f"{stem}-{n}",
                "title": article.title,
                "caption": article.caption,
                "text": article.text,
                "language": language,
                "metadata": {"source_file": Path(name).name, "source_line": article.first_line},
            }
        return
    if suffix not in JSONL_SUFFIXES:
        yield 0, f"unknown file type {suffix or '(none)'!r}: use .jsonl (interchange) or .txt (scraped text)"
        return
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield number, f"malformed JSON: {error}"


class _Vocabulary:
    """The project's names, loaded once; unknown names are remembered with the line they first appear on."""

    KINDS = {"labels": Label, "relation types": RelationType, "targets": StanceTarget, "polarities": Polarity}

    def __init__(self, project: Project, *, create: bool):
        self.project = project
        self.create = create
        self.items = {kind: {} for kind in self.KINDS}
        self.unknown = {kind: {} for kind in self.KINDS}
        self.created = {}
        self.reload()

    def reload(self):
        for kind, model in self.KINDS.items():
            self.items[kind] = {obj.name: obj for obj in model.objects.filter(project=self.project)}

    def require(self, record: ArticleRecord, line: int) -> bool:
        """True when every name the record uses exists (creating them first if allowed)."""
        layer = record.annotations
        if layer is None:
            return True
        used = {
            "labels": {s.label for s in layer.spans},
            "relation types": {r.type for r in layer.relations},
            "targets": {s.target for s in layer.stances},
            "polarities": {s.polarity for s in layer.stances},
        }
        missing = {kind: names - self.items[kind].keys() for kind, names in used.items()}
        if not any(missing.values()):
            return True
        if self.create:
            created = add_vocabulary(
                self.project,
                labels=sorted(missing["labels"]),
                relation_types=sorted(missing["relation types"]),
                targets=sorted(missing["targets"]),
                polarities=sorted(missing["polarities"]),
            )
            for kind, names in created.items():
                self.created.setdefault(kind, []).extend(names)
            self.reload()
            return True
        for kind, names in missing.items():
            for name in names:
                self.unknown[kind].setdefault(name, line)
        return False

    def problems(self, file: str) -> list[ImportProblem]:
        problems = []
        for kind, names in self.unknown.items():
            if names:
                listing = ", ".join(f"{name!r} (line {line})" for name, line in sorted(names.items()))
                problems.append(
                    ImportProblem(file, min(names.values()), kind,
                                  f"not in project {self.project.slug!r}: {listing}. "
                                  "Add them to the project, or import with create-project (--create-project).")
                )
        return problems


class _FileImport:
    def __init__(self, *, name, project, annotator, create_users, update, replace, vocabulary, progress):
        self.name = name
        self.project = project
        self.annotator = annotator
        self.create_users = create_users
        self.users: dict[str, object] = {}  # username -> user, for records that name their annotator
        self.update = update
        self.replace = replace
        self.vocabulary = vocabulary
        self.progress = progress
        self.report = ImportReport(file=name)
        self.problems: list[ImportProblem] = []
        self.seen: dict[tuple, int] = {}  # (external id, layer owner) -> line: duplicates within the file
        self.texts: dict[str, tuple[int, str]] = {}  # external id -> (first line, text hash)
        self.in_file: dict[str, Article] = {}  # articles this file created, for its later lines
        self.entities = {e.name: e for e in Entity.objects.filter(project=project)}
        # (article id, owner key) -> (layer, its items before): layers that --replace empties and refills.
        self.replaced: dict[tuple, tuple[Annotation, dict]] = {}
        self.writer = RowWriter()
        self.now = timezone.now()
        self.stamp = timestamp(self.now)  # as the raw inserts write it

    def fail(self, line, field_name, message):
        self.problems.append(ImportProblem(self.name, line, field_name, message))

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS

    def run(self, records: Iterable[tuple[int, object]]) -> None:
        batch: list[_Pending] = []
        for line, value in records:
            if self.full:
                break
            pending = self.check(line, value)
            if pending is not None:
                batch.append(pending)
            if len(batch) >= BATCH_ARTICLES:
                self.flush(batch)
                batch = []
        if batch:
            self.flush(batch)
        self.problems.extend(self.vocabulary.problems(self.name))
        self.report.vocabulary_created = self.vocabulary.created

    def check(self, line: int, value) -> "_Pending | None":
        """Everything that can be said about one record without the database."""
        if self.progress:
            self.progress(1)
        if isinstance(value, str):
            self.fail(line, "", value)
            return None
        try:
            record = parse_record(value)
        except RecordInvalid as invalid:
            for path, message in invalid.problems:
                self.fail(line, path, message)
            return None
        if record.annotations is not None and record.annotator is None and record.status is None \
                and not any(record.annotations):
            record = replace(record, annotations=None)  # an exported article without any layer
        owner = None
        if record.annotations is not None:
            owner = self.owner_of(line, record)
            if owner is None:
                return None
        if len(record.text) > settings.MAX_ARTICLE_CHARS:
            self.fail(line, "text", f"is {len(record.text)} characters long; the limit is {settings.MAX_ARTICLE_CHARS}")
            return None
        if record.annotations is not None and len(record.annotations.spans) > settings.MAX_SPANS_PER_ANNOTATION:
            self.fail(line, "annotations.spans", f"{len(record.annotations.spans)} spans; the limit per layer is "
                                                 f"{settings.MAX_SPANS_PER_ANNOTATION}")
            return None
        # One article may come on several lines, one per layer (as exports write it): the same
        # text each time, and never the same layer twice.
        layer = (record.external_id, None if owner is None else owner.key)
        first = self.seen.setdefault(layer, line)
        if first != line:
            what = "" if owner is None else f" with {owner}'s layer"
            self.fail(line, "external_id", f"{record.external_id!r}{what} already appears on line {first} of this file")
            return None
        text_line, text_hash = self.texts.setdefault(record.external_id, (line, content_hash(record.text)))
        if text_line != line and text_hash != content_hash(record.text):
            self.fail(line, "text", f"differs from the text of {record.external_id!r} on line {text_line}")
            return None
        if not self.vocabulary.require(record, line):
            return None
        if record.annotations is not None and not self.check_relation_ends(line, record):
            return None
        return _Pending(line, record, owner)

    def owner_of(self, line: int, record: ArticleRecord) -> "_Owner | None":
        """Whose layer the record's annotations become: --annotator, else the record's own annotator,
        else (an exported gold layer) the article's gold layer."""
        status = record.status or Annotation.Status.SUBMITTED
        if status not in Annotation.Status.values:
            self.fail(line, "status", f"must be one of {', '.join(Annotation.Status.values)}, got {status!r}")
            return None
        if self.annotator is not None:
            return _Owner(self.annotator, False, status)
        if record.annotator is None:
            if status == Annotation.Status.ADJUDICATED:
                return _Owner(None, True, status)
            self.fail(line, "annotations", "the record has annotations but no annotator: name one (--annotator)")
            return None
        user = self.users.get(record.annotator)
        if user is None:
            User = get_user_model()
            user = User.objects.filter(**{User.USERNAME_FIELD: record.annotator}).first()
            if user is None and self.create_users:
                user = User.objects.create_user(record.annotator)  # no usable password until an admin sets one
            if user is None:
                self.fail(line, "annotator", f"no user {record.annotator!r} (create missing users with --create-users)")
                return None
            ensure_member(project=self.project, user=user)
            self.users[record.annotator] = user
        return _Owner(user, False, status)

    def check_relation_ends(self, line: int, record: ArticleRecord) -> bool:
        labels = {span.id: span.label for span in record.annotations.spans}
        ok = True
        for i, relation in enumerate(record.annotations.relations):
            rel_type = self.vocabulary.items["relation types"][relation.type]
            for end, span_id, wanted in (("from", relation.from_id, rel_type.from_label),
                                         ("to", relation.to_id, rel_type.to_label)):
                if wanted is not None and labels[span_id] != wanted.name:
                    self.fail(line, f"annotations.relations[{i}].{end}",
                              f"{relation.type} needs a {wanted.name} span here, got {labels[span_id]} ({span_id!r})")
                    ok = False
        return ok

    def flush(self, batch: list["_Pending"]) -> None:
        """Decide what each record does to the database, then write the batch in bulk."""
        existing = {
            a.external_id: a
            for a in Article.objects.filter(
                project=self.project,
                external_id__in=[p.record.external_id for p in batch if p.record.external_id not in self.in_file],
            )
        }
        layered = set()  # (article id, annotator id or None for gold)
        if existing:
            layered = {
                (article_id, None if is_gold else annotator_id)
                for article_id, annotator_id, is_gold in Annotation.objects.filter(
                    article__in=existing.values()
                ).values_list("article_id", "annotator_id", "is_gold")
            }
        annotated = {article_id for article_id, _ in layered}

        layers: list[tuple[Article, ArticleRecord, _Owner]] = []
        new_articles: list[Article] = []
        for line, record, owner in batch:
            article = self.in_file.get(record.external_id)
            if article is not None:  # created by an earlier line of this file (its text was checked in check())
                if owner is not None:
                    layers.append((article, record, owner))
                continue
            article = existing.get(record.external_id)
            if article is None:
                article = self.in_file[record.external_id] = self.article_from(record)
                new_articles.append(article)
                if owner is not None:
                    layers.append((article, record, owner))
                continue
            same_text = article.content_hash == content_hash(record.text) and article.text == record.text
            if owner is not None:
                key = (article.pk, owner.user.pk if owner.user else None)
                if not same_text:
                    self.fail(line, "text", f"differs from the stored text of article {record.external_id!r}; "
                                            "annotations must point into the same text")
                elif key in layered and not self.replace:
                    self.fail(line, "annotations", f"{owner} already has a layer on {record.external_id!r} "
                                                   "(replace it with --replace)")
                else:
                    if key in layered:
                        self.clear_layer(article, owner)
                    layers.append((article, record, owner))
                continue
            if not self.update:
                why = "already imported" if same_text else "already imported with a different text (update it with --update)"
                self.report.skipped.append((line, record.external_id, why))
            elif article.pk in annotated:
                self.fail(line, "external_id", f"{record.external_id!r} has annotations: updating it is refused")
            else:
                self.update_article(article, record)
        if self.problems:
            return  # the transaction will be rolled back; only keep looking for problems
        self.write_articles(new_articles)
        self.write_layers(layers)

    def article_from(self, record: ArticleRecord) -> Article:
        return Article(
            project=self.project,
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

    def update_article(self, article: Article, record: ArticleRecord) -> None:
        fresh = self.article_from(record)
        for name in ("title", "text", "caption", "outlet", "url", "published", "language", "metadata"):
            setattr(article, name, getattr(fresh, name))
        article.save()
        self.report.articles_updated += 1

    def clear_layer(self, article: Article, owner: "_Owner") -> None:
        """--replace: empty the owner's layer for the file's content. The layer itself stays, and with it
        its history; what the replace changes is recorded there once the file is in (record_replaced)."""
        layer = Annotation.objects.select_for_update().get(article=article, annotator=owner.user,
                                                           is_gold=owner.is_gold)
        self.replaced[(article.pk, owner.key)] = (layer, layer_state(layer.pk))
        with self.writer.constraints_deferred():
            for model in (Stance, Relation, Span):
                model.objects.filter(annotation=layer).delete()
        self.report.layers_replaced += 1

    def record_replaced(self) -> None:
        """Each replaced layer's history gets the change as item events (a restore brings the old content
        back), its status change, and a marker naming the file; its version moves on by one."""
        for layer, before in self.replaced.values():
            old_status = layer.status
            layer.refresh_from_db(fields=["status"])
            bump(layer)
            record_changes(layer, before, layer_state(layer.pk))
            if layer.status != old_status:
                record(layer, "status.import", before={"status": old_status}, after={"status": layer.status})
            record(layer, "import.replace", after={"file": self.name})

    def entity(self, name: str) -> Entity:
        if name not in self.entities:
            self.entities[name] = Entity.objects.create(project=self.project, name=name)
            self.report.entities_created += 1
        return self.entities[name]

    def write_articles(self, articles: list[Article]) -> None:
        for article, pk in zip(articles, allocate_ids(Article, len(articles))):
            article.pk = pk
        fields = ["id", "project_id", "external_id", "title", "text", "caption", "outlet", "url", "published",
                  "language", "metadata", "content_hash", "created_at", "updated_at"]
        self.writer.insert(Article, fields, [
            (a.pk, a.project_id, a.external_id, a.title, a.text, a.caption, a.outlet, a.url,
             a.published.isoformat() if a.published else None, a.language, json_text(a.metadata), a.content_hash, self.stamp, self.stamp)
            for a in articles
        ])
        self.report.articles_created += len(articles)

    def write_layers(self, layers: list[tuple[Article, ArticleRecord, "_Owner"]]) -> None:
        """Insert each record's layer: annotations, spans, relations, stances and evidence, as plain rows."""
        if not layers:
            return
        vocab = self.vocabulary.items
        labels = {name: label.pk for name, label in vocab["labels"].items()}
        relation_types = {name: t.pk for name, t in vocab["relation types"].items()}
        targets = {name: t.pk for name, t in vocab["targets"].items()}
        polarities = {name: p.pk for name, p in vocab["polarities"].items()}
        now = self.stamp

        new_ids = iter(allocate_ids(Annotation, sum(
            (article.pk, owner.key) not in self.replaced for article, _, owner in layers)))
        annotation_ids, new_layers = [], []
        for article, _, owner in layers:
            replaced = self.replaced.get((article.pk, owner.key))
            if replaced is None:
                annotation_ids.append(next(new_ids))
                new_layers.append((annotation_ids[-1], article, owner))
            else:
                annotation_ids.append(replaced[0].pk)
                Annotation.objects.filter(pk=replaced[0].pk).update(
                    status=owner.status, updated_at=self.now,
                    submitted_at=self.now if owner.status != Annotation.Status.IN_PROGRESS else None)
        self.writer.insert(
            Annotation,
            ["id", "article_id", "annotator_id", "is_gold", "status", "version", "review_comment",
             "created_at", "updated_at", "submitted_at"],
            [(pk, article.pk, owner.user.pk if owner.user else None, owner.is_gold, owner.status, 1, "", now, now,
              now if owner.status != Annotation.Status.IN_PROGRESS else None)
             for pk, article, owner in new_layers],
        )
        # A new layer's history starts with the import that made it (version 1, the file's content).
        self.writer.insert(
            AnnotationEvent, ["annotation_id", "created_at", "action", "version", "after"],
            [(pk, now, "import", 1, json_text({"file": self.name})) for pk, _, _ in new_layers],
        )

        span_ids = iter(allocate_ids(Span, sum(len(record.annotations.spans) for _, record, _ in layers)))
        spans, relations, stances, evidence = [], [], [], []
        stance_rows = []
        for annotation_id, (_, record, _) in zip(annotation_ids, layers):
            layer = record.annotations
            ids = {}
            for s in layer.spans:
                ids[s.id] = pk = next(span_ids)
                spans.append((pk, annotation_id, labels[s.label], s.start, s.end, s.text,
                              self.entity(s.entity).pk if s.entity else None, json_text(s.attributes), "[]"))
            relations.extend(
                (annotation_id, relation_types[r.type], ids[r.from_id], ids[r.to_id], "[]") for r in layer.relations
            )
            for s in layer.stances:
                stance_rows.append((annotation_id, s, [ids[e] for e in s.evidence], ids.get(s.holder)))
        stance_ids = allocate_ids(Stance, len(stance_rows))
        for pk, (annotation_id, s, evidence_ids, holder_id) in zip(stance_ids, stance_rows):
            stances.append((pk, annotation_id, holder_id,
                            self.entity(s.holder_entity).pk if s.holder_entity else None,
                            targets[s.target], polarities[s.polarity], s.explicit, "[]"))
            evidence.extend((pk, span_id) for span_id in evidence_ids)

        self.writer.insert(Span, ["id", "annotation_id", "label_id", "start", "end", "text", "entity_id", "attributes",
                           "provenance"], spans)
        self.writer.insert(Relation, ["annotation_id", "type_id", "from_span_id", "to_span_id", "provenance"], relations)
        self.writer.insert(Stance, ["id", "annotation_id", "holder_span_id", "holder_entity_id", "target_id", "polarity_id",
                             "explicit", "provenance"], stances)
        self.writer.insert(Stance.evidence.through, ["stance_id", "span_id"], evidence)
        self.record_assignments([(article, owner) for article, _, owner in layers if owner.user is not None])
        self.report.layers_created += len(layers)
        self.report.spans += len(spans)
        self.report.relations += len(relations)
        self.report.stances += len(stances)

    def record_assignments(self, layers: list[tuple[Article, "_Owner"]]) -> None:
        """An imported layer is work done: its assignment says so too, so progress counts it."""
        if not layers:
            return
        existing = {
            (article_id, annotator_id): pk
            for pk, article_id, annotator_id in Assignment.objects.filter(
                article__in=[a for a, _ in layers], annotator__in={o.user.pk for _, o in layers}
            ).values_list("pk", "article_id", "annotator_id")
        }
        updates, rows = defaultdict(list), []
        for article, owner in layers:
            status = ASSIGNMENT_STATUS[owner.status]
            pk = existing.get((article.pk, owner.user.pk))
            if pk is not None:
                updates[status].append(pk)
            else:
                finished = self.stamp if status == Assignment.Status.SUBMITTED else None
                rows.append((article.pk, owner.user.pk, status, "", self.stamp, finished, self.stamp))
        for status, pks in updates.items():
            finished = self.now if status == Assignment.Status.SUBMITTED else None
            Assignment.objects.filter(pk__in=pks).update(status=status, finished_at=finished, skip_reason="")
        self.writer.insert(
            Assignment,
            ["article_id", "annotator_id", "status", "skip_reason", "assigned_at", "finished_at", "updated_at"],
            rows,
        )


# What an imported layer's status means for its annotator's assignment.
ASSIGNMENT_STATUS = {
    Annotation.Status.IN_PROGRESS: Assignment.Status.IN_PROGRESS,
    Annotation.Status.RETURNED: Assignment.Status.IN_PROGRESS,
    Annotation.Status.SUBMITTED: Assignment.Status.SUBMITTED,
    Annotation.Status.ADJUDICATED: Assignment.Status.SUBMITTED,
}


class _Owner(NamedTuple):
    user: object | None  # None: the gold layer
    is_gold: bool
    status: str

    @property
    def key(self):
        return "gold" if self.is_gold else self.user.pk

    def __str__(self):
        return "the gold layer" if self.is_gold else self.user.get_username()


class _Pending(NamedTuple):
    line: int
    record: ArticleRecord
    owner: _Owner | None


def import_file(
    stream: io.BufferedIOBase,
    *,
    name: str,
    project_slug: str,
    annotator=None,
    create_users: bool = False,
    create_project_if_missing: bool = False,
    update: bool = False,
    replace: bool = False,
    language: str = "",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file (binary stream) into the project `project_slug`, all or nothing.

    Raises ImportFailed, with every problem found, when anything is wrong;
    the database is then exactly as before.
    """
    with transaction.atomic():
        project = Project.objects.filter(slug=project_slug).first()
        if project is None:
            if not create_project_if_missing:
                raise ImportFailed([ImportProblem(name, None, "project",
                                                  f"no project {project_slug!r} (create it with --create-project)")])
            project = create_project(name=project_slug.replace("-", " ").capitalize(), slug=project_slug)
        if annotator is not None:
            ensure_member(project=project, user=annotator)
        job = _FileImport(
            name=name,
            project=project,
            annotator=annotator,
            create_users=create_users,
            update=update,
            replace=replace,
            vocabulary=_Vocabulary(project, create=create_project_if_missing),
            progress=progress,
        )
        try:
            job.run(read_records(stream, name, language=language))
        finally:
            job.writer.close()
        if job.problems:
            # Raising inside atomic() rolls the whole file back.
            raise ImportFailed(job.problems[:MAX_PROBLEMS], truncated=job.full)
        job.record_replaced()
        refresh_statistics(job.report)
        return job.report


def refresh_statistics(report: ImportReport) -> None:
    """After a large import, let PostgreSQL's planner see the new rows at once.

    Autovacuum would analyse the tables eventually; until it does, plans
    estimated on empty tables make the first annotators' pages slow.
    """
    if connection.vendor != "postgresql" or report.spans + report.articles_created < 10_000:
        return
    tables = [model._meta.db_table for model in (Article, Annotation, Span, Relation, Stance, Assignment)]
    tables.append(Stance.evidence.through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
