"""Admin searches that indexes answer, for the changelists of tables that grow with the corpus.

Django's admin search ORs an `icontains` per search field, joins included, for each word: over
3.4M spans that reads the whole table (and the joined ones) on every search. Here each admin says
in `search_word` what one word matches, built from two kinds of conditions an index serves:

- `contains(field, word)`: the row's own text column contains the word, case-insensitively. On
  PostgreSQL a trigram index on UPPER(column) answers it (migration 0009), which takes words of
  MIN_CONTAINS characters or more: a shorter word matches only the exact conditions. SQLite scans.
- `among(field, queryset)`: the row's foreign key is one of the rows `queryset` finds in a smaller
  table (an article's layers by its external id, users by name, entities by name). The ids are read
  first and given as a list, so PostgreSQL can OR the big table's indexes (a BitmapOr) where a join
  or a subquery in an OR would make it read every row.

Words are split as Django splits them (quotes keep a phrase together), and a row must match every
word, as in Django's own search.
"""
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import smart_split, unescape_string_literal

from ..models import Annotation, Article

MIN_CONTAINS = 3  # a trigram index cannot narrow a shorter string: it would read the whole index
MAX_IDS = 1000  # beyond this many, `among` passes a subquery: still right, no longer a short list
NOTHING = Q(pk__in=[])


def words(search_term: str) -> list[str]:
    """The search box's words, as Django's ModelAdmin.get_search_results splits them."""
    found = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            found.append(bit)
    return found


def contains(field: str, word: str) -> Q:
    """`field` contains `word` (any case), for words long enough for the trigram index."""
    return Q(**{f"{field}__icontains": word}) if len(word) >= MIN_CONTAINS else NOTHING


def among(field: str, queryset) -> Q:
    """The foreign key `field` is one of the rows of `queryset`, read now as a list of ids."""
    ids = list(queryset.order_by().values_list("pk", flat=True)[: MAX_IDS + 1])
    if len(ids) > MAX_IDS:
        return Q(**{f"{field}__in": queryset.order_by().values("pk")})
    return Q(**{f"{field}__in": ids})


def layers_of_article(word: str):
    """The layers of the articles whose external id is `word` (any case; the article search index)."""
    return Annotation.objects.filter(article__external_id__iexact=word)


def articles_matching(word: str):
    """The articles whose external id is `word` (any case) or whose title contains it."""
    return Article.objects.filter(Q(external_id__iexact=word) | contains("title", word))


def users_named(word: str):
    return get_user_model().objects.filter(username__icontains=word)


class IndexedSearchMixin:
    """Search by `search_word(word)` per word instead of Django's LIKE over every search field.

    `search_fields` stays set: the changelist shows a search box only when it is, and Django's checks
    read it; `search_help_text` says what a word matches.
    """

    def search_word(self, word: str) -> Q:
        raise NotImplementedError

    def get_search_results(self, request, queryset, search_term):
        for word in words(search_term):
            queryset = queryset.filter(self.search_word(word))
        return queryset, False
