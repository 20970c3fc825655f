from dataclasses import dataclass


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

    def as_dict(self) -> dict:
        """precision = matched / b, recall = matched / a, F1 their harmonic mean (2m / (a + b)).

        With nothing on either side there is nothing to disagree on: all three are 1.0.
        """
        if self.a == 0 and self.b == 0:
            return {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 0}
        precision = self.matched / self.b if self.b else 0.0
        recall = self.matched / self.a if self.a else 0.0
        f1 = 2 * self.matched / (self.a + self.b)
        return {"precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6),
                "support": self.a + self.b}


def macro(per_label: dict[str, dict]) -> dict:
    """The unweighted mean over labels of precision, recall and F1."""
    if not per_label:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    n = len(per_label)
    return {key: round(sum(scores[key] for scores in per_label.values()) / n, 6)
            for key in ("precision", "recall", "f1")}
