"""The database itself refuses to change the text of an article that has annotations.

Article.save() refuses it too, but QuerySet.update(), raw SQL or another client
would bypass the model: span offsets point into this exact text.
"""
from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION annotate_freeze_annotated_text() RETURNS trigger AS $$
BEGIN
    IF NEW.text IS DISTINCT FROM OLD.text
       AND EXISTS (SELECT 1 FROM annotate_annotation WHERE article_id = OLD.id) THEN
        RAISE EXCEPTION 'article % has annotations: its text cannot change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER annotate_freeze_annotated_text BEFORE UPDATE OF text ON annotate_article
    FOR EACH ROW EXECUTE FUNCTION annotate_freeze_annotated_text();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS annotate_freeze_annotated_text ON annotate_article;
DROP FUNCTION IF EXISTS annotate_freeze_annotated_text();
"""
SQLITE = """
CREATE TRIGGER annotate_freeze_annotated_text BEFORE UPDATE OF text ON annotate_article
WHEN NEW.text IS NOT OLD.text AND EXISTS (SELECT 1 FROM annotate_annotation WHERE article_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'article has annotations: its text cannot change');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS annotate_freeze_annotated_text;"


def forwards(apps, schema_editor):
    sql = {"postgresql": POSTGRES, "sqlite": SQLITE}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)  # None: no placeholders, the % in RAISE is literal


def backwards(apps, schema_editor):
    sql = {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)  # None: no placeholders, the % in RAISE is literal


class Migration(migrations.Migration):
    dependencies = [("annotate", "0002_protect_annotated_articles")]
    operations = [migrations.RunPython(forwards, backwards)]
