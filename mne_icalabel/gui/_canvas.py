"""The matplotlib canvas of the GUI panels: draws only while shown, blits."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from qtpy.QtCore import QTimer


class _Canvas(FigureCanvasQTAgg):
    """A canvas that draws only while shown and redraws only what changed.

    The event loop calls the canvas only while it is visible: a deferred draw
    (:meth:`draw_idle`, :meth:`update_idle`) asked while hidden waits for the
    next show, and hiding (closing the window) cancels it and removes the
    event filter matplotlib installs. So a hidden or closed window runs no
    code of its own, and Python's garbage collector, which destroys a dropped
    window wherever Python code next allocates, cannot delete the widgets
    under one of their own callbacks; a shown window is never dropped
    (``_kept_while_shown.py``).

    Two kinds of redraw:

    - :meth:`draw_idle`: the whole figure (after a resize, or when a panel
      changed its static parts: frames, labels, titles of a recording). The
      figure is drawn without its *dynamic* artists (those of
      :meth:`set_dynamic_artists`: the data, and the axes whose ticks follow
      the component), that picture is kept as the background, then the
      dynamic artists are drawn over it. They are matplotlib's *animated*
      artists, which a figure's draw leaves out (and a saved figure keeps),
      except images: those are hidden for the draw. (Hiding a title instead
      would make its axes move it up on every draw: a hidden text has no
      extent.)
    - :meth:`update_idle`: only the dynamic artists changed (another
      component): the background is restored and they alone are drawn, in
      the order of their ``zorder``, as in a full draw.

    An axis label beside tick labels that change would have to be redrawn
    with them, at a place that follows their width; the panel fixes it instead
    (``place_labels``, before each full draw) where the tick labels of every
    component leave room, and it is drawn once, in the background.

    Constrained layout measures every tick label, about half of a full draw;
    the margins it finds for one component suit the others (the fixed labels
    included), so it runs on the first draw after a resize only.
    """

    def __init__(self, figure: Figure) -> None:
        super().__init__(figure)
        self._relayout = True
        self._stale = True  # the figure changed since the last draw
        self._background = None  # (renderer, region) without the dynamic artists
        self._dynamic: list = []
        self._place_labels = None
        self._fixed_labels: list = []
        # matplotlib's draw_idle posts QTimer.singleShot(0, self._draw_idle),
        # which nothing can cancel; this child timer is stopped on hide and
        # dies with the canvas
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.setInterval(0)
        self._idle_timer.timeout.connect(self._draw_if_visible)

    def set_dynamic_artists(self, artists, place_labels=None) -> None:
        """Set the artists redrawn by :meth:`update_idle`; the next draw is full.

        Parameters
        ----------
        artists : list of Artist
            Artists of this canvas' figure (lines, images, texts, an axis
            whose ticks change, and whatever lies above them in their axes).
        place_labels : callable | None
            Called with the renderer before each full draw: fixes the labels
            of the dynamic axes and returns them (drawn in the background).
        """
        self._place_labels = place_labels
        self._dynamic = sorted(artists, key=lambda a: a.get_zorder())  # stable
        for artist in self._dynamic:
            artist.set_animated(True)
        self.draw_idle()

    def draw_idle(self) -> None:
        """Redraw the whole figure at the next pass of the event loop."""
        self._background = None
        self.update_idle()

    def update_idle(self) -> None:
        """Redraw the dynamic artists at the next pass of the event loop."""
        self._stale = True
        if self.isVisible():
            self._idle_timer.start()

    def _draw_if_visible(self) -> None:
        if self.isVisible() and self.width() > 0 and self.height() > 0:
            self._update_dynamic()

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
        self._background = None  # of the old size
        super().resizeEvent(event)

    def draw(self) -> None:
        """Draw the whole figure now; keep it without the dynamic artists."""
        fig = self.figure
        place = self._place_labels or (lambda _renderer: [])
        labels = place(self.get_renderer())
        if any(label.get_window_extent().x0 < 0 for label in labels):
            self._relayout = True  # wider tick labels than at the layout (scroll)
        if self._relayout and fig.axes:  # (an empty figure has nothing to lay out)
            # the layout must see every artist (tick labels included)
            fig.set_layout_engine("constrained")
            fig.get_layout_engine().execute(fig)
            labels = place(self.get_renderer())  # for the axes' new sizes
        fig.set_layout_engine("none")
        self._fixed_labels = labels
        hidden = [
            a for a in self._dynamic if isinstance(a, AxesImage) and a.get_visible()
        ]
        for artist in hidden:
            artist.set_visible(False)
        try:
            FigureCanvasAgg.draw(self)
            for label in labels:  # their axes are dynamic: not drawn
                fig.draw_artist(label)
            renderer = self.get_renderer()
            self._background = (renderer, renderer.copy_from_bbox(fig.bbox))
        finally:
            for artist in hidden:
                artist.set_visible(True)
        self._draw_dynamic()
        self._relayout = False
        self._stale = False
        self.update()  # Qt paints the buffer

    def _update_dynamic(self) -> None:
        """Draw the dynamic artists over the background (full draw without one)."""
        renderer = self.get_renderer()
        if self._background is None or self._background[0] is not renderer:
            self.draw()
            return
        renderer.restore_region(self._background[1])
        self._draw_dynamic()
        self._stale = False
        self.update()

    def _draw_dynamic(self) -> None:
        labels = [label for label in self._fixed_labels if label.get_visible()]
        for label in labels:  # in the background already
            label.set_visible(False)
        try:
            for artist in self._dynamic:
                if artist.get_visible() and artist.figure is self.figure:
                    self.figure.draw_artist(artist)
        finally:
            for label in labels:
                label.set_visible(True)
