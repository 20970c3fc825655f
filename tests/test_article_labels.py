"""Article-level labels: a project's questions about the whole article, answered in each layer."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotate.models import AnnotationEvent, ArticleAnswer, ArticleQuestion
from annotate.services import annotating, article_labels, review
from annotate.services.locking import StaleVersion
from annotate.services.restoring import restore

from .factories import api_client, make_article, make_assignment

pytestmark = pytest.mark.django_db
TEXT = "قال بلوان 🌍 إن الخطة جادة. France backs the plan."


def ask(project):
    """The demo's four questions: check-worthiness, topic, overall stance, skip reason."""
    return [
        ArticleQuestion.objects.create(project=project, name="CHECK_WORTHY", prompt="Is it check-worthy?",
                                       kind="single", choices=["yes", "no"], required=True, order=1),
        ArticleQuestion.objects.create(project=project, name="TOPIC", prompt="Topics", kind="multiple",
                                       choices=["politics", "economy", "security"], order=2),
        ArticleQuestion.objects.create(project=project, name="OVERALL_STANCE", prompt="Overall stance",
                                       kind="single", choices=["favor", "against", "neutral"], order=3),
        ArticleQuestion.objects.create(project=project, name="SKIP_REASON", prompt="Not news?", kind="text",
                                       order=4),
    ]


@pytest.fixture
def questions(project):
    return ask(project)


@pytest.fixture
def article(project):
    return make_article(project, text=TEXT)


@pytest.fixture
def layer(article, annotator_a):
    return annotating.open_layer(assignment=make_assignment(article, annotator_a))


def answers(layer):
    return article_labels.answers_of(layer.pk)


# The service -------------------------------------------------------------------------


def test_answers_are_set_cleared_and_kept_by_name(layer, questions, annotator_a):
    article_labels.set_article_labels(annotation=layer, expected_version=1, actor=annotator_a,
                                      article_labels={"CHECK_WORTHY": "yes", "TOPIC": ["security", "politics"]})
    assert layer.version == 2
    # The question's order, each choice once, whatever order the client sent.
    assert answers(layer) == {"CHECK_WORTHY": "yes", "TOPIC": ["politics", "security"]}
    article_labels.set_article_labels(annotation=layer, expected_version=2, actor=annotator_a,
                                      article_labels={"TOPIC": None, "SKIP_REASON": "  an opinion piece "})
    assert answers(layer) == {"CHECK_WORTHY": "yes", "SKIP_REASON": "an opinion piece"}
    assert layer.version == 3


def test_every_bad_answer_is_named_at_once_and_nothing_changes(layer, questions):
    with pytest.raises(ValidationError) as error:
        article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels={
            "CHECK_WORTHY": "maybe", "TOPIC": [], "OVERALL_STANCE": ["favor"], "NOPE": "x", "SKIP_REASON": 3})
    messages = error.value.message_dict
    assert set(messages) == {"article_labels.CHECK_WORTHY", "article_labels.TOPIC", "article_labels.OVERALL_STANCE",
                             "article_labels.NOPE", "article_labels.SKIP_REASON"}
    assert "'maybe' is not a choice of CHECK_WORTHY" in messages["article_labels.CHECK_WORTHY"][0]
    assert "empty list" in messages["article_labels.TOPIC"][0]
    assert "not an article question of this project" in messages["article_labels.NOPE"][0]
    layer.refresh_from_db()
    assert layer.version == 1 and not ArticleAnswer.objects.exists() and not AnnotationEvent.objects.exists()


def test_a_question_of_another_project_is_unknown(layer, questions):
    from .factories import make_project
    other = make_project("other")
    ArticleQuestion.objects.create(project=other, name="ELSEWHERE", prompt="?", kind="text")
    with pytest.raises(ValidationError, match="not an article question of this project"):
        article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels={"ELSEWHERE": "x"})


def test_a_stale_version_is_refused_and_a_retry_applies_once(layer, questions):
    article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels={"CHECK_WORTHY": "no"})
    # The same answers again, from the version before (the reply was lost): nothing written, go on from 2.
    again = article_labels.set_article_labels(annotation=layer, expected_version=1,
                                              article_labels={"CHECK_WORTHY": "no"})
    assert again.replayed and again.version == 2
    assert AnnotationEvent.objects.filter(action="article_label.set").count() == 1
    with pytest.raises(StaleVersion):
        article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels={"CHECK_WORTHY": "yes"})
    assert answers(layer) == {"CHECK_WORTHY": "no"}


def test_history_records_each_answer_and_a_restore_brings_them_back(layer, questions, annotator_a, manager):
    article_labels.set_article_labels(annotation=layer, expected_version=1, actor=annotator_a,
                                      article_labels={"CHECK_WORTHY": "yes", "TOPIC": ["economy"]})
    article_labels.set_article_labels(annotation=layer, expected_version=2, actor=annotator_a,
                                      article_labels={"CHECK_WORTHY": "no", "TOPIC": None})
    events = list(AnnotationEvent.objects.filter(annotation=layer).order_by("id"))
    assert [(e.version, e.action, e.before["value"], e.after["value"]) for e in events] == [
        (2, "article_label.set", None, "yes"), (2, "article_label.set", None, ["economy"]),
        (3, "article_label.set", "yes", "no"), (3, "article_label.set", ["economy"], None)]
    restore(annotation=layer, version=2, expected_version=3, actor=manager)
    assert answers(layer) == {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}
    restore(annotation=layer, version=1, expected_version=4, actor=manager)
    assert answers(layer) == {}
    restore(annotation=layer, version=4, expected_version=5, actor=manager)  # the restore itself undone
    assert answers(layer) == {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}


def test_submit_needs_the_required_questions(layer, questions, annotator_a):
    with pytest.raises(ValidationError) as error:
        annotating.submit(annotation=layer, expected_version=1, actor=annotator_a)
    assert error.value.message_dict == {
        "article_labels": ["answer the required question CHECK_WORTHY before submitting."]}
    article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels={"CHECK_WORTHY": "no"})
    assert annotating.submit(annotation=layer, expected_version=2, actor=annotator_a).status == "submitted"


def test_a_submitted_layer_takes_no_answers(layer, questions, annotator_a):
    article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels={"CHECK_WORTHY": "no"})
    annotating.submit(annotation=layer, expected_version=2, actor=annotator_a)
    with pytest.raises(ValidationError, match="can no longer be edited"):
        article_labels.set_article_labels(annotation=layer, expected_version=3, article_labels={"TOPIC": ["economy"]})


def test_a_question_is_checked_when_it_is_made(project):
    for kind, choices in (("single", []), ("text", ["a"]), ("multiple", ["a", "a"]), ("single", ["", "b"])):
        with pytest.raises(ValidationError):
            ArticleQuestion(project=project, name="Q", prompt="?", kind=kind, choices=choices).full_clean()
    with pytest.raises(ValidationError):
        ArticleQuestion(project=project, name="lower_case", prompt="?", kind="text").full_clean()


# The API -----------------------------------------------------------------------------


def test_the_layer_detail_and_the_write_carry_article_labels(layer, questions, annotator_a, reviewer):
    client = api_client(annotator_a)
    url = reverse("api:article-labels", args=[layer.pk])
    response = client.put(url, {"version": 1, "article_labels": {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}},
                          format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"annotation_version": 2,
                               "article_labels": {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}}
    assert response["ETag"] == '"2"'
    replay = client.put(url, {"version": 1, "article_labels": {"CHECK_WORTHY": "yes"}}, format="json")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["annotation_version"] == 2
    detail = api_client(reviewer).get(reverse("api:annotation-detail", args=[layer.pk])).json()
    assert detail["article_labels"] == {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}
    bad = client.put(url, {"version": 2, "article_labels": {"TOPIC": "economy"}}, format="json")
    assert bad.status_code == 400 and "article_labels.TOPIC" in bad.json()
    stale = client.put(url, {"version": 1, "article_labels": {"TOPIC": None}}, format="json")
    assert stale.status_code == 409
    submit = client.post(reverse("api:annotation-submit", args=[layer.pk]), {"version": 2}, format="json")
    assert submit.status_code == 200


def test_submit_through_the_api_names_the_missing_questions(layer, questions, annotator_a):
    response = api_client(annotator_a).post(reverse("api:annotation-submit", args=[layer.pk]), {"version": 1},
                                            format="json")
    assert response.status_code == 400
    assert "CHECK_WORTHY" in response.json()["article_labels"][0]


def test_another_annotators_layer_is_refused_and_reviewers_only_read(layer, questions, annotator_b, reviewer):
    url = reverse("api:article-labels", args=[layer.pk])
    body = {"version": 1, "article_labels": {"CHECK_WORTHY": "yes"}}
    assert api_client(annotator_b).put(url, body, format="json").status_code == 404
    assert api_client(annotator_b).get(url).status_code == 404
    assert api_client(reviewer).put(url, body, format="json").status_code == 403
    assert api_client(reviewer).get(url).json() == {"annotation_version": 1, "article_labels": {}}
    assert not ArticleAnswer.objects.exists()


def test_the_project_lists_its_questions(project, questions, annotator_a):
    response = api_client(annotator_a).get(reverse("api:project-detail", args=[project.slug]))
    listed = response.json()["article_questions"]
    assert [q["name"] for q in listed] == ["CHECK_WORTHY", "TOPIC", "OVERALL_STANCE", "SKIP_REASON"]
    assert listed[1] == {"id": questions[1].pk, "name": "TOPIC", "prompt": "Topics", "help_text": "",
                         "kind": "multiple", "choices": ["politics", "economy", "security"], "required": False,
                         "order": 2}


def test_the_layer_detail_reads_answers_in_one_query_whatever_their_number(
        layer, questions, annotator_a):
    client = api_client(annotator_a)
    url = reverse("api:annotation-detail", args=[layer.pk])
    client.get(url)  # warm: the token's user

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    none = count()
    article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels={
        "CHECK_WORTHY": "yes", "TOPIC": ["economy", "politics"], "OVERALL_STANCE": "neutral", "SKIP_REASON": "x"})
    assert count() == none


# Review and gold ---------------------------------------------------------------------


def submitted_layer(article, user, answers_given):
    layer = annotating.open_layer(assignment=make_assignment(article, user))
    article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels=answers_given)
    return annotating.submit(annotation=layer, expected_version=2, actor=user)


def test_review_lines_up_answers_and_gold_takes_the_agreed_ones(article, questions, annotator_a, annotator_b,
                                                               reviewer):
    anna = submitted_layer(article, annotator_a, {"CHECK_WORTHY": "yes", "TOPIC": ["economy"],
                                                  "OVERALL_STANCE": "favor"})
    submitted_layer(article, annotator_b, {"CHECK_WORTHY": "yes", "TOPIC": ["politics"]})
    client = api_client(reviewer)
    lined = {row["question"]: row for row in
             client.get(reverse("api:article-review", args=[article.pk])).json()["article_labels"]}
    assert lined["CHECK_WORTHY"]["state"] == "agreed"
    assert lined["CHECK_WORTHY"]["answers"] == {"anna": "yes", "ben": "yes"}
    assert lined["TOPIC"]["state"] == "conflict"
    assert lined["OVERALL_STANCE"]["state"] == "partial"
    assert lined["SKIP_REASON"]["state"] == "open"

    gold = review.start_gold(article=article, reviewer=reviewer)
    assert answers(gold) == {"CHECK_WORTHY": "yes"}
    accepted = client.post(reverse("api:annotation-accept", args=[gold.pk]),
                           {"kind": "article_label", "item_id": lined["TOPIC"]["ids"]["anna"],
                            "version": gold.version}, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["article_labels"] == {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}
    assert AnnotationEvent.objects.filter(annotation=gold, action="article_label.set").count() == 2
    # Another article's answer is not this gold's to take.
    assert anna.pk != gold.pk


def test_gold_from_one_layer_takes_its_answers_and_adjudication_needs_the_required_ones(
        article, questions, annotator_a, annotator_b, reviewer):
    anna = submitted_layer(article, annotator_a, {"CHECK_WORTHY": "no", "SKIP_REASON": "an advert"})
    gold = review.start_gold(article=article, reviewer=reviewer, source=anna)
    assert answers(gold) == {"CHECK_WORTHY": "no", "SKIP_REASON": "an advert"}
    article_labels.set_article_labels(annotation=gold, expected_version=gold.version, actor=reviewer,
                                      article_labels={"CHECK_WORTHY": None})
    with pytest.raises(ValidationError, match="CHECK_WORTHY before adjudicating"):
        review.adjudicate(gold=gold, expected_version=gold.version, reviewer=reviewer)
    article_labels.set_article_labels(annotation=gold, expected_version=gold.version, actor=reviewer,
                                      article_labels={"CHECK_WORTHY": "yes"})
    assert review.adjudicate(gold=gold, expected_version=gold.version, reviewer=reviewer).status == "adjudicated"


def test_the_review_page_shows_each_layers_answers_side_by_side(client, article, questions, annotator_a,
                                                                annotator_b, reviewer):
    submitted_layer(article, annotator_a, {"CHECK_WORTHY": "yes", "TOPIC": ["economy", "politics"]})
    submitted_layer(article, annotator_b, {"CHECK_WORTHY": "yes", "TOPIC": ["politics"]})
    review.start_gold(article=article, reviewer=reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("review:article", args=[article.pk])).content.decode()
    assert 'data-question="CHECK_WORTHY" data-state="agreed"' in page
    assert 'data-question="TOPIC" data-state="conflict"' in page
    assert "politics, economy" in page  # a multiple choice in the question's order
    assert 'data-kind="article_label"' in page  # gold lacks TOPIC: each annotator's answer can be accepted


def test_the_review_page_reads_answers_in_fixed_queries(client, project, questions, annotator_a, annotator_b,
                                                       reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(reviewer)

    def count(article):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("review:article", args=[article.pk])).status_code == 200
        return len(queries)

    few = make_article(project, text=TEXT)
    submitted_layer(few, annotator_a, {"CHECK_WORTHY": "yes"})
    many = make_article(project, text=TEXT)
    submitted_layer(many, annotator_a, {"CHECK_WORTHY": "no", "TOPIC": ["economy"], "SKIP_REASON": "x"})
    submitted_layer(many, annotator_b, {"CHECK_WORTHY": "yes", "OVERALL_STANCE": "favor"})
    count(few)
    assert count(many) == count(few)


# Admin ---------------------------------------------------------------------------------


def test_managers_edit_their_projects_questions_in_the_admin_and_only_theirs(client, project, questions):
    from annotate.models import Membership

    from .factories import make_project, make_user
    other = make_project("other")
    elsewhere = ArticleQuestion.objects.create(project=other, name="ELSEWHERE", prompt="?", kind="text")
    staff = make_user("stella", is_staff=True)
    Membership.objects.create(project=project, user=staff, role=Membership.Role.MANAGER)
    client.force_login(staff)
    listed = client.get(reverse("admin:annotate_articlequestion_changelist")).content.decode()
    assert "CHECK_WORTHY" in listed and "ELSEWHERE" not in listed
    assert client.get(reverse("admin:annotate_articlequestion_change", args=[elsewhere.pk])).status_code in (302, 403)
    response = client.post(reverse("admin:annotate_articlequestion_change", args=[questions[0].pk]), {
        "project": project.pk, "name": "CHECK_WORTHY", "prompt": "Check-worthy?", "help_text": "",
        "kind": "single", "choices": '["yes", "no;maybe"]', "required": "on", "order": 1})
    assert response.status_code == 200 and 'cannot hold' in response.content.decode()  # the form shows the error
    questions[0].refresh_from_db()
    assert questions[0].choices == ["yes", "no"]


def test_the_project_page_edits_its_questions_inline(admin_client, project, questions):
    page = admin_client.get(reverse("admin:annotate_project_change", args=[project.pk])).content.decode()
    assert 'name="article_questions-0-name"' in page and "CHECK_WORTHY" in page
