"""Builders of single model rows with sensible defaults, overridable by keyword."""
import itertools

from django.contrib.auth import get_user_model

from annotate.models import Annotation, Article, Assignment, Entity, Membership, Project, Span
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


def make_assignment(article, annotator, **extra) -> Assignment:
    return Assignment.objects.create(article=article, annotator=annotator, **extra)
