"""ICA matrices in EEGLAB's convention and the component activations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA


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

    from ...utils._checks import _check_finite

    data = inst.get_data(picks=ica.ch_names)  # a copy: safe to scale in place
    _check_finite(data, "data of the channels the ICA was fitted on")
    data *= 1e6  # V -> µV
    if isinstance(inst, BaseEpochs):
        # (n, C) @ (E, C, T) -> (E, n, T), written straight into an (n, E, T)
        # buffer, which is then exposed as (n, T, E).
        n_epochs, _, n_times = data.shape
        icaact = np.empty((weights.shape[0], n_epochs, n_times))
        np.matmul(weights, data, out=icaact.transpose(1, 0, 2))
        return np.moveaxis(icaact, 1, 2)
    return weights @ data
