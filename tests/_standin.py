"""A small stand-in labelling method, registered by tests only.

"Topo halves" scores each component from its ICLabel topographic map alone:
the mean of the left half of the map, of the right half, and of its absolute
value, through a softmax. It is deterministic, needs no weights, and proves
that a method registered from outside the package runs wherever the registry
is asked (``label_components`` today; bids, review and apply as they are
wired to it).
"""

from __future__ import annotations

import numpy as np

from mne_icalabel.iclabel import get_iclabel_features
from mne_icalabel.methods import Method, Preparation

NAME = "topo_halves"
CLASSES = ("brain", "eye blink", "other")
MNE_KEYS = ("brain", "eog", "other")


def standin_scores(topo: np.ndarray) -> np.ndarray:
    """Probabilities of the stand-in from ICLabel maps ``(32, 32, 1, n)``.

    Columns of a map run left to right (ICLABEL.md §3): the left half is
    ``[:, :16]``. Float64 softmax of 4 x (left mean, right mean, |map| mean),
    cast to float32 as ICLabel's probabilities are.
    """
    maps = np.asarray(topo, np.float64)[:, :, 0, :]
    logits = 4 * np.stack(
        [
            maps[:, :16].mean(axis=(0, 1)),
            maps[:, 16:].mean(axis=(0, 1)),
            np.abs(maps).mean(axis=(0, 1)),
        ],
        axis=1,
    )
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    return (proba / proba.sum(axis=1, keepdims=True)).astype(np.float32)


def _proba(inst, ica, backend=None) -> np.ndarray:
    topo, _, _ = get_iclabel_features(inst, ica)
    return standin_scores(topo)


STANDIN = Method(
    name=NAME,
    display_name="Topo halves",
    classes=CLASSES,
    mne_keys=MNE_KEYS,
    proba=_proba,
    dtype=np.float32,
    stores_labels=True,
    preparation=Preparation(modalities=("EEG",)),
)
