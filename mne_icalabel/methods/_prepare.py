"""Prepare a recording as a labelling method expects (its ``preparation``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mne.utils import _check_option, _validate_type, logger, verbose

from ..utils._docs import fill_doc
from ._registry import get_method, method_names, network_names

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw


@verbose
@fill_doc
def prepare_recording(
    inst: BaseRaw | BaseEpochs, method: str = "iclabel", *, verbose=None
) -> BaseRaw | BaseEpochs:
    """Filter and re-reference a copy of a recording as a labelling method expects.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording. It is not modified.
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"``
        ICLabel: EEG channels (plus EOG/ECG), band-pass 1-100 Hz, common average
        reference. MEGNet (Raw only): MEG channels (plus EOG/ECG), resampled to
        250 Hz, band-pass 1-100 Hz. ``"both"`` (Raw with EEG and MEG): EEG and
        MEG channels, resampled to 250 Hz, band-pass 1-100 Hz, EEG average
        referenced.
    %(verbose)s

    Returns
    -------
    inst : Raw | Epochs
        The prepared copy, with its data loaded.

    Notes
    -----
    When the sampling frequency is too low for a 100 Hz low-pass (below 200 Hz
    for ICLabel), only the 1 Hz high-pass is applied and the labelling functions
    will warn that the data are not filtered between 1 and 100 Hz.
    """
    from mne import BaseEpochs
    from mne.io import BaseRaw

    _validate_type(inst, (BaseRaw, BaseEpochs), "inst", "Raw or Epochs")
    _check_option("method", method, method_names())
    prep = get_method(method).preparation
    if prep.raw_only:
        _validate_type(inst, BaseRaw, "inst", "Raw (MEGNet does not label Epochs)")
    present = set(inst.get_channel_types())
    missing = prep.missing(present)
    if missing:
        other = " or ".join(name for name in network_names() if name != method)
        raise RuntimeError(
            f"Could not find {' and '.join(missing)} channels in the recording, "
            f"which {method} needs; use --method {other} or another "
            "recording."
        )
    inst = inst.copy().pick([k for k in prep.pick_types if k in present or k == "meg"])
    inst.load_data()
    if prep.sfreq is not None and abs(inst.info["sfreq"] - prep.sfreq) > 0.1:
        logger.info(f"Resampling from {inst.info['sfreq']:g} Hz to {prep.sfreq:g} Hz")
        inst.resample(prep.sfreq)
    nyquist = inst.info["sfreq"] / 2.0
    h_freq = 100.0 if nyquist > 100.0 else None
    logger.info(f"Filtering {1.0:g}-{h_freq or nyquist:g} Hz")
    inst.filter(1.0, h_freq, picks=["eeg", "meg", "eog", "ecg"])
    set_reference(inst, fit_reference(method))
    return inst


def fit_reference(method: str) -> str:
    """Return the reference of the data the ICAs fitted here for ``method`` saw.

    ``"average"`` (common average of the good EEG channels) when the ICA has
    EEG channels (ICLabel, both networks), ``"none"`` for MEG alone.
    """
    return get_method(method).preparation.reference


def set_reference(inst, reference: str):
    """Re-reference ``inst`` in place: ``"average"``, or ``"none"``/``"as-is"``.

    The average is computed over the good EEG channels and subtracted from
    them (no projector, ``info["custom_ref_applied"]`` set), as before a fit.
    """
    if reference == "average":
        inst.set_eeg_reference("average", projection=False)
    return inst
