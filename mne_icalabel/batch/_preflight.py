"""Checks of a recording before anything is read, filtered or fitted.

What would fail after minutes of filtering and ICA fitting (no positions, too
short, too slow a sampling rate, channels of the wrong type) is found from the
measurement info alone, in milliseconds. The messages name the fix: the
command's option when ``mne-icalabel label`` runs, the Python call otherwise
(:mod:`mne_icalabel.utils._advice`).
"""

from __future__ import annotations

from ..iclabel.features._checks import MIN_SFREQ as ICLABEL_MIN_SFREQ
from ..iclabel.features._checks import min_spectrum_samples
from ..utils._advice import fix
from ..utils._channels import (
    _eeg_names,
    _listed,
    missing_positions,
    missing_positions_message,
)

#: MEGNet classifies 60 s chunks at 250 Hz
_MEGNET_SECONDS = 60.0


def check_recording(inst, method: str, ica=None) -> None:
    """Raise what labelling ``inst`` with ``method`` would fail on, from its info.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording as read (its data need not be loaded).
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"``
        The labelling method.
    ica : ICA | None
        The ICA to label; None when one will be fitted.

    Raises
    ------
    TypeError, RuntimeError, ValueError
        Naming the problem and its fix.
    """
    from mne import BaseEpochs

    types = set(inst.get_channel_types())
    needs_eeg = method in ("iclabel", "both")
    needs_meg = method in ("megnet", "both")
    if needs_meg and isinstance(inst, BaseEpochs):
        raise TypeError(
            "MEGNet labels continuous recordings, not Epochs: give the Raw "
            "recording (at least 60 s)."
        )
    if needs_eeg and "eeg" not in types:
        other = (
            fix("label_components(..., method='megnet')", "--method megnet")
            if types & {"mag", "grad"}
            else fix(
                "inst.set_channel_types({name: 'eeg', ...})", "--eeg NAME [NAME ...]"
            )
        )
        raise RuntimeError(
            f"ICLabel labels EEG, and the recording has no channel typed EEG "
            f"(its types: {', '.join(sorted(types))}). Use {other}."
        )
    if needs_meg and not types & {"mag", "grad"}:
        raise RuntimeError(
            "MEGNet labels MEG, and the recording has no MEG channel. Use "
            + fix("method='iclabel'", "--method iclabel")
            + " for EEG."
        )
    if ica is not None:
        lost = [name for name in ica.ch_names if name not in inst.ch_names]
        if lost:
            raise ValueError(
                f"The ICA was fitted on channels the recording does not have: "
                f"{_listed(lost)}. Label the recording the ICA was fitted on"
                + fix("", " (and do not --drop its channels)")
                + "."
            )
    sfreq = inst.info["sfreq"]
    n_times = len(inst.times)
    if needs_eeg:
        if sfreq < ICLABEL_MIN_SFREQ:
            raise ValueError(
                f"ICLabel needs data sampled at {ICLABEL_MIN_SFREQ:g} Hz or more "
                f"(its autocorrelation feature has 100 lags of 10 ms), this "
                f"recording is at {sfreq:g} Hz. Resample it to at least "
                f"{ICLABEL_MIN_SFREQ:g} Hz first ("
                + fix(
                    "inst.resample(100.0), and fit the ICA on the resampled data",
                    "--resample 100",
                )
                + "); the labels then see no power above its Nyquist frequency "
                f"({sfreq / 2:g} Hz)."
            )
        if ica is None:
            eeg = _eeg_names(inst, good_only=True)
        else:
            kinds = dict(zip(ica.ch_names, ica.get_channel_types(), strict=True))
            eeg = [name for name in ica.ch_names if kinds[name] == "eeg"]
        missing = missing_positions(inst, eeg)
        if missing:
            raise ValueError(missing_positions_message(inst, missing))
        n_min = min_spectrum_samples(sfreq)
        if n_times < n_min:
            what = "epoch" if isinstance(inst, BaseEpochs) else "recording"
            raise ValueError(
                f"The {what} is too short for ICLabel's spectrum feature: "
                f"{n_times} samples at {sfreq:g} Hz, at least {n_min} "
                f"({n_min / sfreq:.3g} s) are needed; several seconds are best."
            )
        if ica is None and len(eeg) - 1 < 2:
            raise ValueError(
                f"An ICA of EEG needs at least 3 good EEG channels (the average "
                f"reference removes one dimension); the recording has {len(eeg)}."
            )
    if needs_meg:
        seconds = n_times / sfreq
        if seconds < _MEGNET_SECONDS:
            raise RuntimeError(
                f"MEGNet classifies {_MEGNET_SECONDS:g} s segments (15000 samples "
                f"at 250 Hz), and the recording lasts {seconds:.1f} s: it cannot "
                "label it. Label a recording of at least 60 s"
                + (
                    ", or its EEG with " + fix("method='iclabel'", "--method iclabel")
                    if "eeg" in types
                    else ""
                )
                + "."
            )
        if ica is None:
            n_mag = sum(
                1
                for name, kind in zip(
                    inst.ch_names, inst.get_channel_types(), strict=True
                )
                if kind == "mag" and name not in inst.info["bads"]
            )
            if n_mag < 3:
                raise RuntimeError(
                    f"MEGNet draws its topomaps from the magnetometers, and the "
                    f"recording has {n_mag} good one(s): it cannot label it."
                )
