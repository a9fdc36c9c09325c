"""The warnings of one job, also when jobs run side by side in threads.

A summary row lists the warnings its job raised. In the main thread (local
runs) :func:`warnings.catch_warnings` records them. A Dask worker started with
``--nthreads N`` runs N jobs at once in threads, and ``catch_warnings`` swaps
process-wide state (the filters, ``warnings.showwarning``) that each thread
then restores in its own order: a job's warnings landed in another's row, or
in none. There, a hook installed once per process sends each warning to the
list of the thread that raised it, and passes the others on.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_SINK = threading.local()  # .caught: the list of the job running in this thread
_INSTALL = threading.Lock()
_REPLACED = [warnings.showwarning]  # what the hook passes other warnings to


def _hook(message, category, filename, lineno, file=None, line=None) -> None:
    caught = getattr(_SINK, "caught", None)
    if caught is None:  # not a job's thread: as before the hook
        _REPLACED[0](message, category, filename, lineno, file, line)
        return
    caught.append(
        warnings.WarningMessage(message, category, filename, lineno, file, line)
    )


def _install() -> None:
    with _INSTALL:
        # (again if something restored its own showwarning since)
        if warnings.showwarning is _hook:
            return
        _REPLACED[0] = warnings.showwarning
        warnings.showwarning = _hook
        # every occurrence, as catch_warnings' "always" gives a job in the
        # main thread (the default shows one per place and process: the
        # second job of a worker would miss it); this worker's own filters
        # set before stay below
        warnings.simplefilter("always")


@contextmanager
def job_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Yield the list that collects the warnings raised in this job's thread."""
    if threading.current_thread() is threading.main_thread():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught
        return
    _install()
    caught: list[warnings.WarningMessage] = []
    _SINK.caught = caught
    try:
        yield caught
    finally:
        _SINK.caught = None
