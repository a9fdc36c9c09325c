"""Run slow work (a network, a recording's read and precomputation) off the GUI thread.

A :class:`Worker` is one thread that its owner (a widget) gives tasks to. A task
touches no widget; what it returns is delivered to a callback in the GUI
thread by a timer of the owner's, which polls the finished tasks. A task is
cancelled by forgetting it: its result, when it comes, is dropped (a network
call cannot be interrupted). Nothing is delivered once the owner is gone (the
timer dies with it; the idle thread ends with the interpreter).

The two uses of the windows share this one implementation: a task whose
result is awaited ("Label automatically", loading the recording asked for)
and a task whose result is picked up later or never (the recordings loaded
ahead).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from mne.utils import logger
from qtpy.QtCore import QObject, QTimer

#: how often the GUI thread looks for a finished task (ms): short beside a
#: key press, long beside the timer's own cost
_POLL_MS = 20


class Job:
    """A task given to a :class:`Worker`.

    Parameters
    ----------
    future : concurrent.futures.Future
        The future of the task.
    """

    def __init__(self, future: Future) -> None:
        self.future = future
        self._callbacks: tuple[Callable, Callable] | None = None

    def done(self) -> bool:
        """Whether the task finished (or was cancelled before it started)."""
        return self.future.done()

    def result(self):
        """Wait for the task and return its result (raise its exception)."""
        return self.future.result()

    @property
    def awaited(self) -> bool:
        """Whether a callback waits for the result."""
        return self._callbacks is not None

    def ignore(self) -> None:
        """Call no callback; the task goes on (:meth:`result` still gives it)."""
        self._callbacks = None

    def cancel(self) -> None:
        """Forget the task: no callback is called; a task not started never runs."""
        self.future.cancel()
        self._callbacks = None


class Worker(QObject):
    """One worker thread, and the delivery of its results in the GUI thread.

    Parameters
    ----------
    parent : QObject
        The owner: the timer is its child, so nothing is delivered after it
        is gone.
    name : str
        The thread's name (seen in a debugger or py-spy).
    """

    def __init__(self, parent: QObject, name: str = "mne-icalabel") -> None:
        super().__init__(parent)
        self._name = name
        self._pool: ThreadPoolExecutor | None = None  # started by the first task
        self._awaited: list[Job] = []
        self._timer = QTimer(self)
        self._timer.setInterval(_POLL_MS)
        self._timer.timeout.connect(self._poll)

    def submit(
        self,
        func: Callable,
        *args,
        on_done: Callable | None = None,
        on_error: Callable | None = None,
    ) -> Job:
        """Run ``func(*args)`` in the thread (after the tasks given before).

        Parameters
        ----------
        func : callable
            The task; it must not touch a widget.
        *args
            Its arguments.
        on_done, on_error : callable | None
            Called in the GUI thread with the result, or the exception the task
            raised; None: the result is picked up later (:meth:`Job.result`).

        Returns
        -------
        job : Job
            The task.
        """
        if self._pool is None:  # the first task, or the first after shutdown
            self._pool = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=self._name
            )
        job = Job(self._pool.submit(func, *args))
        if on_done is not None:
            self.deliver(job, on_done, on_error)
        return job

    def deliver(
        self, job: Job, on_done: Callable, on_error: Callable | None = None
    ) -> None:
        """Call ``on_done(result)`` (or ``on_error(exception)``) here when ``job`` ends.

        A job that finished already is delivered at the next poll, never from
        within this call.
        """
        job._callbacks = (on_done, on_error or _log_error)
        if job not in self._awaited:
            self._awaited.append(job)
        self._timer.start()

    def wait(self, job: Job) -> None:
        """Block until ``job`` ends, then deliver it now (scripts and tests)."""
        try:
            job.future.result()
        except BaseException:  # delivered to on_error below
            pass
        self._poll()

    def shutdown(self) -> None:
        """Forget every task; the thread ends when its running task does.

        Nothing is delivered after this. A task submitted later starts a
        new thread (a closed window shown again).
        """
        for job in self._awaited:
            job.cancel()
        self._awaited.clear()
        self._timer.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    @property
    def polling(self) -> bool:
        """Whether the delivery timer runs (a task's result is awaited)."""
        return self._timer.isActive()

    def _poll(self) -> None:
        self._awaited = [job for job in self._awaited if job.awaited]
        finished = [job for job in self._awaited if job.done()]
        self._awaited = [job for job in self._awaited if not job.done()]
        if not self._awaited:
            self._timer.stop()
        for job in finished:
            if not job.awaited:  # cancelled by an earlier callback of this poll
                continue
            on_done, on_error = job._callbacks
            job._callbacks = None
            if job.future.cancelled():
                continue
            error = job.future.exception()
            if error is not None:
                on_error(error)
            else:
                on_done(job.future.result())


def _log_error(error: BaseException) -> None:
    logger.info(f"A background task failed: {error}")
