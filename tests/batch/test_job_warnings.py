"""Each summary row lists the warnings of its own job, also for jobs in threads."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

from mne_icalabel.batch._step import Job, run_job


@dataclass(frozen=True)
class _Warns(Job):
    """Warns, waits until the other job warned too, then warns again."""

    barrier: threading.Barrier | None = None

    def run(self):
        warnings.warn(f"{self.key}: first", UserWarning, stacklevel=1)
        self.barrier.wait(timeout=10)
        warnings.warn(f"{self.key}: second", UserWarning, stacklevel=1)
        self.barrier.wait(timeout=10)
        return dict(status="done")


def test_jobs_in_threads_keep_their_own_warnings():
    barrier = threading.Barrier(2)
    rows = {}

    def work(key):
        rows[key] = run_job(_Warns(key, "WARNING", barrier))

    # twice: a second job in the same threads sees the same warnings again
    for _ in range(2):
        threads = [threading.Thread(target=work, args=(k,)) for k in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for key in ("a", "b"):
            assert rows[key]["status"] == "done"
            assert rows[key]["warnings"] == f"{key}: first | {key}: second"


def test_job_in_the_main_thread_leaves_the_filters(recwarn):
    filters = list(warnings.filters)
    row = run_job(_Warns("a", "WARNING", threading.Barrier(1)))
    assert row["warnings"] == "a: first | a: second"
    assert warnings.filters == filters
    assert len(recwarn) == 0  # recorded in the row, not shown
