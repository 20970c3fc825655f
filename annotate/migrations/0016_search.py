"""Corpus search's article index (issue 15): PostgreSQL's tsvector expression index (GIN) and the trigram
indexes on entities' names and aliases; SQLite's FTS5 table and its triggers. The SQL and why it is shaped
so: annotate/search/index.py.

Not atomic on PostgreSQL: the indexes are built CONCURRENTLY, so on a live corpus writes to articles go on
while the index is built (about a second per 10k articles here). pg_trgm is migration 0009's.
"""
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from annotate.search import index


def create(apps, schema_editor):
    index.create(schema_editor.connection)


def drop(apps, schema_editor):
    index.drop(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("annotate", "0015_queue_order")]

    operations = [
        TrigramExtension(),  # IF NOT EXISTS: 0009 made it already; a no-op on other databases
        migrations.RunPython(create, drop, atomic=False),
    ]
