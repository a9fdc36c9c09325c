"""Run the ICLabel network on the features of ``get_iclabel_features``."""

from __future__ import annotations

import numpy as np
from mne.utils import _validate_type, logger, verbose
from numpy.typing import ArrayLike

from ...utils._docs import fill_doc
from ._backends import BACKENDS

# argument name -> shape of one component in the EEGLAB layout (last axis = N)
_FEATURE_SHAPES: dict[str, tuple[int, int, int]] = {
    "images": (32, 32, 1),
    "psds": (1, 100, 1),
    "autocorr": (1, 100, 1),
}


def _check_features(
    images: ArrayLike, psds: ArrayLike, autocorr: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the three feature arrays and return them as float32 arrays."""
    arrays = []
    for name, value in zip(_FEATURE_SHAPES, (images, psds, autocorr), strict=True):
        _validate_type(value, "array-like", name)
        try:
            array = np.asarray(value)
        except ValueError as error:  # e.g. ragged nested lists
            raise ValueError(
                f"{name} cannot be converted to an array: {error}"
            ) from None
        if array.dtype.kind not in "fiu":
            raise ValueError(
                f"{name} must be an array of real numbers (float32 as returned by "
                f"get_iclabel_features), got dtype {array.dtype}."
            )
        expected = "(" + ", ".join(map(str, _FEATURE_SHAPES[name])) + ", n_components)"
        if array.ndim != 4 or array.shape[:3] != _FEATURE_SHAPES[name]:
            hint = ""
            if array.ndim == 4 and array.shape[1:] == (
                _FEATURE_SHAPES[name][2],
                *_FEATURE_SHAPES[name][:2],
            ):
                hint = (
                    " It looks like the formatted (n, 1, H, W) layout; pass the "
                    "unformatted features returned by get_iclabel_features."
                )
            raise ValueError(
                f"{name} must have shape {expected} (the EEGLAB layout returned "
                f"by get_iclabel_features), got {array.shape}.{hint}"
            )
        arrays.append(array)
    n_components = [array.shape[3] for array in arrays]
    if len(set(n_components)) != 1:
        raise ValueError(
            "images, psds and autocorr must have the same number of components "
            f"(last axis), got shapes {arrays[0].shape}, {arrays[1].shape} and "
            f"{arrays[2].shape}."
        )
    if n_components[0] == 0:
        raise ValueError(
            f"At least one component is needed, got images of shape "
            f"{arrays[0].shape} (n_components = 0)."
        )
    with np.errstate(over="ignore"):  # overflow to inf is reported below
        arrays = [np.asarray(array, dtype=np.float32) for array in arrays]
    for name, array in zip(_FEATURE_SHAPES, arrays, strict=True):
        # after the cast, so that float64 values beyond float32 range count too
        n_bad = array.size - np.count_nonzero(np.isfinite(array))
        if n_bad:
            raise ValueError(
                f"{name} (shape {array.shape}) contains {n_bad} NaN or infinite "
                "value(s) in float32; the features must be finite."
            )
    return tuple(arrays)


def _format_input(
    topo: np.ndarray, psd: np.ndarray, autocorr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Augment and reorder the features into the network's NCHW batch.

    EEGLAB's ``run_ICL`` classifies every component four times: its topographic
    map as is, negated, mirrored left/right (axis 1), and mirrored and negated;
    the spectra and autocorrelations are repeated. The batch order is
    ``[all N] x 4``, which the 4-way average of the outputs relies on.

    Parameters
    ----------
    topo : ndarray, shape (32, 32, 1, N)
        Topographic maps.
    psd : ndarray, shape (1, 100, 1, N)
        Power spectra.
    autocorr : ndarray, shape (1, 100, 1, N)
        Autocorrelations.

    Returns
    -------
    topo : ndarray, shape (4N, 1, 32, 32)
    psd : ndarray, shape (4N, 1, 1, 100)
    autocorr : ndarray, shape (4N, 1, 1, 100)
        C-contiguous float32 arrays.
    """
    mirrored = np.flip(topo, axis=1)
    topo = np.concatenate([topo, -topo, mirrored, -mirrored], axis=3)
    psd = np.tile(psd, (1, 1, 1, 4))
    autocorr = np.tile(autocorr, (1, 1, 1, 4))
    # (H, W, C, B) -> (B, C, H, W)
    return tuple(
        np.ascontiguousarray(np.transpose(array, (3, 2, 0, 1)), dtype=np.float32)
        for array in (topo, psd, autocorr)
    )


@verbose
@fill_doc
def run_iclabel(
    images: ArrayLike,
    psds: ArrayLike,
    autocorr: ArrayLike,
    backend: str | None = None,
    *,
    verbose=None,
) -> np.ndarray:
    """Run the ICLabel network on the features of ICA components.

    Parameters
    ----------
    images : array-like, shape (32, 32, 1, n_components)
        Topographic maps, as returned by
        :func:`~mne_icalabel.iclabel.get_iclabel_features` (EEGLAB layout,
        components on the last axis).
    psds : array-like, shape (1, 100, 1, n_components)
        Power spectral densities (1 to 100 Hz), same layout.
    autocorr : array-like, shape (1, 100, 1, n_components)
        Autocorrelation functions, same layout.
    %(iclabel_backend)s
    %(verbose)s

    Returns
    -------
    %(iclabel_proba)s

    Raises
    ------
    ValueError
        If ``backend`` is unknown, or an input has the wrong shape or dtype,
        holds NaN or infinite values, or the inputs disagree on the number of
        components.
    ImportError
        If the requested backend's package (torch or onnxruntime) is missing.
    mne_icalabel.datasets.weights.WeightsError
        If the weights file cannot be found, downloaded or verified.

    Notes
    -----
    Each component is classified four times (topographic map as is, negated,
    mirrored left/right, mirrored and negated) and the probabilities are
    averaged, as in EEGLAB's ICLabel plugin [1]_. The network is loaded once
    per process and backend, on first use. The torch and NumPy backends read
    the weights file ``ICLabelNet.pt`` (NumPy without importing torch), the
    onnx backend ``ICLabelNet.onnx``; see
    :func:`mne_icalabel.datasets.weights.get_weights_path` for where they are
    looked up. The backends differ by float32 rounding only (about 1e-6).

    ``backend="pytorch"`` is accepted as an alias of ``"torch"``: it was the
    (unusable) default of the original mne-icalabel signature.

    References
    ----------
    .. [1] Pion-Tonachini L, Kreutz-Delgado K, Makeig S (2019). ICLabel: an
       automated electroencephalographic independent component classifier,
       dataset, and website. NeuroImage 198, 181-197.
    """
    backend = BACKENDS.check(backend)
    features = _check_features(images, psds, autocorr)
    backend = BACKENDS.resolve(backend)
    module, model = BACKENDS.load(backend)
    n_components = features[0].shape[3]
    logger.debug(f"Running ICLabel ({backend}) on {n_components} components")
    labels = module.run(model, *_format_input(*features))
    return np.asarray(labels, dtype=np.float32)
