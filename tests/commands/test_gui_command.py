"""``mne_gui_ic_annotation`` with real files, driven in-process, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("qtpy")
import mne  # noqa: E402
from qtpy.QtCore import Qt  # noqa: E402

from mne_icalabel.annotation import read_components_tsv  # noqa: E402
from mne_icalabel.commands import gui as command  # noqa: E402
from mne_icalabel.gui._label_components import ICAComponentLabeler  # noqa: E402


@pytest.fixture(scope="module")
def raw_ica():
    """16-channel simulated EEG, 20 s at 100 Hz, and a 5-component ICA."""
    from mne_icalabel.datasets.simulation.eeg import simulate_eeg_raw

    raw = simulate_eeg_raw(
        n_channels=16, duration=20.0, sfreq=100.0, line_noise=False, verbose=False
    )
    raw.filter(1.0, None, verbose=False)
    ica = mne.preprocessing.ICA(
        n_components=5, method="fastica", max_iter=1000, random_state=0
    )
    ica.fit(raw, verbose=False)
    return raw, ica


@pytest.fixture
def files(tmp_path, raw_ica) -> tuple[Path, Path]:
    raw, ica = raw_ica
    fname_raw = tmp_path / "sub-01_task-rest_raw.fif"
    fname_ica = tmp_path / "sub-01_task-rest_ica.fif"
    raw.save(fname_raw, verbose=False)
    ica.save(fname_ica, verbose=False)
    return fname_raw, fname_ica


def _press(qtbot, window, *keys):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    for key in keys:
        qtbot.keyClick(window.list_components, key)


def test_default_tsv_fname():
    assert command.default_tsv_fname("a/sub-01_task-rest_ica.fif") == Path(
        "a/sub-01_task-rest_components.tsv"
    )
    assert command.default_tsv_fname("x-ica.fif.gz") == Path("x_components.tsv")
    assert command.default_tsv_fname("ica.fif") == Path("ica_components.tsv")


def test_labels_saved_on_close(qtbot, files):
    fname_raw, fname_ica = files
    window = command.open_window([str(fname_raw), str(fname_ica), "--author", "me"])
    qtbot.addWidget(window)
    assert isinstance(window, ICAComponentLabeler) and window.isVisible()
    assert isinstance(window.inst, mne.io.BaseRaw)
    _press(qtbot, window, Qt.Key.Key_3, Qt.Key.Key_N, Qt.Key.Key_4)
    window.close()
    tsv = fname_ica.with_name("sub-01_task-rest_components.tsv")
    assert window.saved_files == [tsv, fname_ica]
    assert read_components_tsv(tsv)["labels"][:3] == ["eog", "ecg", None]
    ica = mne.preprocessing.read_ica(fname_ica, verbose=False)
    assert ica.labels_["eog"] == [0] and ica.labels_["ecg"] == [1]
    # reopening shows the saved labels; relabelling replaces them
    window = command.open_window([str(fname_raw), str(fname_ica)])
    qtbot.addWidget(window)
    assert window.selected_labels == {0: "Eye", 1: "Heart"}
    _press(qtbot, window, Qt.Key.Key_B)
    window.close()
    ica = mne.preprocessing.read_ica(fname_ica, verbose=False)
    assert ica.labels_["brain"] == [0] and ica.labels_["eog"] == []
    assert read_components_tsv(tsv)["labels"][:2] == ["brain", "ecg"]


def test_main_epochs_save_shortcut(
    qtbot, tmp_path, files, raw_ica, monkeypatch, capsys
):
    _, fname_ica = files
    fname_epo = tmp_path / "sub-01_task-rest_epo.fif"
    epochs = mne.make_fixed_length_epochs(raw_ica[0], 2.0, preload=True, verbose=False)
    epochs.save(fname_epo, verbose=False)
    tsv = tmp_path / "out" / "labels_components.tsv"
    out_ica = tmp_path / "out" / "labelled_ica.fif"
    seen = {}

    def fake_exec(window):  # stands in for the event loop: a user session
        qtbot.addWidget(window)
        seen["window"] = window
        _press(qtbot, window, Qt.Key.Key_Down, Qt.Key.Key_7)
        qtbot.keyClick(
            window.list_components, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
        )
        seen["saved"] = tsv.is_file() and out_ica.is_file()
        window.close()

    monkeypatch.setattr(command, "_exec", fake_exec)
    argv = [
        str(fname_epo),
        str(fname_ica),
        "--tsv",
        str(tsv),
        "--out-ica",
        str(out_ica),
    ]
    assert command.main(argv) == 0
    assert isinstance(seen["window"].inst, mne.BaseEpochs)
    assert seen["saved"]  # Ctrl+S wrote both files before closing
    out = capsys.readouterr().out
    assert f"saved {tsv}" in out and f"saved {out_ica}" in out
    assert read_components_tsv(tsv)["labels"][1] == "other"
    assert mne.preprocessing.read_ica(out_ica, verbose=False).labels_["other"] == [1]
    # the input ICA was not touched
    assert mne.preprocessing.read_ica(fname_ica, verbose=False).labels_ == {}


def test_main_errors(tmp_path, files, capsys):
    fname_raw, fname_ica = files
    assert command.main([str(tmp_path / "missing_raw.fif"), str(fname_ica)]) == 1
    assert "No such file" in capsys.readouterr().err
    bad = tmp_path / "bad_raw.fif"
    bad.write_bytes(b"not a fif file")
    assert command.main([str(bad), str(fname_ica)]) == 1
    assert "Could not read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        command.main(["--help"])
    assert exc.value.code == 0
    assert "mne_gui_ic_annotation sub-01_task-rest_raw.fif" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--browser", "--brow"])
def test_main_browser_parsed_once(tmp_path, monkeypatch, option):
    """--browser in any spelling argparse takes serves the page, no window."""
    served = []
    monkeypatch.setattr(command, "_serve", lambda args: served.append(args) or 0)

    def no_window(args):
        raise AssertionError("a Qt window was opened")

    monkeypatch.setattr(command, "_open_window", no_window, raising=False)
    argv = ["raw.fif", "ica.fif", option, "--no-open", "--port", "9000"]
    assert command.main(argv) == 0
    (args,) = served
    assert args.browser and args.no_open and args.port == 9000
    assert args.fname_ica == "ica.fif"
