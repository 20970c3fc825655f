"""The domain model. One module per area; import from `annotate.models`."""
from .annotation import Annotation, Relation, Span, Stance
from .article import Article, Assignment
from .entity import Entity
from .history import AnnotationEvent
from .project import Label, Membership, Polarity, Project, RelationType, StanceTarget

__all__ = [
    "Annotation",
    "AnnotationEvent",
    "Article",
    "Assignment",
    "Entity",
    "Label",
    "Membership",
    "Polarity",
    "Project",
    "Relation",
    "RelationType",
    "Span",
    "Stance",
    "StanceTarget",
]
