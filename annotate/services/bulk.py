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
the same ids meanwhile (RowWriter.allocate_ids then counts on from there).
"""
import datetime as dt
import queue
import threading
from collections.abc import Sequence
from contextlib import ExitStack, contextmanager

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

    A background thread runs the inserts on the caller's own connection, so the rows land in the
    caller's transaction, and the database checks foreign keys and maintains indexes for one batch
    while Python prepares the next.

    * PostgreSQL: COPY. psycopg serialises use of a connection with a lock. Constraints are made
      IMMEDIATE: deferred, they would all be checked at COMMIT, after Python has finished, with
      nothing to overlap.
    * SQLite: executemany. The sqlite3 module lets go of the GIL while SQLite steps through a
      statement, and SQLite serialises calls on one connection; the caller's own statements wait
      for the insert under way (`_one_at_a_time`), so a count of changed rows is never another
      statement's. Ids come from `allocate_ids` here, which counts on from its last allocation:
      max(id) would not yet see the rows still queued.
    """

    def __init__(self):
        self.vendor = connection.vendor
        self.error: BaseException | None = None
        self.next_ids: dict[str, int] = {}  # SQLite: table -> the first id not handed out yet
        self.busy = threading.Lock()  # held by the background thread while it inserts (SQLite)
        self.wrapped = ExitStack()
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.raw = connection.connection
        self.wrap_errors = connection.wrap_database_errors
        if self.vendor == "sqlite":
            self.wrapped.enter_context(connection.execute_wrapper(self._one_at_a_time))
        self.queue: queue.Queue = queue.Queue(maxsize=4)
        self.thread = threading.Thread(target=self._drain, name="row-writer", daemon=True)
        self.thread.start()

    def allocate_ids(self, model: type[models.Model], count: int) -> Sequence[int]:
        """`count` new ids for `model`, never one of a row still queued."""
        if self.vendor != "sqlite":
            return allocate_ids(model, count)
        table = model._meta.db_table
        if table not in self.next_ids:
            self.next_ids[table] = allocate_ids(model, 1)[0]  # max(id) + 1, before any row of ours is queued
        first = self.next_ids[table]
        self.next_ids[table] = first + count
        return range(first, first + count)

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        self._raise()
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
        if self.vendor == "postgresql":
            self.queue.put((f"COPY {table} ({columns}) FROM STDIN", rows))
        else:
            self.queue.put((f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(fields))})", rows))

    def flush(self) -> None:
        """Wait until every row queued so far is in the database (raising its failure, if any)."""
        self.queue.join()
        self._raise()

    @contextmanager
    def constraints_deferred(self):
        """For ORM deletes inside the import: Django's collector orders deletes for deferred FKs."""
        if self.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def _one_at_a_time(self, execute, sql, params, many, context):
        with self.busy:
            return execute(sql, params, many, context)

    def _drain(self) -> None:
        while (item := self.queue.get()) is not None:
            try:
                if self.error is None:  # else the transaction is lost; just empty the queue
                    self._write(*item)
            except BaseException as error:  # handed to the caller's thread by _raise()
                self.error = error
            finally:
                self.queue.task_done()
        self.queue.task_done()

    def _write(self, sql: str, rows: Sequence[tuple]) -> None:
        # Django's wrapper turns driver errors into django.db errors, as on the caller's own cursor.
        if self.vendor == "postgresql":
            with self.wrap_errors, self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        with self.wrap_errors, self.busy:
            cursor = self.raw.cursor()
            try:
                cursor.executemany(sql, rows)
            finally:
                cursor.close()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Wait for every queued batch; re-raise the first failure in the caller's thread."""
        self.queue.put(None)
        self.thread.join()
        self.wrapped.close()
        if self.error is None and self.vendor == "postgresql":
            # Back to Django's default for the rest of the caller's transaction: ORM deletes
            # rely on deferred foreign keys to delete in any order.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self._raise()
