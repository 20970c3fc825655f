"""The article full-text index of corpus search, in each database's own engine (docs/search.md).

What is indexed: an article's title and text, folded for matching the way annotate/suggestions/textnorm.py
folds (Arabic alef forms read as ا, taa marbuta as ه, alef maqsura as ي, harakat and tatweel dropped; the
engines fold case themselves). The stored text is never changed: the folding is in the indexed expression.

PostgreSQL: a STORED generated column, annotate_article.search_document =
`annotate_search_document(language, title, text)`, a tsvector in the article's language where it is known (en,
fr, ar; else the `simple` configuration), with a GIN index. The database computes it in the statement of every
write, whoever writes (the ORM, the importer's COPY, psql): it is never behind. Django's models do not know the
column (it is never written, only searched: compile.py names it). A generated column rather than an index on
the expression: phrase and prefix matches are re-checked against the row, which then reads the stored vector
instead of parsing the article again (a page of a common phrase took seconds that way).

SQLite: an FTS5 table without content (the folded text is not stored twice), its rowid the article's id,
kept by triggers on annotate_article INSERT, UPDATE OF title/text and DELETE, so the importer's raw inserts
and a flush's row-by-row deletes keep it too. A contentless table forgets what it indexed: a delete must
give the same folded values again, which the triggers recompute from the old row (the folding is
deterministic). A migration that rebuilds annotate_article on SQLite drops these triggers (migration 0007's
note): it must call `remove_triggers` before and `install_triggers` then `rebuild` after.

Spans, relations and stances are not indexed here: they are relational rows, filtered through their own
indexes once the candidate articles are known, so an item is searchable the moment it is written.
"""
from annotate.suggestions.textnorm import MARKS, fold_word

# The letters folded to another letter, and what they become (from textnorm, so both sides agree).
LETTERS = "أإآٱةى"
LETTERS_TO = "".join(fold_word(letter) for letter in LETTERS)
DROPPED = "".join(sorted(MARKS))

FTS_TABLE = "annotate_article_search"


# SQLite's parser refuses an expression nested much deeper than 25 calls ("parser stack overflow"), and
# folding takes one replace() per mark or letter (29): the folding is done in stages of at most STAGE calls,
# each stage a sub-select reading the one before (each sub-select is parsed on its own, so depths do not add).
STAGE = 12


def _replacements() -> list[tuple[str, str]]:
    return [(mark, "") for mark in DROPPED] + list(zip(LETTERS, LETTERS_TO, strict=True))


def sqlite_folded(row_id: str, expression: str, table: str = "") -> str:
    """A SELECT of (row_id, `expression` folded) [from `table`] on SQLite: replace() calls in nested stages."""
    steps = _replacements()
    sql, value = None, expression
    for first in range(0, len(steps), STAGE):
        folded = value
        for old, new in steps[first:first + STAGE]:
            folded = f"replace({folded}, '{old}', '{new}')"
        source = f" FROM ({sql})" if sql else (f" FROM {table}" if table else "")
        last = first + STAGE >= len(steps)
        sql = f"SELECT {row_id if last else row_id + ' AS i'}, {folded} AS x{source}"
        value, row_id = "x", "i"
    return sql


def _folded(row: str) -> str:
    return sqlite_folded(f"{row}.id", f"{row}.title || ' ' || {row}.text")


SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "document, content='', tokenize='unicode61 remove_diacritics 2')"
)
_DELETE = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, document) SELECT 'delete', * FROM ({_folded('old')});"
_INSERT = f"INSERT INTO {FTS_TABLE}(rowid, document) {_folded('new')};"
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON annotate_article BEGIN {_INSERT} END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF title, text ON annotate_article BEGIN {_DELETE} {_INSERT} END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON annotate_article BEGIN {_DELETE} END",
]
SQLITE_TRIGGERS_REVERSE = [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{event}" for event in ("insert", "update", "delete")]
SQLITE_REBUILD = [
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')",
    f"INSERT INTO {FTS_TABLE}(rowid, document) " + sqlite_folded("id", "title || ' ' || text", "annotate_article"),
]

# Which configuration an article's language asks for; `language` is as the source gave it ("en", "EN-us").
POSTGRES_CONFIGS = {"en": "english", "fr": "french", "ar": "arabic"}
_CASE = " ".join(f"WHEN '{code}' THEN '{config}'" for code, config in POSTGRES_CONFIGS.items())
# IMMUTABLE: the expression index needs it, and each function only reads its arguments. The regconfig
# names are resolved by name, which is why the configurations are the built-in ones.
POSTGRES_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION annotate_search_fold(value text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT translate(regexp_replace(value, '[{DROPPED}]', '', 'g'), '{LETTERS}', '{LETTERS_TO}') $$""",
    f"""CREATE OR REPLACE FUNCTION annotate_search_config(language text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT (CASE lower(split_part(coalesce(language, ''), '-', 1)) {_CASE} ELSE 'simple' END)::regconfig
        $$""",
    """CREATE OR REPLACE FUNCTION annotate_search_document(language text, title text, body text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT to_tsvector(annotate_search_config(language),
                                 annotate_search_fold(coalesce(title, '') || ' ' || coalesce(body, ''))) $$""",
]
POSTGRES_FUNCTIONS_REVERSE = [
    "DROP FUNCTION IF EXISTS annotate_search_document(text, text, text)",
    "DROP FUNCTION IF EXISTS annotate_search_config(text)",
    "DROP FUNCTION IF EXISTS annotate_search_fold(text)",
]
POSTGRES_COLUMN = [
    "ALTER TABLE annotate_article ADD COLUMN IF NOT EXISTS search_document tsvector "
    "GENERATED ALWAYS AS (annotate_search_document(language, title, text)) STORED",
]
POSTGRES_COLUMN_REVERSE = ["ALTER TABLE annotate_article DROP COLUMN IF EXISTS search_document"]
# name -> definition; built CONCURRENTLY (see the migration) so a live corpus keeps taking writes.
POSTGRES_INDEXES = {
    "annotate_article_search": "annotate_article USING gin (search_document)",
    # source:/holder: look entities up by name or alias, "contains" and similarity (pg_trgm).
    "annotate_entity_name_trgm": "annotate_entity USING gin (UPPER(name::text) gin_trgm_ops)",
    "annotate_entity_aliases_trgm": "annotate_entity USING gin (UPPER(aliases::text) gin_trgm_ops)",
}


def _run(connection, statements) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, None)  # None: no placeholders


def install_triggers(connection) -> None:
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_TRIGGERS)


def remove_triggers(connection) -> None:
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_TRIGGERS_REVERSE)


def rebuild(connection) -> None:
    """Index every article again (SQLite; PostgreSQL's expression index is never behind)."""
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_REBUILD)


def create(connection) -> None:
    """The index and what keeps it, for the articles already there (the migration)."""
    if connection.vendor == "sqlite":
        _run(connection, [SQLITE_TABLE])
        rebuild(connection)
        install_triggers(connection)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_FUNCTIONS + POSTGRES_COLUMN)
        for name, definition in POSTGRES_INDEXES.items():
            # A build that failed half-way leaves an invalid index: drop it and build again.
            _run(connection, [f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
                              f"CREATE INDEX CONCURRENTLY {name} ON {definition}"])


def drop(connection) -> None:
    if connection.vendor == "sqlite":
        remove_triggers(connection)
        _run(connection, [f"DROP TABLE IF EXISTS {FTS_TABLE}"])
    elif connection.vendor == "postgresql":
        _run(connection, [f"DROP INDEX CONCURRENTLY IF EXISTS {name}" for name in POSTGRES_INDEXES])
        _run(connection, POSTGRES_COLUMN_REVERSE + POSTGRES_FUNCTIONS_REVERSE)
