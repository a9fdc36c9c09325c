"""ICLabel class names, in the order of the network's output columns."""

ICLABEL_NUMERICAL_TO_STRING: dict[int, str] = {
    0: "brain",
    1: "muscle artifact",
    2: "eye blink",
    3: "heart beat",
    4: "line noise",
    5: "channel noise",
    6: "other",
}
ICLABEL_STRING_TO_NUMERICAL: dict[str, int] = {
    value: key for key, value in ICLABEL_NUMERICAL_TO_STRING.items()
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
