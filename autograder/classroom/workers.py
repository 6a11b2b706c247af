"""A local pool of worker processes, each grading one submission at a time and storing its result itself.

A worker commits a student's results before it reports back, so a parent stopped by Ctrl-C or
SIGKILL loses nothing that was finished. Workers die with the parent. A worker that dies mid-job
is replaced and the job retried once.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
from collections import Counter, deque
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Iterator
from unittest import mock

from autograder.classroom.job import ONE_THREAD, Job, one_thread, run_job
from autograder.classroom.store import Outcome, Store

_TRIES = 2
_STOP_GRACE = 30.0
_PR_SET_PDEATHSIG = 1


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _die_with_parent() -> None:
    """SIGTERM this process when its parent dies (Linux), so a killed run leaves no grader behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os._exit(1)


def _worker(conn: Connection, store_root: Path) -> None:
    """Grade the jobs the parent sends, one at a time, until it sends None or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, _interrupt)        # stop grading: the sandboxes are closed, nothing is stored
    _die_with_parent()
    one_thread()
    store = Store(store_root)
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if job is None:
            return
        try:
            outcome = run_job(job)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})   # a commit is never cut in half
            try:
                store.commit(outcome)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            conn.send(outcome)
        except KeyboardInterrupt:
            return
        except Exception as exc:  # the grader itself failed on this submission: report it, keep going
            conn.send(f"{type(exc).__name__}: {exc}")


class _Worker:
    def __init__(self, ctx: mp.context.BaseContext, store_root: Path) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, store_root), name="autograder-grade-all")
        with mock.patch.dict(os.environ, ONE_THREAD):   # from its first import on (numpy loads before _worker runs)
            self.process.start()
        child.close()
        self.job: Job | None = None

    def assign(self, job: Job) -> None:
        self.job = job
        self.conn.send(job)

    def result(self) -> Outcome | str | None:
        """The worker's answer, or None when it died."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return None

    def stop(self) -> None:
        """Ask an idle worker to leave; interrupt a busy one (its current job is not stored)."""
        if self.job is None:
            try:
                self.conn.send(None)
            except OSError:
                pass
        elif self.process.is_alive():
            self.process.terminate()

    def join(self) -> None:
        self.process.join(_STOP_GRACE)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def run_local(jobs: list[Job], workers: int, store: Store) -> Iterator[tuple[Job, Outcome | str]]:
    """Grade `jobs` on `workers` processes; yield (job, stored outcome or error message) as they finish."""
    if not jobs:
        return
    ctx = mp.get_context("spawn")
    pending = deque(jobs)
    tries: Counter[str] = Counter()
    pool = [_Worker(ctx, store.root) for _ in range(min(workers, len(jobs)))]
    try:
        while pending or any(w.job for w in pool):
            for worker in pool:
                if worker.job is None and pending:
                    worker.assign(pending.popleft())
            busy = [w for w in pool if w.job is not None]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for index, worker in enumerate(pool):
                if worker.job is None or not ({worker.conn, worker.process.sentinel} & ready):
                    continue
                job, answer = worker.job, worker.result()
                worker.job = None
                if answer is None:
                    worker.join()
                    pool[index] = _Worker(ctx, store.root)
                    tries[job.student.id] += 1
                    if tries[job.student.id] < _TRIES:
                        pending.appendleft(job)
                        continue
                    answer = f"the grading worker died {_TRIES} times (exit code {worker.process.exitcode})"
                yield job, answer
    finally:
        for worker in pool:
            worker.stop()
        for worker in pool:
            worker.join()
