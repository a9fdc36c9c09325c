"""What can be checked before the ICA fit is checked first (issue 29).

The order of events is asserted (nothing loaded, filtered, resampled or
fitted before the error); the time it takes is measured by
``benchmarks/bench_fail_fast.py`` against the fit it avoids.
"""

from __future__ import annotations

import time
import warnings
from inspect import signature
from pathlib import Path

import mne
import numpy as np
import pytest

from mne_icalabel.commands.main import main

MEG = Path(__file__).resolve().parents[3] / "shared" / "data" / "meg"


@pytest.fixture
def events(monkeypatch):
    """Record data loads, filters, resamplings, ICA fits and network loads."""
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

    from mne_icalabel.megnet import label_components as megnet_module

    calls = []
    targets = [
        (BaseRaw, "load_data"),
        (BaseRaw, "filter"),
        (BaseRaw, "resample"),
        (BaseRaw, "get_data"),
        (ICA, "fit"),
        (megnet_module.BACKENDS, "load"),  # the network's loading
    ]
    for owner, name in targets:
        original = getattr(owner, name)

        def record(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, record)
    return calls


def _long_recording(fname: Path, names, minutes: float = 10.0, sfreq=250.0):
    rng = np.random.default_rng(0)
    n_times = int(minutes * 60 * sfreq)
    info = mne.create_info(list(names), sfreq, "eeg")
    data = rng.standard_normal((len(names), n_times), dtype=np.float32) * 1e-5
    raw = mne.io.RawArray(data, info, verbose=False)
    raw.save(fname, fmt="single", verbose=False)
    return raw.times[-1]


def test_missing_montage_long_recording_fails_before_the_fit(tmp_path, capsys, events):
    """64 channels, 10 min at 250 Hz, names no montage has: an error at once."""
    fname = tmp_path / "long_raw.fif"
    duration = _long_recording(fname, [f"Ch{k:02d}" for k in range(1, 65)])
    assert duration > 599
    start = time.perf_counter()
    assert main(["label", str(fname), "--out", str(tmp_path / "out")]) == 1
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "mne-icalabel label: error: Montage is not set: none of the 64 EEG "
        "channels has a position."
    )
    assert "--montage FILE" in err and "inst." not in err
    # nothing of the data was read, filtered or fitted before the error
    assert events == []
    assert not (tmp_path / "out").exists()
    print(f"failed after {elapsed:.2f} s (a 10-minute 64-channel recording)")


def test_megnet_short_recording_fails_before_resampling(tmp_path, capsys, events):
    """1 s of MEG: MEGNet's 60 s is checked before any filter or resampling."""
    fname = MEG / "sample_audvis_trunc_raw_sss.fif"
    assert main(["label", str(fname), "--method", "megnet", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert "MEGNet classifies 60 s segments" in err
    assert "the recording lasts 1.0 s" in err
    assert "or its EEG with --method iclabel" in err  # it has EEG channels
    assert events == []


def test_megnet_checks_length_before_loading_its_network(events):
    """From Python: the 60 s check comes before the 1-1.5 s network load."""
    from mne.preprocessing import ICA

    from mne_icalabel.megnet import megnet_label_components

    raw = mne.io.read_raw_fif(
        MEG / "sample_audvis_trunc_raw_sss.fif", preload=True, verbose=False
    )
    raw.pick("mag")
    # MNE >= 1.12 names the seed rng
    seed = "rng" if "rng" in signature(ICA).parameters else "random_state"
    ica = ICA(n_components=5, method="infomax", max_iter=50, **{seed: 0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 301 samples: MNE's own remarks
        ica.fit(raw, verbose=False)
    events.clear()
    with pytest.raises(RuntimeError, match="MEGNet needs at least 15000 points"):
        megnet_label_components(raw, ica)
    assert "load" not in events


def test_sampling_rate_checked_first_and_its_option(tmp_path, capsys, events):
    """90 Hz: ICLabel needs 100; the error names --resample, which fixes it."""
    names = mne.channels.make_standard_montage("biosemi16").ch_names
    fname = tmp_path / "slow_raw.fif"
    _long_recording(fname, names, minutes=2.0, sfreq=90.0)
    assert main(["label", str(fname), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "ICLabel needs data sampled at 100 Hz or more" in err
    assert "this recording is at 90 Hz" in err and "(--resample 100)" in err
    assert events == []


def test_resample_option_passes_the_checks(tmp_path, capsys, monkeypatch):
    names = mne.channels.make_standard_montage("biosemi16").ch_names
    fname = tmp_path / "slow_raw.fif"
    _long_recording(fname, names, minutes=2.0, sfreq=90.0)
    seen = {}

    def stop(inst, *args, **kwargs):
        seen["sfreq"] = inst.info["sfreq"]
        raise RuntimeError("stopped before fitting")

    monkeypatch.setattr("mne_icalabel.batch.recording.fit_ica", stop)
    argv = ["label", str(fname), "--resample", "100", "--out", str(tmp_path / "o")]
    with warnings.catch_warnings():
        # noise high-passed at 0 Hz and low-passed at 45 Hz: the filter facts
        warnings.simplefilter("ignore", RuntimeWarning)
        assert main(argv) == 1
    captured = capsys.readouterr()
    assert "Resampling from 90 Hz to 100 Hz." in captured.out
    assert captured.err.strip().endswith("stopped before fitting")
    assert seen["sfreq"] == 100.0


@pytest.mark.parametrize("value", ["0", "-100", "nan"])
def test_resample_zero_or_negative_refused(tmp_path, capsys, events, value):
    """--resample 0 is an error naming the option, not ignored."""
    names = mne.channels.make_standard_montage("biosemi16").ch_names
    fname = tmp_path / "slow_raw.fif"
    _long_recording(fname, names, minutes=1.0, sfreq=90.0)
    with pytest.raises(SystemExit) as info:
        main(["label", str(fname), "--resample", value, "--out", str(tmp_path)])
    assert info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    expected = "argument --resample: expected a sampling rate in Hz above 0"
    assert f"{expected}, e.g. 100, got '{value}'" in err
    assert events == []


def test_python_call_gets_python_advice(tmp_path, events):
    """From Python, label_recording checks first too, and names Python calls."""
    from mne_icalabel.batch import label_recording

    names = [
        n.upper() + "."
        for n in mne.channels.make_standard_montage("biosemi16").ch_names
    ]
    fname = tmp_path / "dotted_raw.fif"
    _long_recording(fname, names, minutes=1.0)
    raw = mne.io.read_raw_fif(fname, verbose=False)
    events.clear()
    with pytest.raises(ValueError, match="Montage is not set") as error:
        label_recording(raw, None, "iclabel", out_dir=tmp_path / "out")
    message = str(error.value)
    template = (
        "colin27_1020"
        if "colin27_1020" in mne.channels.get_builtin_montages()
        else "standard_1020"
    )
    assert f"inst.set_montage({template!r}, match_case=False)" in message
    assert "inst.rename_channels(lambda name: name.strip().rstrip('.'))" in message
    assert "--montage" not in message
    assert events == []
    assert not (tmp_path / "out").exists()
