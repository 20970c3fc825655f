"""Re-anchoring a corrected text: the engine (placing spans in the new text) and applying it to every layer."""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.models import AnnotationEvent, Article, ArticleRevision, Relation, Span, Stance, TextChangePermit
from annotate.services import annotating
from annotate.services.reanchoring import reanchor_article, revert_revision
from annotate.services.reanchoring.applying import pieces_of
from annotate.services.reanchoring.mapping import FLAGGED, MOVED, UNCHANGED, Anchor, place, tally
from annotate.services.restoring import restore

from .factories import make_annotation, make_article, make_assignment, make_span

# The engine ------------------------------------------------------------------------------------------------


def anchors(text: str, *phrases: str) -> list[Anchor]:
    """One-piece spans over the first occurrence of each phrase."""
    found = []
    for i, phrase in enumerate(phrases):
        start = text.index(phrase)
        found.append(Anchor(i, phrase, ((start, start + len(phrase)),)))
    return found


def outcomes(old, new, *phrases):
    placed = place(old, new, anchors(old, *phrases))
    for p in placed:  # the invariant, every time
        if p.outcome != FLAGGED:
            assert new[p.start:p.end] == phrases[p.id]
    return [p.outcome for p in placed], placed


QUOTE_OLD = ('Rabat (AFP) - The plan "is serius and credible," Bourita told reporters on Monday. '
             "The talks resume in Geneva.")


def test_a_typo_fixed_inside_a_quote_flags_the_quote_and_keeps_the_rest():
    new = QUOTE_OLD.replace("serius", "serious")
    result, placed = outcomes(QUOTE_OLD, new, '"is serius and credible,"', "Bourita", "Rabat", "Geneva")
    assert result == [FLAGGED, MOVED, UNCHANGED, MOVED]
    # The best guess covers the corrected quote.
    assert new[placed[0].start:placed[0].end] == '"is serious and credible,"'


def test_a_sentence_inserted_before_the_spans_moves_them():
    new = "Updated on Tuesday. " + QUOTE_OLD
    result, placed = outcomes(QUOTE_OLD, new, "Bourita", "Geneva", '"is serius and credible,"')
    assert result == [MOVED, MOVED, MOVED]
    assert placed[0].start == QUOTE_OLD.index("Bourita") + len("Updated on Tuesday. ")


def test_a_deleted_paragraph_flags_its_spans_and_moves_the_rest():
    old = "First paragraph, Hassan said.\n\nA paragraph the outlet withdrew, naming Karim.\n\nLast one: Geneva."
    new = old.replace("A paragraph the outlet withdrew, naming Karim.\n\n", "")
    result, placed = outcomes(old, new, "Hassan", "Karim", "Geneva", "withdrew")
    assert result == [UNCHANGED, FLAGGED, MOVED, FLAGGED]
    for p in placed:  # a vanished span still points somewhere inside the text, at least one character long
        assert 0 <= p.start < p.end <= len(new)


def test_a_caption_split_out_of_the_body():
    old = "Photo: the minister in Rabat (Reuters). The minister said the plan is credible."
    new = "The minister said the plan is credible."
    result, _ = outcomes(old, new, "Photo: the minister in Rabat", "the plan is credible", "Reuters")
    assert result == [FLAGGED, MOVED, FLAGGED]


def test_arabic_with_harakat_and_alef_forms():
    old = "قال الوزير إن الخطة جادة وذات مصداقية. وأضاف أن المحادثات ستستأنف."
    # The corrected text writes the alef with hamza and adds harakat to one word.
    new = "قال الوزيرُ أن الخطة جادة وذات مصداقية. وأضاف أن المحادثات ستستأنف."
    result, placed = outcomes(old, new, "الوزير إن", "الخطة جادة وذات مصداقية", "المحادثات ستستأنف", "قال")
    # One code point added before them (the damma): the later spans move by one.
    assert result == [FLAGGED, MOVED, MOVED, UNCHANGED]
    assert placed[1].start == old.index("الخطة") + 1


def test_emoji_count_as_one_code_point():
    old = "Fans 🎉🎉 cheered: the team won 😀 at home."
    new = "Fans 🎉 cheered: the team won 😀 at home."
    result, placed = outcomes(old, new, "the team won 😀", "🎉🎉", "Fans")
    assert result == [MOVED, FLAGGED, UNCHANGED]
    assert placed[0].start == old.index("the team") - 1


def test_a_piece_of_a_split_quote_changed_flags_the_whole_span():
    old = '"The plan," Bourita said, "is serius." He left.'
    new = old.replace("serius", "serious")
    first, second = (old.index('"The plan,"'), old.index('"The plan,"') + 11), (old.index('"is'), old.index('."') + 2)
    split = Anchor(1, "", (first, second))
    kept = Anchor(2, "", ((0, 11), (12, 19)))  # "The plan," and Bourita: both pieces unchanged
    placed = place(old, new, [split, kept])
    assert [p.outcome for p in placed] == [FLAGGED, UNCHANGED]
    assert placed[1].fragments == [[0, 11], [12, 19]]
    assert placed[0].pieces[0] == first  # the unchanged piece stays where it was


def test_a_span_already_flagged_stays_flagged_and_the_counts_say_so():
    old = "One two three."
    placed = place(old, "Zero. " + old, [Anchor(1, "two", ((4, 7),), needs_review=True),
                                           Anchor(2, "One", ((0, 3),))])
    assert tally(placed) == {"moved": 1, "flagged": 1, "unchanged": 0}


def test_a_long_article_is_placed_quickly():
    import time

    from synthetic.corrections import corrected, long_article
    old, spans = long_article(100_000, 3_000)
    new = corrected(old)
    began = time.perf_counter()
    placed = place(old, new, spans)
    assert time.perf_counter() - began < 5  # the benchmark's median is far lower (bench/README.md)
    assert tally(placed)["moved"] > 2_000


TEXT = st.text(alphabet=st.sampled_from("ab cd.\nإأ😀é"), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(old=TEXT, new=TEXT, data=st.data())
def test_every_span_not_flagged_still_covers_its_text(old, new, data):
    spans = []
    for i in range(data.draw(st.integers(0, 6))):
        start = data.draw(st.integers(0, len(old) - 1))
        end = data.draw(st.integers(start + 1, len(old)))
        spans.append(Anchor(i, old[start:end], ((start, end),)))
    for p in place(old, new, spans):
        assert 0 <= p.start < p.end <= len(new)
        if p.outcome != FLAGGED:
            assert new[p.start:p.end] == spans[p.id].text
        if p.outcome == UNCHANGED:
            assert p.pieces == spans[p.id].pieces


WORDS = st.lists(st.sampled_from(["the", "plan", "said", "إن", "😀", "\n", "  ", ".", "Bourita"]), min_size=1,
                 max_size=80).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(old=WORDS, new=WORDS, data=st.data())
def test_the_invariant_holds_with_the_texts_cut_at_anchors_too(old, new, data):
    """Long articles are cut at anchors (pairs of words found once in each text): cut every few characters here."""
    from unittest import mock

    from annotate.services.reanchoring import diffing

    spans = []
    for i in range(data.draw(st.integers(0, 8))):
        start = data.draw(st.integers(0, len(old) - 1))
        end = data.draw(st.integers(start + 1, len(old)))
        spans.append(Anchor(i, old[start:end], ((start, end),)))
    with mock.patch.object(diffing, "SEGMENT", 3):
        stretches = diffing.shared_stretches(old, new)
        placed = place(old, new, spans)
    ends = (0, 0)
    for stretch in stretches:  # in order, apart, and really shared
        assert stretch.old_start >= ends[0] and stretch.new_start >= ends[1] and stretch.length > 0
        assert old[stretch.old_start:stretch.old_start + stretch.length] == \
            new[stretch.new_start:stretch.new_start + stretch.length]
        ends = (stretch.old_start + stretch.length, stretch.new_start + stretch.length)
    for p in placed:
        assert 0 <= p.start < p.end <= len(new)
        if p.outcome != FLAGGED:
            assert new[p.start:p.end] == spans[p.id].text


@settings(max_examples=200, deadline=None)
@given(old=TEXT, data=st.data())
def test_spans_outside_an_edit_are_never_flagged(old, data):
    """An insertion touches nothing it does not split: a span wholly before it stays, one after it moves.
    (Inserted characters outside the texts' alphabet, so the alignment is the only one.)"""
    at = data.draw(st.integers(0, len(old)))
    new = old[:at] + "XYZWV" + old[at:]
    start = data.draw(st.integers(0, len(old) - 1))
    end = data.draw(st.integers(start + 1, len(old)))
    (p,) = place(old, new, [Anchor(0, old[start:end], ((start, end),))])
    if end <= at:
        assert p.outcome == UNCHANGED
    elif start >= at:
        assert (p.outcome, p.start) == (MOVED, start + 5)


# Applying it to an article's layers ---------------------------------------------------------------------------

@pytest.fixture
def corrected(project, annotator_a, annotator_b):
    """An article with two annotators' layers (one submitted) and a gold layer, spans, a relation and a stance."""
    article = make_article(project, text=QUOTE_OLD)
    layers = []
    for user in (annotator_a, annotator_b):
        layer = annotating.open_layer(assignment=make_assignment(article, user))
        quote = annotating.add_span(annotation=layer, expected_version=layer.version, label="QUOTE",
                                    start=QUOTE_OLD.index('"is'), end=QUOTE_OLD.index(',"') + 2)
        source = annotating.add_span(annotation=layer, expected_version=layer.version, label="SOURCE",
                                     start=QUOTE_OLD.index("Bourita"), end=QUOTE_OLD.index("Bourita") + 7)
        annotating.add_relation(annotation=layer, expected_version=layer.version, type="ATTRIBUTED_TO",
                                from_span=quote, to_span=source)
        annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=source,
                              target="Moroccan sovereignty over Western Sahara", polarity="favor", evidence=[quote])
        layers.append(layer)
    annotating.submit(annotation=layers[1], expected_version=layers[1].version)
    gold = make_annotation(article, is_gold=True, status="adjudicated")
    make_span(gold, "SOURCE", QUOTE_OLD.index("Geneva"), QUOTE_OLD.index("Geneva") + 6)
    return article


def state_of(article):
    return sorted((s.annotation_id, s.pk, s.start, s.end, s.text, s.fragments, s.needs_review)
                  for s in Span.objects.filter(annotation__article=article))


@pytest.mark.django_db
def test_reanchoring_moves_and_flags_in_every_layer_with_one_step_each(corrected):
    new = "Updated. " + QUOTE_OLD.replace("serius", "serious")
    relations, stances = Relation.objects.count(), Stance.objects.count()
    versions = dict(corrected.annotations.values_list("pk", "version"))
    result = reanchor_article(article=corrected, new_text=new, source="fix.jsonl")
    assert (result.moved, result.flagged, result.unchanged, result.layers) == (3, 2, 0, 3)
    assert Article.objects.get(pk=corrected.pk).text == new
    for span in Span.objects.filter(annotation__article=corrected):
        if span.needs_review:
            assert span.text == '"is serius and credible,"'  # the old snapshot kept
        else:
            assert new[span.start:span.end] == span.text
    assert (Relation.objects.count(), Stance.objects.count()) == (relations, stances)
    for layer in corrected.annotations.all():
        assert layer.version == versions[layer.pk] + 1
        events = AnnotationEvent.objects.filter(annotation=layer, version=layer.version)
        assert events.filter(action="article.reanchor").count() == 1
        assert {e.action for e in events} <= {"span.update", "article.reanchor"}
    assert not TextChangePermit.objects.exists()


@pytest.mark.django_db
def test_the_text_stays_frozen_outside_a_reanchoring(corrected):
    with pytest.raises(ValidationError):
        article = Article.objects.get(pk=corrected.pk)
        article.text = "Something else."
        article.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=corrected.pk).update(text="Something else.")
    # A permit for another article opens nothing.
    other = make_article(corrected.project, text="Other.")
    with pytest.raises(IntegrityError), transaction.atomic():
        TextChangePermit.objects.create(article=other)
        Article.objects.filter(pk=corrected.pk).update(text="Something else.")
    assert Article.objects.get(pk=corrected.pk).text == QUOTE_OLD


@pytest.mark.django_db
def test_an_empty_text_is_refused_and_nothing_changes(corrected):
    before = state_of(corrected)
    with pytest.raises(ValidationError):
        reanchor_article(article=corrected, new_text="")
    assert state_of(corrected) == before and Article.objects.get(pk=corrected.pk).text == QUOTE_OLD


@pytest.mark.django_db
def test_a_revert_puts_back_the_text_and_the_exact_spans(corrected, annotator_a):
    before = state_of(corrected)
    result = reanchor_article(article=corrected, new_text=QUOTE_OLD.replace("serius", "serious")[10:])
    assert state_of(corrected) != before
    revision = ArticleRevision.objects.get(pk=result.revision_id)
    reverted = revert_revision(revision=revision, actor=annotator_a)
    assert Article.objects.get(pk=corrected.pk).text == QUOTE_OLD
    assert state_of(corrected) == before
    assert reverted.flagged == 0
    assert ArticleRevision.objects.get(pk=reverted.revision_id).reverts == revision
    # Only the latest correction can be reverted.
    with pytest.raises(ValidationError):
        revert_revision(revision=revision)


@pytest.mark.django_db
def test_a_layer_changed_after_the_correction_is_reanchored_back(corrected, annotator_a):
    new = "Updated. " + QUOTE_OLD
    revision = ArticleRevision.objects.get(pk=reanchor_article(article=corrected, new_text=new).revision_id)
    layer = corrected.annotations.get(annotator=annotator_a)
    annotating.add_span(annotation=layer, expected_version=layer.version, label="CLAIM",
                        start=0, end=len("Updated."))
    revert_revision(revision=revision)
    spans = Span.objects.filter(annotation=layer)
    assert spans.filter(needs_review=True).get().text == "Updated."  # not in the earlier text: flagged
    for span in spans.filter(needs_review=False):
        assert QUOTE_OLD[span.start:span.end] == span.text


@pytest.mark.django_db
def test_a_layer_restore_cannot_cross_a_correction(corrected, annotator_a):
    layer = corrected.annotations.get(annotator=annotator_a)
    version = layer.version
    reanchor_article(article=corrected, new_text="Updated. " + QUOTE_OLD)
    layer.refresh_from_db()
    with pytest.raises(ValidationError, match="revert the correction"):
        restore(annotation=layer, version=version - 1, expected_version=layer.version)


@pytest.mark.django_db
def test_pieces_of_a_span(corrected):
    span = Span.objects.filter(annotation__article=corrected).first()
    assert pieces_of(span) == ((span.start, span.end),)


# Resolving a flag ---------------------------------------------------------------------------------------------


def flagged_quote(corrected, annotator):
    reanchor_article(article=corrected, new_text=QUOTE_OLD.replace("serius", "serious"))
    layer = corrected.annotations.get(annotator=annotator)
    return layer, Span.objects.get(annotation=layer, needs_review=True)


@pytest.mark.django_db
def test_the_api_shows_the_flag_and_a_confirmation_needs_the_text_to_match(corrected, annotator_a):
    from django.urls import reverse

    from .factories import api_client

    layer, quote = flagged_quote(corrected, annotator_a)
    client = api_client(annotator_a)
    detail = client.get(reverse("api:annotation-detail", args=[layer.pk])).json()
    flagged = [s for s in detail["spans"] if s["needs_review"]]
    assert [s["text"] for s in flagged] == ['"is serius and credible,"']

    url = reverse("api:span-detail", args=[layer.pk, quote.pk])
    refused = client.patch(url, {"needs_review": False, "version": layer.version}, format="json")
    assert refused.status_code == 400 and "needs_review" in refused.json()
    assert Span.objects.get(pk=quote.pk).needs_review

    # Confirmed at its offsets: it takes the corrected text there, in one recorded step.
    confirmed = client.patch(url, {"start": quote.start, "end": quote.end, "needs_review": False,
                                   "version": layer.version}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    quote.refresh_from_db()
    assert (quote.needs_review, quote.text) == (False, '"is serious and credible,"')
    event = AnnotationEvent.objects.filter(annotation=layer).latest("id")
    assert (event.action, event.before["needs_review"], event.after["needs_review"]) == ("span.update", True, False)
    # A retry of the same confirmation applies once.
    again = client.patch(url, {"start": quote.start, "end": quote.end, "needs_review": False,
                               "version": layer.version}, format="json")
    assert again.status_code == 200 and AnnotationEvent.objects.filter(annotation=layer).latest("id") == event


@pytest.mark.django_db
def test_moving_a_flagged_span_clears_the_flag_and_a_matching_one_is_confirmed_as_is(corrected, annotator_a):
    layer, quote = flagged_quote(corrected, annotator_a)
    text = Article.objects.get(pk=corrected.pk).text
    start = text.index("serious")
    annotating.update_span(span=quote, expected_version=layer.version, start=start, end=start + 7)
    quote.refresh_from_db()
    assert (quote.needs_review, quote.text) == (False, "serious")
    layer.refresh_from_db()
    annotating.update_span(span=quote, expected_version=layer.version, needs_review=True)  # a reviewer's doubt
    layer.refresh_from_db()
    annotating.update_span(span=Span.objects.get(pk=quote.pk), expected_version=layer.version, needs_review=False)
    assert not Span.objects.get(pk=quote.pk).needs_review


@pytest.mark.django_db
def test_another_annotator_cannot_confirm_my_flagged_span(corrected, annotator_a, annotator_b):
    from django.urls import reverse

    from .factories import api_client

    layer, quote = flagged_quote(corrected, annotator_a)
    url = reverse("api:span-detail", args=[layer.pk, quote.pk])
    response = api_client(annotator_b).patch(url, {"start": quote.start, "end": quote.end, "needs_review": False,
                                                   "version": layer.version}, format="json")
    assert response.status_code == 404
    assert Span.objects.get(pk=quote.pk).needs_review


@pytest.mark.django_db
def test_a_layer_with_flagged_spans_may_be_submitted_and_the_review_page_counts_them(client, corrected, annotator_a,
                                                                                     reviewer):
    from django.urls import reverse

    layer, _ = flagged_quote(corrected, annotator_a)
    annotating.submit(annotation=layer, expected_version=layer.version)
    client.force_login(reviewer)
    page = client.get(reverse("review:article", args=[corrected.pk])).content.decode()
    # anna's and ben's layers each have their quote flagged.
    assert page.count('data-flagged-spans="1"') == 2


# What follows a corrected text ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_search_index_and_the_figures_follow_a_correction(corrected, reviewer):
    from django.urls import reverse

    from annotate.models import StaleArticle

    from .factories import api_client

    def found(word):
        url = reverse("api:project-search", args=[corrected.project.slug])
        response = api_client(reviewer).get(url, {"q": word, "mode": "articles"})
        assert response.status_code == 200, response.content
        return {hit["article"] for hit in response.json()["results"]}

    assert found("serius") == {corrected.pk}
    StaleArticle.objects.all().delete()
    reanchor_article(article=corrected, new_text=QUOTE_OLD.replace("serius", "serious"))
    assert found("serius") == set() and found("serious") == {corrected.pk}
    assert StaleArticle.objects.filter(article_id=corrected.pk).exists()  # recounted by the next reader


@pytest.mark.django_db
def test_a_changed_piece_of_a_split_quote_flags_it_and_the_other_pieces_hold(project, annotator_a):
    from annotate.validation import fragment_text

    text = '"The plan," Bourita said, "is serius and credible." He left for Geneva.'
    article = make_article(project, text=text)
    layer = annotating.open_layer(assignment=make_assignment(article, annotator_a))
    first, second = [text.index('"The plan,"'), text.index('"The plan,"') + 11], \
        [text.index('"is'), text.index('."') + 2]
    split = annotating.add_span(annotation=layer, expected_version=layer.version, label="QUOTE",
                                fragments=[first, second])
    kept = annotating.add_span(annotation=layer, expected_version=layer.version, label="QUOTE",
                               fragments=[[0, 11], [text.index("He"), text.index("He") + 7]])
    new = "UPDATE: " + text.replace("serius", "serious")
    result = reanchor_article(article=article, new_text=new)
    assert (result.moved, result.flagged) == (1, 1)
    split.refresh_from_db()
    kept.refresh_from_db()
    assert split.needs_review and split.text == fragment_text(text, [first, second])
    assert not kept.needs_review and fragment_text(new, kept.pieces) == kept.text
    assert kept.pieces == [(8, 19), (text.index("He") + 9, text.index("He") + 16)]  # "UPDATE: " and the "o"
