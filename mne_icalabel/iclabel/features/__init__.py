"""ICLabel features (placeholder, being written)."""


def get_iclabel_features(inst, ica):  # noqa: D103
    raise NotImplementedError
