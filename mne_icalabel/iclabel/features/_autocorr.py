"""Autocorrelation feature: EEGLAB's ``eeg_autocorr*`` and the resampling.

All three variants work on power spectra: the autocorrelation is the inverse
FFT of ``|fft(x, nfft)|²``. Power spectra of real signals are real and
symmetric, so ``rfft``/``irfft`` give the real part of EEGLAB's complex
``ifft`` with half the work.

EEGLAB zero-pads a length-``m`` signal to ``nextpow2(2 m - 1)`` so that no lag
wraps around. Only lags ``0..K`` with ``K = min(F, m - 1)`` are kept, and the
circular autocorrelation equals the linear one at lag ``k`` whenever
``k <= nfft - m``: ``nfft >= m + K`` gives the same numbers (to rounding) and
halves the work for the 3 s Welch segments.
"""

from __future__ import annotations

import numpy as np

from ._segments import _component_blocks, _map_blocks, _segment_index, _segments


def _nfft(n_times: int, sfreq: float) -> int:
    """FFT length giving exact linear autocorrelations at lags ``0..min(F, m-1)``."""
    from scipy.fft import next_fast_len

    return next_fast_len(n_times + min(int(sfreq), n_times - 1), real=True)


def _mean_power(frames: np.ndarray, nfft: int) -> np.ndarray:
    """Mean over axis 1 of ``|rfft(frames, nfft)|²``: (b, m, T) -> (b, nfft//2+1)."""
    from scipy.fft import rfft

    spectrum = rfft(frames, n=nfft, axis=-1)
    power = spectrum.real**2
    power += spectrum.imag**2
    return power.mean(axis=1)


def _blockwise_mean_power(
    icaact: np.ndarray, nfft: int, frames_of, n_frames: int, frame_len: int
) -> np.ndarray:
    """Apply ``_mean_power`` to the frames of blocks of components."""
    per_component = n_frames * (8 * frame_len + 3 * 8 * (nfft // 2 + 1))
    blocks = _component_blocks(icaact.shape[0], per_component)
    return np.concatenate(
        _map_blocks(lambda block: _mean_power(frames_of(icaact[block]), nfft), blocks)
    )


def _truncate_or_pad(ac: np.ndarray, n_times: int, sfreq: float) -> np.ndarray:
    """Keep lags ``0..F``; shorter signals (``T < fs``) are zero-padded to F+1."""
    n_lags = int(sfreq) + 1
    if n_times < sfreq:
        out = np.zeros((ac.shape[0], n_lags))
        out[:, :n_times] = ac[:, :n_times]
        return out
    return ac[:, :n_lags]


def _eeg_autocorr_welch(icaact: np.ndarray, sfreq: float) -> np.ndarray:
    """Welch autocorrelation of ``icaact`` (n, T) (Raw longer than 5 s).

    Mean power of half-overlapping ``3 fs`` segments, inverse FFT, lags
    ``0..F`` each normalised by lag 0 and by the fraction of overlapping
    samples ``(n_points - k) / n_points`` (the last lag clipped to >= 1).
    """
    n_times = icaact.shape[1]
    n_points = min(n_times, int(3 * sfreq))
    nfft = _nfft(n_points, sfreq)
    index = _segment_index(n_times, n_points)
    power = _blockwise_mean_power(
        icaact,
        nfft,
        lambda act: _segments(act, index),
        index.shape[1],
        n_points,
    )
    n_lags = int(sfreq) + 1
    ac = np.fft.irfft(power, n=nfft, axis=1)[:, :n_lags]
    overlap = n_points - np.arange(n_lags, dtype=np.float64)
    overlap[-1] = max(1, n_points - int(sfreq))
    return ac / (ac[:, :1] * overlap / n_points)


def _eeg_autocorr(icaact: np.ndarray, sfreq: float) -> np.ndarray:
    """Autocorrelation of the whole recording ``icaact`` (n, T) (short Raw)."""
    n_times = icaact.shape[1]
    nfft = _nfft(n_times, sfreq)
    power = _blockwise_mean_power(
        icaact, nfft, lambda act: act[:, np.newaxis, :], 1, n_times
    )
    ac = _truncate_or_pad(np.fft.irfft(power, n=nfft, axis=1), n_times, sfreq)
    return ac / ac[:, :1]


def _eeg_autocorr_fftw(icaact: np.ndarray, sfreq: float) -> np.ndarray:
    """Autocorrelation of epoched ``icaact`` (n, T, E): power averaged over epochs."""
    n_times, n_epochs = icaact.shape[1:]
    nfft = _nfft(n_times, sfreq)
    power = _blockwise_mean_power(
        icaact, nfft, lambda act: np.moveaxis(act, 2, 1), n_epochs, n_times
    )
    ac = _truncate_or_pad(np.fft.irfft(power, n=nfft, axis=1), n_times, sfreq)
    return ac / ac[:, :1]


def _resample(ac: np.ndarray, sfreq: float) -> np.ndarray:
    """Resample the lags to 100 per second with ``scipy.signal.resample_poly``.

    EEGLAB uses ``resample(ac', 100, srate)``; the FIR designs differ, hence
    deviations of a few 1e-7.
    """
    from scipy.signal import resample_poly

    down = int(sfreq)
    if ac.shape[1] * 100 / down > 101:
        down += 1
    return resample_poly(ac.T, 100, down).T


def _compute_autocorr_feature(
    icaact: np.ndarray, sfreq: float, epoched: bool
) -> np.ndarray:
    """Autocorrelation feature (1, 100, 1, n) float32.

    Epochs use the epoch-averaged variant; Raw longer than 5 s (strictly) the
    Welch variant, shorter Raw the whole-recording variant.
    """
    if epoched:
        ac = _eeg_autocorr_fftw(icaact, sfreq)
    elif icaact.shape[1] / sfreq > 5:
        ac = _eeg_autocorr_welch(icaact, sfreq)
    else:
        ac = _eeg_autocorr(icaact, sfreq)
    ac = _resample(ac, sfreq)[:, 1:]
    return ac.T[np.newaxis, :, np.newaxis, :].astype(np.float32)
