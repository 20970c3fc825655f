"""What the workspace page tells its scripts about suggestions (static/js/suggesting.js): whether to
offer them at all, and the project's threshold, sent to the API as min_score. The browser side is
tests/browser/test_suggestions_ui.py."""
import pytest
from django.urls import reverse

from annotate.models import Recommender
from annotate.suggestions import storing
from annotate.suggestions.base import Guesses, SpanGuess
from annotate.suggestions.vocabulary import Vocabulary

from .factories import make_article, make_assignment
from .test_ui_pages import logged_in, state_of

pytestmark = pytest.mark.django_db


def suggestions_state(user, article):
    assignment = make_assignment(article, user)
    response = logged_in(user).get(reverse("annotate:workspace", args=[assignment.pk]))
    assert response.status_code == 200
    return state_of(response)["suggestions"]


def test_no_recommender_and_nothing_stored_offers_no_suggestions(project, annotator_a):
    assert suggestions_state(annotator_a, make_article(project)) == {"available": False, "threshold": 0.3}


def test_an_enabled_recommender_offers_them_with_the_projects_threshold(project, annotator_a):
    project.suggestion_threshold = 0.55
    project.save()
    Recommender.objects.create(project=project, name="mymodel", kind="external", url="http://127.0.0.1:9",
                               enabled=False)
    assert suggestions_state(annotator_a, make_article(project)) == {"available": False, "threshold": 0.55}
    Recommender.objects.filter(name="mymodel").update(enabled=True)
    assert suggestions_state(annotator_a, make_article(project)) == {"available": True, "threshold": 0.55}


def test_suggestions_stored_for_the_article_are_offered_without_a_recommender(project, annotator_a):
    article, other = make_article(project), make_article(project)
    storing.replace(vocabulary=Vocabulary.of(project), recommender="attribution", version="1",
                    answers=[(article, Guesses(spans=[SpanGuess("SOURCE", 0, 6, 0.9)]))])
    assert suggestions_state(annotator_a, article)["available"] is True
    assert suggestions_state(annotator_a, other)["available"] is False
