"""Long work started from the dashboard (validations, content hashes), each with its own log and page.

A :class:`Job` runs on a worker thread; what it reports through its progress
callback is kept as numbered lines, so a page opened late (or reopened) shows
everything from the start and a live stream can resume from any line.
Several jobs run at once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from goshfile.errors import GoshfileError

Progress = Callable[[str], None]
MAX_LINES = 5000  # a build's log beyond this keeps its last lines


class JobState(StrEnum):
    """Where a job is."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    """How a job ended: a one-line verdict and detail lines (e.g. the differing paths)."""

    verdict: str
    details: tuple[str, ...] = ()
    ok: bool = True


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Job:
    """One piece of background work and what it has reported so far."""

    id: str
    kind: str  # "validate" or "hashes"
    image: str
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    state: JobState = JobState.RUNNING
    outcome: Outcome | None = None
    lines: list[str] = field(default_factory=list)
    dropped: int = 0  # lines dropped from the front (MAX_LINES)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def add(self, line: str) -> None:
        """Record one progress line (control characters removed)."""
        clean = "".join(c if c >= " " or c == "\t" else " " for c in line.rstrip("\n"))
        with self._changed:
            self.lines.append(clean)
            if len(self.lines) > MAX_LINES:
                del self.lines[0]
                self.dropped += 1
            self._changed.notify_all()

    def finish(self, state: JobState, outcome: Outcome) -> None:
        """Mark the job done."""
        with self._changed:
            self.state, self.outcome, self.finished_at = state, outcome, _now()
            self._changed.notify_all()

    def since(self, index: int, wait: float = 0.0) -> tuple[list[tuple[int, str]], bool]:
        """Lines numbered from ``index`` on (waiting up to ``wait`` s for one), and whether the job is done."""
        with self._changed:
            if wait and self.dropped + len(self.lines) <= index and self.state is JobState.RUNNING:
                self._changed.wait(wait)
            start = max(index, self.dropped)
            lines = [(n, self.lines[n - self.dropped]) for n in range(start, self.dropped + len(self.lines))]
            return lines, self.state is not JobState.RUNNING


Work = Callable[[Progress], Outcome]


class Jobs:
    """The jobs of one dashboard process, newest first."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="goshfile-ui-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, image: str, work: Work) -> Job:
        """Run ``work`` in the background; it reports through the callback it is given."""
        job = Job(uuid.uuid4().hex[:16], kind, image)
        with self._lock:
            self._jobs[job.id] = job
        job.add(f"queued {kind} of {image}")
        self._pool.submit(self._run, job, work)
        return job

    @staticmethod
    def _run(job: Job, work: Work) -> None:
        try:
            outcome = work(job.add)
        except GoshfileError as exc:
            job.finish(JobState.FAILED, Outcome(f"could not finish: {' '.join(str(exc).split())}", ok=False))
        except Exception as exc:  # a bug must still end the job, not leave it running forever
            job.finish(JobState.FAILED, Outcome(f"internal error: {type(exc).__name__}", ok=False))
        else:
            job.finish(JobState.SUCCEEDED if outcome.ok else JobState.FAILED, outcome)

    def get(self, job_id: str) -> Job | None:
        """The job with this ID."""
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        """Every job, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def for_image(self, image: str) -> list[Job]:
        """The jobs about ``image``, newest first."""
        return [job for job in self.all() if job.image == image]

    def shutdown(self) -> None:
        """Stop taking work; running jobs finish in the background."""
        self._pool.shutdown(wait=False, cancel_futures=True)
