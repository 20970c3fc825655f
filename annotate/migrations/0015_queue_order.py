"""The queue's orders other than by id (Project.queue_order): each article's random key and its suggestions'
uncertainty, and a partial index per order so that "the next article" stays an index walk in each.

Both columns are added with a plain ALTER TABLE ADD COLUMN (nullable, no database default): SQLite would
rebuild annotate_article for anything else, dropping the triggers on it (migration 0007's note). The
model's Python default (models/article.shuffle_key) would make Django rebuild it, so the column is added
by hand and the model's state separately; the existing rows draw their keys here, in one UPDATE. The
uncertainty order's index is SQL too (see UNCERTAINTY_INDEX).
"""
from django.db import migrations, models

import annotate.models.article

# A key in [0, 2**31) per row: random() is evaluated once per row in both.
FILL = {
    "postgresql": "UPDATE annotate_article SET shuffle_key = floor(random() * 2147483648)::integer",
    "sqlite": "UPDATE annotate_article SET shuffle_key = abs(random() % 2147483648)",
}


# The uncertainty queue walks this index: most uncertain first, articles without suggestions (NULL) last, then
# by id. PostgreSQL needs NULLS LAST spelled out (its descending order puts NULLs first) for the query's ORDER BY
# to match the index; SQLite refuses the words in an index and sorts NULLs last in descending order anyway.
UNCERTAINTY_INDEX = ('CREATE INDEX "article_queue_uncertainty" ON "annotate_article" '
                     '("project_id", "suggestion_uncertainty" DESC{nulls}, "id") WHERE "needs_annotators"')


def create_uncertainty_index(apps, schema_editor):
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(UNCERTAINTY_INDEX.format(nulls=nulls), params=None)


def drop_uncertainty_index(apps, schema_editor):
    schema_editor.execute('DROP INDEX IF EXISTS "article_queue_uncertainty"', params=None)


def fill_shuffle_keys(apps, schema_editor):
    schema_editor.execute(FILL[schema_editor.connection.vendor], params=None)


class Migration(migrations.Migration):
    dependencies = [("annotate", "0014_suggestions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="article",
                    name="shuffle_key",
                    field=models.IntegerField(default=annotate.models.article.shuffle_key, editable=False, null=True),
                ),
            ],
            database_operations=[
                migrations.RunSQL("ALTER TABLE annotate_article ADD COLUMN shuffle_key integer NULL",
                                  "ALTER TABLE annotate_article DROP COLUMN shuffle_key"),
            ],
        ),
        migrations.RunPython(fill_shuffle_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="article",
            name="suggestion_uncertainty",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(condition=models.Q(("needs_annotators", True)), fields=["project", "shuffle_key", "id"],
                               name="article_queue_random"),
        ),
        migrations.RunPython(create_uncertainty_index, drop_uncertainty_index),
    ]
