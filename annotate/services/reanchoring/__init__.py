"""Corrected article texts, annotations kept (docs/format.md, "Corrected texts: --reanchor").

    diffing.py    the old and new text's shared stretches (diff-match-patch, words then characters)
    mapping.py    each span placed in the new text: unchanged, moved or flagged (no database)
    applying.py   reanchor_article: the new text and every layer's spans, one version and history step a layer
    reverting.py  revert_revision: a correction undone (the earlier text, the spans exactly as they were)
"""
from .applying import Reanchored, reanchor_article
from .reverting import revert_revision

__all__ = ["Reanchored", "reanchor_article", "revert_revision"]
