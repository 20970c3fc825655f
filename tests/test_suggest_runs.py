"""Running recommenders over a project: `manage.py suggest`, the suggestions job, training and retraining,
and a recommender that fails while the others go on."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.jobs.kinds.suggestions import start_suggestions
from annotate.models import Annotation, Job, Recommender, SuggestedRelation, SuggestedSpan
from annotate.services import annotating
from annotate.suggestions import running

from .conftest import run_queued_jobs
from .factories import make_article, make_assignment

pytestmark = pytest.mark.django_db

TEXTS = [
    '"The autonomy plan is serious and credible," Nasser Bourita said on Monday.',
    "According to the ministry, the talks will resume in Geneva next week.",
    "« Le plan est sérieux », a déclaré le ministre. Rien d'autre.",
    "قال الوزير إن الخطة جدية وذات مصداقية.",
]


@pytest.fixture
def articles(project):
    return [make_article(project, text=text, external_id=f"a{i}", language=("en", "en", "fr", "ar")[i])
            for i, text in enumerate(TEXTS)]


def test_suggest_with_attribution_needs_no_setup_and_covers_every_article(project, articles, capsys):
    call_command("suggest", "demo", "--recommender", "attribution")
    out = capsys.readouterr().out
    assert "attribution: 4 article(s)" in out
    covered = set(SuggestedSpan.objects.filter(recommender="attribution").values_list("article_id", flat=True))
    assert covered == {article.pk for article in articles}
    arabic = SuggestedSpan.objects.get(article=articles[3], label__name="CUE")
    assert arabic.text == "قال" == TEXTS[3][arabic.start:arabic.end]
    quote = SuggestedSpan.objects.get(article=articles[0], label__name="QUOTE")
    assert quote.text == TEXTS[0][quote.start:quote.end] and "autonomy plan" in quote.text
    assert SuggestedRelation.objects.filter(article=articles[0], type__name="ATTRIBUTED_TO").exists()
    # The first use set up the three built-in recommenders, enabled.
    assert set(Recommender.objects.filter(project=project).values_list("name", flat=True)) == {
        "attribution", "string_match", "tagger"}

    before = SuggestedSpan.objects.count()
    call_command("suggest", "demo", "--recommender", "attribution")
    assert SuggestedSpan.objects.count() == before  # replaced, never doubled


def test_suggest_one_article_by_external_id_or_id(project, articles):
    call_command("suggest", "demo", "--recommender", "attribution", "--article", "a0", "--article",
                 str(articles[2].pk))
    assert set(SuggestedSpan.objects.values_list("article_id", flat=True)) == {articles[0].pk, articles[2].pk}
    with pytest.raises(CommandError, match="no article nope"):
        call_command("suggest", "demo", "--article", "nope")


def test_suggest_refuses_unknown_projects_and_recommenders(project, articles):
    with pytest.raises(CommandError, match="no project 'nope'"):
        call_command("suggest", "nope")
    with pytest.raises(CommandError, match="no recommender magic in demo"):
        call_command("suggest", "demo", "--recommender", "magic")
    assert not SuggestedSpan.objects.exists()


def test_a_recommender_that_is_down_fails_alone(project, articles, capsys):
    Recommender.objects.create(project=project, name="mymodel", kind="external", url="http://127.0.0.1:9",
                               timeout_seconds=0.5)
    with pytest.raises(CommandError, match="failed on every article"):
        call_command("suggest", "demo", "--recommender", "attribution", "--recommender", "mymodel")
    out = capsys.readouterr().out
    assert "mymodel: 0 article(s)" in out and "could not connect" in out
    assert SuggestedSpan.objects.filter(recommender="attribution").exists()
    assert not SuggestedSpan.objects.filter(recommender="mymodel").exists()
    assert "could not connect" in Recommender.objects.get(name="mymodel").last_error


def submitted_layer(article, user, spans):
    layer = annotating.open_layer(assignment=make_assignment(article, user))
    for label, text in spans:
        start = article.text.index(text)
        annotating.add_span(annotation=layer, expected_version=layer.version, label=label, start=start,
                            end=start + len(text))
    layer.refresh_from_db()
    return annotating.submit(annotation=layer, expected_version=layer.version)


def test_trainable_recommenders_train_before_their_first_run_and_again_when_due(project, articles, annotator_a,
                                                                               annotator_b, capsys):
    call_command("suggest", "demo", "--recommender", "tagger")  # nothing to learn yet: skipped, not failed
    assert "tagger: skipped: not trained" in capsys.readouterr().out
    assert not SuggestedSpan.objects.exists()
    submitted_layer(articles[0], annotator_a, [("SOURCE", "Nasser Bourita"), ("QUOTE", "The autonomy plan")])
    call_command("suggest", "demo", "--recommender", "string_match")
    row = Recommender.objects.get(project=project, name="string_match")
    assert row.trained_on == 1 and row.version == "2" and row.state_file
    proposed = SuggestedSpan.objects.filter(recommender="string_match", label__name="SOURCE")
    assert {span.text for span in proposed} == {"Nasser Bourita"}
    assert {span.version for span in proposed} == {"2"}

    # Not due: the same version runs again.
    row.retrain_every = 2
    row.save()
    call_command("suggest", "demo", "--recommender", "string_match")
    row.refresh_from_db()
    assert row.version == "2"
    submitted_layer(articles[1], annotator_a, [("SOURCE", "the ministry")])
    submitted_layer(articles[1], annotator_b, [("SOURCE", "the ministry")])
    call_command("suggest", "demo", "--recommender", "string_match")
    row.refresh_from_db()
    assert (row.version, row.trained_on) == ("3", 3)
    assert SuggestedSpan.objects.filter(recommender="string_match", text="the ministry").exists()


def test_the_suggestions_job_runs_a_project_with_progress_and_a_result(project, articles, manager):
    job = start_suggestions(project, user=manager, recommenders=["attribution"])
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert job.result["recommenders"]["attribution"]["articles"] == 4
    assert job.progress_done == 4 and job.progress_total == 4
    assert SuggestedSpan.objects.filter(recommender="attribution").exists()


def test_the_suggestions_job_fails_when_every_recommender_fails(project, articles, manager):
    Recommender.objects.create(project=project, name="mymodel", kind="external", url="http://127.0.0.1:9",
                               timeout_seconds=0.5)
    job = start_suggestions(project, user=manager, recommenders=["mymodel"])
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "could not connect" in job.error["message"]


def test_run_reads_the_project_a_batch_at_a_time(project, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(running, "ARTICLES_PER_BATCH", 10)
    for i in range(30):
        make_article(project, text=TEXTS[i % 2], external_id=f"b{i}")
    running.run(project, names=["attribution"], log=lambda line: None)  # first use: sets up the recommenders
    # per batch of 10: articles, 4 deletes, 4 inserts (ids on SQLite: 1 more each), uncertainty read + update
    with django_assert_max_num_queries(4 + 3 * 16 + 4):
        outcomes = running.run(project, names=["attribution"], log=lambda line: None)
    assert outcomes["attribution"].articles == 30
    assert not Annotation.objects.exists()


def test_the_reference_external_recommender_end_to_end(project, articles, annotator_a):
    """examples/recommender_server.py as a project's recommender: trained on a submitted layer, run by the
    command, its suggestions read and accepted through the API with its version in the provenance."""
    from .factories import api_client
    from .test_recommender_external import _reference, serving

    submitted_layer(articles[1], make_user_for(project), [("SOURCE", "the ministry")])
    with serving(_reference().make_server(port=0, token="s3cret")) as url:
        Recommender.objects.create(project=project, name="house-model", kind="external", url=url,
                                   auth_header="Authorization: Bearer s3cret", batch_size=2, retrain_every=1)
        call_command("suggest", "demo", "--recommender", "house-model", "--retrain")
    quote = SuggestedSpan.objects.get(article=articles[0], recommender="house-model", label__name="QUOTE")
    assert quote.text == "The autonomy plan is serious and credible"
    assert quote.version.startswith("dict-")  # the version the server reported
    assert SuggestedSpan.objects.filter(recommender="house-model", text="the ministry").exists()  # learned

    layer = annotating.open_layer(assignment=make_assignment(articles[0], annotator_a))
    client = api_client(annotator_a)
    shown = client.get(f"/api/v1/articles/{articles[0].pk}/suggestions/", {"recommender": "house-model"}).json()
    assert quote.pk in {span["id"] for span in shown["spans"]}
    response = client.post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/",
                           {"spans": [quote.pk], "version": layer.version}, format="json")
    assert response.status_code == 201
    assert layer.spans.get().provenance == [{"recommender": "house-model", "version": quote.version,
                                             "score": quote.score}]


def make_user_for(project):
    from annotate.models import Membership

    from .factories import make_user

    user = make_user("bea")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    return user


def test_managers_start_a_run_over_the_api(project, articles, manager, reviewer):
    from .factories import api_client

    url = f"/api/v1/projects/{project.slug}/recommenders/run/"
    assert api_client(reviewer).post(url, {}, format="json").status_code == 403
    refused = api_client(manager).post(url, {"recommenders": ["magic"]}, format="json")
    assert refused.status_code == 400 and "no recommender magic" in refused.json()["recommenders"][0]
    started = api_client(manager).post(url, {"recommenders": ["attribution"], "articles": [articles[0].pk]},
                                       format="json")
    assert started.status_code == 202
    run_queued_jobs()
    assert Job.objects.get(pk=started.json()["id"]).status == Job.Status.DONE
    assert set(SuggestedSpan.objects.values_list("article_id", flat=True)) == {articles[0].pk}
