"""MEGNet class names, in the order of the network's output columns."""

MEGNET_NUMERICAL_TO_STRING: dict[int, str] = {
    0: "brain/other",
    1: "eye blink",
    2: "heart beat",
    3: "eye movement",
}
MEGNET_STRING_TO_NUMERICAL: dict[str, int] = {
    value: key for key, value in MEGNET_NUMERICAL_TO_STRING.items()
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
