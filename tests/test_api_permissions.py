"""Who may call what: every API endpoint against every persona, with objects owned by someone else.

An object you may not see answers 404 (no existence leak); one you may see but
not change answers 403; anonymous callers get 401.
"""
import pytest
from django.urls import reverse

from annotate.models import Membership
from annotate.services import annotating

from .factories import api_client, make_article, make_assignment, make_entity, make_user

pytestmark = pytest.mark.django_db
TEXT = "Hassan Bellouan said the plan works. France backs the plan."


@pytest.fixture
def world(project, annotator_a, annotator_b, reviewer, outsider, superuser):
    engineer = make_user("erin")
    Membership.objects.create(project=project, user=engineer, role=Membership.Role.ENGINEER)
    article = make_article(project, text=TEXT)
    assignment = make_assignment(article, annotator_a)
    layer = annotating.open_layer(assignment=assignment)
    source = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=15)
    quote = annotating.add_span(annotation=layer, expected_version=2, label="QUOTE", start=21, end=35)
    relation = annotating.add_relation(annotation=layer, expected_version=3, type="ATTRIBUTED_TO",
                                       from_span=quote, to_span=source)
    stance = annotating.add_stance(annotation=layer, expected_version=4, holder_span=source,
                                   target="Moroccan sovereignty over Western Sahara", polarity="favor",
                                   evidence=[quote])
    make_assignment(make_article(project, text="Another article."), annotator_b)
    return dict(project=project, article=article, assignment=assignment, layer=layer, span=quote, relation=relation,
                stance=stance, entity=make_entity(project), personas={
                    "anonymous": None, "anna": annotator_a, "ben": annotator_b, "rita": reviewer, "otto": outsider,
                    "erin": engineer, "root": superuser})


V = {"version": 5}
# (method, url name, url args from the world, body, expected status per persona)
MATRIX = [
    ("get", "api:project-list", lambda w: [], None,
     dict(anonymous=401, anna=200, ben=200, rita=200, otto=200, erin=200, root=200)),
    ("get", "api:project-detail", lambda w: [w["project"].slug], None,
     dict(anonymous=401, anna=200, ben=200, rita=200, otto=404, erin=200, root=200)),
    ("get", "api:entity-list", lambda w: [w["project"].slug], None,
     dict(anonymous=401, anna=200, ben=200, rita=200, otto=404, erin=200, root=200)),
    ("post", "api:entity-list", lambda w: [w["project"].slug], {"name": "New source"},
     dict(anonymous=401, anna=201, ben=201, rita=201, otto=404, erin=403, root=201)),
    ("get", "api:entity-detail", lambda w: [w["project"].slug, w["entity"].pk], None,
     dict(anonymous=401, anna=200, ben=200, rita=200, otto=404, erin=200, root=200)),
    ("post", "api:next-article", lambda w: [w["project"].slug], None,
     dict(anonymous=401, anna=200, ben=200, rita=204, otto=404, erin=403, root=204)),
    ("get", "api:article-list", lambda w: [], None,
     dict(anonymous=401, anna=200, ben=200, rita=200, otto=200, erin=200, root=200)),
    ("get", "api:article-detail", lambda w: [w["article"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=200, otto=404, erin=404, root=200)),
    ("get", "api:assignment-list", lambda w: [], None,
     dict(anonymous=401, anna=200, ben=200, rita=200, otto=200, erin=200, root=200)),
    ("get", "api:assignment-detail", lambda w: [w["assignment"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=200, otto=404, erin=404, root=200)),
    ("post", "api:assignment-open", lambda w: [w["assignment"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=403, otto=404, erin=404, root=403)),
    ("post", "api:assignment-skip", lambda w: [w["assignment"].pk], {"reason": "off topic"},
     dict(anonymous=401, anna=200, ben=404, rita=403, otto=404, erin=404, root=403)),
    ("get", "api:annotation-list", lambda w: [], None,
     dict(anonymous=401, anna=200, ben=200, rita=200, otto=200, erin=200, root=200)),
    ("get", "api:annotation-detail", lambda w: [w["layer"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=200, otto=404, erin=404, root=200)),
    ("post", "api:annotation-submit", lambda w: [w["layer"].pk], V,
     dict(anonymous=401, anna=200, ben=404, rita=403, otto=404, erin=404, root=403)),
    ("get", "api:span-list", lambda w: [w["layer"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=200, otto=404, erin=404, root=200)),
    ("post", "api:span-list", lambda w: [w["layer"].pk], {"label": "CUE", "start": 16, "end": 20, **V},
     dict(anonymous=401, anna=201, ben=404, rita=403, otto=404, erin=404, root=403)),
    ("get", "api:span-detail", lambda w: [w["layer"].pk, w["span"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=200, otto=404, erin=404, root=200)),
    ("patch", "api:span-detail", lambda w: [w["layer"].pk, w["span"].pk], {"attributes": {"x": 1}, **V},
     dict(anonymous=401, anna=200, ben=404, rita=403, otto=404, erin=404, root=403)),
    ("delete", "api:span-detail", lambda w: [w["layer"].pk, w["span"].pk], V,
     dict(anonymous=401, anna=200, ben=404, rita=403, otto=404, erin=404, root=403)),
    ("get", "api:relation-list", lambda w: [w["layer"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=200, otto=404, erin=404, root=200)),
    ("get", "api:relation-detail", lambda w: [w["layer"].pk, w["relation"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=200, otto=404, erin=404, root=200)),
    ("delete", "api:relation-detail", lambda w: [w["layer"].pk, w["relation"].pk], V,
     dict(anonymous=401, anna=200, ben=404, rita=403, otto=404, erin=404, root=403)),
    ("get", "api:stance-list", lambda w: [w["layer"].pk], None,
     dict(anonymous=401, anna=200, ben=404, rita=200, otto=404, erin=404, root=200)),
    ("patch", "api:stance-detail", lambda w: [w["layer"].pk, w["stance"].pk], {"polarity": "against", **V},
     dict(anonymous=401, anna=200, ben=404, rita=403, otto=404, erin=404, root=403)),
    ("delete", "api:stance-detail", lambda w: [w["layer"].pk, w["stance"].pk], V,
     dict(anonymous=401, anna=200, ben=404, rita=403, otto=404, erin=404, root=403)),
]
PERSONAS = ["anonymous", "anna", "ben", "rita", "otto", "erin", "root"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method,name,args,body,expected", MATRIX, ids=[f"{m[0]} {m[1]}" for m in MATRIX])
def test_permission_matrix(world, persona, method, name, args, body, expected):
    client = api_client(world["personas"][persona])
    response = getattr(client, method)(reverse(name, args=args(world)), body, format="json")
    assert response.status_code == expected[persona], response.content[:300]


def test_lists_only_show_what_each_persona_may_see(world):
    def ids(persona, name):
        return sorted(r["id"] for r in api_client(world["personas"][persona]).get(reverse(name)).json()["results"])

    layer, article = world["layer"].pk, world["article"].pk
    assert ids("anna", "api:annotation-list") == [layer]
    assert ids("ben", "api:annotation-list") == []
    assert ids("rita", "api:annotation-list") == [layer]
    assert ids("otto", "api:annotation-list") == []
    assert article in ids("anna", "api:article-list") and article not in ids("ben", "api:article-list")
    assert ids("otto", "api:project-list") == []
    assert [a["id"] for a in api_client(world["personas"]["anna"]).get(reverse("api:assignment-list")).json()[
        "results"]] == [world["assignment"].pk]
