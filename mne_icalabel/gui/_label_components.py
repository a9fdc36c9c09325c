"""The Qt window to label ICA components by hand."""

from __future__ import annotations

import getpass
import sys
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from mne import BaseEpochs
from mne.io import BaseRaw
from mne.preprocessing import ICA
from mne.utils import _validate_type, logger
from qtpy.QtCore import Qt, QTimer
from qtpy.QtGui import QFont, QKeySequence, QShortcut
from qtpy.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..iclabel._config import ICA_LABELS_TO_MNE
from ..megnet._config import MEGNET_LABELS_TO_MNE as _MEGNET_LABELS_TO_MNE
from ..utils._checks import _check_ica_channels
from ._data import compute_plot_data, is_meg_ica
from ._io import save_ica_atomic, write_tsv_atomic

# MEGNet's four classes (button text) -> keys of ``ICA.labels_``
MEGNET_LABELS_TO_MNE = {
    name.title(): key for name, key in _MEGNET_LABELS_TO_MNE.items()
}
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
# every key this window manages: relabelling removes a component from all of them
_CLASS_KEYS = tuple(
    dict.fromkeys([*ICA_LABELS_TO_MNE.values(), *MEGNET_LABELS_TO_MNE.values()])
)
_TITLE = "ICA Component Labeler"
_HELP = (
    "<b>Keys</b><br>"
    "digit / letter: label<br>"
    "0, Backspace: reset<br>"
    "N, &rarr;: next &nbsp; P, &larr;: previous<br>"
    "&uarr; &darr;: move in the list<br>"
    "Shift+&larr;/&rarr;: scroll time<br>"
    "A: auto-advance &nbsp; Ctrl+S: save"
)


class _Canvas(FigureCanvasQTAgg):
    """A canvas that draws only while shown, and lays its figure out after a resize.

    The event loop calls the canvas only while it is visible: a deferred draw
    (:meth:`draw_idle`) asked while hidden waits for the next show, and hiding
    (closing the window) cancels it and removes the event filter matplotlib
    installs. So a hidden, closed or dropped window runs no code of its own,
    and Python's garbage collector, which destroys a dropped window wherever
    Python code next allocates, cannot delete the widgets under one of their
    own callbacks.

    Constrained layout measures every tick label on each draw, about half of
    the drawing time; the margins it finds for one component suit the others,
    so it runs on the first draw after a resize only.
    """

    def __init__(self, figure: Figure) -> None:
        super().__init__(figure)
        self._relayout = True
        self._stale = True  # the figure changed since the last draw
        # matplotlib's draw_idle posts QTimer.singleShot(0, self._draw_idle),
        # which nothing can cancel; this child timer is stopped on hide and
        # dies with the canvas
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.setInterval(0)
        self._idle_timer.timeout.connect(self._draw_if_visible)

    def draw_idle(self) -> None:
        self._stale = True
        if self.isVisible():
            self._idle_timer.start()

    def _draw_if_visible(self) -> None:
        if self.isVisible() and self.width() > 0 and self.height() > 0:
            self.draw()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self._idle_timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._idle_timer.stop()  # still stale: drawn on the next show
        # matplotlib's showEvent makes the canvas filter the events of the
        # top-level QWindow (Qt >= 6.6), hidden windows' included; it installs
        # the filter again on each show
        handle = self.window().windowHandle()
        if handle is not None:
            handle.removeEventFilter(self)
        super().hideEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._relayout = True
        super().resizeEvent(event)

    def draw(self) -> None:
        self.figure.set_layout_engine("constrained" if self._relayout else "none")
        super().draw()
        self._relayout = False
        self._stale = False


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "n/a"


def _get_qt_app() -> QApplication:
    """Return the running QApplication, creating one if needed."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1] or ["mne-icalabel"])
    return app


class ICAComponentLabeler(QMainWindow):
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
    author : str | None
        Written as ``annotate_author`` of the components labelled in the
        window; None uses the login name.
    time_window : float
        Duration in seconds of the time course shown for Raw recordings.

    Notes
    -----
    See :func:`mne_icalabel.gui.label_ica_components` for the classes, the keys
    written to ``ica.labels_`` and the keyboard shortcuts. If a destination file
    is set, closing the window with unsaved labels saves them; if that fails the
    window stays open.
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
        _validate_type(inst, (BaseRaw, BaseEpochs), "inst", "raw or epochs")
        _validate_type(ica, ICA, "ica", "ICA")
        if ica.current_fit == "unfitted":
            raise ValueError(
                "ICA instance should be fitted. Use ica.fit(inst) before labelling "
                "its components."
            )
        _check_ica_channels(inst, ica)
        super().__init__()
        self._inst = inst
        self._ica = ica
        self._label_map = (
            MEGNET_LABELS_TO_MNE if is_meg_ica(ica) else dict(ICA_LABELS_TO_MNE)
        )
        self._data = compute_plot_data(inst, ica)
        self._scores, self._score_names = self._get_scores()
        self._other_scores = self._check_other_scores(scores)
        self.tsv_fname = tsv_fname
        self.ica_fname = ica_fname
        self.author = author if author is not None else _login_name()
        self.auto_advance = False
        self._manual: set[int] = set()  # labelled in this window
        self.saved_files: list[Path] = []
        self._time_window = float(time_window)
        self._current: int | None = None

        if not hasattr(ica, "labels_") or ica.labels_ is None:
            ica.labels_ = {}
        for key in self._label_map.values():
            ica.labels_.setdefault(key, [])
        self.selected_labels: dict[int, str] = self._labels_from_ica()

        self.setWindowTitle(f"{_TITLE}[*]")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self._build_ui()
        self._add_shortcuts()
        self.resize(1220, 740)
        self.list_components.setCurrentRow(0)
        self.list_components.setFocus()
        self.setWindowModified(False)
        if show:
            self.show()

    # ------------------------------------------------------------------ API
    @property
    def inst(self) -> BaseRaw | BaseEpochs:
        """The recording."""
        return self._inst

    @property
    def ica(self) -> ICA:
        """The ICA being labelled."""
        return self._ica

    @property
    def n_components_(self) -> int:
        """Number of ICA components."""
        return self._ica.n_components_

    @property
    def labels(self) -> list[str]:
        """Names of the classes, in button order."""
        return list(self._label_map)

    @property
    def selected_component(self) -> int:
        """Index of the component shown."""
        return self.list_components.currentRow()

    @property
    def modified(self) -> bool:
        """Whether labels changed since the last save."""
        return self.isWindowModified()

    def set_label(self, component: int, label: str | None) -> None:
        """Label a component, replacing its previous label.

        Parameters
        ----------
        component : int
            The component index.
        label : str | None
            One of :attr:`labels`, or None to remove the component's label.
        """
        component = int(component)
        if not 0 <= component < self.n_components_:
            raise ValueError(
                f"component must be between 0 and {self.n_components_ - 1}, got "
                f"{component}."
            )
        if label is not None and label not in self._label_map:
            raise ValueError(
                f"label must be one of {self.labels} or None, got {label!r}."
            )
        if self.selected_labels.get(component) == label:
            return
        labels_ = self._ica.labels_
        for key in _CLASS_KEYS:
            if key in labels_:
                labels_[key] = [c for c in labels_[key] if int(c) != component]
        self._manual.add(component)
        if label is None:
            self.selected_labels.pop(component, None)
            logger.info(f"ICA{component:03d}: label removed")
        else:
            self.selected_labels[component] = label
            key = self._label_map[label]
            labels_[key] = sorted([*labels_.get(key, []), component], key=int)
            logger.info(f"ICA{component:03d}: {label} ({key})")
        self._refresh_item(component)
        if component == self.selected_component:
            self._check_button(label)
        self.setWindowModified(True)

    def select_component(self, component: int) -> None:
        """Show a component (selects its row in the list).

        Parameters
        ----------
        component : int
            The component index; clipped to the valid range.
        """
        self.list_components.setCurrentRow(
            int(np.clip(component, 0, self.n_components_ - 1))
        )

    def save(self) -> list[Path]:
        """Save the components TSV and the ICA to the configured files.

        Returns
        -------
        fnames : list of Path
            The files written (the TSV first).
        """
        written = []
        if self.tsv_fname is not None:
            # the components labelled (or unlabelled) here; the other rows of
            # an existing TSV are kept, a new one gets them from ica.labels_
            marks = {
                comp: None
                if comp not in self.selected_labels
                else self._label_map[self.selected_labels[comp]]
                for comp in self._manual
            }
            written.append(
                write_tsv_atomic(self._ica, self.tsv_fname, marks, self.author)
            )
        if self.ica_fname is not None:
            written.append(save_ica_atomic(self._ica, self.ica_fname))
        if written:
            self.saved_files = written
            self.setWindowModified(False)
            self.statusBar().showMessage(
                "Saved " + ", ".join(p.name for p in written), 5000
            )
        return written

    # --------------------------------------------------------------- layout
    def _build_ui(self) -> None:
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)

        # left: the components
        self.list_components = QListWidget(central)
        font = QFont("Monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        font.setPointSize(9)
        self.list_components.setFont(font)
        self.list_components.setFixedWidth(310)
        for k in range(self.n_components_):
            self.list_components.addItem(f"ICA{k:03d}")
            self._refresh_item(k)
        self.list_components.currentRowChanged.connect(self._on_row_changed)
        layout.addWidget(self.list_components)

        # center: the plots
        plots = QVBoxLayout()
        self.header = QLabel(central)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        plots.addWidget(self.header)
        top = QHBoxLayout()
        self._topo_canvas, self._topo_ax = self._make_canvas(2.7, 2.7)
        self._psd_canvas, self._psd_ax = self._make_canvas(4.2, 2.7)
        top.addWidget(self._topo_canvas, 2)
        top.addWidget(self._psd_canvas, 3)
        plots.addLayout(top, 1)
        self._init_topomap()
        self._init_psd()
        if self._data.kind == "raw":
            self._time_canvas, self._time_ax = self._make_canvas(6.9, 3.0)
            plots.addWidget(self._time_canvas, 1)
            self._init_time_course()
            plots.addWidget(self.time_scroll)
        else:
            self._time_canvas, self._time_ax = self._make_canvas(6.9, 3.0)
            plots.addWidget(self._time_canvas, 1)
            self._init_epochs_image()
        layout.addLayout(plots, 1)

        # right: the classes
        layout.addWidget(self._build_class_panel(central))
        self.setCentralWidget(central)
        self.statusBar()

    def _make_canvas(self, width: float, height: float):
        fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
        canvas = _Canvas(fig)
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        canvas.setMinimumSize(int(width * 60), int(height * 60))
        canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return canvas, fig.add_subplot()

    def _build_class_panel(self, parent: QWidget) -> QWidget:
        panel = QWidget(parent)
        panel.setFixedWidth(250)
        grid = QGridLayout(panel)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("<b>Class</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Key</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Auto</b>"), 0, 2)
        self.button_group = QButtonGroup(panel)
        self.button_group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        self._proba_labels: list[QLabel] = []
        for idx, name in enumerate(self._label_map):
            button = QPushButton(name, panel)
            button.setObjectName(f"pushButton_{name.lower().replace(' ', '_')}")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setToolTip(f"Label as {name!r} ({self._label_map[name]!r})")
            self.button_group.addButton(button, idx)
            self.buttons.append(button)
            grid.addWidget(button, idx + 1, 0)
            grid.addWidget(QLabel(f"{idx + 1} / {_LETTERS[name]}"), idx + 1, 1)
            proba = QLabel("", panel)
            proba.setAlignment(Qt.AlignmentFlag.AlignRight)
            self._proba_labels.append(proba)
            grid.addWidget(proba, idx + 1, 2)
        self.button_group.idClicked.connect(self._on_class_clicked)
        panel.setStyleSheet(
            "QPushButton:checked {background-color: #2a6fba; color: white;"
            " font-weight: bold;}"
        )
        row = len(self._label_map) + 1
        self.button_reset = QPushButton("Reset", panel)
        self.button_reset.setObjectName("pushButton_reset")
        self.button_reset.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button_reset.clicked.connect(self._on_reset)
        grid.addWidget(self.button_reset, row, 0)
        grid.addWidget(QLabel("0"), row, 1)

        self.button_prev = QPushButton("< Previous", panel)
        self.button_next = QPushButton("Next >", panel)
        for button, step in ((self.button_prev, -1), (self.button_next, 1)):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(partial(self._step, step))
        grid.addWidget(self.button_prev, row + 1, 0)
        grid.addWidget(self.button_next, row + 1, 1, 1, 2)
        self.checkbox_advance = QCheckBox("Next after labelling (A)", panel)
        self.checkbox_advance.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.checkbox_advance.toggled.connect(self._set_auto_advance)
        grid.addWidget(self.checkbox_advance, row + 2, 0, 1, 3)
        self.button_save = QPushButton("Save (Ctrl+S)", panel)
        self.button_save.setObjectName("pushButton_save")
        self.button_save.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button_save.clicked.connect(self._on_save_requested)
        grid.addWidget(self.button_save, row + 3, 0, 1, 3)
        help_label = QLabel(_HELP, panel)
        help_label.setWordWrap(True)
        grid.addWidget(help_label, row + 4, 0, 1, 3)
        grid.setRowStretch(row + 5, 1)
        return panel

    def _add_shortcuts(self) -> None:
        def add(key: str, slot) -> None:
            QShortcut(QKeySequence(key), self).activated.connect(slot)

        for idx, name in enumerate(self._label_map):
            add(str(idx + 1), partial(self._on_class_clicked, idx))
            add(_LETTERS[name], partial(self._on_class_clicked, idx))
        for key in ("0", "Backspace", "Delete"):
            add(key, self._on_reset)
        for key in ("N", "Right"):
            add(key, partial(self._step, 1))
        for key in ("P", "Left"):
            add(key, partial(self._step, -1))
        add("Shift+Right", partial(self._scroll_time, 1))
        add("Shift+Left", partial(self._scroll_time, -1))
        add("A", self.checkbox_advance.toggle)
        add("Ctrl+S", self._on_save_requested)

    # ---------------------------------------------------------------- plots
    def _init_topomap(self) -> None:
        """One map per modality of the ICA (EEG and MEG side by side)."""
        maps = self._data.topomaps
        if len(maps) > 1:  # replace the single axes by one per channel type
            fig = self._topo_ax.figure
            fig.delaxes(self._topo_ax)
            self._topo_axes = list(np.atleast_1d(fig.subplots(1, len(maps))))
            self._topo_canvas.setMinimumWidth(int(2.7 * 60 * len(maps)))
        else:
            self._topo_axes = [self._topo_ax]
        self._topo_ax = self._topo_axes[0]
        self._topo_ims, self._topo_titles = [], []
        for ax, topo in zip(self._topo_axes, maps or [None], strict=True):
            image, title = self._init_one_topomap(ax, topo)
            self._topo_ims.append(image)
            self._topo_titles.append(title)
        self._topo_im, self._topo_title = self._topo_ims[0], self._topo_titles[0]

    def _init_one_topomap(self, ax, topo):
        """Draw the head and the first map of one channel type on ``ax``."""
        ax.set_axis_off()
        ax.set_aspect("equal")
        title = ax.set_title("", fontsize=9)
        if topo is None or topo.images is None:
            ax.text(0.5, 0.5, "No channel positions", ha="center", va="center")
            return None, title
        image = ax.imshow(
            topo.images[0],
            origin="lower",
            extent=topo.extent,
            cmap="RdBu_r",
            interpolation="bilinear",
        )
        ext = topo.clip
        disc = Circle((0, 0), ext, transform=ax.transData, fc="none", ec="none")
        ax.add_patch(disc)
        image.set_clip_path(disc)
        theta = np.linspace(0, 2 * np.pi, 101)
        kw = dict(color="k", lw=1)
        ax.plot(np.cos(theta), np.sin(theta), **kw)
        ax.plot([-0.09, 0, 0.09], [0.996, 1.1, 0.996], **kw)  # nose
        ear = 0.06 * np.sin(np.linspace(0, np.pi, 30))
        ear_y = np.linspace(-0.15, 0.15, 30)
        ax.plot(1 + ear, ear_y, **kw)
        ax.plot(-1 - ear, ear_y, **kw)
        ax.plot(*topo.sensor_pos.T, "k.", ms=2)
        lim = max(ext, 1.12)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        return image, title

    def _init_psd(self) -> None:
        ax, data = self._psd_ax, self._data
        (self._psd_line,) = ax.plot(data.freqs, data.psd_db[0], color="k", lw=1)
        ax.set(xlabel="Frequency (Hz)", ylabel="Power (dB)", title="Power spectrum")
        ax.title.set_fontsize(9)
        ax.set_xlim(data.freqs[0], data.freqs[-1])
        ax.grid(True, alpha=0.3)

    def _init_time_course(self) -> None:
        ax, data = self._time_ax, self._data
        n_win = int(min(len(data.times), round(self._time_window * data.sfreq)))
        self._n_win = max(n_win, 2)
        (self._time_line,) = ax.plot([], [], color="k", lw=0.6)
        ax.set(xlabel="Time (s)", ylabel="Source (a.u.)", title="Time course")
        ax.title.set_fontsize(9)
        self.time_scroll = QScrollBar(Qt.Orientation.Horizontal, self)
        self.time_scroll.setRange(0, len(data.times) - self._n_win)
        self.time_scroll.setPageStep(self._n_win)
        self.time_scroll.setSingleStep(max(1, self._n_win // 10))
        self.time_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.time_scroll.valueChanged.connect(self._on_time_scrolled)

    def _init_epochs_image(self) -> None:
        data = self._data
        fig = self._time_ax.figure
        fig.clear()
        gs = fig.add_gridspec(2, 1, height_ratios=(3, 1))
        self._time_ax = ax_img = fig.add_subplot(gs[0])
        self._erp_ax = ax_erp = fig.add_subplot(gs[1], sharex=ax_img)
        n_epochs = data.sources.shape[0]
        t = data.times
        self._epochs_im = ax_img.imshow(
            data.sources[:, 0],
            origin="lower",
            aspect="auto",
            cmap="RdBu_r",
            extent=(t[0], t[-1], 0.5, n_epochs + 0.5),
            interpolation="nearest",
        )
        ax_img.set(ylabel="Epoch", title="Epochs image")
        ax_img.title.set_fontsize(9)
        ax_img.tick_params(labelbottom=False)
        (self._erp_line,) = ax_erp.plot(t, data.sources[:, 0].mean(0), "k", lw=0.8)
        ax_erp.set(xlabel="Time (s)", ylabel="Mean")
        ax_erp.set_xlim(t[0], t[-1])

    def _update_plots(self, k: int) -> None:
        """Put component ``k`` into the existing artists."""
        data = self._data
        for topo, artist, title in zip(
            data.topomaps, self._topo_ims, self._topo_titles, strict=False
        ):
            if artist is not None:
                image = topo.images[k]
                vmax = float(np.nanmax(np.abs(image))) or 1.0
                artist.set_data(image)
                artist.set_clim(-vmax, vmax)
            title.set_text(f"ICA{k:03d} ({topo.ch_type})")
        if not data.topomaps:
            self._topo_title.set_text(f"ICA{k:03d} ({data.topo_type})")
        psd = data.psd_db[k]
        self._psd_line.set_ydata(psd)
        span = float(psd.max() - psd.min()) or 1.0
        self._psd_ax.set_ylim(psd.min() - 0.05 * span, psd.max() + 0.05 * span)
        if data.kind == "raw":
            self._update_time_course()
        else:
            clim = data.epochs_clim[k]
            self._epochs_im.set_data(data.sources[:, k])
            self._epochs_im.set_clim(-clim, clim)
            erp = data.sources[:, k].mean(0)
            self._erp_line.set_ydata(erp)
            span = float(np.abs(erp).max()) or 1.0
            self._erp_ax.set_ylim(-1.1 * span, 1.1 * span)
        self._header_text(k)

    def _update_time_course(self) -> None:
        data, k = self._data, self._current
        start = self.time_scroll.value()
        stop = start + self._n_win
        step = max(1, self._n_win // 4000)  # enough points for a plot's width
        y = data.sources[k, start:stop:step]
        self._time_line.set_data(data.times[start:stop:step], y)
        self._time_ax.set_xlim(data.times[start], data.times[stop - 1])
        span = float(np.abs(y).max()) or 1.0
        self._time_ax.set_ylim(-1.1 * span, 1.1 * span)

    def _draw(self) -> None:
        for canvas in (self._topo_canvas, self._psd_canvas, self._time_canvas):
            canvas.draw_idle()

    def _header_text(self, k: int) -> None:
        variance = ", ".join(
            f"{100 * ratio[k]:.1f} % ({ch_type})"
            for ch_type, ratio in self._data.var_ratio.items()
        )
        text = f"<b>ICA{k:03d}</b> &nbsp; variance explained: {variance}"
        if self._scores is not None:
            best = int(np.argmax(self._scores[k]))
            text += (
                f" &nbsp; automatic: {self._score_names[best]} "
                f"({self._scores[k, best]:.2f})"
            )
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

    # ---------------------------------------------------------------- state
    def _get_scores(self):
        scores = getattr(self._ica, "labels_scores_", None)
        if scores is None:
            return None, None
        scores = np.asarray(scores, float)
        n_classes = {7: list(ICA_LABELS_TO_MNE), 4: list(MEGNET_LABELS_TO_MNE)}
        if scores.ndim != 2 or scores.shape[0] != self.n_components_:
            logger.info(f"ica.labels_scores_ has shape {scores.shape}: not shown.")
            return None, None
        if scores.shape[1] not in n_classes:
            logger.info(f"ica.labels_scores_ has shape {scores.shape}: not shown.")
            return None, None
        return scores, n_classes[scores.shape[1]]

    def _check_other_scores(self, scores) -> dict[str, tuple[np.ndarray, list]]:
        """Check the probability sets given besides ``ica.labels_scores_``.

        ``scores`` maps a method (``"iclabel"``, ``"megnet"``) to its
        (n_components, n_classes) probabilities, e.g. both sets of a combined
        EEG + MEG ICA read from its components TSV. Each set is shown in full
        in the header, except the one equal to ``ica.labels_scores_`` (shown
        beside the class buttons).
        """
        from ..annotation._classes import CLASSES

        _validate_type(scores, (dict, None), "scores")
        names = {"iclabel": "ICLabel", "megnet": "MEGNet"}
        out = {}
        for method, proba in (scores or {}).items():
            if method not in CLASSES:
                raise ValueError(
                    f"scores has an unknown method {method!r}; use {sorted(CLASSES)}."
                )
            proba = np.asarray(proba, float)
            if proba.shape != (self.n_components_, len(CLASSES[method])):
                raise ValueError(
                    f"scores[{method!r}] must have shape ({self.n_components_}, "
                    f"{len(CLASSES[method])}), got {proba.shape}."
                )
            if self._scores is not None and np.array_equal(proba, self._scores):
                continue
            out[names[method]] = (proba, list(CLASSES[method]))
        return out

    def _labels_from_ica(self) -> dict[int, str]:
        selected = {}
        for name, key in self._label_map.items():
            for comp in self._ica.labels_.get(key, []):
                selected.setdefault(int(comp), name)
        return selected

    def _refresh_item(self, k: int) -> None:
        item = self.list_components.item(k)
        manual = self.selected_labels.get(k, "·")
        text = f"ICA{k:03d}  {manual:<13}"
        if self._scores is not None:
            best = int(np.argmax(self._scores[k]))
            text += f" {self._score_names[best]:<13} {self._scores[k, best]:.2f}"
        item.setText(text)
        font = item.font()
        font.setBold(k in self.selected_labels)
        item.setFont(font)

    def _check_button(self, label: str | None) -> None:
        self.button_group.setExclusive(False)
        for button in self.buttons:
            button.setChecked(button.text() == label)
        self.button_group.setExclusive(True)

    # ---------------------------------------------------------------- slots
    def _on_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self._current = row
        self._check_button(self.selected_labels.get(row))
        self._update_plots(row)
        self._draw()

    def _on_class_clicked(self, idx: int) -> None:
        self.set_label(self.selected_component, self.labels[idx])
        if self.auto_advance:
            self._step(1)

    def _on_reset(self) -> None:
        self.set_label(self.selected_component, None)

    def _step(self, step: int) -> None:
        self.select_component(self.selected_component + step)

    def _set_auto_advance(self, checked: bool) -> None:
        self.auto_advance = bool(checked)

    def _scroll_time(self, direction: int) -> None:
        if self._data.kind == "raw":
            scroll = self.time_scroll
            scroll.setValue(scroll.value() + direction * scroll.pageStep())

    def _on_time_scrolled(self, _value: int) -> None:
        if self._current is not None:
            self._update_time_course()
            self._time_canvas.draw_idle()

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
        event.accept()
