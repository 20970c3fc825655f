"""The API's JSON, for the pages that start from it on purpose.

The workspace (and the gold workspace) carry their initial state in the page
in exactly the shapes the REST API answers, so the scripts have one code path
for the first render and for every later read through the API. The pages
call these; nothing else in web/ knows the serializers.
"""
from .serializers.annotations import AnnotationSerializer
from .serializers.projects import EntitySerializer, ProjectSerializer


def layer(annotation) -> dict:
    """A layer and its items, as GET /api/v1/annotations/<id>/ answers (read it with .for_detail())."""
    return AnnotationSerializer(annotation).data


def project(project) -> dict:
    """A project with the caller's role and its vocabulary, as GET /api/v1/projects/<slug>/ answers
    (read it with .with_role(user).with_vocabulary())."""
    return ProjectSerializer(project).data


def entities(entities) -> list:
    """Canonical sources, as GET /api/v1/projects/<slug>/entities/ lists them."""
    return EntitySerializer(entities, many=True).data
