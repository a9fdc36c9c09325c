"""The component view's keys: forwarded to the review model by name.

What a key does is the model's (:mod:`mne_icalabel.review._keys`); here each
key the model knows becomes a window shortcut that gives its name to
:meth:`ComponentsReview.press <mne_icalabel.review.ComponentsReview.press>`.
The up and down arrows stay the component list's own (they move its current
row, which selects the component); ``Shift+Left`` / ``Shift+Right`` scroll
the time course, a matter of the drawing only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from qtpy.QtGui import QKeySequence, QShortcut
from qtpy.QtWidgets import QWidget

from ..methods import CLASSES
from ..review._keys import AUTO_ADVANCE_KEY, LETTERS, RESET_KEYS

# the digits of the largest class set, every class letter, and the moves
# without the arrows the list handles itself
_MODEL_KEYS = (
    *(str(idx + 1) for idx in range(max(len(c) for c in CLASSES.values()))),
    *dict.fromkeys(LETTERS.values()),
    *RESET_KEYS,
    "N",
    "Right",
    "P",
    "Left",
    AUTO_ADVANCE_KEY,
)


def bind_keys(
    widget: QWidget, press: Callable[[str], object], scroll: Callable[[int], object]
) -> list[QShortcut]:
    """Make the review's keys shortcuts of ``widget``'s window.

    Parameters
    ----------
    widget : QWidget
        The owner of the shortcuts (they die with it).
    press : callable
        Called with the key's name (:meth:`ComponentsReview.press`).
    scroll : callable
        Called with +1 / -1 for ``Shift+Right`` / ``Shift+Left``.

    Returns
    -------
    shortcuts : list of QShortcut
        The shortcuts.
    """
    shortcuts = []
    for key in _MODEL_KEYS:
        shortcut = QShortcut(QKeySequence(key), widget)
        shortcut.activated.connect(partial(press, key))
        shortcuts.append(shortcut)
    for key, direction in (("Shift+Right", 1), ("Shift+Left", -1)):
        shortcut = QShortcut(QKeySequence(key), widget)
        shortcut.activated.connect(partial(scroll, direction))
        shortcuts.append(shortcut)
    return shortcuts
