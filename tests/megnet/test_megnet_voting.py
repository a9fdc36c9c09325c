"""Chunk starts, vote weights and the merge of chunk predictions."""

from __future__ import annotations

import numpy as np
import pytest

from mne_icalabel.megnet._voting import (
    _chunk_predicting,
    _chunk_starts,
    _get_chunk_start,
    _vote_weights,
)
from mne_icalabel.megnet.network._base import MEGNetRunner

from .._properties import EPS64, assert_probabilities

# float64 unit roundoff. The votes are sums of positive terms: a sum of k of
# them is within (k - 1) u of its value (relative), a division adds u.
U64 = EPS64 / 2


def _votes_rtol(n_times, chunk, overlap, brute=False) -> float:
    """Relative error bound of ``_vote_weights`` (and of the brute force).

    ``_vote_weights`` divides each segment length by its count (u), sums the
    shares of at most ``2 n_windows + 1`` segments, then the duplicates of a
    start: at most ``3 n_windows + 2`` roundings. The per-sample loop adds
    ``n_times`` rounded shares ``1 / K``: at most ``2 n_times`` more.
    """
    n_windows = len(_chunk_starts(n_times, chunk, overlap))
    return (3 * n_windows + 2 + (2 * n_times if brute else 0)) * U64


def _brute_force_votes(n_times: int, chunk: int, overlap: int) -> dict[int, float]:
    """The reference's per-sample loop (MEGNET.md §5.2)."""
    starts = _chunk_starts(n_times, chunk, overlap)
    votes: dict[int, float] = {}
    for t in range(n_times):
        containing = [s for s in starts if s <= t < s + chunk]
        for s in containing:
            votes[s] = votes.get(s, 0.0) + 1.0 / len(containing)
    return votes


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((10000, 3000, 750), [0, 2250, 4500, 6750]),
        ((15000, 15000, 3750), [0]),
        ((17500, 15000, 3750), [0]),
        ((26250, 15000, 3750), [0, 11250]),
        ((75000, 15000, 3750), [0, 11250, 22500, 33750, 45000, 56250]),
        ((14999, 15000, 3750), []),
    ],
)
def test_get_chunk_start(args, expected):
    assert _get_chunk_start(*args) == expected


def test_chunk_starts_always_append_the_end():
    assert _chunk_starts(15000) == [0, 0]
    assert _chunk_starts(17500) == [0, 2500]
    assert _chunk_starts(26250) == [0, 11250, 11250]
    assert _chunk_starts(10000, 3000, 750) == [0, 2250, 4500, 6750, 7000]


@pytest.mark.parametrize(
    ("n_times", "expected"),
    [
        (17500, {0: 8750.0, 2500: 8750.0}),
        (26250, {0: 12500.0, 11250: 13750.0}),
        (15000, {0: 15000.0}),
    ],
)
def test_vote_weights_worked_examples(n_times, expected):
    starts, votes = _vote_weights(n_times)
    assert list(starts) == list(expected)
    rtol = _votes_rtol(n_times, 15000, 3750)
    np.testing.assert_allclose(votes, list(expected.values()), rtol=rtol)
    # the sum of the votes: n_distinct - 1 more additions
    np.testing.assert_allclose(votes.sum(), n_times, rtol=rtol + votes.size * U64)


def test_vote_weights_small_example():
    starts, votes = _vote_weights(10000, 3000, 750)
    brute = _brute_force_votes(10000, 3000, 750)
    assert list(starts) == [0, 2250, 4500, 6750, 7000]
    rtol = _votes_rtol(10000, 3000, 750, brute=True)
    np.testing.assert_allclose(votes, [brute[s] for s in starts], rtol=rtol)


@pytest.mark.parametrize("seed", range(6))
def test_vote_weights_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    chunk = int(rng.integers(20, 200))
    overlap = int(rng.integers(0, chunk))
    n_times = int(rng.integers(chunk, 12 * chunk))
    starts, votes = _vote_weights(n_times, chunk, overlap)
    brute = _brute_force_votes(n_times, chunk, overlap)
    assert list(starts) == list(brute)  # same keys, first-appearance order
    rtol = _votes_rtol(n_times, chunk, overlap, brute=True)
    np.testing.assert_allclose(votes, list(brute.values()), rtol=rtol)
    rtol = _votes_rtol(n_times, chunk, overlap) + votes.size * U64
    np.testing.assert_allclose(votes.sum(), n_times, rtol=rtol)


class _MockRunner(MEGNetRunner):
    """Deterministic 'network': probabilities from the chunk mean and the map."""

    name = "mock"

    def __init__(self):
        super().__init__(batch_size=3)
        self.calls = []

    def predict(self, spatial, temporal, component):
        self.calls.append(temporal.shape[0])
        logits = np.stack(
            [
                temporal.mean(axis=1),
                temporal[:, ::7].std(axis=1),
                spatial[component].mean(axis=(1, 2, 3)) / 255,
                temporal[:, -1],
            ],
            axis=1,
        )
        proba = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (proba / proba.sum(axis=1, keepdims=True)).astype(np.float32)


def _reference_chunk_predicting(runner, time_series, topomaps, chunk, overlap):
    """MEGNET.md §5 as written: one component and one chunk at a time."""
    out = []
    for series, topomap in zip(time_series, topomaps, strict=True):
        votes = _brute_force_votes(series.size, chunk, overlap)
        preds = []
        for start, vote in votes.items():
            temporal = series[start : start + chunk][None].astype(np.float32)
            spatial = topomap[None].astype(np.float32)
            p = runner.predict(spatial, temporal, np.zeros(1, int))
            preds.append(p.astype(np.float64) * vote)
        q = np.mean(preds, axis=0)
        out.append(q / q.sum())
    return np.concatenate(out)


def test_chunk_predicting_matches_reference():
    rng = np.random.default_rng(0)
    chunk, overlap = 300, 75
    time_series = rng.standard_normal((4, 1111))
    topomaps = rng.integers(0, 256, (4, 120, 120, 3), dtype=np.uint8)
    runner = _MockRunner()
    proba = _chunk_predicting(runner, time_series, topomaps, chunk, overlap)
    assert runner.calls == [4 * 5]  # every chunk of every component, one call
    assert proba.dtype == np.float64
    assert_probabilities(proba, 4, 4, EPS64)
    expected = _reference_chunk_predicting(
        _MockRunner(), time_series, topomaps, chunk, overlap
    )
    # The mock's float32 output of a chunk does not depend on the batch (row-wise
    # NumPy reductions), so only the float64 vote differs: per side, a sum of
    # n_starts positive products (2 n_starts roundings), the mean (1), the row
    # sum (3) and the division (1), for numerator and denominator alike.
    n_starts = len(_brute_force_votes(1111, chunk, overlap))
    np.testing.assert_allclose(proba, expected, rtol=2 * (4 * n_starts + 10) * U64)
