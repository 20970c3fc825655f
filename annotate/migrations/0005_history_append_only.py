"""The database refuses to change or delete a history event, whoever asks.

AnnotationEvent.save() and .delete() refuse it too, but QuerySet.update(),
QuerySet.delete(), a cascade or raw SQL would bypass the model, and restores
rebuild earlier versions from these rows. The history also outlives its
layer: the event's link to the layer is no longer a cascading foreign key,
and a user who made changes is protected from deletion (deactivate instead).

TRUNCATE (manage.py flush, a deliberate reset of the whole database) is not
refused; on SQLite, where flush deletes row by row, annotate's own flush
command lifts the triggers for the reset and puts them back.
"""
from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

POSTGRES = """
CREATE OR REPLACE FUNCTION annotate_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only: % of annotation event % refused', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER annotate_history_append_only BEFORE UPDATE OR DELETE ON annotate_annotationevent
    FOR EACH ROW EXECUTE FUNCTION annotate_history_append_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS annotate_history_append_only ON annotate_annotationevent;
DROP FUNCTION IF EXISTS annotate_history_append_only();
"""
SQLITE = [
    """CREATE TRIGGER annotate_history_no_update BEFORE UPDATE ON annotate_annotationevent
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: an annotation event cannot be changed');
END;""",
    """CREATE TRIGGER annotate_history_no_delete BEFORE DELETE ON annotate_annotationevent
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: an annotation event cannot be deleted');
END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS annotate_history_no_update;",
                  "DROP TRIGGER IF EXISTS annotate_history_no_delete;"]


def forwards(apps, schema_editor):
    install_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    remove_triggers(schema_editor.connection)


def install_triggers(connection):
    statements = {"postgresql": [POSTGRES], "sqlite": SQLITE}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, None)  # None: no placeholders, the % in RAISE is literal


def remove_triggers(connection):
    statements = {"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, None)


class Migration(migrations.Migration):

    dependencies = [
        ("annotate", "0004_client_ids_and_evidence_rule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="annotationevent",
            name="actor",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name="annotationevent",
            name="annotation",
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING,
                                    related_name="events", to="annotate.annotation"),
        ),
        migrations.AlterModelOptions(name="annotationevent",
                                     options={"ordering": ["annotation_id", "version", "id"]}),
        migrations.RunPython(forwards, backwards),
    ]
