"""``mne-icalabel label`` on real recordings, as a new user runs it (issue 29).

Three files of MNE's testing data stand for amplifiers the tests have not seen
(``../shared/data/real``, see its README):

- an EDF+ of BCI2000 whose 64 electrodes are named with trailing dots
  (``Fc5.``, ``C3..``), 128 Hz, 124 s: labelled with no option (the montage is
  chosen and matched automatically);
- a BDF whose EMG, EOG, ECG and accelerometer channels are typed EEG, 125 Hz,
  247 s: the EMG/EOG/ECG are typed by their names, the accelerometers need
  ``--misc 'acc*'``, which the error without it names;
- a Neuroelectrics NEDF with 32 electrodes, 500 Hz, 65 s: no option.

The successful runs are real processes of the command (warnings as the user
sees them, deprecations turned into errors); the failures run in this process
to prove the order of events (nothing loaded, filtered or fitted).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import mne
import numpy as np
import pytest

from mne_icalabel.commands.main import main

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
EDF = REAL / "test_edf_overlapping_annotations.edf"
BDF = REAL / "multiple_annotation_chans.bdf"
NEDF = REAL / "testdata.nedf"
TEMPLATE = (
    "colin27_1020"
    if "colin27_1020" in mne.channels.get_builtin_montages()
    else "standard_1020"
)


@pytest.fixture(scope="module", autouse=True)
def _real_files():
    for fname in (EDF, BDF, NEDF):
        if not fname.is_file():
            pytest.fail(f"The real recording {fname} is missing (shared data).")


def _label(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``mne-icalabel label`` in a fresh interpreter; deprecations fail."""
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "PYTHONWARNINGS": "error::DeprecationWarning,error::FutureWarning",
    }
    return subprocess.run(
        [sys.executable, "-m", "mne_icalabel.commands.main", "label", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def _rows(fname: Path) -> list[dict[str, str]]:
    with open(fname, encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def _check_outputs(out: Path, basename: str, n_components: int, eeg: list[str]):
    rows = _rows(out / f"{basename}_components.tsv")
    assert len(rows) == n_components
    proba = np.array(
        [[float(v) for k, v in r.items() if k.startswith("iclabel_")] for r in rows]
    )
    assert proba.shape == (n_components, 7)
    # each row a distribution; float32 sums, written with 4+ decimals
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-3)
    ica = mne.preprocessing.read_ica(out / f"{basename}_ica.fif", verbose=False)
    assert ica.ch_names == eeg
    assert set(ica.get_channel_types()) == {"eeg"}
    return rows


def _no_filter_advice(stderr: str) -> None:
    """The command filtered the data itself: no warning asks the user to."""
    assert "inst.filter" not in stderr
    assert "Traceback" not in stderr
    assert "FutureWarning" not in stderr and "deprecated" not in stderr


@pytest.mark.slow
def test_edf_dotted_names_no_options(tmp_path):
    result = _label(str(EDF), "--out", "out", "--no-report", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # the montage chosen, named, and the dotted names matched to it
    assert f"Montage: {TEMPLATE} (chosen: it has every EEG channel; 64 of 64" in (
        result.stdout
    )
    assert "64 names matched ignoring case and decorations" in result.stdout
    raw = mne.io.read_raw(EDF, verbose=False)
    _check_outputs(tmp_path / "out", EDF.stem, 20, raw.ch_names)
    # 128 Hz: the missing band above 64 Hz is a fact about the labels, once,
    # and the 1 Hz high-pass the command applied is not asked for again
    _no_filter_advice(result.stderr)
    warnings = _warnings(result.stderr)
    assert len(warnings) == 1, warnings
    assert "a 100 Hz low-pass is impossible" in warnings[0]
    assert "labels are less reliable" in warnings[0]


@pytest.mark.slow
def test_bdf_non_eeg_typed_eeg_with_misc(tmp_path):
    result = _label(
        str(BDF), "--misc", "acc*", "--out", "out", "--no-report", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Channel types from their names: EMG: emg, EOG: eog, ECG: ecg" in (
        result.stdout
    )
    assert "Channel types as asked: acc1: misc, acc2: misc, acc3: misc." in (
        result.stdout
    )
    assert f"Montage: {TEMPLATE} (chosen: it has every EEG channel; 12 of 12" in (
        result.stdout
    )
    electrodes = ["A1", "A2", "C3", "C4", "F3", "Fz", "F4", "P3", "Pz", "P4", "O1"]
    electrodes.append("O2")
    # 12 electrodes, average referenced: rank 11
    _check_outputs(tmp_path / "out", BDF.stem, 11, electrodes)
    # the non-EEG channels are out of the ICA: no unstable mixing matrix
    assert "unstable mixing matrix" not in result.stderr
    _no_filter_advice(result.stderr)
    warnings = _warnings(result.stderr)
    assert len(warnings) == 1 and "impossible" in warnings[0], warnings


@pytest.mark.slow
def test_nedf_no_options(tmp_path):
    result = _label(str(NEDF), "--out", "out", "--no-report", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Montage: {TEMPLATE} (chosen: it has every EEG channel; 32 of 32" in (
        result.stdout
    )
    raw = mne.io.read_raw(NEDF, verbose=False)
    eeg = raw.copy().pick("eeg").ch_names
    _check_outputs(tmp_path / "out", NEDF.stem, 20, eeg)
    # 500 Hz, filtered 1-100 Hz by the command: nothing to say
    assert _warnings(result.stderr) == []


# --------------------------------------------------------------------------
# the bad cases: each message checked, and nothing read, filtered or fitted
# --------------------------------------------------------------------------
@pytest.fixture
def nothing_heavy(monkeypatch):
    """Record any data load, filter, resample or ICA fit (none may happen)."""
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

    calls = []
    for cls, name in (
        (BaseRaw, "load_data"),
        (BaseRaw, "filter"),
        (BaseRaw, "resample"),
        (BaseRaw, "get_data"),
        (ICA, "fit"),
    ):
        original = getattr(cls, name)

        def record(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(cls, name, record)
    return calls


def _error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("mne-icalabel label: error: ")
    return lines[0].removeprefix("mne-icalabel label: error: ")


def test_bdf_accelerometers_named_in_the_error(tmp_path, capsys, nothing_heavy):
    assert main(["label", str(BDF), "--out", str(tmp_path)]) == 1
    message = _error(capsys)
    assert message.startswith("Montage is not set: none of the 15 EEG channels")
    assert f"The built-in montage {TEMPLATE} has 12 of the 15 EEG channels" in message
    assert "No built-in montage has acc1, acc2, acc3." in message
    # the options that fix it, not Python calls
    assert "--misc acc1 acc2 acc3" in message
    assert "--drop acc1 acc2 acc3" in message
    assert "--montage FILE" in message
    assert "inst." not in message and "standard_1020" not in message
    assert nothing_heavy == []
    assert not list(tmp_path.iterdir())  # nothing written


def test_bdf_pattern_matching_nothing(tmp_path, capsys, nothing_heavy):
    assert main(["label", str(BDF), "--misc", "accel*", "--out", str(tmp_path)]) == 1
    message = _error(capsys)
    assert message.startswith("--misc 'accel*' matches no channel of the recording")
    assert "acc1, acc2, acc3" in message  # the channels, to pick from
    assert nothing_heavy == []


def test_bdf_drop_instead_of_misc(tmp_path, capsys, monkeypatch):
    """--drop is the other fix the error names: the checks pass, the fit comes."""

    def stop(inst, *args, **kwargs):
        # prepared: EEG, EOG and ECG kept (EMG is not used), the rest gone
        assert "acc1" not in inst.ch_names and "EOG" in inst.ch_names
        raise RuntimeError("stopped before fitting")

    monkeypatch.setattr("mne_icalabel.batch.recording.fit_ica", stop)
    argv = ["label", str(BDF), "--drop", "acc?", "--out", str(tmp_path)]
    assert main(argv) == 1
    assert _error(capsys) == "stopped before fitting"


def test_edf_montage_without_its_electrodes(tmp_path, capsys, nothing_heavy):
    argv = ["label", str(EDF), "--montage", "biosemi16", "--out", str(tmp_path)]
    assert main(argv) == 1
    message = _error(capsys)
    assert message.startswith("48 of the 64 EEG channels have no position: Fc5.,")
    # the montage that has them all, as the option that sets it
    assert message.endswith(
        f"The built-in montage {TEMPLATE} has all 64 EEG channels: --montage "
        f"{TEMPLATE}."
    )
    assert nothing_heavy == []


def test_unknown_montage_name(tmp_path, capsys, nothing_heavy):
    argv = ["label", str(NEDF), "--montage", "standard_1020x", "--out", str(tmp_path)]
    assert main(argv) == 1
    message = _error(capsys)
    assert message.startswith("'standard_1020x' is neither a file nor a montage of")
    assert TEMPLATE in message and "biosemi64" in message
    assert nothing_heavy == []


def test_megnet_on_eeg(tmp_path, capsys, nothing_heavy):
    argv = ["label", str(NEDF), "--method", "megnet", "--out", str(tmp_path)]
    assert main(argv) == 1
    message = _error(capsys)
    assert message == (
        "MEGNet labels MEG, and the recording has no MEG channel. Use --method "
        "iclabel for EEG."
    )
    assert nothing_heavy == []


def test_montage_file(tmp_path, capsys, nothing_heavy, monkeypatch):
    """--montage FILE: an amplifier's own positions, names matched to them."""
    montage = mne.channels.make_standard_montage("biosemi64")
    pos = montage.get_positions()["ch_pos"]
    names = ["C3", "C4", "F3", "Fz", "F4", "P3", "Pz", "P4", "O1", "O2"]
    # upper-case names, as some systems write them
    custom = mne.channels.make_dig_montage(
        {name.upper(): pos[name] for name in names}, coord_frame="head"
    )
    fname = tmp_path / "cap-dig.fif"
    custom.save(fname, verbose=False)
    seen = {}

    def stop(inst, *args, **kwargs):
        seen["placed"] = {
            ch["ch_name"]
            for ch in inst.info["chs"]
            if ch["kind"] == mne.io.constants.FIFF.FIFFV_EEG_CH
            and np.isfinite(ch["loc"][:3]).all()
            and ch["loc"][:3].any()
        }
        raise RuntimeError("stopped after the montage")

    monkeypatch.setattr("mne_icalabel.commands.label.check_recording", stop)
    argv = ["label", str(BDF), "--montage", str(fname), "--misc", "acc*"]
    argv += ["--drop", "A1", "A2", "--out", str(tmp_path / "out")]
    assert main(argv) == 1
    assert _error(capsys) == "stopped after the montage"
    assert seen["placed"] == set(names)
    assert nothing_heavy == []


def test_old_montage_name_without_deprecation(tmp_path, capsys, monkeypatch):
    """--montage standard_1005 (MNE < 1.13's name) sets its successor, silently."""

    def stop(*args, **kwargs):
        raise RuntimeError("stopped after the montage")

    monkeypatch.setattr("mne_icalabel.commands.label.check_recording", stop)
    argv = ["label", str(EDF), "--montage", "standard_1005", "--out", str(tmp_path)]
    assert main(argv) == 1  # warnings are errors here: none was emitted
    out = capsys.readouterr().out
    new = "colin27_1005" if TEMPLATE == "colin27_1020" else "standard_1005"
    assert f"Montage: {new}" in out
    assert "64 of 64 EEG channels placed" in out
