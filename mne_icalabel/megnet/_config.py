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
