"""The kinds of job, by name: what each runs. A kind's module registers it with @kind("name")."""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable  # run(context, **job.arguments) -> the job's result (JSON)
    label: str


KINDS: dict[str, Kind] = {}


def kind(name: str, *, label: str):
    def register(run: Callable) -> Callable:
        KINDS[name] = Kind(name=name, run=run, label=label)
        return run
    return register


def get(name: str) -> Kind:
    from . import kinds  # noqa: F401 - registers every built-in kind

    return KINDS[name]
