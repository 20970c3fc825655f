"""tagger: a linear BIO tagger learns the project's spans from its layers and proposes them on new articles."""
import random
from types import SimpleNamespace

import pytest

from annotate.suggestions.base import Document, Example, ProjectView, RecommenderError
from annotate.suggestions.recommenders.tagger import TaggerRecommender, between_quotes, shape, tags, tokens
from annotate.suggestions.registry import recommender_class

LABELS = frozenset({"SOURCE", "CUE", "CLAIM"})
FILLER = ("the talks went on late into the evening and officials met again on Monday in the capital "
          "while observers expected more announcements").split()
CUES = ["said", "stated", "told reporters", "added"]


def project(labels=LABELS) -> ProjectView:
    return ProjectView(slug="p", labels=labels, relation_types={})


def name(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4))).capitalize()


def synthetic(count: int, seed: int) -> list[Example]:
    """Small articles where the word after "minister" is a SOURCE and the cue after it a CUE; names are
    made up per article, so only the pattern can be learned, not the names."""
    rng = random.Random(seed)
    examples = []
    for n in range(count):
        parts, spans, size = [], [], 0

        def add(text, label=None):
            nonlocal size
            if label:
                spans.append((label, size, size + len(text), None))
            parts.append(text)
            size += len(text)

        for _ in range(rng.randint(2, 4)):
            add(" ".join(rng.sample(FILLER, rng.randint(3, 8))).capitalize() + ". ")
            add(rng.choice(["The minister ", "Foreign minister ", "Then the minister "]))
            add(name(rng), "SOURCE")
            add(" ")
            add(rng.choice(CUES), "CUE")
            add(" that " + " ".join(rng.sample(FILLER, 4)) + ". ")
        examples.append(Example(Document(n, "".join(parts).strip()), tuple(spans)))
    return examples


@pytest.fixture(scope="module")
def trained_tagger():
    tagger = TaggerRecommender(project())
    tagger.train(synthetic(200, seed=1))
    return tagger


def recall(tagger, examples, label):
    answers = tagger.predict([e.document for e in examples])
    truth = {(e.document.id, s, t) for e in examples for lab, s, t, _ in e.spans if lab == label}
    found = {(e.document.id, g.start, g.end) for e, a in zip(examples, answers) for g in a.spans if g.label == label}
    return len(truth & found) / len(truth), len(truth & found) / max(len(found), 1)


def test_registered_under_its_kind():
    assert recommender_class("tagger") is TaggerRecommender


def test_it_learns_the_pattern_and_finds_unseen_names(trained_tagger):
    unseen = synthetic(50, seed=2)
    source_recall, source_precision = recall(trained_tagger, unseen, "SOURCE")
    cue_recall, _ = recall(trained_tagger, unseen, "CUE")
    assert source_recall >= 0.9 and source_precision >= 0.9
    assert cue_recall >= 0.9  # "told reporters": two tokens, B then I


def test_scores_are_probabilities_and_labels_are_those_seen(trained_tagger):
    [answer] = trained_tagger.predict([Document(1, "Officials met. The minister Kalimo said that talks went on.")])
    assert {g.label for g in answer.spans} == {"SOURCE", "CUE"}  # CLAIM is the project's, never seen in training
    assert all(0.5 < g.score <= 1 for g in answer.spans)


def test_offsets_are_code_points(trained_tagger):
    text = "🌙 𝕏 Talks went on. The minister Ramoso stated that officials met."
    [answer] = trained_tagger.predict([Document(1, text)])
    assert ("SOURCE", "Ramoso") in {(g.label, text[g.start:g.end]) for g in answer.spans}


def test_labels_option_restricts_what_is_learned():
    tagger = TaggerRecommender(project(), SimpleNamespace(name="t", version="1", options={"labels": ["CUE"]}))
    summary = tagger.train(synthetic(40, seed=3))
    assert set(summary["labels"]) == {"CUE"}
    [answer] = tagger.predict([synthetic(1, seed=4)[0].document])
    assert answer.spans and {g.label for g in answer.spans} == {"CUE"}


def test_a_label_the_project_no_longer_has_is_not_proposed(trained_tagger):
    again = TaggerRecommender(project(frozenset({"CUE"})))
    again.load(trained_tagger.dump())
    [answer] = again.predict([synthetic(1, seed=5)[0].document])
    assert answer.spans and {g.label for g in answer.spans} == {"CUE"}


def test_untrained_tagger_raises():
    tagger = TaggerRecommender(project())
    assert not tagger.trained
    with pytest.raises(RecommenderError, match="tagger is not trained yet"):
        tagger.predict([Document(1, "The minister Kalimo said.")])
    with pytest.raises(RecommenderError, match="not trained"):
        tagger.dump()


def test_training_without_spans_is_an_error():
    with pytest.raises(RecommenderError, match="nothing to learn"):
        TaggerRecommender(project()).train([Example(Document(1, "No spans here."), ())])


def test_dump_and_load_give_the_same_predictions(trained_tagger):
    again = TaggerRecommender(project())
    again.load(trained_tagger.dump())
    documents = [e.document for e in synthetic(10, seed=6)]
    assert again.trained
    assert again.predict(documents) == trained_tagger.predict(documents)


def test_unreadable_state_is_a_recommender_error():
    with pytest.raises(RecommenderError, match="cannot be read"):
        TaggerRecommender(project()).load(b"not a state file")


def test_nested_spans_of_one_label_keep_the_outer_one():
    toks = tokens("the minister Kalimo Ramoso said")
    # "minister Kalimo Ramoso" with "Kalimo" nested inside: the outer span is learned, the inner left out
    assert tags([(4, 26), (13, 19)], toks) == [0, 1, 2, 2, 0]
    # a span cutting a word takes in the whole token
    assert tags([(15, 19)], toks) == [0, 0, 1, 0, 0]


def test_shape():
    assert [shape(w) for w in ["Hello", "2024", "U.S.", "كتاب", "«"]] == ["Xx", "d", "X.X.", "x", "«"]


def test_between_quotes():
    text = 'He said “we will, «maybe» go” and „nein“ then "yes" and “open\n\nnext'
    toks = tokens(text)
    inside = {t[2] for t, quoted in zip(toks, between_quotes(text, toks)) if quoted}
    assert inside == {"we", "will", ",", "maybe", "go", "nein", "yes", "open"}
