"""Backup: everything exported with export_annotations, imported into an empty database, is the same corpus."""
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from annotate.models import Annotation, Article, Membership, Project
from annotate.services import annotating
from annotate.services.review import adjudicate, start_gold
from synthetic.corpus import annotated_records, to_jsonl

from .factories import answer_required_questions, make_assignment, make_user
from .test_import import run_import

pytestmark = pytest.mark.django_db


def backup(slug: str) -> str:
    out = io.StringIO()
    call_command("export_annotations", project=slug, format="jsonl", status="all", with_unannotated=True, stdout=out)
    return out.getvalue()


def corpus_of(text: str) -> list:
    """The backup's content without what legitimately differs between databases (ids, times)."""
    records = [json.loads(line) for line in text.splitlines()]
    for record in records:
        record.pop("annotation_id")
        record.pop("updated_at")
    return sorted(records, key=lambda r: (r["external_id"], r["annotator"] or ""))


def empty_the_database():
    """What a fresh database holds: nothing of the corpus, users and history included. Only a flush does
    that: the history is append-only, and whoever made a change cannot be deleted."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # TRUNCATE refuses while this transaction's FK checks are pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        call_command("flush", interactive=False, verbosity=0)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert not Annotation.objects.exists() and not Project.objects.exists()


def restore(text: str, slug: str):
    run_import(text.encode(), project_slug=slug, create_project_if_missing=True, create_users=True)


def test_seed_fixtures_with_a_few_annotations_survive_a_backup():
    call_command("loaddata", "demo_project", verbosity=0)
    project = Project.objects.get(slug="morocco-news")
    alice = make_user("alice")
    Membership.objects.create(project=project, user=alice, role="annotator")
    article = project.articles.get(external_id="000_c3245687530002ae-2")
    layer = annotating.open_layer(assignment=make_assignment(article, alice))
    dati = article.text.index("Dati told")
    source = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=dati, end=dati + 4)
    quote_start = article.text.index("This is a strong")
    quote = annotating.add_span(annotation=layer, expected_version=2, label="QUOTE", start=quote_start,
                                end=article.text.index(",\" Dati"), attributes={"quote_type": "direct"})
    annotating.add_relation(annotation=layer, expected_version=3, type="ATTRIBUTED_TO", from_span=quote,
                            to_span=source)
    answer_required_questions(layer)
    annotating.submit(annotation=layer, expected_version=layer.version)
    gold = start_gold(article=article, reviewer=alice, source=layer)
    adjudicate(gold=gold, expected_version=gold.version, reviewer=alice)

    first = backup("morocco-news")
    assert len(first.splitlines()) == 4  # two unannotated articles, alice's layer, the gold layer
    empty_the_database()
    restore(first, "morocco-news")
    assert corpus_of(backup("morocco-news")) == corpus_of(first)
    assert Article.objects.count() == 3


def test_a_thousand_generated_articles_survive_a_backup():
    owner = make_user("importer")
    run_import(to_jsonl(annotated_records(1000, seed=11)), project_slug="big", annotator=owner,
               create_project_if_missing=True)
    first = backup("big")
    empty_the_database()
    restore(first, "big")
    second = backup("big")
    assert len(second.splitlines()) == 1000
    assert corpus_of(second) == corpus_of(first)
