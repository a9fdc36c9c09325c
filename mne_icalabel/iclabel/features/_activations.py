"""ICA matrices in EEGLAB's convention and the component activations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

from ...utils._checks import _check_finite

# Data are read and unmixed in chunks of this many bytes: the activations are
# the only full-length array (no full copy of the channel data in memory).
_CHUNK_BYTES = 32 * 1024**2
# Loaded Raw: unmix all its channels, with zero weights for those outside the
# ICA, when they number at most this many times the ICA channels; beyond that,
# copying the picked channels costs less than the wasted products.
_MAX_ZERO_PADDING = 1.25


def _retrieve_eeglab_icawinv(
    ica: ICA, ref: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return EEGLAB's ``icawinv`` (C, n) and the unmixing ``weights`` (n, C).

    MNE folds the PCA whitening into ``unmixing_matrix_``, so the sensor-space
    unmixing is ``W @ V``; EEGLAB's sphere is then the identity. The divide and
    multiply by the PCA scales cancel but are kept: they reproduce the
    reference bit for bit.

    ``ref`` is the index of a channel (e.g. the first EEG one) of an ICA fitted
    on several channel types; see ``_undo_type_whitening``.
    """
    n_comp = ica.n_components_
    scale = np.sqrt(ica.pca_explained_variance_)[:n_comp]
    unmixing = ica.unmixing_matrix_
    weights = ((unmixing / scale) * scale) @ ica.pca_components_[:n_comp, :]
    icawinv = np.linalg.pinv(weights)
    if ref is not None and len(set(ica.get_channel_types())) > 1:
        weights, icawinv = _undo_type_whitening(ica, weights, icawinv, ref)
    return icawinv, weights


def _undo_type_whitening(
    ica: ICA, weights: np.ndarray, icawinv: np.ndarray, ref: int
) -> tuple[np.ndarray, np.ndarray]:
    """Express the ICA of several channel types in the units of channel ``ref``.

    MNE divides each channel type by its own scale (``pre_whitener_``, one value
    per type) before the PCA, so the unmixing of sensor data is
    ``W V diag(1 / p)`` and the mixing ``diag(p) pinv(W V)``. With one channel
    type ``p`` is a common factor, which EEGLAB's convention drops (the weights
    apply to the data as they are). With several types it is not: with
    ``r = p[ref] / p`` (1 on the channels of ``ref``'s type, so that EEG keeps
    its units, as for an EEG-only ICA) the weights become ``W V diag(r)`` and
    the mixing ``diag(1 / r) pinv(W V)``. The mixing is not ``pinv`` of the
    new weights: that pseudo-inverse would minimise the norm in mixed units
    (volts and teslas), not in the whitened space the ICA was fitted in.
    """
    if ica.noise_cov is not None:
        raise ValueError(
            "ICLabel cannot label an ICA fitted on several channel types with a "
            "noise covariance (ICA(noise_cov=...)): the channels are then mixed "
            "by the whitening. Refit the ICA without noise_cov, or on the EEG "
            "channels only."
        )
    whitener = np.ravel(ica.pre_whitener_)
    ratio = whitener[ref] / whitener
    return weights * ratio[np.newaxis, :], icawinv / ratio[:, np.newaxis]


def _compute_ica_activations(
    inst: BaseRaw | BaseEpochs, ica: ICA, weights: np.ndarray
) -> np.ndarray:
    """Compute EEGLAB's ``icaact`` in µV, float64.

    Returns ``(n, T)`` for Raw and ``(n, T, E)`` for Epochs. For Epochs the
    array is a view of a C-contiguous ``(n, E, T)`` array, so that the spectral
    code can read whole epochs contiguously with ``np.moveaxis(icaact, 2, 1)``.
    ``ica.pre_whitener_`` and ``ica.pca_mean_`` are ignored, as in the
    reference (both are neutral for ICAs imported from EEGLAB).
    """
    from mne import BaseEpochs

    # V -> µV folded into the (small) weights: the same numbers to rounding
    # without a pass over the data
    weights = weights * 1e6
    if isinstance(inst, BaseEpochs):
        return _epochs_activations(inst, ica.ch_names, weights)
    if inst.preload:
        icaact = _preloaded_raw_activations(inst, ica.ch_names, weights)
        if icaact is not None:
            return icaact
    return _raw_activations(inst, ica.ch_names, weights)


def _preloaded_raw_activations(
    raw: BaseRaw, picks: list[str], weights: np.ndarray
) -> np.ndarray | None:
    """Unmix the loaded data of ``raw`` in place, without copying it.

    ``raw.get_data(picks)`` copies the channels (as much memory as the
    recording, and page faults on every call). When the ICA channels are a
    contiguous run of ``raw``'s channels, a view of them is unmixed; when they
    are most of the channels, the weights are padded with zeros for the others
    (an exact ``0 * x``) and all channels are unmixed. Otherwise, or when the
    result is not finite (a NaN may sit in a channel that is not used), None
    is returned and the caller reads the picked channels in chunks.
    """
    data = raw._data
    if not isinstance(data, np.ndarray) or data.dtype != np.float64:
        return None
    index = np.array([raw.ch_names.index(name) for name in picks], dtype=np.intp)
    n_comp, n_chan = weights.shape
    if np.array_equal(index, np.arange(index[0], index[0] + n_chan)):
        matrix, data = weights, data[index[0] : index[0] + n_chan]
    elif data.shape[0] <= _MAX_ZERO_PADDING * n_chan:
        matrix = np.zeros((n_comp, data.shape[0]))
        matrix[:, index] = weights
    else:
        return None
    icaact = np.matmul(matrix, data)
    if not np.isfinite(icaact).all():
        return None
    return icaact


def _raw_activations(raw: BaseRaw, picks: list[str], weights: np.ndarray) -> np.ndarray:
    """Unmix ``raw`` reading the picked channels in chunks of time."""
    n_comp, n_chan = weights.shape
    icaact = np.empty((n_comp, raw.n_times))
    step = max(1, _CHUNK_BYTES // (8 * n_chan))
    for start in range(0, raw.n_times, step):
        data = raw.get_data(picks, start=start, stop=start + step)
        _unmix_into(icaact[:, start : start + step], weights, data, raw, picks)
    return icaact


def _epochs_activations(
    epochs: BaseEpochs, picks: list[str], weights: np.ndarray
) -> np.ndarray:
    """Unmix ``epochs`` into a (n, T, E) view of a C-contiguous (n, E, T) array."""
    n_comp, n_chan = weights.shape
    n_times = len(epochs.times)
    if epochs.preload:  # read blocks of epochs
        n_epochs = len(epochs)
        step = max(1, _CHUNK_BYTES // (8 * n_chan * n_times))
        chunks = (
            (slice(a, a + step), epochs.get_data(picks, item=slice(a, a + step)))
            for a in range(0, n_epochs, step)
        )
    else:  # one read: MNE may drop bad epochs while loading them
        data = epochs.get_data(picks)
        n_epochs = data.shape[0]
        chunks = [(slice(None), data)]
    # (n, E, T) buffer, filled as (E, n, T) and returned as (n, T, E)
    icaact = np.empty((n_comp, n_epochs, n_times))
    out = icaact.transpose(1, 0, 2)
    for index, data in chunks:
        _unmix_into(out[index], weights, data, epochs, picks)
    return np.moveaxis(icaact, 1, 2)


def _unmix_into(
    out: np.ndarray,
    weights: np.ndarray,
    data: np.ndarray,
    inst: BaseRaw | BaseEpochs,
    picks: list[str],
) -> None:
    """``out[...] = weights @ data``; raise if the data hold NaN or inf."""
    np.matmul(weights, data, out=out)
    # NaN and inf in the data always reach the product, which is smaller
    if not np.isfinite(out).all():
        _check_finite(inst.get_data(picks), "data of the channels of the ICA")
