"""Creating projects and growing their vocabulary."""
from collections.abc import Iterable

from django.db import transaction

from ..models import Label, Polarity, Project, RelationType, StanceTarget
from ..vocabulary import DEFAULT_LABELS, DEFAULT_POLARITIES, DEFAULT_RELATIONS, EXTRA_COLORS


@transaction.atomic
def create_project(
    *,
    name: str,
    slug: str,
    description: str = "",
    guidelines: str = "",
    annotators_per_article: int = 1,
    targets: Iterable[str] = (),
) -> Project:
    """A project with the default labels, relation types and polarities, plus the given targets."""
    project = Project(
        name=name,
        slug=slug,
        description=description,
        guidelines=guidelines,
        annotators_per_article=annotators_per_article,
    )
    project.full_clean()
    project.save()
    install_default_vocabulary(project)
    add_vocabulary(project, targets=targets)
    return project


def install_default_vocabulary(project: Project) -> None:
    labels = Label.objects.bulk_create(
        [
            Label(project=project, name=spec.name, color=spec.color, hotkey=spec.hotkey,
                  description=spec.description, order=order)
            for order, spec in enumerate(DEFAULT_LABELS)
        ]
    )
    by_name = {label.name: label for label in labels}
    RelationType.objects.bulk_create(
        [
            RelationType(project=project, name=spec.name, description=spec.description, order=order,
                         from_label=by_name.get(spec.from_label), to_label=by_name.get(spec.to_label))
            for order, spec in enumerate(DEFAULT_RELATIONS)
        ]
    )
    Polarity.objects.bulk_create(
        [Polarity(project=project, name=name, color=color, order=order)
         for order, (name, color) in enumerate(DEFAULT_POLARITIES)]
    )


def add_vocabulary(
    project: Project,
    *,
    labels: Iterable[str] = (),
    relation_types: Iterable[str] = (),
    targets: Iterable[str] = (),
    polarities: Iterable[str] = (),
) -> dict[str, list[str]]:
    """Add the names the project does not have yet; returns what was created, by kind.

    Used by `import_articles --create-project` to adopt the vocabulary a file uses.
    """
    created = {}
    for model, names, kind in (
        (Label, labels, "labels"),
        (RelationType, relation_types, "relation types"),
        (StanceTarget, targets, "targets"),
        (Polarity, polarities, "polarities"),
    ):
        existing = set(model.objects.filter(project=project).values_list("name", flat=True))
        new = [name for name in dict.fromkeys(names) if name not in existing]
        if not new:
            continue
        start = len(existing)
        rows = []
        for offset, name in enumerate(new):
            row = model(project=project, name=name, order=start + offset)
            if model in (Label, Polarity):
                row.color = EXTRA_COLORS[(start + offset) % len(EXTRA_COLORS)]
            row.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)
            rows.append(row)
        model.objects.bulk_create(rows)
        created[kind] = new
    return created
