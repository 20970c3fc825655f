"""The recommenders there are, by kind. A kind's module registers its class with @register."""
from .base import BaseRecommender

KINDS: dict[str, type[BaseRecommender]] = {}


def register(cls: type[BaseRecommender]) -> type[BaseRecommender]:
    KINDS[cls.kind] = cls
    return cls


def recommender_class(kind: str) -> type[BaseRecommender]:
    from . import recommenders  # noqa: F401 - registers the built-in kinds

    try:
        return KINDS[kind]
    except KeyError:
        raise LookupError(f"no recommender of kind {kind!r}; there are {', '.join(sorted(KINDS))}") from None
