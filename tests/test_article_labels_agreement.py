"""Agreement on the article questions: Cohen's kappa per pair and Krippendorff's alpha per question."""
import krippendorff
import numpy as np
import pytest
from django.urls import reverse
from sklearn.metrics import cohen_kappa_score

from annotate import dashboards
from annotate.agreement.article_labels import question_agreement
from annotate.services import annotating, article_labels

from .conftest import run_queued_jobs
from .factories import api_client, make_article, make_assignment, make_member, make_user
from .test_article_labels import ask

pytestmark = pytest.mark.django_db


def answer(article, user, answers):
    layer = annotating.open_layer(assignment=make_assignment(article, user))
    if answers:
        article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels=answers)
    return annotating.submit(annotation=layer, expected_version=layer.version, actor=user)


@pytest.fixture
def coded(project, annotator_a, annotator_b):
    """Four articles: anna and ben answer CHECK_WORTHY (agreeing on three), TOPIC, and a free text."""
    ask(project)
    cleo = make_member(project, make_user("cleo"))
    anna = [("yes", ["politics"]), ("no", ["economy", "security"]), ("yes", ["politics", "economy"]), ("no", None)]
    ben = [("yes", ["politics"]), ("no", ["economy"]), ("no", ["politics", "economy"]), ("no", ["security"])]
    for n, (a, b) in enumerate(zip(anna, ben)):
        article = make_article(project, text=f"Article number {n}.")
        for user, (worthy, topic) in ((annotator_a, a), (annotator_b, b)):
            answer(article, user, {"CHECK_WORTHY": worthy, "TOPIC": topic, "SKIP_REASON": f"reason {n}"})
        if n == 0:
            answer(article, cleo, {"CHECK_WORTHY": "no"})  # a third coder on one article only
    return anna, ben


def test_single_choice_kappa_and_alpha_are_the_usual_ones(project, coded):
    report = question_agreement(project)
    worthy = report["CHECK_WORTHY"]
    anna, ben = coded
    pair = next(p for p in worthy["pairs"] if (p["a"], p["b"]) == ("anna", "ben"))
    assert pair["items"] == 4
    assert pair["cohen_kappa"] == round(cohen_kappa_score([a for a, _ in anna], [b for b, _ in ben]), 6)
    values = {"yes": 0, "no": 1}
    table = np.array([[values[a] for a, _ in anna], [values[b] for b, _ in ben],
                      [values["no"], np.nan, np.nan, np.nan]], dtype=float)
    assert worthy["krippendorff_alpha"] == round(krippendorff.alpha(reliability_data=table,
                                                                     level_of_measurement="nominal"), 6)
    assert worthy["items"] == 4 and worthy["kind"] == "single"


def test_multiple_choice_is_one_binary_item_per_choice(project, coded):
    topic = question_agreement(project, annotators=["anna", "ben"])["TOPIC"]
    anna, ben = coded
    # Articles both answered: the first three (anna left the fourth open); three choices each.
    choices = ["politics", "economy", "security"]
    a = [c in chosen for _, chosen in anna[:3] for c in choices]
    b = [c in chosen for _, chosen in ben[:3] for c in choices]
    [pair] = topic["pairs"]
    assert pair["items"] == 9 and topic["items"] == 3
    assert pair["cohen_kappa"] == round(cohen_kappa_score(a, b), 6)
    table = np.array([a, b], dtype=float)
    assert topic["krippendorff_alpha"] == round(krippendorff.alpha(reliability_data=table,
                                                                   level_of_measurement="nominal"), 6)


def test_a_zero_over_zero_figure_is_null_with_its_reason(project, coded):
    report = question_agreement(project, annotators=["anna", "ben"])
    stance = report["OVERALL_STANCE"]  # nobody answered it
    assert stance["krippendorff_alpha"] is None and stance["undefined"] == {"krippendorff_alpha": "no items"}
    assert stance["items"] == 0
    first = question_agreement(project, annotators=["anna", "ben"],
                               articles=[project.articles.order_by("pk").first().pk])["CHECK_WORTHY"]
    assert first["krippendorff_alpha"] is None and first["undefined"]["krippendorff_alpha"] == "one category only"
    assert first["pairs"][0]["cohen_kappa"] is None
    assert report["SKIP_REASON"] == {"kind": "text", "items": 4}  # free text: no statistic


def test_the_narrowed_request_and_the_job_carry_them_the_whole_projects_request_does_not(project, coded, manager):
    client = api_client(manager)
    url = reverse("api:agreement", args=[project.slug])
    assert "article_labels" not in client.get(url).json()
    narrowed = client.get(url, {"annotators": "anna,ben"}).json()
    assert narrowed["article_labels"]["CHECK_WORTHY"]["pairs"][0]["items"] == 4
    with_them = dashboards.agreement(project, with_article_labels=True)
    assert with_them["article_labels"] == question_agreement(project)
    response = client.post(reverse("api:agreement-report", args=[project.slug]), {}, format="json")
    assert response.status_code == 202, response.content
    run_queued_jobs()
    job = client.get(reverse("api:job-detail", args=[response.json()["id"]])).json()
    assert job["status"] == "done", job
    assert job["result"]["article_labels"]["TOPIC"]["kind"] == "multiple"


def test_the_figures_read_answers_in_a_fixed_number_of_queries(project, coded, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        question_agreement(project)
