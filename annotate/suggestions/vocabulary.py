"""A project's vocabulary as a recommender sees it (base.ProjectView) and as storing needs it (ids by name),
read once per run: a handful of small queries whatever the corpus."""
from dataclasses import dataclass

from ..models import Entity, Label, Polarity, Project, RelationType, StanceTarget
from .base import KnownEntity, ProjectView


@dataclass(frozen=True)
class Vocabulary:
    project: Project
    view: ProjectView
    labels: dict[str, int]
    label_names: dict[int, str]
    # name -> (id, from label id or None, to label id or None)
    relation_types: dict[str, tuple[int, int | None, int | None]]
    targets: dict[str, int]
    polarities: dict[str, int]
    entities: frozenset[int]

    @classmethod
    def of(cls, project: Project) -> "Vocabulary":
        labels = dict(Label.objects.filter(project=project).values_list("name", "pk"))
        label_names = {pk: name for name, pk in labels.items()}
        types = {name: (pk, from_id, to_id) for name, pk, from_id, to_id in RelationType.objects.filter(
            project=project).values_list("name", "pk", "from_label_id", "to_label_id")}
        targets = dict(StanceTarget.objects.filter(project=project).order_by("order", "name").values_list("name", "pk"))
        polarities = dict(Polarity.objects.filter(project=project).order_by("order", "name").values_list("name", "pk"))
        entities = tuple(KnownEntity(pk, name, tuple(aliases or ())) for pk, name, aliases in
                         Entity.objects.filter(project=project).order_by("pk").values_list("pk", "name", "aliases"))
        view = ProjectView(
            slug=project.slug,
            labels=frozenset(labels),
            relation_types={name: (label_names.get(f), label_names.get(t)) for name, (_, f, t) in types.items()},
            targets=tuple(targets), polarities=tuple(polarities), entities=entities)
        return cls(project, view, labels, label_names, types, targets, polarities,
                   frozenset(entity.id for entity in entities))
