"""The rows stage: what the checks decided becomes plain rows, written in bulk.

Nothing here checks or decides; `checks.BatchPlanner` has said what each record does. New
articles, layers, spans, relations, stances, evidence, assignments and the layers' first history
events are tuples in the order of the column lists beside them, written by services/bulk.py's
RowWriter (in a background thread: COPY on PostgreSQL, executemany on SQLite): a few statements a
batch of articles whatever their number of spans, never one a row. Ids are allocated up front so
that relations and evidence can point at spans of the same batch without reading them back.

Rows that exist already go through the ORM, one at a time and rarely: --update saves its
article, and --replace empties a layer while keeping the layer itself, its id and its history;
once the file is in, `record_replaced` writes what the replace changed into that history, item by
item, so a restore brings the old content back.
"""
from collections import defaultdict

import orjson
from django.db import connection
from django.utils import timezone

from ...interchange import ArticleRecord, PredictionsRecord
from ...models import (
    Annotation,
    AnnotationEvent,
    Article,
    ArticleAnswer,
    ArticleQuestion,
    Assignment,
    Entity,
    Project,
    Relation,
    Span,
    Stance,
    SuggestedRelation,
    SuggestedSpan,
    SuggestedStance,
)
from ...suggestions.base import Guesses, RecommenderError, RelationGuess, SpanGuess, StanceGuess
from ...suggestions.storing import replace as store_suggestions
from ...suggestions.vocabulary import Vocabulary as SuggestionVocabulary
from ..article_labels import ACTION, answer_state
from ..assignments import refresh_needs_annotators
from ..bulk import RowWriter, json_text, timestamp
from ..history import layer_state, record_changes
from ..history import record as record_event
from ..locking import bump
from ..reanchoring import reanchor_article
from .checks import Owner
from .report import ImportFailed, ImportProblem, ImportReport
from .vocabulary import Vocabulary

# shuffle_key: the random queue order's key, drawn by Article() (models/article.py); these raw rows pass it on,
# as the column has no database default.
ARTICLE_COLUMNS = ("id", "project_id", "external_id", "title", "text", "caption", "outlet", "url", "published",
                   "language", "metadata", "content_hash", "shuffle_key", "created_at", "updated_at")
ANNOTATION_COLUMNS = ("id", "article_id", "annotator_id", "is_gold", "status", "version", "review_comment",
                      "created_at", "updated_at", "submitted_at")
EVENT_COLUMNS = ("annotation_id", "created_at", "action", "version", "after")
SPAN_COLUMNS = ("id", "annotation_id", "label_id", "start", "end", "text", "entity_id", "attributes", "provenance",
                "fragments", "needs_review")
RELATION_COLUMNS = ("annotation_id", "type_id", "from_span_id", "to_span_id", "provenance")
STANCE_COLUMNS = ("id", "annotation_id", "holder_span_id", "holder_entity_id", "target_id", "polarity_id",
                  "explicit", "provenance")
EVIDENCE_COLUMNS = ("stance_id", "span_id")
ANSWER_COLUMNS = ("annotation_id", "question_id", "value")
ASSIGNMENT_COLUMNS = ("article_id", "annotator_id", "status", "skip_reason", "assigned_at", "finished_at",
                      "updated_at")

# What an imported layer's status means for its annotator's assignment.
ASSIGNMENT_STATUS = {
    Annotation.Status.IN_PROGRESS: Assignment.Status.IN_PROGRESS,
    Annotation.Status.RETURNED: Assignment.Status.IN_PROGRESS,
    Annotation.Status.SUBMITTED: Assignment.Status.SUBMITTED,
    Annotation.Status.ADJUDICATED: Assignment.Status.SUBMITTED,
}


class ImportRows:
    """Writes one file's decided batches into `project`, counting what it wrote in `report`."""

    def __init__(self, *, project: Project, file: str, report: ImportReport):
        self.project = project
        self.file = file
        self.report = report
        self.entities = dict(Entity.objects.filter(project=project).values_list("name", "pk"))  # name -> id
        # (article id, owner key) -> (layer, its items before): layers that --replace empties and refills.
        self.replaced: dict[tuple, tuple[Annotation, dict]] = {}
        # Layer id -> its article-level answers before --replace emptied it, {question id: value}.
        self.answers_before: dict[int, dict[int, object]] = {}
        self.questions: dict[str, int] = {}
        self.assigned: set[int] = set()  # articles whose assignments the file added or changed
        self.writer = RowWriter()
        self.now = timezone.now()
        self.stamp = timestamp(self.now)  # as the raw inserts write it

    def flush(self) -> None:
        """Wait until every row written so far is in the database (in the file's transaction)."""
        self.writer.flush()

    def close(self) -> None:
        """Wait for every queued batch; a failed insert raises here."""
        self.writer.close()

    def record_needs_annotators(self) -> None:
        """Once the file is in: the touched articles' needs_annotators, set-based, once per file."""
        # Not locked first: take_next_article's rare concurrent lock is simply waited for by the UPDATE.
        refresh_needs_annotators(self.assigned, lock=False)

    def update_article(self, article: Article, *, retexted: bool = False, reanchor: bool = False) -> None:
        """--update: the planner has set the record's fields on the stored article. A new text takes its
        suggestions away: their offsets point into the old one (the record's predictions, if any, come next).
        --reanchor: an annotated article's new text goes in through services/reanchoring, which moves or
        flags the spans of all its layers; its other fields are saved after."""
        if reanchor:
            self.flush()  # layers an earlier batch of this file put on the article are re-anchored too
            self.report.reanchored.append(reanchor_article(article=article, new_text=article.text,
                                                           source=self.file))
        article.save()
        if retexted:
            for model in (SuggestedStance, SuggestedRelation, SuggestedSpan):
                model.objects.filter(article=article).delete()
        self.report.articles_updated += 1

    def clear_layer(self, article: Article, owner: Owner) -> None:
        """--replace: empty the owner's layer for the file's content. The layer itself stays, and with it
        its history; what the replace changes is recorded there once the file is in (record_replaced)."""
        layer = Annotation.objects.select_for_update().get(article=article, annotator=owner.user,
                                                           is_gold=owner.is_gold)
        self.replaced[(article.pk, owner.key)] = (layer, layer_state(layer.pk))
        with self.writer.constraints_deferred():
            for model in (Stance, Relation, Span):
                model.objects.filter(annotation=layer).delete()
        answers = ArticleAnswer.objects.filter(annotation=layer)
        self.answers_before[layer.pk] = dict(answers.values_list("question_id", "value"))
        answers.delete()
        self.report.layers_replaced += 1

    def record_replaced(self) -> None:
        """Each replaced layer's history gets the change as item events (a restore brings the old content
        back), its status change, and a marker naming the file; its version moves on by one."""
        for layer, before in self.replaced.values():
            old_status = layer.status
            layer.refresh_from_db(fields=["status"])
            bump(layer)
            record_changes(layer, before, layer_state(layer.pk))
            self._record_replaced_answers(layer)
            if layer.status != old_status:
                record_event(layer, "status.import", before={"status": old_status}, after={"status": layer.status})
            record_event(layer, "import.replace", after={"file": self.file})

    def _record_replaced_answers(self, layer: Annotation) -> None:
        """The article-level answers a replace changed, as services/article_labels.py records them."""
        before = self.answers_before.get(layer.pk, {})
        after = dict(ArticleAnswer.objects.filter(annotation=layer).values_list("question_id", "value"))
        questions = {q.pk: q for q in ArticleQuestion.objects.filter(pk__in=before.keys() | after.keys())}
        for pk in sorted(before.keys() | after.keys()):
            if before.get(pk) != after.get(pk):
                record_event(layer, ACTION, before=answer_state(questions[pk], before.get(pk)),
                             after=answer_state(questions[pk], after.get(pk)))

    def entity_id(self, name: str) -> int:
        """The id of the project's entity `name`, created the first time the file names it."""
        pk = self.entities.get(name)
        if pk is None:
            pk = self.entities[name] = Entity.objects.create(project=self.project, name=name).pk
            self.report.entities_created += 1
        return pk

    def write_articles(self, articles: list[Article]) -> None:
        for article, pk in zip(articles, self.writer.allocate_ids(Article, len(articles))):
            article.pk = pk
        self.writer.insert(Article, ARTICLE_COLUMNS, [
            (a.pk, a.project_id, a.external_id, a.title, a.text, a.caption, a.outlet, a.url,
             a.published.isoformat() if a.published else None, a.language, json_text(a.metadata), a.content_hash,
             a.shuffle_key, self.stamp, self.stamp)
            for a in articles
        ])
        self.report.articles_created += len(articles)

    def record_assignments(self, layers: list[tuple[Article, Owner]]) -> None:
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
        self.assigned.update(article.pk for article, _ in layers)
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
        self.writer.insert(Assignment, ASSIGNMENT_COLUMNS, rows)

    def write_layers(self, layers: list[tuple[Article, ArticleRecord, Owner]], vocabulary: Vocabulary) -> None:
        """Insert each record's layer: annotations, spans, relations, stances and evidence, as plain rows."""
        if not layers:
            return
        vocab = vocabulary.items
        labels = {name: label.pk for name, label in vocab["labels"].items()}
        relation_types = {name: t.pk for name, t in vocab["relation types"].items()}
        targets = {name: t.pk for name, t in vocab["targets"].items()}
        polarities = {name: p.pk for name, p in vocab["polarities"].items()}
        now = self.stamp

        new_ids = iter(self.writer.allocate_ids(Annotation, sum(
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
        self.writer.insert(Annotation, ANNOTATION_COLUMNS, [
            (pk, article.pk, owner.user.pk if owner.user else None, owner.is_gold, owner.status, 1, "", now, now,
             now if owner.status != Annotation.Status.IN_PROGRESS else None)
            for pk, article, owner in new_layers
        ])
        # A new layer's history starts with the import that made it (version 1, the file's content).
        self.writer.insert(AnnotationEvent, EVENT_COLUMNS,
                           [(pk, now, "import", 1, json_text({"file": self.file})) for pk, _, _ in new_layers])

        # The loops below run once per span, relation and stance of the file: plain tuples, names bound
        # locally, and the JSON of a span's attributes written only when it has any.
        span_count = sum(len(record.annotations.spans) for _, record, _ in layers)
        span_ids = iter(self.writer.allocate_ids(Span, span_count))
        spans, relations, stance_rows = [], [], []
        entity, dumps = self.entity_id, orjson.dumps
        for annotation_id, (_, record, _) in zip(annotation_ids, layers):
            layer = record.annotations
            ids = {}
            for s in layer.spans:
                ids[s.id] = pk = next(span_ids)
                spans.append((pk, annotation_id, labels[s.label], s.start, s.end, s.text,
                              entity(s.entity) if s.entity else None,
                              dumps(s.attributes).decode() if s.attributes else "{}",
                              dumps(s.provenance).decode() if s.provenance else "[]",
                              dumps(s.fragments).decode() if s.fragments else None, s.needs_review))
            relations += [(annotation_id, relation_types[r.type], ids[r.from_id], ids[r.to_id],
                           dumps(r.provenance).decode() if r.provenance else "[]")
                          for r in layer.relations]
            stance_rows += [(annotation_id, s, [ids[e] for e in s.evidence], ids.get(s.holder))
                            for s in layer.stances]
        stances, evidence = [], []
        stance_ids = self.writer.allocate_ids(Stance, len(stance_rows))
        for pk, (annotation_id, s, evidence_ids, holder_id) in zip(stance_ids, stance_rows):
            stances.append((pk, annotation_id, holder_id, entity(s.holder_entity) if s.holder_entity else None,
                            targets[s.target], polarities[s.polarity], s.explicit,
                            dumps(s.provenance).decode() if s.provenance else "[]"))
            evidence += [(pk, span_id) for span_id in evidence_ids]

        self.writer.insert(Span, SPAN_COLUMNS, spans)
        self.writer.insert(Relation, RELATION_COLUMNS, relations)
        self.writer.insert(Stance, STANCE_COLUMNS, stances)
        self.writer.insert(Stance.evidence.through, EVIDENCE_COLUMNS, evidence)
        # The layers' article-level answers, checked against the project's questions (checks.py).
        self.writer.insert(ArticleAnswer, ANSWER_COLUMNS, [
            (annotation_id, self.question_id(name), dumps(value).decode())
            for annotation_id, (_, record, _) in zip(annotation_ids, layers)
            for name, value in (record.article_labels or {}).items()])
        self.record_assignments([(article, owner) for article, _, owner in layers if owner.user is not None])
        self.report.layers_created += len(layers)
        self.report.spans += len(spans)
        self.report.relations += len(relations)
        self.report.stances += len(stances)


    def question_id(self, name: str) -> int:
        """The question's id, read again when a name is new: an import that creates its project creates the
        questions its answers name as it goes (vocabulary.Vocabulary)."""
        if name not in self.questions:
            self.questions = dict(ArticleQuestion.objects.filter(project=self.project).values_list("name", "pk"))
        return self.questions[name]

    def write_predictions(self, predictions: list[tuple[int, Article, PredictionsRecord]]) -> None:
        """Each record's predictions become its models' suggestions for the article, replacing what those
        models had there (annotate/suggestions/storing.py: the one writer of suggestions, which checks
        them again). The checks stage has checked them as a recommender's answer is checked, so a fault
        here is a bug; it fails the file like any problem."""
        if not predictions:
            return
        self.flush()  # the batch's new articles must be in before suggestions point at them
        answers: dict[tuple[str, str], list[tuple[Article, Guesses]]] = defaultdict(list)
        for _, article, predicted in predictions:
            for model, version, guesses in self._guesses(predicted):
                answers[(model, version)].append((article, guesses))
        # Read after _guesses has created the sources the file names for the first time.
        vocabulary = SuggestionVocabulary.of(self.project)
        for (model, version), answered in answers.items():
            try:
                stored = store_suggestions(vocabulary=vocabulary, recommender=model, version=version,
                                           answers=answered)
            except RecommenderError as error:
                raise ImportFailed([ImportProblem(self.file, None, "predictions", str(error))]) from None
            self.report.suggested_spans += stored.spans
            self.report.suggested_relations += stored.relations
            self.report.suggested_stances += stored.stances

    def _guesses(self, predicted: PredictionsRecord) -> list[tuple[str, str, Guesses]]:
        """(model, version, Guesses) for each model the record speaks for; an item points at its model's
        spans by their index among that model's spans, as a recommender's answer does."""
        by_model = {model: (Guesses(), {}) for model in predicted.models}
        versions = dict.fromkeys(predicted.models, "")
        layer = predicted.layer
        for span, origin in zip(layer.spans, predicted.spans_from, strict=True):
            guesses, index = by_model[origin.recommender]
            versions[origin.recommender] = origin.version
            index[span.id] = len(guesses.spans)
            guesses.spans.append(SpanGuess(span.label, span.start, span.end, origin.score,
                                           entity=self.entity_id(span.entity) if span.entity else None,
                                           attributes=span.attributes))
        for relation, origin in zip(layer.relations, predicted.relations_from, strict=True):
            guesses, index = by_model[origin.recommender]
            versions[origin.recommender] = origin.version
            guesses.relations.append(RelationGuess(relation.type, index[relation.from_id], index[relation.to_id],
                                                   origin.score))
        for stance, origin in zip(layer.stances, predicted.stances_from, strict=True):
            guesses, index = by_model[origin.recommender]
            versions[origin.recommender] = origin.version
            guesses.stances.append(StanceGuess(
                stance.target, stance.polarity, origin.score,
                holder=index[stance.holder] if stance.holder is not None else None,
                holder_entity=self.entity_id(stance.holder_entity) if stance.holder_entity else None,
                evidence=tuple(index[span_id] for span_id in stance.evidence), explicit=stance.explicit))
        return [(model, versions[model], guesses) for model, (guesses, _) in by_model.items()]


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
