"""Recommenders judged on what people did: P/R/F1 per label against the layers, acceptance from the decisions."""
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotate.models import Job, Label, Recommender, SuggestedSpan, SuggestionDecision
from annotate.suggestions import evaluation
from annotate.suggestions.keys import span_key

from .conftest import run_queued_jobs
from .factories import api_client, make_annotation, make_article, make_span, make_user

pytestmark = pytest.mark.django_db
TEXT = "France backs the plan, the minister said."  # SOURCE 0:6 "France", CLAIM 7:12 "backs", 13:16 "the"


def suggest(article, recommender, *spans, version="1"):
    labels = dict(Label.objects.filter(project=article.project).values_list("name", "pk"))
    SuggestedSpan.objects.bulk_create(
        SuggestedSpan(article=article, recommender=recommender, version=version, score=0.8, label_id=labels[label],
                      start=start, end=end, text=article.text[start:end]) for label, start, end in spans)


def layer(article, *spans, gold=False, status="submitted"):
    annotation = make_annotation(article, None if gold else make_user(), is_gold=gold,
                                 status="adjudicated" if gold else status)
    for label, start, end in spans:
        make_span(annotation, label, start, end)
    return annotation


def decide(project, article, recommender, decision, n):
    user = make_user()
    SuggestionDecision.objects.bulk_create(
        SuggestionDecision(project=project, article=article, user=user, kind="span", key=span_key("SOURCE", i, i + 1),
                           label="SOURCE", recommender=recommender, score=0.8, decision=decision)
        for i in range(n))


@pytest.fixture
def outcomes(project):
    """tagger (a settings row) and imported (a name on suggestions only) on four articles:

    a1: gold (SOURCE 0:6, CLAIM 7:12), which settles it, and a submitted layer that does not count;
        tagger: SOURCE 0:6 (right), CLAIM 13:16 (wrong); imported: QUOTE 13:16 (wrong).
    a2: no gold, two submitted layers (SOURCE 0:6 | SOURCE 0:6, CLAIM 7:12) and one in progress (not counted);
        tagger: SOURCE 0:6, right against both layers, and misses the second's CLAIM.
    a3: no layer: tagger's SOURCE and imported's CUE there are not counted.
    a4: a layer with a CLAIM but no suggestion: not tagger's miss (it never saw the article).
    """
    a1, a2, a3, a4 = (make_article(project, text=TEXT) for _ in range(4))
    layer(a1, ("SOURCE", 0, 6), ("CLAIM", 7, 12), gold=True)
    layer(a1, ("SOURCE", 0, 6))
    layer(a2, ("SOURCE", 0, 6))
    layer(a2, ("SOURCE", 0, 6), ("CLAIM", 7, 12))
    layer(a2, ("CLAIM", 13, 16), status="in_progress")
    layer(a4, ("CLAIM", 7, 12))
    suggest(a1, "tagger", ("SOURCE", 0, 6), ("CLAIM", 13, 16), version="3")
    suggest(a2, "tagger", ("SOURCE", 0, 6), version="3")
    suggest(a3, "tagger", ("SOURCE", 0, 6), version="4")
    suggest(a1, "imported", ("QUOTE", 13, 16))
    suggest(a3, "imported", ("CUE", 17, 20))
    Recommender.objects.create(project=project, name="tagger", kind=Recommender.Kind.TAGGER, version="4")
    decide(project, a1, "tagger", "accepted", 3)
    decide(project, a1, "tagger", "rejected", 1)
    decide(project, a2, "ghost", "rejected", 2)  # a recommender since removed: its decisions remain
    return project


def test_precision_recall_and_f1_per_label_against_gold_or_each_submitted_layer(outcomes):
    result = evaluation.evaluate(outcomes)["recommenders"]
    tagger = result["tagger"]
    assert (tagger["articles"], tagger["articles_without_reference"], tagger["versions"]) == (2, 1, ["3", "4"])
    # SOURCE: right on a1 (gold) and against both of a2's layers: 3 of 3.
    assert tagger["labels"]["SOURCE"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 3,
                                          "suggested": 3, "correct": 3}
    # CLAIM: one wrong suggestion (a1), two missed (a1's gold, a2's second layer); a4's is not counted.
    assert tagger["labels"]["CLAIM"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2,
                                         "suggested": 1, "correct": 0}
    assert tagger["micro"] == {"precision": 0.75, "recall": 0.6, "f1": 0.666667, "support": 5, "suggested": 4,
                               "correct": 3}
    assert set(tagger["labels"]) == {"SOURCE", "CLAIM"}  # only the labels it proposes


def test_a_figure_with_nothing_to_count_is_null_with_its_reason_never_one(outcomes):
    imported = evaluation.evaluate(outcomes)["recommenders"]["imported"]
    # QUOTE on a1: wrong, and no QUOTE in the reference: recall 0/0.
    assert imported["labels"]["QUOTE"] == {"precision": 0.0, "recall": None, "f1": 0.0, "support": 0,
                                           "suggested": 1, "correct": 0,
                                           "undefined": {"recall": "no reference items"}}
    # CUE only on an article without a layer: nothing at all to compare.
    assert imported["labels"]["CUE"]["f1"] is None
    assert imported["labels"]["CUE"]["undefined"] == dict.fromkeys(("precision", "recall", "f1"), "no items")


def test_acceptance_counts_decisions_and_has_no_rate_without_any(outcomes):
    accepted = evaluation.acceptance(outcomes)
    assert accepted["tagger"] == {"accepted": 3, "rejected": 1, "rate": 0.75}
    assert accepted["ghost"] == {"accepted": 0, "rejected": 2, "rate": 0.0}
    assert "imported" not in accepted
    assert evaluation.acceptance_of(0, 0) == {"accepted": 0, "rejected": 0, "rate": None,
                                              "undefined": {"rate": "no decisions"}}


def test_evaluating_reads_a_fixed_number_of_queries_per_batch(outcomes, django_assert_num_queries):
    # Article ids, their suggestions, their corpus layers, those layers' spans; the empty next batch; label names.
    with django_assert_num_queries(6):
        evaluation.evaluate(outcomes)


def test_the_report_lists_rows_decided_and_evaluated_names_with_the_latest_evaluation(outcomes,
                                                                                       django_assert_num_queries):
    with django_assert_num_queries(4):  # settings rows, acceptance, the latest evaluation, one running
        before = evaluation.report(outcomes)
    assert before["evaluated_at"] is None and before["running"] is None
    assert [r["name"] for r in before["recommenders"]] == ["ghost", "tagger"]  # imported: not decided, not evaluated
    tagger = before["recommenders"][1]
    assert (tagger["kind"], tagger["enabled"], tagger["version"], tagger["labels"]) == ("tagger", True, "4", {})

    from annotate.jobs.kinds.recommenders import start_evaluation
    job = start_evaluation(outcomes)
    assert start_evaluation(outcomes) == job  # one on its way: not a second
    assert evaluation.report(outcomes)["running"] == {"id": job.pk, "status": "queued"}
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    after = evaluation.report(outcomes)
    assert after["evaluated_at"] and after["evaluation_job"] == job.pk and after["running"] is None
    names = {r["name"]: r for r in after["recommenders"]}
    assert set(names) == {"ghost", "imported", "tagger"}
    assert names["imported"]["kind"] is None and names["imported"]["acceptance"]["rate"] is None
    assert names["tagger"]["labels"]["SOURCE"]["f1"] == 1.0 and names["tagger"]["acceptance"]["rate"] == 0.75


# The API ---------------------------------------------------------------------------------------------------


def test_reviewers_and_managers_read_the_figures_and_start_an_evaluation(outcomes, reviewer, manager):
    url = reverse("api:recommender-list", args=[outcomes.slug])
    started = api_client(reviewer).post(reverse("api:recommender-evaluate", args=[outcomes.slug]))
    assert started.status_code == 202 and started["Location"] == started.json()["url"]
    run_queued_jobs()
    body = api_client(manager).get(url).json()
    assert body["evaluated_at"] is not None and body["reference"] == evaluation.REFERENCE
    tagger = next(r for r in body["recommenders"] if r["name"] == "tagger")
    assert tagger["acceptance"] == {"accepted": 3, "rejected": 1, "rate": 0.75}
    assert tagger["labels"]["CLAIM"]["recall"] == 0.0 and tagger["micro"]["f1"] == 0.666667
    imported = next(r for r in body["recommenders"] if r["name"] == "imported")
    assert imported["labels"]["QUOTE"]["undefined"] == {"recall": "no reference items"}
    assert imported["acceptance"]["undefined"] == {"rate": "no decisions"}


def test_annotators_are_refused_and_outsiders_see_no_project(outcomes, annotator_a, outsider):
    for name in ("api:recommender-list", "api:recommender-evaluate"):
        method = "get" if name.endswith("list") else "post"
        url = reverse(name, args=[outcomes.slug])
        assert getattr(api_client(annotator_a), method)(url).status_code == 403
        assert getattr(api_client(outsider), method)(url).status_code == 404
    assert not Job.objects.filter(kind=evaluation.KIND).exists()


# The dashboard ---------------------------------------------------------------------------------------------


def _dashboard(user, project):
    client = Client()
    client.force_login(user)
    return client.get(reverse("review:dashboard", args=[project.slug]))


def test_the_dashboard_shows_acceptance_and_figures_with_reasons(outcomes, reviewer):
    html = _dashboard(reviewer, outcomes).content.decode()
    assert 'id="recommenders"' in html and "Not evaluated yet." in html
    assert 'data-recommender="tagger"' in html and 'data-recommender="ghost"' in html
    client = Client()
    client.force_login(reviewer)
    response = client.post(reverse("review:evaluate-recommenders", args=[outcomes.slug]))
    assert response.status_code == 302 and response["Location"].endswith("/dashboard/#recommenders")
    assert "disabled" in _dashboard(reviewer, outcomes).content.decode().split('id="recommenders"')[1]
    run_queued_jobs()
    section = _dashboard(reviewer, outcomes).content.decode().split('id="recommenders"')[1]
    assert "Evaluated " in section and 'data-recommender-label="tagger:SOURCE"' in section
    assert 'data-undefined="no reference items"' in section  # imported's QUOTE recall
    assert 'data-undefined="no decisions"' in section  # imported's acceptance
    assert "0.75" in section


def counted(call) -> int:
    """The queries `call` makes (counted as they run: a request resets Django's own query log)."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    return len(statements)


def test_the_dashboard_reads_the_same_number_of_queries_however_many_recommenders(outcomes, reviewer):
    from annotate.jobs.kinds.recommenders import start_evaluation
    client = Client()
    client.force_login(reviewer)
    url = reverse("review:dashboard", args=[outcomes.slug])

    def evaluated():
        start_evaluation(outcomes)
        run_queued_jobs()
        client.get(url)  # the page first counts the figures of articles changed since (services/figures.settle)

    evaluated()
    few = counted(lambda: client.get(url))
    assert few <= 30  # the section's share: four (evaluation.report)
    article = make_article(outcomes, text=TEXT)
    for i in range(8):
        name = f"extra-{i}"
        Recommender.objects.create(project=outcomes, name=name, kind=Recommender.Kind.STRING_MATCH)
        suggest(article, name, ("SOURCE", 0, 6), ("CLAIM", 7, 12))
        decide(outcomes, article, name, "accepted", 2)
    layer(article, ("SOURCE", 0, 6))
    evaluated()
    assert counted(lambda: client.get(url)) == few
    assert client.get(url).content.decode().count("data-recommender=") == 11
