"""The plots of the component view, one figure (canvas) per panel.

Each panel draws one component of an
:class:`~mne_icalabel.review._plot_data.ICAPlotData`.
:meth:`set_data` takes the arrays of a recording and creates the artists only
when the recording's layout differs from the previous one (other channel
positions, Raw instead of Epochs, ...); :meth:`show` puts one component into
the existing artists. Neither draws: :meth:`set_data` asks the canvas for a
deferred redraw of the whole figure (:meth:`_Canvas.draw_idle`), and after
:meth:`show` the view asks for one of the *dynamic* artists only
(:meth:`_Canvas.update_idle`): those :meth:`_Panel._dynamic_artists` names,
whatever a component changes (data, colour limits, texts, the axis whose
ticks follow the component's range, and what lies above them), drawn over the
kept picture of the rest (frames, fixed ticks, labels, the head outline).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QScrollBar, QSizePolicy, QWidget

from ..review._plot_data import ICAPlotData
from ._canvas import _Canvas


def _symmetric_limits(y: np.ndarray) -> np.ndarray:
    """Return the y limits of each row of ``y``, (n_rows, 2): +-1.1 max |y|."""
    span = np.abs(y).max(axis=-1, initial=0.0)
    span = np.where(span > 0, span, 1.0)
    return np.stack([-1.1 * span, 1.1 * span], axis=-1)


def _place_ylabel(ax, limits, renderer) -> list:
    """Fix the y label of ``ax`` left of the widest tick labels of any limits.

    Matplotlib puts a y label beside the tick labels of the limits it draws,
    so it moves with their width; fixed, it is drawn once, in the kept
    background of the canvas, where the tick labels of every component (each
    pair of ``limits``) leave room. Returns ``[label]``, or ``[]`` when the
    axis shows no tick label to measure (the label then stays matplotlib's,
    drawn with the axis).
    """
    axis = ax.yaxis
    current = [t for t in axis.get_majorticklabels() if t.get_visible()]
    if not current:
        return []
    probe = current[0]  # measures texts as a tick label (font, math, TeX)
    right, shown = probe.get_window_extent(renderer).x1, probe.get_text()
    locator, formatter = axis.get_major_locator(), axis.get_major_formatter()
    widths: dict[str, float] = {}
    widest = 0.0
    view = ax.get_ylim()
    for lo, hi in limits:
        ax.set_ylim(lo, hi)  # the formatter reads the view limits
        tol = 1e-9 * abs(hi - lo)
        locs = [v for v in locator() if lo - tol <= v <= hi + tol]
        for text in formatter.format_ticks(locs):
            if text not in widths:
                probe.set_text(text)
                widths[text] = probe.get_window_extent(renderer).width
            widest = max(widest, widths[text])
    ax.set_ylim(view)
    probe.set_text(shown)
    left = min(right - widest, ax.spines["left"].get_window_extent(renderer).x0)
    pad = axis.labelpad * ax.figure.dpi / 72
    offset = ax.get_window_extent(renderer).x0 - (left - pad)
    transform = offset_copy(ax.transAxes, ax.figure, x=-offset, units="dots")
    axis.set_label_coords(0.0, 0.5, transform=transform)
    return [axis.label]


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
        # the static parts may have changed (titles, extents): a full draw
        self.canvas.set_dynamic_artists(self._dynamic_artists(), self._place_labels)

    def clear(self) -> None:
        """Show nothing until :meth:`set_data` (e.g. while it is computed)."""
        self.figure.clear()
        self.data = None
        self._layout_key = None
        self.canvas.set_dynamic_artists([])

    def _key(self, data: ICAPlotData):
        """Return what must stay equal for the artists to suit another recording."""
        return ()

    def _init(self, data: ICAPlotData) -> None:
        raise NotImplementedError

    def _reuse(self, data: ICAPlotData) -> None:
        """Adapt the existing artists to a recording of the same layout."""

    def show(self, k: int) -> None:
        raise NotImplementedError

    def _dynamic_artists(self) -> list:
        """Return the artists :meth:`show` changes and those drawn above them."""
        return []

    def _place_labels(self, renderer) -> list:
        """Fix the labels of the dynamic axes; return them (drawn in the background)."""
        return []


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
                vmax = float(topo.vmax[k])
                artist.set_data(topo.images[k])
                artist.set_clim(-vmax, vmax)
            title.set_text(f"ICA{k:03d} ({topo.ch_type})")
        if not data.topomaps:
            self.titles[0].set_text(f"ICA{k:03d} ({data.topo_type})")

    def _dynamic_artists(self):
        out = list(self.titles)
        for ax, image in zip(self.axes, self.images, strict=True):
            if image is not None:  # the head outline and sensors lie above it
                out += [image, *ax.lines]
        return out


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
        lo, hi = data.psd_db.min(axis=1), data.psd_db.max(axis=1)
        span = np.where(hi > lo, hi - lo, 1.0)
        self._ylims = np.stack([lo - 0.05 * span, hi + 0.05 * span], axis=1)

    def show(self, k):
        self.line.set_ydata(self.data.psd_db[k])
        self.ax.set_ylim(*self._ylims[k])

    def _place_labels(self, renderer):
        return _place_ylabel(self.ax, self._ylims, renderer)

    def _dynamic_artists(self):
        return [self.line, self.ax.yaxis, *self.ax.spines.values()]


class SourcePanel(_Panel):
    """The time course of a Raw recording's component (hidden for Epochs).

    :attr:`scroll` moves a window of ``time_window`` seconds along the
    recording.
    """

    def __init__(self, parent, width, height, time_window: float = 10.0) -> None:
        super().__init__(parent, width, height)
        self.time_window = float(time_window)
        self.scroll = QScrollBar(Qt.Orientation.Horizontal, parent)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll.valueChanged.connect(self._on_scrolled)
        self._current: int | None = None
        self.time_line = None

    def _key(self, data):
        return (data.kind,)

    def _init(self, data):
        self.ax = ax = self.figure.add_subplot()
        (self.time_line,) = ax.plot([], [], color="k", lw=0.6)
        ax.set(xlabel="Time (s)", ylabel="Source (a.u.)", title="Time course")
        ax.title.set_fontsize(9)
        self._reuse(data)

    def _reuse(self, data):
        raw = data.kind == "raw"
        self.canvas.setVisible(raw)
        self.scroll.setVisible(raw)
        if not raw:
            return
        n_win = int(min(len(data.times), round(self.time_window * data.sfreq)))
        self.n_win = max(n_win, 2)
        self.scroll.blockSignals(True)
        self.scroll.setRange(0, len(data.times) - self.n_win)
        self.scroll.setPageStep(self.n_win)
        self.scroll.setSingleStep(max(1, self.n_win // 10))
        self.scroll.blockSignals(False)

    def show(self, k):
        self._current = k
        if self.data.kind == "raw":
            self._update_time_course()

    def scroll_pages(self, direction: int) -> None:
        """Move the time course by ``direction`` windows (Raw only)."""
        if self.data is not None and self.data.kind == "raw":
            step = direction * self.scroll.pageStep()
            self.scroll.setValue(self.scroll.value() + step)

    def _update_time_course(self) -> None:
        data, k = self.data, self._current
        start = self.scroll.value()
        stop = start + self.n_win
        step = max(1, self.n_win // 4000)  # enough points for a plot's width
        y = data.sources[k, start:stop:step]
        self.time_line.set_data(data.times[start:stop:step], y)
        self.ax.set_xlim(data.times[start], data.times[stop - 1])
        self.ax.set_ylim(*_symmetric_limits(y))

    def _place_labels(self, renderer):
        data = self.data
        if data is None or data.kind != "raw":
            return []
        # the window shown, for every component (a scroll draws in full)
        start = self.scroll.value()
        step = max(1, self.n_win // 4000)
        window = data.sources[:, start : start + self.n_win : step]
        return _place_ylabel(self.ax, _symmetric_limits(window), renderer)

    def _on_scrolled(self, _value: int) -> None:
        if self._current is not None and self.data.kind == "raw":
            self._update_time_course()
            # the time axis is static for a component switch, not here
            self.canvas.draw_idle()

    def _dynamic_artists(self):
        ax = self.ax
        return [self.time_line, ax.yaxis, *ax.spines.values()]


class ERPImagePanel(_Panel):
    """The component's epochs (or a Raw's segments) as an image, their mean below.

    The ERP image of MNE's ``plot_properties`` and EEGLAB's ``pop_prop``: one
    row per epoch, the colour the source's value, without smoothing.
    """

    def _key(self, data):
        return (data.kind, data.n_segment_times)

    def _init(self, data):
        gs = self.figure.add_gridspec(2, 1, height_ratios=(3, 1))
        self.ax = ax_img = self.figure.add_subplot(gs[0])
        self.erp_ax = ax_erp = self.figure.add_subplot(gs[1], sharex=ax_img)
        t = data.segment_times
        self.image = ax_img.imshow(
            np.zeros((max(data.n_segments, 1), len(t)), np.float32),
            origin="lower",
            aspect="auto",
            cmap="RdBu_r",
            interpolation="nearest",
        )
        self.title = ax_img.set_title("", fontsize=9)
        ax_img.tick_params(labelbottom=False)
        ax_img.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        (self.erp_line,) = ax_erp.plot(t, np.zeros(len(t)), "k", lw=0.8)
        ax_erp.set(xlabel="Time (s)", ylabel="Mean")
        self._reuse(data)

    def _reuse(self, data):
        t, n_seg = data.segment_times, data.n_segments
        epochs = data.kind == "epochs"
        self.title.set_text(
            "Epochs image"
            if epochs
            else f"Segments of {data.n_segment_times / data.sfreq:g} s"
        )
        self.ax.set_ylabel("Epoch" if epochs else "Segment")
        # rows numbered from 0, as the points of the variance panel
        self.image.set_extent((t[0], t[-1], -0.5, n_seg - 0.5))
        self.ax.set_ylim(-0.5, n_seg - 0.5)
        self.erp_line.set_xdata(t)
        self.erp_ax.set_xlim(t[0], t[-1])
        self._ylims = _symmetric_limits(data.segment_mean)

    def show(self, k):
        data = self.data
        rows = data.segments(k)
        clim = data.segment_clim[k]
        self.image.set_data(rows)
        self.image.set_clim(-clim, clim)
        self.erp_line.set_ydata(data.segment_mean[k])
        self.erp_ax.set_ylim(*self._ylims[k])

    def _place_labels(self, renderer):
        return _place_ylabel(self.erp_ax, self._ylims, renderer)

    def _dynamic_artists(self):
        return [
            self.image,
            *self.ax.spines.values(),  # above the image
            self.erp_line,
            self.erp_ax.yaxis,
            *self.erp_ax.spines.values(),
        ]


class VariancePanel(_Panel):
    """The variance of the component in each epoch or segment.

    What MNE's ``plot_properties`` shows as "dropped segments": a point per
    segment; those overlapping a span annotated bad are red.
    """

    def _key(self, data):
        return (data.kind,)

    def _init(self, data):
        self.ax = ax = self.figure.add_subplot()
        (self.kept,) = ax.plot([], [], "k.", ms=3, label="kept")
        (self.dropped,) = ax.plot([], [], "r.", ms=3, label="annotated bad")
        ax.set(ylabel="Variance (a.u.)")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        self.title = ax.set_title("", fontsize=9)
        ax.grid(True, alpha=0.3)
        self._reuse(data)

    def _reuse(self, data):
        epochs = data.kind == "epochs"
        self.ax.set_xlabel("Epoch" if epochs else "Segment")
        self.title.set_text("Variance per epoch" if epochs else "Variance per segment")
        self.ax.set_xlim(-0.5, max(data.n_segments, 1) - 0.5)
        dropped = data.segment_dropped
        self._x_kept = np.flatnonzero(~dropped)
        self._x_dropped = np.flatnonzero(dropped)
        top = 1.05 * data.segment_var.max(axis=1, initial=0.0)
        top = np.where(top > 0, top, 1.0)
        self._ylims = np.stack([np.zeros_like(top), top], axis=1)

    def show(self, k):
        var = self.data.segment_var[k]
        self.kept.set_data(self._x_kept, var[self._x_kept])
        self.dropped.set_data(self._x_dropped, var[self._x_dropped])
        self.ax.set_ylim(*self._ylims[k])

    def _place_labels(self, renderer):
        return _place_ylabel(self.ax, self._ylims, renderer)

    def _dynamic_artists(self):
        ax = self.ax
        return [self.kept, self.dropped, ax.yaxis, *ax.spines.values()]


class ProbabilityPanel(_Panel):
    """The class probabilities of the component, one bar chart per network.

    :meth:`set_scores` gives the probability sets, e.g. ICLabel's and
    MEGNet's for an ICA of EEG and MEG; without any, the panel says so.
    """

    def __init__(self, parent, width, height) -> None:
        super().__init__(parent, width, height)
        self.sets: list[tuple[str, list[str], np.ndarray]] = []
        self.bars: list = []
        self.values: list[list] = []
        self.set_scores([])

    def set_data(self, data: ICAPlotData) -> None:
        """Keep the arrays; the probabilities come from :meth:`set_scores`."""
        self.data = data

    def clear(self) -> None:
        """Forget the arrays; the probabilities stay (they do not depend on them)."""
        self.data = None

    def set_scores(self, sets) -> None:
        """Use these probability sets: a list of (title, class names, proba).

        ``proba`` has shape (n_components, n_classes). The bars are rebuilt
        only when the titles or class names change.
        """
        sets = [(title, list(names), np.asarray(p)) for title, names, p in sets]
        key = [(title, names) for title, names, _ in sets]
        self.sets = sets
        if key != self._layout_key:
            self.figure.clear()
            self._build()
            self._layout_key = key
            self.canvas._relayout = True
            self.canvas.set_dynamic_artists(self._dynamic_artists())

    def _build(self) -> None:
        self.bars, self.values, self.axes = [], [], []
        if not self.sets:
            ax = self.figure.add_subplot()
            ax.set_axis_off()
            ax.text(
                0.5,
                0.5,
                "No class probabilities\n(Label automatically)",
                ha="center",
                va="center",
                fontsize=9,
            )
            self.axes = [ax]
            return
        ratios = [len(names) for _, names, _ in self.sets]
        axes = self.figure.subplots(len(self.sets), 1, height_ratios=ratios)
        for ax, (title, names, _) in zip(np.atleast_1d(axes), self.sets, strict=True):
            y = np.arange(len(names))
            bars = ax.barh(y, np.zeros(len(names)), color="#2a6fba", height=0.7)
            ax.set_yticks(y, names, fontsize=8)
            ax.invert_yaxis()
            ax.set_xlim(0, 1.18)
            ax.set_xticks([0, 0.5, 1])
            ax.tick_params(axis="x", labelsize=8)
            ax.set_title(title, fontsize=9)
            texts = [ax.text(0, yy, "", va="center", fontsize=7) for yy in y]
            self.axes.append(ax)
            self.bars.append(list(bars))
            self.values.append(texts)
        self.axes[-1].set_xlabel("Probability", fontsize=8)

    def show(self, k):
        for (_, _, proba), bars, texts in zip(
            self.sets, self.bars, self.values, strict=True
        ):
            best = int(np.argmax(proba[k]))
            for idx, (bar, text) in enumerate(zip(bars, texts, strict=True)):
                p = float(proba[k, idx])
                bar.set_width(p)
                bar.set_color("#b22222" if idx == best else "#2a6fba")
                text.set_x(p + 0.02)
                text.set_text(f"{p:.2f}")

    def _dynamic_artists(self):
        out = [artist for bars in self.bars for artist in bars]
        out += [text for texts in self.values for text in texts]
        if self.bars:  # the bars start on the left spine
            out += [spine for ax in self.axes for spine in ax.spines.values()]
        return out
