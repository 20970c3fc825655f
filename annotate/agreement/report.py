"""The agreement report of a project: what GET /api/v1/projects/<slug>/agreement/ answers.

Layers compared are the annotators' submitted layers (and the gold layer, as
reference, for annotator quality). Pairwise figures pool all articles the two
annotators share. The shape is documented in docs/agreement.md; scripts rely on it.
A statistic that is 0/0 is null there, with its reason (see undefined.py), never 1.0.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from django.db.models import Q
from django.db.models.functions import Length

from config.routers import replica_reads

from ..models import Annotation, Relation, Span, Stance
from .alpha import label_units, nominal_alpha, weighted_nominal_alpha
from .matching import match_exact, match_overlap
from .scores import Counts, macro
from .undefined import NO_ITEMS, ONE_CATEGORY, Undefined, Value, as_json, rounded

MODES = ("exact", "overlap")
MATCHERS = {"exact": match_exact, "overlap": match_overlap}


@dataclass
class Layer:
    """One annotator's (or gold) layer on one article, in the terms the metrics need."""

    # label -> (start, end, id, pieces): pieces ((start, end), ...), several for a discontinuous span
    spans: dict[str, list[tuple[int, int, int, tuple]]] = field(default_factory=lambda: defaultdict(list))
    relations: list[tuple[str, int, int]] = field(default_factory=list)  # (type, from span id, to span id)
    stances: dict[tuple[str, str], str] = field(default_factory=dict)  # (holder entity, target) -> polarity


@replica_reads()
def load_layers(project, *, annotators=None, articles=None, labels=None):
    """({article id: {username: Layer}}, {article id: gold Layer}, {article id: text length}), in five queries."""
    layers = Annotation.objects.filter(article__project=project).filter(
        Q(is_gold=False, status=Annotation.Status.SUBMITTED) | Q(is_gold=True, status=Annotation.Status.ADJUDICATED))
    if annotators:
        layers = layers.filter(Q(annotator__username__in=annotators) | Q(is_gold=True))
    if articles:
        layers = layers.filter(article_id__in=articles)
    # Length() counts characters (code points) on SQLite and PostgreSQL alike, as offsets do.
    rows = list(layers.annotate(length=Length("article__text")).values_list(
        "pk", "article_id", "annotator__username", "is_gold", "length"))
    owner = {pk: (article_id, "" if is_gold else username) for pk, article_id, username, is_gold, _ in rows}
    lengths = {article_id: length for _, article_id, _, _, length in rows}
    by_article: dict[int, dict[str, Layer]] = defaultdict(dict)
    for article_id, username in owner.values():
        by_article[article_id][username] = Layer()

    spans = Span.objects.filter(annotation_id__in=owner)
    if labels:
        spans = spans.filter(label__name__in=labels)
    for annotation_id, label, start, end, pk, fragments in spans.values_list(
            "annotation_id", "label__name", "start", "end", "pk", "fragments"):
        article_id, username = owner[annotation_id]
        by_article[article_id][username].spans[label].append(span_entry(start, end, pk, fragments))
    for annotation_id, kind, from_id, to_id in Relation.objects.filter(annotation_id__in=owner).values_list(
            "annotation_id", "type__name", "from_span_id", "to_span_id"):
        article_id, username = owner[annotation_id]
        by_article[article_id][username].relations.append((kind, from_id, to_id))
    stances = Stance.objects.filter(annotation_id__in=owner).order_by("pk").values_list(
        "annotation_id", "holder_entity__name", "holder_span__entity__name", "target__name", "polarity__name")
    for annotation_id, entity, span_entity, target, polarity in stances:
        holder = span_entity or entity  # the holder span's linked source, else the stance's own
        if holder is None:
            continue  # no canonical holder: the stance cannot be lined up with anyone else's
        article_id, username = owner[annotation_id]
        by_article[article_id][username].stances[(holder, target)] = polarity  # the latest stance wins
    gold = {article_id: found.pop("") for article_id, found in by_article.items() if "" in found}
    return by_article, gold, lengths


def span_entry(start: int, end: int, pk: int, fragments) -> tuple[int, int, int, tuple]:
    """A span as Layer.spans holds it (fragments as stored: NULL for one piece)."""
    return start, end, pk, tuple(map(tuple, fragments)) if fragments else ((start, end),)


def covered_ranges(spans) -> list[tuple[int, int]]:
    """The characters a layer's spans of one label cover, as ranges: the pieces, never a split span's gap."""
    return [piece for span in spans for piece in span[3]]


def compare(a: Layer, b: Layer, span_counts: dict, relation_counts: dict) -> None:
    """Add the comparison of layer b against reference a to the per-label and relation counters."""
    for mode in MODES:
        mapping = {}  # b's span id -> a's span id, for the relations
        for label in a.spans.keys() | b.spans.keys():
            a_spans, b_spans = a.spans.get(label, []), b.spans.get(label, [])
            pairs = MATCHERS[mode]([s[3] for s in a_spans], [s[3] for s in b_spans])
            span_counts[mode][label].add(Counts(len(pairs), len(a_spans), len(b_spans)))
            mapping.update({b_spans[j][2]: a_spans[i][2] for i, j in pairs.items()})
        a_relations = defaultdict(int)
        for relation in a.relations:
            a_relations[relation] += 1
        matched = 0
        for kind, from_id, to_id in b.relations:
            key = (kind, mapping.get(from_id), mapping.get(to_id))
            if a_relations.get(key, 0) > 0:
                a_relations[key] -= 1
                matched += 1
        relation_counts[mode].add(Counts(matched, len(a.relations), len(b.relations)))


def new_counters():
    return {mode: defaultdict(Counts) for mode in MODES}, {mode: Counts() for mode in MODES}


def summarise(span_counts, relation_counts, labels=()) -> dict:
    """Per-label, micro and macro span scores and relation scores. `labels` are listed even if nobody used
    them (their scores are undefined: no items), so asking for a label never makes it vanish."""
    per_label = {label: {mode: span_counts[mode][label].as_dict() for mode in MODES}
                 for label in sorted(span_counts["exact"].keys() | set(labels))}
    micro = {}
    for mode in MODES:
        total = Counts()
        for counts in span_counts[mode].values():
            total.add(counts)
        micro[mode] = total.as_dict()
    return {
        "per_label": per_label,
        "micro": micro,
        "macro": {mode: macro({label: span_counts[mode][label] for label in per_label}) for mode in MODES},
        "relations": {mode: relation_counts[mode].as_dict() for mode in MODES},
    }


def kappa(a_values: list[str], b_values: list[str]) -> Value:
    """Cohen's kappa of two codings of the same items; undefined with no items, and when both coders used
    one and the same category: chance agreement is then 1 and kappa (p_o - p_e) / (1 - p_e) is 0/0."""
    if not a_values:
        return Undefined(NO_ITEMS)
    if len(set(a_values) | set(b_values)) == 1:
        return Undefined(ONE_CATEGORY)
    # Imported here: scikit-learn weighs ~130 MB per process, and only agreement reports need it.
    from sklearn.metrics import cohen_kappa_score

    return round(float(cohen_kappa_score(a_values, b_values)), 6)


def agreement_report(project, *, annotators=None, articles=None, labels=None) -> dict:
    """The report; `labels` narrows it to those span labels and lists each of them, used or not."""
    by_article, gold, lengths = load_layers(project, annotators=annotators, articles=articles, labels=labels)
    names = sorted({name for layers in by_article.values() for name in layers})

    all_spans, all_relations = new_counters()
    pairs = []
    stance_pairs = []
    for a, b in combinations(names, 2):
        span_counts, relation_counts = new_counters()
        shared = [layers for layers in by_article.values() if a in layers and b in layers]
        for layers in shared:
            compare(layers[a], layers[b], span_counts, relation_counts)
        for mode in MODES:
            for label, counts in span_counts[mode].items():
                all_spans[mode][label].add(counts)
            all_relations[mode].add(relation_counts[mode])
        pair = summarise(span_counts, relation_counts, labels or ())
        pairs.append({"a": a, "b": b, "articles": len(shared), "exact": pair["micro"]["exact"],
                      "overlap": pair["micro"]["overlap"], "per_label": pair["per_label"]})
        items = [(layers[a].stances[key], layers[b].stances[key]) for layers in shared
                 for key in layers[a].stances.keys() & layers[b].stances.keys()]
        stance_pairs.append(as_json(a=a, b=b, cohen_kappa=kappa([x for x, _ in items], [y for _, y in items]),
                                    items=len(items)))

    summary = summarise(all_spans, all_relations, labels or ())
    return {
        "annotators": names,
        "articles": len([layers for layers in by_article.values() if len(layers) >= 2]),
        "spans": {
            "per_label": summary["per_label"],
            "micro": summary["micro"],
            "macro": summary["macro"],
            **as_json(krippendorff_alpha=span_alpha(by_article, lengths, summary["per_label"].keys())),
        },
        "relations": summary["relations"],
        "stances": stance_agreement(by_article, names, stance_pairs),
        "pairs": pairs,
        "gold": against_gold(by_article, gold),
    }


def span_alpha(by_article, lengths, labels) -> dict[str, Value]:
    """Per label, over the characters of every article at least two annotators submitted. Undefined with no
    such article (no items), and for a label nobody marked there (every character outside: one category)."""
    alphas = {}
    for label in sorted(labels):
        units = Counter()
        for article_id, layers in by_article.items():
            if len(layers) >= 2:
                ranges = [covered_ranges(layer.spans.get(label, [])) for layer in layers.values()]
                label_units(ranges, lengths[article_id], into=units)
        alphas[label] = rounded(weighted_nominal_alpha(units, 2))
    return alphas


def stance_agreement(by_article, names, stance_pairs) -> dict:
    """Items are (article, holder entity, target); the value is the polarity."""
    items = sorted({(article_id, key) for article_id, layers in by_article.items()
                    for layer in layers.values() for key in layer.stances})
    table = [[by_article[article_id][name].stances.get(key) if name in by_article[article_id] else None
              for article_id, key in items] for name in names]
    return as_json(items=len(items), krippendorff_alpha=rounded(nominal_alpha(table)), pairs=stance_pairs)


def against_gold(by_article, gold) -> list[dict]:
    """Each annotator's layers against the gold layer of the same articles (gold is the reference)."""
    results = defaultdict(lambda: {"articles": 0, "counters": new_counters(), "stances": [0, 0]})
    for article_id, reference in gold.items():
        for name, layer in by_article.get(article_id, {}).items():
            entry = results[name]
            entry["articles"] += 1
            compare(reference, layer, *entry["counters"])
            shared = reference.stances.keys() & layer.stances.keys()
            entry["stances"][0] += sum(reference.stances[k] == layer.stances[k] for k in shared)
            entry["stances"][1] += len(shared)
    report = []
    for name in sorted(results):
        entry = results[name]
        summary = summarise(*entry["counters"])
        agreed, total = entry["stances"]
        report.append(as_json(annotator=name, articles=entry["articles"], exact=summary["micro"]["exact"],
                              overlap=summary["micro"]["overlap"], relations=summary["relations"],
                              stance_accuracy=round(agreed / total, 6) if total else Undefined(NO_ITEMS),
                              stance_items=total))
    return report
