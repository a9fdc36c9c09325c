"""Labelling methods and their class names."""

from .iclabel import iclabel_label_components
from .iclabel._config import ICLABEL_NUMERICAL_TO_STRING, ICLABEL_STRING_TO_NUMERICAL
from .megnet import megnet_label_components
from .megnet._config import MEGNET_NUMERICAL_TO_STRING, MEGNET_STRING_TO_NUMERICAL

ICALABEL_METHODS = {
    "iclabel": iclabel_label_components,
    "megnet": megnet_label_components,
    "manual": None,
}

ICALABEL_METHODS_NUMERICAL_TO_STRING = {
    "iclabel": ICLABEL_NUMERICAL_TO_STRING,
    "megnet": MEGNET_NUMERICAL_TO_STRING,
}
ICALABEL_METHODS_STRING_TO_NUMERICAL = {
    "iclabel": ICLABEL_STRING_TO_NUMERICAL,
    "megnet": MEGNET_STRING_TO_NUMERICAL,
}

# ICLabel's class names (EEGLAB spelling) -> keys of ``ICA.labels_`` used by MNE.
# The order matters: the i-th item is the i-th column of the ICLabel output.
ICA_LABELS_TO_MNE = {
    "Brain": "brain",
    "Muscle": "muscle",
    "Eye": "eog",
    "Heart": "ecg",
    "Line Noise": "line_noise",
    "Channel Noise": "ch_noise",
    "Other": "other",
}

# MEGNet's class names -> keys of ``ICA.labels_``: blinks and heart beats use
# MNE's keys (as find_bads_eog / find_bads_ecg), brain/other counts as brain
# (kept), eye movements get their own key.
MEGNET_LABELS_TO_MNE = {
    "brain/other": "brain",
    "eye blink": "eog",
    "heart beat": "ecg",
    "eye movement": "eye_movement",
}
