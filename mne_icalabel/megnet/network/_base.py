"""The interface every MEGNet backend implements: load once, run a batch."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import NDArray

#: the weights file both backends read (torch takes its initializers)
WEIGHTS = "megnet.onnx"
#: Number of chunks sent to the network in one call. One chunk needs about
#: 12 MB of activations in the network. Measured on 140 chunks (20 components,
#: 5 min): batches of 8 are faster than 32 (onnx 0.51 vs 0.70 s, torch 0.37 vs
#: 0.41 s) and peak about 300 MB (onnx) / 120 MB (torch) lower.
BATCH_SIZE = 8
#: Topomaps per call of onnxruntime's spatial branch. Its convolutions unfold
#: each 120x120 map into patches (11 x 11 x 3 values per pixel for the first
#: one: 21 MB), which onnxruntime's memory arena keeps for the process:
#: 8 maps per call grew the arena by about 140 MB, 1 map by about 20 MB, for
#: about 10% more CPU time in that branch (0.45 vs 0.40 s for 20 maps).
SPATIAL_BATCH_SIZE = 1


class MEGNetRunner(ABC):
    """A loaded MEGNet network: the model of a backend module.

    A backend's ``load(fname)`` builds one (once per process and weights file,
    see :mod:`mne_icalabel.utils._backend`) and its ``run`` calls
    :meth:`predict`. Runners receive plain arrays, never MNE objects.
    """

    #: name of the backend, as given to ``megnet_label_components``
    name: str = ""

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = int(batch_size)

    @abstractmethod
    def predict(
        self,
        spatial: NDArray[np.float32],
        temporal: NDArray[np.float32],
        component: NDArray[np.intp],
    ) -> NDArray[np.float32]:
        """Classify chunks of component time courses with their topomaps.

        Parameters
        ----------
        spatial : ndarray of shape (n_components, 120, 120, 3)
            float32 topomaps, RGB values in 0–255 (not rescaled).
        temporal : ndarray of shape (n_chunks, 15000)
            float32 chunks of the component time courses.
        component : ndarray of shape (n_chunks,)
            Index into ``spatial`` of the component each chunk belongs to.

        Returns
        -------
        proba : ndarray of shape (n_chunks, 4)
            float32 softmax output of the network for each chunk.
        """


def run(runner: MEGNetRunner, spatial, temporal, component) -> NDArray[np.float32]:
    """Classify one batch of chunks with a loaded runner (the backends' ``run``).

    See :meth:`MEGNetRunner.predict` for the arrays.
    """
    return runner.predict(spatial, temporal, component)


def _batches(n_items: int, batch_size: int) -> list[slice]:
    """Consecutive slices of at most ``batch_size`` items covering ``n_items``."""
    return [
        slice(start, min(start + batch_size, n_items))
        for start in range(0, n_items, max(batch_size, 1))
    ]
