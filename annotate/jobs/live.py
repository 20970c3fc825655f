"""What a running job says while it runs: progress, heartbeat and cancel requests, through the jobs cache.

Not through the job's row: an import holds one transaction for its whole length (on SQLite, the write
lock too), so a progress write on the row would either join that transaction (invisible until the end)
or wait for it. The jobs cache (settings.CACHES["jobs"]: Redis beside RQ, files beside the database
worker) is shared by every web process and worker, and a lost entry costs a progress bar, never data.
"""
import time

from django.conf import settings
from django.core.cache import caches


def _cache():
    return caches["jobs"]


def _beat_key(job_id: int) -> str:
    return f"job:{job_id}:beat"


def _cancel_key(job_id: int) -> str:
    return f"job:{job_id}:cancel"


def beat(job_id: int, *, done: int, total: int | None, message: str, log: str = "") -> None:
    """The job is alive and this far along, with its log so far (written by its heartbeat thread)."""
    keep = max(settings.JOB_STALE_SECONDS * 10, 3600)
    _cache().set(_beat_key(job_id), {"done": done, "total": total, "message": message, "log": log,
                                     "at": time.time()}, keep)


def last_beat(job_id: int) -> dict | None:
    return _cache().get(_beat_key(job_id))


def last_beats(job_ids) -> dict[int, dict]:
    found = _cache().get_many([_beat_key(job_id) for job_id in job_ids])
    return {int(key.split(":")[1]): value for key, value in found.items()}


def forget(job_id: int) -> None:
    _cache().delete_many([_beat_key(job_id), _cancel_key(job_id)])


def ask_to_cancel(job_id: int) -> None:
    _cache().set(_cancel_key(job_id), True, 7 * 24 * 3600)


def cancel_asked(job_id: int) -> bool:
    return bool(_cache().get(_cancel_key(job_id)))


def is_silent(beat: dict | None, started: float | None, now: float) -> bool:
    """Whether a running job has stopped beating: its worker died or lost its connection."""
    last = beat["at"] if beat else started
    return last is not None and now - last > settings.JOB_STALE_SECONDS
