"""Segments and component blocks shared by the PSD and autocorrelation steps."""

from __future__ import annotations

import numpy as np

# Largest temporary array of a spectral step (bytes). Components are processed
# in blocks so that 60 components x 10 min at 250 Hz never hold more than a few
# such arrays at once; a handful of blocks costs nothing next to the FFTs.
_BLOCK_BYTES = 64 * 1024**2


def _component_blocks(n_components: int, bytes_per_component: int) -> list[slice]:
    """Return slices over the components, each using at most ``_BLOCK_BYTES``."""
    size = max(1, _BLOCK_BYTES // max(1, bytes_per_component))
    return [slice(start, start + size) for start in range(0, n_components, size)]


def _segment_index(n_times: int, n_points: int) -> np.ndarray:
    """Sample indices (n_points, n_seg) of half-overlapping segments.

    EEGLAB: ``cutoff = floor(T / n_points) * n_points`` and segment starts
    ``ceil(0 : n_points / 2 : cutoff - n_points)`` (0-based here).
    """
    cutoff = (n_times // n_points) * n_points
    starts = np.ceil(np.arange(0, cutoff - n_points + n_points / 2, n_points / 2))
    return starts.astype(np.intp)[np.newaxis, :] + np.arange(n_points)[:, np.newaxis]


def _segments(icaact: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Gather the segments of every component: (n, n_seg_total, n_points).

    ``icaact`` is (n, T) for Raw or (n, T, E) for Epochs; for Epochs all
    segments of all epochs are stacked (their order is irrelevant: the callers
    take a median or a mean over them). Time is the last, contiguous axis.
    """
    if icaact.ndim == 2:
        return icaact[:, index.T]
    by_epoch = np.moveaxis(icaact, 2, 1)  # (n, E, T), contiguous for our icaact
    seg = by_epoch[:, :, index.T]  # (n, E, n_seg, n_points)
    return seg.reshape(seg.shape[0], -1, seg.shape[-1])
