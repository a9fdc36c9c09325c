"""How many threads a compute step of this process may use."""

from __future__ import annotations

import os


def n_threads() -> int:
    """Return the number of threads for a pool of compute threads.

    The CPUs this process may run on (its affinity mask, e.g. under ``taskset``
    or a batch scheduler), capped by ``OMP_NUM_THREADS`` when it is set to a
    positive integer, as joblib's worker processes and most job schedulers do.
    torch follows ``OMP_NUM_THREADS`` itself; onnxruntime and a
    ``ThreadPoolExecutor`` do not, so without this cap they would start one
    thread per core of the machine in each of several worker processes.

    Returns
    -------
    n_threads : int
        At least 1.
    """
    try:
        n_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n_cpus = os.cpu_count() or 1
    # OpenMP allows a list ("4,2": per nesting level); the first is the outer one
    limit = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if limit.isdigit() and int(limit) > 0:
        n_cpus = min(n_cpus, int(limit))
    return max(1, n_cpus)
