"""Validation of the objects that enter the public API.

MNE's classes are imported inside the functions: importing ``mne.preprocessing``
costs half a second, which ``import mne_icalabel`` must not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _validate_type

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA


def _validate_ica(ica: ICA) -> None:
    """Check that ``ica`` is a fitted ICA instance.

    Raises
    ------
    TypeError
        If ``ica`` is not an :class:`mne.preprocessing.ICA`.
    RuntimeError
        If ``ica`` was not fitted.
    """
    from mne.preprocessing import ICA

    _validate_type(ica, ICA, "ica", "ICA")
    if ica.current_fit == "unfitted":
        raise RuntimeError(
            "The provided ICA instance was not fitted. Please use the '.fit()' method "
            "to fit the ICA decomposition before labelling its components."
        )


def _validate_inst_and_ica(inst: BaseRaw | BaseEpochs, ica: ICA) -> None:
    """Check that ``inst`` is Raw or Epochs and ``ica`` a fitted ICA.

    Raises
    ------
    TypeError
        If ``inst`` or ``ica`` have the wrong type.
    RuntimeError
        If ``ica`` was not fitted.
    """
    from mne import BaseEpochs
    from mne.io import BaseRaw

    _validate_type(inst, (BaseRaw, BaseEpochs), "inst", "Raw or Epochs")
    _validate_ica(ica)


def _check_ica_channels(inst: BaseRaw | BaseEpochs, ica: ICA) -> None:
    """Check that every channel the ICA was fitted on is present in ``inst``.

    Raises
    ------
    ValueError
        Naming the missing channels and how to fix it.
    """
    missing = [ch for ch in ica.ch_names if ch not in inst.ch_names]
    if missing:
        raise ValueError(
            f"The ICA was fitted on channels that are missing from the instance: "
            f"{missing}. Label the components with the recording the ICA was fitted "
            "on, or one that contains all of its channels (dropped or renamed "
            "channels cannot be used)."
        )


def _check_finite(data: np.ndarray, what: str) -> None:
    """Raise a ValueError if ``data`` contains NaN or infinite values."""
    if not np.isfinite(data).all():
        n_bad = int(np.size(data) - np.isfinite(data).sum())
        raise ValueError(
            f"The {what} contain {n_bad} NaN or infinite value(s). Remove or "
            "interpolate the affected samples or channels (e.g. crop the recording, "
            "mark the channels as bad and refit the ICA) before labelling."
        )
