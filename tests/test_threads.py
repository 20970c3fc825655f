"""Discussion threads on a layer's items: who may see and write them, anchors (kept when the item goes),
mentions that leak nothing, retries applied once, and a list that costs the same whatever its length."""
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import Annotation, Comment, Thread
from annotate.services import annotating, threads

from .factories import api_client, make_article, make_assignment

pytestmark = pytest.mark.django_db
# Arabic and an emoji before the spans: anchors are ids, but the span's words are kept with the thread.
TEXT = "🇲🇦 قال الوزير: Hassan Bellouan said the plan works. France backs the plan."


@pytest.fixture
def layer(project, annotator_a):
    article = make_article(project, text=TEXT)
    layer = annotating.open_layer(assignment=make_assignment(article, annotator_a))
    start = TEXT.index("Hassan")
    source = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=start, end=start + 15)
    quote_start = TEXT.index("the plan works")
    annotating.add_span(annotation=layer, expected_version=2, label="QUOTE", start=quote_start,
                        end=quote_start + len("the plan works"))
    layer.source = source
    return layer


def threads_url(article_id):
    return reverse("api:article-threads", args=[article_id])


def open_on_source(layer, author, body="Is this the speaker?", **extra):
    return threads.open_thread(annotation=layer, kind="span", anchor_id=layer.source.pk, body=body, author=author,
                               **extra)


# Services ----------------------------------------------------------------------------------------------


def test_a_thread_records_its_anchor_author_and_time_and_leaves_the_layer_version_alone(layer, annotator_a):
    version = Annotation.objects.get(pk=layer.pk).version
    thread = open_on_source(layer, annotator_a)
    assert (thread.anchor_kind, thread.anchor_id, thread.article_id) == ("span", layer.source.pk, layer.article_id)
    assert thread.anchor_text == "SOURCE “Hassan Bellouan”"
    comment = thread.comments.get()
    assert comment.author == annotator_a and comment.created_at is not None and thread.created_by == annotator_a
    assert Annotation.objects.get(pk=layer.pk).version == version  # discussion, not annotation


def test_an_anchor_must_be_an_item_of_that_layer(layer, annotator_a, annotator_b):
    other = annotating.open_layer(assignment=make_assignment(make_article(layer.article.project, text=TEXT),
                                                             annotator_b))
    foreign = annotating.add_span(annotation=other, expected_version=1, label="SOURCE", start=0, end=2)
    with pytest.raises(ValidationError) as refused:
        threads.open_thread(annotation=layer, kind="span", anchor_id=foreign.pk, body="x", author=annotator_a)
    assert refused.value.message_dict == {"anchor": [f"no span {foreign.pk} in this layer."]}
    with pytest.raises(ValidationError):
        threads.open_thread(annotation=layer, kind="article", anchor_id=other.article_id, body="x",
                            author=annotator_a)
    with pytest.raises(ValidationError) as empty:
        open_on_source(layer, annotator_a, body="   ")
    assert "body" in empty.value.message_dict
    assert Thread.objects.count() == 0


def test_an_article_thread_is_anchored_to_the_article(layer, annotator_a):
    thread = threads.open_thread(annotation=layer, kind="article", anchor_id=None, body="Off topic?",
                                 author=annotator_a)
    assert (thread.anchor_kind, thread.anchor_id) == ("article", layer.article_id)


def test_a_thread_outlives_its_deleted_anchor_and_says_it_is_gone(layer, annotator_a):
    thread = open_on_source(layer, annotator_a)
    annotating.delete_span(expected_version=layer.version, span=layer.source)
    kept = Thread.objects.listed().get(pk=thread.pk)
    assert kept.anchor_gone and kept.anchor_text == "SOURCE “Hassan Bellouan”" and not kept.resolved


def test_mentions_link_only_members_who_may_see_the_layer(layer, annotator_a, annotator_b, reviewer, outsider):
    thread = open_on_source(layer, annotator_a, body="@rita please look; @ben @otto @nobody. mail ana@example.org")
    comment = thread.comments.get()
    assert [user.username for user in comment.mentions.all()] == ["rita"]
    # ben (another annotator), otto (no member) and a name nobody has are reported alike: nothing leaks.
    assert thread.unmatched_mentions == ["ben", "otto", "nobody"]


def test_a_retried_post_applies_once(layer, annotator_a):
    key = uuid.uuid4()
    first = open_on_source(layer, annotator_a, client_id=key)
    again = open_on_source(layer, annotator_a, client_id=key)
    assert again.pk == first.pk and again.replayed and not first.replayed
    reply_key = uuid.uuid4()
    threads.add_comment(thread=first, body="more", author=annotator_a, client_id=reply_key)
    replay = threads.add_comment(thread=first, body="more", author=annotator_a, client_id=reply_key)
    assert replay.replayed and Comment.objects.filter(thread=first).count() == 2
    with pytest.raises(ValidationError):  # the same id for a reply elsewhere is a mistake, not a retry
        threads.add_comment(thread=open_on_source(layer, annotator_a, body="b"), body="more", author=annotator_a,
                            client_id=reply_key)


def test_resolve_and_reopen_record_who_and_when(layer, annotator_a, reviewer):
    thread = open_on_source(layer, annotator_a)
    threads.set_resolved(thread=thread, resolved=True, user=reviewer)
    resolved_at = thread.resolved_at
    threads.set_resolved(thread=thread, resolved=True, user=annotator_a)  # already resolved: unchanged
    thread.refresh_from_db()
    assert thread.resolved and thread.resolved_by == reviewer and thread.resolved_at == resolved_at
    threads.set_resolved(thread=thread, resolved=False, user=annotator_a)
    thread.refresh_from_db()
    assert not thread.resolved and thread.resolved_by is None


# API ---------------------------------------------------------------------------------------------------


def test_an_annotator_opens_a_thread_on_her_layer_without_naming_it(layer, annotator_a):
    response = api_client(annotator_a).post(threads_url(layer.article_id), {
        "anchor": {"kind": "span", "id": layer.source.pk}, "body": "Speaker? @rita", "client_id": str(uuid.uuid4())},
        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["annotation"] == layer.pk and body["resolved"] is False
    assert body["anchor"] == {"kind": "span", "id": layer.source.pk, "text": "SOURCE “Hassan Bellouan”",
                              "gone": False}
    assert [c["body"] for c in body["comments"]] == ["Speaker? @rita"]
    assert body["unmatched_mentions"] == ["rita"]  # rita is no member in this test


def test_a_retried_api_post_answers_200_with_the_first_thread(layer, annotator_a):
    client, key = api_client(annotator_a), str(uuid.uuid4())
    post = {"anchor": {"kind": "article"}, "body": "Not news?", "client_id": key}
    first = client.post(threads_url(layer.article_id), post, format="json")
    again = client.post(threads_url(layer.article_id), post, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Thread.objects.count() == 1 and Comment.objects.count() == 1


def test_a_reviewer_must_say_which_layer_and_replies_and_resolves(layer, annotator_a, reviewer):
    client = api_client(reviewer)
    missing = client.post(threads_url(layer.article_id), {"anchor": {"kind": "article"}, "body": "x"},
                          format="json")
    assert missing.status_code == 400 and "annotation" in missing.json()
    thread = open_on_source(layer, annotator_a)
    reply = client.post(reverse("api:thread-comments", args=[thread.pk]), {"body": "Yes, @anna."}, format="json")
    assert reply.status_code == 201 and reply.json()["unmatched_mentions"] == []
    assert reply.json()["comments"][-1]["mentions"] == ["anna"]
    resolved = client.patch(reverse("api:thread-detail", args=[thread.pk]), {"resolved": True}, format="json")
    assert resolved.json()["resolved"] is True and resolved.json()["resolved_by"] == "rita"
    listed = client.get(threads_url(layer.article_id), {"resolved": "false"}).json()
    assert listed == []


def test_another_annotator_cannot_see_or_use_anyone_elses_threads(layer, annotator_a, annotator_b):
    thread = open_on_source(layer, annotator_a)
    ben = api_client(annotator_b)
    own = make_article(layer.article.project, text=TEXT)
    annotating.open_layer(assignment=make_assignment(own, annotator_b))
    assert ben.get(threads_url(layer.article_id)).status_code == 404
    assert ben.get(reverse("api:thread-detail", args=[thread.pk])).status_code == 404
    assert ben.post(reverse("api:thread-comments", args=[thread.pk]), {"body": "hi"}, format="json").status_code == 404
    # Naming anna's layer from his own article, or her span from his layer: not found / not in the layer.
    assert ben.post(threads_url(own.pk), {"annotation": layer.pk, "anchor": {"kind": "article"}, "body": "x"},
                    format="json").status_code == 404
    refused = ben.post(threads_url(own.pk), {"anchor": {"kind": "span", "id": layer.source.pk}, "body": "x"},
                       format="json")
    assert refused.status_code == 400 and refused.json() == {"anchor": [f"no span {layer.source.pk} in this layer."]}
    assert Thread.objects.count() == 1


def test_a_reviewer_sees_every_layers_threads_and_an_annotator_only_her_own(project, layer, annotator_a,
                                                                              annotator_b, reviewer):
    theirs = annotating.open_layer(assignment=make_assignment(layer.article, annotator_b))
    threads.open_thread(annotation=theirs, kind="article", anchor_id=None, body="ben's", author=annotator_b)
    open_on_source(layer, annotator_a, body="anna's")
    bodies = lambda user, **q: sorted(t["comments"][0]["body"] for t in  # noqa: E731
                                      api_client(user).get(threads_url(layer.article_id), q).json())
    assert bodies(annotator_a) == ["anna's"] and bodies(annotator_b) == ["ben's"]
    assert bodies(reviewer) == ["anna's", "ben's"] and bodies(reviewer, annotation=theirs.pk) == ["ben's"]


def test_the_list_costs_the_same_whatever_the_number_of_threads_and_comments(layer, annotator_a, reviewer):
    client = api_client(reviewer)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(threads_url(layer.article_id)).status_code == 200
        return len(queries)

    open_on_source(layer, annotator_a, body="one @rita")
    few = count()
    for n in range(8):
        thread = open_on_source(layer, annotator_a, body=f"thread {n} @rita")
        threads.add_comment(thread=thread, body="reply @anna", author=reviewer)
    assert count() == few
    # token auth, the article, the threads (with their anchors' state), comments, mentions
    assert few <= 5


def test_threads_are_readable_by_the_layers_reviewers_after_submit(layer, annotator_a, reviewer):
    open_on_source(layer, annotator_a)
    annotating.submit(annotation=layer, expected_version=layer.version)
    response = api_client(annotator_a).post(reverse("api:thread-comments", args=[Thread.objects.get().pk]),
                                            {"body": "still here"}, format="json")
    assert response.status_code == 201
    assert Thread.objects.visible_to(reviewer).count() == 1


# Where open threads show ----------------------------------------------------------------------------------


def test_my_work_lists_my_layers_with_open_threads_and_the_threads_mentioning_me(project, layer, annotator_a,
                                                                                  reviewer, client):
    from web.views.work import discussion_for

    for n in range(3):
        open_on_source(layer, reviewer, body=f"{n}: look again @anna")
    threads.set_resolved(thread=Thread.objects.first(), resolved=True, user=reviewer)
    with CaptureQueriesContext(connection) as few:
        discussion_for(annotator_a)
    for n in range(15):
        open_on_source(layer, reviewer, body=f"more {n} @anna")
    with CaptureQueriesContext(connection) as many:
        discussion = discussion_for(annotator_a)
    # my layers' open threads per layer, the newest mentioning threads, their number
    assert len(many) == 3 and len(few) <= 3, "\n".join(q["sql"] for q in many)
    (row,) = discussion.layers
    assert row["n"] == 17 and row["annotation_id"] == layer.pk and row["assignment"] is not None
    assert discussion.mention_count == 17 and len(discussion.mentions) == 10
    client.force_login(annotator_a)
    page = client.get(reverse("annotate:my-work")).content.decode()
    assert 'data-open-on-my-layers="17"' in page and 'data-mention-count="17"' in page
    assert reverse("annotate:workspace", args=[row["assignment"]]) in page


def test_reviewers_filter_layers_and_articles_with_open_threads(project, layer, annotator_a, annotator_b, reviewer,
                                                                 client):
    quiet = annotating.open_layer(assignment=make_assignment(make_article(project, text=TEXT), annotator_b))
    resolved = threads.open_thread(annotation=quiet, kind="article", anchor_id=None, body="done", author=annotator_b)
    threads.set_resolved(thread=resolved, resolved=True, user=reviewer)
    open_on_source(layer, annotator_a)
    api = api_client(reviewer)
    ids = lambda **q: [r["id"] for r in api.get(reverse("api:annotation-list"), q).json()["results"]]  # noqa: E731
    assert ids(open_threads="true") == [layer.pk] and ids(open_threads="false") == [quiet.pk]
    client.force_login(reviewer)
    index = client.get(reverse("review:index", args=[project.slug]), {"show": "open_threads"}).content.decode()
    assert f'data-article="{layer.article_id}"' in index and f'data-article="{quiet.article_id}"' not in index
    assert 'data-open-threads="1"' in index
    annotating.submit(annotation=layer, expected_version=layer.version)
    article_page = client.get(reverse("review:article", args=[layer.article_id])).content.decode()
    assert 'data-open-threads="1"' in article_page and "data-threads-panel" in article_page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_the_open_threads_filters_read_the_partial_indexes(project, layer, annotator_a, reviewer, client):
    from .plans import explain

    open_on_source(layer, annotator_a)
    client.force_login(reviewer)
    for get, index in ((lambda: api_client(reviewer).get(reverse("api:annotation-list"), {"open_threads": "true"}),
                        "thread_open_in_layer"),
                       (lambda: client.get(reverse("review:index", args=[project.slug]), {"show": "open_threads"}),
                        "thread_open_in_article")):
        with CaptureQueriesContext(connection) as queries:
            assert get().status_code == 200
        filtered = [q["sql"] for q in queries if "annotate_thread" in q["sql"] and "LIMIT" in q["sql"]]
        plan = "\n".join(explain(filtered[0]))
        # Either open-thread index answers both (the planner picks by the tables' statistics, which depend on
        # what earlier tests left): what matters is that no filter reads every thread.
        assert "thread_open_in_" in plan and "Seq Scan on annotate_thread" not in plan, (index, plan)
