"""Reading claim clusters for the API and the Claims page: a page of clusters with their members, the
sources that make them, the stances they are evidence for and their articles per month, in a fixed number
of queries whatever the page's size or the clusters' sizes.
"""
from collections import defaultdict

from django.db.models import Count, F, TextField, Window
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.http import Http404

from ..access import reviewed_project
from ..models import ClaimCluster, ClaimMember, Relation, Stance
from ..search.hits import context as sentence

MEMBERS_LISTED = 100  # a cluster's members shown in a list (its first by span id); the detail shows more
MEMBERS_IN_DETAIL = 500
SAID_BY = ("ATTRIBUTED_TO", "CLAIMED_BY")  # claim -> SOURCE relations: who makes the claim


def reviewed_cluster(user, slug: str, pk: int) -> ClaimCluster:
    """A cluster of a project the user reviews: 404 for other projects' ids, 403 for annotators."""
    project = reviewed_project(user, slug)
    cluster = ClaimCluster.objects.filter(project=project, pk=pk).select_related("project").first()
    if cluster is None:
        raise Http404("No such claim cluster in this project.")
    return cluster


def members(cluster_ids: list[int], *, limit: int = MEMBERS_LISTED, context: bool = False) -> dict[int, list[dict]]:
    """The first `limit` members of each cluster (by span id), with their article and layer; with `context`,
    the span's offsets and the sentence around it (search's keyword in context). One query."""
    fields = ["cluster_id", "span_id", "annotation_id", "span__text", "span__label__name", "article_id",
              "article__external_id", "article__title", "article__published", "annotation__annotator__username",
              "annotation__is_gold"]
    if context:
        fields += ["span__start", "span__end", "article__text"]
    rows = (ClaimMember.objects.filter(cluster_id__in=cluster_ids)
            .annotate(rank=Window(RowNumber(), partition_by=F("cluster_id"), order_by=F("span_id").asc()))
            .filter(rank__lte=limit).order_by("cluster_id", "span_id").values(*fields))
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        member = {
            "annotation_id": row["annotation_id"], "span_id": row["span_id"], "text": row["span__text"],
            "label": row["span__label__name"], "article": row["article_id"],
            "external_id": row["article__external_id"], "title": row["article__title"],
            "published": row["article__published"].isoformat() if row["article__published"] else None,
            "annotator": None if row["annotation__is_gold"] else row["annotation__annotator__username"],
            "gold": row["annotation__is_gold"],
        }
        if context:
            member.update(start=row["span__start"], end=row["span__end"],
                          context=sentence(row["article__text"], row["span__start"], row["span__end"]))
        found[row["cluster_id"]].append(member)
    return found


def sources(cluster_ids: list[int]) -> dict[int, list[dict]]:
    """Who makes each cluster's claims: the SOURCE spans its members are ATTRIBUTED_TO or CLAIMED_BY, by the
    source's entity name (else the span's text), most members first. One query."""
    said = Relation.objects.filter(type__name__in=SAID_BY)
    rows = (said.filter(from_span__claim_membership__cluster_id__in=cluster_ids)
            .values(cluster=F("from_span__claim_membership__cluster_id"),
                    name=Coalesce("to_span__entity__name", "to_span__text", output_field=TextField()),
                    entity=F("to_span__entity_id"))
            .annotate(members=Count("from_span", distinct=True)).order_by())
    found: dict[int, dict[str, dict]] = defaultdict(dict)
    for row in rows:
        entry = found[row["cluster"]].setdefault(row["name"], {"name": row["name"], "entity": row["entity"],
                                                               "members": 0})
        entry["members"] += row["members"]
        entry["entity"] = entry["entity"] or row["entity"]
    return {cluster: sorted(names.values(), key=lambda e: (-e["members"], e["name"]))
            for cluster, names in found.items()}


def stances(cluster_ids: list[int]) -> dict[int, list[dict]]:
    """The stances whose evidence includes a member, counted by (holder, target, polarity). One query."""
    evidence = Stance.evidence.through.objects
    rows = (evidence.filter(span__claim_membership__cluster_id__in=cluster_ids)
            .values(cluster=F("span__claim_membership__cluster_id"),
                    holder=Coalesce("stance__holder_entity__name", "stance__holder_span__entity__name",
                                    "stance__holder_span__text", output_field=TextField()),
                    target=F("stance__target__name"), polarity=F("stance__polarity__name"))
            .annotate(count=Count("stance", distinct=True)).order_by())
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        found[row.pop("cluster")].append(row)
    for entries in found.values():
        entries.sort(key=lambda e: (-e["count"], e["holder"] or "", e["target"], e["polarity"]))
    return found


def months(cluster_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """Each cluster's articles per month of publication ("2024-03", n), in order. One query."""
    rows = (ClaimMember.objects.filter(cluster_id__in=cluster_ids, article__published__isnull=False)
            .annotate(month=TruncMonth("article__published")).values("cluster_id", "month")
            .annotate(n=Count("article", distinct=True)).order_by("cluster_id", "month"))
    found: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        found[row["cluster_id"]].append((row["month"].strftime("%Y-%m"), row["n"]))
    return found


def page(clusters: list[ClaimCluster], *, members_limit: int = MEMBERS_LISTED, context: bool = False,
         per_month: bool = False) -> list[dict]:
    """Each cluster as the API and the page show it (the Contract's keys, and more)."""
    ids = [cluster.pk for cluster in clusters]
    if not ids:
        return []
    listed, said, held = members(ids, limit=members_limit, context=context), sources(ids), stances(ids)
    monthly = months(ids) if per_month else {}
    out = []
    for cluster in clusters:
        entry = {
            "id": cluster.pk, "text": cluster.text, "size": cluster.size, "articles": cluster.articles,
            "sources": [source["name"] for source in said.get(cluster.pk, [])],
            "members": listed.get(cluster.pk, []),
            "representative": cluster.representative_id,
            "first_published": cluster.first_published.isoformat() if cluster.first_published else None,
            "last_published": cluster.last_published.isoformat() if cluster.last_published else None,
            "source_counts": said.get(cluster.pk, []),
            "stances": held.get(cluster.pk, []),
            "members_truncated": cluster.size > members_limit,
            "computed_at": cluster.computed_at,
        }
        if per_month:
            entry["months"] = monthly.get(cluster.pk, [])
        out.append(entry)
    return out
