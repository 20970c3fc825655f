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
