"""Evaluating a project's recommenders against its layers (annotate/suggestions/evaluation.py), off the request.

The figures read every suggestion and every submitted layer of the project; the job's result is what the
API and the dashboard show (the latest finished one per project), until the next evaluation replaces it.
"""
from ...models import Article, Job
from ...suggestions import evaluation
from ..lifecycle import start
from ..registry import kind


@kind(evaluation.KIND, label="Recommender evaluation")
def run_recommender_evaluation(context) -> dict:
    project = context.job.project
    context.phase("evaluating the recommenders on the layers", total=Article.objects.filter(project=project).count())
    return evaluation.evaluate(project, progress=context.advance)


def start_evaluation(project, *, user=None) -> Job:
    """The project's evaluation job that is queued or running, else a new one: asking twice while one is on its
    way does not queue the same work twice. (Two requests racing may each start one; both give the same.)"""
    active = evaluation.active_evaluation(project)
    if active is not None:
        return active
    return start(evaluation.KIND, user=user, project=project)
