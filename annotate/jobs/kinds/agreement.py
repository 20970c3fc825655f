"""An agreement report narrowed by annotators, articles or labels: computed from the layers, off the request.

The unfiltered report is read from kept sums (agreement/tally.py) and answers at once on the API; a
narrowed one reads every layer it covers, which on a large project takes longer than a request may.
"""
from ... import dashboards
from ..registry import kind


@kind("agreement", label="Agreement report")
def run_agreement(context, *, annotators: list[str] | None = None, articles: list[int] | None = None,
                  labels: list[str] | None = None) -> dict:
    context.phase("computing the agreement report")
    # The job reads what a request does not: the article questions' figures over every answer.
    return dashboards.agreement(context.job.project, annotators=annotators, articles=articles, labels=labels,
                                with_article_labels=True)
