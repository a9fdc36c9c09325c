"""The matplotlib canvas of the GUI panels: draws only while shown."""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from qtpy.QtCore import QTimer


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
