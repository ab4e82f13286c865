"""Background jobs: numbered progress lines, outcomes, failures that still end the job."""

from __future__ import annotations

import time

from goshfile.errors import EngineError
from goshfile.ui.jobs import MAX_LINES, Job, Jobs, JobState, Outcome, Progress
from goshfile.ui.tasks import byte_progress


def finished(job: Job) -> Job:
    for _ in range(500):
        if job.state is not JobState.RUNNING:
            return job
        time.sleep(0.01)
    raise AssertionError("the job did not end")


def test_a_job_reports_numbered_lines_and_its_outcome() -> None:
    def work(progress: Progress) -> Outcome:
        progress("step one\n")
        progress("with \x1b[31mcolour\x1b[0m")
        return Outcome("done", ("detail",))

    jobs = Jobs()
    job = finished(jobs.start("validate", "app:1", work))
    lines, done = job.since(0)
    assert done and job.state is JobState.SUCCEEDED and job.outcome == Outcome("done", ("detail",))
    assert [text for _, text in lines] == ["queued validate of app:1", "step one", "with  [31mcolour [0m"]
    assert job.since(2)[0] == [(2, "with  [31mcolour [0m")]
    assert jobs.for_image("app:1") == [job] and jobs.for_image("other") == []


def test_a_failing_or_broken_job_ends_failed_with_a_reason() -> None:
    def unreachable(progress: Progress) -> Outcome:
        raise EngineError("cannot reach the Docker engine")

    def broken(progress: Progress) -> Outcome:
        raise KeyError("secret-looking detail")

    jobs = Jobs()
    one = finished(jobs.start("validate", "a", unreachable))
    two = finished(jobs.start("hashes", "b", broken))
    assert one.state is JobState.FAILED and one.outcome is not None
    assert one.outcome.verdict == "could not finish: cannot reach the Docker engine"
    assert two.outcome is not None and two.outcome.verdict == "internal error: KeyError"  # no message echoed
    assert jobs.all() == [two, one]


def test_a_long_log_keeps_its_last_lines_and_their_numbers() -> None:
    job = Job("x", "validate", "app")
    for n in range(MAX_LINES + 5):
        job.add(f"line {n}")
    lines, _ = job.since(0)
    assert (
        len(lines) == MAX_LINES and lines[0] == (5, "line 5") and lines[-1] == (MAX_LINES + 4, f"line {MAX_LINES + 4}")
    )


def test_byte_progress_reports_every_step_and_the_end() -> None:
    seen: list[str] = []
    report = byte_progress(seen.append, step=50)
    for done in (0, 10, 60, 99, 100):
        report(done * 1_000_000, 100_000_000)
    assert seen == [
        "read 60.0 of 100.0 MB of layers (60%)",
        "read 100.0 of 100.0 MB of layers (100%)",
    ]
