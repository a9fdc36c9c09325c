"""The Qt window to review the labels of a whole BIDS dataset."""

from __future__ import annotations

import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from mne.utils import logger
from qtpy.QtCore import Qt, QTimer
from qtpy.QtGui import QBrush, QColor, QKeySequence, QShortcut
from qtpy.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from ._component_view import ComponentView
from ._data import ICAPlotData, compute_plot_data
from ._io import default_author
from ._progress import ProgressStrip
from ._review_queue import (
    LoadedRecording,
    RecordingEntry,
    ReviewQueue,
    TSVChangedError,
    kept_labels,
)
from ._worker import Job, Worker

_TITLE = "ICA Review"
_STATE_COLORS = {"reviewed": "#2e7d32", "changed": "#1565c0"}
_HELP = (
    "<b>Review</b><br>"
    "Ctrl+S: save this recording<br>"
    "PgDn / PgUp: next / previous recording<br>"
    "<span style='color:#b22222'>x</span>: excluded"
)
# recordings kept in memory: the one shown, the previous and the next
_CACHE_SIZE = 3
#: how often the window looks for a running ``bids`` (ms): two small files read
_RUN_POLL_MS = 1000
_REWRITING_COLOR = "#9e9e9e"


@dataclass
class _Prepared:
    """A recording read for review and the arrays its plots show."""

    loaded: LoadedRecording
    data: ICAPlotData


def _prepare(queue: ReviewQueue, loaded: LoadedRecording) -> _Prepared:
    """Prepare a recording read and precompute its plots (no Qt: runs in a thread)."""
    loaded = queue.prepare(loaded)
    start = time.perf_counter()
    data = compute_plot_data(loaded.inst, loaded.ica)
    loaded.seconds["plots"] = time.perf_counter() - start
    return _Prepared(loaded, data)


class ReviewWindow(QMainWindow):
    """Window to review the component labels of a labelled BIDS dataset.

    Parameters
    ----------
    bids_root : path-like
        Root of the BIDS dataset, labelled with ``mne-icalabel bids``.
    subjects, sessions, tasks, runs : str | list of str | None
        Keep only these entity values; None keeps all.
    datatype : ``"eeg"`` | ``"meg"``
        The data type.
    show : bool
        Show the window.
    author : str | None
        Written as ``annotate_author`` of the decisions and in the sidecar's
        ``"Review"`` entry; None: ``MNE_ICALABEL_AUTHOR`` (MNE config or
        environment), else the login name.
    prefetch : bool
        Read and precompute recordings in a background thread: the next and
        previous ones while one is shown, and the one asked for when it is not
        ready (the window stays usable meanwhile, see :attr:`loading`). False
        reads each when it is shown, in the GUI thread.
    time_window : float
        Duration in seconds of the time course shown.

    Notes
    -----
    See :func:`mne_icalabel.gui.review_bids_dataset`.
    """

    def __init__(
        self,
        bids_root,
        *,
        subjects=None,
        sessions=None,
        tasks=None,
        runs=None,
        datatype: str = "eeg",
        show: bool = True,
        author: str | None = None,
        prefetch: bool = True,
        time_window: float = 10.0,
    ) -> None:
        self.queue = ReviewQueue(
            bids_root,
            subjects=subjects,
            sessions=sessions,
            tasks=tasks,
            runs=runs,
            datatype=datatype,
        )
        super().__init__()
        self.author = author if author is not None else default_author()
        #: entry index of each row of the recording list, in review order
        self.recording_rows: list[int] = self.queue.recording_order()
        self._current: _Prepared | None = None
        self._cache: OrderedDict[int, Job] = OrderedDict()
        self._worker = Worker(self, "mne-icalabel-review") if prefetch else None
        #: the entry index of the recording being loaded to be shown, and its job
        self._loading: tuple[int, Job] | None = None
        self._kept: tuple[str, ...] = ()
        #: a running ``mne-icalabel bids`` and the entries it may rewrite
        self._run = ""
        self._rewriting: frozenset[int] = frozenset()
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
        self._update_remaining()
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
    def loaded(self) -> LoadedRecording | None:
        """The recording shown."""
        return None if self._current is None else self._current.loaded

    @property
    def current_index(self) -> int:
        """Index in ``queue.entries`` of the recording shown (-1: none)."""
        return -1 if self._current is None else self._current.loaded.index

    @property
    def current_row(self) -> int:
        """Row of the recording shown in the recording list."""
        index = self.current_index
        return self.recording_rows.index(index) if index >= 0 else -1

    @property
    def modified(self) -> bool:
        """Whether the recording shown has decisions not saved yet."""
        return self.view.modified

    @property
    def loading(self) -> int:
        """Index in ``queue.entries`` of the recording being loaded (-1: none)."""
        return -1 if self._loading is None else self._loading[0]

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
        if index == self.current_index and self._loading is None:
            return True
        if index == self.loading:
            return True
        if self._loading is None and not self._leave_current():
            return False
        self._stop_loading()
        if index == self.current_index:  # back to the one shown
            return True
        job = self._cache.get(index)
        if self._worker is None or (job is not None and job.done()):
            return self._show_now(index)
        return self._load(index)

    def _load(self, index: int) -> bool:
        """Load a recording in the worker; show it when it is ready."""
        job = self._cache.get(index)
        if job is None:
            try:  # the headers here (warnings are global), the data in the thread
                loaded = self.queue.read(index)
            except Exception as error:
                self._show_error(
                    f"Could not load {self.queue.entries[index].key}: {error}"
                )
                self._select_row(self.current_row)
                return False
            job = self._worker.submit(_prepare, self.queue, loaded)
            self._cache[index] = job
        self._loading = (index, job)
        self._worker.deliver(
            job, partial(self._on_loaded, index), partial(self._on_load_failed, index)
        )
        self.view.setEnabled(False)  # nothing is labelled on the one leaving
        self.loading_progress.start(
            f"Loading {self.queue.entries[index].key}...", on_cancel=self.cancel_loading
        )
        self._select_row(self.recording_rows.index(index))
        return True

    def cancel_loading(self) -> None:
        """Stop loading the recording asked for; the one shown stays."""
        if self._loading is None:
            return
        index, job = self._loading
        self._stop_loading()
        job.cancel()
        self._cache.pop(index, None)
        logger.info(f"Cancelled loading {self.queue.entries[index].key}.")
        self._select_row(self.current_row)

    def wait_loaded(self) -> None:
        """Wait until the recording being loaded is shown (scripts and tests)."""
        if self._loading is not None:
            self._worker.wait(self._loading[1])

    def _stop_loading(self) -> None:
        """Forget the recording being loaded (its job stays, as a prefetch)."""
        if self._loading is not None:
            self._loading[1].ignore()  # not delivered; still a prefetch
            self._loading = None
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
        self._cache.pop(index, None)
        self._show_error(f"Could not load {self.queue.entries[index].key}: {error}")
        self._select_row(self.current_row)

    def _show_now(self, index: int) -> bool:
        """Show a recording (read here unless it is ready in the cache)."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            prepared = self._get_prepared(index)
        except Exception as error:
            self._show_error(f"Could not load {self.queue.entries[index].key}: {error}")
            return False
        finally:
            QApplication.restoreOverrideCursor()
            self._select_row(self.current_row)
        loaded = prepared.loaded
        self.view.set_recording(
            loaded.inst,
            loaded.ica,
            scores=loaded.probabilities,
            excluded=loaded.excluded,
            order=loaded.order,
            data=prepared.data,
        )
        previous, self._current = self.current_index, prepared
        if previous >= 0:
            self._refresh_row(previous)  # not bold anymore
        methods = list(loaded.entry.methods)
        self._kept = kept_labels(loaded.policy, methods) if methods else ()
        self.setWindowModified(False)
        self._apply_read_only()
        self._refresh_row(index)
        self._select_row(self.current_row)
        self.setWindowTitle(
            f"{_TITLE} - {self.queue.bids_root.name} - {loaded.entry.key}[*]"
        )
        self.recording_header.setText(self._header_text(loaded))
        self._update_remaining()
        self._prefetch_around(self.current_row)
        return True

    def step_recording(self, step: int) -> bool:
        """Show the next (``step=1``) or previous (``-1``) recording of the list.

        While one is being loaded, the step is from that one.
        """
        base = (
            self.current_row
            if self._loading is None
            else self.recording_rows.index(self.loading)
        )
        row = base + step
        if not 0 <= row < len(self.recording_rows):
            self.statusBar().showMessage(
                "This is the last recording." if step > 0 else "This is the first.",
                3000,
            )
            return False
        return self.show_recording(self.recording_rows[row])

    def save(self, *, force: bool = False) -> RecordingEntry:
        """Save the decisions on the recording shown (TSV and sidecar).

        Parameters
        ----------
        force : bool
            Write even if the TSV changed on disk since it was loaded.

        Returns
        -------
        entry : RecordingEntry
            The recording's entry, read back.

        Raises
        ------
        TSVChangedError
            If the TSV or its sidecar changed on disk and ``force`` is False.
        RuntimeError
            If a running ``mne-icalabel bids`` may rewrite the recording.
        """
        loaded = self.loaded
        if self.view.read_only is not None:
            raise RuntimeError(f"Not saved: {self.view.read_only}")
        entry = self.queue.save(
            loaded, self.view.manual_marks(), self.author, force=force
        )
        self.view.set_saved()
        self.setWindowModified(False)
        self._refresh_row(loaded.index)
        self._update_remaining()
        self.recording_header.setText(self._header_text(loaded))
        self.statusBar().showMessage(f"Saved {entry.recording.tsv.name}", 5000)
        return entry

    def wait_prefetch(self) -> None:
        """Wait until the recordings being loaded in the background are loaded."""
        for job in list(self._cache.values()):
            try:
                job.result()
            except BaseException:  # reported when the recording is shown
                pass

    # --------------------------------------------------------------- layout
    def _build_ui(self, time_window: float) -> None:
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)

        left = QVBoxLayout()
        title = QLabel(f"<b>Recordings</b> ({len(self.queue)})", central)
        left.addWidget(title)
        self.list_recordings = QListWidget(central)
        self.list_recordings.setFixedWidth(280)
        self.list_recordings.setWordWrap(True)
        self.list_recordings.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        # the keys belong to the component list: the mouse selects here
        self.list_recordings.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for _ in self.recording_rows:
            self.list_recordings.addItem(QListWidgetItem())
        for index in self.recording_rows:
            self._refresh_row(index)
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
        self.view.labelChanged.connect(self._on_label_changed)

        self.remaining_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.remaining_label)
        self.loading_progress = ProgressStrip(self)
        self.statusBar().addPermanentWidget(self.loading_progress)

    def _refresh_row(self, index: int) -> None:
        """Write a recording's state and counts into its list item."""
        entry = self.queue.entries[index]
        item = self.list_recordings.item(self.recording_rows.index(index))
        name = Path(entry.key).name.rsplit("_", 1)[0]  # without _<datatype>.<ext>
        item.setText(
            f"{name}\n  {entry.state} \N{MIDDLE DOT} {entry.n_excluded}/"
            f"{entry.n_components} excluded \N{MIDDLE DOT} {entry.n_manual} manual"
        )
        item.setToolTip(entry.key)
        color = _STATE_COLORS.get(entry.state)
        if index in self._rewriting:
            item.setText(item.text() + "\n  being rewritten: read-only")
            item.setToolTip(f"{entry.key}: being rewritten by {self._run}")
            color = _REWRITING_COLOR
        if color is None:
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
        else:
            item.setForeground(QBrush(QColor(color)))
        font = item.font()
        font.setBold(index == self.current_index)
        item.setFont(font)

    def _select_row(self, row: int) -> None:
        self.list_recordings.blockSignals(True)
        self.list_recordings.setCurrentRow(row)
        self.list_recordings.blockSignals(False)

    def _header_text(self, loaded: LoadedRecording) -> str:
        entry = loaded.entry
        policy = loaded.policy.summary(entry.methods) if entry.methods else "n/a"
        origin = "" if entry.has_policy else " (not recorded: the default)"
        review = entry.review
        reviewed = (
            f"reviewed by {review.get('Author', '?')} on {review.get('Date', '?')}"
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
            f"<b>{entry.key}</b> &nbsp; {reviewed} &nbsp; {doubtful}<br>"
            f"<small>policy: {policy}{origin}</small>"
        )
        if self.view.read_only is not None:
            text += f"<br><span style='color:#b22222'>{self.view.read_only}</span>"
        return text

    def _check_rewriting(self) -> None:
        """Follow a running ``bids``: its recordings read-only, shown again when done.

        A recording a run may rewrite cannot be labelled or saved. When the
        run is done with it, its entry is read again and, if it is shown with
        no unsaved decision and its files changed, it is loaded again; with
        unsaved decisions it stays, and saving asks (the files changed).
        """
        try:
            run, rewriting = self.queue.rewriting()
        except Exception as error:  # never stops the review
            logger.info(f"Could not read the run state: {error}")
            return
        if (run, rewriting) == (self._run, self._rewriting):
            return
        finished = self._rewriting - rewriting
        changed = self._rewriting ^ rewriting
        self._run, self._rewriting = run, rewriting
        for index in finished:
            self.queue.refresh(index)
            if index != self.current_index and index != self.loading:
                job = self._cache.pop(index, None)  # read before the rewrite
                if job is not None:
                    job.cancel()
        for index in changed:
            self._refresh_row(index)
        self._update_remaining()
        current = self.current_index
        if current < 0:
            return
        self._apply_read_only()
        loaded = self.loaded
        if current in finished and self.queue.changed_on_disk(loaded):
            if self.view.modified:
                self.statusBar().showMessage(
                    f"{loaded.entry.key} was rewritten by {run or 'a bids run'}; "
                    "saving your decisions will ask first.",
                    10000,
                )
            else:
                self._cache.pop(current, None)
                self.statusBar().showMessage(
                    f"{loaded.entry.key} was rewritten: shown again.", 5000
                )
                (self._load if self._worker is not None else self._show_now)(current)

    def _apply_read_only(self) -> None:
        """Make the view read-only while a run may rewrite the recording shown."""
        loaded = self.loaded
        reason = None
        if loaded is not None and loaded.index in self._rewriting:
            reason = (
                f"{loaded.entry.key} is being rewritten by {self._run}: read-only "
                "until it is done."
            )
        changed = reason != self.view.read_only
        self.view.set_read_only(reason)
        self.button_save.setEnabled(reason is None)
        if changed and loaded is not None:
            self.recording_header.setText(self._header_text(loaded))

    def _update_remaining(self) -> None:
        n = self.queue.n_remaining
        self.remaining_label.setText(
            f"{n} doubtful component{'s' * (n != 1)} remaining"
        )

    # ------------------------------------------------------------- loading
    def _get_prepared(self, index: int) -> _Prepared:
        """Return the recording, from the cache (if still up to date) or read now."""
        job = self._cache.pop(index, None)
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
        self._cache[index] = Job(done)
        return prepared

    def _prefetch_around(self, row: int) -> None:
        """Keep the previous and next recordings loaded (in the background)."""
        wanted = [
            self.recording_rows[r]
            for r in (row, row + 1, row - 1)
            if 0 <= r < len(self.recording_rows)
        ]
        for index in list(self._cache):
            if index not in wanted and index != self.loading:
                self._cache.pop(index).cancel()
        if self._worker is None:
            return
        for index in wanted[1:_CACHE_SIZE]:
            if index in self._cache:
                continue
            try:  # the headers here (warnings are global), the data in the thread
                loaded = self.queue.read(index)
            except Exception as error:  # reported when the recording is shown
                logger.info(f"Could not read {self.queue.entries[index].key}: {error}")
                continue
            self._cache[index] = self._worker.submit(_prepare, self.queue, loaded)

    # ---------------------------------------------------------------- slots
    def _on_label_changed(self, component: int, label) -> None:
        self.setWindowModified(True)
        key = None if label is None else self.view.label_map[label]
        excluded = set(self.view.excluded)
        if key is None or key in self._kept:
            excluded.discard(component)
        else:
            excluded.add(component)
        if excluded != set(self.view.excluded):
            self.view.set_excluded(sorted(excluded))

    def _on_row_clicked(self, row: int) -> None:
        if 0 <= row < len(self.recording_rows):
            self.show_recording(self.recording_rows[row])
        loading = self.loading
        self._select_row(
            self.current_row if loading < 0 else self.recording_rows.index(loading)
        )

    def _on_save_requested(self) -> bool:
        """Save; ask when the files changed on disk. Return whether it was saved."""
        if self.loaded is None:
            return False
        try:
            self.save()
            return True
        except TSVChangedError as error:
            answer = QMessageBox.question(
                self,
                _TITLE,
                f"{error}\n\nSave anyway? Only the components you labelled are "
                "written; the other rows stay as they are now on disk.",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Save:
                self.statusBar().showMessage("Not saved.", 5000)
                return False
            try:
                self.save(force=True)
                return True
            except Exception as again:
                self._show_error(f"Saving failed: {again}")
                return False
        except Exception as error:
            self._show_error(f"Saving failed: {error}")
            return False

    def _leave_current(self) -> bool:
        """Ask what to do with unsaved decisions; return whether to go on."""
        if self._current is None or not self.view.modified:
            return True
        answer = QMessageBox.question(
            self,
            _TITLE,
            f"{self.loaded.entry.key} has decisions that are not saved.",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self._on_save_requested()
        if answer == QMessageBox.StandardButton.Discard:
            # the ICA shown holds the discarded labels: read it again next time
            self._cache.pop(self.current_index, None)
            self.view.set_saved()
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
        if self._worker is not None:
            self._worker.shutdown()
        self._cache.clear()
        event.accept()
