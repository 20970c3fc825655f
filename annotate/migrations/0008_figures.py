"""Per-article figures and project totals for the dashboards, kept in the write path (models/figures.py).

Triggers mark an article stale whenever a span, relation or stance of one of its corpus layers
(submitted, or adjudicated gold) is written, and whenever a layer enters or leaves the corpus. On
PostgreSQL the item triggers are per statement, with transition tables, so a bulk import's COPY marks
each article once instead of running a trigger per row. SQLite has row triggers only.

Every article that already has a corpus layer is marked stale here: the first dashboard views, or
`manage.py refresh_figures`, count them.

On SQLite a later migration that rebuilds one of these tables (an ALTER that SQLite cannot do in
place) drops its triggers with it: such a migration must install them again (`install_triggers`);
tests/test_figures.py checks that they exist after migrating.
"""
import django.db.models.deletion
from django.db import migrations, models

CORPUS = "('submitted', 'adjudicated')"
ITEM_TABLES = ("annotate_span", "annotate_relation", "annotate_stance")
MARK = """
INSERT INTO annotate_stalearticle (article_id, project_id, marked_at)
SELECT DISTINCT a.article_id, r.project_id, CURRENT_TIMESTAMP
FROM annotate_annotation a JOIN annotate_article r ON r.id = a.article_id
WHERE a.id IN ({layers}) AND a.status IN {corpus}
"""


def _pg_mark(name: str, layers: str) -> str:
    """A statement trigger's function: mark the articles of the layers its transition tables name."""
    return f"""
CREATE OR REPLACE FUNCTION annotate_stale_{name}() RETURNS trigger AS $$
BEGIN
    {MARK.format(layers=layers, corpus=CORPUS)} ON CONFLICT (article_id) DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;"""


POSTGRES = [
    _pg_mark("from_new", "SELECT annotation_id FROM changed"),
    _pg_mark("from_old", "SELECT annotation_id FROM gone"),
    _pg_mark("from_both", "SELECT annotation_id FROM changed UNION SELECT annotation_id FROM gone"),
    f"""
CREATE OR REPLACE FUNCTION annotate_stale_layer() RETURNS trigger AS $$
BEGIN
    INSERT INTO annotate_stalearticle (article_id, project_id, marked_at)
    SELECT DISTINCT r.id, r.project_id, CURRENT_TIMESTAMP FROM annotate_article r
    WHERE (TG_OP <> 'DELETE' AND r.id = NEW.article_id AND NEW.status IN {CORPUS})
       OR (TG_OP <> 'INSERT' AND r.id = OLD.article_id AND OLD.status IN {CORPUS})
    ON CONFLICT (article_id) DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;""",
    *(sql for table in ITEM_TABLES for sql in (
        f"CREATE TRIGGER {table}_stale_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed "
        "FOR EACH STATEMENT EXECUTE FUNCTION annotate_stale_from_new();",
        f"CREATE TRIGGER {table}_stale_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS gone "
        "FOR EACH STATEMENT EXECUTE FUNCTION annotate_stale_from_old();",
        f"CREATE TRIGGER {table}_stale_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS gone "
        "NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION annotate_stale_from_both();",
    )),
    # A layer's version changes with every write: only a change that moves it into or out of the corpus
    # (or to another article or annotator) marks anything.
    f"""CREATE TRIGGER annotate_annotation_stale_insert AFTER INSERT ON annotate_annotation
    FOR EACH ROW WHEN (NEW.status IN {CORPUS}) EXECUTE FUNCTION annotate_stale_layer();""",
    f"""CREATE TRIGGER annotate_annotation_stale_delete AFTER DELETE ON annotate_annotation
    FOR EACH ROW WHEN (OLD.status IN {CORPUS}) EXECUTE FUNCTION annotate_stale_layer();""",
    f"""CREATE TRIGGER annotate_annotation_stale_update AFTER UPDATE ON annotate_annotation
    FOR EACH ROW WHEN ((OLD.status IN {CORPUS} OR NEW.status IN {CORPUS}) AND (OLD.status <> NEW.status
        OR OLD.is_gold <> NEW.is_gold OR OLD.article_id <> NEW.article_id
        OR OLD.annotator_id IS DISTINCT FROM NEW.annotator_id))
    EXECUTE FUNCTION annotate_stale_layer();""",
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {table}_stale_{event} ON {table};"
      for table in ITEM_TABLES for event in ("insert", "delete", "update")),
    *(f"DROP TRIGGER IF EXISTS annotate_annotation_stale_{event} ON annotate_annotation;"
      for event in ("insert", "delete", "update")),
    *(f"DROP FUNCTION IF EXISTS annotate_stale_{name}();" for name in ("from_new", "from_old", "from_both", "layer")),
]


def _sqlite_mark(row: str) -> str:
    return "INSERT OR IGNORE" + MARK.format(layers=f"{row}.annotation_id", corpus=CORPUS).replace("\nINSERT", " ", 1)


# An import takes the item triggers off in its own transaction and marks its articles itself
# (services/figures.item_triggers_paused).
SQLITE_ITEMS = [
    *(sql for table in ITEM_TABLES for sql in (
        f"CREATE TRIGGER {table}_stale_insert AFTER INSERT ON {table} BEGIN {_sqlite_mark('NEW')}; END;",
        f"CREATE TRIGGER {table}_stale_delete AFTER DELETE ON {table} BEGIN {_sqlite_mark('OLD')}; END;",
        f"CREATE TRIGGER {table}_stale_update AFTER UPDATE ON {table} BEGIN {_sqlite_mark('OLD')}; "
        f"{_sqlite_mark('NEW')}; END;",
    )),
]
SQLITE_ITEM_REVERSE = [f"DROP TRIGGER IF EXISTS {table}_stale_{event};" for table in ITEM_TABLES
                       for event in ("insert", "delete", "update")]
SQLITE = [
    *SQLITE_ITEMS,
    f"""CREATE TRIGGER annotate_annotation_stale_insert AFTER INSERT ON annotate_annotation
    WHEN NEW.status IN {CORPUS} BEGIN
    INSERT OR IGNORE INTO annotate_stalearticle (article_id, project_id, marked_at)
    SELECT r.id, r.project_id, CURRENT_TIMESTAMP FROM annotate_article r WHERE r.id = NEW.article_id; END;""",
    f"""CREATE TRIGGER annotate_annotation_stale_delete AFTER DELETE ON annotate_annotation
    WHEN OLD.status IN {CORPUS} BEGIN
    INSERT OR IGNORE INTO annotate_stalearticle (article_id, project_id, marked_at)
    SELECT r.id, r.project_id, CURRENT_TIMESTAMP FROM annotate_article r WHERE r.id = OLD.article_id; END;""",
    f"""CREATE TRIGGER annotate_annotation_stale_update AFTER UPDATE ON annotate_annotation
    WHEN (OLD.status IN {CORPUS} OR NEW.status IN {CORPUS}) AND (OLD.status <> NEW.status
        OR OLD.is_gold <> NEW.is_gold OR OLD.article_id <> NEW.article_id
        OR OLD.annotator_id IS NOT NEW.annotator_id) BEGIN
    INSERT OR IGNORE INTO annotate_stalearticle (article_id, project_id, marked_at)
    SELECT r.id, r.project_id, CURRENT_TIMESTAMP FROM annotate_article r WHERE r.id IN (OLD.article_id, NEW.article_id);
    END;""",
]
SQLITE_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {table}_stale_{event};" for table in ITEM_TABLES
      for event in ("insert", "delete", "update")),
    *(f"DROP TRIGGER IF EXISTS annotate_annotation_stale_{event};" for event in ("insert", "delete", "update")),
]
MARK_EXISTING = f"""
INSERT INTO annotate_stalearticle (article_id, project_id, marked_at)
SELECT DISTINCT a.article_id, r.project_id, CURRENT_TIMESTAMP
FROM annotate_annotation a JOIN annotate_article r ON r.id = a.article_id WHERE a.status IN {CORPUS}
"""


def install_triggers(connection):
    with connection.cursor() as cursor:
        for sql in {"postgresql": POSTGRES, "sqlite": SQLITE}.get(connection.vendor, []):
            cursor.execute(sql, None)


def remove_triggers(connection):
    with connection.cursor() as cursor:
        for sql in {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}.get(connection.vendor, []):
            cursor.execute(sql, None)


def forwards(apps, schema_editor):
    install_triggers(schema_editor.connection)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(MARK_EXISTING, None)


def backwards(apps, schema_editor):
    remove_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("annotate", "0007_assignment_counts")]

    operations = [
        # A source's mentions in order (its page lists the first ones): (entity, id) instead of (entity).
        # On SQLite this rebuilds the span table, so it comes before the span triggers below are installed.
        migrations.AlterField(
            model_name="span",
            name="entity",
            field=models.ForeignKey(blank=True, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL, related_name="mentions",
                                    to="annotate.entity"),
        ),
        migrations.AddIndex(
            model_name="span",
            index=models.Index(fields=["entity", "id"], name="span_entity_in_order"),
        ),
        migrations.CreateModel(
            name="StaleArticle",
            fields=[
                ("article_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("project_id", models.BigIntegerField(db_index=True)),
                ("marked_at", models.DateTimeField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="ArticleFigures",
            fields=[
                ("article_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("counts", models.JSONField(default=dict)),
                ("counted_at", models.DateTimeField(auto_now=True)),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                              to="annotate.project")),
            ],
        ),
        migrations.CreateModel(
            name="MapEntry",
            fields=[
                ("stance_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("article_id", models.BigIntegerField(db_index=True)),
                ("target_id", models.BigIntegerField()),
                ("holder", models.TextField()),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                              to="annotate.project")),
            ],
            options={
                "indexes": [models.Index(fields=["project", "target_id", "holder", "stance_id"],
                                         name="map_entry_cell")],
            },
        ),
        migrations.CreateModel(
            name="ProjectFigure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("family", models.CharField(max_length=20)),
                ("key", models.TextField()),
                ("n", models.BigIntegerField(default=0)),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                              to="annotate.project")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("project", "family", "key"),
                                                        name="one_total_per_key")],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
