"""The dashboards' figures, kept as counts instead of recomputed over the corpus on every view.

Each article's contribution to the project's figures (its stances by holder, target and polarity, its
mentions of each source, its spans per label, its share of the agreement counts) is stored with the
article; the project's totals are the sum of those contributions, kept by adding the difference each
time an article's contribution is recounted (annotate/services/figures.py). A page then reads a few
hundred total rows, whatever the corpus holds.

Database triggers (migration 0008) mark an article stale whenever anything in one of its corpus layers
(submitted, or adjudicated gold) changes, whoever writes: services, admin, imports, fixtures, raw SQL.
Writers recount the articles they changed before they commit; a mark left by any other writer is
recounted by the next reader (a bounded number per request) or by `manage.py refresh_figures`.
"""
from django.db import models

from .project import Project


class ArticleFigures(models.Model):
    """One article's contribution to its project's totals: {family: {key: count}} as last counted.

    Keyed by the article's id without a foreign key: the row must outlive its article until the
    contribution has been taken out of the totals (an article is recounted as empty once it is gone).
    """

    article_id = models.BigIntegerField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    counts = models.JSONField(default=dict)
    counted_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"figures of article {self.article_id}"


class ProjectFigure(models.Model):
    """One total of a project: the sum of every article's count under (family, key).

    Keys are JSON arrays of ids (a holder, a target, a label, a user), never names, so renaming a
    label or a source changes no count; names are looked up when a page reads them.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=20)
    key = models.TextField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "family", "key"], name="one_total_per_key")]

    def __str__(self):
        return f"{self.family} {self.key}: {self.n}"


class MapEntry(models.Model):
    """One stance of the stance map, filed under its cell: the index its evidence pages are read by.

    Kept with the article's figures (the same recount), so a cell's stances come a page at a time by
    (project, target, holder, stance id), however many stances the corpus or the cell holds.
    """

    stance_id = models.BigIntegerField(primary_key=True)
    article_id = models.BigIntegerField(db_index=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    target_id = models.BigIntegerField()
    holder = models.TextField()  # the holder's key, as in the "stances" totals (encoded)

    class Meta:
        indexes = [models.Index(fields=["project", "target_id", "holder", "stance_id"], name="map_entry_cell")]

    def __str__(self):
        return f"stance {self.stance_id} under {self.holder}"


class StaleArticle(models.Model):
    """An article whose corpus changed since its figures were counted (written by triggers).

    No foreign keys: triggers insert these while cascades delete, in any order, and a mark for an
    article that is gone is still right (it is recounted as empty).
    """

    article_id = models.BigIntegerField(primary_key=True)
    project_id = models.BigIntegerField(db_index=True)
    marked_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"article {self.article_id} (stale)"
