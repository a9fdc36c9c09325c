"""PSD feature: EEGLAB's ``eeg_rpsd`` and ICLabel's formatting of it."""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

from ._segments import _component_blocks, _map_blocks, _segment_index, _segments

# numpy >= 2 writes the FFT into a given array
_RFFT_HAS_OUT = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


class _RpsdConstants(NamedTuple):
    """Constants of ``eeg_rpsd`` (0-based ``index``)."""

    ncomp: int
    nfreqs: int
    n_points: int
    nyquist: int
    index: np.ndarray  # (n_points, n_seg) int
    window: np.ndarray  # (n_points,) symmetric Hamming
    subset: np.ndarray  # permutation of the n_seg_total segments


def _eeg_rpsd_constants(
    n_components: int, n_times: int, sfreq: float, n_epochs: int | None = None
) -> _RpsdConstants:
    """Compute the constants of ``eeg_rpsd`` for ``n_times`` samples per epoch.

    ``n_epochs`` is None for Raw. ``subset`` is a random permutation of the
    segments as in EEGLAB; it only reorders the segments before a median, so
    the result does not depend on it and the computation ignores it.
    """
    nyquist = int(np.floor(sfreq / 2))
    nfreqs = nyquist if nyquist < 100 else 100
    n_points = min(n_times, int(sfreq))
    window = np.hamming(n_points)
    index = _segment_index(n_times, n_points)
    n_seg = index.shape[1] * (1 if n_epochs is None else n_epochs)
    subset = np.random.default_rng().permutation(n_seg)
    return _RpsdConstants(
        n_components, nfreqs, n_points, nyquist, index, window, subset
    )


def _median_in_place(power: np.ndarray) -> np.ndarray:
    """``np.median(power, axis=-1)`` (same numbers), partially sorting ``power``.

    The mean of the two middle values for an even count, as ``np.median``;
    the power is finite, so its NaN handling is not needed. Returns a new array.
    """
    m = power.shape[-1]
    if m % 2:
        power.partition(m // 2, axis=-1)
        return power[..., m // 2].copy()
    power.partition((m // 2 - 1, m // 2), axis=-1)
    return (power[..., m // 2 - 1] + power[..., m // 2]) / 2


def _eeg_rpsd_compute_psdmed(
    icaact: np.ndarray, sfreq: float, constants: _RpsdConstants
) -> np.ndarray:
    """Median (over segments) log power spectrum of each component (n, nfreqs).

    For each component: Hamming-windowed half-overlapping segments, power
    ``|fft|²`` of bins 1..nfreqs scaled by ``2 / (fs * sum(window²))`` (the
    last bin halved when it is the Nyquist bin), median over segments, then
    ``20 log10`` — of a power, as EEGLAB does.
    """
    _, nfreqs, n_points, nyquist, index, window, _ = constants
    # Bins 1..nfreqs of the full FFT; beyond n_points/2 they mirror the rfft.
    bins = np.arange(1, nfreqs + 1)
    bins = np.minimum(bins, n_points - bins)
    n_rfft = int(bins.max())  # rfft bins 1..n_rfft hold every bin used
    n_seg = index.shape[1] * (icaact.shape[2] if icaact.ndim == 3 else 1)
    window = window.reshape(-1, *(1,) * (icaact.ndim - 1))
    per_component = 8 * n_seg * (n_points + n_points + 2 * n_rfft)
    blocks = _component_blocks(icaact.shape[0], per_component)
    # Each thread reuses its work arrays from block to block: allocated per
    # block, they were fresh memory pages (page faults) for every component.
    work = threading.local()

    def psdmed_of(block: slice) -> np.ndarray:
        frames = _segments(icaact[block], index)  # view, (b, [E,] s, n_points)
        b = len(frames)
        if not hasattr(work, "seg"):
            size = len(range(icaact.shape[0])[blocks[0]])  # largest block
            middle = frames.shape[1:-1]  # ([E,] s)
            work.seg = np.empty((size, *frames.shape[1:]))
            work.spectrum = np.empty((size, n_points // 2 + 1, *middle), complex)
            work.squares = np.empty((size, n_rfft, *middle[:-1], 2 * middle[-1]))
            work.power = np.empty((size, n_rfft, *middle))
        # windowed segments as (b, n_points, [E,] s), time on axis 1 and the
        # segments' memory layout kept, so that the spectrum comes out as
        # (b, n_rfft, [E,] s): each bin's values over all segments contiguous
        # for the median (whose result does not depend on their order)
        seg = np.moveaxis(work.seg[:b], -1, 1)
        np.multiply(np.moveaxis(frames, -1, 1), window, out=seg)
        if _RFFT_HAS_OUT:
            spectrum = np.fft.rfft(seg, axis=1, out=work.spectrum[:b])
        else:  # numpy < 2
            from scipy.fft import rfft

            spectrum = rfft(seg, axis=1)
        # |X|² from the interleaved real and imaginary parts
        parts = spectrum[:, 1 : n_rfft + 1].view(np.float64)
        squares = np.square(parts, out=work.squares[:b])
        power = np.add(squares[..., 0::2], squares[..., 1::2], out=work.power[:b])
        return _median_in_place(power.reshape(b, n_rfft, n_seg))

    # scaling and bin selection commute with the median: apply them after it
    psdmed = np.concatenate(_map_blocks(psdmed_of, blocks))[:, bins - 1]
    psdmed *= 2 / (sfreq * np.sum(window**2))
    if nfreqs == nyquist:
        psdmed[:, -1] /= 2
    return 20 * np.log10(psdmed)


def _eeg_rpsd_format(psd: np.ndarray) -> np.ndarray:
    """Format the (n, nfreqs) PSD into the (1, 100, 1, n) float32 feature.

    Pads to 100 bins with the last value, undoes 50 and 60 Hz notches (a bin
    more than 5 dB below both neighbours becomes their mean) and divides each
    row by its maximum absolute value.
    """
    n_freqs = psd.shape[1]
    if n_freqs < 100:
        psd = np.concatenate([psd, np.repeat(psd[:, -1:], 100 - n_freqs, axis=1)], 1)
    else:
        psd = psd.copy()
    for line in (50, 60):
        j = line - 1
        notched = (psd[:, j - 1] - psd[:, j] > 5) & (psd[:, j + 1] - psd[:, j] > 5)
        psd[notched, j] = (psd[notched, j - 1] + psd[notched, j + 1]) / 2
    psd /= np.max(np.abs(psd), axis=1, keepdims=True)
    return psd.T[np.newaxis, :, np.newaxis, :].astype(np.float32)


def _compute_psd_feature(icaact: np.ndarray, sfreq: float) -> np.ndarray:
    """PSD feature (1, 100, 1, n) float32 from ``icaact`` (n, T) or (n, T, E)."""
    n_epochs = icaact.shape[2] if icaact.ndim == 3 else None
    constants = _eeg_rpsd_constants(icaact.shape[0], icaact.shape[1], sfreq, n_epochs)
    return _eeg_rpsd_format(_eeg_rpsd_compute_psdmed(icaact, sfreq, constants))
