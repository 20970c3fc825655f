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

from ..models import Annotation, Project

STATUSES = ("submitted", "gold", "all")

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

    def q(self) -> Q:
        """The condition on Annotation rows (the project condition is the caller's)."""
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
        return urlencode({"status": self.status, "annotator": self.annotator or "", "updated_since": since,
                          "article": self.article or ""})


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


def parse_filters(params: Mapping[str, str], *, project: Project) -> ExportFilters:
    """ExportFilters from text values (missing or empty means "not filtered"), or FilterError.

    The annotator and the article must exist in `project`: a misspelt name
    would otherwise give an empty export that looks like "nothing new".
    """
    for name in ("status", "annotator", "updated_since", "article"):
        if "\x00" in (params.get(name) or ""):
            # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the query.
            raise FilterError(name, "must not contain NUL characters")
    status = (params.get("status") or "submitted").strip()
    if status not in STATUSES:
        raise FilterError("status", f"must be one of {', '.join(STATUSES)}, got {status!r}")
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
    )
