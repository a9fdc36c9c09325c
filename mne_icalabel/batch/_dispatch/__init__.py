"""Run per-recording jobs in local processes (loky) or on a Dask cluster.

One engine for every dataset-wide step (``bids`` today, ``apply`` next):

1. **Client pre-flight** (:func:`preflight_client`): the packages the jobs
   need are imported, the labelling backends resolved, the weights of each
   method + backend located and verified here. Any problem raises one error
   before anything is dispatched. The result, a :class:`JobSettings`, is what
   travels with every job: the backends, where the client found the weights
   and their SHA256, the package version, the BLAS threads.
2. **Worker pre-flight** (Dask only, :meth:`JobRunner.__enter__`): every
   connected worker runs :func:`_prepare_worker`, which imports the same
   packages, finds the weights (at the client's path, or in its own cache),
   loads the networks and limits its BLAS threads. A worker that cannot read
   the weights receives the verified bytes once and installs them into its
   local cache, verified there by SHA256. A worker that fails gets one message
   (which worker, what is missing, how to fix it) and no job; the jobs are
   restricted to the healthy workers with ``workers=``.
3. **Dispatch** (:meth:`JobRunner.run`): each job is a call
   ``func(*arguments)`` returning its summary row (a dict with a
   ``"recording"`` key) and never raising; a job lost with its process
   (crash, cluster gone) becomes a ``failed`` row. On Dask, the scheduler
   runs the job of a worker that died again on another healthy worker; a
   result is released as soon as its row is received, so that a worker
   dying later does not make the scheduler run a finished job again.

Local ``loky`` processes inherit the client's environment and file system,
so the client pre-flight covers them.
"""

from ._jobqueue import JobqueueCluster
from ._runner import WAIT_FOR_WORKERS, JobRunner, _connect
from ._settings import JobSettings, check_n_jobs, preflight_client
from ._worker import _prepare_worker, _worker_state
