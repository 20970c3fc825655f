"""The corpus search query language (issue 15): text -> tree, errors with positions, render round-trips.

Pure Python: no database, no Django.
"""

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotate.search.query import (
    FIELDS,
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Field,
    Not,
    Or,
    QuerySyntaxError,
    Text,
    fields_used,
    parse,
    render,
    strip_positions,
)


def tree(query):
    """The parsed tree with positions stripped, to compare with hand-built trees."""
    return strip_positions(parse(query))


def W(value, prefix=False):
    return Text(value, prefix=prefix)


def P(value):
    return Text(value, phrase=True)


def round_trips(query):
    node = parse(query)
    return strip_positions(parse(render(node))) == strip_positions(node)


# ----------------------------------------------------------------------------- terms


def test_a_word():
    assert parse("sovereignty") == Text("sovereignty", phrase=False, prefix=False, position=0)


def test_a_phrase_in_straight_quotes():
    assert parse('  "autonomy plan"') == Text("autonomy plan", phrase=True, position=2)


def test_a_phrase_in_typographic_quotes():
    assert parse("“autonomy plan”") == Text("autonomy plan", phrase=True, position=0)


def test_mixed_quotes_close_each_other():
    # Pasted text mixes them; a straight quote closes a typographic one and the reverse.
    assert tree('“autonomy plan"') == P("autonomy plan")
    assert tree('"autonomy plan”') == P("autonomy plan")


def test_a_phrase_has_its_whitespace_collapsed():
    assert tree('"  autonomy \t\n plan "') == P("autonomy plan")


def test_a_one_word_phrase_stays_a_phrase():
    assert tree('"AND"') == P("AND")


def test_a_prefix():
    assert parse("sovereign*") == Text("sovereign", prefix=True, position=0)


def test_unicode_words():
    assert tree("الحكم الذاتي") == And((W("الحكم"), W("الذاتي")))
    assert tree("autonomie élargie") == And((W("autonomie"), W("élargie")))
    assert tree("🇲🇦 👍🏽 👨‍👩‍👧") == And((W("🇲🇦"), W("👍🏽"), W("👨‍👩‍👧")))
    assert tree('"الحكم الذاتي"') == P("الحكم الذاتي")
    assert tree("مغرب*") == W("مغرب", prefix=True)


def test_positions_count_code_points():
    # The flag is two code points, the family emoji five: positions are Python str indexes.
    node = parse("🇲🇦 👨‍👩‍👧 x")
    assert [child.position for child in node.children] == [0, 3, 9]


def test_words_keep_inner_punctuation():
    assert tree("l'autonomie 12:30 a-b e-mail.") == And((W("l'autonomie"), W("12:30"), W("a-b"), W("e-mail.")))


def test_quotes_and_parentheses_end_a_word():
    assert tree('plan"autonomy"') == And((W("plan"), P("autonomy")))
    assert tree("a(b)") == And((W("a"), W("b")))


# ----------------------------------------------------------------------------- fields


@pytest.mark.parametrize(
    "query, expected",
    [
        ("label:QUOTE", Field("label", "QUOTE")),
        ('source:"Nasser Bourita"', Field("source", "Nasser Bourita", phrase=True)),
        ("holder:Morocco", Field("holder", "Morocco")),
        ("target:autonomy", Field("target", "autonomy")),
        ("polarity:against", Field("polarity", "against")),
        ("annotator:alice", Field("annotator", "alice")),
        ("status:gold", Field("status", "gold")),
        ("status:submitted", Field("status", "submitted")),
        ("status:in_progress", Field("status", "in_progress")),
        ("status:returned", Field("status", "returned")),
        ("status:adjudicated", Field("status", "adjudicated")),
        ("article:AFP-2024-0012", Field("article", "AFP-2024-0012")),
        ("article:42", Field("article", "42")),
        ("language:ar", Field("language", "ar")),
        ("has:stance", Field("has", "stance")),
        ("has:SOURCE", Field("has", "SOURCE")),
        ("text:sahara", Field("text", "sahara")),
    ],
)
def test_every_field(query, expected):
    assert tree(query) == expected


def test_the_field_list_is_the_documented_one():
    assert FIELDS == {
        "article",
        "annotator",
        "has",
        "holder",
        "label",
        "language",
        "polarity",
        "source",
        "status",
        "target",
        "text",
    }


def test_a_field_sits_where_its_name_starts():
    assert parse("x label:QUOTE").children[1].position == 2


def test_field_names_are_case_insensitive_and_values_keep_their_case():
    assert tree("LABEL:Quote") == Field("label", "Quote")
    assert tree("Source:bourita") == Field("source", "bourita")
    assert tree("status:GOLD") == Field("status", "GOLD")


def test_a_prefix_on_a_field_value():
    assert tree("source:Bour*") == Field("source", "Bour", prefix=True)
    assert tree("has:SOUR*") == Field("has", "SOUR", prefix=True)


def test_a_phrase_value_in_typographic_quotes():
    assert tree("source:“Nasser Bourita”") == Field("source", "Nasser Bourita", phrase=True)


def test_a_field_value_is_the_rest_of_the_word():
    # External ids may hold colons; keywords after a colon are values, not operators.
    assert tree("article:afp:2024:12") == Field("article", "afp:2024:12")
    assert tree("label:AND") == Field("label", "AND")
    assert tree("(label:QUOTE)") == Field("label", "QUOTE")


def test_unicode_field_values():
    assert tree("source:بوريطة") == Field("source", "بوريطة")
    assert tree('holder:"Ministère des Affaires étrangères"') == Field(
        "holder", "Ministère des Affaires étrangères", phrase=True
    )


def test_fields_used():
    node = parse('label:QUOTE (source:"Nasser Bourita" OR -has:SOURCE) sahara text:plan Label:CUE')
    assert fields_used(node) == {"label", "source", "has", "text"}
    assert fields_used(parse("just words")) == set()


# ----------------------------------------------------------------------------- operators


def test_juxtaposition_is_and():
    assert tree("a b c") == And((W("a"), W("b"), W("c")))
    assert tree("a b c") == tree("a AND b AND c")


def test_or():
    assert tree("a OR b OR c") == Or((W("a"), W("b"), W("c")))


def test_and_binds_tighter_than_or():
    assert tree("a OR b c") == Or((W("a"), And((W("b"), W("c")))))
    assert tree("a b OR c") == Or((And((W("a"), W("b"))), W("c")))
    assert tree("a AND b OR c AND d") == Or((And((W("a"), W("b"))), And((W("c"), W("d")))))


def test_not_binds_tighter_than_and():
    assert tree("NOT a b") == And((Not(W("a")), W("b")))
    assert tree("a OR NOT b c") == Or((W("a"), And((Not(W("b")), W("c")))))
    assert tree("NOT a OR b") == Or((Not(W("a")), W("b")))


def test_minus_negates_a_term_a_field_and_a_group():
    assert tree("-a") == Not(W("a"))
    assert tree('-"a b"') == Not(P("a b"))
    assert tree("sahara -has:SOURCE") == And((W("sahara"), Not(Field("has", "SOURCE"))))
    assert tree("-(a OR b)") == Not(Or((W("a"), W("b"))))
    assert tree("--a") == Not(Not(W("a")))


def test_a_not_sits_at_its_operator():
    node = parse("x -y NOT z")
    assert [child.position for child in node.children] == [0, 2, 5]
    assert node.children[1].child.position == 3


def test_parentheses_group():
    assert tree("(a OR b) c") == And((Or((W("a"), W("b"))), W("c")))
    assert tree("NOT (a b)") == Not(And((W("a"), W("b"))))
    assert tree("((a))") == W("a")


def test_nested_groups():
    inner = Or((W("d"), Not(W("e"))))
    assert tree("a (b OR (c (d OR -e)))") == And((W("a"), Or((W("b"), And((W("c"), inner))))))


def test_same_kind_nesting_is_flattened():
    assert tree("a (b c) (d AND e)") == And((W("a"), W("b"), W("c"), W("d"), W("e")))
    assert tree("(a OR b) OR (c OR d)") == Or((W("a"), W("b"), W("c"), W("d")))
    # Different kinds are not.
    assert tree("(a OR b) (c OR d)") == And((Or((W("a"), W("b"))), Or((W("c"), W("d")))))


def test_and_or_sit_at_their_first_operand():
    node = parse("  a OR b c")
    assert node.position == 2
    assert node.children[1].position == 7


def test_lower_case_keywords_are_words():
    assert tree("war and peace") == And((W("war"), W("and"), W("peace")))
    assert tree("or not") == And((W("or"), W("not")))
    assert tree("And Or Not") == And((W("And"), W("Or"), W("Not")))


def test_keywords_touching_parentheses_still_work():
    assert tree("NOT(a)") == Not(W("a"))
    assert tree("(a)OR(b)") == Or((W("a"), W("b")))


def test_a_realistic_query():
    query = "label:QUOTE source:Bour* (“plan d'autonomie” OR الحكم) -polarity:against status:gold"
    assert tree(query) == And(
        (
            Field("label", "QUOTE"),
            Field("source", "Bour", prefix=True),
            Or((P("plan d'autonomie"), W("الحكم"))),
            Not(Field("polarity", "against")),
            Field("status", "gold"),
        )
    )


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "query, message, position",
    [
        ("", "empty query", 0),
        ("   \t ", "empty query", 0),
        ('sahara "autonomy plan', "unclosed quote", 7),
        ("sahara “autonomy plan", "unclosed quote", 7),
        ('label:"QUOTE', "unclosed quote", 6),
        ('a ""', "empty phrase", 2),
        ('a "   "', "empty phrase", 2),
        ("plan” x", "closing quote without an opening one", 4),
        ("lable:QUOTE", 'unknown field "lable"', 0),
        ("x Lable:QUOTE", 'unknown field "Lable"', 2),
        ("label:", 'expected a value after "label:"', 6),
        ("label: QUOTE", 'expected a value after "label:"', 6),
        ("x LABEL:)", 'expected a value after "LABEL:"', 8),
        ("label:(QUOTE OR CUE)", 'expected a value after "label:"', 6),
        ("status:draft", 'unknown status "draft"', 7),
        ("status:gol*", '"status:" takes a whole value, not a prefix', 7),
        ("(a OR b) c)", 'unbalanced ")"', 10),
        ("sahara plan)", 'unbalanced ")"', 11),
        (")", 'unbalanced ")"', 0),
        ("a (b (c)", 'missing ")" for "("', 2),
        ("a (", 'missing ")" for "("', 2),
        ("(a OR b", 'missing ")" for "("', 0),
        ("a ()", 'empty group "()"', 2),
        ("OR a", '"OR" needs a term on both sides', 0),
        ("plan OR", '"OR" needs a term on both sides', 5),
        ("a OR OR b", '"OR" needs a term on both sides', 2),  # the first OR has nothing after it
        ("(a OR) b", '"OR" needs a term on both sides', 3),
        ("AND a", '"AND" needs a term on both sides', 0),
        ("a AND", '"AND" needs a term on both sides', 2),
        ("a AND OR b", '"AND" needs a term on both sides', 2),
        ("a OR AND b", '"OR" needs a term on both sides', 2),
        ("NOT", "NOT needs a term after it", 0),
        ("a NOT", "NOT needs a term after it", 2),
        ("(a NOT) b", "NOT needs a term after it", 3),
        ("a NOT OR b", "NOT needs a term after it", 2),
        ("a -", '"-" needs a term right after it', 2),
        ("a - b", '"-" needs a term right after it', 2),
        ("(a -)", '"-" needs a term right after it', 3),
        ("-OR a", '"-" needs a term right after it', 0),
        ("sove*reign", '"*" is only allowed at the end of a word', 4),
        ("a**", '"*" is only allowed at the end of a word', 1),
        ("source:Bo*u", '"*" is only allowed at the end of a word', 9),
        ("a *", 'expected a word before "*"', 2),
        ("source:*", 'expected a word before "*"', 7),
        ('"autonomy plan"*', 'a phrase cannot end with "*"', 15),
        ('source:"Nasser Bourita"*', 'a phrase cannot end with "*"', 23),
    ],
)
def test_syntax_errors(query, message, position):
    with pytest.raises(QuerySyntaxError) as raised:
        parse(query)
    error = raised.value
    assert error.position == position
    assert error.reason == message
    assert str(error).startswith(message) and str(error).endswith(f" at position {position}")
    assert isinstance(error, ValueError)


def test_error_messages_end_with_the_position():
    with pytest.raises(QuerySyntaxError, match=r"^unclosed quote at position 7$"):
        parse('sahara "autonomy plan')
    with pytest.raises(QuerySyntaxError, match=r'^unbalanced "\)" at position 12$'):
        parse("(a OR b) cd )")


def test_an_unknown_field_lists_the_fields():
    with pytest.raises(QuerySyntaxError) as raised:
        parse("lable:QUOTE")
    assert str(raised.value) == (
        'unknown field "lable" '
        "(fields: annotator, article, has, holder, label, language, polarity, source, status, target, text) "
        "at position 0"
    )


def test_an_unknown_status_lists_the_statuses():
    with pytest.raises(QuerySyntaxError) as raised:
        parse("status:draft")
    assert str(raised.value) == (
        'unknown status "draft" (statuses: adjudicated, gold, in_progress, returned, submitted) at position 7'
    )


def test_the_leftmost_error_is_reported():
    # The lexer is lazy: a broken quote further on does not hide the stray parenthesis.
    with pytest.raises(QuerySyntaxError) as raised:
        parse(') "abc')
    assert raised.value.position == 0


def test_a_word_shaped_like_a_field_must_be_quoted():
    with pytest.raises(QuerySyntaxError, match="unknown field"):
        parse("see http://example.org")
    assert tree('see "http://example.org"') == And((W("see"), P("http://example.org")))


# ----------------------------------------------------------------------------- limits


def test_the_length_limit():
    at_limit = " ".join(["ab"] * (MAX_LENGTH // 3)).ljust(MAX_LENGTH)
    assert len(at_limit) == MAX_LENGTH
    parse(at_limit)
    with pytest.raises(QuerySyntaxError) as raised:
        parse(at_limit + "x")
    assert raised.value.position == MAX_LENGTH
    assert str(raised.value) == "query is longer than 1,000 characters (1,001) at position 1000"


def test_the_depth_limit_on_parentheses():
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert tree(ok) == W("a")
    too_deep = "x " + "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(QuerySyntaxError) as raised:
        parse(too_deep)
    assert raised.value.position == 2 + MAX_DEPTH
    assert str(raised.value) == f"query is nested more than 20 levels deep at position {2 + MAX_DEPTH}"


def test_the_depth_limit_on_negations():
    node = parse("-" * MAX_DEPTH + "a")
    for _ in range(MAX_DEPTH):
        node = node.child
    assert node == Text("a", position=MAX_DEPTH)
    with pytest.raises(QuerySyntaxError) as raised:
        parse("NOT " * (MAX_DEPTH + 1) + "a")
    assert raised.value.position == 4 * MAX_DEPTH
    with pytest.raises(QuerySyntaxError) as raised:
        parse("(-" * 11 + "a" + ")" * 11)
    assert raised.value.position == 20  # the 21st level is the 11th "("


def test_a_deep_query_within_the_length_limit_fails_cleanly():
    # 999 opening parentheses would overflow a naive recursive parser; this one stops at 21.
    with pytest.raises(QuerySyntaxError, match="nested more than 20"):
        parse("(" * 999 + "a")


# ----------------------------------------------------------------------------- render


@pytest.mark.parametrize(
    "query, canonical",
    [
        ("a b", "a AND b"),
        ("a OR b c", "a OR b AND c"),
        ("(a OR b) c", "(a OR b) AND c"),
        ("-a", "NOT a"),
        ("-(a b)", "NOT (a AND b)"),
        ("--a", "NOT NOT a"),
        ("“autonomy  plan” sovereign*", '"autonomy plan" AND sovereign*'),
        ('LABEL:QUOTE source:"Nasser Bourita"', 'label:QUOTE AND source:"Nasser Bourita"'),
        ("Source:Bour* -has:SOURCE", "source:Bour* AND NOT has:SOURCE"),
        ('"AND" and', '"AND" AND and'),
        ("AND* NOT*", "AND* AND NOT*"),
        ("article:a:b label:OR", "article:a:b AND label:OR"),
    ],
)
def test_render_is_canonical(query, canonical):
    assert render(parse(query)) == canonical
    assert round_trips(query)


def test_render_quotes_words_that_would_not_read_back():
    # Hand-built trees; the phrase flag changes but the search does not.
    assert render(Text("OR")) == '"OR"'
    assert render(Text("-a")) == '"-a"'
    assert render(Text("label:x")) == '"label:x"'
    assert render(Field("has", "a b")) == 'has:"a b"'


@pytest.mark.parametrize(
    "query",
    [
        "label:QUOTE source:Bour* (“plan d'autonomie” OR الحكم) -polarity:against status:gold",
        "a OR (b OR c) d",
        "NOT (a OR b) OR NOT (c d)",
        "(a (b OR (c (d OR -e))))",
        "🇲🇦 OR été",
    ],
)
def test_render_round_trips(query):
    assert round_trips(query)


# Random trees of the shapes parse produces: flattened, at least two children per And/Or.

_WORD_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters='()"“”*')
_bare_words = st.text(_WORD_CHARS, min_size=1, max_size=8).filter(
    lambda word: (
        not any(char.isspace() for char in word)
        and word not in {"AND", "OR", "NOT"}  # as prefixes they are words: drawn below
        and not word.startswith("-")
        and not re.match(r"[A-Za-z]+:", word)
    )
)
_phrases = (
    st.lists(
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='"”'), min_size=1, max_size=6),
        min_size=1,
        max_size=3,
    )
    .map(lambda parts: " ".join(" ".join(parts).split()))
    .filter(bool)
)
_value_words = st.text(_WORD_CHARS, min_size=1, max_size=8).filter(lambda word: not any(c.isspace() for c in word))


@st.composite
def _texts(draw):
    kind = draw(st.sampled_from(["phrase", "word", "keyword prefix"]))
    if kind == "phrase":
        return Text(draw(_phrases), phrase=True)
    if kind == "keyword prefix":
        return Text(draw(st.sampled_from(["AND", "OR", "NOT"])), prefix=True)
    return Text(draw(_bare_words), prefix=draw(st.booleans()))


@st.composite
def _fields(draw):
    name = draw(st.sampled_from(sorted(FIELDS)))
    if name == "status":
        return Field(name, draw(st.sampled_from(["gold", "submitted", "in_progress", "returned", "Adjudicated"])))
    if draw(st.booleans()):
        return Field(name, draw(_phrases), phrase=True)
    return Field(name, draw(_value_words), prefix=draw(st.booleans()))


def _combine(kind):
    def build(children):
        flat = []
        for child in children:
            flat.extend(child.children if isinstance(child, kind) else (child,))
        return kind(tuple(flat))

    return build


_trees = st.recursive(
    _texts() | _fields(),
    lambda children: st.one_of(
        children.map(Not),
        st.lists(children, min_size=2, max_size=4).map(_combine(And)),
        st.lists(children, min_size=2, max_size=4).map(_combine(Or)),
    ),
    max_leaves=12,
)


def _depth(node):
    """Levels as the parser counts them: a NOT, or the parentheses render puts around a child."""
    if isinstance(node, Text | Field):
        return 0
    if isinstance(node, Not):
        return 1 + (1 if isinstance(node.child, And | Or) else 0) + _depth(node.child)
    return max(_depth(child) + (1 if isinstance(child, Or) else 0) for child in node.children)


@settings(max_examples=300, deadline=None)
@given(_trees)
def test_render_then_parse_gives_the_tree_back(node):
    text = render(node)
    assume(len(text) <= MAX_LENGTH and _depth(node) <= MAX_DEPTH)
    assert strip_positions(parse(text)) == node


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_fails_with_a_position(text):
    try:
        parse(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)
        assert f"at position {error.position}" in str(error)
    else:
        assert round_trips(text)
