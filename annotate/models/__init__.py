"""The domain model. One module per area; import from `annotate.models`."""
from .annotation import Annotation, Relation, Span, Stance
from .article import Article, Assignment
from .article_labels import ArticleAnswer, ArticleQuestion
from .bulk_operation import BulkOperation
from .claims import ClaimCluster, ClaimLink, ClaimMember
from .counters import AssignmentCount, AssignmentDayCount, DurationBucket, ProjectCount
from .entity import Entity
from .figures import ArticleFigures, MapEntry, ProjectFigure, StaleArticle
from .history import AnnotationEvent
from .job import Job
from .project import Label, Membership, Polarity, Project, RelationType, StanceTarget
from .release import Release
from .revision import ArticleRevision, TextChangePermit
from .suggestion import (
    Recommender,
    SuggestedRelation,
    SuggestedSpan,
    SuggestedStance,
    SuggestionDecision,
)
from .threads import Comment, Thread
from .webhook import Webhook, WebhookDelivery

__all__ = [
    "Annotation",
    "ArticleFigures",
    "AnnotationEvent",
    "Article",
    "ArticleAnswer",
    "ArticleQuestion",
    "ArticleRevision",
    "Assignment",
    "AssignmentCount",
    "AssignmentDayCount",
    "ClaimCluster",
    "ClaimLink",
    "ClaimMember",
    "Comment",
    "BulkOperation",
    "DurationBucket",
    "Entity",
    "Job",
    "Label",
    "MapEntry",
    "Membership",
    "Polarity",
    "ProjectFigure",
    "Project",
    "ProjectCount",
    "Recommender",
    "Relation",
    "RelationType",
    "Release",
    "Span",
    "StaleArticle",
    "Stance",
    "StanceTarget",
    "SuggestedRelation",
    "SuggestedSpan",
    "SuggestedStance",
    "SuggestionDecision",
    "TextChangePermit",
    "Thread",
    "Webhook",
    "WebhookDelivery",
]
