"""Label the components of an MEG ICA decomposition with MEGNet."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne.utils import logger, verbose
from numpy.typing import NDArray

from ..utils._advice import quiet_by_default
from ..utils._checks import _validate_ica
from ..utils._docs import fill_doc
from ._voting import _chunk_predicting
from .features import _check_raw, get_megnet_features
from .network import BACKENDS

if TYPE_CHECKING:
    from mne.io import BaseRaw
    from mne.preprocessing import ICA


@quiet_by_default
@verbose
@fill_doc
def megnet_label_components(
    raw: BaseRaw, ica: ICA, backend: str | None = None, *, verbose=None
) -> NDArray[np.float64]:
    """Label the components of an MEG ICA decomposition with MEGNet.

    Parameters
    ----------
    %(raw_meg)s
    %(ica)s
    %(megnet_backend)s
    %(verbose)s

    Returns
    -------
    %(megnet_proba)s

    Notes
    -----
    The time course of each component is cut into 60 s chunks (15000 samples)
    overlapping by 15 s, plus a last chunk ending with the recording. Each
    chunk is classified with the component's topomap and the probabilities are
    averaged with weights proportional to the samples each chunk stands for
    (samples covered by several chunks are shared equally). ``ica`` is not
    modified. See :func:`get_megnet_features` for the expected preprocessing.

    References
    ----------
    .. [1] Treacher, A. H., et al. (2021). MEGnet: Automatic ICA-based artifact
       removal for MEG using spatiotemporal convolutional neural networks.
       NeuroImage, 241, 118402.
    """
    backend = BACKENDS.resolve(backend)
    # What the recording and the ICA lack (MEG channels, 60 s, magnetometers)
    # fails from their info at once; then the network (1-1.5 s to load), so
    # that a missing weights file fails before the features are computed.
    _validate_ica(ica)
    _check_raw(raw)
    _, runner = BACKENDS.load(backend)
    time_series, topomaps = get_megnet_features(raw, ica)
    logger.info(
        f"Running MEGNet ({backend}) on {time_series.shape[0]} components of "
        f"{time_series.shape[1]} samples."
    )
    return _chunk_predicting(runner, time_series, topomaps)
