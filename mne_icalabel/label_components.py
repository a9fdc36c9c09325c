"""Label ICA components with the method chosen by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type, verbose

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

from .utils._advice import quiet_by_default
from .utils._checks import _validate_inst_and_ica
from .utils._docs import fill_doc


@quiet_by_default
@verbose
@fill_doc
def label_components(
    inst: BaseRaw | BaseEpochs, ica: ICA, method: str, *, verbose=None
) -> dict:
    """Automatically label the components of an ICA decomposition.

    Parameters
    ----------
    %(inst)s
    %(ica)s
    method : ``"iclabel"`` | ``"megnet"``
        The labelling method: ICLabel for EEG (Raw or Epochs), MEGNet for MEG
        (Raw only).
    %(verbose)s

    Returns
    -------
    component_dict : dict
        ``"y_pred_proba"``: 1-D array of shape (n_components,), the probability
        of the predicted class of each component (float32 for ICLabel, float64
        for MEGNet). ``"labels"``: list of str, the predicted class of each
        component.

    Notes
    -----
    With ``method="iclabel"``, ``ica.labels_scores_`` is set to the full
    probability matrix and the predicted labels are added to ``ica.labels_``
    (see :func:`mne_icalabel.iclabel.iclabel_label_components`). MEGNet does not
    modify ``ica``.

    The networks run with their default ``backend=None``: onnxruntime if it is
    installed (it imports far faster than torch), else torch, and for ICLabel
    NumPy as the last resort. Call the method's own function to choose.
    """
    from .config import ICALABEL_METHODS, ICALABEL_METHODS_NUMERICAL_TO_STRING

    _validate_type(method, str, "method")
    _check_option("method", method, ("iclabel", "megnet"))
    _validate_inst_and_ica(inst, ica)
    proba = ICALABEL_METHODS[method](inst, ica)
    if proba.shape[0] != ica.n_components_:
        raise RuntimeError(
            f"The {method} network returned {proba.shape[0]} rows for "
            f"{ica.n_components_} components; please report this as a bug."
        )
    predicted = np.argmax(proba, axis=1)
    names = ICALABEL_METHODS_NUMERICAL_TO_STRING[method]
    return {
        "y_pred_proba": proba[np.arange(predicted.size), predicted],
        "labels": [names[int(k)] for k in predicted],
    }
