from collections.abc import Mapping
from dataclasses import dataclass

from .undefined import NO_COMPARED_ITEMS, NO_ITEMS, NO_REFERENCE_ITEMS, Undefined, Value, as_json, mean, rounded

KEYS = ("precision", "recall", "f1")


@dataclass
class Counts:
    """Matches between a reference side (a) and a compared side (b)."""

    matched: int = 0
    a: int = 0  # items on the reference side
    b: int = 0  # items on the compared side

    def add(self, other: "Counts") -> None:
        self.matched += other.matched
        self.a += other.a
        self.b += other.b

    def scores(self) -> dict[str, Value]:
        """precision = matched / b, recall = matched / a, F1 their harmonic mean (2m / (a + b)).

        Each is undefined when its denominator is 0, never 1.0: with nothing on either side there is
        no agreement to report, only nothing. With items on one side only F1 is 0 (a real
        disagreement), while precision (or recall) stays 0/0, undefined.
        """
        if self.a == 0 and self.b == 0:
            return dict.fromkeys(KEYS, Undefined(NO_ITEMS))
        return {
            "precision": self.matched / self.b if self.b else Undefined(NO_COMPARED_ITEMS),
            "recall": self.matched / self.a if self.a else Undefined(NO_REFERENCE_ITEMS),
            "f1": 2 * self.matched / (self.a + self.b),
        }

    def as_dict(self) -> dict:
        """{"precision", "recall", "f1", "support"}, null where undefined with the reason under "undefined"."""
        return as_json(**{key: rounded(value) for key, value in self.scores().items()}, support=self.a + self.b)


def macro(per_label: Mapping[str, Counts]) -> dict:
    """The unweighted mean over labels of precision, recall and F1, each over the labels where it is defined."""
    scores = [counts.scores() for counts in per_label.values()]
    return as_json(**{key: rounded(mean(label[key] for label in scores)) for key in KEYS})
