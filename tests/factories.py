"""Test data builders: the shared ones (synthetic/builders.py) and those only the tests need."""
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotate.services import annotating
from synthetic.builders import (  # noqa: F401 - the tests import every builder from here
    make_annotation,
    make_article,
    make_assignment,
    make_entity,
    make_member,
    make_project,
    make_span,
    make_user,
)


def api_client(user=None):
    """A DRF client authenticated the way scripts are: a token in the Authorization header."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_layer_with_spans(project, user, n_spans: int):
    """An assigned, opened layer with n spans (SOURCE, every other one linked to a source), a CLAIMED_BY
    relation and a stance per pair: what query-budget tests compare at two sizes. Returns the layer."""
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


def take_concurrently(project, users, *, takes: int = 3) -> tuple[list[tuple[int, int]], list[Exception]]:
    """Every user asks for their next article at the same moment, `takes` times in a row (submitting each),
    each in a thread of its own: the (article id, user id) pairs handed out, and any errors."""
    import threading

    from django.db import connections

    from annotate.models import Assignment
    from annotate.services.assignments import take_next_article

    barrier = threading.Barrier(len(users))
    results, errors = [], []

    def ask(user):
        try:
            barrier.wait()
            for _ in range(takes):
                assignment, _ = take_next_article(project=project, user=user)
                if assignment is None:
                    break
                Assignment.objects.filter(pk=assignment.pk).update(status="submitted")
                results.append((assignment.article_id, user.pk))
        except Exception as error:  # reported to the caller, in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def answer_required_questions(layer):
    """Answer the project's required article questions (the demo project has one) so the layer can be submitted:
    the first choice, or a short text. Through the service, like the workspace's Article panel."""
    from annotate.services import article_labels

    answers = {q.name: ("no reason" if q.kind == "text" else q.choices[0] if q.kind == "single" else [q.choices[0]])
               for q in article_labels.questions_of(layer.article.project_id) if q.required}
    if answers:
        layer.refresh_from_db()
        article_labels.set_article_labels(annotation=layer, expected_version=layer.version, article_labels=answers)
        layer.refresh_from_db()
    return layer
