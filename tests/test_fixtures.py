"""The demo fixture: loads into an empty database and stays what the importer makes of the raw seeds."""
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from annotate.management.commands.build_seed_fixtures import build_demo_fixture
from annotate.models import Article, Project

pytestmark = pytest.mark.django_db
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "demo_project.json"


def test_demo_fixture_loads_into_an_empty_database():
    call_command("loaddata", "demo_project", verbosity=0)
    project = Project.objects.get(slug="morocco-news")
    assert project.name == "Morocco news: claims and stance"
    assert list(project.stance_targets.values_list("name", flat=True)) == [
        "Moroccan sovereignty over Western Sahara",
        "Morocco's role and approach in counter-terrorism",
        "International cooperation/coordination against ISIS and terrorism",
    ]
    assert set(project.labels.values_list("name", flat=True)) >= {"CLAIM", "SOURCE", "QUOTE", "CUE", "STANCE_EVIDENCE"}
    assert set(project.relation_types.values_list("name", flat=True)) == {"ATTRIBUTED_TO", "CUE_OF", "CLAIMED_BY"}
    assert list(project.article_questions.values_list("name", "kind", "required")) == [
        ("CHECK_WORTHY", "single", True), ("TOPIC", "multiple", False), ("OVERALL_STANCE", "single", False),
        ("SKIP_REASON", "text", False)]
    articles = list(project.articles.order_by("external_id"))
    assert [a.title for a in articles] == [
        "Global Coalition to Defeat ISIS to Hold 1st Ministerial Meeting in Marrakech",
        "French Minister in Western Sahara to Back Moroccan Sovereignty",
        "Anti-ISIS coalition meeting in Marrakech strengthens Morocco’s role in counterterrorism",
    ]
    assert articles[1].caption.startswith("This handout photograph released by Morocco's Ministry")
    assert articles[1].text.startswith("French Culture Minister Rachida Dati began a visit on Monday")
    assert all(a.caption == "" or a.caption not in a.text for a in articles)
    # Loading twice is harmless: natural keys update in place.
    call_command("loaddata", "demo_project", verbosity=0)
    assert Article.objects.count() == 3


def test_committed_fixture_is_what_the_importer_builds_from_the_raw_seeds():
    assert json.loads(build_demo_fixture()) == json.loads(FIXTURE.read_text(encoding="utf-8")), (
        "fixtures/demo_project.json is stale: run `make fixtures`"
    )
    assert not Project.objects.exists()  # the build rolled back
