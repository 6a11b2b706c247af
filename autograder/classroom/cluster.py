"""The same per-student jobs on a Dask distributed cluster (a scheduler address, or a LocalCluster in tests).

Workers need the course kit at the same path as here and read access to the submissions (a shared file
system, as on SLURM with dask-jobqueue); results come back to this process, which stores them.
A job graded on `cuda` asks for the worker resource GPU=1, so that two jobs never share one GPU by accident:
start GPU workers with `--resources GPU=1` (one per GPU).
"""

from __future__ import annotations

from typing import Iterator

from autograder.classroom.job import Job, run_job
from autograder.classroom.store import Outcome, Store


def resources_for(job: Job) -> dict[str, float] | None:
    """The worker resources a job needs: one GPU for cuda grading, nothing otherwise."""
    return {"GPU": 1} if job.settings.device == "cuda" else None


def run_cluster(jobs: list[Job], address: object, store: Store) -> Iterator[tuple[Job, Outcome | str]]:
    """Submit every job to the scheduler at `address`; store and yield (job, outcome or error) as they finish."""
    if not jobs:
        return
    from distributed import Client, as_completed

    with Client(address) as client:
        futures = {client.submit(run_job, job, key=f"grade-{job.student.id}-{job.submission_hash[:12]}",
                                 resources=resources_for(job), pure=False, retries=1): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the grader failed on this submission, or its worker died twice
                yield job, f"{type(exc).__name__}: {exc}"
                continue
            store.commit(outcome)
            yield job, outcome
