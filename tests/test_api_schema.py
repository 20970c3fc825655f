"""The OpenAPI schema, the locally served Swagger UI, and a bounded schemathesis run that finds no 500."""
import pytest
import schemathesis
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings

from annotate.models import Membership
from annotate.services import annotating

from .factories import make_article, make_assignment, make_user


@pytest.mark.django_db
def test_schema_describes_the_api(client):
    response = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/annotations/{id}/spans/", "/api/v1/projects/{slug}/next/", "/api/v1/articles/"):
        assert path in schema["paths"]


@pytest.mark.django_db
def test_swagger_ui_is_served_without_a_cdn(client):
    html = client.get(reverse("api:docs")).content.decode()
    assert "swagger-ui" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in html
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
def test_drf_create_token_command_works(capsys):
    make_user("scripter")
    call_command("drf_create_token", "scripter")
    assert "Generated token" in capsys.readouterr().out


@pytest.fixture
def wsgi_calls_keep_the_test_connection():
    """Calling the WSGI app directly fires request_started/finished, whose handler closes a connection that
    is inside a transaction (the test's); Django's own test client unhooks it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, wsgi_calls_keep_the_test_connection):
    """The live schema against the WSGI app, as an annotator with a layer to poke at."""
    from rest_framework.authtoken.models import Token

    from config.wsgi import application

    from .factories import make_project

    project = make_project("fuzz")
    user = make_user("fuzzer")
    Membership.objects.create(project=project, user=user, role="annotator")
    layer = annotating.open_layer(assignment=make_assignment(make_article(project, text="Rabat said so 🌍."), user))
    annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=5)
    token = Token.objects.create(user=user)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    schema.config.headers = {"Authorization": f"Token {token.key}"}
    return schema


def test_no_endpoint_answers_500(api_schema):
    """A bounded property-based run over every operation of the schema: hostile input gets a 4xx, never a 500.

    Driven by hand (schemathesis' pytest plugin predates pytest 9), a few examples per operation.
    """
    assert probe_every_operation(api_schema) == []


def probe_every_operation(api_schema) -> list[str]:
    headers = api_schema.config.headers
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def probe(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        probe()
    return failures
