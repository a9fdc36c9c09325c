"""Read the recordings of a review ahead, in the review window's worker thread.

The recording shown, the previous and the next are kept read and their plots
computed (:class:`RecordingLoader`), so that moving between them is
immediate; one asked for that is not ready is loaded in the worker while the
window stays usable.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

from mne.utils import logger
from qtpy.QtCore import QObject

from ..review import ReviewQueue
from ..review._prepared import Prepared
from ..review._prepared import prepare_recording_plots as _prepare
from ._worker import Job, Worker

# recordings kept in memory: the one shown, the previous and the next
_CACHE_SIZE = 3


class RecordingLoader:
    """The recordings read (or being read) for the review window.

    Parameters
    ----------
    owner : QObject
        The window: the worker's delivery timer is its child.
    queue : ReviewQueue
        The dataset.
    prefetch : bool
        Read in a worker thread (the next and previous recordings ahead);
        False reads each when it is shown, in the GUI thread.

    Attributes
    ----------
    cache : OrderedDict of int to Job
        The recordings read or being read, by entry index.
    loading : tuple of (int, Job) | None
        The recording being loaded to be shown, and its job.
    """

    def __init__(self, owner: QObject, queue: ReviewQueue, prefetch: bool) -> None:
        self.queue = queue
        self.cache: OrderedDict[int, Job] = OrderedDict()
        self.worker = Worker(owner, "mne-icalabel-review") if prefetch else None
        self.loading: tuple[int, Job] | None = None

    @property
    def loading_index(self) -> int:
        """Entry index of the recording being loaded (-1: none)."""
        return -1 if self.loading is None else self.loading[0]

    def ready(self, index: int) -> bool:
        """Whether a recording can be shown now (read already, or no worker)."""
        job = self.cache.get(index)
        return self.worker is None or (job is not None and job.done())

    def start(self, index: int, on_done: Callable, on_error: Callable) -> None:
        """Load a recording in the worker; deliver it to ``on_done`` here.

        Its headers are read here (warnings are global), which raises if it
        cannot be read; its data are prepared in the thread.
        """
        job = self.cache.get(index)
        if job is None:
            loaded = self.queue.read(index)
            job = self.worker.submit(_prepare, self.queue, loaded)
            self.cache[index] = job
        self.loading = (index, job)
        self.worker.deliver(job, on_done, on_error)

    def stop(self) -> None:
        """Forget the recording being loaded (its job stays, as a prefetch)."""
        if self.loading is not None:
            self.loading[1].ignore()  # not delivered; still a prefetch
            self.loading = None

    def cancel(self) -> int:
        """Stop loading the recording asked for; return its index (-1: none)."""
        if self.loading is None:
            return -1
        index, job = self.loading
        self.stop()
        job.cancel()
        self.cache.pop(index, None)
        return index

    def wait(self) -> None:
        """Wait until the recording being loaded is delivered."""
        if self.loading is not None:
            self.worker.wait(self.loading[1])

    def drop(self, index: int, cancel: bool = False) -> None:
        """Forget a recording read (e.g. changed since); ``cancel`` its job."""
        job = self.cache.pop(index, None)
        if job is not None and cancel:
            job.cancel()

    def get(self, index: int) -> Prepared:
        """Return the recording, from the cache (if still up to date) or read now."""
        job = self.cache.pop(index, None)
        prepared = None
        if job is not None:
            try:
                prepared = job.result()
            except Exception as error:  # read again, to report it
                logger.info(f"Loading in the background failed: {error}")
            if prepared is not None and self.queue.changed_on_disk(prepared.loaded):
                prepared = None  # written by someone else since: read it again
        if prepared is None:
            prepared = _prepare(self.queue, self.queue.read(index))
        done: Future = Future()
        done.set_result(prepared)
        self.cache[index] = Job(done)
        return prepared

    def prefetch(self, wanted: list[int]) -> None:
        """Keep ``wanted`` (the one shown first) read; forget the others."""
        for index in list(self.cache):
            if index not in wanted and index != self.loading_index:
                self.cache.pop(index).cancel()
        if self.worker is None:
            return
        for index in wanted[1:_CACHE_SIZE]:
            if index in self.cache:
                continue
            try:  # the headers here (warnings are global), the data in the thread
                loaded = self.queue.read(index)
            except Exception as error:  # reported when the recording is shown
                logger.info(f"Could not read {self.queue.entries[index].key}: {error}")
                continue
            self.cache[index] = self.worker.submit(_prepare, self.queue, loaded)

    def wait_prefetch(self) -> None:
        """Wait until the recordings being read ahead are read."""
        for job in list(self.cache.values()):
            try:
                job.result()
            except BaseException:  # reported when the recording is shown
                pass

    def shutdown(self) -> None:
        """Stop: forget every recording; the thread ends with its running task."""
        self.stop()
        if self.worker is not None:
            self.worker.shutdown()
        self.cache.clear()
