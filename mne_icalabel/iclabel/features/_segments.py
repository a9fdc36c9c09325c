"""Segments and component blocks shared by the PSD and autocorrelation steps."""

from __future__ import annotations

import numpy as np

from ...utils._threads import n_threads

# Largest temporary array of a spectral step (bytes). Components are processed
# in blocks so that 60 components x 10 min at 250 Hz never hold more than a few
# such arrays at once. Small blocks (about one such component) are also the
# fastest: their temporaries stay in the CPU caches. Up to _MAX_THREADS blocks
# are in flight at once.
_BLOCK_BYTES = 8 * 1024**2
_MAX_THREADS = 2


def _component_blocks(n_components: int, bytes_per_component: int) -> list[slice]:
    """Return slices over the components, each using at most ``_BLOCK_BYTES``."""
    size = max(1, _BLOCK_BYTES // max(1, bytes_per_component))
    return [slice(start, start + size) for start in range(0, n_components, size)]


def _map_blocks(func, blocks: list[slice]) -> list:
    """Return ``[func(block) for block in blocks]``, computed by a few threads.

    The work of a block is FFTs, partitions and products, which release the
    GIL: threads use the cores without copying the activations. The number of
    threads is bounded by the CPUs this process may use (``utils._threads``).
    """
    n_pool = min(_MAX_THREADS, n_threads(), len(blocks))
    if n_pool <= 1:
        return [func(block) for block in blocks]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n_pool) as pool:
        return list(pool.map(func, blocks))


def _segment_index(n_times: int, n_points: int) -> np.ndarray:
    """Sample indices (n_points, n_seg) of half-overlapping segments.

    EEGLAB: ``cutoff = floor(T / n_points) * n_points`` and segment starts
    ``ceil(0 : n_points / 2 : cutoff - n_points)`` (0-based here).
    """
    cutoff = (n_times // n_points) * n_points
    starts = np.ceil(np.arange(0, cutoff - n_points + n_points / 2, n_points / 2))
    return starts.astype(np.intp)[np.newaxis, :] + np.arange(n_points)[:, np.newaxis]


def _segments(icaact: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Segments of every component: (n, n_seg, n_points) or (n, E, n_seg, n_points).

    ``icaact`` is (n, T) for Raw or (n, T, E) for Epochs (a view of a
    contiguous (n, E, T) array). Time is the last axis. When the starts are
    evenly spaced (``n_points`` even) the result is a strided view of
    ``icaact``, not a copy; otherwise the segments are gathered.
    """
    act = icaact if icaact.ndim == 2 else np.moveaxis(icaact, 2, 1)
    n_points = index.shape[0]
    frames = np.lib.stride_tricks.sliding_window_view(act, n_points, axis=-1)
    starts = index[0]
    step = int(starts[1] - starts[0]) if starts.size > 1 else 1
    if step > 0 and np.array_equal(starts, starts[0] + step * np.arange(starts.size)):
        return frames[..., starts[0] :: step, :][..., : starts.size, :]
    return frames[..., starts, :]
