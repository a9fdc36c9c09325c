"""The Qt window to review the labels of a whole BIDS dataset.

A view over a :class:`~mne_icalabel.review.DatasetReview` (the recordings,
their state, the recording shown, the guard against a running ``bids``): the
recording list on the left, the :class:`~._component_view.ComponentView` of
the recording shown, and the recordings read ahead by a
:class:`~._review_loader.RecordingLoader`.
"""

from __future__ import annotations

from functools import partial
from html import escape

from mne.utils import logger
from qtpy.QtCore import Qt, QTimer
from qtpy.QtGui import QKeySequence, QShortcut
from qtpy.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from ..review import DatasetReview, LoadedRecording, RecordingEntry, TSVChangedError
from ..review._saving import default_author
from ..utils._docs import fill_doc
from ._component_view import ComponentView
from ._kept_while_shown import KeptWhileShown
from ._progress import ProgressStrip
from ._recording_list import RecordingList
from ._review_loader import RecordingLoader

_TITLE = "ICA Review"
_HELP = (
    "<b>Review</b><br>"
    "Ctrl+S: save this recording<br>"
    "PgDn / PgUp: next / previous recording<br>"
    "<span style='color:#b22222'>x</span>: excluded"
)
_Button = QMessageBox.StandardButton
#: how often the window looks for a running ``bids`` (ms): two small files read
_RUN_POLL_MS = 1000


@fill_doc
class ReviewWindow(KeptWhileShown, QMainWindow):
    """Window to review the component labels of a labelled BIDS dataset.

    Parameters
    ----------
    %(bids_root_labelled)s
    show : bool
        Show the window.
    %(author)s
    prefetch : bool
        Read and precompute recordings in a background thread: the next and
        previous ones while one is shown, and the one asked for when it is not
        ready (the window stays usable meanwhile, see :attr:`loading`). False
        reads each when it is shown, in the GUI thread.
    time_window : float
        Duration in seconds of the time course shown.
    **selection
        The recordings reviewed: ``subjects``, ``sessions``, ``tasks``,
        ``runs`` and ``datatype`` of the model (:class:`DatasetReview`).

    Attributes
    ----------
    dataset : DatasetReview
        The review model: the queue, the recording shown and its labelling
        state (``dataset.review``), the recordings a ``bids`` run rewrites.

    Notes
    -----
    See :func:`mne_icalabel.gui.review_bids_dataset`.
    """

    def __init__(
        self,
        bids_root,
        *,
        show: bool = True,
        author: str | None = None,
        prefetch: bool = True,
        time_window: float = 10.0,
        **selection,
    ) -> None:
        self.dataset = DatasetReview(
            bids_root,
            author=author if author is not None else default_author(),
            **selection,
        )
        #: the recordings (the model's :class:`~mne_icalabel.review.ReviewQueue`)
        self.queue = self.dataset.queue
        #: entry index of each row of the recording list, in review order
        self.recording_rows: list[int] = self.dataset.recording_rows
        super().__init__()
        self._loader = RecordingLoader(self, self.queue, prefetch)
        self.setWindowTitle(f"{_TITLE} - {self.queue.bids_root.name}[*]")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self._build_ui(time_window)
        for key, slot in (
            ("Ctrl+S", self._on_save_requested),
            ("PgDown", lambda: self.step_recording(1)),
            ("PgUp", lambda: self.step_recording(-1)),
        ):
            QShortcut(QKeySequence(key), self).activated.connect(slot)
        self.resize(1560, 760)
        self._show_status()
        self._check_rewriting()
        # polled while shown only: a hidden (or dropped) window runs nothing
        self._run_timer = QTimer(self)
        self._run_timer.setInterval(_RUN_POLL_MS)
        self._run_timer.timeout.connect(self._check_rewriting)
        self.show_recording(self.recording_rows[0])
        if show:
            self.show()  # at once: the first recording comes from the worker
        else:
            self.wait_loaded()
        self.view.list_components.setFocus()

    # ------------------------------------------------------------------ API
    @property
    def author(self) -> str:
        """The reviewer, written with the decisions."""
        return self.dataset.author

    @author.setter
    def author(self, author: str) -> None:
        self.dataset.author = author

    @property
    def loaded(self) -> LoadedRecording | None:
        """The recording shown."""
        return self.dataset.loaded

    @property
    def current_index(self) -> int:
        """Index in ``queue.entries`` of the recording shown (-1: none)."""
        return self.dataset.current_index

    @property
    def current_row(self) -> int:
        """Row of the recording shown in the recording list."""
        return self.dataset.row_of(self.current_index)

    @property
    def modified(self) -> bool:
        """Whether the recording shown has decisions not saved yet."""
        return self.dataset.modified

    @property
    def loading(self) -> int:
        """Index in ``queue.entries`` of the recording being loaded (-1: none)."""
        return self._loader.loading_index

    @property
    def _cache(self):
        """The recordings read or being read (entry index -> job)."""
        return self._loader.cache

    def show_recording(self, index: int) -> bool:
        """Show a recording; ask first if the one shown has unsaved decisions.

        A recording read and precomputed already (the next and previous ones
        are, in the background) is shown at once. Another is loaded in the
        worker thread: meanwhile the list marks it, the status bar shows a
        busy bar with a Cancel button, and the recording shown before stays,
        read-only; it is shown when it is ready, unless another was asked for
        in between (:meth:`wait_loaded` waits for it).

        Parameters
        ----------
        index : int
            Its index in :attr:`queue.entries <ReviewQueue.entries>`.

        Returns
        -------
        shown : bool
            True if it is shown or being loaded; False if the reviewer
            cancelled, or the recording could not be read (the one shown
            stays).
        """
        if index == self.current_index and self._loader.loading is None:
            return True
        if index == self.loading:
            return True
        if self._loader.loading is None and not self._leave_current():
            return False
        self._stop_loading()
        if index == self.current_index:  # back to the one shown
            return True
        if self._loader.ready(index):
            return self._show_now(index)
        return self._load(index)

    def step_recording(self, step: int) -> bool:
        """Show the next (``step=1``) or previous (``-1``) recording of the list.

        While one is being loaded, the step is from that one.
        """
        base = self.current_index if self.loading < 0 else self.loading
        index = self.dataset.neighbour(base, step)
        if index is None:
            self.statusBar().showMessage(
                "This is the last recording." if step > 0 else "This is the first.",
                3000,
            )
            return False
        return self.show_recording(index)

    def cancel_loading(self) -> None:
        """Stop loading the recording asked for; the one shown stays."""
        index = self._loader.cancel()
        if index < 0:
            return
        self._stop_loading()
        logger.info(f"Cancelled loading {self.queue.entries[index].key}.")
        self.list_recordings.select_row(self.current_row)

    def wait_loaded(self) -> None:
        """Wait until the recording being loaded is shown (scripts and tests)."""
        self._loader.wait()

    def wait_prefetch(self) -> None:
        """Wait until the recordings being loaded in the background are loaded."""
        self._loader.wait_prefetch()

    def save(self, *, force: bool = False) -> RecordingEntry:
        """Save the decisions on the recording shown (the model's ``save``).

        See :meth:`~mne_icalabel.review.DatasetReview.save`;

        the recording list and the status line then show the saved state.
        """
        entry = self.dataset.save(force=force)
        self.setWindowModified(False)
        self.list_recordings.refresh(self.current_index)
        self._show_status()
        self.statusBar().showMessage(f"Saved {entry.recording.tsv.name}", 5000)
        return entry

    # ------------------------------------------------------------- loading
    def _load(self, index: int) -> bool:
        """Load a recording in the worker; show it when it is ready."""
        try:
            self._loader.start(
                index,
                partial(self._on_loaded, index),
                partial(self._on_load_failed, index),
            )
        except Exception as error:
            return self._load_failed(index, error)
        self.view.setEnabled(False)  # nothing is labelled on the one leaving
        self.loading_progress.start(
            f"Loading {self.queue.entries[index].key}...", on_cancel=self.cancel_loading
        )
        self.list_recordings.select_row(self.dataset.row_of(index))
        return True

    def _stop_loading(self) -> None:
        """Forget the recording being loaded (its job stays, as a prefetch)."""
        self._loader.stop()
        self.loading_progress.stop()
        if not self.view.isEnabled():
            self.view.setEnabled(True)
            self.view.list_components.setFocus()

    def _on_loaded(self, index: int, _prepared) -> None:
        if index != self.loading:  # another was asked for meanwhile
            return
        self._stop_loading()
        self._show_now(index)

    def _on_load_failed(self, index: int, error: BaseException) -> None:
        if index != self.loading:
            return
        self._stop_loading()
        self._loader.drop(index)
        self._load_failed(index, error)

    def _show_now(self, index: int) -> bool:
        """Show a recording (read here unless it is ready in the cache)."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            prepared = self._loader.get(index)
        except Exception as error:
            return self._load_failed(index, error)
        finally:
            QApplication.restoreOverrideCursor()
            self.list_recordings.select_row(self.current_row)
        previous = self.current_index
        review = self.dataset.open(prepared.loaded, auto_advance=self.view.auto_advance)
        self.view.set_review(review, data=prepared.data)
        if previous >= 0:
            self.list_recordings.refresh(previous)  # not bold anymore
        self.setWindowModified(False)
        self.list_recordings.refresh(index)
        self.list_recordings.select_row(self.current_row)
        key = prepared.loaded.entry.key
        self.setWindowTitle(f"{_TITLE} - {self.queue.bids_root.name} - {key}[*]")
        self._show_status()
        self._loader.prefetch(self.dataset.around(index))
        return True

    # --------------------------------------------------------------- layout
    def _build_ui(self, time_window: float) -> None:
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)

        left = QVBoxLayout()
        title = QLabel(f"<b>Recordings</b> ({len(self.queue)})", central)
        left.addWidget(title)
        self.list_recordings = RecordingList(central, self.dataset)
        self.list_recordings.currentRowChanged.connect(self._on_row_clicked)
        left.addWidget(self.list_recordings)
        layout.addLayout(left)

        right = QVBoxLayout()
        self.recording_header = QLabel(central)
        self.recording_header.setTextFormat(Qt.TextFormat.RichText)
        right.addWidget(self.recording_header)
        self.view = ComponentView(central, time_window=time_window)
        right.addWidget(self.view, 1)
        layout.addLayout(right, 1)
        self.setCentralWidget(central)

        self.button_save = self.view.add_save_button(self._on_save_requested)
        help_label = QLabel(_HELP, self.view)
        help_label.setWordWrap(True)
        self.view.add_side_widget(help_label)
        self.view.labelChanged.connect(lambda *_: self.setWindowModified(True))

        self.remaining_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.remaining_label)
        self.loading_progress = ProgressStrip(self)
        self.statusBar().addPermanentWidget(self.loading_progress)

    def _show_status(self) -> None:
        """Show the doubtful components left, and whether the recording can change."""
        n = self.dataset.n_remaining
        self.remaining_label.setText(
            f"{n} doubtful component{'s' * (n != 1)} remaining"
        )
        review = self.dataset.review
        self.button_save.setEnabled(review is None or review.read_only is None)
        if review is not None:
            self.recording_header.setText(_recording_header(self.dataset))

    def _load_failed(self, index: int, error: BaseException) -> bool:
        self._show_error(f"Could not load {self.queue.entries[index].key}: {error}")
        self.list_recordings.select_row(self.current_row)
        return False

    def _check_rewriting(self) -> None:
        """Follow a running ``bids``: its recordings read-only, shown again when done.

        A recording a run may rewrite cannot be labelled or saved. When the
        run is done with it, its entry is read again and, if it is shown with
        no unsaved decision and its files changed, it is loaded again; with
        unsaved decisions it stays, and saving asks (the files changed).
        """
        change = self.dataset.poll_rewriting()
        if change is None:
            return
        current = self.current_index
        for index in change.finished:
            if index not in (current, self.loading):  # read before the rewrite
                self._loader.drop(index, cancel=True)
        for index in change.changed:
            self.list_recordings.refresh(index)
        self._show_status()
        if current < 0:
            return
        if not change.reload:
            return
        key = self.loaded.entry.key
        if self.view.modified:
            self.statusBar().showMessage(
                f"{key} was rewritten by {self.dataset.run or 'a bids run'}; "
                "saving your decisions will ask first.",
                10000,
            )
        else:
            self._loader.drop(current)
            self.statusBar().showMessage(f"{key} was rewritten: shown again.", 5000)
            (self._load if self._loader.worker is not None else self._show_now)(current)

    # ---------------------------------------------------------------- slots
    def _on_row_clicked(self, row: int) -> None:
        if 0 <= row < len(self.recording_rows):
            self.show_recording(self.recording_rows[row])
        loading = self.loading
        self.list_recordings.select_row(
            self.current_row if loading < 0 else self.dataset.row_of(loading)
        )

    def _on_save_requested(self) -> bool:
        """Save; ask when the files changed on disk. Return whether it was saved."""
        if self.loaded is None:
            return False
        try:
            self.save()
            return True
        except TSVChangedError as error:
            text = (
                f"{error}\n\nSave anyway? Only the components you labelled are "
                "written; the other rows stay as they are now on disk."
            )
            answer = QMessageBox.question(
                self, _TITLE, text, _Button.Save | _Button.Cancel, _Button.Cancel
            )
            if answer != _Button.Save:
                self.statusBar().showMessage("Not saved.", 5000)
                return False
        except Exception as error:
            self._show_error(f"Saving failed: {error}")
            return False
        try:
            self.save(force=True)
            return True
        except Exception as error:
            self._show_error(f"Saving failed: {error}")
            return False

    def _leave_current(self) -> bool:
        """Ask what to do with unsaved decisions; return whether to go on."""
        if not self.dataset.modified:
            return True
        answer = QMessageBox.question(
            self,
            _TITLE,
            f"{self.loaded.entry.key} has decisions that are not saved.",
            _Button.Save | _Button.Discard | _Button.Cancel,
            _Button.Save,
        )
        if answer == _Button.Save:
            return self._on_save_requested()
        if answer == _Button.Discard:
            # reverted in place; read the files again next time all the same
            self._loader.drop(self.current_index)
            self.dataset.discard()
            self.setWindowModified(False)
            return True
        return False

    def _show_error(self, text: str) -> None:
        logger.error(text)
        self.statusBar().showMessage(text, 10000)
        box = QMessageBox(QMessageBox.Icon.Critical, _TITLE, text, parent=self)
        box.open()  # not modal: never blocks the event loop

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Follow a running ``bids`` while shown (read its state now)."""
        super().showEvent(event)
        if not self._run_timer.isActive():
            self._check_rewriting()
            self._run_timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Stop following the run; read again on the next show."""
        self._run_timer.stop()
        super().hideEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Ask about unsaved decisions, then close and stop loading."""
        if not self._leave_current():
            event.ignore()
            return
        self._stop_loading()
        self._loader.shutdown()
        self.view.stop_work()  # no labelling result lands after the close
        event.accept()


def _recording_header(dataset: DatasetReview) -> str:
    """Return the line above the components: the recording, its review, policy.

    Rich text: every value read from the files (the key, the sidecar's
    reviewer and date, the policy, the run named in the read-only reason)
    is escaped, so that ``A <B>`` shows as written.
    """
    loaded = dataset.loaded
    entry = loaded.entry
    policy = loaded.policy.summary(entry.methods) if entry.methods else "n/a"
    policy = escape(policy)
    origin = "" if entry.has_policy else " (not recorded: the default)"
    review = entry.review
    reviewed = (
        f"reviewed by {escape(str(review.get('Author', '?')))} on "
        f"{escape(str(review.get('Date', '?')))}"
        if review
        else "not reviewed"
    )
    # this recording's count; the status bar counts the dataset's remaining
    n_doubtful = int(entry.doubtful.sum())
    doubtful = (
        f"{n_doubtful} doubtful component{'s' * (n_doubtful != 1)} in this "
        "recording" + (" (listed first)" if not review else ", reviewed")
    )
    text = (
        f"<b>{escape(entry.key)}</b> &nbsp; {reviewed} &nbsp; {doubtful}<br>"
        f"<small>policy: {policy}{origin}</small>"
    )
    read_only = dataset.review.read_only
    if read_only is not None:
        text += f"<br><span style='color:#b22222'>{escape(read_only)}</span>"
    return text
