"""import_articles --update --reanchor: corrected texts of annotated articles, their spans moved or flagged."""
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotate.models import (
    Annotation,
    AnnotationEvent,
    Article,
    ArticleRevision,
    Job,
    Membership,
    Relation,
    Span,
    StaleArticle,
)
from annotate.services.importing import import_file

from .factories import api_client, make_user

pytestmark = pytest.mark.django_db

BODY = ("Rabat (AFP) - The plan \"is serius and credible,\" Bourita told reporters on Monday.\n\n"
        "A paragraph the outlet later withdrew, naming Karim Benali.\n\n"
        "The talks resume in Geneva, said the envoy.")
CORRECTED = ("Updated on Tuesday.\n\n"
             + BODY.replace("serius", "serious").replace("A paragraph the outlet later withdrew, naming Karim "
                                                        "Benali.\n\n", ""))


def phrase(text, words, label):
    start = text.index(words)
    return {"start": start, "end": start + len(words), "label": label, "text": words}


def record(text=BODY, annotator="anna", **extra):
    spans = [dict(phrase(text, '"is serius and credible,"', "QUOTE"), id="q"),
             dict(phrase(text, "Bourita", "SOURCE"), id="s"),
             dict(phrase(text, "Karim Benali", "SOURCE"), id="k"),
             dict(phrase(text, "Geneva", "CLAIM"), id="g")]
    return {"external_id": "a1", "text": text, "annotator": annotator, "status": "submitted",
            "annotations": {"spans": spans, "relations": [{"from": "q", "to": "s", "type": "ATTRIBUTED_TO"}],
                            "stances": []}, **extra}


def jsonl(*records) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


@pytest.fixture
def annotated(project, annotator_a, annotator_b, tmp_path):
    """One article with two annotators' layers, imported as an export would write them."""
    import_file(io.BytesIO(jsonl(record(annotator="anna"), record(annotator="ben"))), name="layers.jsonl",
                project_slug="demo")
    path = tmp_path / "corrected.jsonl"
    path.write_bytes(jsonl({"external_id": "a1", "text": CORRECTED, "title": "Corrected"}))
    return path


def database_state():
    """Everything a re-anchoring may touch, as plain values."""
    return {
        "articles": list(Article.objects.order_by("pk").values_list("pk", "text", "title", "content_hash")),
        "layers": list(Annotation.objects.order_by("pk").values_list("pk", "version", "status")),
        "spans": list(Span.objects.order_by("pk").values_list("pk", "start", "end", "text", "fragments",
                                                               "needs_review")),
        "relations": list(Relation.objects.order_by("pk").values_list("pk", "from_span", "to_span")),
        "events": AnnotationEvent.objects.count(),
        "revisions": ArticleRevision.objects.count(),
        "stale": StaleArticle.objects.count(),
    }


def run(*args):
    out = io.StringIO()
    call_command("import_articles", *map(str, args), "--project", "demo", stdout=out)
    return out.getvalue()


def test_the_command_reanchors_and_reports_per_article(annotated):
    output = run(annotated, "--update", "--reanchor")
    # Two layers of four spans: the typo'd quote and the withdrawn name flagged, the other two moved.
    assert "  a1: moved 4, flagged 4, unchanged 0" in output
    assert "re-anchored 1 article(s): moved 4, flagged 4, unchanged 0" in output
    article = Article.objects.get(external_id="a1")
    assert (article.text, article.title) == (CORRECTED, "Corrected")
    for span in Span.objects.all():
        if span.needs_review:
            assert span.text in ('"is serius and credible,"', "Karim Benali")
            assert 0 <= span.start < span.end <= len(CORRECTED)
        else:
            assert CORRECTED[span.start:span.end] == span.text
    assert Relation.objects.count() == 2  # relations point at spans: kept
    for layer in Annotation.objects.all():
        assert layer.status == "submitted"  # whatever its status, a layer is re-anchored
        assert layer.events.filter(action="article.reanchor", version=layer.version).count() == 1


def test_without_reanchor_an_annotated_article_is_refused(annotated):
    before = database_state()
    with pytest.raises(CommandError):
        run(annotated, "--update")
    with pytest.raises(CommandError, match="--reanchor needs --update"):
        run(annotated, "--reanchor")
    assert database_state() == before


def test_a_dry_run_reports_the_same_and_writes_nothing(annotated):
    before = database_state()
    output = run(annotated, "--update", "--reanchor", "--dry-run")
    assert "  a1: moved 4, flagged 4, unchanged 0" in output and "dry run: nothing written" in output
    assert database_state() == before
    assert "a1: moved 4, flagged 4, unchanged 0" in run(annotated, "--update", "--reanchor")
    assert database_state() != before


def test_a_problem_anywhere_in_the_file_leaves_every_article_as_it_was(annotated, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(annotated.read_bytes() + b'{"external_id": "a2", "text": ""}\n')
    before = database_state()
    with pytest.raises(CommandError):
        run(path, "--update", "--reanchor")
    assert database_state() == before


def test_a_layer_in_the_same_file_points_into_the_new_text(annotated, project):
    """A file may bring the corrected text and then a new layer on it (as an export of the corrected corpus)."""
    make_user("cleo")
    corrected_layer = {"external_id": "a1", "text": CORRECTED, "annotator": "cleo", "status": "submitted",
                       "annotations": {"spans": [dict(phrase(CORRECTED, "Bourita", "SOURCE"), id="s")]}}
    report = import_file(io.BytesIO(annotated.read_bytes() + jsonl(corrected_layer)), name="f.jsonl",
                         project_slug="demo", update=True, reanchor=True, create_users=True)
    assert report.layers_created == 1 and len(report.reanchored) == 1


def test_the_import_job_and_the_admin_form_reanchor_too(client, annotated, project, manager, run_jobs):
    manager.is_staff = True
    manager.save()
    from django.contrib.auth.models import Permission
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["add_article", "view_article",
                                                                          "view_project"]))
    client.force_login(manager)
    url = reverse("admin:annotate_article_import")
    refused = client.post(url, {"project": "demo", "reanchor": "on",
                                "file": SimpleUploadedFile("c.jsonl", annotated.read_bytes())})
    assert refused.status_code == 200 and "Re-anchoring needs update" in refused.content.decode()

    response = client.post(url, {"project": "demo", "update": "on", "reanchor": "on",
                                 "file": SimpleUploadedFile("c.jsonl", annotated.read_bytes())})
    assert response.status_code == 302
    assert run_jobs() == 1
    job = Job.objects.get()
    assert job.status == "done", job.error
    assert job.result["reanchor"] == ["a1: moved 4, flagged 4, unchanged 0",
                                      "re-anchored 1 article(s): moved 4, flagged 4, unchanged 0"]
    page = client.get(reverse("admin:annotate_job_change", args=[job.pk])).content.decode()
    assert "Spans flagged by re-anchoring</th><td>4</td>" in page


# Who may change a text ---------------------------------------------------------------------------------------


def test_only_the_import_and_admin_doors_change_a_text(client, annotated, project, annotator_a, reviewer, manager):
    article = Article.objects.get(external_id="a1")
    for user in (annotator_a, reviewer, manager):  # the API has no write of an article
        response = api_client(user).patch(f"/api/v1/articles/{article.pk}/", {"text": "x"}, format="json")
        assert response.status_code in (403, 404, 405)
    # The admin's article form refuses it too (Article.save()); the import page is for staff who may add articles.
    client.force_login(annotator_a)
    assert client.get(reverse("admin:annotate_article_import")).status_code == 302  # to the admin login
    assert Article.objects.get(pk=article.pk).text == BODY


def test_only_the_projects_managers_revert_a_correction(client, annotated, project, reviewer, manager):
    run(annotated, "--update", "--reanchor")
    revision = ArticleRevision.objects.get()
    changelist = reverse("admin:annotate_articlerevision_changelist")
    for user in (reviewer, manager):
        user.is_staff = True
        user.save()
    client.force_login(reviewer)
    response = client.post(changelist, {"action": "revert", "_selected_action": [revision.pk]})
    assert response.status_code == 403
    assert Article.objects.get(external_id="a1").text == CORRECTED

    client.force_login(manager)
    assert client.get(changelist).status_code == 200
    response = client.post(changelist, {"action": "revert", "_selected_action": [revision.pk]}, follow=True)
    assert "reverted" in response.content.decode()
    assert Article.objects.get(external_id="a1").text == BODY
    for span in Span.objects.all():  # exactly as imported: nobody changed the layers since
        assert BODY[span.start:span.end] == span.text and not span.needs_review
    assert Membership.objects.filter(user=manager, role="manager").exists()


def test_the_api_import_reanchors_for_managers_only(annotated, project, manager, reviewer, run_jobs):
    url = f"/api/v1/projects/{project.slug}/imports/"

    def post(user, **options):
        upload = SimpleUploadedFile("c.jsonl", annotated.read_bytes())
        return api_client(user).post(url, {"file": upload, **options}, format="multipart")

    assert post(reviewer, update="true", reanchor="true").status_code == 403
    refused = post(manager, reanchor="true")
    assert refused.status_code == 400 and "reanchor" in refused.json()
    before = database_state()
    assert post(manager, update="true", reanchor="true", dry_run="true").status_code == 202
    run_jobs()
    job = Job.objects.get()
    assert job.result["dry_run"] and job.result["reanchor"][0] == "a1: moved 4, flagged 4, unchanged 0"
    assert database_state() == before
