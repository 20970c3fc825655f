"""The corpus search query language: text -> an immutable tree, and back.

Grammar (EBNF; whitespace separates tokens and is otherwise ignored)::

    query    = or_expr ;
    or_expr  = and_expr , { "OR" , and_expr } ;
    and_expr = unary , { [ "AND" ] , unary } ;          (* juxtaposition is AND *)
    unary    = ( "NOT" | "-" ) , unary | primary ;      (* "-" touches what it negates *)
    primary  = "(" , or_expr , ")" | field | term ;
    field    = name , ":" , value ;                     (* no space around ":" *)
    name     = ascii letter , { ascii letter } ;        (* case-insensitive, one of FIELDS *)
    value    = phrase | word , [ "*" ] ;
    term     = phrase | word , [ "*" ] ;                (* a word that is not AND/OR/NOT, does not *)
                                                        (* start with "-" nor look like "name:" *)
    phrase   = ( '"' | "“" ) , { any character but '"' and "”" } , ( '"' | "”" ) ;
    word     = { any character but whitespace, "(", ")", '"', "“", "”", "*" } ;  (* at least one *)

Precedence: NOT binds tightest, then AND (explicit or implicit), then OR, so `a OR b c` is
`a OR (b AND c)`. Only upper-case AND, OR and NOT are operators: `and`, `or`, `not` are words,
and so are a quoted `"AND"` (a phrase) and `AND*` (a prefix). A star ends a word
(`sovereign*`, `source:Bour*`) and nowhere else; phrases take no star. Phrases have their inner
whitespace collapsed to single spaces. At most MAX_LENGTH characters and MAX_DEPTH levels, a
level being a "(" or a NOT/"-" still open.

Choices:
- `status:` is checked here against STATUSES (a closed set that no project changes), whole
  values only; `has:` kinds and label names depend on the project and are checked later.
- A word shaped like `letters:` is always a field, so `lable:X` is an error rather than a
  silent free-text search; to search text containing such a word, quote it (`"re:"`).
- Positions are 0-based indexes in code points (Python str indexes) of the query string.
  Not and field nodes sit where their operator or name starts; And and Or where their first
  operand starts; a parenthesised group takes the position of what is inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

__all__ = [
    "FIELDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "STATUSES",
    "And",
    "Field",
    "Node",
    "Not",
    "Or",
    "QuerySyntaxError",
    "Text",
    "fields_used",
    "parse",
    "render",
    "strip_positions",
]

FIELDS = frozenset(
    {"article", "annotator", "has", "holder", "label", "language", "polarity", "source", "status", "target", "text"}
)
# "gold" is not an Annotation.Status but the layer's is_gold flag; the search layer maps it.
STATUSES = frozenset({"gold", "submitted", "in_progress", "returned", "adjudicated"})
# Denial-of-service guards: the parser recurses once per level, and every term becomes a join
# or a subquery later, so both the size and the nesting of a query are bounded before any work.
MAX_LENGTH = 1000
MAX_DEPTH = 20

KEYWORDS = frozenset({"AND", "OR", "NOT"})
OPENING_QUOTES = '"“'
# A straight quote closes a typographic one too: pasted text often mixes them.
CLOSING_QUOTES = '"”'
_WORD_BREAKS = '()"“”'
_FIELD_RE = re.compile(r"([A-Za-z]+):")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `.position` is where, as a code point index."""

    def __init__(self, message: str, position: int, detail: str = ""):
        self.position = position
        self.reason = message
        # Every message ends "at position N" (the API's contract); a detail (the list of fields, say)
        # goes before it, in parentheses.
        super().__init__(f"{message} ({detail}) at position {position}" if detail else
                         f"{message} at position {position}")


# ----------------------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class Text:
    """Free text, searched in the article text (and whatever else the search layer decides)."""

    value: str
    phrase: bool = False
    prefix: bool = False
    position: int = 0


@dataclass(frozen=True, slots=True)
class Field:
    """`name:value`; name is lower-case, value keeps its case."""

    name: str
    value: str
    phrase: bool = False
    prefix: bool = False
    position: int = 0


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    position: int = 0


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]
    position: int = 0


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]
    position: int = 0


Node = Text | Field | Not | And | Or


# ----------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "term", "field", "(", ")", "AND", "OR", "NOT", "end"
    position: int
    text: str = ""  # the operator as typed ("NOT" or "-"), for messages
    node: Text | Field | None = None


def _collapse(value: str) -> str:
    return " ".join(value.split())


def _tokens(query: str) -> Iterator[_Token]:
    """Tokens left to right; lazy so that the leftmost error is the one reported."""
    i, n = 0, len(query)
    while True:
        while i < n and query[i].isspace():
            i += 1
        if i == n:
            yield _Token("end", n)
            return
        char = query[i]
        if char in "()":
            yield _Token(char, i)
            i += 1
        elif char in OPENING_QUOTES:
            start = i
            value, i = _phrase(query, start)
            yield _Token("term", start, node=Text(value, phrase=True, position=start))
        elif char in CLOSING_QUOTES:
            raise QuerySyntaxError("closing quote without an opening one", i)
        elif char == "-":
            if i + 1 == n or query[i + 1].isspace():
                raise QuerySyntaxError('"-" needs a term right after it', i)
            yield _Token("NOT", i, text="-")
            i += 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _WORD_BREAKS:
                i += 1
            raw = query[start:i]
            match = _FIELD_RE.match(raw)
            if match:
                node, i = _field(query, start, i, match.group(1))
                yield _Token("field", start, node=node)
            elif raw in KEYWORDS:
                yield _Token(raw, start, text=raw)
            else:
                value, prefix = _word(raw, start)
                yield _Token("term", start, node=Text(value, prefix=prefix, position=start))


def _phrase(query: str, start: int) -> tuple[str, int]:
    """The phrase opening at `start`: (its collapsed value, the index after its closing quote)."""
    end = start + 1
    while end < len(query) and query[end] not in CLOSING_QUOTES:
        end += 1
    if end == len(query):
        raise QuerySyntaxError("unclosed quote", start)
    value = _collapse(query[start + 1 : end])
    if not value:
        raise QuerySyntaxError("empty phrase", start)
    if end + 1 < len(query) and query[end + 1] == "*":
        raise QuerySyntaxError('a phrase cannot end with "*"', end + 1)
    return value, end + 1


def _word(raw: str, start: int) -> tuple[str, bool]:
    """(value, prefix) of a bare word that starts at `start` in the query."""
    if raw == "*":
        raise QuerySyntaxError('expected a word before "*"', start)
    star = raw.find("*")
    if star != -1 and star != len(raw) - 1:
        raise QuerySyntaxError('"*" is only allowed at the end of a word', start + star)
    if raw.endswith("*"):
        return raw[:-1], True
    return raw, False


def _field(query: str, start: int, word_end: int, typed_name: str) -> tuple[Field, int]:
    name = typed_name.lower()
    if name not in FIELDS:
        raise QuerySyntaxError(f'unknown field "{typed_name}"', start, "fields: " + ", ".join(sorted(FIELDS)))
    value_start = start + len(typed_name) + 1
    if value_start < word_end:
        value, prefix = _word(query[value_start:word_end], value_start)
        phrase, end = False, word_end
    elif value_start < len(query) and query[value_start] in OPENING_QUOTES:
        (value, end), prefix, phrase = _phrase(query, value_start), False, True
    else:
        raise QuerySyntaxError(f'expected a value after "{typed_name}:"', value_start)
    if name == "status":
        if prefix:
            raise QuerySyntaxError('"status:" takes a whole value, not a prefix', value_start)
        if value.lower() not in STATUSES:
            raise QuerySyntaxError(f'unknown status "{value}"', value_start, "statuses: " + ", ".join(sorted(STATUSES)))
    return Field(name, value, phrase=phrase, prefix=prefix, position=start), end


# ----------------------------------------------------------------------------- the parser


def _joined(kind: type[And] | type[Or], parts: list[Node]) -> Node:
    """One operand stays itself; nested nodes of the same kind are flattened into this one."""
    if len(parts) == 1:
        return parts[0]
    children: list[Node] = []
    for part in parts:
        children.extend(part.children if isinstance(part, kind) else (part,))
    return kind(tuple(children), position=parts[0].position)


_UNARY_STARTS = frozenset({"term", "field", "(", "NOT"})


class _Parser:
    def __init__(self, query: str):
        self.tokens = _tokens(query)
        self.next = next(self.tokens)
        self.depth = 0

    def take(self) -> _Token:
        token, self.next = self.next, next(self.tokens, None)
        return token

    def query(self) -> Node:
        if self.next.kind == "end":
            raise QuerySyntaxError("empty query", 0)
        node = self.or_expr()
        if self.next.kind == ")":
            raise QuerySyntaxError('unbalanced ")"', self.next.position)
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.next.kind == "OR":
            operator = self.take()
            if self.next.kind not in _UNARY_STARTS:
                raise QuerySyntaxError('"OR" needs a term on both sides', operator.position)
            parts.append(self.and_expr())
        return _joined(Or, parts)

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while self.next.kind == "AND" or self.next.kind in _UNARY_STARTS:
            if self.next.kind == "AND":
                operator = self.take()
                if self.next.kind not in _UNARY_STARTS:
                    raise QuerySyntaxError('"AND" needs a term on both sides', operator.position)
            parts.append(self.unary())
        return _joined(And, parts)

    def unary(self) -> Node:
        token = self.next
        if token.kind == "NOT":
            self.take()
            if self.next.kind not in _UNARY_STARTS:
                if token.text == "-":
                    raise QuerySyntaxError('"-" needs a term right after it', token.position)
                raise QuerySyntaxError("NOT needs a term after it", token.position)
            self.enter(token)
            child = self.unary()
            self.depth -= 1
            return Not(child, position=token.position)
        return self.primary()

    def primary(self) -> Node:
        token = self.next
        if token.kind in ("term", "field"):
            self.take()
            return token.node
        if token.kind == "(":
            self.take()
            if self.next.kind == ")":
                raise QuerySyntaxError('empty group "()"', token.position)
            if self.next.kind == "end":
                raise QuerySyntaxError('missing ")" for "("', token.position)
            self.enter(token)
            node = self.or_expr()
            self.depth -= 1
            if self.next.kind != ")":
                raise QuerySyntaxError('missing ")" for "("', token.position)
            self.take()
            return node
        if token.kind in ("AND", "OR"):
            raise QuerySyntaxError(f'"{token.kind}" needs a term on both sides', token.position)
        if token.kind == ")":
            raise QuerySyntaxError('unbalanced ")"', token.position)
        # Only "end" is left: every caller checks for a term before descending.
        raise QuerySyntaxError("expected a term", token.position)  # pragma: no cover

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(f"query is nested more than {MAX_DEPTH} levels deep", token.position)


def parse(text: str) -> Node:
    """The tree of a query, or QuerySyntaxError saying what is wrong and where."""
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(f"query is longer than {MAX_LENGTH:,} characters ({len(text):,})", MAX_LENGTH)
    return _Parser(text).query()


# ----------------------------------------------------------------------------- reading a tree


def fields_used(node: Node) -> set[str]:
    """The field names (lower-case) used anywhere in the tree; free text is not a field here."""
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, Text):
        return set()
    if isinstance(node, Not):
        return fields_used(node.child)
    return set().union(*(fields_used(child) for child in node.children))


def strip_positions(node: Node) -> Node:
    """The same tree with every position 0: two parses of equivalent text compare equal."""
    if isinstance(node, Text | Field):
        return replace(node, position=0)
    if isinstance(node, Not):
        return Not(strip_positions(node.child))
    return type(node)(tuple(strip_positions(child) for child in node.children))


def _needs_quotes(value: str, prefix: bool, bare_text: bool) -> bool:
    """Whether a word would not read back as itself unquoted."""
    if not value or any(char.isspace() or char in _WORD_BREAKS or char == "*" for char in value):
        return True
    # A field value may look like anything else: it is read after "name:" as a plain word.
    # `AND*` is a prefix, not the operator, so only a whole keyword needs quotes.
    keyword = value in KEYWORDS and not prefix
    return bare_text and (keyword or value.startswith("-") or bool(_FIELD_RE.match(value)))


def _value(value: str, phrase: bool, prefix: bool, bare_text: bool) -> str:
    # Best effort for trees parse cannot produce (a word with a space, a phrase with a star):
    # the text is still readable in a log, and round-trips are promised only for parsed trees.
    if phrase or _needs_quotes(value, prefix, bare_text):
        text = f'"{value}"'
    else:
        text = value
    return text + "*" if prefix else text


def render(node: Node) -> str:
    """The canonical text of a tree: explicit AND, OR and NOT, parentheses only where needed.

    parse(render(parse(q))) equals parse(q) once positions are stripped.
    """
    if isinstance(node, Text):
        return _value(node.value, node.phrase, node.prefix, bare_text=True)
    if isinstance(node, Field):
        return f"{node.name}:" + _value(node.value, node.phrase, node.prefix, bare_text=False)
    if isinstance(node, Not):
        child = node.child
        inner = render(child)
        return f"NOT ({inner})" if isinstance(child, And | Or) else f"NOT {inner}"
    # An Or inside an And needs parentheses; an And inside an Or does not (AND binds tighter).
    # Same-kind nesting is flattened by parse, so it is parenthesised only for hand-built trees.
    operator, wrapped = (" AND ", And | Or) if isinstance(node, And) else (" OR ", Or)
    return operator.join(
        f"({render(child)})" if isinstance(child, wrapped) else render(child) for child in node.children
    )
