"""The plots of the component view, one figure (canvas) per panel.

Each panel draws one component of an :class:`~mne_icalabel.gui._data.ICAPlotData`.
:meth:`set_data` takes the arrays of a recording and creates the artists only
when the recording's layout differs from the previous one (other channel
positions, Raw instead of Epochs, ...); :meth:`show` puts one component into
the existing artists. Neither draws: the view asks the canvases for a deferred
redraw (:meth:`_Canvas.draw_idle`) after a change.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QScrollBar, QSizePolicy, QWidget

from ._canvas import _Canvas
from ._data import ICAPlotData


def _symmetric_ylim(ax, y) -> None:
    span = float(np.abs(y).max()) if len(y) else 0.0
    span = span or 1.0
    ax.set_ylim(-1.1 * span, 1.1 * span)


class _Panel:
    """A figure on its own canvas; subclasses fill :meth:`_init` and :meth:`show`."""

    def __init__(self, parent: QWidget, width: float, height: float) -> None:
        fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
        self.canvas = _Canvas(fig)
        self.canvas.setParent(parent)
        self.canvas.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding
        )
        self.canvas.setMinimumSize(int(width * 60), int(height * 60))
        self.canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.figure = fig
        self.data: ICAPlotData | None = None
        self._layout_key = None

    def set_data(self, data: ICAPlotData) -> None:
        """Use the arrays of a recording; artists are rebuilt only if needed."""
        key = self._key(data)
        self.data = data
        if key != self._layout_key or self._layout_key is None:
            self.figure.clear()
            self._init(data)
            self._layout_key = key
            self.canvas._relayout = True
        else:
            self._reuse(data)

    def _key(self, data: ICAPlotData):
        """Return what must stay equal for the artists to suit another recording."""
        return ()

    def _init(self, data: ICAPlotData) -> None:
        raise NotImplementedError

    def _reuse(self, data: ICAPlotData) -> None:
        """Adapt the existing artists to a recording of the same layout."""

    def show(self, k: int) -> None:
        raise NotImplementedError


class TopomapPanel(_Panel):
    """One map per modality of the ICA (EEG and MEG side by side)."""

    def _key(self, data):
        return tuple(
            (
                t.ch_type,
                t.images is None,
                None if t.sensor_pos is None else t.sensor_pos.tobytes(),
                t.extent,
                t.clip,
                t.images is None or t.images.shape[1:],
            )
            for t in data.topomaps
        ) or (data.topo_type,)

    def _init(self, data):
        maps = data.topomaps
        axes = np.atleast_1d(self.figure.subplots(1, max(len(maps), 1)))
        self.axes = list(axes)
        self.canvas.setMinimumWidth(int(2.7 * 60 * len(self.axes)))
        self.images, self.titles = [], []
        for ax, topo in zip(self.axes, maps or [None], strict=True):
            image, title = self._init_one(ax, topo)
            self.images.append(image)
            self.titles.append(title)

    @staticmethod
    def _init_one(ax, topo):
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

    def show(self, k):
        data = self.data
        for topo, artist, title in zip(
            data.topomaps, self.images, self.titles, strict=False
        ):
            if artist is not None:
                image = topo.images[k]
                vmax = float(np.nanmax(np.abs(image))) or 1.0
                artist.set_data(image)
                artist.set_clim(-vmax, vmax)
            title.set_text(f"ICA{k:03d} ({topo.ch_type})")
        if not data.topomaps:
            self.titles[0].set_text(f"ICA{k:03d} ({data.topo_type})")


class SpectrumPanel(_Panel):
    """The power spectrum of the component (dB)."""

    def _key(self, data):
        return (len(data.freqs),)

    def _init(self, data):
        self.ax = ax = self.figure.add_subplot()
        (self.line,) = ax.plot(data.freqs, data.psd_db[0], color="k", lw=1)
        ax.set(xlabel="Frequency (Hz)", ylabel="Power (dB)", title="Power spectrum")
        ax.title.set_fontsize(9)
        ax.grid(True, alpha=0.3)
        self._reuse(data)

    def _reuse(self, data):
        self.line.set_xdata(data.freqs)
        self.ax.set_xlim(data.freqs[0], data.freqs[-1])

    def show(self, k):
        psd = self.data.psd_db[k]
        self.line.set_ydata(psd)
        span = float(psd.max() - psd.min()) or 1.0
        self.ax.set_ylim(psd.min() - 0.05 * span, psd.max() + 0.05 * span)


class SourcePanel(_Panel):
    """The time course of a Raw recording's component, or the image of its epochs.

    For Raw, :attr:`scroll` moves a window of ``time_window`` seconds along
    the recording; it is hidden for Epochs.
    """

    def __init__(self, parent, width, height, time_window: float = 10.0) -> None:
        super().__init__(parent, width, height)
        self.time_window = float(time_window)
        self.scroll = QScrollBar(Qt.Orientation.Horizontal, parent)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll.valueChanged.connect(self._on_scrolled)
        self._current: int | None = None
        self.time_line = self.epochs_image = self.erp_line = None

    def _key(self, data):
        return (data.kind,) + (
            (data.sources.shape[-1],) if data.kind == "epochs" else ()
        )

    def _init(self, data):
        if data.kind == "raw":
            self.ax = ax = self.figure.add_subplot()
            self.epochs_image = self.erp_line = self.erp_ax = None
            (self.time_line,) = ax.plot([], [], color="k", lw=0.6)
            ax.set(xlabel="Time (s)", ylabel="Source (a.u.)", title="Time course")
            ax.title.set_fontsize(9)
            self._reuse(data)
            return
        self.time_line = None
        gs = self.figure.add_gridspec(2, 1, height_ratios=(3, 1))
        self.ax = ax_img = self.figure.add_subplot(gs[0])
        self.erp_ax = ax_erp = self.figure.add_subplot(gs[1], sharex=ax_img)
        t = data.times
        self.epochs_image = ax_img.imshow(
            data.sources[:, 0],
            origin="lower",
            aspect="auto",
            cmap="RdBu_r",
            extent=(t[0], t[-1], 0.5, data.sources.shape[0] + 0.5),
            interpolation="nearest",
        )
        ax_img.set(ylabel="Epoch", title="Epochs image")
        ax_img.title.set_fontsize(9)
        ax_img.tick_params(labelbottom=False)
        (self.erp_line,) = ax_erp.plot(t, data.sources[:, 0].mean(0), "k", lw=0.8)
        ax_erp.set(xlabel="Time (s)", ylabel="Mean")
        ax_erp.set_xlim(t[0], t[-1])
        self._reuse(data)

    def _reuse(self, data):
        self.scroll.setVisible(data.kind == "raw")
        if data.kind == "raw":
            n_win = int(min(len(data.times), round(self.time_window * data.sfreq)))
            self.n_win = max(n_win, 2)
            self.scroll.blockSignals(True)
            self.scroll.setRange(0, len(data.times) - self.n_win)
            self.scroll.setPageStep(self.n_win)
            self.scroll.setSingleStep(max(1, self.n_win // 10))
            self.scroll.blockSignals(False)
        else:
            t, n_epochs = data.times, data.sources.shape[0]
            self.epochs_image.set_extent((t[0], t[-1], 0.5, n_epochs + 0.5))
            self.ax.set_ylim(0.5, n_epochs + 0.5)
            self.erp_line.set_xdata(t)

    def show(self, k):
        self._current = k
        data = self.data
        if data.kind == "raw":
            self._update_time_course()
            return
        clim = data.epochs_clim[k]
        self.epochs_image.set_data(data.sources[:, k])
        self.epochs_image.set_clim(-clim, clim)
        erp = data.sources[:, k].mean(0)
        self.erp_line.set_ydata(erp)
        _symmetric_ylim(self.erp_ax, erp)

    def scroll_pages(self, direction: int) -> None:
        """Move the time course by ``direction`` windows (Raw only)."""
        if self.data is not None and self.data.kind == "raw":
            self.scroll.setValue(
                self.scroll.value() + direction * self.scroll.pageStep()
            )

    def _update_time_course(self) -> None:
        data, k = self.data, self._current
        start = self.scroll.value()
        stop = start + self.n_win
        step = max(1, self.n_win // 4000)  # enough points for a plot's width
        y = data.sources[k, start:stop:step]
        self.time_line.set_data(data.times[start:stop:step], y)
        self.ax.set_xlim(data.times[start], data.times[stop - 1])
        _symmetric_ylim(self.ax, y)

    def _on_scrolled(self, _value: int) -> None:
        if self._current is not None and self.data.kind == "raw":
            self._update_time_course()
            self.canvas.draw_idle()
