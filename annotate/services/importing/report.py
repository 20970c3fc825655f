"""What an import tells its caller: the report of a file that went in, or the problems of one that did not.

Every stage speaks these terms. Reading and the checks add problems to the file's `Problems`, each named
by line and field, and keep going so that a user fixes a file in one pass; the rows stage counts what
it wrote in the `ImportReport`. A file with any problem is not imported at all (`ImportFailed`).
"""
from dataclasses import dataclass, field

from ..reanchoring import Reanchored

# Past this many problems the import stops reading: the file needs more than a few fixes.
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int | None  # None or 0: the file as a whole
    field: str
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ImportFailed(Exception):
    """The file was not imported; nothing was written. `problems` says why."""

    def __init__(self, problems: list[ImportProblem], truncated: bool = False):
        self.problems = problems
        self.truncated = truncated
        lines = [str(p) for p in problems]
        if truncated:
            lines.append(f"(stopped after {MAX_PROBLEMS} problems)")
        super().__init__("\n".join(lines))


@dataclass
class ImportReport:
    file: str
    articles_created: int = 0
    articles_updated: int = 0
    layers_created: int = 0
    layers_replaced: int = 0
    spans: int = 0
    relations: int = 0
    stances: int = 0
    entities_created: int = 0
    # Predictions stored as suggestions (docs/format.md, "Predictions").
    suggested_spans: int = 0
    suggested_relations: int = 0
    suggested_stances: int = 0
    vocabulary_created: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, external id, why)
    # --reanchor: each annotated article whose corrected text re-anchored its spans.
    reanchored: list[Reanchored] = field(default_factory=list)
    # --dry-run: what the import would do; nothing was written.
    dry_run: bool = False

    def reanchor_lines(self) -> list[str]:
        """Per article "EXTERNAL_ID: moved N, flagged M, unchanged K", then the totals."""
        if not self.reanchored:
            return []
        total = {key: sum(getattr(r, key) for r in self.reanchored) for key in ("moved", "flagged", "unchanged")}
        return [r.line() for r in self.reanchored] + [
            f"re-anchored {len(self.reanchored)} article(s): moved {total['moved']}, flagged {total['flagged']}, "
            f"unchanged {total['unchanged']}"]

    def summary(self) -> str:
        text = (
            f"{self.file}: {self.articles_created} article(s) created, {self.articles_updated} updated, "
            f"{len(self.skipped)} skipped; {self.layers_created} annotation layer(s) "
            f"({self.layers_replaced} replaced) with {self.spans} spans, {self.relations} relations, "
            f"{self.stances} stances; {self.entities_created} entit(ies) created"
        )
        if self.suggested_spans or self.suggested_relations or self.suggested_stances:
            text += (f"; suggestions from predictions: {self.suggested_spans} spans, "
                     f"{self.suggested_relations} relations, {self.suggested_stances} stances")
        for kind, names in self.vocabulary_created.items():
            text += f"; new {kind}: {', '.join(names)}"
        if self.reanchored:
            text += f"; {self.reanchor_lines()[-1]}"
        if self.dry_run:
            text += " (dry run: nothing written)"
        return text + "."


class Problems:
    """The problems found in one file so far, in the order they were found."""

    def __init__(self, file: str):
        self.file = file
        self.found: list[ImportProblem] = []

    def add(self, line: int | None, field_name: str, message: str) -> None:
        self.found.append(ImportProblem(self.file, line, field_name, message))

    def extend(self, problems: list[ImportProblem]) -> None:
        self.found.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.found)

    def __len__(self) -> int:
        return len(self.found)

    @property
    def full(self) -> bool:
        """Enough to stop reading (the checks of a batch already read may still add a few)."""
        return len(self.found) >= MAX_PROBLEMS

    def failure(self) -> ImportFailed:
        return ImportFailed(self.found[:MAX_PROBLEMS], truncated=self.full)
