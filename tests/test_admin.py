"""The admin: every page opens, changelists keep a fixed query budget, and the assign and import tools work."""
from collections import Counter

import pytest
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import (
    Annotation,
    Article,
    Assignment,
    Entity,
    Job,
    Label,
    Membership,
    Polarity,
    Project,
    Relation,
    RelationType,
    Span,
    Stance,
    StanceTarget,
)
from synthetic.corpus import annotated_records, to_jsonl

from .factories import make_annotation, make_article, make_entity, make_member, make_project, make_span, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()

ANNOTATE_MODELS = [
    Project, Label, RelationType, StanceTarget, Polarity, Membership, Entity,
    Article, Assignment, Annotation, Span, Relation, Stance,
]
ADMIN_MODELS = [*ANNOTATE_MODELS, User]
TEXT = "Bellouan said that Morocco backs the plan."


def url_of(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def scene(project=None) -> dict:
    """One of everything the admin lists: a project, a member, an article handed to them, a full layer."""
    project = project or make_project()
    member = make_member(project)
    article = make_article(project, text=TEXT, title=f"Plan backed ({project.slug})")
    assignment = Assignment.objects.create(article=article, annotator=member, status=Assignment.Status.SUBMITTED)
    layer = make_annotation(article, member)
    entity = make_entity(project, name="Hassan Bellouan")
    source = make_span(layer, "SOURCE", 0, len("Bellouan"), entity=entity)
    quote = make_span(layer, "QUOTE", TEXT.index("Morocco"), len(TEXT) - 1)
    evidence = make_span(layer, "STANCE_EVIDENCE", TEXT.index("backs"), len(TEXT) - 1)
    relation = Relation.objects.create(annotation=layer, type=project.relation_types.get(name="ATTRIBUTED_TO"),
                                       from_span=quote, to_span=source)
    stance = Stance.objects.create(annotation=layer, holder_span=source, target=project.stance_targets.first(),
                                   polarity=project.polarities.get(name="favor"))
    stance.evidence.set([evidence])
    return {
        Project: project,
        Label: project.labels.get(name="SOURCE"),
        RelationType: relation.type,
        StanceTarget: stance.target,
        Polarity: stance.polarity,
        Membership: project.memberships.get(user=member),
        Entity: entity,
        Article: article,
        Assignment: assignment,
        Annotation: layer,
        Span: source,
        Relation: relation,
        Stance: stance,
        User: member,
    }


def shown_messages(response) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in response.context["messages"]]


# Every page opens --------------------------------------------------------------


# Derived tables, kept by triggers and services and repaired by commands (refresh_figures, rebuild_counters):
# nobody edits them by hand, so the admin does not offer them.
DERIVED = {"annotate.models.figures", "annotate.models.counters"}
# Rows that live only inside one transaction (a re-anchoring's permit for the freeze trigger): never seen.
TRANSIENT = {"TextChangePermit"}


def test_every_annotate_model_is_registered():
    registered = {model for model in admin.site._registry if model._meta.app_label == "annotate"}
    assert registered == {model for model in apps.get_app_config("annotate").get_models()
                          if model.__module__ not in DERIVED and model.__name__ not in TRANSIENT}


def test_user_admin_manages_memberships_inline():
    user_admin = admin.site.get_model_admin(User)
    assert Membership in [inline.model for inline in user_admin.inlines]


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model.__name__)
def test_changelist_add_and_change_pages_open(admin_client, model):
    obj = scene()[model]

    response = admin_client.get(url_of(model, "changelist"))
    assert response.status_code == 200
    assert obj in response.context["cl"].result_list
    assert admin_client.get(url_of(model, "changelist") + "?q=Bellouan").status_code == 200  # search_fields resolve
    assert admin_client.get(url_of(model, "add")).status_code == 200
    response = admin_client.get(url_of(model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["original"] == obj


# Changelists run a fixed number of queries --------------------------------------

# Every changelist request costs 2 queries for the session and the user, 1 for
# the page of rows (foreign keys by select_related, counts by subquery), 1
# COUNT for the paginator plus 1 for the unfiltered total (except where
# show_full_result_count is off: the tables that grow with the corpus, whose
# count stops at a cap, admin/large.py), and 1 per list filter that reads a
# table (projects, distinct languages, vocabulary names, groups). Spans,
# relations and stances prefetch what their rows refer to, 1 query per table.
BUDGETS = {
    Project: 5,  # session, user, count, full count, rows with five progress subqueries
    Label: 6,  # session, user, project filter, count, full count, rows
    RelationType: 6,  # ... from_label and to_label by select_related
    StanceTarget: 6,
    Polarity: 6,
    Membership: 6,  # session, user, project filter, count, full count, rows with user and project
    Entity: 6,  # ... mentions by subquery
    Article: 6,  # session, user, project filter, capped count, rows, language values
    Assignment: 5,  # session, user, project filter, capped count, rows
    Annotation: 5,  # ... span counts by subquery
    Span: 8,  # session, user, label names, capped count, rows; their labels, sources, layers
    Relation: 9,  # session, user, relation type names, capped count, rows; types, from and to spans, layers
    Stance: 10,  # session, user, polarity and target names, capped count, rows; holder spans, polarities,
    # targets, layers (the scene's stance is held by a span: no holder sources)
    User: 6,  # session, user, groups filter, count, full count, rows
}


def assert_same_queries(small, large):
    if len(small) != len(large):
        listing = lambda queries: "\n".join(f"  {q['sql']}" for q in queries)  # noqa: E731 - a one-line formatter
        pytest.fail(
            f"{len(small)} queries for the small list, {len(large)} for the large one.\n"
            f"Small:\n{listing(small)}\nLarge:\n{listing(large)}"
        )


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model.__name__)
def test_changelist_queries_do_not_grow_with_rows(client, superuser, model, django_assert_max_num_queries):
    client.force_login(superuser)
    url = url_of(model, "changelist")

    def fetch():
        with django_assert_max_num_queries(BUDGETS[model]), CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(response.context["cl"].result_list), captured.captured_queries

    for _ in range(3):
        scene()
    small_rows, small = fetch()
    for _ in range(27):
        scene()
    large_rows, large = fetch()

    assert 3 <= small_rows < large_rows and large_rows >= 30
    assert_same_queries(small, large)


def test_project_changelist_shows_progress(admin_client, project, annotator_a, annotator_b):
    first, second, third = (make_article(project) for _ in range(3))
    # Two assignments of the first article count it once as assigned.
    Assignment.objects.create(article=first, annotator=annotator_a, status=Assignment.Status.SUBMITTED)
    Assignment.objects.create(article=first, annotator=annotator_b)
    Assignment.objects.create(article=second, annotator=annotator_b, status=Assignment.Status.IN_PROGRESS)
    # A skipped article needs someone else: not assigned.
    Assignment.objects.create(article=third, annotator=annotator_a, status=Assignment.Status.SKIPPED,
                              skip_reason="off topic")
    make_annotation(first, is_gold=True)
    make_annotation(first, annotator_a)
    make_annotation(second, annotator_b)
    make_article(make_project("other"))

    response = admin_client.get(url_of(Project, "changelist"))

    progress = {
        p.slug: (p.n_members, p.n_articles, p.n_assigned, p.n_submitted, p.n_gold)
        for p in response.context["cl"].result_list
    }
    assert progress == {"demo": (2, 3, 2, 1, 1), "other": (0, 1, 0, 0, 0)}
    html = response.content.decode()
    for header in ("Articles assigned", "Assignments submitted", "Articles with gold"):
        assert header in html
    assert '<td class="field-assigned">2</td>' in html
    assert '<td class="field-articles">3</td>' in html


def test_a_project_added_in_admin_gets_the_default_vocabulary(admin_client, annotator_a):
    management = {"memberships-TOTAL_FORMS": 1, "memberships-INITIAL_FORMS": 0}
    response = admin_client.post(url_of(Project, "add"), {
        "name": "News", "slug": "news", "annotators_per_article": 2, "stance_evidence": "confirm",
        "queue_order": "uncertainty", "suggestion_threshold": "0.4", **management,
        "memberships-0-user": annotator_a.pk, "memberships-0-role": "annotator",
    })

    assert response.status_code == 302
    news = Project.objects.get(slug="news")
    assert sorted(news.labels.values_list("name", flat=True)) == ["CLAIM", "CUE", "QUOTE", "SOURCE", "STANCE_EVIDENCE"]
    assert news.relation_types.count() == 3 and news.polarities.count() == 3
    assert list(news.memberships.values_list("user__username", flat=True)) == ["anna"]
    assert (news.queue_order, news.suggestion_threshold) == ("uncertainty", 0.4)


# Annotation layers ---------------------------------------------------------------


def test_layer_inlines_offer_only_the_layers_spans_and_project_vocabulary(admin_client):
    objects = scene()
    scene()  # another project's layer, whose spans and labels must not be offered
    layer = objects[Annotation]

    response = admin_client.get(url_of(Annotation, "change", layer.pk))

    formsets = {inline.formset.prefix: inline.formset for inline in response.context["inline_admin_formsets"]}
    assert set(formsets) == {"spans", "relations", "stances", "events"}  # events: the read-only history

    def offered(prefix, field):
        return {value for value, _ in formsets[prefix].empty_form.fields[field].choices if value != ""}

    spans = set(layer.spans.values_list("pk", flat=True))
    assert len(spans) == 3
    for prefix, field in [("relations", "from_span"), ("relations", "to_span"),
                          ("stances", "holder_span"), ("stances", "evidence")]:
        assert offered(prefix, field) == spans
    assert offered("spans", "label") == set(objects[Project].labels.values_list("pk", flat=True))
    assert offered("relations", "type") == set(objects[Project].relation_types.values_list("pk", flat=True))


def test_layer_change_page_queries_do_not_grow_with_spans(admin_client):
    layer = scene()[Annotation]
    url = url_of(Annotation, "change", layer.pk)

    def fetch():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return captured.captured_queries

    fetch()  # warms the content type cache
    small = fetch()
    for start in range(10):
        make_span(layer, "CLAIM", start, start + 5)
    assert_same_queries(small, fetch())


def change_form_data(response) -> dict:
    """What the browser would post back unchanged from an admin change page, inlines included."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = "on" if value is True else value
            if field.field.show_hidden_initial:  # fields with a callable default (JSON {}) post it twice
                data[field.html_initial_name] = data[field.html_name]
    return data


def test_editing_a_layer_inline_saves_and_bumps_its_version(admin_client):
    objects = scene()
    layer, span = objects[Annotation], objects[Span]
    url = url_of(Annotation, "change", layer.pk)
    data = change_form_data(admin_client.get(url))

    assert admin_client.post(url, data).status_code == 302  # nothing changed
    assert Annotation.objects.get(pk=layer.pk).version == layer.version

    index = next(i for i in range(3) if data[f"spans-{i}-id"] == span.pk)
    data[f"spans-{index}-end"] = 4
    data[f"spans-{index}-text"] = TEXT[:4]
    response = admin_client.post(url, data)

    assert response.status_code == 302
    span.refresh_from_db()
    assert (span.end, span.text) == (4, "Bell")
    assert Annotation.objects.get(pk=layer.pk).version == layer.version + 1


def test_a_relation_to_another_layers_span_is_refused(admin_client):
    objects, elsewhere = scene(), scene()
    relation = objects[Relation]
    url = url_of(Annotation, "change", relation.annotation_id)
    data = change_form_data(admin_client.get(url))

    data["relations-0-to_span"] = elsewhere[Span].pk
    response = admin_client.post(url, data)

    assert response.status_code == 200
    relations = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == "relations")
    assert "to_span" in relations.forms[0].errors
    relation.refresh_from_db()
    assert relation.to_span == objects[Span]


def test_deleting_a_span_in_admin_bumps_the_layer_version(admin_client):
    span = scene()[Span]
    version = span.annotation.version

    response = admin_client.post(url_of(Span, "delete", span.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Span.objects.filter(pk=span.pk).exists()
    assert Annotation.objects.get(pk=span.annotation_id).version == version + 1


def test_relation_form_reports_a_missing_span_instead_of_crashing(admin_client):
    objects = scene()
    relation = objects[Relation]

    response = admin_client.post(url_of(Relation, "change", relation.pk), {
        "annotation": relation.annotation_id, "type": relation.type_id, "from_span": "", "to_span": relation.to_span_id,
    })

    assert response.status_code == 200
    assert "from_span" in response.context["adminform"].form.errors


def test_article_text_is_read_only_once_annotated(admin_client, project):
    fresh = make_article(project)
    annotated = scene(project)[Article]

    form_fields = lambda article: response_of(article).context["adminform"].form.fields  # noqa: E731 - one-line helpers of this test
    response_of = lambda article: admin_client.get(url_of(Article, "change", article.pk))  # noqa: E731 - one-line helpers of this test
    assert "text" in form_fields(fresh)
    assert "text" not in form_fields(annotated)


# Assigning articles ----------------------------------------------------------------


def post_assign(client, articles, **data):
    data = {"action": "assign_to_annotators", "_selected_action": [a.pk for a in articles], **data}
    return client.post(url_of(Article, "changelist"), data, follow=True)


def test_assign_action_offers_project_members_then_balances(admin_client, project, annotator_a, annotator_b,
                                                            outsider):
    articles = [make_article(project) for _ in range(4)]

    response = post_assign(admin_client, articles, index=0)

    assert "admin/annotate/article/assign_annotators.html" in [t.name for t in response.templates]
    assert set(response.context["form"].fields["annotators"].queryset) == {annotator_a, annotator_b}
    assert response.context["count"] == 4

    response = post_assign(admin_client, articles, apply="Assign", annotators=[annotator_a.pk, annotator_b.pk])

    assert shown_messages(response) == [(messages.SUCCESS, "4 assignment(s) created.")]
    assert Counter(Assignment.objects.values_list("annotator__username", flat=True)) == {"anna": 2, "ben": 2}
    assert set(Assignment.objects.values_list("article_id", flat=True)) == {a.pk for a in articles}

    response = post_assign(admin_client, articles, apply="Assign", annotators=[annotator_a.pk, annotator_b.pk])

    assert shown_messages(response) == [
        (messages.SUCCESS, "0 assignment(s) created; 4 article(s) already had enough annotators.")]
    assert Assignment.objects.count() == 4


def test_assign_action_with_select_across_covers_the_whole_list(admin_client, project, annotator_a):
    articles = [make_article(project) for _ in range(3)]

    response = post_assign(admin_client, articles[:1], select_across="1", apply="Assign", annotators=[annotator_a.pk])

    assert shown_messages(response) == [(messages.SUCCESS, "3 assignment(s) created.")]
    assert Assignment.objects.filter(annotator=annotator_a).count() == 3


def test_assigning_a_non_member_is_refused_and_writes_nothing(admin_client, project, annotator_a):
    articles = [make_article(project), make_article(make_project("other"))]

    response = post_assign(admin_client, articles, apply="Assign", annotators=[annotator_a.pk])

    assert shown_messages(response) == [
        (messages.ERROR, "Nothing assigned. Only project members can be assigned; not members: anna in other")]
    assert Assignment.objects.count() == 0


def test_assigning_someone_outside_every_project_is_a_form_error(admin_client, project, annotator_a, outsider):
    articles = [make_article(project)]

    response = post_assign(admin_client, articles, apply="Assign", annotators=[outsider.pk])

    assert response.status_code == 200
    assert "annotators" in response.context["form"].errors
    assert Assignment.objects.count() == 0


def test_assign_action_needs_the_add_assignment_permission(client, project):
    staff = make_user("stella", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_article", "delete_article"]))
    client.force_login(staff)

    response = client.get(url_of(Article, "changelist"))

    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "delete_selected" in actions
    assert "assign_to_annotators" not in actions


# Importing articles ------------------------------------------------------------------


def import_url():
    return reverse("admin:annotate_article_import")


def post_import(client, name, content, **data):
    data = {"project": "news", "create_project": "on", **data, "file": SimpleUploadedFile(name, content)}
    return client.post(import_url(), data)


def test_article_changelist_links_to_import(admin_client):
    response = admin_client.get(url_of(Article, "changelist"))
    assert f'href="{import_url()}"' in response.content.decode()


def job_page(client, response):
    """The job page the import page redirected to."""
    assert response.status_code == 302
    return client.get(response["Location"])


@pytest.mark.parametrize("memory_limit", [2_621_440, 0], ids=["in-memory upload", "temporary file upload"])
def test_import_creates_project_articles_and_layers(admin_client, annotator_a, settings, run_jobs, memory_limit):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = memory_limit
    records = annotated_records(3)

    response = post_import(admin_client, "batch.jsonl", to_jsonl(records), annotator=annotator_a.pk)

    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == url_of(Job, "change", job.pk)
    assert (job.kind, job.status, job.arguments["annotator"]) == ("import", "queued", "anna")
    assert not Project.objects.filter(slug="news").exists()  # nothing yet: the job imports
    assert run_jobs() == 1
    project = Project.objects.get(slug="news")
    assert sorted(project.articles.values_list("external_id", flat=True)) == ["gen-00001", "gen-00002", "gen-00003"]
    assert Span.objects.filter(annotation__article__project=project).count() == sum(
        len(r["annotations"]["spans"]) for r in records)
    assert list(Annotation.objects.values_list("annotator__username", flat=True)) == ["anna"] * 3
    page = job_page(admin_client, response).content.decode()
    assert "batch.jsonl: 3 article(s) created" in page
    assert f"?project__id__exact={project.pk}" in page  # a link to what it imported


def test_import_shows_every_problem_by_line_and_writes_nothing(admin_client, annotator_a, run_jobs):
    records = annotated_records(3)
    content = to_jsonl(records[:1]) + b'{"external_id": "broken",\n' + to_jsonl(records[1:])

    response = post_import(admin_client, "bad.jsonl", content, annotator=annotator_a.pk)
    run_jobs()

    page = job_page(admin_client, response)
    problems = page.context["problems"]
    assert len(problems) == 1 and problems[0].startswith("bad.jsonl:2: malformed JSON")
    assert "bad.jsonl:2:" in page.content.decode() and "nothing written" in page.content.decode()
    assert Job.objects.get().status == "failed"
    assert not Project.objects.filter(slug="news").exists()
    assert Article.objects.count() == 0


def test_import_counts_lines_across_upload_chunks(admin_client, annotator_a, settings, run_jobs):
    # A temporary upload is copied in 64 KiB chunks that cut lines in two; the job reads the copy.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    lines = to_jsonl(annotated_records(60)).splitlines(keepends=True)
    lines[49] = b"not json\n"
    content = b"".join(lines)
    assert len(content) > 2 * 64 * 1024

    response = post_import(admin_client, "big.jsonl", content, annotator=annotator_a.pk)
    run_jobs()

    assert [p.split(": ")[0] for p in job_page(admin_client, response).context["problems"]] == ["big.jsonl:50"]
    assert Article.objects.count() == 0


def test_import_refuses_an_oversized_upload(admin_client, annotator_a, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100

    response = post_import(admin_client, "batch.jsonl", to_jsonl(annotated_records(3)), annotator=annotator_a.pk)

    assert response.status_code == 200
    assert "upload limit is 100\xa0bytes" in response.context["form"].errors["file"][0]
    assert not Job.objects.exists()
    assert Article.objects.count() == 0 and not Project.objects.filter(slug="news").exists()


def test_import_refuses_an_unknown_extension(admin_client, annotator_a):
    response = post_import(admin_client, "batch.csv", to_jsonl(annotated_records(1)), annotator=annotator_a.pk)

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "“batch.csv” is not an importable file: use .json, .jsonl, .ndjson, .tsv, .txt, .zip."]
    assert not Job.objects.exists()


def test_import_page_is_for_staff_who_may_add_articles(client, annotator_a):
    client.force_login(annotator_a)  # not staff
    response = client.get(import_url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))

    staff = make_user("stella", is_staff=True)
    client.force_login(staff)
    assert client.get(import_url()).status_code == 403
    assert post_import(client, "batch.jsonl", to_jsonl(annotated_records(1))).status_code == 403
    assert Article.objects.count() == 0

    staff.user_permissions.add(Permission.objects.get(codename="add_article"))
    staff = User.objects.get(pk=staff.pk)  # forget the cached permissions
    client.force_login(staff)
    assert client.get(import_url()).status_code == 200


def test_creating_a_project_on_import_needs_the_add_project_permission(client, annotator_a):
    staff = make_user("stella", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="add_article"))
    client.force_login(staff)

    response = post_import(client, "batch.jsonl", to_jsonl(annotated_records(1)), annotator=annotator_a.pk)

    assert response.context["form"].errors["create_project"] == ["You may not create projects."]
    assert not Job.objects.exists()
