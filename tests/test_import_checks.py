"""The import's checks stage: record checks, vocabulary, whose layer, and what each record may do.

The decisions are tested without writing rows: `BatchPlanner.decide` runs without a database at all.
"""
import pytest
from django.contrib.auth import get_user_model

from annotate.interchange import RecordInvalid, parse_record
from annotate.models import Annotation, Article, Label, Membership, Project, RelationType
from annotate.services.importing.checks import (
    BatchPlanner,
    Checked,
    Owner,
    Owners,
    RecordChecks,
    Stored,
    check_limits,
)
from annotate.services.importing.reading import Unreadable
from annotate.services.importing.report import ImportProblem, Problems
from annotate.services.importing.vocabulary import Vocabulary, relation_end_problems
from annotate.textutil import content_hash
from synthetic.corpus import TARGETS

TEXT = "Bourita said that Morocco backs the plan."
LAYER = {
    "spans": [{"id": "s1", "start": 0, "end": 7, "label": "SOURCE", "text": "Bourita"},
              {"id": "s2", "start": 8, "end": 12, "label": "CUE", "text": "said"},
              {"id": "s3", "start": 18, "end": 40, "label": "QUOTE", "text": "Morocco backs the plan"}],
    "relations": [{"from": "s3", "to": "s1", "type": "ATTRIBUTED_TO"}, {"from": "s2", "to": "s3", "type": "CUE_OF"}],
    "stances": [{"holder": "s1", "target": TARGETS[0], "polarity": "favor", "evidence": ["s3"]}],
}


def article(external_id="a1", text=TEXT, annotations=LAYER, **extra) -> dict:
    value = {"external_id": external_id, "text": text, **extra}
    if annotations is not None:
        value["annotations"] = annotations
    return value


def problems_of(problems: Problems) -> list[tuple]:
    return [(p.line, p.field, p.message) for p in problems.found]


# Whose layer --------------------------------------------------------------------------------


def test_the_annotator_option_owns_every_layer_and_the_status_comes_from_the_record(project, annotator_a):
    owners = Owners(project, annotator=annotator_a, create_users=False)
    assert owners.owner_of(parse_record(article(annotator="ben", status="in_progress"))) == Owner(
        annotator_a, False, "in_progress")
    assert owners.owner_of(parse_record(article())).status == "submitted"


def test_a_status_outside_the_layers_statuses_is_refused(project, annotator_a):
    owners = Owners(project, annotator=annotator_a, create_users=False)
    with pytest.raises(RecordInvalid) as invalid:
        owners.owner_of(parse_record(article(status="finished")))
    assert invalid.value.problems == [
        ("status", f"must be one of {', '.join(Annotation.Status.values)}, got 'finished'")]


def test_a_record_may_name_its_annotator_who_becomes_a_member(project, django_assert_num_queries):
    ben = get_user_model().objects.create_user("ben")
    owners = Owners(project, annotator=None, create_users=False)
    assert owners.owner_of(parse_record(article(annotator="ben"))) == Owner(ben, False, "submitted")
    assert project.role_of(ben) == "annotator"
    with django_assert_num_queries(0):  # each name is looked up once per file
        owners.owner_of(parse_record(article("a2", annotator="ben")))


def test_a_missing_annotator_is_refused_unless_users_may_be_created(project):
    refuse = Owners(project, annotator=None, create_users=False)
    with pytest.raises(RecordInvalid) as invalid:
        refuse.owner_of(parse_record(article(annotator="newcomer")))
    assert invalid.value.problems == [("annotator", "no user 'newcomer' (create missing users with --create-users)")]
    assert not get_user_model().objects.filter(username="newcomer").exists()

    owner = Owners(project, annotator=None, create_users=True).owner_of(parse_record(article(annotator="newcomer")))
    assert owner.user.username == "newcomer" and not owner.user.has_usable_password()
    assert Membership.objects.get(user=owner.user, project=project).role == "annotator"


def test_without_an_annotator_only_an_adjudicated_layer_is_the_gold_layer(project):
    owners = Owners(project, annotator=None, create_users=False)
    gold = owners.owner_of(parse_record(article(status="adjudicated")))
    assert gold == Owner(None, True, "adjudicated") and gold.key == "gold" and str(gold) == "the gold layer"
    with pytest.raises(RecordInvalid) as invalid:
        owners.owner_of(parse_record(article()))
    assert invalid.value.problems == [
        ("annotations", "the record has annotations but no annotator: name one (--annotator)")]


# One record on its own ----------------------------------------------------------------------


def test_the_size_limits(settings):
    settings.MAX_ARTICLE_CHARS, settings.MAX_SPANS_PER_ANNOTATION = 20, 2
    with pytest.raises(RecordInvalid) as invalid:
        check_limits(parse_record(article(annotations=None)))
    assert invalid.value.problems == [("text", f"is {len(TEXT)} characters long; the limit is 20")]
    settings.MAX_ARTICLE_CHARS = 1000
    with pytest.raises(RecordInvalid) as invalid:
        check_limits(parse_record(article()))
    assert invalid.value.problems == [("annotations.spans", "3 spans; the limit per layer is 2")]


def test_relation_ends_must_have_the_labels_the_type_wants():
    """Pure: the types come as a mapping, here unsaved objects."""
    types = {"ATTRIBUTED_TO": RelationType(name="ATTRIBUTED_TO", from_label=Label(name="QUOTE"),
                                           to_label=Label(name="SOURCE")),
             "CUE_OF": RelationType(name="CUE_OF", from_label=None, to_label=Label(name="QUOTE"))}
    assert relation_end_problems(parse_record(article()), types) == []
    reversed_layer = dict(LAYER, relations=[{"from": "s2", "to": "s1", "type": "CUE_OF"},
                                            {"from": "s1", "to": "s3", "type": "ATTRIBUTED_TO"}])
    assert relation_end_problems(parse_record(article(annotations=reversed_layer)), types) == [
        ("annotations.relations[0].to", "CUE_OF needs a QUOTE span here, got SOURCE ('s1')"),
        ("annotations.relations[1].from", "ATTRIBUTED_TO needs a QUOTE span here, got SOURCE ('s1')"),
        ("annotations.relations[1].to", "ATTRIBUTED_TO needs a SOURCE span here, got QUOTE ('s3')"),
    ]


@pytest.fixture
def checks(project, annotator_a):
    problems = Problems("corpus.jsonl")
    return RecordChecks(vocabulary=Vocabulary(project, create=False),
                        owners=Owners(project, annotator=annotator_a, create_users=False), problems=problems)


def test_a_good_record_passes_without_a_query_or_a_write(checks, annotator_a, django_assert_num_queries):
    checks.check(1, article("warm-up"))  # the relation types' end labels load on first use
    with django_assert_num_queries(0):
        checked = checks.check(2, article())
    assert checked == Checked(2, parse_record(article()), Owner(annotator_a, False, "submitted"))
    assert not checks.problems and not Article.objects.exists()


def test_problems_carry_the_line_they_were_found_on(checks):
    assert checks.check(4, Unreadable("malformed JSON: unexpected character")) is None
    assert checks.check(7, {"text": "no id"}) is None
    assert checks.check(9, article(annotations=dict(LAYER, relations=[{"from": "s1", "to": "s3",
                                                                       "type": "ATTRIBUTED_TO"}]))) is None
    assert problems_of(checks.problems) == [
        (4, "", "malformed JSON: unexpected character"),
        (7, "external_id", "is required"),
        (9, "annotations.relations[0].from", "ATTRIBUTED_TO needs a QUOTE span here, got SOURCE ('s1')"),
        (9, "annotations.relations[0].to", "ATTRIBUTED_TO needs a SOURCE span here, got QUOTE ('s3')"),
    ]
    assert str(checks.problems.found[1]) == "corpus.jsonl:7: external_id: is required"


def test_a_line_may_not_repeat_a_layer_or_change_an_earlier_lines_text(project, annotator_a, annotator_b):
    checks = RecordChecks(vocabulary=Vocabulary(project, create=False),
                          owners=Owners(project, annotator=None, create_users=False), problems=Problems("f.jsonl"))
    assert checks.check(1, article(annotator="anna")) is not None
    assert checks.check(2, article(annotator="ben")) is not None  # another layer of the same article
    assert checks.check(3, article(annotations=None)) is not None  # the article itself
    assert checks.check(4, article(annotator="anna")) is None
    assert checks.check(5, article(annotations=None)) is None
    assert checks.check(6, article(text=TEXT + " More.", status="adjudicated")) is None  # the gold layer
    assert problems_of(checks.problems) == [
        (4, "external_id", "'a1' with anna's layer already appears on line 1 of this file"),
        (5, "external_id", "'a1' already appears on line 3 of this file"),
        (6, "text", "differs from the text of 'a1' on line 1"),
    ]


def test_an_exported_article_without_layers_needs_no_annotator(project):
    checks = RecordChecks(vocabulary=Vocabulary(project, create=False),
                          owners=Owners(project, annotator=None, create_users=False), problems=Problems("f.jsonl"))
    checked = checks.check(1, article(annotations={"spans": [], "relations": [], "stances": []}))
    assert checked.owner is None and checked.record.annotations is None and not checks.problems


# The project's vocabulary -------------------------------------------------------------------


def test_unknown_names_are_reported_once_per_kind_with_their_first_line(checks):
    person = dict(LAYER, spans=[dict(LAYER["spans"][0], label="PERSON"), *LAYER["spans"][1:]], relations=[])
    org = dict(LAYER, spans=[dict(LAYER["spans"][0], label="ORG"), *LAYER["spans"][1:]], relations=[],
               stances=[dict(LAYER["stances"][0], polarity="sceptical")])
    assert checks.check(3, article("a1", annotations=person)) is None
    assert checks.check(5, article("a2", annotations=org)) is None
    assert checks.check(6, article("a3", annotations=person)) is None
    assert not checks.problems  # reported together once the file is read
    advice = "Add them to the project, or import with create-project (--create-project)."
    assert [(p.line, p.field, p.message) for p in checks.vocabulary.problems("f.jsonl")] == [
        (3, "labels", f"not in project 'demo': 'ORG' (line 5), 'PERSON' (line 3). {advice}"),
        (5, "polarities", f"not in project 'demo': 'sceptical' (line 5). {advice}"),
    ]


def test_create_project_adds_the_names_a_record_uses(project):
    vocabulary = Vocabulary(project, create=True)
    layer = dict(LAYER, spans=[dict(LAYER["spans"][0], label="PERSON"), *LAYER["spans"][1:]], relations=[])
    assert vocabulary.require(parse_record(article(annotations=layer)), 1)
    assert vocabulary.created == {"labels": ["PERSON"]} and "PERSON" in vocabulary.items["labels"]
    assert project.labels.filter(name="PERSON").exists()


# What each record does to the stored articles (no database) --------------------------------


@pytest.fixture
def stage():
    """Unsaved objects with ids, as the planner sees them: decide() never asks the database."""
    project = Project(pk=1, slug="demo")
    anna, ben = (get_user_model()(pk=pk, username=name) for pk, name in ((10, "anna"), (11, "ben")))
    stored = Article(pk=100, project=project, external_id="a1", text=TEXT, content_hash=content_hash(TEXT))
    return project, anna, ben, stored


def checked(line, value, owner=None) -> Checked:
    return Checked(line, parse_record(value), owner)


def planner(project, **options) -> BatchPlanner:
    return BatchPlanner(project, update=options.get("update", False), replace=options.get("replace", False),
                        problems=Problems("f.jsonl"), reanchor=options.get("reanchor", False))


def test_new_external_ids_become_new_articles_once_per_file(stage):
    project, anna, ben, _ = stage
    plan = planner(project)
    first = plan.decide([checked(1, article("n1"), Owner(anna, False, "submitted")),
                         checked(2, article("n2", annotations=None))], Stored({}, set()))
    assert [a.external_id for a in first.new_articles] == ["n1", "n2"]
    assert first.new_articles[0].pk is None and first.new_articles[0].content_hash == content_hash(TEXT)
    assert [(a.external_id, str(o)) for a, _, o in first.layers] == [("n1", "anna")]
    # A later batch's line for the same article brings another layer to the article this file made.
    later = plan.decide([checked(300, article("n1"), Owner(ben, False, "submitted"))], Stored({}, set()))
    assert later.new_articles == [] and later.layers[0][0] is first.new_articles[0]


def test_a_layer_joins_a_stored_article_and_replaces_the_owners_only_with_replace(stage):
    project, anna, ben, stored = stage
    batch = [checked(1, article(), Owner(anna, False, "submitted")),
             checked(2, article(), Owner(ben, False, "submitted")),
             checked(3, article(status="adjudicated"), Owner(None, True, "adjudicated"))]
    held = Stored({"a1": stored}, {(100, 10), (100, None)})  # anna's layer and the gold layer

    refused = planner(project)
    plan = refused.decide(batch, held)
    assert [str(o) for _, _, o in plan.layers] == ["ben"]
    assert problems_of(refused.problems) == [
        (1, "annotations", "anna already has a layer on 'a1' (replace it with --replace)"),
        (3, "annotations", "the gold layer already has a layer on 'a1' (replace it with --replace)"),
    ]

    replacing = planner(project, replace=True)
    plan = replacing.decide(batch, held)
    assert not replacing.problems
    assert [str(o) for _, o in plan.replaced] == ["anna", "the gold layer"]
    assert [str(o) for _, _, o in plan.layers] == ["anna", "ben", "the gold layer"]


def test_annotations_must_point_into_the_stored_text(stage):
    project, anna, _, stored = stage
    moved = planner(project, replace=True, update=True)
    plan = moved.decide([checked(4, article(text="Bourita said that Morocco backs the plan!!"),
                                 Owner(anna, False, "submitted"))], Stored({"a1": stored}, set()))
    assert plan.layers == [] and problems_of(moved.problems) == [
        (4, "text", "differs from the stored text of article 'a1'; annotations must point into the same text")]


def test_a_known_article_is_skipped_or_with_update_rewritten_unless_annotated(stage):
    project, anna, _, stored = stage
    same, changed = article(annotations=None), article(text="A corrected text.", annotations=None, title="Fixed")

    skipping = planner(project)
    plan = skipping.decide([checked(1, same)], Stored({"a1": stored}, set()))
    assert plan.skipped == [(1, "a1", "already imported")]
    plan = skipping.decide([checked(2, changed)], Stored({"a1": stored}, set()))
    assert plan.skipped == [(2, "a1", "already imported with a different text (update it with --update)")]

    updating = planner(project, update=True)
    plan = updating.decide([checked(2, changed)], Stored({"a1": stored}, {(100, 11)}))
    assert plan.updated == [] and problems_of(updating.problems) == [
        (2, "external_id", "'a1' has annotations: updating it is refused (re-anchor them to the new text with "
                           "--reanchor)")]
    reanchoring = planner(project, update=True, reanchor=True)
    plan = reanchoring.decide([checked(2, changed)], Stored({"a1": stored}, {(100, 11)}))
    assert plan.updated == [stored] and plan.reanchored == {100} and not reanchoring.problems

    updating = planner(project, update=True)
    # The rewritten text is what a later line of the same batch is judged against.
    plan = updating.decide([checked(2, changed), checked(3, article(text="A corrected text.", annotations={
        "spans": [{"id": "s1", "start": 2, "end": 11, "label": "CLAIM", "text": "corrected"}]}),
        Owner(anna, False, "submitted"))], Stored({"a1": stored}, set()))
    assert plan.updated == [stored] and not updating.problems
    assert (stored.text, stored.title, stored.content_hash) == (
        "A corrected text.", "Fixed", content_hash("A corrected text."))
    assert [(a, str(o)) for a, _, o in plan.layers] == [(stored, "anna")]


def test_what_the_project_holds_costs_two_queries_a_batch(project, annotator_a, django_assert_num_queries):
    Article.objects.create(project=project, external_id="a1", text=TEXT)
    batch = [checked(1, article()), checked(2, article("new"))]
    plan = planner(project)
    with django_assert_num_queries(2):  # the stored articles, their layers
        held = plan.stored(batch)
    assert set(held.articles) == {"a1"} and held.layers == set()
    with django_assert_num_queries(1):  # no stored article: no layers to ask for
        assert plan.stored([checked(2, article("new"))]) == Stored({}, set())


def test_problems_print_as_file_line_field_message():
    assert str(ImportProblem("f.jsonl", 3, "text", "is required")) == "f.jsonl:3: text: is required"
    assert str(ImportProblem("f.jsonl", None, "project", "no project")) == "f.jsonl: project: no project"
    assert str(ImportProblem("f.jsonl", 2, "", "malformed JSON")) == "f.jsonl:2: malformed JSON"
