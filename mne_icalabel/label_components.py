"""Label ICA components with the method chosen by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type, verbose

from .methods import get_method, network_names
from .utils._advice import quiet_by_default
from .utils._checks import _validate_inst_and_ica
from .utils._docs import fill_doc
from .utils._labels import write_labels

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA


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
        (Raw only), or another method registered with
        :func:`mne_icalabel.methods.register_method`.
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
    _validate_type(method, str, "method")
    _check_option("method", method, network_names())
    _validate_inst_and_ica(inst, ica)
    entry = get_method(method)
    proba = entry.proba(inst, ica, None)
    if proba.shape[0] != ica.n_components_:
        raise RuntimeError(
            f"The {method} network returned {proba.shape[0]} rows for "
            f"{ica.n_components_} components; please report this as a bug."
        )
    if entry.stores_labels:
        write_labels(ica, proba, entry.mne_keys)
    predicted = np.argmax(proba, axis=1)
    return {
        "y_pred_proba": proba[np.arange(predicted.size), predicted],
        "labels": [entry.classes[k] for k in predicted],
    }
