"""Claims across articles (issue 15): the clusters the job computes, ids kept across computations, reviewers'
merges and splits applied and remembered, the API's shape and who may use it, the page, the export."""
import json
from datetime import date

import pytest
from django.urls import reverse

from annotate.claims import computing, curation
from annotate.models import ClaimCluster, ClaimLink, ClaimMember, Job, Membership
from annotate.services import annotating

from .conftest import run_queued_jobs
from .factories import api_client, make_article, make_assignment, make_entity, make_user

pytestmark = pytest.mark.django_db

AUTONOMY = [
    "the autonomy plan is the only basis for a solution",
    "the autonomy plan is the only realistic basis for a political solution",
    "the Moroccan autonomy plan is the only basis for a solution",
]
TERRORISM = [
    "Morocco is a key partner against terrorism",
    "Morocco is a key partner in the fight against terrorism",
]
UNRELATED = [
    "tomato exports rose sharply this spring",
    "the football team won the cup final in Rabat",
]


def claim_article(project, annotator, claim, *, source="Nasser Bourita", label="QUOTE", published=None,
                  stance=None, submit=True):
    """An article where `source` says `claim`, annotated by `annotator`: the SOURCE (linked to the source's
    entity), the claim, the relation and, when asked, a stance with the claim as evidence. Returns the claim
    span."""
    text = f"{source} said that {claim}. The statement came on Monday."
    article = make_article(project, text=text, published=published)
    layer = annotating.open_layer(assignment=make_assignment(article, annotator))
    entity = project.entities.filter(name=source).first() or make_entity(project, source)
    who = annotating.add_span(annotation=layer, expected_version=layer.version, label="SOURCE", start=0,
                              end=len(source), entity=entity)
    layer.refresh_from_db()
    start = text.index(claim)
    span = annotating.add_span(annotation=layer, expected_version=layer.version, label=label, start=start,
                               end=start + len(claim))
    layer.refresh_from_db()
    annotating.add_relation(annotation=layer, expected_version=layer.version,
                            type="ATTRIBUTED_TO" if label == "QUOTE" else "CLAIMED_BY", from_span=span, to_span=who)
    layer.refresh_from_db()
    if stance:
        annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=who, polarity=stance,
                              target="Moroccan sovereignty over Western Sahara", evidence=[span])
        layer.refresh_from_db()
    if submit:
        annotating.submit(annotation=layer, expected_version=layer.version, confirm_missing_evidence=True)
    return span




@pytest.fixture
def corpus(project, annotator_a):
    """Three wordings of the autonomy claim (one a CLAIM), two of the terrorism one, two unrelated claims,
    and one autonomy quote in a layer still in progress (not in the corpus)."""
    spans = {
        "autonomy": [claim_article(project, annotator_a, text, published=date(2024, 1 + i, 5),
                                   label="CLAIM" if i == 2 else "QUOTE", stance="favor" if i == 0 else None)
                     for i, text in enumerate(AUTONOMY)],
        "terrorism": [claim_article(project, annotator_a, text, source="Ahmed Tazi", published=date(2024, 3, 1))
                      for text in TERRORISM],
        "unrelated": [claim_article(project, annotator_a, text) for text in UNRELATED],
        "draft": claim_article(project, annotator_a, AUTONOMY[0], submit=False),
    }
    return spans


def clusters_of(project):
    """{frozenset of span ids} of the project's clusters."""
    members = {}
    for cluster_id, span_id in ClaimMember.objects.filter(cluster__project=project).values_list("cluster", "span"):
        members.setdefault(cluster_id, set()).add(span_id)
    return {cluster_id: frozenset(spans) for cluster_id, spans in members.items()}


def ids(spans):
    return frozenset(span.pk for span in spans)


def cluster_holding(span) -> ClaimCluster:
    return ClaimMember.objects.select_related("cluster").get(span=span).cluster


# ----------------------------------------------------------------------------------------- computation


def test_the_job_groups_paraphrases_across_articles_and_leaves_the_rest_alone(project, corpus, manager):
    from annotate.jobs.kinds.claims import cluster_in_background

    job = cluster_in_background(project, user=manager)
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert job.result["claims"] == 7  # the draft layer's quote is not in the corpus
    found = set(clusters_of(project).values())
    assert ids(corpus["autonomy"]) in found
    assert ids(corpus["terrorism"]) in found
    for span in corpus["unrelated"]:
        assert frozenset({span.pk}) in found
    assert not ClaimMember.objects.filter(span=corpus["draft"]).exists()
    autonomy = cluster_holding(corpus["autonomy"][0])
    assert (autonomy.size, autonomy.articles) == (3, 3)
    assert (autonomy.first_published, autonomy.last_published) == (date(2024, 1, 5), date(2024, 3, 5))
    assert autonomy.text in AUTONOMY
    assert autonomy.representative_id in ids(corpus["autonomy"])


def test_ids_are_kept_when_most_members_stay_together(project, corpus, annotator_b):
    computing.compute(project)
    autonomy, terrorism = cluster_holding(corpus["autonomy"][0]).pk, cluster_holding(corpus["terrorism"][0]).pk
    # A fourth wording joins the autonomy claim; nothing else changes.
    extra = claim_article(project, annotator_b, "the autonomy plan is the only credible basis for a solution")
    outcome = computing.compute(project)
    assert cluster_holding(extra).pk == autonomy
    assert cluster_holding(corpus["terrorism"][1]).pk == terrorism
    assert outcome.clusters == outcome.kept == 4  # every earlier cluster continues (the new claim joined one)
    assert ClaimCluster.objects.get(pk=autonomy).size == 4


def test_a_threshold_of_one_keeps_every_wording_apart(project, corpus):
    outcome = computing.compute(project, similarity=0.999)
    assert outcome.multi == 0 and outcome.clusters == 7


# ----------------------------------------------------------------------------------------- decisions


def test_a_merge_is_applied_at_once_and_again_after_recomputation(project, corpus, reviewer):
    computing.compute(project)
    autonomy, terrorism = cluster_holding(corpus["autonomy"][0]), cluster_holding(corpus["terrorism"][0])
    kept = curation.merge_clusters(cluster=terrorism, into=autonomy, user=reviewer)
    assert kept.pk == autonomy.pk and kept.size == 5
    assert not ClaimCluster.objects.filter(pk=terrorism.pk).exists()
    assert ClaimLink.objects.filter(kind="together", decided_by=reviewer).count() == 2
    computing.compute(project)
    assert clusters_of(project)[autonomy.pk] == ids(corpus["autonomy"] + corpus["terrorism"])


def test_a_split_is_applied_at_once_and_again_after_recomputation(project, corpus, reviewer):
    computing.compute(project)
    autonomy = cluster_holding(corpus["autonomy"][0])
    out = corpus["autonomy"][2]
    alone = curation.split_member(cluster=autonomy, span=out.pk, user=reviewer)
    assert alone.pk != autonomy.pk and alone.size == 1 and alone.text == AUTONOMY[2]
    autonomy.refresh_from_db()
    assert autonomy.size == 2
    computing.compute(project)
    found = clusters_of(project)
    assert found[autonomy.pk] == ids(corpus["autonomy"][:2])
    assert frozenset({out.pk}) in found.values()


def test_splitting_the_anchor_of_a_merge_keeps_the_merge(project, corpus, reviewer):
    computing.compute(project)
    autonomy, terrorism = cluster_holding(corpus["autonomy"][0]), cluster_holding(corpus["terrorism"][0])
    merged = curation.merge_clusters(cluster=terrorism, into=autonomy, user=reviewer)
    anchor = merged.representative_id
    curation.split_member(cluster=merged, span=anchor, user=reviewer)
    computing.compute(project)
    rest = (ids(corpus["autonomy"]) | ids(corpus["terrorism"])) - {anchor}
    assert rest in set(clusters_of(project).values())
    assert frozenset({anchor}) in set(clusters_of(project).values())


def test_a_move_is_remembered(project, corpus, reviewer):
    computing.compute(project)
    autonomy, terrorism = cluster_holding(corpus["autonomy"][0]), cluster_holding(corpus["terrorism"][0])
    moved = corpus["autonomy"][1]
    curation.move_member(cluster=autonomy, span=moved.pk, to=terrorism, user=reviewer)
    assert cluster_holding(moved).pk == terrorism.pk
    computing.compute(project)
    found = clusters_of(project)
    assert found[terrorism.pk] == ids(corpus["terrorism"]) | {moved.pk}
    assert found[autonomy.pk] == ids([corpus["autonomy"][0], corpus["autonomy"][2]])


def test_a_merge_after_a_split_wins(project, corpus, reviewer):
    computing.compute(project)
    autonomy = cluster_holding(corpus["autonomy"][0])
    alone = curation.split_member(cluster=autonomy, span=corpus["autonomy"][2].pk, user=reviewer)
    curation.merge_clusters(cluster=alone, into=autonomy, user=reviewer)
    computing.compute(project)
    assert clusters_of(project)[autonomy.pk] == ids(corpus["autonomy"])


# ----------------------------------------------------------------------------------------- API

CONTRACT = {"id", "text", "size", "articles", "sources", "members"}


def test_the_list_answers_the_contract(project, corpus, reviewer):
    computing.compute(project)
    body = api_client(reviewer).get(reverse("api:claim-list", args=[project.slug])).json()
    assert set(body) >= {"count", "results", "next"}
    assert body["count"] == 2 and [c["size"] for c in body["results"]] == [3, 2]  # singletons hidden, biggest first
    autonomy = body["results"][0]
    assert CONTRACT <= set(autonomy)
    assert autonomy["articles"] == 3 and autonomy["sources"] == ["Nasser Bourita"]
    assert [set(m) >= {"annotation_id", "span_id", "text"} for m in autonomy["members"]] == [True] * 3
    first = corpus["autonomy"][0]
    assert {"annotation_id": first.annotation_id, "span_id": first.pk, "text": first.text}.items() \
        <= autonomy["members"][0].items()
    assert autonomy["stances"] == [{"holder": "Nasser Bourita", "target": "Moroccan sovereignty over Western Sahara",
                                    "polarity": "favor", "count": 1}]
    assert (autonomy["first_published"], autonomy["last_published"]) == ("2024-01-05", "2024-03-05")
    everything = api_client(reviewer).get(reverse("api:claim-list", args=[project.slug]), {"min_size": 1}).json()
    assert everything["count"] == 4
    bad = api_client(reviewer).get(reverse("api:claim-list", args=[project.slug]), {"min_size": "x"})
    assert bad.status_code == 400 and "min_size" in bad.json()


def test_the_list_pages_with_a_cursor(project, corpus, reviewer):
    computing.compute(project)
    client = api_client(reviewer)
    first = client.get(reverse("api:claim-list", args=[project.slug]), {"min_size": 1, "page_size": 3}).json()
    second = client.get(first["next"]).json()
    sizes = [c["size"] for c in first["results"] + second["results"]]
    assert sizes == [3, 2, 1, 1] and second["next"] is None


def test_the_detail_shows_members_in_context(project, corpus, manager):
    computing.compute(project)
    cluster = cluster_holding(corpus["autonomy"][0])
    body = api_client(manager).get(reverse("api:claim-detail", args=[project.slug, cluster.pk])).json()
    assert CONTRACT <= set(body) and body["size"] == 3
    member = body["members"][0]
    assert member["context"]["hit"] == AUTONOMY[0]
    assert member["context"]["before"].startswith("Nasser Bourita said that")
    assert body["months"] == [["2024-01", 1], ["2024-02", 1], ["2024-03", 1]]


def test_reviewers_merge_and_split_through_the_api(project, corpus, reviewer):
    computing.compute(project)
    autonomy, terrorism = cluster_holding(corpus["autonomy"][0]), cluster_holding(corpus["terrorism"][0])
    client = api_client(reviewer)
    merged = client.post(reverse("api:claim-merge", args=[project.slug, terrorism.pk]), {"into": autonomy.pk},
                         format="json")
    assert merged.status_code == 200 and merged.json()["id"] == autonomy.pk and merged.json()["size"] == 5
    assert set(merged.json()["sources"]) == {"Nasser Bourita", "Ahmed Tazi"}
    out = corpus["terrorism"][1]
    split = client.post(reverse("api:claim-split", args=[project.slug, autonomy.pk]), {"span": out.pk}, format="json")
    assert split.status_code == 201 and split.json()["size"] == 1
    assert [m["span_id"] for m in split.json()["members"]] == [out.pk]
    again = client.post(reverse("api:claim-split", args=[project.slug, autonomy.pk]), {"span": out.pk}, format="json")
    assert again.status_code == 400 and "span" in again.json()
    gone = client.post(reverse("api:claim-merge", args=[project.slug, autonomy.pk]), {"into": terrorism.pk},
                       format="json")
    assert gone.status_code == 400 and "into" in gone.json()
    computing.compute(project)
    assert clusters_of(project)[autonomy.pk] == ids(corpus["autonomy"]) | {corpus["terrorism"][0].pk}


def test_recompute_starts_one_job(project, corpus, manager):
    client = api_client(manager)
    first = client.post(reverse("api:claim-recompute", args=[project.slug]), {}, format="json")
    second = client.post(reverse("api:claim-recompute", args=[project.slug]), {}, format="json")
    assert first.status_code == second.status_code == 202 and first.json()["id"] == second.json()["id"]
    run_queued_jobs()
    assert ClaimCluster.objects.filter(project=project, size=3).exists()


@pytest.mark.parametrize("who, status", [("annotator", 403), ("engineer", 403), ("outsider", 404)])
def test_only_reviewers_and_managers_see_claims(project, corpus, who, status):
    computing.compute(project)
    user = make_user(f"someone-{who}")
    if who != "outsider":
        Membership.objects.create(project=project, user=user, role=who)
    cluster = cluster_holding(corpus["autonomy"][0])
    client = api_client(user)
    assert client.get(reverse("api:claim-list", args=[project.slug])).status_code == status
    assert client.get(reverse("api:claim-detail", args=[project.slug, cluster.pk])).status_code == status
    assert client.post(reverse("api:claim-split", args=[project.slug, cluster.pk]),
                       {"span": corpus["autonomy"][0].pk}, format="json").status_code == status
    assert ClaimMember.objects.filter(cluster=cluster).count() == 3


def test_a_cluster_of_another_project_is_not_found(project, corpus, reviewer):
    from .factories import make_project

    computing.compute(project)
    other = make_project("elsewhere")
    Membership.objects.create(project=other, user=reviewer, role=Membership.Role.REVIEWER)
    cluster = cluster_holding(corpus["autonomy"][0])
    assert api_client(reviewer).get(reverse("api:claim-detail", args=[other.slug, cluster.pk])).status_code == 404


def test_the_list_costs_the_same_queries_whatever_its_size(project, annotator_a, reviewer,
                                                           django_assert_max_num_queries):
    for topic in ("phosphate exports", "the fishing agreement", "the desalination plant", "the Dakhla highway",
                  "the Ouarzazate solar farm", "the Tangier port"):
        for wording in (f"{topic} doubled", f"{topic} has doubled"):
            claim_article(project, annotator_a, wording, stance="favor")
    computing.compute(project)
    assert ClaimCluster.objects.filter(project=project, size=2).count() == 6
    client = api_client(reviewer)
    # Session/token and membership (2-3), the project, the count, the page, members, sources, stances.
    with django_assert_max_num_queries(9):
        small = client.get(reverse("api:claim-list", args=[project.slug]), {"page_size": 1}).json()
    with django_assert_max_num_queries(9):
        big = client.get(reverse("api:claim-list", args=[project.slug]), {"page_size": 50}).json()
    assert len(small["results"]) == 1 and len(big["results"]) == 6


# ----------------------------------------------------------------------------------------- export


def test_the_export_carries_each_claim_span_cluster(project, corpus, reviewer):
    from annotate.export import schema
    from annotate.export.filters import ExportFilters
    from annotate.export.records import iter_records

    computing.compute(project)
    records = list(iter_records(project, ExportFilters(status="submitted")))
    by_text = {span["text"]: span for record in records for span in record["annotations"]["spans"]}
    autonomy = cluster_holding(corpus["autonomy"][0]).pk
    assert {by_text[text]["claim_cluster"] for text in AUTONOMY} == {autonomy}
    assert by_text[UNRELATED[0]]["claim_cluster"] == cluster_holding(corpus["unrelated"][0]).pk
    assert "claim_cluster" not in by_text["Nasser Bourita"]  # a SOURCE is in no cluster: the shape it always had
    assert schema.json_schema()["properties"]["annotations"]["properties"]["spans"]["items"]["properties"][
        "claim_cluster"]["type"] == "integer"
    body = api_client(reviewer).get(reverse("api:export-jsonl", args=[project.slug]))
    lines = [json.loads(line) for line in b"".join(body.streaming_content).splitlines() if line.strip()]
    assert autonomy in {span.get("claim_cluster") for line in lines for span in line["annotations"]["spans"]}


# ----------------------------------------------------------------------------------------- the page


def test_the_claims_page_lists_clusters_with_their_sources(client, project, corpus, reviewer,
                                                          django_assert_max_num_queries):
    computing.compute(project)
    client.force_login(reviewer)
    # Session, user, project (+ role), the count, the page, the latest computation, the running job, members,
    # sources, stances, months: the same whatever the number of clusters on the page.
    with django_assert_max_num_queries(14):
        page = client.get(reverse("review:claims", args=[project.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert cluster_holding(corpus["autonomy"][0]).text in html and "Nasser Bourita" in html
    assert "Ahmed Tazi" in html and UNRELATED[0] not in html  # singletons hidden by default
    assert "<svg" in html  # the autonomy claim's articles per month
    assert 'name="csrfmiddlewaretoken"' in html and "<script" not in html.split("<main", 1)[-1]


def test_the_claim_page_shows_members_in_context_and_takes_decisions(client, project, corpus, reviewer):
    computing.compute(project)
    autonomy, terrorism = cluster_holding(corpus["autonomy"][0]), cluster_holding(corpus["terrorism"][0])
    client.force_login(reviewer)
    html = client.get(reverse("review:claim", args=[project.slug, autonomy.pk])).content.decode()
    assert f"<mark>{AUTONOMY[1]}</mark>" in html
    assert reverse("review:article", args=[corpus["autonomy"][1].annotation.article_id]) in html
    assert reverse("annotate:search", args=[project.slug]) in html
    out = corpus["autonomy"][2]
    response = client.post(reverse("review:claim-split", args=[project.slug, autonomy.pk]), {"span": out.pk})
    assert response.status_code == 302 and cluster_holding(out).pk != autonomy.pk
    response = client.post(reverse("review:claim-merge", args=[project.slug, terrorism.pk]), {"into": autonomy.pk})
    assert response.url == reverse("review:claim", args=[project.slug, autonomy.pk])
    assert cluster_holding(corpus["terrorism"][0]).pk == autonomy.pk
    response = client.post(reverse("review:claim-merge", args=[project.slug, autonomy.pk]), {"into": "nope"})
    assert response.status_code == 302  # said in a message, nothing changed
    assert ClaimCluster.objects.get(pk=autonomy.pk).size == 4


def test_recompute_from_the_page_shows_the_running_job(client, project, corpus, manager):
    client.force_login(manager)
    client.post(reverse("review:claims-recompute", args=[project.slug]))
    html = client.get(reverse("review:claims", args=[project.slug])).content.decode()
    assert "data-claims-job" in html and "disabled" in html
    run_queued_jobs()
    html = client.get(reverse("review:claims", args=[project.slug])).content.decode()
    assert "data-claims-job" not in html and "Nasser Bourita" in html


def test_annotators_may_not_open_the_claims_page(client, project, corpus, annotator_a, outsider):
    client.force_login(annotator_a)
    assert client.get(reverse("review:claims", args=[project.slug])).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("review:claims", args=[project.slug])).status_code == 404


def test_the_command_computes_here_or_queues_a_job(project, corpus, capsys):
    from django.core.management import call_command

    call_command("cluster_claims", project.slug)
    assert "7 claim(s) in 4 cluster(s), 2 of two or more" in capsys.readouterr().out
    call_command("cluster_claims", project.slug, "--background", "--threshold", "0.9")
    job = Job.objects.get(kind="claims")
    assert job.arguments == {"threshold": 0.9} and f"job {job.pk}" in capsys.readouterr().out


def test_the_admin_shows_clusters_members_and_decisions_read_only(admin_client, project, corpus, reviewer):
    computing.compute(project)
    cluster = cluster_holding(corpus["autonomy"][0])
    curation.split_member(cluster=cluster, span=corpus["autonomy"][2].pk, user=reviewer)
    for model in ("claimcluster", "claimmember", "claimlink"):
        response = admin_client.get(reverse(f"admin:annotate_{model}_changelist"))
        assert response.status_code == 200 and response.context["cl"].result_count > 0
        assert admin_client.get(reverse(f"admin:annotate_{model}_add")).status_code == 403
    assert admin_client.get(reverse("admin:annotate_claimcluster_change", args=[cluster.pk])).status_code == 200


def test_a_claim_page_costs_the_same_queries_whatever_its_members(client, project, corpus, annotator_b, reviewer,
                                                                  django_assert_max_num_queries):
    computing.compute(project)
    cluster = cluster_holding(corpus["autonomy"][0])
    client.force_login(reviewer)
    url = reverse("review:claim", args=[project.slug, cluster.pk])
    # Session, user, project (+ role), the cluster, members in context, sources, stances, months.
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
    for n in range(5):
        claim_article(project, annotator_b, AUTONOMY[n % 3], source=f"Spokesman {n}", stance="against")
    computing.compute(project)
    assert ClaimCluster.objects.get(pk=cluster.pk).size == 8
    with django_assert_max_num_queries(10):
        html = client.get(url).content.decode()
    assert "Spokesman 4" in html and "against" in html
