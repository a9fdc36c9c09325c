"""MEGNet class names, in the order of the network's output columns."""

from ..utils._labels import class_dicts
from ..utils._picks import MapChannels

#: the network's name, shown to people
NAME = "MEGNet"
#: its maps: the magnetometers of the ICA
MAPS = MapChannels(
    network=NAME,
    ch_type="mag",
    description="magnetometers",
    modality="MEG",
    trained=("mag", "grad"),
    fix="Fit the ICA on the magnetometers (alone or with the gradiometers), "
    "e.g. ICA(...).fit(raw, picks='meg')",
)

# MEGNet's class names -> keys of ``ICA.labels_``: blinks and heart beats use
# MNE's keys (as find_bads_eog / find_bads_ecg), brain/other counts as brain
# (kept), eye movements get their own key. In the order of the columns.
MEGNET_LABELS_TO_MNE = {
    "brain/other": "brain",
    "eye blink": "eog",
    "heart beat": "ecg",
    "eye movement": "eye_movement",
}
MEGNET_NUMERICAL_TO_STRING, MEGNET_STRING_TO_NUMERICAL = class_dicts(
    MEGNET_LABELS_TO_MNE
)
