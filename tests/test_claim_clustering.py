"""Claim matching's clustering core (issue 15): plain data, no database."""
import importlib.util
import random
from itertools import combinations

import numpy as np
import pytest

from annotate.claims import clustering
from annotate.claims.clustering import ClaimText, Cluster, cluster, configured_embedder, normalise

# Hand-made claims: paraphrase pairs in three languages and near misses that share most of their words.
CLAIMS = [
    ClaimText(1, "Morocco is a key partner against terrorism"),
    ClaimText(2, "Morocco remains a key partner in the fight against terrorism"),
    ClaimText(3, "Morocco is not a partner in the trade deal"),
    ClaimText(4, "Morocco's autonomy plan is the only basis for a solution to the Sahara dispute"),
    ClaimText(5, "“The autonomy plan is the only basis for a solution to the Sahara dispute,” Bourita said."),
    ClaimText(6, "Le plan d'autonomie est la seule base d'une solution au conflit", "fr"),
    ClaimText(7, "« Le plan d’autonomie marocain est la seule base pour une solution au conflit »", "fr"),
    # The same sentence with and without hamzas, taa marbuta written as haa, harakat and a tatweel.
    ClaimText(8, "مبادرة الحكم الذاتي هي الأساس الوحيد للحل", "ar"),
    ClaimText(9, "مبادره الحكم الذاتـي هي الاساس الوحيد للحلّ.", "ar"),
    ClaimText(10, "The minister opened a new hospital in Rabat on Monday"),
    ClaimText(11, "Algeria closed its airspace to Moroccan flights"),
    ClaimText(12, "Spain and Morocco signed a fisheries agreement"),
]


def together(clusters: list[Cluster]) -> dict[int, set[int]]:
    return {member: set(group.members) for group in clusters for member in group.members}


def fake_embedder(vectors: dict[str, list[float]], calls: list | None = None):
    """An embedder that knows a vector for each text (no model): the texts are the vectors' names."""
    def embed(texts):
        if calls is not None:
            calls.append(list(texts))
        return np.array([vectors[text] for text in texts], dtype=float)
    return embed


def test_paraphrases_cluster_together_in_english_french_and_arabic():
    groups = together(cluster(CLAIMS))

    assert groups[1] == {1, 2}
    assert groups[4] == {4, 5}
    assert groups[6] == {6, 7}
    assert groups[8] == {8, 9}


def test_claims_that_share_words_but_not_their_meaning_stay_apart():
    groups = together(cluster(CLAIMS))

    assert groups[3] == {3}  # "not a partner in the trade deal" against "a key partner against terrorism"
    assert groups[10] == {10} and groups[11] == {11} and groups[12] == {12}


def test_every_claim_is_in_exactly_one_cluster_and_singletons_are_kept():
    clusters = cluster(CLAIMS)

    members = [member for group in clusters for member in group.members]
    assert sorted(members) == [claim.id for claim in CLAIMS]
    assert Cluster((11,), 11) in clusters
    assert [group.members[0] for group in clusters] == sorted(group.members[0] for group in clusters)


def test_three_unlike_claims_are_not_chained_through_one_like_all_three():
    # B is at cosine 0.577 from each of A, C and D, which are orthogonal to each other: connected
    # components over pairs >= 0.55 would make one cluster of all four.
    vectors = {"A": [1, 0, 0], "C": [0, 1, 0], "D": [0, 0, 1], "B": [1, 1, 1]}
    claims = [ClaimText(1, "A"), ClaimText(2, "B"), ClaimText(3, "C"), ClaimText(4, "D")]

    clusters = cluster(claims, threshold=0.55, embedder=fake_embedder(vectors))

    groups = together(clusters)
    assert groups[1] == {1, 2}  # B joins the first of its equally similar neighbours (lowest id)
    assert groups[3] == {3} and groups[4] == {4}


def test_a_chain_of_neighbours_is_cut_where_the_cluster_would_stop_being_alike():
    # Points 10 degrees apart on a circle: each is at cosine 0.985 from the next, but the ends of a long
    # run are far apart. Every cluster's mean pairwise cosine stays at or above the threshold.
    angles = {str(k): [np.cos(np.radians(10 * k)), np.sin(np.radians(10 * k))] for k in range(19)}
    claims = [ClaimText(k, str(k)) for k in range(19)]

    clusters = cluster(claims, threshold=0.9, embedder=fake_embedder(angles))

    assert len(clusters) > 1
    for group in clusters:
        vectors = np.array([angles[str(k)] for k in group.members])
        pairs = list(combinations(range(len(vectors)), 2))
        if pairs:
            assert np.mean([vectors[a] @ vectors[b] for a, b in pairs]) >= 0.9


def test_the_representative_is_the_member_closest_to_the_centroid():
    vectors = {"edge": [1, 0], "middle": [np.cos(0.15), np.sin(0.15)], "other edge": [np.cos(0.3), np.sin(0.3)]}
    claims = [ClaimText(1, "edge"), ClaimText(2, "other edge"), ClaimText(3, "middle")]

    assert cluster(claims, threshold=0.9, embedder=fake_embedder(vectors)) == [Cluster((1, 2, 3), 3)]


def test_the_same_claims_in_any_order_give_the_same_clusters():
    expected = cluster(CLAIMS + [ClaimText(20, CLAIMS[0].text), ClaimText(21, CLAIMS[0].text)])

    for seed in range(5):
        shuffled = CLAIMS + [ClaimText(21, CLAIMS[0].text), ClaimText(20, CLAIMS[0].text)]
        random.Random(seed).shuffle(shuffled)
        assert cluster(shuffled) == expected
    # Identical texts are a tie for the representative: the lowest id.
    assert together(expected)[1] == {1, 2, 20, 21}
    assert next(group for group in expected if 1 in group.members).representative in {1, 2}


def test_empty_input_and_a_single_claim():
    assert cluster([]) == []
    assert cluster([ClaimText(7, "Morocco is a key partner against terrorism")]) == [Cluster((7,), 7)]


def test_texts_with_nothing_to_match_are_singletons():
    clusters = cluster([ClaimText(1, "?!"), ClaimText(2, "…"), ClaimText(3, "")])

    assert clusters == [Cluster((1,), 1), Cluster((2,), 2), Cluster((3,), 3)]


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        cluster([ClaimText(1, "a claim"), ClaimText(1, "another claim")])


def test_the_embedder_is_used_when_given():
    # The embedder puts together what TF-IDF would keep apart, and apart what it would put together.
    vectors = {CLAIMS[0].text: [1, 0], CLAIMS[1].text: [0, 1], CLAIMS[2].text: [1, 0.1]}
    calls: list = []

    clusters = cluster(CLAIMS[:3], embedder=fake_embedder(vectors, calls))

    assert calls == [[claim.text for claim in CLAIMS[:3]]]
    assert together(clusters) == {1: {1, 3}, 3: {1, 3}, 2: {2}}


def test_an_embedder_answering_the_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        cluster(CLAIMS[:3], embedder=lambda texts: np.zeros((2, 4)))


def test_the_blocking_path_finds_the_same_clusters_on_small_input(monkeypatch):
    # Above _EXACT_UP_TO claims, pairs are only scored among each claim's nearest by rare word features.
    expected = cluster(CLAIMS)
    monkeypatch.setattr(clustering, "_EXACT_UP_TO", 0)

    assert cluster(CLAIMS) == expected


def test_blocking_finds_claims_made_of_common_words(monkeypatch):
    # Every word and word pair of claims 1 and 2 but "now" is in more than sqrt(10) = 3 claims: common.
    others = ["the plan is late", "the plan is ready", "the plan is new", "the plan is the only basis for peace",
              "the only basis is the law", "is the only basis left", "the only basis now",
              "the plan is the only basis of talks"]
    claims = [ClaimText(1, "The plan is the only basis"), ClaimText(2, "The plan is the only basis now"),
              *(ClaimText(10 + k, text) for k, text in enumerate(others))]
    expected = cluster(claims)
    monkeypatch.setattr(clustering, "_EXACT_UP_TO", 0)
    monkeypatch.setattr(clustering, "_RARE_DF", 1)

    assert together(expected)[1] == {1, 2, 16}
    assert cluster(claims) == expected  # through the two least common words each claim always keeps


def test_a_claim_repeated_word_for_word_weighs_as_many_claims():
    # One row for the three copies, counted three times: the centroid leans to it, so it represents the
    # cluster although the paraphrase has the lowest id.
    copies = [ClaimText(k, f"{CLAIMS[0].text}.") for k in (5, 3, 4)]

    clusters = cluster([ClaimText(1, CLAIMS[1].text), *copies, ClaimText(2, CLAIMS[2].text)])

    assert clusters == [Cluster((1, 3, 4, 5), 3), Cluster((2,), 2)]


def test_normalise_folds_case_punctuation_quotes_and_arabic_spellings():
    assert normalise("  « Morocco’s  PLAN »,\n said…") == "morocco s plan said"
    assert normalise("الإرهابَ ـ مبادرة على") == normalise("الارهاب مبادره علي")


def test_no_embedder_without_a_configured_model():
    assert configured_embedder("") is None


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is not None,
                    reason="sentence-transformers is installed here")
def test_no_embedder_without_sentence_transformers():
    assert configured_embedder("any-model") is None
