"""A query tree (query.py) -> a plan: which articles match, which items are hits (docs/search.md).

Fields are of two sorts:
- article fields: free text (and `text:`), searched in the article full-text index (index.py); `article:`,
  `language:`, and `has:KIND` (the article has a visible item of that kind: span, relation, stance, or a
  label or relation type by name);
- item fields: `label:`, `source:`, `holder:`, `target:`, `polarity:`, `annotator:`, `status:`, read on one
  span, relation or stance.

A query with an item field has items as hits: the query is evaluated on each item, its article fields on
the item's article and its free text on the item's own text (a span's text, a relation's two ends, a
stance's holder and evidence; folded, "contains"). The articles are first narrowed by what the full-text
index can say (the free text not under NOT or OR), so a text term never reads every span of the corpus.
A query without item fields has text hits, the occurrences of its free text, or, with no free text either
(`has:stance`, `article:x`), the visible items of the matching articles (of the kinds `has:` names).

Everything is filtered by what the user may see: the articles of the project they may see
(Article.objects.visible_to) and the items of the layers they may see (Annotation.objects.visible_to).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Contains, Exact, IContains, IExact, IStartsWith

from annotate.models import (
    Annotation,
    Entity,
    Label,
    Membership,
    Polarity,
    Relation,
    RelationType,
    Span,
    Stance,
    StanceTarget,
)
from annotate.suggestions.textnorm import fold_word

from . import index
from .query import And, Field, Node, Not, Text

ITEM_FIELDS = frozenset({"label", "source", "holder", "target", "polarity", "annotator", "status"})
KINDS = ("span", "relation", "stance")
MODELS = {"span": Span, "relation": Relation, "stance": Stance}
WORD = re.compile(r"\w+")

# Constant predicates, folded away where they meet And/Or/Not so that a field matching nothing (another
# annotator's name, say) costs no query.
TRUE, FALSE = Q(), Q(pk__in=[])


class Fold(Func):
    """A text folded for matching as textnorm folds it (case, Arabic letters, harakat): PostgreSQL's
    annotate_search_fold (migration 0016) and lower(); on SQLite a Python function (`register_sqlite`)."""

    function = "annotate_search_fold"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="lower(annotate_search_fold(%(expressions)s))", **extra)


class PerRowExists(Exists):
    """EXISTS that PostgreSQL answers row by row through the subquery's indexes. Without OFFSET 0 it turns an
    EXISTS under OR into a hash of the subquery over the whole corpus (every relation, for a span's source),
    built for every page: that grew with the corpus, this does not."""

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXISTS(%(subquery)s OFFSET 0)", **extra)


class Similar(Func):
    """pg_trgm's `a % b`: the two texts are similar (a fuzzy name)."""

    arg_joiner = " %% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def register_sqlite(conn=connection) -> None:
    """Give this SQLite connection the folding function that item text terms use (deterministic)."""
    if conn.vendor != "sqlite":
        return
    conn.ensure_connection()
    # Cheap, and a sqlite3 connection takes no attribute to remember it by: registered on every search.
    conn.connection.create_function("annotate_search_fold", 1, _fold_or_none, deterministic=True)


def _fold_or_none(value):
    return None if value is None else fold_word(value)


@dataclass(frozen=True)
class Plan:
    hits: str  # "items" or "text"
    terms: tuple[Text, ...]  # free text outside NOT: what text hits mark
    articles: Q  # over Article, with visibility: an article matches iff it has hits (text: modulo stemming)
    narrowing: Q  # over Article: what the index says before items are read (items mode)
    items: dict  # kind -> Q over that kind's model, visibility included; only the kinds that can be hits
    # kind -> Q over Article: it has a hit of that kind. Queried one kind at a time (hits.py): an OR of
    # EXISTS cannot be a semi-join, and PostgreSQL then hashes each subquery over the whole corpus.
    exists: dict


def _and(parts):
    parts = list(parts)
    if any(p is FALSE for p in parts):
        return FALSE
    out = TRUE
    for p in parts:
        if p is not TRUE:
            out = p if out is TRUE else out & p
    return out


def _or(parts):
    parts = list(parts)
    if any(p is TRUE for p in parts):
        return TRUE
    out = FALSE
    for p in parts:
        if p is not FALSE:
            out = p if out is FALSE else out | p
    return out


def _not(part):
    if part is TRUE:
        return FALSE
    if part is FALSE:
        return TRUE
    return ~part


def _has_item_field(node: Node) -> bool:
    if isinstance(node, Field):
        return node.name in ITEM_FIELDS
    if isinstance(node, Text):
        return False
    if isinstance(node, Not):
        return _has_item_field(node.child)
    return any(_has_item_field(child) for child in node.children)


def _positive(node: Node, kind) -> list:
    """The nodes of `kind` not under a NOT."""
    if isinstance(node, kind):
        return [node]
    if isinstance(node, Text | Field | Not):
        return []
    return [found for child in node.children for found in _positive(child, kind)]


def _text_matches(match, value: str, prefix: bool, exact: bool = False):
    """A field value as a lookup: whole value (case-insensitive) or a prefix."""
    if prefix:
        return IStartsWith(match, value)
    return IExact(match, value) if exact else IContains(match, value)


def _tokens(value: str) -> list[str]:
    return WORD.findall(fold_word(value))


# ----------------------------------------------------------------------------- the full-text index


class _Matches(Func):
    """PostgreSQL: the article's search_document (index.py) matches `lexemes` (a to_tsquery text).

    The document holds its language's lexemes; the query is the OR of the term's lexemes in each configuration,
    so one scan of the GIN index serves every language. (An English article could match the French stem of a
    word: it then holds a word of that stem, which is close enough, and cheaper than a scan per language.)
    """

    output_field = BooleanField()

    def __init__(self, lexemes: str):
        super().__init__(F("id"))
        self.lexemes = lexemes

    def as_sql(self, compiler, connection, **extra):
        pk, _ = compiler.compile(self.get_source_expressions()[0])
        # The column Django does not know, next to one it does: the same table alias.
        document = pk.rsplit(".", 1)[0] + '."search_document"' if "." in pk else '"search_document"'
        configs = [*index.POSTGRES_CONFIGS.values(), "simple"]
        query = " || ".join(f"to_tsquery('{config}'::regconfig, %s)" for config in configs)
        return f"({document} @@ ({query}))", [self.lexemes] * len(configs)


def _fts(term: Text):
    """An article-level predicate: the article's title or text has this term (the index)."""
    tokens = _tokens(term.value)
    if not tokens:
        return FALSE
    if connection.vendor == "postgresql":
        lexemes = " <-> ".join("'" + token.replace("'", "''") + "'" for token in tokens)
        return Q(_Matches(lexemes + (":*" if term.prefix else "")))
    phrase = '"' + " ".join(tokens).replace('"', '""') + '"' + (" *" if term.prefix else "")
    # The rowids of the FTS5 table are the articles' ids (index.py).
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {index.FTS_TABLE} WHERE {index.FTS_TABLE} MATCH %s", [phrase]))


# ----------------------------------------------------------------------------- the compiler


class Compiler:
    def __init__(self, project, user):
        self.project = project
        self.user = user
        self.reads_all = user.is_superuser or project.role_of(user) in Membership.READS_ALL_LAYERS
        self.layers = TRUE if self.reads_all else Q(annotation__in=Annotation.objects.visible_to(user))
        self._names, self._entities = {}, {}

    # -- names resolved to ids once per search (a handful of small queries), so that the item queries are
    # plain id filters the indexes answer, and a name the project does not have costs no query at all

    def ids(self, model, value: str, prefix: bool, contains: bool = False) -> list[int]:
        """The ids of the project's `model` rows (labels, relation types, polarities, targets) named `value`:
        whole name or prefix, case-insensitive, or containing it (folded) with contains=True."""
        if model not in self._names:
            self._names[model] = list(model.objects.filter(project=self.project).values_list("pk", "name"))
        wanted = fold_word(value)
        if prefix:
            return [pk for pk, name in self._names[model] if fold_word(name).startswith(wanted)]
        if contains:
            return [pk for pk, name in self._names[model] if wanted in fold_word(name)]
        return [pk for pk, name in self._names[model] if fold_word(name) == wanted]

    # -- what a has: or an item kind means

    def visible_items(self, kind: str):
        return MODELS[kind].objects.filter(self.layers)

    def has(self, value: str, article) -> Q:
        """Exists a visible item of kind `value` in `article` (an OuterRef)."""
        wanted = value.lower()
        found = []
        for kind in KINDS:
            items = self.visible_items(kind).filter(annotation__article=article)
            if wanted == kind:
                found.append(Exists(items))
            elif kind == "span" and (labels := self.ids(Label, value, False)):
                found.append(Exists(items.filter(label_id__in=labels)))
            elif kind == "relation" and (types := self.ids(RelationType, value, False)):
                found.append(Exists(items.filter(type_id__in=types)))
        return _or(Q(exists) for exists in found)

    def entities(self, value: str, prefix: bool) -> list[int]:
        if (value, prefix) not in self._entities:
            self._entities[value, prefix] = self._find_entities(value, prefix)
        return self._entities[value, prefix]

    def _find_entities(self, value: str, prefix: bool) -> list[int]:
        """The project's entities named `value`: a name or an alias containing it (or starting with it), folded;
        on PostgreSQL also a name similar to it (pg_trgm, a fuzzy match through the trigram index)."""
        if connection.vendor == "postgresql":
            named = Q(name__istartswith=value) if prefix else Q(name__icontains=value)
            named |= Q(aliases__icontains=value)
            if not prefix and len(value) >= 4:
                named |= Q(Similar(F("name"), Value(value)))
            return list(Entity.objects.filter(named, project=self.project).values_list("pk", flat=True))
        # SQLite keeps JSON with its non-ASCII characters escaped, so aliases are compared here, folded: a
        # project's sources are a short list read once per search field.
        wanted = fold_word(value)
        found = []
        for pk, name, aliases in Entity.objects.filter(project=self.project).values_list("pk", "name", "aliases"):
            names = [fold_word(str(n)) for n in [name, *(aliases if isinstance(aliases, list) else [])]]
            if any(n.startswith(wanted) if prefix else wanted in n for n in names):
                found.append(pk)
        return found

    # -- the article predicate

    def article(self, node: Node) -> Q:
        """Exact, over Article, for trees without item fields."""
        if isinstance(node, Text):
            return _fts(node)
        if isinstance(node, Field):
            if node.name == "text":
                return _fts(Text(node.value, node.phrase, node.prefix))
            return self.article_field(node, "")
        if isinstance(node, Not):
            return _not(self.article(node.child))
        parts = [self.article(child) for child in node.children]
        return _and(parts) if isinstance(node, And) else _or(parts)

    def article_field(self, node: Field, path: str) -> Q:
        """article:, language: and has: from a model whose article is at `path` ("" for Article)."""
        if node.name == "article":
            field = f"{path}external_id"
            match = Q(**{f"{field}__istartswith" if node.prefix else f"{field}__iexact": node.value})
            if node.value.isdigit() and not node.prefix:
                match |= Q(**{f"{path}pk" if path else "pk": int(node.value)})
            return match
        if node.name == "language":
            return Q(**{f"{path}language__{'istartswith' if node.prefix else 'iexact'}": node.value})
        if node.name == "has":
            return self.has(node.value, OuterRef(f"{path}pk" if path else "pk"))
        raise AssertionError(node.name)  # pragma: no cover - the caller sorts fields

    def narrowing(self, node: Node) -> Q:
        """Over Article: implied by any item hit of `node` (TRUE when the index cannot tell)."""
        if isinstance(node, Text):
            return _fts(node)
        if isinstance(node, Field):
            if node.name == "text":
                return _fts(Text(node.value, node.phrase, node.prefix))
            return TRUE if node.name in ITEM_FIELDS else self.article_field(node, "")
        if isinstance(node, Not):
            child = node.child
            if not _has_item_field(child) and not _has_text(child):
                return _not(self.article(child))
            return TRUE
        parts = [self.narrowing(child) for child in node.children]
        if isinstance(node, And):
            return _and(parts)
        return TRUE if any(p is TRUE for p in parts) else _or(parts)

    # -- the item predicate

    def item(self, node: Node, kind: str) -> Q:
        if isinstance(node, Text):
            return self.item_text(node, kind)
        if isinstance(node, Field):
            if node.name == "text":
                return self.item_text(Text(node.value, node.phrase, node.prefix), kind)
            if node.name in ITEM_FIELDS:
                return self.item_field(node, kind)
            return self.article_field(node, "annotation__article__")
        if isinstance(node, Not):
            return _not(self.item(node.child, kind))
        parts = [self.item(child, kind) for child in node.children]
        return _and(parts) if isinstance(node, And) else _or(parts)

    def item_text(self, term: Text, kind: str) -> Q:
        value = fold_word(term.value)
        if not value:
            return FALSE
        if kind == "span":
            return Q(Contains(Fold("text"), value))
        if kind == "relation":
            return Q(Contains(Fold("from_span__text"), value)) | Q(Contains(Fold("to_span__text"), value))
        evidence = Span.objects.filter(evidence_for=OuterRef("pk")).filter(Contains(Fold("text"), value))
        return Q(Contains(Fold("holder_span__text"), value)) | Q(Exists(evidence))

    def item_field(self, node: Field, kind: str) -> Q:
        name, value, prefix = node.name, node.value, node.prefix
        if name == "annotator":
            if not self.reads_all and value.lower() != self.user.get_username().lower():
                return FALSE  # an annotator sees only their own layers: another name matches nothing
            return Q(_text_matches(F("annotation__annotator__username"), value, prefix, exact=True))
        if name == "status":
            if value.lower() == "gold":
                return Q(annotation__is_gold=True)
            return Q(Exact(F("annotation__status"), value.lower()))
        if name == "label":
            if kind == "span":
                return _in("label_id", self.ids(Label, value, prefix))
            if kind == "relation":
                return _in("type_id", self.ids(RelationType, value, prefix))
            return FALSE
        if name in ("source", "holder"):
            entities = self.entities(value, prefix)
            if not entities and name == "source":
                return FALSE
            # Joins and correlated lookups by the ids found: pages read a batch's layers' items (hits.py), each
            # tested through the relations' indexes, whatever the size of the corpus.
            if kind == "stance":
                named = _in("holder_entity_id", entities) | _in("holder_span__entity_id", entities)
                if name == "holder":
                    named |= Q(_text_matches(Fold("holder_span__text"), fold_word(value), prefix))
                return named
            if name == "holder":
                return FALSE
            if kind == "relation":
                return Q(from_span__entity_id__in=entities) | Q(to_span__entity_id__in=entities)
            # A span's source: its own entity, or the entity of a span it is linked to (a QUOTE
            # ATTRIBUTED_TO a SOURCE): "every quote attributed to Nasser Bourita".
            linked_to = Relation.objects.filter(from_span=OuterRef("pk"), to_span__entity_id__in=entities)
            linked_from = Relation.objects.filter(to_span=OuterRef("pk"), from_span__entity_id__in=entities)
            return Q(entity_id__in=entities) | Q(PerRowExists(linked_to)) | Q(PerRowExists(linked_from))
        if kind != "stance":
            return FALSE
        if name == "target":
            return _in("target_id", self.ids(StanceTarget, value, prefix, contains=True))
        return _in("polarity_id", self.ids(Polarity, value, prefix))

    def everything(self, tree: Node, kind: str) -> Q:
        """Items of the kinds a query without item fields names with has: (all when it names none)."""
        kinds = []
        for field in _positive(tree, Field):
            if field.name != "has":
                continue
            wanted = field.value.lower()
            if wanted in KINDS:
                kinds.append(TRUE if wanted == kind else FALSE)
            elif kind == "span":
                kinds.append(_in("label_id", self.ids(Label, field.value, False)))
            elif kind == "relation":
                kinds.append(_in("type_id", self.ids(RelationType, field.value, False)))
            else:
                kinds.append(FALSE)
        return _or(kinds) if kinds else TRUE


def _in(field: str, ids: list[int]) -> Q:
    return Q(**{f"{field}__in": ids}) if ids else FALSE


def _has_text(node: Node) -> bool:
    if isinstance(node, Text):
        return True
    if isinstance(node, Field):
        return node.name == "text"
    if isinstance(node, Not):
        return _has_text(node.child)
    return any(_has_text(child) for child in node.children)


def compile_query(tree: Node, *, project, user) -> Plan:
    compiler = Compiler(project, user)
    register_sqlite()
    terms = tuple(_positive(tree, Text)) + tuple(
        Text(f.value, f.phrase, f.prefix, f.position) for f in _positive(tree, Field) if f.name == "text")
    if _has_item_field(tree) or not terms:
        if _has_item_field(tree):
            items = {kind: compiler.item(tree, kind) for kind in KINDS}
            narrowing = compiler.narrowing(tree)
        else:
            items = {kind: compiler.everything(tree, kind) for kind in KINDS}
            narrowing = compiler.article(tree)
        items = {kind: _and([q, compiler.layers]) for kind, q in items.items() if q is not FALSE}
        if not _has_item_field(tree):
            # `language:ar`, `has:stance`: the articles are those the query names, listed with or without items.
            return Plan("items", (), narrowing, narrowing, items, {})
        exists = {kind: Q(Exists(MODELS[kind].objects.filter(q, annotation__article=OuterRef("pk"))))
                  for kind, q in items.items()}
        return Plan("items", (), _and([narrowing, _or(exists.values())]), narrowing, items, exists)
    return Plan("text", terms, compiler.article(tree), TRUE, {}, {})
