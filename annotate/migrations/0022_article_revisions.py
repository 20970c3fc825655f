"""Corrected texts re-anchored: the revisions kept for a revert, and the freeze trigger with one door.

Migration 0003's trigger refused any change to an annotated article's text. Its replacement lets a change
through only while a TextChangePermit row for that article exists, which services/reanchoring inserts and
deletes inside the transaction that moves the article's spans: any other UPDATE (the ORM, raw SQL, another
client) is refused as before. New tables only: annotate_article is not rebuilt, so its other triggers stay.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_FROZEN = "EXISTS (SELECT 1 FROM annotate_annotation WHERE article_id = OLD.id)"
_PERMITTED = "EXISTS (SELECT 1 FROM annotate_textchangepermit WHERE article_id = OLD.id)"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION annotate_freeze_annotated_text() RETURNS trigger AS $$
BEGIN
    IF NEW.text IS DISTINCT FROM OLD.text AND {_FROZEN} AND NOT {_PERMITTED} THEN
        RAISE EXCEPTION 'article % has annotations: its text cannot change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
POSTGRES_REVERSE = f"""
CREATE OR REPLACE FUNCTION annotate_freeze_annotated_text() RETURNS trigger AS $$
BEGIN
    IF NEW.text IS DISTINCT FROM OLD.text AND {_FROZEN} THEN
        RAISE EXCEPTION 'article % has annotations: its text cannot change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
_SQLITE = """
CREATE TRIGGER annotate_freeze_annotated_text BEFORE UPDATE OF text ON annotate_article
WHEN NEW.text IS NOT OLD.text AND {condition}
BEGIN
    SELECT RAISE(ABORT, 'article has annotations: its text cannot change');
END;
"""
SQLITE = ["DROP TRIGGER IF EXISTS annotate_freeze_annotated_text;",
          _SQLITE.format(condition=f"{_FROZEN} AND NOT {_PERMITTED}")]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS annotate_freeze_annotated_text;", _SQLITE.format(condition=_FROZEN)]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(sql, params=None)  # None: no placeholders, the % in RAISE is literal
    return run


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0021_threads"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TextChangePermit",
            fields=[
                ("article", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                 related_name="+", serialize=False, to="annotate.article")),
            ],
        ),
        migrations.CreateModel(
            name="ArticleRevision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("text_before", models.TextField()),
                ("text_after", models.TextField()),
                ("source", models.CharField(blank=True, max_length=1000)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("layers", models.JSONField(default=dict)),
                ("counts", models.JSONField(default=dict)),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                            related_name="+", to=settings.AUTH_USER_MODEL)),
                ("article", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                              related_name="revisions", to="annotate.article")),
                ("reverts", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                              related_name="reverted_by", to="annotate.articlerevision")),
            ],
            options={
                "ordering": ["article", "-id"],
                "indexes": [models.Index(fields=["article", "id"], name="revision_article_in_order")],
            },
        ),
        migrations.RunPython(_run({"postgresql": POSTGRES, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE})),
    ]
