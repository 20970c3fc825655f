"""A long article with thousands of spans, as a parliamentary record or a transcript runs (issue 16).

One builder for the query-budget tests, the browser test and the UI benchmark: an assigned, opened
layer whose article has about `n_chars` code points in paragraphs of three attributed quotes and an
Arabic sentence (emoji in every quote), and `n_spans` spans in blocks of five, each block shaped
like real work: SOURCE (linked to a canonical source), CUE, QUOTE ⊃ CLAIM ⊃ STANCE_EVIDENCE, three
relations and a stance with its evidence. Rows are written in bulk (no history events): the layer
is a fixture for reading and rendering, not a record of someone's work.
"""
from annotate.models import Relation, Span, Stance
from annotate.services import annotating

from .builders import make_article, make_assignment, make_entity

BLOCK = ("Hassan Bellouan said that “Morocco 🌍 is a key partner in the fight against terrorism”, "
         "adding that the Kingdom makes great efforts. ")
FILLER = "وقال الوزير إن الخطة جادة وذات مصداقية، وإن المفاوضات ستستمر. "
PIECES = (  # label, the piece of BLOCK it covers (the first occurrence)
    ("SOURCE", "Hassan Bellouan"),
    ("CUE", "said"),
    ("QUOTE", "“Morocco 🌍 is a key partner in the fight against terrorism”"),
    ("CLAIM", "Morocco 🌍 is a key partner"),
    ("STANCE_EVIDENCE", "the fight against terrorism"),
)
TARGET = "Moroccan sovereignty over Western Sahara"


def long_text(*, n_chars: int, n_blocks: int) -> tuple[str, list[int]]:
    """The article's text and where each annotated block starts (code points): paragraphs of three
    blocks and an Arabic sentence, with unannotated paragraphs spread between them up to `n_chars`
    (the last paragraph is an annotated one)."""
    annotated = [BLOCK * min(3, n_blocks - first) + FILLER for first in range(0, n_blocks, 3)]
    plain = (FILLER + "The talks went on. ") * 6
    missing = n_chars - sum(len(paragraph) + 2 for paragraph in annotated)
    n_plain = max(0, -(-missing // (len(plain) + 2)))
    paragraphs, starts, length = [], [], 0
    for i, paragraph in enumerate(annotated):
        # Before the i-th annotated paragraph, the plain ones that bring the count to i/n of them.
        for _ in range(n_plain * (i + 1) // len(annotated) - n_plain * i // len(annotated)):
            paragraphs.append(plain)
            length += len(plain) + 2
        starts += [length + k * len(BLOCK) for k in range(paragraph.count(BLOCK))]
        paragraphs.append(paragraph)
        length += len(paragraph) + 2  # the blank line between paragraphs
    return "\n\n".join(paragraphs), starts


def make_long_layer(project, user, *, n_spans: int, n_chars: int = 100_000):
    """An assigned, opened layer of `user` with `n_spans` spans on an article of at least `n_chars`
    code points (more if the spans need more text). Returns (assignment, layer)."""
    n_blocks = -(-n_spans // len(PIECES))
    text, block_starts = long_text(n_chars=n_chars, n_blocks=n_blocks)
    assignment = make_assignment(make_article(project, text=text, title=f"{n_spans} spans"), user)
    layer = annotating.open_layer(assignment=assignment)
    labels = {label.name: label for label in project.labels.all()}
    types = {kind.name: kind for kind in project.relation_types.all()}
    entity = make_entity(project, f"Hassan Bellouan {layer.pk}")
    rows = []
    for block in block_starts:
        for label, piece in PIECES:
            if len(rows) == n_spans:
                break
            start = block + BLOCK.index(piece)
            rows.append(Span(annotation=layer, label=labels[label], start=start, end=start + len(piece), text=piece,
                             entity=entity if label == "SOURCE" else None))
    spans = Span.objects.bulk_create(rows)
    target, polarity = project.stance_targets.get(name=TARGET), project.polarities.get(name="favor")
    relations, stances, evidence = [], [], []
    for i in range(0, len(spans) - len(PIECES) + 1, len(PIECES)):
        source, cue, quote, claim, stance_evidence = spans[i:i + len(PIECES)]
        relations += [Relation(annotation=layer, type=types["ATTRIBUTED_TO"], from_span=quote, to_span=source),
                      Relation(annotation=layer, type=types["CUE_OF"], from_span=cue, to_span=quote),
                      Relation(annotation=layer, type=types["CLAIMED_BY"], from_span=claim, to_span=source)]
        stances.append(Stance(annotation=layer, holder_span=source, target=target,
                              polarity=polarity, explicit=True))
        evidence.append(stance_evidence)
    Relation.objects.bulk_create(relations)
    Stance.evidence.through.objects.bulk_create(
        Stance.evidence.through(stance=stance, span=span)
        for stance, span in zip(Stance.objects.bulk_create(stances), evidence, strict=True))
    return assignment, layer
