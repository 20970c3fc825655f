"""An article's corrected texts: what each re-anchoring replaced, so that an admin can revert it.

Only services/reanchoring changes an annotated article's text. It keeps the text it replaced here,
with every span of every layer as it was before (its offsets, pieces, snapshot and flag) and the
version it left each layer at; a revert puts the old text back and, in every layer nobody changed
since, the spans exactly as they were (reanchoring/reverting.py).
"""
from django.conf import settings
from django.db import models

from .article import Article


class ArticleRevision(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions", db_index=False)
    text_before = models.TextField()
    text_after = models.TextField()
    # Where the correction came from: the imported file, or "revert of correction N".
    source = models.CharField(max_length=1000, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # {layer id (str): {"version": the layer's version after, "spans": {span id (str): its state before}}}
    layers = models.JSONField(default=dict)
    # {"moved": N, "flagged": M, "unchanged": K}: the spans of all its layers.
    counts = models.JSONField(default=dict)
    reverts = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reverted_by")

    class Meta:
        ordering = ["article", "-id"]
        indexes = [models.Index(fields=["article", "id"], name="revision_article_in_order")]

    def __str__(self):
        return f"correction {self.pk} of {self.article}"


class TextChangePermit(models.Model):
    """Present only inside the transaction of a re-anchoring, which inserts it, changes the article's text,
    and deletes it: the database trigger lets an annotated article's text change only while a permit for
    it exists (migration 0022). A table, not a temporary one: SQLite's triggers cannot see temp tables."""

    article = models.OneToOneField(Article, primary_key=True, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"text change permit for article {self.article_id}"
