"""The project's names as an import checks them: its labels, relation types, stance targets, polarities and
article questions, loaded once, created when the import may (--create-project), and the problems of a
record's names (unknown ones, the ends a relation type wants, answers the questions do not take, predictions).
"""
from typing import ClassVar

from django.core.exceptions import ValidationError

from ...interchange import ArticleRecord
from ...models import ArticleQuestion, Label, Polarity, Project, RelationType, StanceTarget
from ..projects import add_vocabulary
from .report import ImportProblem


class Vocabulary:
    """The project's names, loaded once; unknown names are remembered with the line they first appear on."""

    KINDS: ClassVar = {"labels": Label, "relation types": RelationType, "targets": StanceTarget, "polarities": Polarity}

    def __init__(self, project: Project, *, create: bool):
        self.project = project
        self.create = create
        self.items = {kind: {} for kind in self.KINDS}
        self.unknown = {kind: {} for kind in self.KINDS}
        self.created = {}
        self.reload()

    def reload(self):
        for kind, model in self.KINDS.items():
            rows = model.objects.filter(project=self.project)
            if model is RelationType:  # the relation-end checks read the labels a type wants
                rows = rows.select_related("from_label", "to_label")
            self.items[kind] = {obj.name: obj for obj in rows}
        self.questions = {q.name: q for q in ArticleQuestion.objects.filter(project=self.project)}

    def require(self, record: ArticleRecord, line: int) -> bool:
        """True when every name the record uses exists (creating them first if allowed).

        Its predictions' names count only when the file may create names: otherwise each unknown one
        is a problem of its item (prediction_problems), as a recommender's would be.
        """
        if self.create and record.article_labels:
            self._create_questions(record.article_labels)
        layers = [record.annotations] if record.annotations is not None else []
        if self.create and record.predictions is not None:
            layers.append(record.predictions.layer)
        if not layers:
            return True
        used = {
            "labels": {s.label for layer in layers for s in layer.spans},
            "relation types": {r.type for layer in layers for r in layer.relations},
            "targets": {s.target for layer in layers for s in layer.stances},
            "polarities": {s.polarity for layer in layers for s in layer.stances},
        }
        missing = {kind: names - self.items[kind].keys() for kind, names in used.items()}
        if not any(missing.values()):
            return True
        if self.create:
            created = add_vocabulary(
                self.project,
                labels=sorted(missing["labels"]),
                relation_types=sorted(missing["relation types"]),
                targets=sorted(missing["targets"]),
                polarities=sorted(missing["polarities"]),
            )
            for kind, names in created.items():
                self.created.setdefault(kind, []).extend(names)
            self.reload()
            return True
        for kind, names in missing.items():
            for name in names:
                self.unknown[kind].setdefault(name, line)
        return False

    def _create_questions(self, answers: dict) -> None:
        """An import that may create names (--create-project) creates the questions its answers name (a
        backup restored into an empty database). The file does not say a question's kind, prompt or whether it
        is required, so the answers decide the least they can: a list makes a multiple-choice question whose
        choices grow with the values seen; a string makes a free-text question (it takes any answer, so nothing
        is lost; an admin may make it a single choice later). Questions made before this import never change."""
        mine = self.created.get("article questions", [])
        for name, value in answers.items():
            question = self.questions.get(name)
            if question is None:
                kind = ArticleQuestion.Kind.MULTIPLE if isinstance(value, list) else ArticleQuestion.Kind.TEXT
                question = ArticleQuestion(project=self.project, name=name, kind=kind, order=len(self.questions),
                                           prompt=name.replace("_", " ").capitalize(),
                                           choices=list(dict.fromkeys(value)) if isinstance(value, list) else [])
                try:
                    question.full_clean()
                except ValidationError:
                    continue  # a name no question may have: the record's check reports it as unknown
                question.save()
                self.questions[name] = question
                mine = self.created.setdefault("article questions", [])
                mine.append(name)
            if name in mine and question.kind == ArticleQuestion.Kind.MULTIPLE and isinstance(value, list):
                new = [choice for choice in value if isinstance(choice, str) and choice not in question.choices]
                if new:
                    question.choices = [*question.choices, *dict.fromkeys(new)]
                    question.save(update_fields=["choices"])

    def problems(self, file: str) -> list[ImportProblem]:
        """The unknown names, one problem per kind listing them all: a user adds them in one go."""
        problems = []
        for kind, names in self.unknown.items():
            if names:
                listing = ", ".join(f"{name!r} (line {line})" for name, line in sorted(names.items()))
                problems.append(
                    ImportProblem(file, min(names.values()), kind,
                                  f"not in project {self.project.slug!r}: {listing}. "
                                  "Add them to the project, or import with create-project (--create-project).")
                )
        return problems


def prediction_problems(record: ArticleRecord, vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """(field, message) for each name of the record's predictions the project lacks, then for each relation
    end whose span has another label than the type wants."""
    layer, items, slug = record.predictions.layer, vocabulary.items, vocabulary.project.slug
    problems = [(f"predictions.spans[{i}].label", f"{span.label!r} is not a label of project {slug!r}")
                for i, span in enumerate(layer.spans) if span.label not in items["labels"]]
    problems += [(f"predictions.relations[{i}].type", f"{relation.type!r} is not a relation type of project {slug!r}")
                 for i, relation in enumerate(layer.relations) if relation.type not in items["relation types"]]
    for i, stance in enumerate(layer.stances):
        if stance.target not in items["targets"]:
            problems.append((f"predictions.stances[{i}].target",
                             f"{stance.target!r} is not a stance target of project {slug!r}"))
        if stance.polarity not in items["polarities"]:
            problems.append((f"predictions.stances[{i}].polarity",
                             f"{stance.polarity!r} is not a polarity of project {slug!r}"))
    if not problems:
        problems = relation_end_problems(record, items["relation types"], layer=layer, where="predictions")
    return problems


def relation_end_problems(record: ArticleRecord, relation_types: dict[str, RelationType], *,
                          layer=None, where: str = "annotations") -> list[tuple[str, str]]:
    """(field, message) for each relation end whose span has another label than the type wants
    (in the record's annotations, or in `layer`: its predictions)."""
    layer = record.annotations if layer is None else layer
    # The labels each type wants, by name (None: any): a few types, read once a record, not once a relation.
    wanted = {name: (t.from_label.name if t.from_label else None, t.to_label.name if t.to_label else None)
              for name, t in relation_types.items()}
    labels = {span.id: span.label for span in layer.spans}
    problems = []
    for i, relation in enumerate(layer.relations):
        want_from, want_to = wanted[relation.type]
        if (want_from is None or labels[relation.from_id] == want_from) and \
                (want_to is None or labels[relation.to_id] == want_to):
            continue
        for end, span_id, want in (("from", relation.from_id, want_from), ("to", relation.to_id, want_to)):
            if want is not None and labels[span_id] != want:
                message = f"{relation.type} needs a {want} span here, got {labels[span_id]} ({span_id!r})"
                problems.append((f"{where}.relations[{i}].{end}", message))
    return problems


def article_label_problems(record: ArticleRecord, questions: dict[str, ArticleQuestion], slug: str
                           ) -> tuple[dict, list[tuple[str, str]]]:
    """The record's answers as stored (ArticleQuestion.check_value), and (field, message) for each unknown
    question or value the question does not take."""
    answers, problems = {}, []
    if record.annotations is None:
        return answers, [("article_labels", "answers belong to a layer: the record needs its annotations "
                                            "(and an annotator, or the gold layer's status)")]
    for name, value in record.article_labels.items():
        question = questions.get(name)
        if question is None:
            problems.append((f"article_labels.{name}", f"{name!r} is not an article question of project {slug!r}"))
            continue
        try:
            answers[name] = question.check_value(value)
        except ValidationError as error:
            problems.append((f"article_labels.{name}", " ".join(error.messages)))
    return answers, problems
