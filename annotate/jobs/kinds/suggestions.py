"""Running a project's recommenders as a job: training the trainable ones when due, then suggesting for
every article (or those given), with progress by article (annotate/suggestions/running.py)."""
from ...suggestions import running
from ..context import JobFailed
from ..lifecycle import start
from ..registry import kind


def start_suggestions(project, *, user=None, recommenders: list[str] | None = None,
                      articles: list[int] | None = None, retrain: bool = False):
    return start("suggestions", user=user, project=project,
                 arguments={"recommenders": recommenders, "articles": articles, "retrain": retrain})


@kind("suggestions", label="Suggestions")
def run_suggestions(context, *, recommenders: list[str] | None = None, articles: list[int] | None = None,
                    retrain: bool = False) -> dict:
    project = context.job.project
    context.phase("suggesting", total=running.article_count(project, articles))
    try:
        outcomes = running.run(project, names=recommenders, article_ids=articles, retrain=retrain,
                               progress=context.advance, log=context.log, check=context.check)
    except LookupError as error:
        raise JobFailed({"message": str(error)}) from None
    result = {name: outcome.as_dict() for name, outcome in outcomes.items()}
    if outcomes and all(outcome.errors and not outcome.articles for outcome in outcomes.values()):
        raise JobFailed({"message": "every recommender failed: " + "; ".join(
            f"{name}: {outcome.errors[0]}" for name, outcome in outcomes.items()), "recommenders": result})
    return {"recommenders": result}
