"""What a recommender is given and what it answers, as plain data (no models), so a recommender can be
written, tested and benchmarked without a database.

A recommender gets a project's vocabulary and sources (`ProjectView`) and a batch of articles
(`Document`), and answers one `Guesses` per article: spans with code-point offsets (end exclusive),
relations and stances that point at its own spans by their index in `Guesses.spans`, each with a
score from 0 to 1. What it proposes is checked and stored by annotate/suggestions/storing.py:
a label the project lacks, offsets outside the text or a score outside 0..1 is an error there,
with the recommender's name, never a row.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    id: int
    text: str
    language: str = ""  # as given by the source, e.g. "en", "fr", "ar"; may be empty


@dataclass(frozen=True)
class KnownEntity:
    """One of the project's canonical sources, with the other names it goes by."""
    id: int
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectView:
    """What a recommender may know of its project."""
    slug: str
    labels: frozenset[str]
    # name -> (from label, to label); None: any label
    relation_types: dict[str, tuple[str | None, str | None]]
    targets: tuple[str, ...] = ()
    polarities: tuple[str, ...] = ()
    entities: tuple[KnownEntity, ...] = ()


@dataclass
class SpanGuess:
    label: str
    start: int
    end: int
    score: float
    entity: int | None = None  # a KnownEntity id
    attributes: dict = field(default_factory=dict)


@dataclass
class RelationGuess:
    type: str
    source: int  # index into Guesses.spans
    target: int
    score: float


@dataclass
class StanceGuess:
    target: str
    polarity: str
    score: float
    holder: int | None = None  # index into Guesses.spans
    holder_entity: int | None = None  # a KnownEntity id
    evidence: tuple[int, ...] = ()  # indexes into Guesses.spans
    explicit: bool = True


@dataclass
class Guesses:
    spans: list[SpanGuess] = field(default_factory=list)
    relations: list[RelationGuess] = field(default_factory=list)
    stances: list[StanceGuess] = field(default_factory=list)


@dataclass(frozen=True)
class Example:
    """An annotated article a recommender learns from: a submitted or adjudicated layer's spans,
    as (label, start, end, entity id or None), and relations as (type, span index, span index)."""
    document: Document
    spans: tuple[tuple[str, int, int, int | None], ...]
    relations: tuple[tuple[str, int, int], ...] = ()


class RecommenderError(Exception):
    """A recommender could not answer (a server down, an answer that is not the protocol): the message
    says which and why; the workspace and the run go on without its suggestions."""


class BaseRecommender:
    """A recommender. Subclasses set `kind` and implement `predict`; trainable ones `train` too.

    `settings` is the project's Recommender row (annotate/models/suggestion.py): its name, options
    and, for a trained one, its state. `version` is what suggestions record of the model that made them.
    """

    kind: str = ""
    trainable = False

    def __init__(self, project: ProjectView, settings=None):
        self.project = project
        self.settings = settings

    @property
    def name(self) -> str:
        return self.settings.name if self.settings is not None else self.kind

    @property
    def version(self) -> str:
        return self.settings.version if self.settings is not None else "1"

    def predict(self, documents: Sequence[Document]) -> list[Guesses]:
        """One Guesses per document, in the same order."""
        raise NotImplementedError

    def train(self, examples: Iterable[Example]) -> dict:
        """Learn from the examples, in memory; answer a summary for the log (how many, what was learned).

        Replaces what was learned before: the caller passes every example it wants learned.
        """
        raise RecommenderError(f"{self.name} does not train.")

    def dump(self) -> bytes:
        """What `train` learned, to be stored (annotate/suggestions/running.py keeps it in a file)."""
        raise RecommenderError(f"{self.name} has nothing to store.")

    def load(self, data: bytes) -> None:
        """Take back what `dump` gave."""
        raise RecommenderError(f"{self.name} has nothing to load.")

    @property
    def trained(self) -> bool:
        """Whether it can predict: always for rules; once trained or loaded for a trainable one."""
        return not self.trainable
