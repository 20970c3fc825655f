"""What a job's code is given: a way to say how far it is, and to learn that it should stop."""
import threading
import time
from contextlib import contextmanager

from django.conf import settings

from ..models import Job
from . import live

LIVE_LOG_LINES = 200  # the last lines of a running job's log, shown while it runs


class JobCancelled(Exception):
    """Raised inside a job that was asked to stop; its transaction rolls back with it."""


class JobFailed(Exception):
    """A job's expected failure (bad input), with what the user is told: {"message": ..., ...}."""

    def __init__(self, error: dict):
        super().__init__(error.get("message", ""))
        self.error = error


class JobContext:
    """Progress and cancellation for one running job.

    `advance`/`progress` only change numbers in memory (an import calls them per record); a heartbeat
    thread publishes them every JOB_BEAT_SECONDS and picks up a cancel request, which the job's next
    call to `advance`/`progress`/`check` raises as JobCancelled. No database connection is used.
    """

    def __init__(self, job: Job):
        self.job = job
        self.done = 0
        self.total: int | None = None
        self.message = ""
        self.lines: list[str] = []
        self._cancelled = threading.Event()
        self._stopped = threading.Event()

    # The job's side.
    def progress(self, done: int | None = None, total: int | None = None, message: str | None = None) -> None:
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        self.check()

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.check()

    def phase(self, message: str, total: int | None = None) -> None:
        """A new stage of the work: the counter starts again."""
        self.done, self.total, self.message = 0, total, message
        self.log(message)
        self.check()

    def log(self, line: str) -> None:
        self.lines.append(f"{time.strftime('%H:%M:%S')} {line}")

    def check(self) -> None:
        if self._cancelled.is_set():
            raise JobCancelled

    # The runner's side.
    @contextmanager
    def beating(self):
        self._publish()
        thread = threading.Thread(target=self._beat, name=f"job-{self.job.pk}-beat", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stopped.set()
            thread.join()

    def _beat(self) -> None:
        while not self._stopped.wait(settings.JOB_BEAT_SECONDS):
            self._publish()

    def _publish(self) -> None:
        try:
            live.beat(self.job.pk, done=self.done, total=self.total, message=self.message,
                      log="\n".join(self.lines[-LIVE_LOG_LINES:]))
            if live.cancel_asked(self.job.pk):
                self._cancelled.set()
        except Exception:
            pass
