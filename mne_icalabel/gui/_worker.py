"""Run slow work (a network, a recording's precomputation) off the GUI thread.

One worker thread per owner: the work runs there and touches no widget; a
timer of the owner's polls the result and calls back in the GUI thread. A
task can be cancelled (its result, when it comes, is dropped: a network call
cannot be interrupted), and nothing calls back once the owner is gone (the
timer dies with it; the idle worker thread ends with the interpreter).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from mne.utils import logger
from qtpy.QtCore import QObject, QTimer

#: how often the GUI thread looks for a finished task (ms): short beside a
#: key press, long beside the timer's own cost
_POLL_MS = 20


class BackgroundTask(QObject):
    """One task at a time in a worker thread, its callbacks in the GUI thread.

    Parameters
    ----------
    parent : QObject
        The owner: the timer is its child, so nothing runs after it is gone.
    """

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mne-ica")
        self._future: Future | None = None
        self._callbacks: tuple[Callable, Callable] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(_POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def busy(self) -> bool:
        """Whether a task runs whose result will be delivered."""
        return self._future is not None

    def submit(
        self, func: Callable, on_done: Callable, on_error: Callable, *args
    ) -> None:
        """Run ``func(*args)`` in the worker, then ``on_done(result)`` here.

        ``on_error(exception)`` is called instead if it raised. A task still
        running is cancelled first (its result dropped).
        """
        self.cancel()
        self._future = self._pool.submit(func, *args)
        self._callbacks = (on_done, on_error)
        self._timer.start()

    def cancel(self) -> None:
        """Forget the running task: its result, when it comes, is dropped."""
        if self._future is not None:
            self._future.cancel()  # only stops a task that has not started
            logger.info("Cancelled the background task; its result is dropped.")
        self._future = self._callbacks = None
        self._timer.stop()

    def shutdown(self) -> None:
        """Cancel and let the worker thread end when its task does."""
        self.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _poll(self) -> None:
        future = self._future
        if future is None or not future.done():
            return
        on_done, on_error = self._callbacks
        self._future = self._callbacks = None
        self._timer.stop()
        error = future.exception()
        if error is not None:
            on_error(error)
        else:
            on_done(future.result())
