"""Channel types and positions from names, as amplifiers and formats write them.

The names here follow conventions of systems the real-recording tests do not
cover: EDF+ type prefixes and clinical reference suffixes (``EEG FP1-REF``,
``EEG T3-LE``), the old 10-20 names MNE aliases (``T3``, ``M1``), EGI's
``E1``..., BioSemi's ``A1``...``D32``, lower- or upper-case 10-20 names, and
the auxiliary channels of many amplifiers (``HEOG``, ``EKG``, ``Resp``).
"""

from __future__ import annotations

import logging
import warnings

import mne
import numpy as np
import pytest

from mne_icalabel.utils._advice import command_line
from mne_icalabel.utils._channels import (
    choose_montage,
    electrode_name,
    match_names,
    missing_positions,
    missing_positions_message,
    set_channel_types,
    set_montage,
    template_montage,
    type_from_name,
)

TEMPLATE = template_montage()


def _raw(names, types="eeg", sfreq=250.0, n_times=500):
    info = mne.create_info(list(names), sfreq, types)
    data = np.random.default_rng(0).standard_normal((len(names), n_times)) * 1e-5
    return mne.io.RawArray(data, info, verbose=False)


@pytest.mark.parametrize(
    ("name", "electrode"),
    [
        ("Fc5.", "Fc5"),  # BCI2000 pads with dots
        ("C3..", "C3"),
        ("EEG FP1-REF", "FP1"),  # EDF+ type prefix, clinical reference suffix
        ("EEG T3-LE", "T3"),
        ("F7-A1", "F7"),  # referential derivation to the left ear
        ("Fp1-F7", "Fp1-F7"),  # a bipolar pair is not an electrode
        (" Cz ", "Cz"),
        ("E12", "E12"),
    ],
)
def test_electrode_name(name, electrode):
    assert electrode_name(name) == electrode


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("HEOG", "eog"),
        ("VEOG-L", "eog"),
        ("EOG1", "eog"),
        ("EYE_R", "eog"),  # EEGLAB's reader: EOG or EYE
        ("ECG", "ecg"),
        ("EKG", "ecg"),
        ("ECG II", "ecg"),
        ("EMG chin", "emg"),
        ("Resp belt", "resp"),  # EDF+ prefixes, BIDS channel types
        ("TEMP", "temperature"),
        ("SaO2", "bio"),
        ("GSR", "gsr"),
        ("MISC 01", "misc"),
        ("TRIG", "stim"),
        ("Fp1", None),
        ("E5", None),
        ("acc1", None),  # accelerometers: no convention names them
        ("Fc5.", None),
    ],
)
def test_type_from_name(name, kind):
    assert type_from_name(name) == kind


def test_set_channel_types_names_and_options():
    raw = _raw(["Fp1", "Fp2", "Cz", "HEOG", "EKG", "ACC_X", "ACC_Y", "Status"])
    lines = set_channel_types(raw, {"misc": ["acc_*"], "eeg": ["heog"]}, ["status"])
    types = dict(zip(raw.ch_names, raw.get_channel_types(), strict=True))
    assert "Status" not in types
    assert types == {
        "Fp1": "eeg",
        "Fp2": "eeg",
        "Cz": "eeg",
        "HEOG": "eeg",  # --eeg wins over its name
        "EKG": "ecg",
        "ACC_X": "misc",
        "ACC_Y": "misc",
    }
    assert lines == [
        "Dropped 1 channel(s): Status.",
        "Channel types from their names: EKG: ecg (--eeg NAME keeps one as EEG).",
        "Channel types as asked: ACC_X: misc, ACC_Y: misc.",
    ]
    # a channel typed otherwise by its file is left as it is
    raw = _raw(["Fp1", "HEOG"], ["eeg", "misc"])
    assert set_channel_types(raw) == []
    assert raw.get_channel_types() == ["eeg", "misc"]


def test_pattern_matching_nothing_names_the_channels():
    raw = _raw(["Fp1", "Fp2", "acc1"])
    with pytest.raises(ValueError, match=r"--misc 'accel\*' matches no channel.*acc1"):
        set_channel_types(raw, {"misc": ["accel*"]})


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        # clinical EDF: prefix, upper case, reference suffix, old 10-20 names
        (
            ["EEG FP1-REF", "EEG FP2-REF", "EEG T3-REF", "EEG T4-REF", "EEG CZ-REF"],
            TEMPLATE,
        ),
        (["fp1", "fp2", "cz", "pz", "oz", "t7", "t8"], TEMPLATE),
        # EGI: E1..E128 fit the 128 and 129 nets (and the 256 ones): the
        # smallest that has them all
        ([f"E{k}" for k in range(1, 129)], "GSN-HydroCel-128"),
        ([f"E{k}" for k in range(1, 129)] + ["Cz"], "GSN-HydroCel-129"),
        # BioSemi's letter-number names of a 128-channel cap
        ([f"{c}{k}" for c in "ABCD" for k in range(1, 33)], "biosemi128"),
    ],
)
def test_choose_montage(names, expected):
    name, matched, _ = choose_montage(names)
    assert name == expected
    assert set(matched) == set(names)


def test_mne_aliases_and_decorations_are_matched():
    # a montage without the old names T3 and M1 (the 10-20 templates have them)
    montage = mne.channels.make_standard_montage("easycap-M1").ch_names
    assert "T3" not in montage and "M1" not in montage
    matched = match_names(["EEG T3-LE", "M1", "Fcz.", "FP1"], montage)
    # T3 is T7 and M1 TP9 in MNE's table of aliases
    assert matched == {"EEG T3-LE": "T7", "M1": "TP9", "Fcz.": "FCz", "FP1": "Fp1"}


def test_set_montage_auto_keeps_the_file_positions():
    raw = _raw(["Fp1", "Fp2", "Cz", "Pz"])
    raw.set_montage("biosemi16")
    before = raw.info["chs"][0]["loc"][:3].copy()
    assert set_montage(raw, "auto") is None  # nothing to do
    np.testing.assert_array_equal(raw.info["chs"][0]["loc"][:3], before)


def test_set_montage_positions_equal_mne_on_clean_names():
    """The tolerant match gives the positions MNE gives the clean names."""
    clean = ["Fp1", "Fp2", "C3", "C4", "T7", "O1", "O2", "Cz"]
    raw = _raw([f"{n.upper()}." for n in clean])
    line = set_montage(raw, "auto")
    assert line.startswith(f"Montage: {TEMPLATE} (chosen: it has every EEG channel")
    reference = _raw(clean)
    reference.set_montage(TEMPLATE)
    for ours, theirs in zip(raw.info["chs"], reference.info["chs"], strict=True):
        np.testing.assert_array_equal(ours["loc"][:3], theirs["loc"][:3])


def test_no_deprecated_montage_names():
    """The montages offered are the installed MNE's, none deprecated."""
    from mne_icalabel.utils._channels import builtin_montages

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, _ in builtin_montages():
            mne.channels.make_standard_montage(name)
    assert TEMPLATE in mne.channels.get_builtin_montages()


def test_missing_positions_advice_python_and_cli():
    raw = _raw(["Fp1", "Fp2", "Cz", "Pz", "acc1"])
    missing = missing_positions(raw, raw.ch_names)
    assert missing == raw.ch_names
    python = missing_positions_message(raw, missing)
    assert f"inst.set_montage({TEMPLATE!r}, match_case=False)" in python
    assert "inst.set_channel_types({'acc1': 'misc'})" in python
    assert "--" not in python
    with command_line("label"):
        cli = missing_positions_message(raw, missing)
    assert f"--montage {TEMPLATE}" in cli and "--misc acc1" in cli
    assert "inst." not in cli
    # a command without these options gets the Python calls
    with command_line("bids"):
        assert missing_positions_message(raw, missing) == python


def test_library_logs_nothing_at_default_level(weights_dir):
    """label_components is as quiet as mne-icalabel 0.10; verbose shows more."""
    from mne.preprocessing import ICA

    from mne_icalabel import label_components

    raw = _raw(["Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4"], n_times=5000)
    raw.set_montage(TEMPLATE)
    with raw.info._unlock():
        raw.info["highpass"], raw.info["lowpass"] = 1.0, 100.0
    raw.set_eeg_reference("average", verbose=False)
    ica = ICA(n_components=4, method="infomax", fit_params=dict(extended=True))
    ica.fit(raw, verbose=False)
    # at MNE's default level (INFO), whatever an earlier test left it at
    with mne.utils.use_log_level("INFO"), mne.utils.catch_logging() as log:
        assert mne.utils.logger.level == logging.INFO
        label_components(raw, ica, "iclabel")
    assert log.getvalue() == ""
    with mne.utils.catch_logging() as log:
        label_components(raw, ica, "iclabel", verbose=True)
    assert "Computing ICLabel features of 4 components" in log.getvalue()
