"""Indexes for the admin's changelists and searches at corpus scale (annotate/admin/large.py, search.py).

PostgreSQL only: trigram indexes (pg_trgm) answer the admin's case-insensitive "contains" searches,
which Django writes as UPPER(column) LIKE UPPER('%word%'); each index is on that same UPPER(...)
expression so the planner can use it, and answers UPPER(column) = UPPER('word') (iexact) as well.

- the span text (3.4M rows at 50k articles: a scan took 3-4 s per search). The index is about 45
  bytes a span, and every write of a span adds to it, the importer's COPY included: on the test
  machine 675k spans (10k articles) took 1 s to insert without it and 17 s with it, 9-10 s with the
  16 MB pending list set here (GIN queues new entries and merges them in batches; the default 4 MB
  batches are small for an import). A search reads the queued entries too, which is why the queue
  is bounded; autovacuum merges it in the background, and a write that fills it merges it itself.
- an article's external id, title, outlet and URL, in one index (small: no article body);
- an article's language, so the language filter's DISTINCT reads the index, not the articles;
- an article's project and id, so the project list's progress finds a project's article ids in the
  index alone (the project_id index has no ids: each count read the 170 MB article table at 50k);
- an article's publication date (and id), the one column the article list sorts by, newest first
  by a backward index scan.

SQLite has no trigram index: its searches scan, as before, and nothing is created there. These
indexes are not in the models' Meta (a GIN index on an expression is PostgreSQL's own), so the
migration state does not know them and `makemigrations` leaves them alone.

The indexes are built CONCURRENTLY (the migration is not atomic): on a live corpus, building the span
index takes tens of seconds, during which annotators' writes to spans go on instead of waiting.
A failed build leaves an invalid index behind; running the migration again drops and rebuilds it.
"""
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "annotate_span_text_trgm": "annotate_span USING gin (UPPER(text) gin_trgm_ops) WITH (gin_pending_list_limit = 16384)",
    "annotate_article_search_trgm": (
        "annotate_article USING gin (UPPER(external_id::text) gin_trgm_ops, UPPER(title::text) gin_trgm_ops, "
        "UPPER(outlet::text) gin_trgm_ops, UPPER(url::text) gin_trgm_ops)"
    ),
    "annotate_article_language": "annotate_article (language)",
    "annotate_article_project_and_id": "annotate_article (project_id, id)",
    "annotate_article_published": "annotate_article (published, id)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("annotate", "0008_figures")]

    operations = [
        TrigramExtension(),  # a no-op on other databases; on PostgreSQL 13+ a trusted extension
        migrations.RunPython(create_indexes, drop_indexes, atomic=False),
    ]
