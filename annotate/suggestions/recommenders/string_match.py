"""string_match: propose again what annotators marked before, wherever the same words occur.

Training counts, for each span's folded surface string (annotate/suggestions/textnorm.py: casefold,
one space, Arabic letter forms and harakat), how often it was given each label, and which entity it
was linked to. The project's sources (their names and aliases) are known strings too, as SOURCE with
their entity, whether or not anyone has marked them yet; they are read from the project when the
index is built, so a source added after training is found without training again.

A string's score for a label is count / (times annotated + prior): a string marked SOURCE 3 times and
CLAIM once scores 0.71 for SOURCE; marked once, 0.8; marked 20 times, 0.99. Strings shorter than 3
characters and strings whose best label has less than `min_share` (option, 0.2) of their annotations
are not proposed; a string is proposed with every label that reaches `min_share`.

Matching is whole-word: a match starts and ends at a token of `\\w+|[^\\w\\s]` over the folded text,
so it can begin only where a token begins. The index is a trie over tokens (the edge to the next token
carries the space before it, if any), walked from each token of an article: each step is one dict
lookup, whatever the number of strings learned, where an alternation regex of thousands of strings
tries every alternative at every position. Of the matches of one label the longest wins; matches of
the same label never overlap (matches of different labels may).
"""
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import orjson

from ..base import BaseRecommender, Document, Example, Guesses, RecommenderError, SpanGuess
from ..registry import register
from ..textnorm import fold, fold_word

TOKEN = re.compile(r"\w+|[^\w\s]")
SOURCE = "SOURCE"
MIN_LENGTH = 3
ENTITY_SCORE = 0.9  # a registered source's name: as sure as a string marked SOURCE each of the 3 times it was
STATE_VERSION = 1
_END = ""  # the trie key of "a string ends here" (no token is empty)


def _edges(key: str) -> list[str]:
    """A folded string as trie edges: its tokens, each after the space before it if there is one."""
    edges, end = [], 0
    for match in TOKEN.finditer(key):
        edges.append((" " if match.start() > end else "") + match.group())
        end = match.end()
    return edges


@register
class StringMatchRecommender(BaseRecommender):
    kind = "string_match"
    trainable = True

    def __init__(self, project, settings=None):
        super().__init__(project, settings)
        # folded string -> label -> [count, Counter of entity ids]
        self._counts: dict[str, dict[str, list]] = {}
        self._learned = False
        self._trie: dict | None = None  # built by train, load, or the first predict
        self._proposable = 0

    @property
    def options(self) -> dict:
        options = getattr(self.settings, "options", None)  # no settings in tests and benches
        return options if isinstance(options, dict) else {}

    @property
    def trained(self) -> bool:
        return self._learned

    def train(self, examples: Iterable[Example]) -> dict:
        counts: dict[str, dict[str, list]] = defaultdict(dict)
        articles = spans = 0
        for example in examples:
            articles += 1
            text = example.document.text
            for label, start, end, entity in example.spans:
                key = fold_word(text[start:end])
                if len(key) < MIN_LENGTH:
                    continue
                spans += 1
                seen = counts[key].setdefault(label, [0, Counter()])
                seen[0] += 1
                if entity is not None:
                    seen[1][entity] += 1
        self._counts = dict(counts)
        self._learned = True
        self._build()
        return {"articles": articles, "spans": spans, "strings": len(self._counts),
                "proposable": self._proposable}

    def dump(self) -> bytes:
        if not self._learned:
            raise RecommenderError(f"{self.name} has nothing to store: it is not trained yet.")
        # JSON, not pickle: the state is counts, and loading it must not be able to run code.
        strings = {key: {label: [n, [[e, c] for e, c in entities.items()]] for label, (n, entities) in by.items()}
                   for key, by in self._counts.items()}
        return orjson.dumps({"version": STATE_VERSION, "strings": strings})

    def load(self, data: bytes) -> None:
        try:
            state = orjson.loads(data)
            if state.get("version") != STATE_VERSION:
                raise ValueError(f"state version {state.get('version')!r}, expected {STATE_VERSION}")
            self._counts = {key: {label: [n, Counter(dict(entities))]
                                  for label, (n, entities) in by.items()}
                            for key, by in state["strings"].items()}
        except (orjson.JSONDecodeError, ValueError, TypeError, KeyError, AttributeError) as error:
            raise RecommenderError(f"{self.name}: its stored state cannot be read ({error}); train it again.") from None
        self._learned = True
        self._build()

    def _build(self) -> None:
        """The trie of every proposable string, built once per train or load."""
        min_share = float(self.options.get("min_share", 0.2))
        prior = float(self.options.get("prior", 0.25))
        labels = self.project.labels
        # A source merged or deleted since training is no longer the project's: proposing it would be refused.
        known = {entity.id for entity in self.project.entities}
        # folded string -> label -> (score, entity id)
        proposals: dict[str, dict[str, tuple[float, int | None]]] = {}
        for key, by in self._counts.items():
            total = sum(n for n, _ in by.values())
            if max(n for n, _ in by.values()) / total < min_share:
                continue
            found = {}
            for label, (n, entities) in by.items():
                if n / total >= min_share and (not labels or label in labels):
                    linked = [(n, e) for e, n in entities.items() if e in known]
                    entity = max(linked)[1] if linked else None
                    found[label] = (n / (total + prior), entity)
            if found:
                proposals[key] = found
        if not labels or SOURCE in labels:
            names: dict[str, set[int]] = defaultdict(set)
            for entity in self.project.entities:
                for name in (entity.name, *entity.aliases):
                    key = fold_word(name)
                    if len(key) >= MIN_LENGTH:
                        names[key].add(entity.id)
            for key, ids in names.items():
                found = proposals.setdefault(key, {})
                learned_score, learned_entity = found.get(SOURCE, (0.0, None))
                # A name two sources share says SOURCE but not which: the annotators' choice, if any, decides.
                entity = next(iter(ids)) if len(ids) == 1 else learned_entity
                found[SOURCE] = (max(ENTITY_SCORE, learned_score), entity)
        trie: dict = {}
        for key, found in proposals.items():
            node = trie
            for edge in _edges(key):
                node = node.setdefault(edge, {})
            node[_END] = [(label, score, entity) for label, (score, entity) in found.items()]
        self._trie = trie
        self._proposable = len(proposals)

    def predict(self, documents: Sequence[Document]) -> list[Guesses]:
        """Before training or loading, only the project's sources are known."""
        if self._trie is None:
            self._build()
        return [self._guess(document.text) for document in documents]

    def _guess(self, text: str) -> Guesses:
        folded = fold(text)
        tokens = [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(folded.text)]
        trie, found = self._trie, []
        for i, (start, _, first) in enumerate(tokens):
            node = trie.get(first)
            j = i
            while node is not None:
                if _END in node:
                    found.append((start, tokens[j][1], node[_END]))
                j += 1
                if j == len(tokens):
                    break
                gap = " " if tokens[j][0] > tokens[j - 1][1] else ""
                node = node.get(gap + tokens[j][2])
        # Longest first; of one label, a match overlapping one already taken is dropped.
        found.sort(key=lambda match: (match[0] - match[1], match[0]))
        taken: dict[str, list[tuple[int, int]]] = defaultdict(list)
        spans = []
        for start, end, proposals in found:
            for label, score, entity in proposals:
                if any(start < e and s < end for s, e in taken[label]):
                    continue
                taken[label].append((start, end))
                first, last = folded.span(start, end)
                spans.append(SpanGuess(label=label, start=first, end=last, score=round(score, 4), entity=entity))
        spans.sort(key=lambda guess: (guess.start, guess.end, guess.label))
        return Guesses(spans=spans)
