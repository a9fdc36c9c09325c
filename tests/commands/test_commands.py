"""The mne-icalabel command line: help, subcommands in a subprocess, user errors."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import mne
import numpy as np
import pytest

from mne_icalabel.commands import sys_info
from mne_icalabel.commands.label import _basename
from mne_icalabel.commands.main import SUBCOMMANDS, main
from mne_icalabel.datasets.simulation import simulate_eeg_raw


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``mne-icalabel`` in a fresh interpreter (as the console script does)."""
    return subprocess.run(
        [sys.executable, "-m", "mne_icalabel.commands.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=300,
    )


def _read_tsv(fname: Path) -> list[dict[str, str]]:
    with open(fname, encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


@pytest.mark.parametrize("command", [None, *SUBCOMMANDS])
def test_help(command, capsys):
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert f"mne-icalabel {command or 'demo'}" in out


def test_no_command(capsys):
    assert main([]) == 2
    assert "usage: mne-icalabel" in capsys.readouterr().out


def test_demo_subprocess(tmp_path):
    result = _run(
        "demo",
        "--out",
        "out",
        "--n-channels",
        "32",
        "--duration",
        "30",
        "--n-components",
        "10",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "fitted picard ICA (extended=True, ortho=False), 10 components" in out
    lines = [line for line in out.splitlines() if line.startswith("ICA0")]
    assert len(lines) == 10
    assert "ICA000     eye blink" in out
    assert "Ground truth, EOG channel (blinks): ICA000" in out
    folder = tmp_path / "out"
    rows = _read_tsv(folder / "sub-demo_task-simulated_components.tsv")
    assert len(rows) == 10 and rows[0]["ic_type"] == "eog"
    assert "iclabel_eye_blink" in rows[0]
    assert (folder / "sub-demo_task-simulated_report.html").is_file()
    assert (folder / "sub-demo_task-simulated_ica.fif").is_file()


def test_label_subprocess(tmp_path):
    raw = simulate_eeg_raw(16, duration=30.0, random_state=4, verbose=False)
    raw.save(tmp_path / "rec_raw.fif", verbose=False)
    result = _run(
        "label", "rec_raw.fif", "--out", "res", "--n-components", "8", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "as ICLabel expects" in result.stdout
    assert len([ln for ln in result.stdout.splitlines() if ln.startswith("ICA")]) == 8
    tsv = tmp_path / "res" / "rec_components.tsv"
    rows = _read_tsv(tsv)
    assert len(rows) == 8
    assert (tmp_path / "res" / "rec_report.html").is_file()

    # with the ICA just written: same labels, not refitted (in process)
    code = main(
        [
            "label",
            str(tmp_path / "rec_raw.fif"),
            "--ica",
            str(tmp_path / "res" / "rec_ica.fif"),
            "--out",
            str(tmp_path / "again"),
            "--no-report",
        ]
    )
    assert code == 0
    again = _read_tsv(tmp_path / "again" / "rec_components.tsv")
    assert [r["ic_type"] for r in again] == [r["ic_type"] for r in rows]
    proba = [[float(v) for k, v in r.items() if k.startswith("iclabel_")] for r in rows]
    proba_again = [
        [float(v) for k, v in r.items() if k.startswith("iclabel_")] for r in again
    ]
    # ICLabel's scientific bound (1e-5 of EEGLAB's output) for a re-read ICA
    np.testing.assert_allclose(proba_again, proba, atol=1e-5)
    assert not (tmp_path / "again" / "rec_report.html").exists()
    assert not (tmp_path / "again" / "rec_ica.fif").exists()


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_user_errors(tmp_path, capsys):
    assert main(["label", str(tmp_path / "missing.fif")]) == 1
    assert _error_line(capsys).startswith("mne-icalabel label: error: No such file")

    raw = simulate_eeg_raw(16, duration=10.0, verbose=False)
    raw.set_montage(None)
    # names no montage of MNE has (10-20 names would be placed automatically)
    raw.rename_channels({name: f"X{k}" for k, name in enumerate(raw.ch_names)})
    raw.save(tmp_path / "nomontage_raw.fif", verbose=False)
    args = ["label", str(tmp_path / "nomontage_raw.fif"), "--n-components", "4"]
    assert main(args + ["--no-report"]) == 1
    assert "Montage is not set" in _error_line(capsys)

    (tmp_path / "notes.txt").write_text("not a recording")
    assert main(["label", str(tmp_path / "notes.txt")]) == 1
    assert "could not read" in _error_line(capsys)

    assert main(["bids", str(tmp_path)]) == 1
    assert "is not a BIDS dataset" in _error_line(capsys)
    assert main(["bids", str(tmp_path / "nope")]) == 1
    assert "No such folder" in _error_line(capsys)

    with pytest.raises(SystemExit) as exit_info:
        main(["label", "x.fif", "--method", "manual"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'manual'" in capsys.readouterr().err

    with pytest.raises(FileNotFoundError):  # --debug shows the traceback
        main(["label", str(tmp_path / "missing.fif"), "--debug"])


def test_fetch_weights(weights_dir, tmp_path, capsys):
    dest = tmp_path / "weights"
    dest.mkdir()
    for name in ("ICLabelNet.onnx", "ICLabelNet.pt", "megnet.onnx"):
        (dest / name).symlink_to(weights_dir / name)
    assert main(["fetch-weights", "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    # verified and resolved (symlinks followed), not downloaded
    assert out.count(str(weights_dir.resolve())) == 3
    assert "MNE_ICALABEL_WEIGHTS_PATH" in out


def test_sys_info(capsys):
    assert sys_info.main([]) == 0
    out = capsys.readouterr().out
    assert "mne-icalabel:" in out and "Core dependencies" in out
    assert "Optional" not in out
    assert sys_info.main(["--extra"]) == 0
    assert "Optional 'bids' dependencies" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sub-01_task-rest_eeg.vhdr", "sub-01_task-rest"),
        ("sample_audvis_raw.fif", "sample_audvis"),
        ("data-epo.fif.gz", "data"),
        ("recording.edf", "recording"),
    ],
)
def test_basename(name, expected):
    assert _basename(Path(name)) == expected


def test_montage_option(tmp_path, capsys):
    raw = simulate_eeg_raw(16, duration=20.0, verbose=False)
    raw.set_montage(None)
    raw.save(tmp_path / "m_raw.fif", verbose=False)
    args = ["label", str(tmp_path / "m_raw.fif"), "--montage", "biosemi16"]
    assert main(args + ["--n-components", "4", "--no-report"]) == 0
    assert (tmp_path / "m_components.tsv").is_file()  # default: next to the input
    assert mne.io.read_raw(tmp_path / "m_raw.fif", verbose=False).get_montage() is None


def testdefault_method():
    """ICLabel or MEGNet from the ICA's channels, else from the recording's."""
    import mne
    from mne.preprocessing import ICA

    from mne_icalabel.utils._picks import default_method

    rng = np.random.default_rng(0)
    names = [f"MEG{i}" for i in range(4)] + [f"EEG{i}" for i in range(4)]
    info = mne.create_info(names, 100.0, ["mag"] * 4 + ["eeg"] * 4)
    both = mne.io.RawArray(rng.standard_normal((8, 2000)) * 1e-6, info, verbose=0)
    eeg = both.copy().pick("eeg")
    meg = both.copy().pick("meg")
    assert default_method(eeg, None)[0] == "iclabel"
    assert default_method(meg, None)[0] == "megnet"
    method, reason = default_method(both, None)
    assert method == "megnet" and "EEG ones too" in reason
    for picks, expected in (("eeg", "iclabel"), ("mag", "megnet")):
        ica = ICA(n_components=2, method="fastica", random_state=0, max_iter=50)
        ica.fit(both, picks=picks, verbose="error")
        method, reason = default_method(both, ica)
        assert method == expected, reason
        assert "the ICA was fitted on" in reason


def test_apply_output_with_refused_rows(tmp_path, capsys, monkeypatch):
    """A refused row is counted in the headline and has no 'removed' line."""
    import pandas as pd

    import mne_icalabel.commands.apply as apply_command

    summary = pd.DataFrame(
        [
            dict(recording="sub-01", status="applied", n_excluded=1, excluded="1"),
            dict(recording="sub-02", status="skipped", n_excluded=0, excluded=""),
            dict(
                recording="sub-03",
                status="refused",
                n_excluded=np.nan,
                excluded=np.nan,
                error="claimed by run 42",
            ),
        ]
    )
    monkeypatch.setattr(apply_command, "apply_bids_dataset", lambda *a, **k: summary)
    assert main(["apply", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith(
        "3 recording(s): 1 applied, 1 skipped (up to date), 0 failed, 1 refused "
        "(another run has them) in "
    )
    assert "  refused: sub-03: claimed by run 42" in lines
    assert "  sub-01: removed 1" in lines and "  sub-02: removed nothing" in lines
    assert not any(line.startswith("  sub-03: removed") for line in lines)
    assert "1 of 3 recording(s) were refused" in captured.err
