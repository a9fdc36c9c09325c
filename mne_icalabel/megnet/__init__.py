"""MEGNet (placeholder, being written)."""


def megnet_label_components(raw, ica):  # noqa: D103
    raise NotImplementedError


def get_megnet_features(raw, ica):  # noqa: D103
    raise NotImplementedError
