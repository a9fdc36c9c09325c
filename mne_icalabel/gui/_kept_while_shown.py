"""A shown window stays alive until it is closed, referenced or not.

The windows hold reference cycles (signal connections to their own methods),
so a window nobody references any more is not freed at once: it waits for
Python's garbage collector, which runs wherever Python code allocates. A
*shown* window keeps running code of its own (a pending redraw, a timer), and
the collector, run inside one of those callbacks, deleted the window's widgets
under it ("wrapped C/C++ object ... has been deleted"). A user who drops the
window returned by :func:`~mne_icalabel.gui.label_ica_components` in a script
or a notebook expects it to stay on screen anyway, as a pyplot figure does.

So a top-level window is referenced here from its first show until it is
closed (hidden by the program, not by the window system: a minimised window
stays) or destroyed (``deleteLater``). A hidden window runs no code of its
own (see ``_canvas.py``), so the collector may free it at any moment.
"""

from __future__ import annotations

from functools import partial

#: the shown top-level windows, by ``id`` (the value keeps each one alive)
_SHOWN: dict[int, object] = {}


class KeptWhileShown:
    """Mixin for a QWidget: referenced while shown as a top-level window.

    Put it before the Qt class in the bases; a subclass overriding
    ``showEvent`` or ``hideEvent`` calls ``super()``.
    """

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self.isWindow():
            return
        _SHOWN[id(self)] = self
        if not getattr(self, "_kept_until_destroyed", False):
            # deleted while shown: no hideEvent reaches Python any more
            self.destroyed.connect(partial(_SHOWN.pop, id(self), None))
            self._kept_until_destroyed = True

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if not event.spontaneous():  # closed or hidden by the program
            _SHOWN.pop(id(self), None)
        super().hideEvent(event)


def shown_windows() -> list:
    """Return the windows kept alive because they are shown."""
    return list(_SHOWN.values())
