"""Assignment counts per (project, annotator, status), per (project, day, status), a histogram of the time
per submitted article per (project, annotator), and each project's articles and adjudicated gold layers
(models/counters.py), kept by triggers whoever writes; filled here from the rows already there.

- annotate_assignment, INSERT / UPDATE / DELETE: the three assignment counters. The project is the
  article's; an article with assignments or layers never changes project (a trigger refuses it), so
  the article a row names tells the project its counts were added under.
- annotate_article, INSERT / DELETE: the project's article count; UPDATE of project_id: the refusal
  above, and the count moved for an article that has neither.
- annotate_annotation, INSERT / UPDATE / DELETE: the project's adjudicated gold layers.

A decrement only changes a row that exists; only increments insert. Cascades delete counters and the
rows they count in an order of Django's choosing (a project's counters may go first): a decrement
then finds nothing and inserts nothing, instead of a negative row naming a project being deleted.
For the same reason an article should be deleted after its assignments (as Django's cascade does):
the other order leaves counts the assignments' triggers can no longer place (`rebuild_counters`).

PostgreSQL: one trigger per statement with transition tables, which adds up each statement's rows per
counter key and updates each counter row once, in key order (so two writers lock shared rows in the
same order). A trigger per row would update the same counter row once per row, and PostgreSQL keeps
every version of a row updated in the open transaction: a 30k-row import took 8.8 s in its triggers
instead of 0.09 s. TRUNCATE of a counted table empties what it counted (manage.py flush truncates
the counters with everything else).

SQLite: row triggers (it has no others; updating one row many times costs nothing special there).
It has no TRUNCATE either: its flush deletes row by row, and annotate's flush command lifts these
triggers for it as it does the history's (a decrement would find nothing to lower anyway).

SQLite and later migrations: SQLite rebuilds a table for most ALTERs. The rebuild drops the triggers
on that table, and its final rename fails ("error in trigger …: no such table") while another table's
trigger reads or writes the table being rebuilt. A migration that rebuilds annotate_assignment,
annotate_article, annotate_annotation or a counter table must call `remove_triggers` before and
`install_triggers` after (see 0006's recreate_sqlite_text_trigger); tests/test_counters.py checks
that every trigger is there after migrating.
"""
from dataclasses import dataclass

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DONE = "('submitted', 'skipped')"
# A duration in seconds counts in its bucket: its nearest multiple of the step of its range (models/counters.py,
# DurationBucket). (upper bound in seconds, step in seconds), in order; from the last bound on, CAP.
STEPS = ((120, 5), (300, 10), (900, 30), (3600, 60), (14400, 300), (86400, 900))
CAP = 86400


@dataclass(frozen=True)
class Dialect:
    vendor: str

    def day(self, row: str) -> str:
        """The UTC day a finished assignment was finished (settings.TIME_ZONE is UTC)."""
        if self.vendor == "postgresql":
            return f"({row}.finished_at AT TIME ZONE 'UTC')::date"
        return f"date({row}.finished_at)"  # Django stores UTC text: '2026-01-31 23:59:59.123456'

    def bucket(self, row: str) -> str:
        """The bucket value (seconds) of a started and finished assignment's duration."""
        if self.vendor == "postgresql":
            seconds = f"GREATEST(0, EXTRACT(EPOCH FROM {row}.finished_at - {row}.started_at))"
            whole = "floor({})::integer"
        else:  # julianday: fractional days; CAST truncates, which is floor for what is never negative
            seconds = f"max(0, (julianday({row}.finished_at) - julianday({row}.started_at)) * 86400.0)"
            whole = "CAST({} AS INTEGER)"
        cases = " ".join(f"WHEN {seconds} < {upper} THEN {step} * {whole.format(f'{seconds} / {step}.0 + 0.5')}"
                         for upper, step in STEPS)
        return f"(CASE {cases} ELSE {CAP} END)"


@dataclass(frozen=True)
class Counter:
    """A counter table of assignments: its key columns, and how an assignment row gives them."""

    table: str
    key: tuple[str, ...]
    values: object  # (dialect, row alias, project expression) -> SQL expressions, in key order
    counts: object  # (row alias) -> SQL condition: the assignments this table counts

    @property
    def positions(self) -> str:
        return ", ".join(str(i + 1) for i in range(len(self.key)))

    def of(self, dialect, row, project):
        return ", ".join(f"{value} AS {key}" for key, value in zip(self.key, self.values(dialect, row, project)))


ASSIGNMENT_COUNTERS = (
    Counter("annotate_assignmentcount", ("project_id", "annotator_id", "status"),
            lambda d, r, p: (p, f"{r}.annotator_id", f"{r}.status"),
            lambda r: "1 = 1"),
    Counter("annotate_assignmentdaycount", ("project_id", "day", "status"),
            lambda d, r, p: (p, d.day(r), f"{r}.status"),
            lambda r: f"{r}.status IN {DONE} AND {r}.finished_at IS NOT NULL"),
    Counter("annotate_durationbucket", ("project_id", "annotator_id", "seconds"),
            lambda d, r, p: (p, f"{r}.annotator_id", d.bucket(r)),
            lambda r: f"{r}.status = 'submitted' AND {r}.started_at IS NOT NULL AND {r}.finished_at IS NOT NULL"),
)
COUNTER_TABLES = [c.table for c in ASSIGNMENT_COUNTERS] + ["annotate_projectcount"]


def gold(row: str) -> str:
    return f"{row}.is_gold AND {row}.status = 'adjudicated'"


# PostgreSQL ---------------------------------------------------------------------------------------------


def pg_add(table: str, key: tuple[str, ...], value: str, delta: str) -> str:
    """Add each row of `delta` (its key columns and `value`) to `table`: rows with a positive amount are
    inserted or added to, a negative amount only lowers a row that exists; in key order."""
    keys = ", ".join(key)
    same = " AND ".join(f"x.{k} = d.{k}" for k in key)
    return f"""
    WITH d AS ({delta})
    INSERT INTO {table} AS t ({keys}, {value})
    SELECT {keys}, {value} FROM d
    WHERE d.{value} > 0 OR (d.{value} < 0 AND EXISTS (SELECT 1 FROM {table} x WHERE {same}))
    ORDER BY {keys}
    ON CONFLICT ({keys}) DO UPDATE SET {value} = t.{value} + EXCLUDED.{value};"""


PG_EVENTS = {"insert": [("new_rows", 1)], "delete": [("old_rows", -1)], "update": [("new_rows", 1), ("old_rows", -1)]}
PG_REFERENCING = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                  "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}


def pg_signed(event: str, columns: str, *, join: str = "", where=None) -> str:
    """The statement's rows from its transition tables (r), +1 for each new one and -1 for each old one."""
    return " UNION ALL ".join(
        f"SELECT {columns}, {sign} AS sign FROM {table} r{join}" + (f" WHERE {where('r')}" if where else "")
        for table, sign in PG_EVENTS[event])


def pg_assignment_function(event: str) -> str:
    pg = Dialect("postgresql")
    changes = pg_signed(event, "a.project_id, r.annotator_id, r.status, r.started_at, r.finished_at",
                        join=" JOIN annotate_article a ON a.id = r.article_id")
    statements = "".join(
        pg_add(counter.table, counter.key, "n",
               f"SELECT {counter.of(pg, 'c', 'c.project_id')}, sum(c.sign) AS n FROM ({changes}) c "
               f"WHERE {counter.counts('c')} GROUP BY {counter.positions}")
        for counter in ASSIGNMENT_COUNTERS)
    return f"""
CREATE OR REPLACE FUNCTION annotate_count_assignments_{event}() RETURNS trigger AS $$
BEGIN{statements}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;"""


def pg_gold_function(event: str) -> str:
    changes = pg_signed(event, "r.article_id", where=gold)
    delta = (f"SELECT a.project_id, sum(c.sign) AS gold FROM ({changes}) c "
             "JOIN annotate_article a ON a.id = c.article_id GROUP BY a.project_id")
    return f"""
CREATE OR REPLACE FUNCTION annotate_count_gold_{event}() RETURNS trigger AS $$
BEGIN{pg_add("annotate_projectcount", ("project_id",), "gold", delta)}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;"""


POSTGRES = [
    *(pg_assignment_function(event) for event in PG_EVENTS),
    *(pg_gold_function(event) for event in PG_EVENTS),
    f"""
CREATE OR REPLACE FUNCTION annotate_count_articles_insert() RETURNS trigger AS $$
BEGIN{pg_add("annotate_projectcount", ("project_id",), "articles",
             "SELECT project_id, count(*) AS articles FROM new_rows GROUP BY project_id")}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;""",
    f"""
CREATE OR REPLACE FUNCTION annotate_count_articles_delete() RETURNS trigger AS $$
BEGIN{pg_add("annotate_projectcount", ("project_id",), "articles",
             "SELECT project_id, -count(*) AS articles FROM old_rows GROUP BY project_id")}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;""",
    # Row by row, and only when the project changes: a move is one article edited in admin.
    """
CREATE OR REPLACE FUNCTION annotate_article_stays_in_project() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM annotate_assignment WHERE article_id = OLD.id)
       OR EXISTS (SELECT 1 FROM annotate_annotation WHERE article_id = OLD.id) THEN
        RAISE EXCEPTION 'article % has assignments or annotations: it cannot move to another project', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    UPDATE annotate_projectcount SET articles = articles - 1 WHERE project_id = OLD.project_id;
    INSERT INTO annotate_projectcount AS t (project_id, articles) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET articles = t.articles + 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;""",
    """
CREATE OR REPLACE FUNCTION annotate_count_truncated() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'annotate_assignment' THEN
        DELETE FROM annotate_assignmentcount;
        DELETE FROM annotate_assignmentdaycount;
        DELETE FROM annotate_durationbucket;
    ELSIF TG_TABLE_NAME = 'annotate_article' THEN
        UPDATE annotate_projectcount SET articles = 0 WHERE articles <> 0;
    ELSE
        UPDATE annotate_projectcount SET gold = 0 WHERE gold <> 0;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;""",
    *(f"CREATE TRIGGER annotate_count_assignments_{event} AFTER {event.upper()} ON annotate_assignment "
      f"REFERENCING {PG_REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION annotate_count_assignments_{event}();"
      for event in PG_EVENTS),
    *(f"CREATE TRIGGER annotate_count_gold_{event} AFTER {event.upper()} ON annotate_annotation "
      f"REFERENCING {PG_REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION annotate_count_gold_{event}();"
      for event in PG_EVENTS),
    *(f"CREATE TRIGGER annotate_count_articles_{event} AFTER {event.upper()} ON annotate_article "
      f"REFERENCING {PG_REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION annotate_count_articles_{event}();"
      for event in ("insert", "delete")),
    """CREATE TRIGGER annotate_article_stays_in_project AFTER UPDATE OF project_id ON annotate_article
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION annotate_article_stays_in_project();""",
    *(f"CREATE TRIGGER annotate_count_truncated AFTER TRUNCATE ON {table} "
      "FOR EACH STATEMENT EXECUTE FUNCTION annotate_count_truncated();"
      for table in ("annotate_assignment", "annotate_article", "annotate_annotation")),
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS annotate_count_assignments_{event} ON annotate_assignment;" for event in PG_EVENTS),
    *(f"DROP TRIGGER IF EXISTS annotate_count_gold_{event} ON annotate_annotation;" for event in PG_EVENTS),
    *(f"DROP TRIGGER IF EXISTS annotate_count_articles_{event} ON annotate_article;" for event in ("insert", "delete")),
    "DROP TRIGGER IF EXISTS annotate_article_stays_in_project ON annotate_article;",
    *(f"DROP TRIGGER IF EXISTS annotate_count_truncated ON {table};"
      for table in ("annotate_assignment", "annotate_article", "annotate_annotation")),
    *(f"DROP FUNCTION IF EXISTS annotate_count_assignments_{event}();" for event in PG_EVENTS),
    *(f"DROP FUNCTION IF EXISTS annotate_count_gold_{event}();" for event in PG_EVENTS),
    "DROP FUNCTION IF EXISTS annotate_count_articles_insert();",
    "DROP FUNCTION IF EXISTS annotate_count_articles_delete();",
    "DROP FUNCTION IF EXISTS annotate_article_stays_in_project();",
    "DROP FUNCTION IF EXISTS annotate_count_truncated();",
]


# SQLite -------------------------------------------------------------------------------------------------


def sqlite_add(counter: Counter, row: str) -> str:
    """One assignment row (NEW) added to one counter."""
    keys = ", ".join(counter.key)
    return (f"INSERT INTO {counter.table} ({keys}, n) "
            f"SELECT {counter.of(Dialect('sqlite'), row, 'a.project_id')}, 1 FROM annotate_article a "
            f"WHERE a.id = {row}.article_id AND {counter.counts(row)} "
            f"ON CONFLICT ({keys}) DO UPDATE SET n = n + excluded.n;")


def sqlite_take(counter: Counter, row: str) -> str:
    """One assignment row (OLD) taken from one counter: only a row that exists is lowered."""
    values = ", ".join(counter.values(Dialect("sqlite"), row, "a.project_id"))
    return (f"UPDATE {counter.table} SET n = n - 1 WHERE ({', '.join(counter.key)}) = "
            f"(SELECT {values} FROM annotate_article a WHERE a.id = {row}.article_id AND {counter.counts(row)});")


def sqlite_trigger(name: str, when: str, body: list[str]) -> str:
    return f"CREATE TRIGGER {name} {when}\nBEGIN\n    " + "\n    ".join(body) + "\nEND;"


COUNTED_COLUMNS = ("article_id", "annotator_id", "status", "started_at", "finished_at")
GOLD_UP = ("INSERT INTO annotate_projectcount (project_id, gold) SELECT a.project_id, 1 FROM annotate_article a "
           "WHERE a.id = NEW.article_id AND {when} ON CONFLICT (project_id) DO UPDATE SET gold = gold + 1;")
GOLD_DOWN = ("UPDATE annotate_projectcount SET gold = gold - 1 "
             "WHERE project_id = (SELECT project_id FROM annotate_article WHERE id = OLD.article_id) AND {when};")

SQLITE = [
    sqlite_trigger("annotate_count_assignments_insert", "AFTER INSERT ON annotate_assignment",
                   [sqlite_add(c, "NEW") for c in ASSIGNMENT_COUNTERS]),
    sqlite_trigger("annotate_count_assignments_delete", "AFTER DELETE ON annotate_assignment",
                   [sqlite_take(c, "OLD") for c in ASSIGNMENT_COUNTERS]),
    sqlite_trigger(
        "annotate_count_assignments_update",
        f"AFTER UPDATE OF {', '.join(COUNTED_COLUMNS)} ON annotate_assignment\nWHEN "
        + " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in COUNTED_COLUMNS),
        [*(sqlite_take(c, "OLD") for c in ASSIGNMENT_COUNTERS), *(sqlite_add(c, "NEW") for c in ASSIGNMENT_COUNTERS)]),
    sqlite_trigger("annotate_count_articles_insert", "AFTER INSERT ON annotate_article", [
        "INSERT INTO annotate_projectcount (project_id, articles) VALUES (NEW.project_id, 1) "
        "ON CONFLICT (project_id) DO UPDATE SET articles = articles + 1;"]),
    sqlite_trigger("annotate_count_articles_delete", "AFTER DELETE ON annotate_article", [
        "UPDATE annotate_projectcount SET articles = articles - 1 WHERE project_id = OLD.project_id;"]),
    sqlite_trigger(
        "annotate_article_stays_in_project",
        "BEFORE UPDATE OF project_id ON annotate_article\nWHEN NEW.project_id IS NOT OLD.project_id AND ("
        "EXISTS (SELECT 1 FROM annotate_assignment WHERE article_id = OLD.id) "
        "OR EXISTS (SELECT 1 FROM annotate_annotation WHERE article_id = OLD.id))",
        ["SELECT RAISE(ABORT, 'article has assignments or annotations: it cannot move to another project');"]),
    sqlite_trigger("annotate_count_articles_move",
                   "AFTER UPDATE OF project_id ON annotate_article\nWHEN NEW.project_id IS NOT OLD.project_id", [
                       "UPDATE annotate_projectcount SET articles = articles - 1 WHERE project_id = OLD.project_id;",
                       "INSERT INTO annotate_projectcount (project_id, articles) VALUES (NEW.project_id, 1) "
                       "ON CONFLICT (project_id) DO UPDATE SET articles = articles + 1;"]),
    sqlite_trigger("annotate_count_gold_insert", f"AFTER INSERT ON annotate_annotation\nWHEN {gold('NEW')}",
                   [GOLD_UP.format(when="1 = 1")]),
    sqlite_trigger("annotate_count_gold_delete", f"AFTER DELETE ON annotate_annotation\nWHEN {gold('OLD')}",
                   [GOLD_DOWN.format(when="1 = 1")]),
    sqlite_trigger(
        "annotate_count_gold_update",
        "AFTER UPDATE OF is_gold, status, article_id ON annotate_annotation\nWHEN "
        "OLD.is_gold IS NOT NEW.is_gold OR OLD.status IS NOT NEW.status OR OLD.article_id IS NOT NEW.article_id",
        [GOLD_DOWN.format(when=gold("OLD")), GOLD_UP.format(when=gold("NEW"))]),
]
SQLITE_TRIGGERS = [sql.split()[2] for sql in SQLITE]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS]


# Both ---------------------------------------------------------------------------------------------------


def refill_statements(vendor: str) -> list[str]:
    """Empty the counters and count every row again, in set-based statements."""
    dialect = Dialect(vendor)
    return [
        *(f"DELETE FROM {table};" for table in COUNTER_TABLES),
        *(f"INSERT INTO {c.table} ({', '.join(c.key)}, n) SELECT {c.of(dialect, 'r', 'a.project_id')}, count(*) "
          f"FROM annotate_assignment r JOIN annotate_article a ON a.id = r.article_id WHERE {c.counts('r')} "
          f"GROUP BY {c.positions};"
          for c in ASSIGNMENT_COUNTERS),
        "INSERT INTO annotate_projectcount (project_id, articles, gold) SELECT p.id, "
        "(SELECT count(*) FROM annotate_article a WHERE a.project_id = p.id), "
        "(SELECT count(*) FROM annotate_annotation r JOIN annotate_article a ON a.id = r.article_id "
        f"WHERE a.project_id = p.id AND {gold('r')}) FROM annotate_project p;",
    ]


def install_triggers(connection):
    statements = {"postgresql": POSTGRES, "sqlite": SQLITE}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, None)  # None: no placeholders, the % in RAISE is literal


def remove_triggers(connection):
    statements = {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, None)


def refill(connection):
    """Count everything again (the repair, services/counters.py, calls this under a lock)."""
    with connection.cursor() as cursor:
        for sql in refill_statements(connection.vendor):
            cursor.execute(sql, None)


def forwards(apps, schema_editor):
    # Triggers first: on PostgreSQL creating them locks out writers until this migration commits, so
    # nothing written while the counters are filled escapes them.
    install_triggers(schema_editor.connection)
    refill(schema_editor.connection)


def backwards(apps, schema_editor):
    remove_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0006_needs_annotators"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ProjectCount",
            fields=[
                ("project", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                 related_name="+", serialize=False, to="annotate.project")),
                ("articles", models.BigIntegerField(db_default=0, default=0)),
                ("gold", models.BigIntegerField(db_default=0, default=0)),
            ],
        ),
        migrations.CreateModel(
            name="AssignmentCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(max_length=20)),
                ("n", models.BigIntegerField(db_default=0, default=0)),
                ("annotator", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                                related_name="+", to=settings.AUTH_USER_MODEL)),
                ("project", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                              related_name="+", to="annotate.project")),
            ],
            options={
                "indexes": [models.Index(fields=["annotator", "project"], name="assignmentcount_mine")],
                "constraints": [models.UniqueConstraint(fields=("project", "annotator", "status"),
                                                        name="one_count_per_annotator_status")],
            },
        ),
        migrations.CreateModel(
            name="AssignmentDayCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("status", models.CharField(max_length=20)),
                ("n", models.BigIntegerField(db_default=0, default=0)),
                ("project", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                              related_name="+", to="annotate.project")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("project", "day", "status"),
                                                        name="one_count_per_day_status")],
            },
        ),
        migrations.CreateModel(
            name="DurationBucket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seconds", models.PositiveIntegerField()),
                ("n", models.BigIntegerField(db_default=0, default=0)),
                ("annotator", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                to=settings.AUTH_USER_MODEL)),
                ("project", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                              related_name="+", to="annotate.project")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("project", "annotator", "seconds"),
                                                        name="one_count_per_duration_bucket")],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
