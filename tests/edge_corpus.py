"""The edge corpus: a small project whose text and annotations hit every case an export writer can get wrong.

`make_edge_project()` builds it with the shared builders and returns the project. Other tests rely on
what is listed here; add to it, but do not change what is there.

Users `<slug>-anna` and `<slug>-ben` (annotators); every layer is submitted, so the default export
(`status=submitted`) has them all. Offsets are code points into the stored text, end exclusive.

* `edge-emoji-ar`: emoji (🌍, 👍🏽 with a skin tone, the flag 🇫🇷), Arabic with harakat, two lines.
  anna: SOURCE "Nasser", CUE "said", CLAIM from 🌍 to the end of the Arabic sentence with a QUOTE
  nested inside it (the Arabic clause), a STANCE_EVIDENCE crossing the CLAIM's end and the line
  break ("التعاونَ ضروريٌّ.\\nFrance agrees"), a SOURCE "France" inside it; relations CLAIMED_BY,
  ATTRIBUTED_TO, CUE_OF; stances: holder span Nasser with the QUOTE as evidence; holder entity
  "France" only, with the STANCE_EVIDENCE as evidence; holder entity "Morocco" only, no evidence
  (an entity-only stance: no span anywhere).
  ben: an empty layer (no spans, relations or stances).
* `edge-separators`: NBSP, ZWSP, U+2028, U+0085, U+2029 and CRLF in the text. anna: SOURCE with an
  NBSP inside, CUE, a CLAIM across U+2028, a QUOTE across U+0085 and CRLF, and a STANCE_EVIDENCE
  with the same extent as the QUOTE (two labels, identical offsets).
* `edge-long`: one 450-word line without punctuation; anna: a CLAIM of 250 tokens (longer than any
  sentence may be) and a second CLAIM crossing its end (two spans of one label overlapping).
"""
from annotate.models import Annotation, Project, Relation, Stance

from .factories import make_annotation, make_article, make_entity, make_member, make_project, make_span, make_user

EMOJI_AR = "Nasser said 🌍 قالَ الوزيرُ إنَّ التعاونَ ضروريٌّ.\nFrance agrees 👍🏽 with 🇫🇷 today."
SEPARATORS = ("Le\u00a0ministre a dit\u200b: «\u00a0non\u00a0».\u2028Second line here.\u0085third line\r\n"
              "Fourth line\u2029end.")
LONG = " ".join(f"w{i}" for i in range(450))


def _at(text: str, piece: str, until: str | None = None) -> tuple[int, int]:
    """Offsets of `piece` in `text` (to the end of `until` when given)."""
    start = text.index(piece)
    end = text.index(until, start) + len(until) if until else start + len(piece)
    return start, end


def make_edge_project(slug: str = "edge", *, targets=("Moroccan sovereignty over Western Sahara",)) -> Project:
    project = make_project(slug, targets=targets)
    anna = make_member(project, make_user(f"{slug}-anna"))
    ben = make_member(project, make_user(f"{slug}-ben"))
    submitted = Annotation.Status.SUBMITTED
    target, favor, against = project.stance_targets.first(), project.polarities.get(name="favor"), \
        project.polarities.get(name="against")
    relation = {name: project.relation_types.get(name=name) for name in ("ATTRIBUTED_TO", "CUE_OF", "CLAIMED_BY")}

    def span(layer, label, text, piece, until=None, **extra):
        return make_span(layer, label, *_at(text, piece, until), **extra)

    # Emoji, Arabic with harakat, nesting, crossing, a span across a line break, entity-only stances.
    article = make_article(project, external_id="edge-emoji-ar", text=EMOJI_AR, title="Emoji and Arabic")
    layer = make_annotation(article, anna, status=submitted)
    nasser = span(layer, "SOURCE", EMOJI_AR, "Nasser", entity=make_entity(project, "Nasser Bourita"))
    cue = span(layer, "CUE", EMOJI_AR, "said")
    claim = span(layer, "CLAIM", EMOJI_AR, "🌍", "ضروريٌّ.")
    quote = span(layer, "QUOTE", EMOJI_AR, "قالَ", "ضروريٌّ", attributes={"quote_type": "indirect"})
    evidence = span(layer, "STANCE_EVIDENCE", EMOJI_AR, "التعاونَ", "France agrees")
    france = make_entity(project, "France")
    span(layer, "SOURCE", EMOJI_AR, "France", entity=france)
    Relation.objects.create(annotation=layer, type=relation["CLAIMED_BY"], from_span=claim, to_span=nasser)
    Relation.objects.create(annotation=layer, type=relation["ATTRIBUTED_TO"], from_span=quote, to_span=nasser)
    Relation.objects.create(annotation=layer, type=relation["CUE_OF"], from_span=cue, to_span=quote)
    Stance.objects.create(annotation=layer, holder_span=nasser, target=target, polarity=favor).evidence.set([quote])
    Stance.objects.create(annotation=layer, holder_entity=france, target=target, polarity=favor,
                          explicit=False).evidence.set([evidence])
    Stance.objects.create(annotation=layer, holder_entity=make_entity(project, "Morocco"), target=target,
                          polarity=against)
    make_annotation(article, ben, status=submitted)  # the empty layer

    # Separators: NBSP, ZWSP, U+2028, U+0085, U+2029, CRLF.
    article = make_article(project, external_id="edge-separators", text=SEPARATORS, title="Separators")
    layer = make_annotation(article, anna, status=submitted)
    span(layer, "SOURCE", SEPARATORS, "Le\u00a0ministre")
    span(layer, "CUE", SEPARATORS, "dit")
    span(layer, "CLAIM", SEPARATORS, "non", "Second line here.")  # across U+2028
    span(layer, "QUOTE", SEPARATORS, "here.\u0085third", "Fourth")  # across U+0085 and CRLF
    span(layer, "STANCE_EVIDENCE", SEPARATORS, "here.\u0085third", "Fourth")  # the same extent as the QUOTE

    # A sentence longer than the cap, a span longer than the cap, and two CLAIMs crossing.
    article = make_article(project, external_id="edge-long", text=LONG, title="Long")
    layer = make_annotation(article, anna, status=submitted)
    span(layer, "CLAIM", LONG, "w100 ", "w349")
    span(layer, "CLAIM", LONG, "w340 ", "w360")
    return project
