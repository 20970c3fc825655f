"""include=comments: each exported layer's discussion threads, on request only, valid against the published
schema, at a query cost that does not grow with the threads."""
import jsonschema
import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.export import iter_records, json_schema, parse_filters
from annotate.export.filters import FilterError
from annotate.services import annotating, threads

from .factories import api_client, make_article, make_assignment, make_member, make_user

pytestmark = pytest.mark.django_db
TEXT = "🇲🇦 قال الوزير: Hassan Bellouan said the plan works."


@pytest.fixture
def discussed(project, annotator_a, reviewer):
    """anna's submitted layer with a SOURCE span; a thread on the span (resolved by rita), one on a span since
    deleted, and one on the article."""
    article = make_article(project, text=TEXT, external_id="discussed")
    layer = annotating.open_layer(assignment=make_assignment(article, annotator_a))
    start = TEXT.index("Hassan")
    source = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=start, end=start + 15)
    doomed = annotating.add_span(annotation=layer, expected_version=2, label="CUE", start=start + 16,
                                 end=start + 20)
    on_source = threads.open_thread(annotation=layer, kind="span", anchor_id=source.pk, body="Who? @rita",
                                    author=annotator_a)
    threads.add_comment(thread=on_source, body="The minister.", author=reviewer)
    threads.set_resolved(thread=on_source, resolved=True, user=reviewer)
    threads.open_thread(annotation=layer, kind="span", anchor_id=doomed.pk, body="Cue?", author=annotator_a)
    annotating.delete_span(span=doomed, expected_version=3)
    threads.open_thread(annotation=layer, kind="article", anchor_id=None, body="Not news?", author=reviewer)
    layer.refresh_from_db()
    annotating.submit(annotation=layer, expected_version=layer.version)
    return layer


def comments_filters(project):
    return parse_filters({"include": "comments"}, project=project, suggestions=True)


def test_comments_are_never_exported_by_default(project, discussed):
    (record,) = iter_records(project)
    assert "threads" not in record


def test_include_comments_adds_each_layers_threads_with_their_comments(project, discussed):
    (record,) = iter_records(project, comments_filters(project))
    on_source, on_gone, on_article = record["threads"]
    assert on_source["anchor"] == {"kind": "span", "id": on_source["anchor"]["id"], "span": "s1",
                                   "text": "SOURCE “Hassan Bellouan”", "gone": False}
    assert record["annotations"]["spans"][0]["id"] == "s1"
    assert [(c["author"], c["body"]) for c in on_source["comments"]] == [("anna", "Who? @rita"),
                                                                         ("rita", "The minister.")]
    assert on_source["resolved"] and on_source["resolved_by"] == "rita" and on_source["created_by"] == "anna"
    assert on_source["comments"][0]["created_at"].endswith("Z")
    assert on_gone["anchor"]["gone"] and "span" not in on_gone["anchor"] and not on_gone["resolved"]
    assert on_article["anchor"]["kind"] == "article" and on_article["anchor"]["id"] == discussed.article_id
    jsonschema.Draft202012Validator(json_schema()).validate(orjson.loads(orjson.dumps(record)))


def test_the_api_writes_threads_in_jsonl_and_json_only(project, discussed):
    client = api_client(make_member(project, make_user("erin"), role="engineer"))
    url = reverse("api:export-jsonl", args=[project.slug])
    plain, with_comments = client.get(url), client.get(url, {"include": "comments"})
    assert with_comments.status_code == 200 and plain["ETag"] != with_comments["ETag"]
    (line,) = b"".join(with_comments.streaming_content).splitlines()
    assert [t["comments"][0]["body"] for t in orjson.loads(line)["threads"]] == ["Who? @rita", "Cue?", "Not news?"]
    (json_record,) = orjson.loads(b"".join(client.get(reverse("api:export-json", args=[project.slug]),
                                                      {"include": "comments"}).streaming_content))
    assert len(json_record["threads"]) == 3
    refused = client.get(reverse("api:export-csv", args=[project.slug]), {"include": "comments"})
    assert refused.status_code == 400 and "include" in refused.json()
    assert client.get(url, {"include": "everything"}).json() == {
        "include": ["must be one of comments, got 'everything'"]}


def test_include_comments_is_refused_for_suggestions(project):
    with pytest.raises(FilterError) as refused:
        parse_filters({"include": "comments", "status": "suggestions"}, project=project, suggestions=True)
    assert refused.value.parameter == "include"


def test_the_threads_cost_two_queries_a_batch_whatever_their_number(project, discussed, annotator_a,
                                                                     django_assert_max_num_queries):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            list(iter_records(project, comments_filters(project)))
        return len(captured)

    few = queries()
    for n in range(10):
        thread = threads.open_thread(annotation=discussed, kind="article", anchor_id=None, body=f"n{n}",
                                     author=annotator_a)
        threads.add_comment(thread=thread, body="again", author=annotator_a)
    with django_assert_max_num_queries(few):
        assert len(next(iter(iter_records(project, comments_filters(project))))["threads"]) == 13
    # Without include=comments the export reads no thread at all: two queries fewer.
    with django_assert_max_num_queries(few - 2):
        list(iter_records(project))
