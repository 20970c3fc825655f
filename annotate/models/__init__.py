"""The domain model. One module per area; import from `annotate.models`."""
from .annotation import Annotation, Relation, Span, Stance
from .article import Article, Assignment
from .entity import Entity
from .figures import ArticleFigures, MapEntry, ProjectFigure, StaleArticle
from .history import AnnotationEvent
from .project import Label, Membership, Polarity, Project, RelationType, StanceTarget

__all__ = [
    "Annotation",
    "ArticleFigures",
    "AnnotationEvent",
    "Article",
    "Assignment",
    "Entity",
    "Label",
    "MapEntry",
    "Membership",
    "Polarity",
    "ProjectFigure",
    "Project",
    "Relation",
    "RelationType",
    "Span",
    "StaleArticle",
    "Stance",
    "StanceTarget",
]
