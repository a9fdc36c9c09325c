"""ICLabel network (placeholder, being written)."""


def run_iclabel(images, psds, autocorr, backend=None):  # noqa: D103
    raise NotImplementedError
