"""Attribution by rules: who said what, in English, French and Arabic news.

What the rules do, line by line of the text (a quote never runs over a line break here):

1. Quotation marks are paired with a stack: “…”, „…“, «…», ‹…›, "…" and ‘…’ (a ‘ opens only after a
   space or another mark, and a ’ between two letters is an apostrophe). An unclosed mark is dropped.
   A quote inside a quote belongs to the outer one and is proposed on its own only when it has its own
   cue inside the outer quote.
2. Sentences end at . ! ? ؟ outside quotes, before a capital, a mark or Arabic (never after "Mr." or
   "M."); a quote ending in "." followed by a capital ends its sentence too.
3. A direct quote takes the cue (attribution_lexicon.CUES) right after it in its sentence
   (`“…,” Bourita said`, `“…,” said Bourita`, `», a-t-il déclaré`), else the last cue before it
   (`Bourita said: “…”`, `وقال بوريطة: «…»`, `said he was “…”` for quotes of four words or more).
   Pieces of a quote split by its cue share that cue and speaker. A quote without a cue that opens
   the sentence after an attributed quote continues it (same speaker, no cue).
4. The speaker is the noun phrase next to the cue: before it when there are words between the quote
   and the cue or when it starts the sentence, after it otherwise (and in Arabic, verb first);
   a pronoun is a speaker at a lower score. A participle ("adding that") keeps the sentence's speaker.
5. A reported (indirect) clause: after "that" / "que" / "أن" near the cue, or right after an English or
   French verb, to the sentence's end; "According to X, …" / "…, according to X." and "…, X said." take
   the rest of the sentence. Lower scores than direct quotes.
6. Not quotes: quotes of three words or fewer without a cue (scare quotes), titles (most long words
   capitalised), and anything in a short line without a cue or final stop (a headline). A longer
   quote without a cue elsewhere is proposed alone, at a low score.

What they do not do: quotes running over paragraphs, discontinuous spans, coreference (a pronoun is
not resolved to its name), speakers far from their cue, cues outside the lexicon, ASCII single quotes.
Spans: QUOTE covers the words inside the marks (marks and outer spaces trimmed) or the reported clause
(without "that" or the final stop); offsets are code points, end exclusive.
"""
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from ..base import BaseRecommender, Document, Guesses, RelationGuess, SpanGuess
from ..registry import register
from .attribution_lexicon import AFTER_STOPS, CLAUSE_NOT_FIRST, COMPLEMENTIZER, CUES, OPENERS
from .attribution_text import (
    ARABIC,
    PUNCT_GAP,
    SENTENCE_END,
    SPACES,
    TRAILING,
    WORD,
    Speaker,
    innermost,
    pair_quotes,
    phrase_after,
    phrase_before,
    sentence_ends,
    titled,
    word_spans,
)

# Scores: a direct quote with its cue and a named speaker is the surest; each missing piece costs.
DIRECT, DIRECT_MIXED, CONTINUED, CUELESS = 0.75, 0.65, 0.6, 0.35
INDIRECT = 0.55
NAMED, PRONOUN, KNOWN = 0.15, 0.05, 0.05


@dataclass
class Cue:
    start: int
    end: int
    kind: str  # verb, part, acc, weak, inverted
    parent: int
    pronoun: tuple[int, int] | None = None  # the speaker inside "a-t-il déclaré"
    used: bool = False


@register
class AttributionRecommender(BaseRecommender):
    """QUOTE, CUE and SOURCE spans with CUE_OF and ATTRIBUTED_TO, by rules (see the module's docstring).

    Labels and relation types the project lacks are left out (a relation also when either end is); a
    SOURCE whose words contain a known source's name or alias (whole words, any case) is linked to it.
    """

    kind = "attribution"

    def __init__(self, project, settings=None):
        super().__init__(project, settings)
        names = {}
        for entity in project.entities:
            for name in (entity.name, *entity.aliases):
                if name.strip():
                    names.setdefault(name.strip().lower(), entity.id)
        # Longest names first, so "Nasser Bourita" wins over "Bourita" in the same speaker.
        alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
        self._entity_names = names
        self._entities = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if names else None

    def predict(self, documents: Sequence[Document]) -> list[Guesses]:
        return [self._guess(document.text) for document in documents]

    def _entity(self, name: str) -> int | None:
        if self._entities is None:
            return None
        m = self._entities.search(name)
        return self._entity_names[m.group().lower()] if m else None

    def _guess(self, text: str) -> Guesses:
        out = _Output(self.project, self._entity)
        lo = 0
        while lo <= len(text):
            hi = text.find("\n", lo)
            hi = len(text) if hi < 0 else hi
            if text[lo:hi].strip():
                _Line(text, lo, hi, out).attribute()
            lo = hi + 1
        return out.guesses


class _Output:
    """The guesses of one article: each span once per (label, start, end), each relation once."""

    def __init__(self, project, entity):
        self.labels = project.labels
        self.entity = entity
        self.types = {
            name for name, ends in (("CUE_OF", ("CUE", "QUOTE")), ("ATTRIBUTED_TO", ("QUOTE", "SOURCE")))
            if name in project.relation_types
            and all(want in (None, end) for want, end in zip(project.relation_types[name], ends))
        }
        self.guesses = Guesses()
        self.index: dict[tuple[str, int, int], int] = {}
        self.related: dict[tuple[str, int, int], int] = {}

    def span(self, label: str, start: int, end: int, score: float, **extra) -> int | None:
        if label not in self.labels:
            return None
        key = (label, start, end)
        if key in self.index:
            known = self.guesses.spans[self.index[key]]
            known.score = max(known.score, score)
        else:
            self.index[key] = len(self.guesses.spans)
            self.guesses.spans.append(SpanGuess(label, start, end, round(score, 3), **extra))
        return self.index[key]

    def relate(self, type: str, source: int | None, target: int | None, score: float) -> None:
        if type not in self.types or source is None or target is None:
            return
        key = (type, source, target)
        if key not in self.related:
            self.related[key] = len(self.guesses.relations)
            self.guesses.relations.append(RelationGuess(type, source, target, round(score, 3)))

    def attribution(self, text: str, quote: tuple[int, int], quote_type: str, base: float,
                    cue: "Cue | None", speaker: Speaker | None) -> None:
        score = base
        entity = None
        if speaker is not None:
            entity = None if speaker.pronoun else self.entity(text[speaker.start:speaker.end])
            score += PRONOUN if speaker.pronoun else NAMED
            score += KNOWN if entity is not None else 0
        score = min(score, 0.99)
        q = self.span("QUOTE", *quote, score, attributes={"quote_type": quote_type})
        if cue is not None:
            self.relate("CUE_OF", self.span("CUE", cue.start, cue.end, score), q, score)
        if speaker is not None:
            # A pronoun is the speaker only until someone resolves it: less sure than the quote.
            s = self.span("SOURCE", speaker.start, speaker.end, score - (0.1 if speaker.pronoun else 0),
                          entity=entity)
            self.relate("ATTRIBUTED_TO", q, s, score)


class _Line:
    """The rules over one line of the text (see the module's docstring)."""

    def __init__(self, text: str, lo: int, hi: int, out: _Output):
        self.text, self.lo, self.hi, self.out = text, lo, hi, out
        self.quotes = pair_quotes(text, lo, hi)
        self.starts = [q.start for q in self.quotes]
        self.ends = sentence_ends(text, lo, hi, self.quotes, self.starts)
        self.cues = []
        for m in CUES.finditer(text, lo, hi):
            kind = next((k for k in ("acc", "part", "weak", "verb") if m.group(k)), "inverted")
            pronoun = m.span("fpron") if m.group("fpron") else m.span("fpron2") if m.group("fpron2") else None
            self.cues.append(Cue(m.start(), m.end(), kind, innermost(self.quotes, self.starts, m.start()), pronoun))
        self.cue_starts = [c.start for c in self.cues]
        self.speakers: dict[int, Speaker | None] = {}
        self.attributed: dict[int, Speaker | None] = {}  # quote index -> its speaker, once attributed

    def sentence(self, position: int) -> tuple[int, int]:
        k = bisect_right(self.ends, position)
        return (self.ends[k - 1] if k else self.lo), (self.ends[k] if k < len(self.ends) else self.hi)

    def sibling_after(self, qi: int) -> int:
        """Where the next quote at the same depth opens (the line's end if none)."""
        q = self.quotes[qi]
        for k in range(qi + 1, len(self.quotes)):
            other = self.quotes[k]
            if other.parent == q.parent and other.start > q.end:
                return other.start
            if other.parent < q.parent:
                break
        return self.quotes[q.parent].end if q.parent >= 0 else self.hi

    def sibling_before(self, qi: int) -> int:
        q = self.quotes[qi]
        for k in range(qi - 1, q.parent, -1):
            if self.quotes[k].parent == q.parent:
                return self.quotes[k].end + 1
        return self.quotes[q.parent].start + 1 if q.parent >= 0 else self.lo

    def cues_in(self, lo: int, hi: int, parent: int) -> list[int]:
        return [k for k in range(bisect_left(self.cue_starts, lo), bisect_left(self.cue_starts, hi))
                if self.cues[k].parent == parent]

    def speaker(self, ci: int, side: str) -> Speaker | None:
        """The speaker of cue `ci`: "before" it, "after" it, or "either" (the language's usual side first)."""
        cue, text = self.cues[ci], self.text
        if cue.pronoun:
            return Speaker(*cue.pronoun, True)
        lo, hi = self.sentence(cue.start)
        lo = max(lo, self.closed_before(ci))  # not into a quote: "‘…,’ the minister said"
        if cue.kind == "acc":
            return phrase_after(text, cue.end, hi, frozenset(), 10)
        if side == "either":
            arabic = ARABIC.match(text[cue.start])
            first, second = (phrase_after, phrase_before) if arabic else (phrase_before, None)
            found = first(text, cue.end, hi) if arabic else first(text, lo, cue.start)
            if found is None and second is not None:
                found = second(text, lo, cue.start)
        elif side == "before":
            found = phrase_before(text, lo, cue.start)
        else:
            found = phrase_after(text, cue.end, hi)
        if found is None and cue.kind == "part":  # "…, adding that": the sentence's speaker goes on
            for k in range(ci - 1, -1, -1):
                if self.cues[k].start < lo:
                    break
                if self.speakers.get(k):
                    return self.speakers[k]
        return found

    def closed_before(self, ci: int) -> int:
        """Just after the last quote at the cue's depth that closed before it (the line's start if none)."""
        cue = self.cues[ci]
        for k in range(bisect_left(self.starts, cue.start) - 1, -1, -1):
            if self.quotes[k].parent == cue.parent:
                return self.quotes[k].end + 1
            if k == cue.parent:
                break
        return self.lo

    def use(self, ci: int, side: str) -> tuple[Cue, Speaker | None]:
        if ci not in self.speakers:
            self.speakers[ci] = self.speaker(ci, side)
        self.cues[ci].used = True
        return self.cues[ci], self.speakers[ci]

    def cue_after(self, qi: int) -> tuple[int, str] | None:
        """`“…,” Bourita said` / `“…,” said Bourita` / `», a-t-il déclaré`: the cue right after the quote."""
        q = self.quotes[qi]
        hi = min(self.sentence(q.end)[1], self.sibling_after(qi))
        for ci in self.cues_in(q.end + 1, hi, q.parent)[:1]:
            gap = word_spans(self.text, q.end + 1, self.cues[ci].start)
            between = self.text[q.end + 1:self.cues[ci].start]
            if len(gap) <= 8 and not SENTENCE_END.search(between) and not COMPLEMENTIZER.search(between):
                return ci, "before" if gap else "after"
        return None

    def cue_before(self, qi: int, words: int) -> tuple[int, str, Speaker | None] | None:
        """`Bourita said: “…”` / `said Bourita: “…”` / `said he was “…”`: the last cue before the quote."""
        q, text = self.quotes[qi], self.text
        lo = max(self.sentence(q.start)[0], self.sibling_before(qi))
        found = self.cues_in(lo, q.start, q.parent)
        if not found:
            return None
        ci = found[-1]
        cue = self.cues[ci]
        if PUNCT_GAP.fullmatch(text, cue.end, q.start):
            return ci, "either", None
        stops = frozenset() if cue.kind == "acc" else AFTER_STOPS
        named = phrase_after(text, cue.end, q.start, stops, 10)
        if named and PUNCT_GAP.fullmatch(text, named.end, q.start) and re.search(r"[,:،]", text[named.end:q.start]):
            return ci, "named", named
        # A quote inside a quote is proposed only with its cue right next to it.
        gap = word_spans(text, cue.end, q.start)
        if q.parent < 0 and words >= 4 and len(gap) <= (4 if cue.kind == "weak" else 12):
            return ci, "mixed", None
        return None

    def is_headline(self) -> bool:
        line = self.text[self.lo:self.hi].strip().rstrip("”»›\"’“ ")
        return (len(line.split()) <= 15 and not line.endswith((".", "!", "?", "؟", ":"))
                and not any(c.parent < 0 and c.kind in ("verb", "acc", "inverted") for c in self.cues))

    def attribute(self) -> None:
        text, out = self.text, self.out
        headline = self.is_headline()
        for qi, q in enumerate(self.quotes):
            start, end = q.start + 1, q.end
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start == end or headline:
                continue
            words = len(text[start:end].split())
            hit = self.cue_after(qi)
            if hit is not None:
                cue, speaker = self.use(hit[0], hit[1])
                base = DIRECT
            else:
                hit = self.cue_before(qi, words)
                if hit is not None:
                    ci, side, named = hit
                    cue, speaker = self.use(ci, "before" if side == "mixed" else "either")
                    if named is not None:
                        speaker = self.speakers[ci] = self.speakers[ci] or named
                    base = DIRECT_MIXED if side == "mixed" else DIRECT
                else:
                    cue, speaker, base = None, self.continued(qi), CONTINUED
                    if speaker is None:
                        if q.parent >= 0 or q.single or words <= 3 or titled(text[start:end]):
                            continue  # scare quotes, a title, an inner quote without its own cue
                        base = CUELESS
            self.attributed[qi] = speaker
            out.attribution(text, (start, end), "direct", base, cue, speaker)
        # A cue inside a reported clause ("said that the decision confirmed …") is part of that clause.
        reported_to = self.lo
        for ci, cue in enumerate(self.cues):
            if not cue.used and cue.parent < 0 and cue.kind != "weak" and cue.start >= reported_to:
                reported_to = max(reported_to, self.reported(ci))

    def continued(self, qi: int) -> Speaker | None:
        """A quote opening the sentence after an attributed one goes on with its speaker."""
        q = self.quotes[qi]
        lo = self.sentence(q.start)[0]
        if q.parent >= 0 or SPACES.match(self.text, lo, q.start).end() < q.start:
            return None
        for k in range(qi - 1, -1, -1):
            if self.quotes[k].parent == q.parent:
                # Only from the sentence just before: "“…,” he said. “…”"
                return self.attributed.get(k) if self.sentence(self.quotes[k].end)[1] == lo else None
        return None

    def comma_before(self, lo: int, position: int) -> int | None:
        """Where the comma is if only spaces separate it from `position`."""
        k = position - 1
        while k >= lo and self.text[k].isspace():
            k -= 1
        return k if k >= lo and self.text[k] in ",،" else None

    def reported(self, ci: int) -> int:
        """An indirect quote: the reported clause of cue `ci` to the sentence's end (or from its start).

        Answers where the clause ends (the line's start if there is none)."""
        text = self.text
        lo, hi = self.sentence(self.cues[ci].start)
        cue, speaker = self.use(ci, "either")
        clause = None
        if cue.kind == "acc":
            if speaker is None:
                return self.lo
            head = text[lo:cue.start].strip().lower() if cue.start - lo < 10 else "…"
            after = SPACES.match(text, speaker.end, hi).end()
            comma = self.comma_before(lo, cue.start)
            if head in ("", "and", "but", "et", "mais", "و") and text[after:after + 1] in (",", "،"):
                clause = (after + 1, hi)
            elif comma is not None and not text[speaker.end:hi].strip(TRAILING):
                clause = (lo, comma)
        else:
            rest = speaker.end if speaker and speaker.start >= cue.end else cue.end
            comp = COMPLEMENTIZER.search(text, rest, hi)
            if comp and len(word_spans(text, rest, comp.start())) <= 6 and "," not in text[rest:comp.start()]:
                clause = (comp.end(), hi)
            elif not ARABIC.match(text[cue.start]):
                first = WORD.search(text, rest, hi)
                if (first and not text[rest:first.start()].strip() and len(word_spans(text, rest, hi)) >= 4
                        and first.group().lower() not in CLAUSE_NOT_FIRST):
                    clause = (rest, hi)
            if clause is None:  # "…, Bourita said." / "…, said Bourita."
                named = None if speaker else phrase_after(text, cue.end, hi)
                if named and not text[named.end:hi].strip(TRAILING):
                    speaker = self.speakers[ci] = named
                    rest = named.end
                comma = self.comma_before(lo, min(cue.start, speaker.start) if speaker else cue.start)
                if comma is not None and len(word_spans(text, rest, min(hi, rest + 200))) <= 5:
                    clause = (lo, comma)
        if clause is None:
            return self.lo
        start, end = clause
        k = bisect_left(self.starts, start)  # stop before a quote attributed on its own
        while k < len(self.starts) and self.starts[k] < end:
            if k in self.attributed and self.quotes[k].parent < 0:
                end = self.starts[k]
                break
            k += 1
        while start < end and (text[start].isspace() or text[start] in ",،"):
            start += 1
        opener = text[start] if start < end else ""
        if opener in OPENERS and not any(mark in text[start + 1:end] for mark in OPENERS[opener]):
            start += 1  # a mark that opens a quote never closed
            while start < end and text[start].isspace():
                start += 1
        while end > start and text[end - 1] in TRAILING:
            end -= 1
        if len(text[start:end].split()) < 3:
            return self.lo
        self.out.attribution(text, (start, end), "indirect", INDIRECT, cue, speaker)
        return end
