"""Which annotation layers an export contains, parsed once for the API and the command.

Every filter arrives as text (a query string, a command-line option) and is
checked here, so a typo gives the same message whichever door it came in by.
"""
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Q

from ..models import Annotation, Project, Recommender, SuggestedSpan, SuggestedStance

# "suggestions" is no status of a layer: it exports the recommenders' suggestions instead of layers
# (export/suggestions.py), one record per article, and only the formats that write records as they are
# (jsonl, json) take it: a door that can write them says so (parse_filters' `suggestions`).
LAYER_STATUSES = ("submitted", "gold", "all")
SUGGESTIONS = "suggestions"
STATUSES = (*LAYER_STATUSES, SUGGESTIONS)

# An unencoded "+" in a query string arrives as a space: "...T10:00:00 02:00".
_SPACE_FOR_PLUS = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+) (\d\d(?::?\d\d)?)$")


class FilterError(ValueError):
    """One filter value is unusable; `parameter` names it for the 400 response."""

    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


@dataclass(frozen=True)
class ExportFilters:
    status: str = "submitted"
    annotator: str | None = None  # a username
    updated_since: dt.datetime | None = None  # aware, UTC
    article: str | None = None  # an external id
    # status=suggestions only: these recommenders' suggestions (all when empty), scoring at least min_score.
    recommenders: tuple[str, ...] = ()
    min_score: float | None = None
    # include=comments: each layer's discussion threads with their comments (export/comments.py); never by
    # default, and only where records are written as they are (jsonl, json).
    comments: bool = False

    @property
    def suggestions(self) -> bool:
        return self.status == SUGGESTIONS

    def q(self) -> Q:
        """The condition on Annotation rows (the project condition is the caller's)."""
        if self.suggestions:
            # Suggestions are no layers: a door that reads layers must not be handed these filters.
            raise ValueError("status=suggestions selects suggestions, not layers (export/suggestions.py)")
        condition = Q()
        if self.status == "submitted":
            condition &= Q(is_gold=False, status=Annotation.Status.SUBMITTED)
        elif self.status == "gold":
            condition &= Q(is_gold=True, status=Annotation.Status.ADJUDICATED)
        if self.annotator is not None:
            condition &= Q(annotator__username=self.annotator)
        if self.updated_since is not None:
            condition &= Q(updated_at__gte=self.updated_since)
        if self.article is not None:
            condition &= Q(article__external_id=self.article)
        return condition

    def canonical(self) -> str:
        """A stable text form, part of the ETag: the same filters always give the same string."""
        since = self.updated_since.isoformat() if self.updated_since else ""
        # Encoded, so that a "&" inside a username cannot make two filter sets read alike.
        # The suggestion filters only when set, so that the layers' exports keep the ETags they had.
        extra = {"recommender": ",".join(self.recommenders)} if self.recommenders else {}
        if self.min_score is not None:
            extra["min_score"] = repr(self.min_score)
        if self.comments:
            extra["include"] = "comments"
        return urlencode({"status": self.status, "annotator": self.annotator or "", "updated_since": since,
                          "article": self.article or "", **extra})

    def suggestion_q(self) -> Q:
        """The condition on SuggestedSpan, SuggestedRelation and SuggestedStance rows (the project's is the
        caller's)."""
        condition = Q()
        if self.recommenders:
            condition &= Q(recommender__in=self.recommenders)
        if self.min_score is not None:
            condition &= Q(score__gte=self.min_score)
        return condition


def parse_datetime(raw: str) -> dt.datetime:
    """An ISO 8601 date or datetime; naive values are UTC."""
    text = raw.strip()
    text = _SPACE_FOR_PLUS.sub(r"\1+\2", text)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FilterError("updated_since", f"must be an ISO 8601 date or datetime (e.g. 2025-06-01T12:00:00Z), "
                                           f"got {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _recommenders(params: Mapping[str, str]) -> tuple[str, ...]:
    """`recommender`, repeated (a query string's getlist) or comma-separated, in the order given."""
    getlist = getattr(params, "getlist", None)
    values = getlist("recommender") if getlist is not None else [params.get("recommender") or ""]
    names = [name.strip() for value in values for name in (value or "").split(",")]
    if any("\x00" in name for name in names):  # each repeated value, not only the one get() returns
        raise FilterError("recommender", "must not contain NUL characters")
    return tuple(dict.fromkeys(name for name in names if name))


def _min_score(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not 0.0 <= value <= 1.0:  # also NaN, which compares false with everything
        raise FilterError("min_score", f"must be a number from 0 to 1, got {raw!r}")
    return value


def _known_recommenders(project: Project, names: tuple[str, ...]) -> None:
    """Each name is a recommender of the project, or has suggestions in it (an imported model's name)."""
    known = set(Recommender.objects.filter(project=project, name__in=names).values_list("name", flat=True))
    for model in (SuggestedSpan, SuggestedStance):  # a relation always has spans of its recommender
        missing = set(names) - known
        if not missing:
            break
        known |= set(model.objects.filter(article__project=project, recommender__in=missing)
                     .values_list("recommender", flat=True).distinct())
    missing = [name for name in names if name not in known]
    if missing:
        raise FilterError("recommender", f"no recommender {missing[0]!r} in project {project.slug!r}")


INCLUDES = ("comments",)


def _include_comments(params: Mapping[str, str], *, status: str, records: bool) -> bool:
    """`include=comments` (the one thing `include` adds so far), from the doors that write records as they are
    (`records`: the jsonl and json exports)."""
    asked = [name.strip() for name in (params.get("include") or "").split(",") if name.strip()]
    for name in asked:
        if name not in INCLUDES:
            raise FilterError("include", f"must be one of {', '.join(INCLUDES)}, got {name!r}")
    if not asked:
        return False
    if not records:
        raise FilterError("include", "comments are exported in jsonl or json records only (export/jsonl?include="
                                     "comments)")
    if status == SUGGESTIONS:
        raise FilterError("include", "comments belong to layers, not suggestions (status=suggestions)")
    return True


def parse_filters(params: Mapping[str, str], *, project: Project, suggestions: bool = False) -> ExportFilters:
    """ExportFilters from text values (missing or empty means "not filtered"), or FilterError.

    The annotator, the article and the recommenders must exist in `project`:
    a misspelt name would otherwise give an empty export that looks like
    "nothing new". `suggestions`: whether the caller can write status=suggestions
    (the jsonl and json exports); every other door refuses it here.
    """
    for name in ("status", "annotator", "updated_since", "article", "recommender", "min_score", "include"):
        if "\x00" in (params.get(name) or ""):
            # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the query.
            raise FilterError(name, "must not contain NUL characters")
    status = (params.get("status") or "submitted").strip()
    if status not in STATUSES:
        raise FilterError("status", f"must be one of {', '.join(STATUSES)}, got {status!r}")
    recommenders = _recommenders(params)
    raw_score = (params.get("min_score") or "").strip()
    if status != SUGGESTIONS:
        for name, given in (("recommender", recommenders), ("min_score", raw_score)):
            if given:
                raise FilterError(name, "filters suggestions: use it with status=suggestions")
    else:
        if not suggestions:
            raise FilterError("status", "suggestions are exported as jsonl or json records only "
                                        "(export/jsonl?status=suggestions)")
        for name in ("annotator", "updated_since"):
            if (params.get(name) or "").strip():
                # Suggestions have no annotator, and no withdrawals to make an incremental pull exact.
                raise FilterError(name, "filters layers, not suggestions (status=suggestions)")
        if recommenders:
            _known_recommenders(project, recommenders)
    comments = _include_comments(params, status=status, records=suggestions)
    since = (params.get("updated_since") or "").strip()
    updated_since = parse_datetime(since) if since else None
    annotator = (params.get("annotator") or "").strip() or None
    if annotator is not None:
        known = get_user_model().objects.filter(
            Q(memberships__project=project) | Q(annotations__article__project=project), username=annotator
        )
        if not known.exists():
            raise FilterError("annotator", f"no annotator {annotator!r} in project {project.slug!r}")
    article = (params.get("article") or "").strip() or None
    if article is not None and not project.articles.filter(external_id=article).exists():
        raise FilterError("article", f"no article with external_id {article!r} in project {project.slug!r}")
    return ExportFilters(
        status=status,
        annotator=annotator,
        updated_since=updated_since,
        article=article,
        recommenders=recommenders,
        min_score=_min_score(raw_score) if raw_score else None,
        comments=comments,
    )
