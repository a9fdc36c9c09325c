"""The Qt window to label ICA components by hand."""

from __future__ import annotations

import sys
from pathlib import Path

from mne import BaseEpochs
from mne.io import BaseRaw
from mne.preprocessing import ICA
from mne.utils import logger
from qtpy.QtCore import Qt
from qtpy.QtGui import QAction, QKeySequence
from qtpy.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from ..review import check_recording
from ..review._networks import MEGNET_LABELS_TO_MNE  # noqa: F401 (re-exported)
from ..review._saving import default_author, save_ica_atomic, write_tsv_atomic
from ..utils._docs import fill_doc
from ._component_view import ComponentView
from ._kept_while_shown import KeptWhileShown

_TITLE = "ICA Component Labeler"


def _get_qt_app() -> QApplication:
    """Return the running QApplication, creating one if needed."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1] or ["mne-icalabel"])
    return app


@fill_doc
class ICAComponentLabeler(KeptWhileShown, QMainWindow):
    """Window to label the components of a fitted ICA by hand.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording the ICA decomposition was fitted on.
    ica : ICA
        A fitted ICA. Its ``labels_`` are modified in place as the user labels.
    show : bool
        Show the window.
    tsv_fname : str | Path | BIDSPath | None
        Where :meth:`save` writes the BIDS components TSV. If None, the Save
        button asks for a file name. An existing file is updated: only the
        rows of the components labelled in the window change, every other row
        and column (e.g. the probabilities of both networks) is kept.
    ica_fname : str | Path | None
        Where :meth:`save` writes the ICA (``.fif``); None to not save it.
    %(author)s
    time_window : float
        Duration in seconds of the time course shown for Raw recordings.
    scores : dict | None
        Probability sets besides ``ica.labels_scores_``, mapping a method
        (``"iclabel"``, ``"megnet"``) to its (n_components, n_classes) array.

    Attributes
    ----------
    view : ComponentView
        The component view (list, plots, class buttons) the window shows;
        the dataset review window shows the same view.

    Notes
    -----
    See :func:`mne_icalabel.gui.label_ica_components` for the classes, the keys
    written to ``ica.labels_`` and the keyboard shortcuts. If a destination file
    is set, closing the window with unsaved labels (or new automatic
    probabilities) saves them; if that fails the window stays open.
    """

    def __init__(
        self,
        inst: BaseRaw | BaseEpochs,
        ica: ICA,
        show: bool = True,
        *,
        tsv_fname=None,
        ica_fname=None,
        author: str | None = None,
        time_window: float = 10.0,
        scores: dict | None = None,
    ) -> None:
        check_recording(inst, ica)
        super().__init__()
        self.tsv_fname = tsv_fname
        self.ica_fname = ica_fname
        self.author = author if author is not None else default_author()
        self.saved_files: list[Path] = []

        self.setWindowTitle(f"{_TITLE}[*]")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        self.view = ComponentView(central, time_window=time_window)
        layout.addWidget(self.view)
        self.setCentralWidget(central)
        self.button_save = self.view.add_save_button(self._on_save_requested)
        # the view's fixed widgets, reachable from the window
        self.button_reset = self.view.button_reset
        self.button_prev = self.view.button_prev
        self.button_next = self.view.button_next
        self.checkbox_advance = self.view.checkbox_advance
        self.header = self.view.header
        self.time_scroll = self.view.time_scroll
        self.view.add_side_widget(QLabel("Ctrl+S: save", self.view))
        self._build_menus()
        self.statusBar()
        # shown: the window opens at once, its plots come from the worker thread
        self.view.set_recording(inst, ica, scores=scores, background=show)
        self.view.labelChanged.connect(self._on_label_changed)
        self.view.scoresChanged.connect(self._on_scores_changed)
        self.action_auto.setEnabled(not self.view.has_scores)
        self.resize(1220, 740)
        self.list_components.setFocus()
        self.setWindowModified(False)
        if show:
            self.show()

    # ------------------------------------------------------------------ API
    @property
    def inst(self) -> BaseRaw | BaseEpochs:
        """The recording."""
        return self.view.inst

    @property
    def ica(self) -> ICA:
        """The ICA being labelled."""
        return self.view.ica

    @property
    def n_components_(self) -> int:
        """Number of ICA components."""
        return self.view.n_components

    @property
    def labels(self) -> list[str]:
        """Names of the classes, in button order."""
        return self.view.class_names

    @property
    def selected_labels(self) -> dict[int, str]:
        """The class name of each labelled component."""
        return self.view.labels

    @property
    def selected_component(self) -> int:
        """Index of the component shown."""
        return self.view.selected_component

    @property
    def modified(self) -> bool:
        """Whether labels changed since the last save."""
        return self.isWindowModified()

    @property
    def auto_advance(self) -> bool:
        """Whether labelling a component moves to the next one."""
        return self.view.auto_advance

    @property
    def list_components(self):
        """The list of components (a :class:`qtpy.QtWidgets.QListWidget`)."""
        return self.view.list_components

    @property
    def buttons(self) -> list:
        """The class buttons, in class order."""
        return self.view.buttons

    def set_label(self, component: int, label: str | None) -> None:
        """Label a component, replacing its previous label.

        Parameters
        ----------
        component : int
            The component index.
        label : str | None
            One of :attr:`labels`, or None to remove the component's label.
        """
        self.view.set_label(component, label)

    def select_component(self, component: int) -> None:
        """Show a component (selects its row in the list).

        Parameters
        ----------
        component : int
            The component index; clipped to the valid range.
        """
        self.view.select_component(component)

    def save(self) -> list[Path]:
        """Save the components TSV and the ICA to the configured files.

        Returns
        -------
        fnames : list of Path
            The files written (the TSV first).
        """
        written = []
        ica = self.view.ica
        if self.tsv_fname is not None:
            # the components labelled (or unlabelled) here; the other rows of
            # an existing TSV are kept, a new one gets them from ica.labels_
            marks = self.view.manual_marks()
            written.append(write_tsv_atomic(ica, self.tsv_fname, marks, self.author))
        if self.ica_fname is not None:
            written.append(save_ica_atomic(ica, self.ica_fname))
        if written:
            self.saved_files = written
            self.view.set_saved()
            self.setWindowModified(False)
            self.statusBar().showMessage(
                "Saved " + ", ".join(p.name for p in written), 5000
            )
        return written

    # ---------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self.action_save = QAction("&Save", self)
        self.action_save.setShortcut(QKeySequence("Ctrl+S"))
        self.action_save.triggered.connect(self._on_save_requested)
        menu.addAction(self.action_save)
        action_close = QAction("&Close", self)
        action_close.setShortcut(QKeySequence("Ctrl+W"))
        action_close.triggered.connect(self.close)
        menu.addAction(action_close)
        menu = self.menuBar().addMenu("&Tools")
        self.action_auto = QAction("&Label automatically", self)
        self.action_auto.setToolTip(self.view.button_auto.toolTip())
        self.action_auto.triggered.connect(self.view._on_label_automatically)
        menu.addAction(self.action_auto)

    # ---------------------------------------------------------------- slots
    def _on_label_changed(self, _component: int, _label) -> None:
        self.setWindowModified(True)

    def _on_scores_changed(self) -> None:
        self.action_auto.setEnabled(False)
        self.setWindowModified(True)

    def _scroll_time(self, direction: int) -> None:
        self.view.scroll_time(direction)

    def _on_save_requested(self) -> None:
        if self.tsv_fname is None and self.ica_fname is None:
            fname, _ = QFileDialog.getSaveFileName(
                self, "Save the components TSV", "", "TSV (*_components.tsv *.tsv)"
            )
            if not fname:
                return
            self.tsv_fname = fname
        try:
            self.save()
        except Exception as error:
            self._show_error(f"Saving failed: {error}")

    def _show_error(self, text: str) -> None:
        logger.error(text)
        box = QMessageBox(QMessageBox.Icon.Critical, _TITLE, text, parent=self)
        box.open()  # not modal: never blocks the event loop

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Save unsaved labels to the configured files, then close."""
        if self.modified and (self.tsv_fname is not None or self.ica_fname is not None):
            try:
                self.save()
            except Exception as error:
                self._show_error(
                    f"The labels could not be saved ({error}); the window stays open."
                )
                event.ignore()
                return
        self.view.stop_work()  # no result lands on the ICA after the close
        event.accept()
