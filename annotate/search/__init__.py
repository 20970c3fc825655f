"""Corpus search (issue 15): find articles by their text and their annotations (docs/search.md).

query.py    the query language: text -> a tree (parse, render, fields_used); no database here.
compile.py  the tree -> a plan: which articles match (the full-text index, article fields), which items are
            hits (relational filters), all within what the user may see.
hits.py     run a plan: a page of hits in context or of articles, keyset cursors, bounded counts.
index.py    the article full-text index in each database's engine (PostgreSQL tsvector, SQLite FTS5).
"""
