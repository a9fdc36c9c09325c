"""Input checks and warnings of ``get_iclabel_features``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne.utils import warn

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

MIN_SFREQ = 100.0


def min_spectrum_samples(sfreq: float) -> int:
    """Return the samples a recording (or epoch) needs for the spectrum feature.

    ``nfreqs + 1``, where ``nfreqs = min(floor(sfreq / 2), 100)`` is the
    number of 1 Hz bins of the spectrum (EEGLAB's ``eeg_rpsd``).
    """
    return min(int(sfreq // 2), 100) + 1


def _check_sampling(inst: BaseRaw | BaseEpochs) -> None:
    """Raise if the sampling rate or the size cannot give ICLabel features.

    EEGLAB refuses data below 100 Hz (the autocorrelation would not have 100
    lags per second). The PSD uses segments of ``min(T, fs)`` samples and needs
    bins 1..nfreqs, with ``nfreqs = min(floor(fs / 2), 100)``, hence
    ``T >= nfreqs + 1`` samples per recording (Raw) or per epoch (Epochs).
    """
    from mne import BaseEpochs

    sfreq = inst.info["sfreq"]
    if sfreq < MIN_SFREQ:
        raise ValueError(
            f"ICLabel needs data sampled at {MIN_SFREQ:g} Hz or more, got "
            f"{sfreq:g} Hz. Resample the data with inst.resample(...) to at least "
            f"{MIN_SFREQ:g} Hz (upsample if needed) and refit or reuse the ICA."
        )
    if isinstance(inst, BaseEpochs) and len(inst.events) == 0:
        raise ValueError(
            "The Epochs instance contains no epochs; ICLabel needs data to label. "
            "Check inst.drop_log to see why the epochs were dropped."
        )
    n_times = len(inst.times)
    n_min = min_spectrum_samples(sfreq)
    if n_times < n_min:
        what = "epoch" if isinstance(inst, BaseEpochs) else "recording"
        raise ValueError(
            f"The data are too short to compute the ICLabel PSD feature: the "
            f"{what} has {n_times} samples at {sfreq:g} Hz, at least {n_min} are "
            f"needed ({n_min / sfreq:.3g} s). Use longer "
            f"{'epochs' if what == 'epoch' else 'data'} (ideally several "
            "seconds)."
        )


def _check_activations(icaact: np.ndarray) -> None:
    """Raise if a component's activation is constant over the whole data.

    Its spectrum above 0 Hz and its autocorrelation are then 0 (a log of 0 and
    a division by 0): the features do not exist. It happens with flat data
    (e.g. a recording of zeros) on the channels of the ICA. ``icaact`` is
    ``(n, T)`` (Raw) or ``(n, T, E)`` (Epochs).
    """
    flat = np.ptp(icaact.reshape(icaact.shape[0], -1), axis=1) == 0
    if flat.any():
        raise ValueError(
            f"The activations of ICA component(s) {np.flatnonzero(flat).tolist()} "
            "are constant over the whole data: ICLabel cannot compute their power "
            "spectrum and autocorrelation. The channels the ICA was fitted on are "
            "flat in this recording; check the data (e.g. inst.plot()) and label "
            "the recording the ICA was fitted on."
        )


def _warn_preprocessing(inst: BaseRaw | BaseEpochs, ica: ICA) -> None:
    """Warn when the reference, the filter or the ICA differ from ICLabel's."""
    try:
        from mne._fiff.proj import _has_eeg_average_ref_proj
    except ImportError:  # MNE < 1.6
        from mne.io.proj import _has_eeg_average_ref_proj

    info = inst.info
    if info["custom_ref_applied"] == 0 and not _has_eeg_average_ref_proj(
        info, check_active=True
    ):
        warn(
            "The provided data do not seem to be referenced to a common average "
            "reference (CAR). ICLabel was trained on EEG with a common average "
            "reference: use inst.set_eeg_reference('average') (and apply the "
            "projector if you add it as one) before labelling."
        )
    message = _filter_advice(info)
    if message:
        warn(message)
    fit_params = ica.fit_params
    if (
        ica.method not in ("infomax", "picard")
        or fit_params.get("extended", False) is False
        or (ica.method == "picard" and fit_params.get("ortho", True) is True)
    ):
        warn(
            f"The provided ICA instance was fitted with method '{ica.method}' and "
            f"fit_params {fit_params}. ICLabel was designed with extended infomax "
            "ICA decompositions: use ICA(method='infomax', "
            "fit_params=dict(extended=True)) or ICA(method='picard', "
            "fit_params=dict(ortho=False, extended=True))."
        )


def _filter_advice(info) -> str | None:
    """Say how the data differ from ICLabel's 1-100 Hz band: the step, then facts.

    A filter is advised only for what it can still do: a high-pass at 1 Hz
    when the data are high-passed lower, a low-pass at 100 Hz when they are
    low-passed higher. A band narrower than 1-100 Hz cannot be widened: a
    sampling rate below 200 Hz (a 100 Hz low-pass is then impossible), a
    low-pass below 100 Hz (often the amplifier's) or a high-pass above 1 Hz
    is said as a fact about the labels' reliability. Below 200 Hz the PSD
    feature has ``floor(sfreq / 2)`` bins, the last one repeated up to 100, as
    EEGLAB does (``eeg_rpsd``). Returns None when the band is ICLabel's.
    """
    sfreq, highpass, lowpass = info["sfreq"], info["highpass"], info["lowpass"]
    nyquist = sfreq / 2.0

    def above(a, b):  # a > b beyond the rounding of a stored frequency
        return a - b > 1e-3 * max(abs(b), 1.0)

    l_freq = 1.0 if above(1.0, highpass) else None
    h_freq = 100.0 if above(lowpass, 100.0) and above(nyquist, 100.0) else None
    top = min(lowpass, nyquist)
    narrow_top, narrow_bottom = above(100.0, top), above(highpass, 1.0)
    if l_freq is None and h_freq is None and not (narrow_top or narrow_bottom):
        return None
    parts = [
        "The provided data are not filtered between 1 and 100 Hz (highpass "
        f"{highpass:g} Hz, lowpass {lowpass:g} Hz). ICLabel was trained on EEG "
        "band-pass filtered between 1 and 100 Hz"
        + (
            f": use inst.filter({l_freq}, {h_freq}) before fitting the ICA."
            if l_freq is not None or h_freq is not None
            else "."
        )
    ]
    if narrow_top:
        nyq = int(sfreq // 2)
        cause = (
            f"At a sampling rate of {sfreq:g} Hz a 100 Hz low-pass is impossible "
            f"(the Nyquist frequency is {nyquist:g} Hz): ICLabel's spectrum "
            f"feature covers 1 to {nyq} Hz only, its last value repeated up to "
            f"100 Hz as in EEGLAB, so the network sees no power above {nyq} Hz"
            if not above(nyquist, lowpass)
            else f"The data were low-pass filtered at {lowpass:g} Hz (by the "
            "amplifier or an earlier step), which no filter can undo: the "
            f"network sees no power above {lowpass:g} Hz"
        )
        parts.append(
            f"{cause}, the band where muscle activity stands out from brain "
            "activity: the labels are less reliable, muscle and brain especially."
        )
    if narrow_bottom:
        parts.append(
            f"The data were high-pass filtered at {highpass:g} Hz, above "
            "ICLabel's 1 Hz, which no filter can undo: the network sees less "
            "of the slow activity of eye movements; their labels are less "
            "reliable."
        )
    return " ".join(parts)
