"""The component view: look at and label the components of one recording.

Both the labelling window and the dataset review window show a
:class:`ComponentView`; it knows one (inst, ica) pair at a time, and
:meth:`ComponentView.set_recording` loads another into the same widgets.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
from mne import BaseEpochs
from mne.io import BaseRaw
from mne.preprocessing import ICA
from mne.utils import _check_option, _validate_type, logger
from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from qtpy.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..annotation._classes import CLASSES, infer_method, to_mne_key
from ..methods import get_method, method_names, mne_keys, network_names
from ..utils._checks import _check_ica_channels
from ..utils._picks import default_method
from ._data import compute_plot_data, is_meg_ica
from ._panels import (
    ERPImagePanel,
    ProbabilityPanel,
    SourcePanel,
    SpectrumPanel,
    TopomapPanel,
    VariancePanel,
)
from ._progress import ProgressStrip
from ._worker import Job, Worker

# MEGNet's four classes (button text) -> keys of ``ICA.labels_``
MEGNET_LABELS_TO_MNE = get_method("megnet").labels_to_mne
_LETTERS = {
    "Brain": "B",
    "Muscle": "M",
    "Eye": "E",
    "Heart": "H",
    "Line Noise": "L",
    "Channel Noise": "C",
    "Other": "O",
    "Brain/Other": "B",
    "Eye Blink": "E",
    "Heart Beat": "H",
    "Eye Movement": "M",
}
# every key this view manages: relabelling removes a component from all of them
_CLASS_KEYS = mne_keys()
_HELP = (
    "<b>Keys</b><br>"
    "digit / letter: label<br>"
    "0, Backspace: reset<br>"
    "N, &rarr;: next &nbsp; P, &larr;: previous<br>"
    "&uarr; &darr;: move in the list<br>"
    "Shift+&larr;/&rarr;: scroll time<br>"
    "A: auto-advance"
)
_EXCLUDED_COLOR = QColor("#b22222")  # components the exclusion policy removes


def check_recording(inst, ica) -> None:
    """Check an (inst, ica) pair before it is shown; raise a clear error."""
    _validate_type(inst, (BaseRaw, BaseEpochs), "inst", "raw or epochs")
    _validate_type(ica, ICA, "ica", "ICA")
    if ica.current_fit == "unfitted":
        raise ValueError(
            "ICA instance should be fitted. Use ica.fit(inst) before labelling "
            "its components."
        )
    _check_ica_channels(inst, ica)


class ComponentView(QWidget):
    """The components of one (inst, ica) pair: list, plots and class buttons.

    Labelling a component (button, key, or :meth:`set_label`) writes its
    class at once to ``ica.labels_``, replacing any previous class label of
    that component.

    Parameters
    ----------
    parent : QWidget | None
        The parent widget.
    time_window : float
        Duration in seconds of the time course shown for Raw recordings.

    Attributes
    ----------
    labelChanged : Signal(int, object)
        Emitted with the component and its new class name (None: removed)
        when a label changes.
    componentSelected : Signal(int)
        Emitted with the component shown after the selection changed.
    scoresChanged : Signal()
        Emitted when :meth:`label_automatically` has set new probabilities.
    """

    labelChanged = Signal(int, object)
    componentSelected = Signal(int)
    scoresChanged = Signal()

    def __init__(self, parent: QWidget | None = None, *, time_window: float = 10.0):
        super().__init__(parent)
        self._time_window = float(time_window)
        self._inst = self._ica = self._data = None
        self._label_map: dict[str, str] = {}
        self._labels: dict[int, str] = {}
        self._manual: set[int] = set()
        self._modified = False
        self._excluded: frozenset[int] = frozenset()
        self._order: list[int] = []
        self._rows: dict[int, int] = {}  # component -> row of the list
        self._scores = self._score_names = None
        self._other_scores: dict = {}
        self._current: int | None = None
        self.auto_advance = False
        self._read_only: str | None = None
        self.buttons: list[QPushButton] = []
        self._proba_labels: list[QLabel] = []
        self._shortcuts: list[QShortcut] = []
        self._worker = Worker(self, "mne-icalabel-view")
        self._labelling_job: Job | None = None
        self._plots_job: Job | None = None
        self._build_ui()
        self._add_fixed_shortcuts()
        self.setFocusProxy(self.list_components)

    # ------------------------------------------------------------------ API
    def set_recording(
        self,
        inst: BaseRaw | BaseEpochs,
        ica: ICA,
        scores: dict | None = None,
        excluded=None,
        order=None,
        data=None,
        background: bool = False,
    ) -> None:
        """Show the components of another recording.

        The list, buttons and figures are reused; the figures' artists are
        rebuilt only when the channel layout or the kind of data (Raw or
        Epochs) differs from the previous recording.

        Parameters
        ----------
        inst : Raw | Epochs
            The recording the ICA decomposition was fitted on.
        ica : ICA
            A fitted ICA. Its ``labels_`` are modified in place as the user
            labels; the labels it holds are shown as the current ones.
        scores : dict | None
            Probability sets besides ``ica.labels_scores_``, mapping a method
            (``"iclabel"``, ``"megnet"``) to its (n_components, n_classes)
            array.
        excluded : array-like of int | None
            The components an exclusion policy removes, marked in the list.
        order : array-like of int | None
            The order of the components in the list (a permutation of
            ``range(n_components)``); None for the natural order.
        data : ICAPlotData | None
            The arrays :func:`~mne_icalabel.gui._data.compute_plot_data`
            returns for this (inst, ica), if computed already (e.g. in the
            background); None computes them.
        background : bool
            Compute the arrays (when ``data`` is None) in the view's worker
            thread: the list and the class buttons work at once, the plots
            show a progress bar until the arrays come (:attr:`plots_ready`,
            :meth:`wait_plots`). False computes them here, before returning.

        A "Label automatically" still running for the previous recording is
        cancelled: its result is dropped, as are plots still being computed.
        """
        check_recording(inst, ica)
        self.cancel_labelling()
        if self._plots_job is not None:
            self._plots_job.cancel()
            self._plots_job = None
            self.progress.stop()
        label_map = get_method("megnet" if is_meg_ica(ica) else "iclabel").labels_to_mne
        n_components = ica.n_components_
        primary, names = _primary_scores(ica, label_map, scores, n_components)
        other = _check_other_scores(scores, n_components, primary)
        excluded = _check_components(excluded, n_components, "excluded")
        order = self._check_order(order, n_components)
        if data is None and not background:  # the slow part: before any change
            data = compute_plot_data(inst, ica)

        self._inst, self._ica, self._data = inst, ica, data
        self._scores, self._score_names, self._other_scores = primary, names, other
        self._excluded = frozenset(excluded)
        self._order = order
        if label_map != self._label_map:
            self._label_map = label_map
            self._build_class_buttons()
        if getattr(ica, "labels_", None) is None:
            ica.labels_ = {}
        for key in label_map.values():
            ica.labels_.setdefault(key, [])
        self._labels = self._labels_from_ica()
        self._manual = set()
        self._modified = False
        for panel in self.panels:
            if data is None:
                panel.clear()
            else:
                panel.set_data(data)
        if data is None:
            self._plots_job = self._worker.submit(
                compute_plot_data,
                inst,
                ica,
                on_done=partial(self._on_plot_data, ica),
                on_error=partial(self._on_plot_error, ica),
            )
            self.progress.start(
                f"Computing the plots of the {ica.n_components_} components..."
            )
        self._show_scores()
        self._current = None
        self._fill_list()
        self.list_components.setFocus()

    @property
    def plots_ready(self) -> bool:
        """Whether the plots show the recording (False while they are computed)."""
        return self._data is not None

    def wait_plots(self) -> None:
        """Wait until the plots computed in the background are shown."""
        if self._plots_job is not None:
            self._worker.wait(self._plots_job)

    def _on_plot_data(self, ica, data) -> None:
        if ica is not self._ica:  # another recording meanwhile
            return
        self._plots_job = None
        self.progress.stop()
        self._data = data
        for panel in self.panels:
            panel.set_data(data)
        row = self.list_components.currentRow()
        if row >= 0:
            self._on_row_changed(row)

    def _on_plot_error(self, ica, error) -> None:
        if ica is not self._ica:
            return
        self._plots_job = None
        self.progress.stop()
        text = f"The plots could not be computed: {error}"
        logger.error(text)
        self.header.setText(text)

    @property
    def inst(self) -> BaseRaw | BaseEpochs | None:
        """The recording shown."""
        return self._inst

    @property
    def ica(self) -> ICA | None:
        """The ICA shown."""
        return self._ica

    @property
    def n_components(self) -> int:
        """Number of components of the ICA shown (0 before a recording)."""
        return 0 if self._ica is None else int(self._ica.n_components_)

    @property
    def class_names(self) -> list[str]:
        """Names of the classes, in button order."""
        return list(self._label_map)

    @property
    def label_map(self) -> dict[str, str]:
        """Class names mapped to their key of ``ICA.labels_``."""
        return dict(self._label_map)

    @property
    def labels(self) -> dict[int, str]:
        """The class name of each labelled component (a copy)."""
        return dict(self._labels)

    @property
    def manual_components(self) -> list[int]:
        """The components labelled or reset in this view since the recording was set."""
        return sorted(self._manual)

    def manual_marks(self) -> dict[int, str | None]:
        """Return the components labelled here, mapped to their ``ICA.labels_`` key.

        Returns
        -------
        marks : dict of int to str | None
            None for a component whose label was removed.
        """
        return {
            k: self._label_map[self._labels[k]] if k in self._labels else None
            for k in sorted(self._manual)
        }

    @property
    def selected_component(self) -> int:
        """Index of the component shown (-1 if none)."""
        row = self.list_components.currentRow()
        return self._order[row] if 0 <= row < len(self._order) else -1

    @property
    def order(self) -> list[int]:
        """The components in list order."""
        return list(self._order)

    @property
    def excluded(self) -> frozenset[int]:
        """The components marked as excluded by the policy."""
        return self._excluded

    @property
    def modified(self) -> bool:
        """Whether labels changed since the recording was set or :meth:`set_saved`."""
        return self._modified

    def set_saved(self) -> None:
        """Mark the current labels as saved (:attr:`modified` becomes False)."""
        self._modified = False

    @property
    def read_only(self) -> str | None:
        """Why the labels cannot be changed now (None: they can)."""
        return self._read_only

    def set_read_only(self, reason: str | None) -> None:
        """Refuse (``reason``) or allow again (None) changes of the labels.

        The components can still be looked at; the class buttons, Reset and
        "Label automatically" are disabled and the keys do nothing.

        Parameters
        ----------
        reason : str | None
            Why, given by :meth:`set_label`'s error.
        """
        self._read_only = reason
        for widget in (self._class_box, self.button_reset, self.button_auto):
            widget.setEnabled(reason is None)

    def set_label(self, component: int, label: str | None) -> None:
        """Label a component, replacing its previous label.

        Parameters
        ----------
        component : int
            The component index.
        label : str | None
            One of :attr:`class_names`, or None to remove the component's label.

        Raises
        ------
        RuntimeError
            If the view is read-only (:meth:`set_read_only`).
        """
        if self._read_only is not None:
            raise RuntimeError(f"The labels cannot be changed now: {self._read_only}")
        component = int(component)
        if not 0 <= component < self.n_components:
            raise ValueError(
                f"component must be between 0 and {self.n_components - 1}, got "
                f"{component}."
            )
        if label is not None and label not in self._label_map:
            raise ValueError(
                f"label must be one of {self.class_names} or None, got {label!r}."
            )
        if self._labels.get(component) == label:
            return
        labels_ = self._ica.labels_
        for key in _CLASS_KEYS:
            if key in labels_:
                labels_[key] = [c for c in labels_[key] if int(c) != component]
        self._manual.add(component)
        if label is None:
            self._labels.pop(component, None)
            logger.info(f"ICA{component:03d}: label removed")
        else:
            self._labels[component] = label
            key = self._label_map[label]
            labels_[key] = sorted([*labels_.get(key, []), component], key=int)
            logger.info(f"ICA{component:03d}: {label} ({key})")
        self._refresh_item(component)
        if component == self.selected_component:
            self._check_button(label)
        self._modified = True
        self.labelChanged.emit(component, label)

    def select_component(self, component: int) -> None:
        """Show a component (selects its row in the list).

        Parameters
        ----------
        component : int
            The component index; clipped to the valid range.
        """
        if not self._order:
            return
        component = int(np.clip(component, 0, self.n_components - 1))
        self.list_components.setCurrentRow(self._rows[component])

    @property
    def has_scores(self) -> bool:
        """Whether class probabilities are shown (beside the buttons and as bars)."""
        return self._scores is not None

    def label_automatically(self, method: str | None = None) -> list[str]:
        """Label the components with ICLabel and/or MEGNet, keeping set labels.

        The network's probabilities become ``ica.labels_scores_`` (ICLabel's
        for an ICA of EEG and MEG, whose MEGNet probabilities are shown
        beside them) and fill the list, the bars and the column beside the
        buttons. Each component without a label gets its most probable class
        in ``ica.labels_``; a component labelled before (by hand, in this
        view or earlier) keeps its label. Nothing changes if the network
        fails.

        Parameters
        ----------
        method : ``"iclabel"`` | ``"megnet"`` | ``"both"`` | None
            The network(s); None chooses from the ICA's channel types as
            ``mne-icalabel label`` does (EEG: ICLabel, MEG: MEGNet, both:
            both).

        Returns
        -------
        messages : list of str
            The warnings the networks gave (e.g. about the filter or the
            reference the recording should have).
        """
        method = self._check_method(method)
        proba, labels, messages = _compute_labels(method, self._inst, self._ica)
        self._apply_labels(proba, labels, method)
        return messages

    @property
    def labelling(self) -> bool:
        """Whether "Label automatically" runs in the background."""
        return self._labelling_job is not None

    def cancel_labelling(self) -> None:
        """Stop waiting for a running "Label automatically": its result is dropped."""
        if self._labelling_job is not None:
            self._labelling_job.cancel()
            logger.info("Cancelled the automatic labelling; its result is dropped.")
            self._labelling_done()

    def _check_method(self, method: str | None) -> str:
        if self._ica is None:
            raise RuntimeError("No recording is shown: call set_recording first.")
        if method is None:
            method, _ = default_method(self._inst, self._ica)
        _check_option("method", method, method_names())
        return method

    def _apply_labels(self, proba: dict, labels: list[str], method: str) -> None:
        """Show the networks' result: scores, and labels where none is set."""
        ica = self._ica
        primary = proba["iclabel" if "iclabel" in proba else method]
        # only now that every network ran: change the ICA
        ica.labels_scores_ = primary
        for k, label in enumerate(labels):
            if k not in self._labels:
                entries = ica.labels_.setdefault(to_mne_key(label), [])
                if k not in entries:
                    entries.append(k)
        self._labels = {**self._labels_from_ica(), **self._labels}
        self._scores, self._score_names = _primary_scores(
            ica, self._label_map, None, self.n_components
        )
        self._other_scores = _check_other_scores(
            {m: p for m, p in proba.items() if p is not primary},
            self.n_components,
            self._scores,
        )
        self._modified = True
        self._show_scores()
        for k in range(self.n_components):
            self._refresh_item(k)
        if self.selected_component >= 0:
            self._on_row_changed(self.list_components.currentRow())
        self.scoresChanged.emit()

    def set_order(self, order) -> None:
        """Order the list (a permutation of the components; None: natural order).

        Parameters
        ----------
        order : array-like of int | None
            The components in list order.
        """
        order = self._check_order(order, self.n_components)
        current = self.selected_component
        self._order = order
        self._current = None
        self._fill_list(select=current if current >= 0 else None)

    def set_excluded(self, excluded) -> None:
        """Mark the components an exclusion policy removes.

        Parameters
        ----------
        excluded : array-like of int | None
            The components; None or empty for none.
        """
        self._excluded = frozenset(
            _check_components(excluded, self.n_components, "excluded")
        )
        for k in range(self.n_components):
            self._refresh_item(k)

    def add_side_widget(self, widget: QWidget) -> None:
        """Add a widget below the class buttons (e.g. a window's Save button).

        Parameters
        ----------
        widget : QWidget
            The widget, reparented to the side panel.
        """
        self._side_extra.addWidget(widget)

    def add_save_button(self, slot) -> QPushButton:
        """Add the window's "Save (Ctrl+S)" button below the class buttons.

        Parameters
        ----------
        slot : callable
            Called when the button is clicked.

        Returns
        -------
        button : QPushButton
            The button (it takes no keyboard focus, so keys stay on the list).
        """
        button = QPushButton("Save (Ctrl+S)", self)
        button.setObjectName("pushButton_save")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        self.add_side_widget(button)
        return button

    @property
    def panels(self) -> list:
        """The plot panels."""
        return [
            self.topo_panel,
            self.psd_panel,
            self.source_panel,
            self.erp_panel,
            self.variance_panel,
            self.proba_panel,
        ]

    @property
    def canvases(self) -> list:
        """The matplotlib canvases of the panels."""
        return [panel.canvas for panel in self.panels]

    def scroll_time(self, direction: int) -> None:
        """Scroll the time course (Raw) by ``direction`` windows."""
        self.source_panel.scroll_pages(direction)

    # --------------------------------------------------------------- layout
    def _build_ui(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        # left: the components
        self.list_components = QListWidget(self)
        font = QFont("Monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        font.setPointSize(9)
        self.list_components.setFont(font)
        self.list_components.setFixedWidth(310)
        self.list_components.currentRowChanged.connect(self._on_row_changed)
        layout.addWidget(self.list_components)

        # center: the plots
        plots = QVBoxLayout()
        self.header = QLabel(self)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        plots.addWidget(self.header)
        self.progress = ProgressStrip(self)
        plots.addWidget(self.progress)
        top = QHBoxLayout()
        self.topo_panel = TopomapPanel(self, 2.7, 2.5)
        self.psd_panel = SpectrumPanel(self, 4.2, 2.5)
        top.addWidget(self.topo_panel.canvas, 2)
        top.addWidget(self.psd_panel.canvas, 3)
        plots.addLayout(top, 5)
        self.source_panel = SourcePanel(self, 6.9, 2.0, self._time_window)
        plots.addWidget(self.source_panel.canvas, 4)
        plots.addWidget(self.source_panel.scroll)
        self.time_scroll = self.source_panel.scroll
        bottom = QHBoxLayout()
        self.erp_panel = ERPImagePanel(self, 4.2, 2.5)
        self.variance_panel = VariancePanel(self, 2.7, 2.5)
        bottom.addWidget(self.erp_panel.canvas, 3)
        bottom.addWidget(self.variance_panel.canvas, 2)
        plots.addLayout(bottom, 5)
        layout.addLayout(plots, 1)

        # right: the classes
        layout.addWidget(self._build_side_panel())

    def _build_side_panel(self) -> QWidget:
        panel = QWidget(self)
        panel.setFixedWidth(250)
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 0, 0)
        self._class_box = QWidget(panel)
        self._class_grid = QGridLayout(self._class_box)
        self._class_grid.setContentsMargins(0, 0, 0, 0)
        self._class_box.setStyleSheet(
            "QPushButton:checked {background-color: #2a6fba; color: white;"
            " font-weight: bold;}"
        )
        column.addWidget(self._class_box)
        self.button_group = QButtonGroup(panel)
        self.button_group.setExclusive(True)
        self.button_group.idClicked.connect(self._on_class_clicked)

        grid = QGridLayout()
        self.button_reset = QPushButton("Reset", panel)
        self.button_reset.setObjectName("pushButton_reset")
        self.button_reset.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button_reset.clicked.connect(self._on_reset)
        grid.addWidget(self.button_reset, 0, 0)
        grid.addWidget(QLabel("0", panel), 0, 1)
        self.button_prev = QPushButton("< Previous", panel)
        self.button_next = QPushButton("Next >", panel)
        for button, step in ((self.button_prev, -1), (self.button_next, 1)):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(partial(self._step, step))
        grid.addWidget(self.button_prev, 1, 0)
        grid.addWidget(self.button_next, 1, 1)
        self.checkbox_advance = QCheckBox("Next after labelling (A)", panel)
        self.checkbox_advance.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.checkbox_advance.toggled.connect(self._set_auto_advance)
        grid.addWidget(self.checkbox_advance, 2, 0, 1, 2)
        column.addLayout(grid)
        self._side_extra = QVBoxLayout()
        column.addLayout(self._side_extra)
        self.button_auto = QPushButton("Label automatically", panel)
        self.button_auto.setObjectName("pushButton_label_automatically")
        self.button_auto.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button_auto.setToolTip(
            "Run ICLabel (EEG) or MEGNet (MEG) on this recording; labels set "
            "by hand are kept"
        )
        self.button_auto.clicked.connect(self._on_label_automatically)
        column.addWidget(self.button_auto)
        self.proba_panel = ProbabilityPanel(panel, 2.5, 2.2)
        column.addWidget(self.proba_panel.canvas, 1)
        help_label = QLabel(_HELP, panel)
        help_label.setWordWrap(True)
        column.addWidget(help_label)
        return panel

    def _build_class_buttons(self) -> None:
        """(Re)create the class buttons and their shortcuts for the label map."""
        grid = self._class_grid
        while grid.count():
            widget = grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for button in self.buttons:
            self.button_group.removeButton(button)
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self.buttons, self._proba_labels, self._shortcuts = [], [], []
        box = self._class_box
        grid.addWidget(QLabel("<b>Class</b>", box), 0, 0)
        grid.addWidget(QLabel("<b>Key</b>", box), 0, 1)
        grid.addWidget(QLabel("<b>Auto</b>", box), 0, 2)
        for idx, name in enumerate(self._label_map):
            button = QPushButton(name, box)
            button.setObjectName(f"pushButton_{name.lower().replace(' ', '_')}")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setToolTip(f"Label as {name!r} ({self._label_map[name]!r})")
            self.button_group.addButton(button, idx)
            self.buttons.append(button)
            grid.addWidget(button, idx + 1, 0)
            grid.addWidget(QLabel(f"{idx + 1} / {_LETTERS[name]}", box), idx + 1, 1)
            proba = QLabel("", box)
            proba.setAlignment(Qt.AlignmentFlag.AlignRight)
            self._proba_labels.append(proba)
            grid.addWidget(proba, idx + 1, 2)
            for key in (str(idx + 1), _LETTERS[name]):
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.activated.connect(partial(self._on_class_clicked, idx))
                self._shortcuts.append(shortcut)

    def _add_fixed_shortcuts(self) -> None:
        def add(key: str, slot) -> None:
            QShortcut(QKeySequence(key), self).activated.connect(slot)

        for key in ("0", "Backspace", "Delete"):
            add(key, self._on_reset)
        for key in ("N", "Right"):
            add(key, partial(self._step, 1))
        for key in ("P", "Left"):
            add(key, partial(self._step, -1))
        add("Shift+Right", partial(self.scroll_time, 1))
        add("Shift+Left", partial(self.scroll_time, -1))
        add("A", self.checkbox_advance.toggle)

    # ---------------------------------------------------------------- state
    @staticmethod
    def _check_order(order, n_components: int) -> list[int]:
        if order is None:
            return list(range(n_components))
        order = [int(k) for k in np.asarray(order).ravel()]
        if sorted(order) != list(range(n_components)):
            raise ValueError(
                f"order must be a permutation of the {n_components} component "
                f"indices 0 to {n_components - 1}, got {order}."
            )
        return order

    def _labels_from_ica(self) -> dict[int, str]:
        selected = {}
        for name, key in self._label_map.items():
            for comp in self._ica.labels_.get(key, []):
                selected.setdefault(int(comp), name)
        return selected

    def _fill_list(self, select: int | None = None) -> None:
        """Put one item per component in list order; select ``select`` or the first."""
        lst = self.list_components
        self._rows = {k: row for row, k in enumerate(self._order)}
        lst.blockSignals(True)
        while lst.count() > self.n_components:
            lst.takeItem(lst.count() - 1)
        while lst.count() < self.n_components:
            lst.addItem("")
        for k in range(self.n_components):
            self._refresh_item(k)
        lst.blockSignals(False)
        row = 0 if select is None else self._rows[select]
        if lst.currentRow() == row:
            self._on_row_changed(row)
        else:
            lst.setCurrentRow(row)

    def _refresh_item(self, k: int) -> None:
        item = self.list_components.item(self._rows[k])
        manual = self._labels.get(k, "·")
        mark = "x" if k in self._excluded else " "
        text = f"ICA{k:03d}{mark} {manual:<13}"
        if self._scores is not None:
            best = int(np.argmax(self._scores[k]))
            text += f" {self._score_names[best]:<13} {self._scores[k, best]:.2f}"
        item.setText(text)
        font = item.font()
        font.setBold(k in self._labels)
        item.setFont(font)
        if k in self._excluded:
            item.setForeground(QBrush(_EXCLUDED_COLOR))
            item.setToolTip("Excluded by the policy")
        else:
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
            item.setToolTip("")

    def _show_scores(self) -> None:
        """Give the probability sets to the bar chart; offer automatic labelling."""
        sets = []
        if self._scores is not None:
            method = infer_method(self._scores.shape[1], None)
            title = get_method(method).display_name
            sets.append((title, self._score_names, self._scores))
        for name, (proba, classes) in self._other_scores.items():
            sets.append((name, classes, proba))
        self.proba_panel.set_scores(sets)
        self.button_auto.setVisible(self._scores is None)

    def _check_button(self, label: str | None) -> None:
        self.button_group.setExclusive(False)
        for button in self.buttons:
            button.setChecked(button.text() == label)
        self.button_group.setExclusive(True)

    def _header_text(self, k: int) -> None:
        text = f"<b>ICA{k:03d}</b>"
        if self._data is not None:
            variance = ", ".join(
                f"{100 * ratio[k]:.1f} % ({ch_type})"
                for ch_type, ratio in self._data.var_ratio.items()
            )
            text += f" &nbsp; variance explained: {variance}"
        if self._scores is not None:
            best = int(np.argmax(self._scores[k]))
            text += (
                f" &nbsp; automatic: {self._score_names[best]} "
                f"({self._scores[k, best]:.2f})"
            )
        if k in self._excluded:
            text += " &nbsp; <span style='color:#b22222'>excluded by the policy</span>"
        for name, (proba, classes) in self._other_scores.items():
            row = ", ".join(
                f"{cls} {p:.2f}" for cls, p in zip(classes, proba[k], strict=True)
            )
            text += f"<br>{name}: {row}"
        self.header.setText(text)
        for idx, label in enumerate(self._proba_labels):
            if self._scores is None or idx >= self._scores.shape[1]:
                label.setText("")
            else:
                label.setText(f"{self._scores[k, idx]:.2f}")

    # ---------------------------------------------------------------- slots
    def _on_row_changed(self, row: int) -> None:
        if row < 0 or row >= len(self._order):
            return
        k = self._order[row]
        self._current = k
        self._check_button(self._labels.get(k))
        if self._data is not None:  # else shown when the plots are computed
            for panel in self.panels:
                panel.show(k)
            for canvas in self.canvases:
                canvas.update_idle()  # the data artists only, over the kept rest
        self._header_text(k)
        self.componentSelected.emit(k)

    def _on_class_clicked(self, idx: int) -> None:
        if self.selected_component < 0 or idx >= len(self._label_map):
            return
        if self._read_only is not None:  # a key: the buttons are disabled
            logger.info(f"Not labelled: {self._read_only}")
            return
        self.set_label(self.selected_component, self.class_names[idx])
        if self.auto_advance:
            self._step(1)

    def _on_label_automatically(self) -> None:
        """Run the networks in the worker thread; the window stays usable.

        The button becomes "Cancel labelling" meanwhile. The result is shown
        only on the recording it was computed for: one that arrives after
        another recording was opened (or after a cancel) is dropped.
        """
        if self.labelling:  # the button reads "Cancel labelling"
            self.cancel_labelling()
            return
        try:
            method = self._check_method(None)
        except Exception as error:
            self._labelling_failed(error)
            return
        inst, ica = self._inst, self._ica

        def done(result) -> None:
            self._labelling_done()
            if self._ica is not ica:  # another recording meanwhile
                logger.info("Dropped the labels of a recording no longer shown.")
                return
            proba, labels, messages = result
            self._apply_labels(proba, labels, method)
            if messages:
                text = "The network warned:\n" + "\n".join(messages)
                QMessageBox(
                    QMessageBox.Icon.Warning, "Label automatically", text, parent=self
                ).open()

        def failed(error) -> None:
            self._labelling_done()
            if self._ica is ica:
                self._labelling_failed(error)

        self.button_auto.setText("Cancel labelling")
        self._labelling_job = self._worker.submit(
            _compute_labels, method, inst, ica, on_done=done, on_error=failed
        )

    def _labelling_done(self) -> None:
        self._labelling_job = None
        self.button_auto.setText("Label automatically")

    def _labelling_failed(self, error: Exception) -> None:
        text = f"Automatic labelling failed: {error}"
        logger.error(text)
        QMessageBox(
            QMessageBox.Icon.Critical, "Label automatically", text, parent=self
        ).open()  # not modal: never blocks the event loop

    def _on_reset(self) -> None:
        if self._read_only is None and self.selected_component >= 0:
            self.set_label(self.selected_component, None)

    def _step(self, step: int) -> None:
        """Move ``step`` rows in the list (list order)."""
        lst = self.list_components
        if lst.count():
            lst.setCurrentRow(int(np.clip(lst.currentRow() + step, 0, lst.count() - 1)))

    def _set_auto_advance(self, checked: bool) -> None:
        self.auto_advance = bool(checked)


def _check_components(components, n_components: int, name: str) -> list[int]:
    if components is None:
        return []
    out = [int(k) for k in np.asarray(components).ravel()]
    bad = [k for k in out if not 0 <= k < n_components]
    if bad:
        raise ValueError(
            f"{name} must hold component indices between 0 and {n_components - 1}, "
            f"got {bad}."
        )
    return out


def _compute_labels(method: str, inst, ica) -> tuple[dict, list[str], list[str]]:
    """Run the network(s) of ``method``; nothing is changed (any thread).

    Returns the probabilities by method, the label of each component (the
    combined class for ``"both"``) and the warnings the networks gave.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if get_method(method).components:
            from ..batch._both import label_both  # gui and batch: to be moved

            proba, labels = label_both(inst, ica.copy())
        else:
            proba = {method: _run_network(method, inst, ica)}
            names = CLASSES[method]
            labels = [names[i] for i in np.argmax(proba[method], axis=1)]
    return proba, labels, [str(w.message) for w in caught]


def _run_network(method: str, inst, ica) -> np.ndarray:
    """Return the (n_components, n_classes) probabilities; ``ica`` unchanged."""
    return get_method(method).proba(inst, ica, None)  # MEGNet: says it needs a Raw


def _primary_scores(ica, label_map, scores, n_components):
    """Return the probabilities shown beside the buttons and in the list.

    ``ica.labels_scores_`` if it has a known shape, else the set of ``scores``
    of the method whose classes are the buttons'.
    """
    names_of = {}
    for name in network_names():  # the first method of a number of classes
        labels = get_method(name).labels
        names_of.setdefault(len(labels), list(labels))
    proba = getattr(ica, "labels_scores_", None)
    if proba is not None:
        proba = np.asarray(proba, float)
        if (
            proba.ndim == 2
            and proba.shape[0] == n_components
            and proba.shape[1] in names_of
        ):
            return proba, names_of[proba.shape[1]]
        logger.info(f"ica.labels_scores_ has shape {proba.shape}: not shown.")
    method = infer_method(len(label_map), None)
    if isinstance(scores, dict) and method in scores:
        proba = np.asarray(scores[method], float)
        if proba.shape == (n_components, len(label_map)):
            return proba, list(label_map)
    return None, None


def _check_other_scores(scores, n_components, primary) -> dict:
    """Check the probability sets given besides ``ica.labels_scores_``.

    ``scores`` maps a method (``"iclabel"``, ``"megnet"``) to its
    (n_components, n_classes) probabilities, e.g. both sets of a combined
    EEG + MEG ICA read from its components TSV. Each set is shown in full in
    the header, except the one equal to the primary set (shown beside the
    class buttons).
    """
    _validate_type(scores, (dict, None), "scores")
    out = {}
    for method, proba in (scores or {}).items():
        if method not in CLASSES:
            raise ValueError(
                f"scores has an unknown method {method!r}; use {sorted(CLASSES)}."
            )
        proba = np.asarray(proba, float)
        if proba.shape != (n_components, len(CLASSES[method])):
            raise ValueError(
                f"scores[{method!r}] must have shape ({n_components}, "
                f"{len(CLASSES[method])}), got {proba.shape}."
            )
        if primary is not None and np.array_equal(proba, primary):
            continue
        out[get_method(method).display_name] = (proba, list(CLASSES[method]))
    return out
