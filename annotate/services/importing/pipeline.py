"""Importing one file: the stages in order, inside one transaction.

    reading.read_records     the file, in any format we read  -> (line, record or problem)
    checks.RecordChecks      each record alone, and against the file's earlier lines
    checks.BatchPlanner      each batch against what the project holds -> a BatchPlan
    rows.ImportRows          the plan as plain rows, written in bulk

The file lands whole or not at all. Problems are collected across the whole file (up to
report.MAX_PROBLEMS) so a user fixes them in one pass, each named by file, line and field; when
there is any, the transaction is rolled back and the database is exactly as before.
"""
import gc
import io
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from django.db import transaction

from ...models import Project
from .. import figures
from ..membership import ensure_member
from ..projects import create_project
from .checks import BatchPlanner, Checked, Owners, RecordChecks
from .reading import Read, read_records
from .report import ImportFailed, ImportProblem, ImportReport, Problems
from .rows import ImportRows, refresh_statistics
from .vocabulary import Vocabulary

# Records checked before a batch is planned and written: a few statements each, whatever its spans.
BATCH_ARTICLES = 250
# The collector's thresholds while a file is imported (the default is (700, 10, 10)).
IMPORT_GC_THRESHOLDS = (100_000, 20, 10)


def _project(slug: str, *, file: str, create: bool) -> Project:
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        if not create:
            raise ImportFailed([ImportProblem(file, None, "project",
                                              f"no project {slug!r} (create it with --create-project)")])
        project = create_project(name=slug.replace("-", " ").capitalize(), slug=slug)
    return project


@contextmanager
def _young_objects_collected_less_often():
    """Run the cyclic garbage collector less often while a file is imported.

    An import makes millions of short-lived objects (decoded JSON, records, rows), freed by reference
    counting as each batch is written; with the default thresholds the collector runs every 700 of
    them and walks the whole process's objects each tenth time: a third of the import's Python time.
    Fewer, larger young collections keep finding cycles, at a fraction of the cost.
    """
    before = gc.get_threshold()
    gc.set_threshold(*IMPORT_GC_THRESHOLDS)
    try:
        yield
    finally:
        if gc.get_threshold() == IMPORT_GC_THRESHOLDS:  # else an import beside this one has restored them
            gc.set_threshold(*before)


def _run(records: Iterable[Read], *, checks: RecordChecks, planner: BatchPlanner, rows: ImportRows,
         vocabulary: Vocabulary, problems: Problems, progress: Callable[[int], None] | None) -> None:
    def write(batch: list[Checked]) -> None:
        plan = planner.plan(batch)
        rows.report.skipped.extend(plan.skipped)
        # Changes to stored rows are made even when the file has failed (it will be rolled back),
        # so that a later line of the file is judged against the same state as on success.
        for article in plan.updated:
            rows.update_article(article, retexted=article.pk in plan.retexted,
                                reanchor=article.pk in plan.reanchored)
        for article, owner in plan.replaced:
            rows.clear_layer(article, owner)
        if not problems:  # else the transaction will be rolled back; only keep looking for problems
            rows.write_articles(plan.new_articles)
            rows.write_layers(plan.layers, vocabulary)
            rows.write_predictions(plan.predictions)
            # Here, once per batch, is the place for work on the articles whose layers the batch wrote
            # (their ids: article.pk for article, _, _ in plan.layers). Their rows may still be queued on
            # the writer: a call that reads them calls rows.flush() first, which waits for them (and
            # gives up overlapping this batch's inserts with the reading of the next one).
            # The dashboards' figures are not counted here but marked stale (no rows read), in this
            # transaction; the doors count them once it has committed (figures.settle_all).
            figures.mark_stale(planner.project.pk, [article.pk for article, _, _ in plan.layers])
        # Later lines need no more of a created article than its id: memory stays flat in the file's size.
        planner.keep_ids_only(plan.new_articles)

    batch: list[Checked] = []
    for line, value in records:
        if problems.full:
            break
        if progress:
            progress(1)
        checked = checks.check(line, value)
        if checked is not None:
            batch.append(checked)
        if len(batch) >= BATCH_ARTICLES:
            write(batch)
            batch = []
    if batch:
        write(batch)


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
    reanchor: bool = False,
    dry_run: bool = False,
    language: str = "",
    format: str | None = None,
    label_map: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file (binary stream) into the project `project_slug`, all or nothing.

    `format` names the reader (reading.FORMAT_KEYS: labelstudio, doccano, brat, webanno, …) when the
    file's suffix does not say it; `label_map` renames their span labels and relation types to ours.

    `reanchor` (with `update`): an annotated article's new text re-anchors its layers' spans
    (services/reanchoring) instead of being refused. `dry_run`: everything is done and reported, then
    rolled back: the report is the one the import would give, and the database is exactly as before.

    Raises ImportFailed, with every problem found, when anything is wrong;
    the database is then exactly as before.
    """
    if reanchor and not update:
        raise ImportFailed([ImportProblem(name, None, "reanchor", "re-anchoring needs --update")])
    with _young_objects_collected_less_often(), transaction.atomic():
        project = _project(project_slug, file=name, create=create_project_if_missing)
        if annotator is not None:
            ensure_member(project=project, user=annotator)
        problems = Problems(name)
        vocabulary = Vocabulary(project, create=create_project_if_missing)
        checks = RecordChecks(
            vocabulary=vocabulary,
            owners=Owners(project, annotator=annotator, create_users=create_users),
            problems=problems,
        )
        planner = BatchPlanner(project, update=update, replace=replace, problems=problems, reanchor=reanchor)
        report = ImportReport(file=name, dry_run=dry_run)
        rows = ImportRows(project=project, file=name, report=report)
        # SQLite's row triggers would mark an article per imported span: the batches mark their articles instead.
        with figures.item_triggers_paused():
            try:
                records = read_records(stream, name, language=language, format=format, label_map=label_map)
                _run(records, checks=checks, planner=planner, rows=rows,
                     vocabulary=vocabulary, problems=problems, progress=progress)
                problems.extend(vocabulary.problems(name))
                report.vocabulary_created = vocabulary.created
            finally:
                rows.close()
        if problems:
            # Raising inside atomic() rolls the whole file back.
            raise problems.failure()
        rows.record_replaced()
        rows.record_needs_annotators()
        refresh_statistics(report)
        if dry_run:
            transaction.set_rollback(True)  # leaving the atomic block undoes everything, as a failure would
        return report
