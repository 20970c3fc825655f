"""Reverting a correction: the article's earlier text back, and its spans as they were.

What "restore" means once the text has changed: a layer's own restore (services/restoring.py) cannot go
back past a re-anchoring, because the offsets it would write back point into a text the article no
longer has; it says so and points here. A revert is a re-anchoring back to the revision's earlier text,
made by a manager of the project (the admin's correction page):

* every layer nobody changed since the correction (its version is still the one the correction left it
  at) gets its spans back exactly as they were: offsets, pieces, snapshot and flag;
* a layer changed since is re-anchored back like any correction: its spans move, or are flagged where
  the text they cover is not in the earlier text.

It is recorded as a correction of its own (`reverts` names the one it undid), so it can be reverted too.
Only the latest correction of an article can be reverted: the article's text must still be its text.
"""
from django.core.exceptions import ValidationError
from django.db import transaction

from ...models import Annotation, Article, ArticleRevision
from .applying import Reanchored, reanchor_article


@transaction.atomic
def revert_revision(*, revision: ArticleRevision, actor=None) -> Reanchored:
    article = Article.objects.select_for_update().only("pk", "text").get(pk=revision.article_id)
    if article.text != revision.text_after:
        raise ValidationError({"revision": f"the text of {article} changed after correction {revision.pk}: "
                                           "revert the later correction first."})
    versions = dict(Annotation.objects.filter(article_id=article.pk).values_list("pk", "version"))
    exact = {int(layer_id): recorded["spans"] for layer_id, recorded in revision.layers.items()
             if versions.get(int(layer_id)) == recorded["version"]}
    return reanchor_article(article=article, new_text=revision.text_before, actor=actor, reverts=revision,
                            source=f"revert of correction {revision.pk}", exact=exact)
