"""Discontinuous spans (Span.fragments) and spans flagged by re-anchoring (Span.needs_review).

Both columns are added with a plain ALTER TABLE ADD COLUMN: SQLite would rebuild annotate_span for a column
with a default, dropping the figures' triggers on it (migration 0008). `fragments` is nullable with no default,
which Django adds that way itself; `needs_review` has a database default (false), so its column is added by
hand and the model's state separately (as in 0015). Existing spans become one-fragment spans (NULL reads as
[[start, end]]) without touching a row.
"""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("annotate", "0018_claims")]

    operations = [
        migrations.AddField(model_name="span", name="fragments", field=models.JSONField(blank=True, null=True)),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="span", name="needs_review", field=models.BooleanField(default=False)),
            ],
            database_operations=[
                migrations.RunSQL("ALTER TABLE annotate_span ADD COLUMN needs_review boolean NOT NULL DEFAULT false",
                                  "ALTER TABLE annotate_span DROP COLUMN needs_review"),
            ],
        ),
    ]
