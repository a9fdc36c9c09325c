"""Run "Label automatically" in a worker thread: the window stays usable.

The network runs the review model's :class:`~mne_icalabel.review.LabellingTask`
in the view's :class:`~._worker.Worker`; its result is applied to the model
(:meth:`~mne_icalabel.review.ComponentsReview.apply_labels`) in the GUI
thread, and only if the view still shows that model: a result that arrives
after another recording was opened, or after a cancel, is dropped, as is one
that arrives after the recording became read-only (the model refuses it).
"""

from __future__ import annotations

from collections.abc import Callable

from mne.utils import logger
from qtpy.QtWidgets import QMessageBox, QPushButton, QWidget

from ..review import ComponentsReview
from ._worker import Job, Worker

_TITLE = "Label automatically"


class BackgroundLabelling:
    """The "Label automatically" button of a view, and the labelling it runs.

    Parameters
    ----------
    parent : QWidget
        The view: parent of the message boxes.
    worker : Worker
        The view's worker thread.
    button : QPushButton
        The button; it reads "Cancel labelling" while the networks run.
    current : callable
        Returns the model the view shows (None: none).
    """

    def __init__(
        self,
        parent: QWidget,
        worker: Worker,
        button: QPushButton,
        current: Callable[[], ComponentsReview | None],
    ) -> None:
        self._parent, self._worker = parent, worker
        self._button, self._current = button, current
        self.job: Job | None = None

    @property
    def running(self) -> bool:
        """Whether the networks run."""
        return self.job is not None

    def toggle(self) -> None:
        """Start labelling the recording shown, or cancel the running labelling."""
        if self.running:  # the button reads "Cancel labelling"
            self.cancel()
            return
        try:
            model = self._current()
            if model is None:
                raise RuntimeError("No recording is shown: call set_recording first.")
            task = model.labelling_task()
        except Exception as error:
            self._failed(error)
            return

        def done(result) -> None:
            self._done()
            if self._current() is not model:  # another recording meanwhile
                logger.info("Dropped the labels of a recording no longer shown.")
                return
            try:
                messages = model.apply_labels(task, result)
            except RuntimeError as error:  # read-only since it started
                logger.info(str(error))
                QMessageBox(
                    QMessageBox.Icon.Information,
                    _TITLE,
                    str(error),
                    parent=self._parent,
                ).open()
                return
            if messages:
                text = "The network warned:\n" + "\n".join(messages)
                QMessageBox(
                    QMessageBox.Icon.Warning, _TITLE, text, parent=self._parent
                ).open()

        def failed(error) -> None:
            self._done()
            if self._current() is model:
                self._failed(error)

        self._button.setText("Cancel labelling")
        self.job = self._worker.submit(task.run, on_done=done, on_error=failed)

    def cancel(self) -> None:
        """Stop waiting for the running labelling: its result is dropped."""
        if self.job is not None:
            self.job.cancel()
            logger.info("Cancelled the automatic labelling; its result is dropped.")
            self._done()

    def _done(self) -> None:
        self.job = None
        self._button.setText("Label automatically")

    def _failed(self, error: Exception) -> None:
        text = f"Automatic labelling failed: {error}"
        logger.error(text)
        QMessageBox(
            QMessageBox.Icon.Critical, _TITLE, text, parent=self._parent
        ).open()  # not modal: never blocks the event loop
