"""Counting a project's stale dashboard figures, or recounting them all (services/figures.py)."""
from ...services import figures
from ..registry import kind


@kind("figures", label="Dashboard figures")
def run_figures(context, *, rebuild: bool = False) -> dict:
    project = context.job.project
    if rebuild:
        context.phase("forgetting the figures")
        figures.rebuild(project)
    context.phase("counting the dashboards' figures", total=figures.stale_count(project))
    counted = figures.settle_all(project, progress=context.advance)
    return {"articles_counted": counted, "rebuilt": rebuild}
