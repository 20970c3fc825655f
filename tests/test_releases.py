"""Releases and dataset cards: a frozen corpus version stays byte for byte what it was, whatever the live layers
do afterwards (docs/export.md, "Releases and dataset cards")."""
import hashlib
import io
from pathlib import Path

import orjson
import pytest
import yaml
from django.core.files.storage import default_storage
from django.urls import reverse

from annotate.export import FORMATS
from annotate.jobs import clean
from annotate.jobs.kinds.releases import RELEASE_FORMATS
from annotate.models import Annotation, Job, Membership, Release
from annotate.services import annotating, review
from annotate.services.editing import delete_layers
from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .factories import api_client, make_member, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    """Each test its own MEDIA_ROOT: a rolled-back test leaves its release files behind."""
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def corpus():
    """Eight articles, each with a submitted layer by anna and one by ben; max manages, erin pulls, rita reviews."""
    project = make_project("stance", name="Stance corpus", targets=TARGETS)
    records = annotated_records(8, seed=11)
    anna, ben = make_user("anna"), make_user("ben")
    for user in (anna, ben):
        import_file(io.BytesIO(to_jsonl(records)), name="corpus.jsonl", project_slug=project.slug, annotator=user)
    users = {"anna": anna, "ben": ben,
             "max": make_member(project, make_user("max"), role=Membership.Role.MANAGER),
             "erin": make_member(project, make_user("erin"), role=Membership.Role.ENGINEER),
             "rita": make_member(project, make_user("rita"), role=Membership.Role.REVIEWER)}
    return project, records, users


def release_url(project, *rest):
    if not rest:
        return reverse("api:release-list", args=[project.slug])
    if len(rest) == 1:
        return reverse("api:release-detail", args=[project.slug, *rest])
    return reverse("api:release-file", args=[project.slug, *rest])


def make_release(client, project, run_jobs, name="v1", **options):
    response = client.post(release_url(project), {"name": name, **options}, format="json")
    assert response.status_code == 202, response.content
    assert run_jobs() == 1
    detail = client.get(release_url(project, name))
    assert detail.status_code == 200
    return detail.json()


def download(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def live_export(client, project, name, **params) -> bytes:
    response = client.get(reverse(f"api:export-{name}", args=[project.slug]), params)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_release_stays_byte_for_byte_after_the_live_layers_change(corpus, run_jobs):
    project, records, users = corpus
    manager, engineer = api_client(users["max"]), api_client(users["erin"])
    release = make_release(manager, project, run_jobs)
    assert release["status"] == "ready" and release["records"] == 16
    files = {entry["format"]: entry for entry in release["files"]}
    assert set(files) == {*RELEASE_FORMATS, "card", "checksums"}
    assert {"jsonl", "csv", "conll", "brat"} <= set(files)
    before = {name: download(engineer, entry["url"]) for name, entry in files.items()}
    # At release time each file is the live export's bytes with the same filters (one cut for all formats).
    for name in RELEASE_FORMATS:
        assert before[name] == live_export(engineer, project, name), name
    for name, entry in files.items():
        assert hashlib.sha256(before[name]).hexdigest() == entry["sha256"] and len(before[name]) == entry["bytes"]

    # The live layers change: one is returned and edited and submitted again, one returned, one deleted.
    layers = list(Annotation.objects.filter(article__project=project).order_by("pk"))
    edited, returned, deleted = layers[0], layers[1], layers[2]
    review.return_to_annotator(annotation=edited, reviewer=users["rita"], comment="again")
    edited.refresh_from_db()
    annotating.add_span(annotation=edited, expected_version=edited.version, label="CLAIM", start=0, end=3)
    edited.refresh_from_db()
    annotating.submit(annotation=edited, expected_version=edited.version, confirm_missing_evidence=True)
    review.return_to_annotator(annotation=returned, reviewer=users["rita"], comment="again")
    delete_layers([deleted], actor=users["rita"])
    assert live_export(engineer, project, "jsonl") != before["jsonl"]

    # Fetched again: the same bytes, the same checksums, the SHA256SUMS file agreeing with both.
    again = client_files = {name: download(engineer, entry["url"]) for name, entry in files.items()}
    assert again == before
    sums = dict(reversed(line.split("  ")) for line in client_files["checksums"].decode().splitlines())
    for name, entry in files.items():
        if name != "checksums":
            assert sums[entry["file"]] == hashlib.sha256(again[name]).hexdigest()
    assert len(again["jsonl"].splitlines()) == 16
    # Ranged downloads resume with the release's checksum as the ETag.
    ranged = engineer.get(files["jsonl"]["url"], HTTP_RANGE="bytes=10-", HTTP_IF_RANGE=f'"{files["jsonl"]["sha256"]}"')
    assert ranged.status_code == 206 and b"".join(ranged.streaming_content) == before["jsonl"][10:]


def test_release_files_are_read_only_and_outlive_the_jobs_retention(corpus, run_jobs):
    project, _, users = corpus
    make_release(api_client(users["max"]), project, run_jobs)
    release = Release.objects.get(project=project, name="v1")
    paths = [Path(default_storage.path(entry["path"])) for entry in release.manifest.values()]
    assert all(path.exists() and not path.stat().st_mode & 0o222 for path in paths)
    assert release.job.output_file == ""
    assert clean(older_than_days=0) == 1  # the release's job, ended: deleted
    assert not Job.objects.exists()
    release.refresh_from_db()
    assert release.job is None and release.status == Release.Status.READY
    assert all(path.exists() for path in paths)
    assert download(api_client(users["erin"]), release_url(project, "v1", "stance-v1.jsonl"))


def test_a_release_of_gold_layers_and_its_card(corpus, run_jobs):
    project, _, users = corpus
    release = make_release(api_client(users["max"]), project, run_jobs, name="gold-1", status="gold",
                           license="cc-by-4.0")
    assert release["filters"] == {"status": "gold"} and release["records"] == 0
    card = download(api_client(users["erin"]), release_url(project, "gold-1", "README.md")).decode()
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["license"] == "cc-by-4.0"
    assert "`status=gold`" in card


def test_duplicate_names_and_bad_names_are_refused(corpus, run_jobs):
    project, _, users = corpus
    manager = api_client(users["max"])
    make_release(manager, project, run_jobs)
    response = manager.post(release_url(project), {"name": "v1"}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    for bad in ("", "v 1", "../v1", "v1/x", "x" * 51):
        response = manager.post(release_url(project), {"name": bad}, format="json")
        assert response.status_code == 400 and "name" in response.json(), bad
    response = manager.post(release_url(project), {"name": "v2", "status": "draft"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    assert list(Release.objects.values_list("name", flat=True)) == ["v1"]
    # The same name in another project is another release.
    other = make_project("other", targets=TARGETS)
    make_member(other, users["max"], role=Membership.Role.MANAGER)
    assert api_client(users["max"]).post(release_url(other), {"name": "v1"}, format="json").status_code == 202


def test_a_failed_release_frees_its_name(corpus, run_jobs, monkeypatch):
    project, _, users = corpus
    manager = api_client(users["max"])
    monkeypatch.setitem(FORMATS, "csv", FORMATS["csv"].__class__("csv", "csv", "text/csv", _broken))
    release = make_release(manager, project, run_jobs)
    assert release["status"] == "failed" and release["files"] == []
    assert not list(Path(default_storage.path(f"releases/{project.slug}")).iterdir())  # nothing half-written
    monkeypatch.undo()
    assert make_release(manager, project, run_jobs)["status"] == "ready"


def _broken(records):
    yield b"a,b\n"
    raise RuntimeError("disk full")


def test_only_managers_make_releases_and_outsiders_see_none(corpus, run_jobs):
    project, _, users = corpus
    for name in ("anna", "erin", "rita"):
        assert api_client(users[name]).post(release_url(project), {"name": "v1"}, format="json").status_code == 403
    outsider = api_client(make_user("otto"))
    assert outsider.post(release_url(project), {"name": "v1"}, format="json").status_code == 404
    make_release(api_client(users["max"]), project, run_jobs)
    for url in (release_url(project), release_url(project, "v1"), release_url(project, "v1", "README.md")):
        assert outsider.get(url).status_code == 404
        assert api_client(users["anna"]).get(url).status_code == 403
        assert api_client(users["rita"]).get(url).status_code == 200
    listed = api_client(users["erin"]).get(release_url(project)).json()
    assert [r["name"] for r in listed] == ["v1"]
    assert api_client(users["erin"]).get(release_url(project, "v2")).status_code == 404
    assert api_client(users["erin"]).get(release_url(project, "v1", "secret.txt")).status_code == 404


def test_the_card_has_label_counts_agreement_and_the_export(corpus, django_assert_max_num_queries):
    project, records, users = corpus
    engineer = api_client(users["erin"])
    url = reverse("api:export-card", args=[project.slug])
    response = engineer.get(url, {"status": "all"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    card = response.content.decode()
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["task_categories"] == ["token-classification", "text-classification"]
    assert front["size_categories"] == ["n<1K"] and "license" not in front
    assert front["language"] == sorted({r["language"] for r in records})
    default = "stance.parquet" if "parquet" in FORMATS else "stance.jsonl"
    assert front["configs"] == [{"config_name": "default", "data_files": [{"split": "train", "path": default}]}]
    # Label counts: every span of both annotators' submitted layers.
    expected = {}
    for record in records:
        for span in record["annotations"]["spans"]:
            expected[span["label"]] = expected.get(span["label"], 0) + 2
    for label, n in expected.items():
        assert f"| {label} | {n} |" in card
    # anna and ben imported the same layers: they agree perfectly.
    assert "Spans, micro F1: exact 1.000, overlap 1.000" in card
    assert "| anna | " in card and "| ben | " in card
    assert "`status=all`" in card and "| Records (article layers) | 16 |" in card
    assert "Guidelines version" in card
    assert engineer.get(url, {"status": "nope"}).status_code == 400
    assert api_client(users["anna"]).get(url).status_code == 403
    assert api_client(make_user("otto")).get(url).status_code == 404
    engineer.get(url)  # the figures settled once; a card then costs a fixed number of queries
    with django_assert_max_num_queries(30):
        assert engineer.get(url).status_code == 200


def test_a_release_card_lists_the_release_files_for_datasets(corpus, run_jobs):
    project, records, users = corpus
    release = make_release(api_client(users["max"]), project, run_jobs)
    card = Release.objects.get(pk=Release.objects.get(name="v1").pk).card
    front = yaml.safe_load(card.split("---\n")[1])
    names = {entry["file"] for entry in release["files"]}
    for config in front["configs"]:
        assert config["data_files"][0]["path"] in names
    jsonl = next(entry for entry in release["files"] if entry["format"] == "jsonl")
    assert jsonl["sha256"] in card and "| Release | `v1`" in card
    assert orjson.loads(download(api_client(users["erin"]), jsonl["url"]).splitlines()[0])["external_id"]


def test_datasets_loads_a_release_directory_by_its_card(corpus, run_jobs):
    datasets = pytest.importorskip("datasets")
    project, _, users = corpus
    make_release(api_client(users["max"]), project, run_jobs)
    release = Release.objects.get(name="v1")
    directory = Path(default_storage.path(release.directory))
    corpus_ = datasets.load_dataset(str(directory), split="train", download_mode="force_redownload")
    assert corpus_.num_rows == 16
    jsonl = datasets.load_dataset("json", data_files=str(directory / "stance-v1.jsonl"), split="train",
                                  download_mode="force_redownload")
    assert jsonl.num_rows == 16 and sorted(jsonl["annotation_id"]) == sorted(corpus_["annotation_id"])
