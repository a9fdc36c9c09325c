"""Chunked prediction of long recordings and the vote that merges the chunks.

MEGNet sees 15000 samples (60 s at 250 Hz) at a time. A longer component time
course is cut into overlapping chunks, each chunk is classified together with
the component's topomap, and the chunk probabilities are averaged with weights
("votes") proportional to how much of the recording each chunk stands for
(MEGNET.md §5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .network._base import MEGNetRunner

CHUNK_LEN = 15000
OVERLAP_LEN = 3750


def _get_chunk_start(
    n_times: int, chunk_len: int = CHUNK_LEN, overlap_len: int = OVERLAP_LEN
) -> list[int]:
    """Return the starts ``0, step, 2·step, …`` of the chunks that fit in ``n_times``.

    ``step = chunk_len - overlap_len``; a start is kept while
    ``start + chunk_len <= n_times``. E.g. ``(10000, 3000, 750)`` gives
    ``[0, 2250, 4500, 6750]``.
    """
    step = chunk_len - overlap_len
    return list(range(0, n_times - chunk_len + 1, step))


def _chunk_starts(
    n_times: int, chunk_len: int = CHUNK_LEN, overlap_len: int = OVERLAP_LEN
) -> list[int]:
    """Chunk starts used for the vote, with multiplicity.

    The reference always appends ``n_times - chunk_len`` so that the end of the
    recording is covered, even when it duplicates the last regular start
    (``n_times = 15000`` gives ``[0, 0]``); the duplicate counts in the vote.
    """
    return [*_get_chunk_start(n_times, chunk_len, overlap_len), n_times - chunk_len]


def _vote_weights(
    n_times: int, chunk_len: int = CHUNK_LEN, overlap_len: int = OVERLAP_LEN
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Vote of each distinct chunk start.

    Every sample ``t`` is shared equally among the ``K(t)`` windows
    ``[start, start + chunk_len)`` (counted with multiplicity) that contain it,
    and each window adds its share to the vote of its start. ``K`` is constant
    between consecutive window edges, so the vote of a window is the sum over
    the segments it covers of ``segment length / K``: O(n_starts²) work instead
    of the reference's loop over samples.

    Returns
    -------
    starts : ndarray of shape (n_distinct,)
        Distinct starts in order of first appearance.
    votes : ndarray of shape (n_distinct,)
        Their votes; they sum to ``n_times``.
    """
    all_starts = np.asarray(_chunk_starts(n_times, chunk_len, overlap_len))
    ends = all_starts + chunk_len
    edges = np.unique(np.concatenate([[0, n_times], all_starts, ends]))
    seg_start, seg_len = edges[:-1], np.diff(edges)
    # covers[i, j]: window i contains segment j (segments lie inside or outside)
    covers = (all_starts[:, None] <= seg_start) & (seg_start < ends[:, None])
    count = covers.sum(axis=0)
    share = np.divide(seg_len, count, out=np.zeros(seg_len.shape), where=count > 0)
    window_votes = covers @ share
    starts, first, inverse = np.unique(
        all_starts, return_index=True, return_inverse=True
    )
    votes = np.bincount(inverse.ravel(), weights=window_votes, minlength=starts.size)
    order = np.argsort(first)
    return starts[order], votes[order]


def _chunk_predicting(
    runner: MEGNetRunner,
    time_series: NDArray[np.float64],
    topomaps: NDArray[np.uint8],
    chunk_len: int = CHUNK_LEN,
    overlap_len: int = OVERLAP_LEN,
) -> NDArray[np.float64]:
    """Classify every chunk of every component and merge them by vote.

    Parameters
    ----------
    runner : MEGNetRunner
        The network (see ``network._base``).
    time_series : ndarray of shape (n_components, n_times)
        Component time courses, ``n_times >= chunk_len``.
    topomaps : ndarray of shape (n_components, 120, 120, 3)
        uint8 topomaps; fed as float32 0–255 values, not rescaled.
    chunk_len, overlap_len : int
        Chunk length and overlap, in samples.

    Returns
    -------
    proba : ndarray of shape (n_components, 4)
        Float64 probabilities, each row normalised to sum to 1:
        ``q ∝ Σ_start vote_start · p_start``.
    """
    n_components, n_times = time_series.shape
    starts, votes = _vote_weights(n_times, chunk_len, overlap_len)
    # All chunks of all components, component-major: (n_components * n_starts,),
    # cast to float32 while copied (no float32 copy of the whole time series)
    chunks = np.empty((n_components, starts.size, chunk_len), np.float32)
    for k, start in enumerate(starts):
        chunks[:, k] = time_series[:, start : start + chunk_len]
    chunks = chunks.reshape(-1, chunk_len)
    component = np.repeat(np.arange(n_components), starts.size)
    spatial = topomaps.astype(np.float32)
    proba = runner.predict(spatial, chunks, component)
    proba = proba.astype(np.float64).reshape(n_components, starts.size, -1)
    weighted = np.einsum("csk,s->ck", proba, votes)
    return weighted / weighted.sum(axis=1, keepdims=True)
