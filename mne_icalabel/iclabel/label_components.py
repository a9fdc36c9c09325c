"""Label the components of an EEG ICA decomposition with ICLabel."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _validate_type, verbose

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

from ..utils._advice import quiet_by_default
from ..utils._docs import fill_doc
from ..utils._labels import write_labels
from ._config import ICA_LABELS_TO_MNE
from .features import get_iclabel_features
from .network import run_iclabel


@quiet_by_default
@verbose
@fill_doc
def iclabel_label_components(
    inst: BaseRaw | BaseEpochs,
    ica: ICA,
    inplace: bool = True,
    backend: str | None = None,
    *,
    verbose=None,
) -> np.ndarray:
    """Label the components of an EEG ICA decomposition with ICLabel.

    Parameters
    ----------
    %(inst)s
    %(ica)s
    inplace : bool
        If True (default), store the probabilities in ``ica.labels_scores_`` and
        add each component to the ``ica.labels_`` entry of its most probable
        class. Existing entries are kept.
    %(iclabel_backend)s
    %(verbose)s

    Returns
    -------
    %(iclabel_proba)s

    Notes
    -----
    ICLabel was trained on EEG filtered between 1 and 100 Hz, re-referenced to
    a common average and decomposed with extended infomax; other data give a
    warning and less reliable labels. The features and network reproduce
    EEGLAB's ICLabel plugin ("default" version) [1]_.

    References
    ----------
    .. [1] Pion-Tonachini L, Kreutz-Delgado K, Makeig S (2019). ICLabel: an
       automated electroencephalographic independent component classifier,
       dataset, and website. NeuroImage 198, 181-197.
    """
    _validate_type(inplace, bool, "inplace")
    features = get_iclabel_features(inst, ica)
    labels_pred_proba = run_iclabel(*features, backend=backend)
    if inplace:
        _write_labels(ica, labels_pred_proba)
    return labels_pred_proba


def _write_labels(ica: ICA, proba: np.ndarray) -> None:
    """Store ``proba`` on ``ica`` and merge the argmax labels into ``labels_``.

    Components are appended to the list of their predicted class (MNE's key,
    e.g. ``"eog"``); entries already present are kept, nothing is removed.
    """
    write_labels(ica, proba, tuple(ICA_LABELS_TO_MNE.values()))
