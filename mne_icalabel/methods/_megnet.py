"""The record of MEGNet (MEG, four classes)."""

from __future__ import annotations

import numpy as np

from ..megnet import megnet_label_components
from ..megnet._config import MEGNET_LABELS_TO_MNE, MEGNET_NUMERICAL_TO_STRING, NAME
from ..megnet.network import BACKENDS
from ._registry import Method, Preparation

MEGNET = Method(
    name="megnet",
    display_name=NAME,
    classes=tuple(MEGNET_LABELS_TO_MNE),
    numerical_to_string=MEGNET_NUMERICAL_TO_STRING,
    mne_keys=tuple(MEGNET_LABELS_TO_MNE.values()),
    # its one class for ICLabel's two kept ones
    include_aliases={"brain": "brain/other", "other": "brain/other"},
    # 60 s chunks at 250 Hz, infomax as trained
    preparation=Preparation(
        modalities=("MEG",), sfreq=250.0, raw_only=True, extended=False
    ),
    # the network: float64 after the vote, the ICA left as it is
    proba=megnet_label_components,
    dtype=np.float64,
    backends=BACKENDS,
    function=megnet_label_components,
)
