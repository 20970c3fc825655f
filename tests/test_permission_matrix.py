"""Every URL of the project against every persona, with objects owned by someone else.

A URL without an entry here fails `test_every_url_pattern_has_a_matrix_entry`: a new page or
endpoint cannot ship without saying who may use it. Expectations: the API answers 401 to the
anonymous, 404 for objects a persona may not see (no existence leak), 403 for objects they see but
may not change; UI pages send the anonymous to the login page; admin pages send everyone but staff
to the admin login.
"""
import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from annotate import jobs
from annotate.jobs.kinds.releases import start_release
from annotate.jobs.kinds.snapshots import start_snapshot
from annotate.models import Membership, SuggestedSpan
from annotate.search import bulk
from annotate.services import annotating
from annotate.suggestions import storing
from annotate.suggestions.base import Guesses, SpanGuess
from annotate.suggestions.vocabulary import Vocabulary

from .conftest import run_queued_jobs
from .factories import api_client, make_article, make_assignment, make_entity, make_user

pytestmark = pytest.mark.django_db
TEXT = "Hassan Bellouan said the plan works. France backs the plan."
PERSONAS = ["anonymous", "anna", "ben", "rita", "max", "otto", "erin", "root"]


@pytest.fixture
def world(project, annotator_a, annotator_b, reviewer, manager, outsider, superuser):
    """anna owns the layer; ben annotates the same project; rita reviews, max manages, erin pulls exports,
    otto belongs to no project, root is a superuser."""
    engineer = make_user("erin")
    Membership.objects.create(project=project, user=engineer, role=Membership.Role.ENGINEER)
    article = make_article(project, text=TEXT)
    assignment = make_assignment(article, annotator_a)
    layer = annotating.open_layer(assignment=assignment)
    source = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=15)
    quote = annotating.add_span(annotation=layer, expected_version=2, label="QUOTE", start=21, end=35)
    relation = annotating.add_relation(annotation=layer, expected_version=3, type="ATTRIBUTED_TO",
                                       from_span=quote, to_span=source)
    stance = annotating.add_stance(annotation=layer, expected_version=4, holder_span=source, polarity="favor",
                                   target="Moroccan sovereignty over Western Sahara", evidence=[quote])
    make_assignment(make_article(project, text="Another article."), annotator_b)
    storing.replace(vocabulary=Vocabulary.of(project), recommender="attribution", version="1", answers=[
        (article, Guesses(spans=[SpanGuess("CUE", 16, 20, 0.9)]))])
    # erin's snapshot, done (its file to download), and her agreement report, still queued (to cancel).
    snapshot = start_snapshot(project, user=engineer)
    run_queued_jobs()
    report = jobs.start("agreement", user=engineer, project=project)
    return dict(project=project, article=article, assignment=assignment, layer=layer, span=quote,
                relation=relation, stance=stance, entity=make_entity(project), other=make_entity(project, "Other"),
                snapshot=snapshot, report=report, suggestion=SuggestedSpan.objects.get(article=article),
                users={"anna": annotator_a, "ben": annotator_b, "rita": reviewer, "max": manager, "otto": outsider,
                       "erin": engineer, "root": superuser})


def row(anonymous, anna, ben, rita, max, otto, erin, root):
    return dict(anonymous=anonymous, anna=anna, ben=ben, rita=rita, max=max, otto=otto, erin=erin, root=root)


V = {"version": 5}
SLUG = lambda w: [w["project"].slug]  # noqa: E731 - URL arguments, like the lambdas in the tables
LAYER = lambda w: [w["layer"].pk]  # noqa: E731 - URL arguments, like the lambdas in the tables


def OPERATION(w):  # URL arguments, like the lambdas in the tables
    """max's bulk annotation of "plan" as suggestions, made the first time a case asks for it."""
    if "operation" not in w:
        w["operation"] = bulk.apply(project=w["project"], user=w["users"]["max"], q="plan", label="CUE",
                                    into="suggestions")
    return [w["project"].slug, w["operation"].pk]


def RELEASE(w):  # URL arguments, like the lambdas in the tables
    """max's release v1 of the project, written (a job run) the first time a case asks for it."""
    if "release" not in w:
        w["release"] = start_release(w["project"], user=w["users"]["max"], name="v1")
        run_queued_jobs()
    return [w["project"].slug, "v1"]


def CLAIMS(w):  # URL arguments, like the lambdas in the tables
    """Two claim clusters of the project, made the first time a case asks for them (directly: the world's layer
    is not in the corpus, so a computation would find nothing): the first holds the quote and a CLAIM, the
    second the SOURCE span."""
    if "claims" not in w:
        from django.utils import timezone

        from annotate.models import ClaimCluster, ClaimMember, Span

        from .factories import make_span

        claim = make_span(w["layer"], "CLAIM", 37, 58)
        source = Span.objects.get(annotation=w["layer"], label__name="SOURCE")
        clusters = []
        for spans in ([w["span"], claim], [source]):
            cluster = ClaimCluster.objects.create(project=w["project"], representative=spans[0], text=spans[0].text,
                                                  size=len(spans), articles=1, computed_at=timezone.now())
            ClaimMember.objects.bulk_create(ClaimMember(cluster=cluster, span=span, annotation=w["layer"],
                                                        article=w["article"]) for span in spans)
            clusters.append(cluster)
        w["claims"] = clusters
    return [w["project"].slug, w["claims"][0].pk]


def THREAD(w):  # URL arguments, like the lambdas in the tables
    """anna's thread on her quote, opened the first time a case asks for it."""
    if "thread" not in w:
        from annotate.services import threads

        w["thread"] = threads.open_thread(annotation=w["layer"], kind="span", anchor_id=w["span"].pk,
                                          body="Is this the whole quote?", author=w["users"]["anna"])
    return [w["thread"].pk]


def ANSWERS(w):  # a request body
    """The world's layer version and an answer to CHECK_WORTHY, a question the project gets on first use."""
    from annotate.models import ArticleQuestion

    ArticleQuestion.objects.get_or_create(project=w["project"], name="CHECK_WORTHY",
                                          defaults={"prompt": "Check-worthy?", "choices": ["yes", "no"]})
    return {"article_labels": {"CHECK_WORTHY": "yes"}, **V}


def CLAIM_BODY(**fields):
    """A form or JSON body naming the world's claims: into/to the second cluster, span the quote."""
    def body(w):
        CLAIMS(w)
        values = {"into": w["claims"][1].pk, "to": w["claims"][1].pk, "span": w["span"].pk}
        return {name: values[name] for name in fields}
    return body


# name: [(method, url args from the world, body, expected status per persona)]
API = {
    "api:project-list": [("get", lambda w: [], None, row(401, 200, 200, 200, 200, 200, 200, 200))],
    "api:project-detail": [("get", SLUG, None, row(401, 200, 200, 200, 200, 404, 200, 200))],
    "api:entity-list": [
        ("get", SLUG, None, row(401, 200, 200, 200, 200, 404, 200, 200)),
        ("post", SLUG, {"name": "New source"}, row(401, 201, 201, 201, 201, 404, 403, 201)),
    ],
    "api:entity-detail": [("get", lambda w: [w["project"].slug, w["entity"].pk], None,
                           row(401, 200, 200, 200, 200, 404, 200, 200))],
    "api:entity-merge": [("post", lambda w: [w["project"].slug, w["entity"].pk], "merge",
                          row(401, 403, 403, 200, 200, 404, 403, 200))],
    "api:next-article": [("post", SLUG, None, row(401, 200, 200, 204, 204, 404, 403, 204))],
    "api:agreement": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:article-list": [("get", lambda w: [], None, row(401, 200, 200, 200, 200, 200, 200, 200))],
    "api:article-detail": [("get", lambda w: [w["article"].pk], None, row(401, 200, 404, 200, 200, 404, 404, 200))],
    "api:article-review": [("get", lambda w: [w["article"].pk], None, row(401, 403, 404, 200, 200, 404, 404, 200))],
    "api:article-gold": [("post", lambda w: [w["article"].pk], {}, row(401, 403, 404, 400, 400, 404, 404, 400))],
    # Threads: whoever may read the layer (anna, its reviewers and managers); ben, otto and erin learn nothing.
    "api:article-threads": [
        ("get", lambda w: [w["article"].pk], None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("post", lambda w: [w["article"].pk],
         lambda w: {"annotation": w["layer"].pk, "anchor": {"kind": "span", "id": w["span"].pk}, "body": "Why?"},
         row(401, 201, 404, 201, 201, 404, 404, 201)),
    ],
    "api:thread-detail": [
        ("get", THREAD, None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("patch", THREAD, {"resolved": True}, row(401, 200, 404, 200, 200, 404, 404, 200)),
    ],
    "api:thread-comments": [("post", THREAD, {"body": "Agreed @rita"}, row(401, 201, 404, 201, 201, 404, 404, 201))],
    "api:assignment-list": [("get", lambda w: [], None, row(401, 200, 200, 200, 200, 200, 200, 200))],
    "api:assignment-detail": [("get", lambda w: [w["assignment"].pk], None,
                               row(401, 200, 404, 200, 200, 404, 404, 200))],
    "api:assignment-open": [("post", lambda w: [w["assignment"].pk], None,
                             row(401, 200, 404, 403, 403, 404, 404, 403))],
    "api:assignment-skip": [("post", lambda w: [w["assignment"].pk], {"reason": "off topic"},
                             row(401, 200, 404, 403, 403, 404, 404, 403))],
    "api:annotation-list": [("get", lambda w: [], None, row(401, 200, 200, 200, 200, 200, 200, 200))],
    "api:annotation-detail": [("get", LAYER, None, row(401, 200, 404, 200, 200, 404, 404, 200))],
    "api:annotation-submit": [("post", LAYER, V, row(401, 200, 404, 403, 403, 404, 404, 403))],
    "api:annotation-history": [("get", LAYER, None, row(401, 200, 404, 200, 200, 404, 404, 200))],
    "api:article-labels": [
        ("get", LAYER, None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("put", LAYER, ANSWERS, row(401, 200, 404, 403, 403, 404, 404, 403)),
    ],
    "api:annotation-restore": [("post", LAYER, {"to_version": 1, **V}, row(401, 403, 404, 403, 200, 404, 404, 200))],
    "api:annotation-accept": [("post", LAYER, {"kind": "span", "item_id": 1, **V},
                               row(401, 403, 404, 400, 400, 404, 404, 400))],
    "api:article-suggestions": [("get", lambda w: [w["article"].pk], None,
                                 row(401, 200, 404, 200, 200, 404, 404, 200))],
    "api:article-suggestions-refresh": [("post", lambda w: [w["article"].pk], {"recommender": ["attribution"]},
                                         row(401, 200, 404, 200, 200, 404, 404, 200))],
    "api:suggestions-accept": [("post", LAYER, lambda w: {"spans": [w["suggestion"].pk], **V},
                                row(401, 201, 404, 403, 403, 404, 404, 403))],
    "api:suggestions-reject": [("post", LAYER, lambda w: {"spans": [w["suggestion"].pk]},
                                row(401, 200, 404, 403, 403, 404, 404, 403))],
    "api:annotation-adjudicate": [("post", LAYER, V, row(401, 403, 404, 400, 400, 404, 404, 400))],
    "api:annotation-return": [("post", LAYER, {"comment": "redo"}, row(401, 403, 404, 400, 400, 404, 404, 400))],
    "api:span-list": [
        ("get", LAYER, None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("post", LAYER, {"label": "CUE", "start": 16, "end": 20, **V}, row(401, 201, 404, 403, 403, 404, 404, 403)),
    ],
    "api:span-detail": [
        ("get", lambda w: [w["layer"].pk, w["span"].pk], None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("patch", lambda w: [w["layer"].pk, w["span"].pk], {"attributes": {"x": 1}, **V},
         row(401, 200, 404, 403, 403, 404, 404, 403)),
        ("delete", lambda w: [w["layer"].pk, w["span"].pk], V, row(401, 200, 404, 403, 403, 404, 404, 403)),
    ],
    "api:relation-list": [
        ("get", LAYER, None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("post", LAYER, {"type": "CUE_OF", "from_span": 0, "to_span": 0, **V},
         row(401, 400, 404, 403, 403, 404, 404, 403)),
    ],
    "api:relation-detail": [
        ("get", lambda w: [w["layer"].pk, w["relation"].pk], None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("delete", lambda w: [w["layer"].pk, w["relation"].pk], V, row(401, 200, 404, 403, 403, 404, 404, 403)),
    ],
    "api:stance-list": [
        ("get", LAYER, None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("post", LAYER, {"target": "Moroccan sovereignty over Western Sahara", "polarity": "favor",
                         "holder_entity": None, **V}, row(401, 400, 404, 403, 403, 404, 404, 403)),
    ],
    "api:stance-detail": [
        ("get", lambda w: [w["layer"].pk, w["stance"].pk], None, row(401, 200, 404, 200, 200, 404, 404, 200)),
        ("patch", lambda w: [w["layer"].pk, w["stance"].pk], {"polarity": "against", **V},
         row(401, 200, 404, 403, 403, 404, 404, 403)),
        ("delete", lambda w: [w["layer"].pk, w["stance"].pk], V, row(401, 200, 404, 403, 403, 404, 404, 403)),
    ],
    "api:export-jsonl": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-json": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-csv": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-conll": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-brat": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-parquet": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-attributions": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-stance_tsv": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-stance_table": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-checkworthy_tsv": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-csv_tables": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-article_labels_csv": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-article_labels_parquet": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-schema": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-withdrawn": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:export-card": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    # Jobs: seen by their starter (erin) and the project's managers; started by those the work is for.
    "api:job-list": [("get", lambda w: [], None, row(401, 200, 200, 200, 200, 200, 200, 200))],
    "api:job-detail": [("get", lambda w: [w["snapshot"].pk], None, row(401, 404, 404, 404, 200, 404, 200, 200))],
    "api:job-cancel": [("post", lambda w: [w["report"].pk], None, row(401, 404, 404, 404, 202, 404, 202, 202))],
    "api:job-download": [("get", lambda w: [w["snapshot"].pk], None,
                          row(401, 404, 404, 404, 200, 404, 200, 200))],
    # No file sent: 400 for those who may import (the project's managers), before anything is stored.
    "api:import-start": [("post", SLUG, None, row(401, 403, 403, 403, 400, 404, 403, 400))],
    "api:snapshot-start": [("post", SLUG, {}, row(401, 403, 403, 202, 202, 404, 202, 202))],
    "api:agreement-report": [("post", SLUG, {}, row(401, 403, 403, 202, 202, 404, 202, 202))],
    # Releases: read like the exports; frozen by the project's managers only.
    "api:release-list": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 200, 200)),
                         ("post", SLUG, {"name": "v2"}, row(401, 403, 403, 403, 202, 404, 403, 202))],
    "api:release-detail": [("get", RELEASE, None, row(401, 403, 403, 200, 200, 404, 200, 200))],
    "api:release-file": [("get", lambda w: [*RELEASE(w), "README.md"], None,
                          row(401, 403, 403, 200, 200, 404, 200, 200))],
    # Recommenders' figures compare suggestions with everyone's layers: reviewers and managers only.
    "api:recommender-list": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 403, 200))],
    "api:recommender-run": [("post", SLUG, {"recommenders": ["attribution"]},
                             row(401, 403, 403, 403, 202, 404, 403, 202))],
    "api:recommender-evaluate": [("post", SLUG, None, row(401, 403, 403, 202, 202, 404, 403, 202))],
    # Any member searches what they may see (annotators: their own layers and articles; erin: nothing).
    "api:project-search": [("get", SLUG, {"q": "plan"}, row(401, 200, 200, 200, 200, 404, 200, 200))],
    # Bulk annotation from search writes into everyone's layers: reviewers and managers only.
    "api:search-annotate": [
        ("post", SLUG, {"q": "plan", "label": "CUE", "into": "layers", "preview": True},
         row(401, 403, 403, 200, 200, 404, 403, 200)),
        ("post", SLUG, {"q": "plan", "label": "CUE", "into": "suggestions"},
         row(401, 403, 403, 201, 201, 404, 403, 201)),
    ],
    "api:search-operations": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 403, 200))],
    "api:search-operation-undo": [("post", OPERATION, None, row(401, 403, 403, 200, 200, 404, 403, 200))],
    # Claims across articles: reviewers and managers (they read and decide over everyone's layers).
    "api:claim-list": [("get", SLUG, None, row(401, 403, 403, 200, 200, 404, 403, 200))],
    "api:claim-detail": [("get", CLAIMS, None, row(401, 403, 403, 200, 200, 404, 403, 200))],
    "api:claim-merge": [("post", CLAIMS, CLAIM_BODY(into=1), row(401, 403, 403, 200, 200, 404, 403, 200))],
    "api:claim-split": [("post", CLAIMS, CLAIM_BODY(span=1), row(401, 403, 403, 201, 201, 404, 403, 201))],
    "api:claim-move": [("post", CLAIMS, CLAIM_BODY(span=1, to=1), row(401, 403, 403, 200, 200, 404, 403, 200))],
    "api:claim-recompute": [("post", SLUG, {}, row(401, 403, 403, 202, 202, 404, 403, 202))],
    # The API's description is public, like any published API reference; it holds no data.
    "api:schema": [("get", lambda w: [], None, row(200, 200, 200, 200, 200, 200, 200, 200))],
    "api:docs": [("get", lambda w: [], None, row(200, 200, 200, 200, 200, 200, 200, 200))],
}

LOGIN = "login"  # a redirect to the login page
UI = {
    "annotate:my-work": [("get", lambda w: [], None, row(LOGIN, 200, 200, 200, 200, 200, 200, 200))],
    "annotate:next-article": [("get", SLUG, None, row(LOGIN, 302, 302, 200, 200, 404, 403, 200))],
    "annotate:workspace": [("get", lambda w: [w["assignment"].pk], None,
                            row(LOGIN, 200, 404, 404, 404, 404, 404, 404))],
    "annotate:login": [("get", lambda w: [], None, row(200, 302, 302, 302, 302, 302, 302, 302))],
    "annotate:logout": [("post", lambda w: [], None, row(302, 302, 302, 302, 302, 302, 302, 302))],
    "annotate:account": [("get", lambda w: [], None, row(LOGIN, 200, 200, 200, 200, 200, 200, 200))],
    "annotate:account-token": [("post", lambda w: [], None, row(LOGIN, 302, 302, 302, 302, 302, 302, 302))],
    "annotate:password-change": [("get", lambda w: [], None, row(LOGIN, 200, 200, 200, 200, 200, 200, 200))],
    # Any member searches what they may see (the page of the search API).
    "annotate:search": [("get", SLUG, {"q": "plan"}, row(LOGIN, 200, 200, 200, 200, 404, 200, 200))],
}
ARTICLE = lambda w: [w["article"].pk]  # noqa: E731 - URL arguments, like the lambdas in the tables
SOURCE = lambda w: [w["project"].slug, w["entity"].pk]  # noqa: E731 - URL arguments, like the lambdas in the tables
REVIEWERS_ONLY = row(LOGIN, 403, 403, 200, 200, 404, 403, 200)
REVIEW = {
    "review:index": [("get", SLUG, None, REVIEWERS_ONLY)],
    "review:article": [("get", ARTICLE, None, row(LOGIN, 403, 404, 200, 200, 404, 404, 200))],
    # The world's article has no gold layer yet: nothing to edit, even for reviewers.
    "review:edit-gold": [("get", ARTICLE, None, row(LOGIN, 403, 404, 404, 404, 404, 404, 404))],
    "review:dashboard": [("get", SLUG, None, REVIEWERS_ONLY)],
    "review:stances": [("get", SLUG, None, REVIEWERS_ONLY)],
    "review:stance-evidence": [("get", SLUG, {"holder": "France", "target": "Moroccan sovereignty over Western Sahara"},
                                REVIEWERS_ONLY)],
    "review:sources": [("get", SLUG, None, REVIEWERS_ONLY)],
    "review:source": [("get", SOURCE, None, REVIEWERS_ONLY)],
    "review:merge-source": [("get", SOURCE, "merge", REVIEWERS_ONLY),
                            ("post", SOURCE, "merge", row(LOGIN, 403, 403, 302, 302, 404, 403, 302))],
    "review:evaluate-recommenders": [("post", SLUG, None, row(LOGIN, 403, 403, 302, 302, 404, 403, 302))],
    # Bulk annotation from the search page: a preview renders the page; undo goes back to it.
    "review:search-annotate": [("post", SLUG, {"q": "plan", "label": "CUE", "into": "layers", "action": "preview"},
                                REVIEWERS_ONLY)],
    "review:search-undo": [("post", OPERATION, None, row(LOGIN, 403, 403, 302, 302, 404, 403, 302))],
    # Claims across articles; decisions are forms that go back to the page.
    "review:claims": [("get", SLUG, None, REVIEWERS_ONLY)],
    "review:claim": [("get", CLAIMS, None, REVIEWERS_ONLY)],
    "review:claim-merge": [("post", CLAIMS, CLAIM_BODY(into=1), row(LOGIN, 403, 403, 302, 302, 404, 403, 302))],
    "review:claim-split": [("post", CLAIMS, CLAIM_BODY(span=1), row(LOGIN, 403, 403, 302, 302, 404, 403, 302))],
    "review:claim-move": [("post", CLAIMS, CLAIM_BODY(span=1, to=1), row(LOGIN, 403, 403, 302, 302, 404, 403, 302))],
    "review:claims-recompute": [("post", SLUG, None, row(LOGIN, 403, 403, 302, 302, 404, 403, 302))],
}
MATRIX = {**API, **UI, **REVIEW}
CASES = [(name, *case) for name, cases in MATRIX.items() for case in cases]


def call(world, persona, method, name, args, body):
    user = world["users"].get(persona)
    if body == "merge":
        body = {"absorb": world["other"].pk}
    elif callable(body):
        body = body(world)
    if name.startswith("api:"):
        client = api_client(user)
        return getattr(client, method)(reverse(name, args=args(world)), body, format="json")
    client = Client()
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(reverse(name, args=args(world)), body or {})


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name,method,args,body,expected", CASES, ids=[f"{c[1]} {c[0]}" for c in CASES])
def test_permission_matrix(world, persona, name, method, args, body, expected):
    response = call(world, persona, method, name, args, body)
    want = expected[persona]
    if want == LOGIN:
        assert response.status_code == 302 and reverse("annotate:login") in response["Location"], response
    else:
        assert response.status_code == want, (response.status_code, getattr(response, "content", b"")[:300])


def url_names():
    """(namespaced name, route) of every URL pattern the project serves."""
    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                yield name, prefix + str(pattern.pattern)

    return list(walk(get_resolver().url_patterns, "", None))


def test_every_url_pattern_has_a_matrix_entry():
    # Admin pages (named or not: the admin's redirects and catch-all) go through test_admin_is_for_staff_only.
    missing = [f"{name} ({route})" for name, route in url_names()
               if not route.startswith("admin/") and name not in MATRIX]
    assert missing == [], "add these URLs to the permission matrix: " + ", ".join(missing)


def admin_urls(world):
    """Every admin page of every registered model (list, add, change, history, delete) and the index."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{info}_changelist"), reverse(f"{info}_add")]
        obj = model.objects.order_by("pk").first()
        if obj is not None:
            urls += [reverse(f"{info}_change", args=[obj.pk]), reverse(f"{info}_history", args=[obj.pk]),
                     reverse(f"{info}_delete", args=[obj.pk])]
    return urls


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_is_for_staff_only(world, persona):
    client = Client()
    user = world["users"].get(persona)
    if user is not None:
        client.force_login(user)
    for url in admin_urls(world):
        response = client.get(url)
        if persona == "root":
            assert response.status_code in (200, 403), url  # 403: read-only admins (the history) refuse add/delete
        else:
            assert response.status_code == 302 and reverse("admin:login") in response["Location"], url


def test_lists_only_show_what_each_persona_may_see(world):
    def ids(persona, name):
        client = api_client(world["users"].get(persona))
        return sorted(r["id"] for r in client.get(reverse(name)).json()["results"])

    layer, article = world["layer"].pk, world["article"].pk
    assert ids("anna", "api:annotation-list") == [layer]
    assert ids("ben", "api:annotation-list") == []
    assert ids("rita", "api:annotation-list") == [layer]
    assert ids("otto", "api:annotation-list") == []
    assert article in ids("anna", "api:article-list") and article not in ids("ben", "api:article-list")
    assert ids("otto", "api:project-list") == []
    assert ids("anna", "api:assignment-list") == [world["assignment"].pk]
