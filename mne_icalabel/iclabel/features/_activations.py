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


def _retrieve_eeglab_icawinv(ica: ICA) -> tuple[np.ndarray, np.ndarray]:
    """Return EEGLAB's ``icawinv`` (C, n) and the unmixing ``weights`` (n, C).

    MNE folds the PCA whitening into ``unmixing_matrix_``, so the sensor-space
    unmixing is ``W @ V``; EEGLAB's sphere is then the identity. The divide and
    multiply by the PCA scales cancel but are kept: they reproduce the
    reference bit for bit.
    """
    n_comp = ica.n_components_
    scale = np.sqrt(ica.pca_explained_variance_)[:n_comp]
    unmixing = ica.unmixing_matrix_
    weights = ((unmixing / scale) * scale) @ ica.pca_components_[:n_comp, :]
    icawinv = np.linalg.pinv(weights)
    return icawinv, weights


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

    picks = ica.ch_names
    n_comp, n_chan = weights.shape
    if isinstance(inst, BaseEpochs):
        n_times = len(inst.times)
        if inst.preload:  # read blocks of epochs
            n_epochs = len(inst)
            step = max(1, _CHUNK_BYTES // (8 * n_chan * n_times))
            chunks = (
                (slice(a, a + step), inst.get_data(picks, item=slice(a, a + step)))
                for a in range(0, n_epochs, step)
            )
        else:  # one read: MNE may drop bad epochs while loading them
            data = inst.get_data(picks)
            n_epochs = data.shape[0]
            chunks = [(slice(None), data)]
        # (n, E, T) buffer, filled as (E, n, T) and returned as (n, T, E)
        icaact = np.empty((n_comp, n_epochs, n_times))
        out = icaact.transpose(1, 0, 2)
    else:
        n_times = inst.n_times
        step = max(1, _CHUNK_BYTES // (8 * n_chan))
        chunks = (
            (np.s_[:, a : a + step], inst.get_data(picks, start=a, stop=a + step))
            for a in range(0, n_times, step)
        )
        icaact = out = np.empty((n_comp, n_times))
    # V -> µV folded into the (small) weights: the same numbers to rounding
    # without a pass over the data
    weights = weights * 1e6
    for index, data in chunks:
        block = np.matmul(weights, data, out=out[index])
        # NaN and inf in the data always reach the product, which is smaller
        if not np.isfinite(block).all():
            _check_finite(inst.get_data(picks), "data of the channels of the ICA")
    return np.moveaxis(icaact, 1, 2) if icaact.ndim == 3 else icaact
