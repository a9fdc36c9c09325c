"""The component view: look at and label the components of one recording.

Both the labelling window and the dataset review window show a
:class:`ComponentView`. The labelling state and its rules are a
:class:`~mne_icalabel.review.ComponentsReview` (no Qt); the view draws it
(the list, the plots, the side panel), forwards clicks and keys to it as
intents, and redraws what it says changed. :meth:`ComponentView.set_recording`
(or :meth:`~ComponentView.set_review`) shows another recording in the same
widgets.
"""

from __future__ import annotations

from functools import partial

from mne import BaseEpochs
from mne.io import BaseRaw
from mne.preprocessing import ICA
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QHBoxLayout, QPushButton, QWidget

from ..review import ComponentsReview, ReviewEvent, check_recording
from ..review._networks import MEGNET_LABELS_TO_MNE  # noqa: F401 (re-exported)
from ._auto_labelling import BackgroundLabelling
from ._class_panel import ClassPanel
from ._component_list import ComponentList
from ._kept_while_shown import KeptWhileShown
from ._key_bindings import bind_keys
from ._plots import ComponentPlots
from ._worker import Job, Worker


class ComponentView(KeptWhileShown, QWidget):
    """The components of one (inst, ica) pair: list, plots and class buttons.

    A view over a :class:`~mne_icalabel.review.ComponentsReview`
    (:attr:`model`): labelling a component (button, key, or :meth:`set_label`)
    writes its class at once to ``ica.labels_``, replacing any previous
    class label of that component.

    Parameters
    ----------
    parent : QWidget | None
        The parent widget.
    time_window : float
        Duration in seconds of the time course shown for Raw recordings.

    Attributes
    ----------
    model : ComponentsReview | None
        The labelling state shown (None before a recording).
    labelChanged : Signal(int, object)
        Emitted with the component and its new class name (None: removed)
        when a label changes.
    componentSelected : Signal(int)
        Emitted with the component shown after the selection changed.
    scoresChanged : Signal()
        Emitted when automatic labelling has set new probabilities.
    """

    labelChanged = Signal(int, object)
    componentSelected = Signal(int)
    scoresChanged = Signal()

    def __init__(self, parent: QWidget | None = None, *, time_window: float = 10.0):
        super().__init__(parent)
        self._time_window = float(time_window)
        self.model: ComponentsReview | None = None
        self._unsubscribe = None
        self._worker = Worker(self, "mne-icalabel-view")
        self._plots_dropped = False  # by stop_work: computed again when shown
        self._build_ui()
        self._labelling = BackgroundLabelling(
            self, self._worker, self.button_auto, lambda: self.model
        )
        self._shortcuts = bind_keys(self, self._on_key, self.scroll_time)
        self.setFocusProxy(self.list_components)

    # ------------------------------------------------------------ recording
    def set_recording(
        self,
        inst: BaseRaw | BaseEpochs,
        ica: ICA,
        *,
        data=None,
        background: bool = False,
        **options,
    ) -> None:
        """Show the components of another recording.

        The list, buttons and figures are reused; the figures' artists are
        rebuilt only when the channel layout or the kind of data (Raw or
        Epochs) differs from the previous recording.

        Parameters
        ----------
        inst, ica
            The recording and its fitted ICA, whose ``labels_`` are modified
            in place as the user labels (see the model,
            :class:`~mne_icalabel.review.ComponentsReview`).
        data : ICAPlotData | None
            The arrays :func:`~mne_icalabel.review._plot_data.compute_plot_data`
            returns for this (inst, ica), if computed already (e.g. in the
            background); None computes them.
        background : bool
            Compute the arrays (when ``data`` is None) in the view's worker
            thread: the list and the class buttons work at once, the plots
            show a progress bar until the arrays come (:attr:`plots_ready`,
            :meth:`wait_plots`). False computes them here, before returning.
        **options
            ``scores``, ``excluded`` and ``order`` of the model: the other
            probability sets, the components the policy removes (marked in
            the list) and the list's order.

        A "Label automatically" still running for the previous recording is
        cancelled: its result is dropped, as are plots still being computed.
        """
        check_recording(inst, ica)
        if data is None and not background:  # the slow part: before any change
            data = self.plots.compute(inst, ica)
        model = ComponentsReview(inst, ica, auto_advance=self.auto_advance, **options)
        self.set_review(model, data=data, background=background)

    def set_review(
        self, model: ComponentsReview, data=None, background: bool = False
    ) -> None:
        """Show a review model (e.g. of :meth:`DatasetReview.open`).

        Parameters
        ----------
        model : ComponentsReview
            The labelling state of the recording.
        data, background
            See :meth:`set_recording`.
        """
        self.cancel_labelling()
        self._plots_dropped = False
        self.plots.load(model, data, background, on_ready=self._show_selected)
        if self._unsubscribe is not None:
            self._unsubscribe()
        previous = None if self.model is None else self.model.label_map
        self.model = model
        if model.label_map != previous:
            self.class_panel.build_buttons(model.label_map, model.class_letters)
        self._unsubscribe = model.subscribe(self._on_model_event)
        self.class_panel.set_auto_advance(model.auto_advance)
        self.class_panel.set_read_only(model.read_only)
        self._show_scores()
        self.list_components.fill(model)
        self._show_selected()
        self.list_components.setFocus()

    @property
    def plots_ready(self) -> bool:
        """Whether the plots show the recording (False while they are computed)."""
        return self.plots.data is not None

    def wait_plots(self) -> None:
        """Wait until the plots computed in the background are shown."""
        self.plots.wait()

    @property
    def _data(self):
        """The arrays the plots show (None while they are computed)."""
        return self.plots.data

    # ------------------------------------------------- the model, delegated
    @property
    def inst(self) -> BaseRaw | BaseEpochs | None:
        """The recording shown."""
        return None if self.model is None else self.model.inst

    @property
    def ica(self) -> ICA | None:
        """The ICA shown."""
        return None if self.model is None else self.model.ica

    @property
    def n_components(self) -> int:
        """Number of components of the ICA shown (0 before a recording)."""
        return 0 if self.model is None else self.model.n_components

    @property
    def class_names(self) -> list[str]:
        """Names of the classes, in button order."""
        return [] if self.model is None else self.model.class_names

    @property
    def label_map(self) -> dict[str, str]:
        """Class names mapped to their key of ``ICA.labels_``."""
        return {} if self.model is None else dict(self.model.label_map)

    @property
    def labels(self) -> dict[int, str]:
        """The class name of each labelled component (a copy)."""
        return {} if self.model is None else self.model.labels

    def manual_marks(self) -> dict[int, str | None]:
        """Return the components labelled here, mapped to their ``ICA.labels_`` key."""
        return {} if self.model is None else self.model.manual_marks()

    @property
    def selected_component(self) -> int:
        """Index of the component shown (-1 if none)."""
        return -1 if self.model is None else self.model.selected

    @property
    def order(self) -> list[int]:
        """The components in list order."""
        return [] if self.model is None else self.model.order

    @property
    def excluded(self) -> frozenset[int]:
        """The components marked as excluded by the policy."""
        return frozenset() if self.model is None else self.model.excluded

    @property
    def modified(self) -> bool:
        """Whether labels changed since the recording was set or :meth:`set_saved`."""
        return self.model is not None and self.model.modified

    def set_saved(self) -> None:
        """Mark the current labels as saved (:attr:`modified` becomes False)."""
        self.model.mark_saved()

    @property
    def read_only(self) -> str | None:
        """Why the labels cannot be changed now (None: they can)."""
        return None if self.model is None else self.model.read_only

    def set_read_only(self, reason: str | None) -> None:
        """Refuse (``reason``) or allow again (None) changes of the labels.

        The components can still be looked at; the class buttons, Reset and
        "Label automatically" are disabled and the keys do nothing.
        """
        self.model.set_read_only(reason)

    def set_label(self, component: int, label: str | None) -> None:
        """Label a component (:meth:`ComponentsReview.set_label`)."""
        self.model.set_label(component, label)

    def select_component(self, component: int) -> None:
        """Show a component (clipped to the valid range)."""
        if self.model is not None:
            self.model.select(component)

    def set_order(self, order) -> None:
        """Order the list (a permutation of the components; None: natural order)."""
        self.model.set_order(order)

    def set_excluded(self, excluded) -> None:
        """Mark the components an exclusion policy removes (None: none)."""
        self.model.set_excluded(excluded)

    @property
    def has_scores(self) -> bool:
        """Whether class probabilities are shown (beside the buttons and as bars)."""
        return self.model is not None and self.model.has_scores

    @property
    def auto_advance(self) -> bool:
        """Whether labelling with a button or key moves to the next component."""
        return self.checkbox_advance.isChecked()

    @auto_advance.setter
    def auto_advance(self, enabled: bool) -> None:
        self.checkbox_advance.setChecked(bool(enabled))

    # ------------------------------------------------------ automatic labels
    @property
    def labelling(self) -> bool:
        """Whether "Label automatically" runs in the background."""
        return self._labelling.running

    @property
    def _labelling_job(self) -> Job | None:
        return self._labelling.job

    def cancel_labelling(self) -> None:
        """Stop waiting for a running "Label automatically": its result is dropped."""
        self._labelling.cancel()

    def stop_work(self) -> None:
        """Stop everything the view runs in the background: nothing lands after.

        Cancels a running "Label automatically" (its result is dropped) and
        the plots being computed, and shuts the worker down: its delivery
        timer stops, its thread ends with the task it runs. Called when the
        window showing the view is closed (a closed window is only hidden).
        A recording set afterwards starts a new thread; plots dropped here are
        computed again when the view is shown again.
        """
        self.cancel_labelling()
        self._plots_dropped = self._plots_dropped or self.plots.computing
        self.plots.cancel()
        self._worker.shutdown()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Compute again the plots :meth:`stop_work` dropped (a window reopened)."""
        super().showEvent(event)
        if self._plots_dropped and self.model is not None:
            self._plots_dropped = False
            self.plots.load(self.model, None, True, on_ready=self._show_selected)

    def _on_label_automatically(self) -> None:
        """Run the networks in the worker thread, or cancel them (the button)."""
        self._labelling.toggle()

    # -------------------------------------------------------------- drawing
    def add_side_widget(self, widget: QWidget) -> None:
        """Add a widget below the class buttons (e.g. a window's Save button)."""
        self.class_panel.extra.addWidget(widget)

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
        """The plot panels (the probability bars last)."""
        return list(self.plots.panels)

    @property
    def canvases(self) -> list:
        """The matplotlib canvases of the panels."""
        return [panel.canvas for panel in self.panels]

    @property
    def buttons(self) -> list:
        """The class buttons, in class order."""
        return self.class_panel.buttons

    @property
    def _proba_labels(self) -> list:
        return self.class_panel.proba_labels

    def scroll_time(self, direction: int) -> None:
        """Scroll the time course (Raw) by ``direction`` windows."""
        self.source_panel.scroll_pages(direction)

    def _build_ui(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # left: the components
        self.list_components = ComponentList(self)
        self.list_components.currentRowChanged.connect(self._on_row_changed)
        layout.addWidget(self.list_components)
        # center: the plots
        plots = self.plots = ComponentPlots(self, self._time_window, self._worker)
        layout.addWidget(plots, 1)
        self.header, self.progress = plots.header, plots.progress
        self.topo_panel, self.psd_panel = plots.topo_panel, plots.psd_panel
        self.source_panel, self.time_scroll = (
            plots.source_panel,
            plots.source_panel.scroll,
        )
        self.erp_panel, self.variance_panel = plots.erp_panel, plots.variance_panel
        # right: the classes
        side = self.class_panel = ClassPanel(self)
        layout.addWidget(side)
        self.button_group = side.button_group
        self.button_reset, self.button_prev = side.button_reset, side.button_prev
        self.button_next, self.button_auto = side.button_next, side.button_auto
        self.checkbox_advance = side.checkbox_advance
        self.proba_panel = side.proba_panel
        plots.panels.append(self.proba_panel)  # given the arrays, shows ``k``
        self.button_group.idClicked.connect(self._on_class_clicked)
        # clicked(checked): the lambdas drop the argument
        self.button_reset.clicked.connect(lambda: self._forward("reset_selected"))
        self.button_prev.clicked.connect(lambda: self._forward("step", -1))
        self.button_next.clicked.connect(lambda: self._forward("step", 1))
        self.checkbox_advance.toggled.connect(
            partial(self._forward, "set_auto_advance")
        )
        self.button_auto.clicked.connect(self._on_label_automatically)

    def _show_scores(self) -> None:
        """Give the probability sets to the bar chart; offer automatic labelling."""
        model = self.model
        sets = []
        if model.has_scores:
            sets.append((model.score_title, model.score_names, model.scores))
        for name, (proba, classes) in model.other_scores.items():
            sets.append((name, classes, proba))
        self.proba_panel.set_scores(sets)
        self.button_auto.setVisible(not model.has_scores)

    def _show_selected(self) -> None:
        """Draw the selected component: its row, button, plots and header."""
        k = self.model.selected
        if k < 0:
            return
        self.list_components.show_selected(self.model)
        self.class_panel.check(self.model.labels.get(k))
        self.plots.show(k)  # nothing until the arrays are computed
        self._show_header(k)
        self.componentSelected.emit(k)

    def _show_header(self, k: int) -> None:
        model = self.model
        self.plots.show_header(model, self._data, k)
        self.class_panel.set_probabilities(
            model.scores[k] if model.has_scores else None
        )

    # ------------------------------------------------------- intents, events
    def _forward(self, intent: str, *args) -> None:
        """Give a click to the model (nothing before a recording)."""
        if self.model is not None:
            getattr(self.model, intent)(*args)

    def _on_key(self, key: str) -> None:
        if self.model is not None:
            self.model.press(key)

    def _on_class_clicked(self, idx: int) -> None:
        if self.model is not None and idx < len(self.model.label_map):
            self.model.label_selected(self.model.class_names[idx])

    def _on_row_changed(self, row: int) -> None:
        if self.model is not None and 0 <= row < self.model.n_components:
            self.model.select(self.model.order[row])

    def _on_model_event(self, event: ReviewEvent) -> None:
        """Draw what the model says changed."""
        model, kind, k = self.model, event.kind, event.component
        if kind == "selection":
            self._show_selected()
        elif kind == "label":
            self.list_components.refresh(model, k)
            if k == model.selected:
                self.class_panel.check(event.label)
                self._show_header(k)
            self.labelChanged.emit(k, event.label)
        elif kind == "excluded":
            self.list_components.refresh_all(model)
            if model.selected >= 0:
                self._show_header(model.selected)
        elif kind == "order":
            self.list_components.fill(model)
            self._show_selected()
        elif kind == "scores":
            self._show_scores()
            self.list_components.refresh_all(model)
            self._show_selected()
            self.scoresChanged.emit()
        elif kind == "reverted":
            self._show_scores()
            self.list_components.refresh_all(model)
            self._show_selected()
        elif kind == "read_only":
            self.class_panel.set_read_only(model.read_only)
        elif kind == "auto_advance":
            self.class_panel.set_auto_advance(model.auto_advance)
