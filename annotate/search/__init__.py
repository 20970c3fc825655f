"""Corpus search (issue 15): find articles by their text and their annotations.

query.py  the query language: text -> a tree (parse, render, fields_used); no database here.
          More modules will follow (the tree -> a queryset, the search page and API).
"""
