"""ICLabel class names, in the order of the network's output columns."""

from ..utils._labels import class_dicts
from ..utils._picks import MapChannels

#: the network's name, shown to people
NAME = "ICLabel"
#: its maps: the EEG channels of the ICA
MAPS = MapChannels(
    network=NAME,
    ch_type="eeg",
    description="EEG channels",
    modality="EEG",
    trained=("eeg",),
    fix="Fit the ICA on the EEG channels (alone or with other types), e.g. "
    "ICA(...).fit(inst, picks='eeg'), or use MEGNet for MEG",
)

# Per output column: the class name, EEGLAB's name of the class and the key of
# ``ICA.labels_`` MNE uses for it.
_CLASSES = (
    ("brain", "Brain", "brain"),
    ("muscle artifact", "Muscle", "muscle"),
    ("eye blink", "Eye", "eog"),
    ("heart beat", "Heart", "ecg"),
    ("line noise", "Line Noise", "line_noise"),
    ("channel noise", "Channel Noise", "ch_noise"),
    ("other", "Other", "other"),
)
ICLABEL_NUMERICAL_TO_STRING, ICLABEL_STRING_TO_NUMERICAL = class_dicts(
    name for name, _, _ in _CLASSES
)
# EEGLAB's class names -> keys of ``ICA.labels_``; the i-th item is the i-th
# column of the ICLabel output.
ICA_LABELS_TO_MNE = {eeglab: key for _, eeglab, key in _CLASSES}
