"""ICLabel class names, in the order of the network's output columns."""

from ..utils._labels import class_dicts

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
