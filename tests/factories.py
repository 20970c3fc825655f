"""Test data builders: small functions with sensible defaults, overridable by keyword."""
import itertools

from django.contrib.auth import get_user_model

from annotate.models import Annotation, Article, Entity, Membership, Project, Span
from annotate.services.projects import create_project

_seq = itertools.count(1)


def make_user(username=None, *, password="pw", **extra):
    username = username or f"user{next(_seq)}"
    return get_user_model().objects.create_user(username=username, password=password, **extra)


def make_project(slug=None, *, targets=("Moroccan sovereignty over Western Sahara",), **extra) -> Project:
    slug = slug or f"project-{next(_seq)}"
    return create_project(name=extra.pop("name", slug.title()), slug=slug, targets=targets, **extra)


def make_member(project, user=None, role=Membership.Role.ANNOTATOR):
    user = user or make_user()
    Membership.objects.create(project=project, user=user, role=role)
    return user


def make_article(project, *, text="France backs the plan, the minister said.", **extra) -> Article:
    external_id = extra.pop("external_id", f"art-{next(_seq)}")
    return Article.objects.create(project=project, external_id=external_id, text=text, **extra)


def make_annotation(article, annotator=None, **extra) -> Annotation:
    if annotator is None and not extra.get("is_gold"):
        annotator = make_user()
    return Annotation.objects.create(article=article, annotator=annotator, **extra)


def make_span(annotation, label="SOURCE", start=0, end=None, **extra) -> Span:
    article = annotation.article
    end = len(article.text) if end is None else end
    label_obj = article.project.labels.get(name=label)
    return Span.objects.create(annotation=annotation, label=label_obj, start=start, end=end,
                               text=article.text[start:end], **extra)


def make_entity(project, name="Hassan Bellouan", **extra) -> Entity:
    return Entity.objects.create(project=project, name=name, **extra)


def make_assignment(article, annotator, **extra):
    from annotate.models import Assignment

    return Assignment.objects.create(article=article, annotator=annotator, **extra)


def api_client(user=None):
    """A DRF client authenticated the way scripts are: a token in the Authorization header."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_layer_with_spans(project, user, n_spans: int):
    """An assigned, opened layer with n spans (SOURCE, every other one linked to a source), a CLAIMED_BY
    relation and a stance per pair: what query-budget tests compare at two sizes. Returns the layer."""
    from annotate.services import annotating

    text = " ".join(f"word{i}" for i in range(n_spans + 2))
    layer = annotating.open_layer(assignment=make_assignment(make_article(project, text=text), user))
    entity = make_entity(project, f"Source {layer.pk}")
    spans, position = [], 0
    for i in range(n_spans):
        start = text.index(f"word{i}", position)
        position = start + len(f"word{i}")
        spans.append(annotating.add_span(annotation=layer, expected_version=layer.version,
                                         label="SOURCE" if i % 2 else "CLAIM", start=start, end=position,
                                         entity=entity if i % 2 else None))
    for i in range(0, n_spans - 1, 2):
        annotating.add_relation(annotation=layer, expected_version=layer.version, type="CLAIMED_BY",
                                from_span=spans[i], to_span=spans[i + 1])
        annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=spans[i + 1],
                              target="Moroccan sovereignty over Western Sahara", polarity="favor",
                              evidence=[spans[i]])
    return layer
