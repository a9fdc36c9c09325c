"""The keys of a review, the same in every front end.

A front end forwards a key pressed without modifier, by name (``"3"``,
``"E"``, ``"Right"``, ``"Backspace"``; a browser's ``"ArrowRight"`` or
``"e"`` are understood too), to :meth:`ComponentsReview.press
<mne_icalabel.review.ComponentsReview.press>`, which looks it up here:

- the digit ``1``, ``2``, ... of a class, or its letter (:data:`LETTERS`),
  labels the selected component;
- ``0``, ``Backspace`` or ``Delete`` removes its label;
- ``N`` / ``Right`` / ``Down`` and ``P`` / ``Left`` / ``Up`` select the next
  and previous component of the list;
- ``A`` toggles the automatic move to the next component after labelling.
"""

from __future__ import annotations

from ..methods import mne_keys

#: the letter of each class (ICLabel's seven, MEGNet's four)
LETTERS = {
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
#: every ``ICA.labels_`` key a review manages: relabelling a component removes
#: it from all of them (other keys, e.g. ``"eog/0/EOG061"``, are kept)
CLASS_KEYS = mne_keys()
RESET_KEYS = ("0", "Backspace", "Delete")
NEXT_KEYS = ("N", "Right", "Down")
PREVIOUS_KEYS = ("P", "Left", "Up")
AUTO_ADVANCE_KEY = "A"
# other spellings of the same keys (a browser's KeyboardEvent.key)
_ALIASES = {
    "ArrowRight": "Right",
    "ArrowLeft": "Left",
    "ArrowDown": "Down",
    "ArrowUp": "Up",
    "Del": "Delete",
}


def normalize_key(key: str) -> str:
    """Return the name of ``key`` used in the tables: a letter in upper case."""
    key = _ALIASES.get(key, key)
    return key.upper() if len(key) == 1 else key


def class_keys(class_names) -> dict[str, int]:
    """Map each key that labels (digit and letter) to the index of its class."""
    keys = {}
    for idx, name in enumerate(class_names):
        keys[str(idx + 1)] = idx
        keys[LETTERS[name]] = idx
    return keys


def key_intent(key: str, class_names) -> tuple[str, int] | None:
    """Return what ``key`` asks for: ``(intent, argument)``, None for nothing.

    Parameters
    ----------
    key : str
        The key's name (see the module's docstring).
    class_names : list of str
        The classes of the recording, in button order.

    Returns
    -------
    intent : tuple | None
        ``("label", class_index)``, ``("reset", 0)``, ``("step", 1 | -1)``,
        ``("auto_advance", 0)``, or None if the key means nothing here
        (e.g. ``"7"`` for the four MEGNet classes).
    """
    key = normalize_key(key)
    labelling = class_keys(class_names)
    if key in labelling:
        return ("label", labelling[key])
    if key in RESET_KEYS:
        return ("reset", 0)
    if key in NEXT_KEYS:
        return ("step", 1)
    if key in PREVIOUS_KEYS:
        return ("step", -1)
    if key == AUTO_ADVANCE_KEY:
        return ("auto_advance", 0)
    return None
