"""Corpus search through the API (issue 15): the language end to end, visibility, freshness, pages.

Runs on SQLite (FTS5) by default and on PostgreSQL (tsvector + GIN) with DATABASE_URL.
"""
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from annotate.models import Article
from annotate.services import annotating, restoring

from .factories import api_client, make_annotation, make_article, make_assignment, make_entity, make_span

pytestmark = pytest.mark.django_db

BOURITA_TEXT = ("Nasser Bourita said the autonomy plan is the only basis for a solution. "
                "The Polisario Front rejected it.")
REFERENDUM_TEXT = "The Polisario Front called for a referendum on sovereignty."
ARABIC_TEXT = "😀 أكّد الوزير أن المغرب شريك أساسي."
STATEMENT_TEXT = "The Polisario Front issued a statement on the sovereign rights."
TARGET = "Moroccan sovereignty over Western Sahara"


def at(text, part):
    start = text.index(part)
    return start, start + len(part)


def span(layer, label, text, part, **extra):
    start, end = at(text, part)
    return annotating.add_span(annotation=layer, expected_version=layer_version(layer), label=label, start=start,
                               end=end, **extra)


def layer_version(layer):
    layer.refresh_from_db(fields=["version"])
    return layer.version


@pytest.fixture
def world(project, annotator_a, annotator_b, reviewer, manager):
    bourita = make_entity(project, "Nasser Bourita", aliases=["Bourita", "ناصر بوريطة"])
    polisario = make_entity(project, "Polisario Front", aliases=["Frente Polisario"])
    a1 = make_article(project, text=BOURITA_TEXT, language="en", title="Rabat on the plan")
    layer_a = annotating.open_layer(assignment=make_assignment(a1, annotator_a))
    source = span(layer_a, "SOURCE", BOURITA_TEXT, "Nasser Bourita", entity=bourita)
    quote = span(layer_a, "QUOTE", BOURITA_TEXT, "the autonomy plan is the only basis for a solution")
    front = span(layer_a, "SOURCE", BOURITA_TEXT, "The Polisario Front", entity=polisario)
    annotating.add_relation(annotation=layer_a, expected_version=layer_version(layer_a), type="ATTRIBUTED_TO",
                            from_span=quote, to_span=source)
    favor = annotating.add_stance(annotation=layer_a, expected_version=layer_version(layer_a), holder_span=source,
                                  polarity="favor", target=TARGET, evidence=[quote])
    rejected = span(layer_a, "STANCE_EVIDENCE", BOURITA_TEXT, "rejected it")
    against_a = annotating.add_stance(annotation=layer_a, expected_version=layer_version(layer_a), holder_span=front,
                                      polarity="against", target=TARGET, evidence=[rejected])

    a2 = make_article(project, text=REFERENDUM_TEXT, language="en")
    layer_b = annotating.open_layer(assignment=make_assignment(a2, annotator_b))
    called = span(layer_b, "QUOTE", REFERENDUM_TEXT, "called for a referendum")
    against_b = annotating.add_stance(annotation=layer_b, expected_version=layer_version(layer_b),
                                      holder_entity=polisario, polarity="against", target=TARGET, evidence=[called])

    a3 = make_article(project, text=ARABIC_TEXT, language="ar")  # nobody's
    a4 = make_article(project, text=STATEMENT_TEXT, language="en")
    gold = make_annotation(a4, is_gold=True, status="adjudicated")
    statement = make_span(gold, label="CLAIM", start=at(STATEMENT_TEXT, "issued a statement")[0],
                          end=at(STATEMENT_TEXT, "issued a statement")[1])
    return dict(project=project, a1=a1, a2=a2, a3=a3, a4=a4, layer_a=layer_a, layer_b=layer_b, source=source,
                quote=quote, front=front, favor=favor, against_a=against_a, against_b=against_b, called=called,
                gold=gold, statement=statement, bourita=bourita, polisario=polisario,
                anna=annotator_a, ben=annotator_b, rita=reviewer, max=manager)


def search(world, user, q, **params):
    url = reverse("api:project-search", args=[world["project"].slug])
    response = api_client(world[user] if isinstance(user, str) else user).get(url, {"q": q, **params})
    return response


def ok(world, user, q, **params):
    response = search(world, user, q, **params)
    assert response.status_code == 200, response.content
    return response.json()


def hits(world, user, q, **params):
    return ok(world, user, q, **params)["results"]


def ids(results, item=None):
    return {(hit["item"], hit["id"]) for hit in results if item in (None, hit["item"])}


def cursor_of(page):
    return parse_qs(urlparse(page["next"]).query)["cursor"][0]


def articles(world, user, q):
    return {hit["article"] for hit in ok(world, user, q, mode="articles")["results"]}


# ----------------------------------------------------------------------------- free text


def test_a_word_gives_text_hits_at_the_texts_offsets_with_their_sentence(world):
    page = ok(world, "rita", "autonomy")
    assert page["count"] == 1 and page["next"] is None
    [hit] = page["results"]
    start, end = at(BOURITA_TEXT, "autonomy")
    assert hit == {**hit, "article": world["a1"].pk, "external_id": world["a1"].external_id, "item": "text",
                   "id": None, "label": None, "annotation_id": None, "annotator": None,
                   "start": start, "end": end, "text": "autonomy"}
    context = hit["context"]
    assert context["hit"] == "autonomy"
    assert context["before"] == "Nasser Bourita said the "
    assert context["after"] == " plan is the only basis for a solution."
    assert BOURITA_TEXT[context["start"]:context["end"]] == context["before"] + "autonomy" + context["after"]


def test_phrases_prefixes_and_the_title(world):
    assert articles(world, "rita", '"autonomy plan"') == {world["a1"].pk}
    assert articles(world, "rita", '"plan autonomy"') == set()
    assert articles(world, "rita", "sovereign*") == {world["a2"].pk, world["a4"].pk}
    assert {h["text"].lower() for h in hits(world, "rita", "sovereign*")} == {"sovereignty", "sovereign"}
    assert articles(world, "rita", "Rabat") == {world["a1"].pk}  # the title is indexed too


def test_precedence_and_binds_tighter_than_or(world):
    # a OR b c  is  a OR (b AND c)
    assert articles(world, "rita", "referendum OR autonomy plan") == {world["a1"].pk, world["a2"].pk}
    assert articles(world, "rita", "referendum OR autonomy statement") == {world["a2"].pk}
    assert articles(world, "rita", "(referendum OR autonomy) solution") == {world["a1"].pk}
    assert articles(world, "rita", "Polisario NOT referendum") == {world["a1"].pk, world["a4"].pk}
    assert articles(world, "rita", "Polisario -referendum -statement") == {world["a1"].pk}


def test_arabic_is_matched_folded_and_reported_at_the_stored_texts_offsets(world):
    [hit] = hits(world, "rita", "اكد")
    assert hit["article"] == world["a3"].pk
    start, end = at(ARABIC_TEXT, "أكّد")
    assert (hit["start"], hit["end"], hit["text"]) == (start, end, "أكّد")
    assert start == 2  # the emoji before it is one code point (two in UTF-16)
    assert Article.objects.get(pk=world["a3"].pk).text == ARABIC_TEXT  # the stored text is never folded
    assert articles(world, "rita", "أكد") == {world["a3"].pk}  # folding applies to the query too


# ----------------------------------------------------------------------------- fields


def test_label_gives_spans_and_relation_types(world):
    assert ids(hits(world, "rita", "label:QUOTE")) == {("span", world["quote"].pk), ("span", world["called"].pk)}
    [relation] = hits(world, "rita", "label:ATTRIBUTED_TO")
    assert relation["item"] == "relation" and relation["from"]["id"] == world["quote"].pk
    assert relation["to"]["id"] == world["source"].pk
    assert ok(world, "rita", "label:QUOTE")["count"] == 2
    # Articles mode lists the articles with a hit, and passes over those the index cannot rule out.
    assert articles(world, "rita", "label:QUOTE") == {world["a1"].pk, world["a2"].pk}
    assert ok(world, "rita", "label:QUOTE", mode="articles")["count"] == 2
    assert articles(world, "rita", "label:NO_SUCH_LABEL") == set()


def test_a_word_inside_a_field_query_matches_the_items_own_text(world):
    assert ids(hits(world, "rita", "label:QUOTE autonomy")) == {("span", world["quote"].pk)}
    assert ids(hits(world, "rita", "label:QUOTE -autonomy")) == {("span", world["called"].pk)}


def test_source_by_entity_name_alias_and_attribution(world):
    by_name = ids(hits(world, "rita", 'source:"Nasser Bourita"'))
    assert ("span", world["source"].pk) in by_name
    assert ("span", world["quote"].pk) in by_name  # the quote ATTRIBUTED_TO him
    assert ("stance", world["favor"].pk) in by_name  # he holds it
    assert ids(hits(world, "rita", "source:Bourita")) == by_name  # an alias
    assert ids(hits(world, "rita", "source:ناصر")) == by_name  # an Arabic alias
    # "every quote attributed to Nasser Bourita"
    assert ids(hits(world, "rita", 'label:QUOTE source:"Nasser Bourita"')) == {("span", world["quote"].pk)}


def test_against_stances_on_a_target_with_their_evidence(world):
    results = hits(world, "rita", 'polarity:against target:"Moroccan sovereignty"')
    assert ids(results) == {("stance", world["against_a"].pk), ("stance", world["against_b"].pk)}
    by_id = {hit["id"]: hit for hit in results}
    b = by_id[world["against_b"].pk]
    assert b["label"] == "against" and b["target"] == TARGET and b["holder"]["entity"] == "Polisario Front"
    assert [e["text"] for e in b["evidence"]] == ["called for a referendum"]
    assert (b["start"], b["end"]) == at(REFERENDUM_TEXT, "called for a referendum")
    assert b["context"]["hit"] == "called for a referendum"
    assert ids(hits(world, "rita", "holder:Polisario")) == ids(results)
    assert ids(hits(world, "rita", "polarity:favor")) == {("stance", world["favor"].pk)}


def test_annotator_status_article_language_and_has(world):
    anna = ids(hits(world, "rita", "annotator:anna"))
    assert ("span", world["source"].pk) in anna and ("span", world["called"].pk) not in anna
    assert ids(hits(world, "rita", "status:gold")) == {("span", world["statement"].pk)}
    assert ids(hits(world, "rita", "status:in_progress label:QUOTE")) == {("span", world["quote"].pk),
                                                                          ("span", world["called"].pk)}
    assert articles(world, "rita", f"article:{world['a2'].external_id}") == {world["a2"].pk}
    assert articles(world, "rita", "language:ar") == {world["a3"].pk}
    assert articles(world, "rita", "has:stance") == {world["a1"].pk, world["a2"].pk}
    assert ids(hits(world, "rita", "has:relation")) == ids(hits(world, "rita", "label:ATTRIBUTED_TO"))
    assert articles(world, "rita", "has:CLAIM") == {world["a4"].pk}


def test_articles_that_mention_a_source_nobody_marked(world):
    # "articles that mention the Polisario Front but where nobody marked it as a source"
    assert articles(world, "rita", '"Polisario Front" -has:SOURCE') == {world["a2"].pk, world["a4"].pk}
    page = ok(world, "rita", '"Polisario Front" -has:SOURCE', mode="articles")
    assert page["count"] == 2
    assert all(article["hits"] == 1 for article in page["results"])
    assert {h["text"] for h in hits(world, "rita", '"Polisario Front" -has:SOURCE')} == {"Polisario Front"}


@pytest.mark.parametrize(("q", "position"), [
    ("label:QUOTE AND", 12), ('"autonomy plan', 0), ("lable:QUOTE", 0), ("(a OR b", 0), ("a )", 2),
    ("status:done", 7),
])
def test_a_query_that_does_not_parse_answers_400_with_the_position(world, q, position):
    response = search(world, "rita", q)
    assert response.status_code == 400
    [message] = response.json()["q"]
    assert f"at position {position}" in message


def test_a_foreign_cursor_is_refused(world):
    page = ok(world, "rita", "Polisario", page_size=1)
    assert search(world, "rita", "Polisario", cursor=cursor_of(page), page_size=1).status_code == 200
    assert search(world, "rita", "plan", cursor=cursor_of(page)).status_code == 400
    assert search(world, "rita", "Polisario", mode="articles", cursor=cursor_of(page)).status_code == 400
    assert search(world, "rita", "Polisario", cursor="garbage").status_code == 400


# ----------------------------------------------------------------------------- visibility


def test_an_annotator_sees_only_their_own_items_and_assigned_articles(world):
    assert articles(world, "anna", "Polisario") == {world["a1"].pk}
    assert articles(world, "ben", "Polisario") == {world["a2"].pk}
    assert ok(world, "anna", "Polisario", mode="articles")["count"] == 1
    assert ids(hits(world, "anna", "label:QUOTE")) == {("span", world["quote"].pk)}
    assert ok(world, "anna", "label:QUOTE")["count"] == 1
    assert ok(world, "ben", "polarity:against")["count"] == 1
    assert hits(world, "anna", "annotator:ben") == []  # another annotator's name matches nothing, no error
    assert ok(world, "anna", "annotator:ben", mode="articles")["count"] == 0
    assert ids(hits(world, "anna", "annotator:anna label:QUOTE")) == {("span", world["quote"].pk)}
    assert hits(world, "anna", "status:gold") == [] and hits(world, "anna", "اكد") == []
    assert all(hit["annotator"] == "anna" for hit in hits(world, "anna", "has:span"))


def test_outsiders_get_404_and_the_anonymous_401(world, outsider):
    assert search(world, outsider, "plan").status_code == 404
    assert search(world, None, "plan").status_code == 401


# ----------------------------------------------------------------------------- freshness


def test_the_index_follows_article_inserts_updates_and_deletes(world):
    article = make_article(world["project"], text="A brand new zeppelin arrived.")
    assert articles(world, "rita", "zeppelin") == {article.pk}
    article.text = "A brand new airship arrived."
    article.save()
    assert articles(world, "rita", "zeppelin") == set()
    assert articles(world, "rita", "airship") == {article.pk}
    Article.objects.filter(pk=article.pk).update(title="Dirigible news")
    assert articles(world, "rita", "dirigible") == {article.pk}
    article.delete()
    assert articles(world, "rita", "airship") == set()


def test_items_are_current_after_writes_and_a_restore(world):
    layer = world["layer_a"]
    before = layer_version(layer)
    cue = span(layer, "CUE", BOURITA_TEXT, "said")
    assert ("span", cue.pk) in ids(hits(world, "rita", "label:CUE"))
    annotating.update_span(span=cue, expected_version=layer_version(layer), label="CLAIM")
    assert ("span", cue.pk) not in ids(hits(world, "rita", "label:CUE"))
    assert ("span", cue.pk) in ids(hits(world, "rita", "label:CLAIM"))
    restoring.restore(annotation=layer, version=before, expected_version=layer_version(layer), actor=world["max"])
    assert hits(world, "rita", "label:CUE") == []
    assert ("span", cue.pk) not in ids(hits(world, "rita", "label:CLAIM"))
    annotating.delete_span(span=world["quote"], expected_version=layer_version(layer))
    assert ids(hits(world, "rita", "label:QUOTE")) == {("span", world["called"].pk)}


# ----------------------------------------------------------------------------- pages


# A page's queries, whatever the corpus: the token, the project and the role (3); the vocabulary and the
# sources a query names (a few, once per search); a batch of articles (their rows, their layers, the items per
# kind and the stances' evidence: up to 6); on a first page with more pages, the count (per batch of 100
# articles: their ids, their layers, a count per kind). These small worlds need at most:
MAX_QUERIES = 23


def walk(world, user, q, mode, page_size, max_queries, django_assert_max_num_queries):
    seen, cursor, counts = [], None, set()
    while True:
        params = {"mode": mode, "page_size": page_size, **({"cursor": cursor} if cursor else {})}
        with django_assert_max_num_queries(max_queries):
            page = ok(world, user, q, **params)
        counts.add(page["count"])
        seen.extend(page["results"])
        if not page["next"]:
            return seen, counts
        cursor = cursor_of(page)


def test_hit_pages_have_no_gaps_or_duplicates_and_a_bounded_number_of_queries(
        world, django_assert_max_num_queries):
    project = world["project"]
    for i in range(23):
        make_article(project, text=f"Zebra number {i}. Another zebra here, and a zebra there." if i % 3
                     else f"Nothing {i}.")
    results, counts = walk(world, "rita", "zebra", "hits", 7, 12, django_assert_max_num_queries)
    keys = [(hit["article"], hit["start"]) for hit in results]
    assert len(keys) == len(set(keys)) == 15 * 3 and counts == {45}
    assert keys == sorted(keys)
    articles_seen, counts = walk(world, "rita", "zebra", "articles", 4, 8, django_assert_max_num_queries)
    assert len({a["article"] for a in articles_seen}) == len(articles_seen) == 15 and counts == {15}


def test_item_pages_too(world, django_assert_max_num_queries):
    for _ in range(6):
        layer = annotating.open_layer(assignment=make_assignment(make_article(world["project"], text=BOURITA_TEXT),
                                                                 world["anna"]))
        span(layer, "SOURCE", BOURITA_TEXT, "Nasser Bourita", entity=world["bourita"])
        span(layer, "SOURCE", BOURITA_TEXT, "The Polisario Front")
    results, counts = walk(world, "rita", "label:SOURCE", "hits", 5, MAX_QUERIES, django_assert_max_num_queries)
    assert len(ids(results)) == len(results) == 14 and counts == {14}
    mine, counts = walk(world, "anna", "label:SOURCE Polisario", "hits", 3, MAX_QUERIES,
                        django_assert_max_num_queries)
    assert len(mine) == 7 and counts == {7}
    listed, counts = walk(world, "rita", "label:SOURCE Polisario", "articles", 2, MAX_QUERIES,
                          django_assert_max_num_queries)
    assert [a["article"] for a in listed] == sorted({hit["article"] for hit in mine})
    assert all(a["hits"] == 1 for a in listed) and counts == {7}
