"""The Django admin, one module per area of the domain.

Importing this package (Django's autodiscover does) registers every model.
Changelists are a query budget like any other page: each ModelAdmin says in
`get_queryset`/`list_select_related` how its columns are fetched, and
tests/test_admin.py holds every changelist to a constant number of queries.
"""
from . import (  # noqa: F401 - importing them registers them
    annotations,
    article_labels,
    articles,
    bulk_operations,
    claims,
    jobs,
    projects,
    recommenders,
    releases,
    revisions,
    threads,
    users,
    webhooks,
)
