"""Fast inserts of plain rows for the importer's hot path.

bulk_create builds a model instance per row and compiles parameters for each
field; at 70 spans an article that is most of an import's time. Here rows are
tuples and the database does the work: COPY on PostgreSQL, executemany on
SQLite. Validation has already happened (the interchange parser and the
importer's vocabulary checks), and the database constraints still apply.

Ids are allocated up front so that later rows (relations, stance evidence)
can point at spans inserted in the same batch without reading them back:
from the table's sequence on PostgreSQL, and from max(id) on SQLite, where the
importer's IMMEDIATE transaction holds the write lock so nobody else can take
the same ids meanwhile.
"""
import datetime as dt
import queue
import threading
from collections.abc import Sequence
from contextlib import contextmanager

import orjson
from django.db import connection, models


def json_text(value) -> str:
    """A JSON column's value as the text both drivers accept."""
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    return orjson.dumps(value).decode()


def timestamp(value: dt.datetime):
    """A datetime as the driver takes it (SQLite stores text in Django's format)."""
    if connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value(value)
    return value


def allocate_ids(model: type[models.Model], count: int) -> Sequence[int]:
    """`count` new ids for `model`'s table, increasing (a range when they are consecutive, as they mostly are)."""
    if count == 0:
        return range(0)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One row back whatever the count: the ids are consecutive unless another session took some
            # meanwhile, and only then are they sent one by one.
            cursor.execute(
                "SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL"
                " ELSE array_agg(id ORDER BY id) END"
                " FROM (SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s)) AS ids",
                [_sequence(cursor, table), count],
            )
            first, last, scattered = cursor.fetchone()
            return range(first, last + 1) if scattered is None else scattered
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT max(coalesce((SELECT max(id) FROM {quoted}), 0),"
            " coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        first = cursor.fetchone()[0] + 1
        return range(first, first + count)


# (database, table) -> its id sequence. Looked up once: pg_get_serial_sequence in the select list
# would be evaluated for every id (a catalog lookup each, 4 s of a 10k-article import).
_SEQUENCES: dict[tuple[str, str], str] = {}


def _sequence(cursor, table: str) -> str:
    key = (connection.settings_dict["NAME"], table)
    if key not in _SEQUENCES:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        _SEQUENCES[key] = cursor.fetchone()[0]
    return _SEQUENCES[key]


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """INSERT `rows`: tuples in the order of `fields` (model field names or attnames), values ready for the
    driver (JSON as text via json_text, datetimes via timestamp, dates as datetime.date)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [model._meta.get_field(name).column for name in fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", rows)


class RowWriter:
    """Inserts batches of rows, overlapping the database's work with the caller's.

    On PostgreSQL a background thread runs the COPYs on the caller's own
    connection (psycopg serialises use of a connection with a lock, and the
    rows land in the caller's transaction), so the server checks foreign keys
    and maintains indexes for one batch while Python prepares the next.
    Constraints are made IMMEDIATE for that reason: deferred, they would all be
    checked at COMMIT, after Python has finished, with nothing to overlap.
    Elsewhere (SQLite) it simply inserts in line.
    """

    def __init__(self):
        self.background = connection.vendor == "postgresql"
        self.error: BaseException | None = None
        if self.background:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.raw = connection.connection
            self.wrap_errors = connection.wrap_database_errors
            self.queue: queue.Queue = queue.Queue(maxsize=4)
            self.thread = threading.Thread(target=self._drain, name="row-writer", daemon=True)
            self.thread.start()

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        if not self.background:
            insert_rows(model, fields, rows)
            return
        self._raise()
        columns = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
        self.queue.put((f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN", rows))

    @contextmanager
    def constraints_deferred(self):
        """For ORM deletes inside the import: Django's collector orders deletes for deferred FKs."""
        if not self.background:
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def _drain(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is not None:
                continue  # the transaction is lost; just empty the queue
            sql, rows = item
            try:
                # Django's wrapper turns driver errors into django.db errors, as on the caller's own cursor.
                with self.wrap_errors, self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            except BaseException as error:  # handed to the caller's thread by _raise()
                self.error = error

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Wait for every queued batch; re-raise the first failure in the caller's thread."""
        if self.background:
            self.queue.put(None)
            self.thread.join()
            if self.error is None:
                # Back to Django's default for the rest of the caller's transaction: ORM deletes
                # rely on deferred foreign keys to delete in any order.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self._raise()
