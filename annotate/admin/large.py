"""Changelists of the tables that grow with the corpus: what a page costs must not grow with them.

At 50k articles the span table holds 3.4M rows, relations 1.8M, stances 0.4M, and the history grows
with every write; articles, layers and assignments grow with the corpus too. Django's changelist
counts every matching row twice per page (the filtered count and the full total), can add facet
counts over the whole table, sorts by any column and searches with a LIKE per column over joins.
A `LargeTableAdmin` instead:

- counts at most COUNT_CAP + 1 rows: "more than 10,000 spans", and pages through those first ones
  (search, filter or sort by id ascending to reach others). An unfiltered list of a larger table
  says PostgreSQL's own estimate, read from the planner, not counted: "about 3,380,000 spans";
- shows no full total and no facet counts;
- lists newest first by primary key, and sorts only by the columns in `sortable_by`: its own
  columns on tables of article size (a top-N sort of one table), the id alone on the item tables;
- searches through indexes (search.py; the PostgreSQL indexes are in migration 0009).

The templates admin/annotate/{pagination,search_form,actions}.html print the paginator's
`count_text` where Django prints the count.
"""
import json

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import IntegerField, Subquery
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` + 1 rows.

    `count` is the exact number up to the cap and `cap` + 1 beyond it, so the pages stop after the
    cap's rows and no page needs a deep OFFSET. `count_text` says what was counted: "57",
    "more than 10,000", or "about 3,380,000" for an unfiltered table on PostgreSQL.
    """

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        # values("pk"): Django keeps a sliced queryset's annotations in the counted subquery, and
        # the layer and article lists annotate counts that would then run once per counted row.
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count_text(self) -> str:
        if self.count <= self.cap:
            return str(self.count)
        estimate = planner_estimate(self.object_list)
        if estimate is not None and estimate > self.cap:
            return f"about {round_estimate(estimate):,}"
        return f"more than {self.cap:,}"

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of an unfiltered queryset's rows, or None (filtered, or another database).

    The planner scales the table's last statistics (autovacuum's ANALYZE) by its current size in
    pages, so the figure follows the table between analyses; reading it costs no scan.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or queryset.query.where or queryset.query.distinct:
        return None
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table}")
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def round_estimate(n: int) -> int:
    """Three significant digits: an estimate printed to the unit would claim a precision it lacks."""
    digits = len(str(n))
    return n if digits <= 3 else round(n, 3 - digits)


class CappedCount(Subquery):
    """COUNT(*) of a correlated subquery's first rows: `(SELECT COUNT(*) FROM (<subquery> LIMIT n))`.

    For a count per changelist row that can be large (an entity's mentions): each row counts at most
    the limit's rows, so a page costs the same however many mentions the corpus holds.
    """

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


class LargeTableAdmin(admin.ModelAdmin):
    """A ModelAdmin whose changelist costs the same at any table size (see the module's docstring)."""

    paginator = CappedPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-pk"]
    sortable_by = ["id"]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if changelist is not None and changelist.paginator.is_capped:
            # Django writes "All 10001 selected" from the capped count; say what it is.
            context["selection_note_all"] = f"All {changelist.paginator.count_text} selected"
        return response
