"""``mne-icalabel review`` in-process, offscreen, on a labelled two-subject dataset."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("qtpy")
pytest.importorskip("mne_bids")
from qtpy.QtCore import Qt  # noqa: E402

from mne_icalabel.annotation import read_components_tsv  # noqa: E402
from mne_icalabel.commands import gui as gui_command  # noqa: E402
from mne_icalabel.commands.main import main  # noqa: E402


def test_review_command_labels_saves(qtbot, review_root, monkeypatch, capsys):
    seen = {}

    def drive(window):
        """Stand-in for the event loop: label, save, next, close."""
        qtbot.addWidget(window)
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        window.wait_loaded()  # the first recording comes from the worker
        view = window.view
        k = next(k for k in view.order if view.labels.get(k) != "Muscle")
        view.select_component(k)
        qtbot.keyClick(view.list_components, Qt.Key.Key_2)  # Muscle
        qtbot.keyClick(
            view.list_components, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
        )
        seen.update(window=window, k=k, tsv=window.loaded.entry.recording.tsv)
        qtbot.keyClick(view.list_components, Qt.Key.Key_PageDown)
        window.wait_loaded()
        seen["second"] = window.loaded.entry.key
        window.close()

    monkeypatch.setattr(gui_command, "_exec", drive)
    code = main(["review", str(review_root), "--subject", "01", "02", "--author", "JD"])
    assert code == 0
    assert seen["window"].author == "JD"
    assert len(seen["window"].queue) == 2
    assert read_components_tsv(seen["tsv"])["labels"][seen["k"]] == "muscle"
    review = json.loads(seen["tsv"].with_suffix(".json").read_text())["Review"]
    assert review["Author"] == "JD" and review["Changed"] == [seen["k"]]
    out = capsys.readouterr().out
    assert "1 of 2 recordings reviewed" in out


def test_review_command_selection_and_errors(
    tmp_path, review_root, monkeypatch, capsys
):
    monkeypatch.setattr(gui_command, "_exec", lambda window: window.close())
    assert main(["review", str(review_root), "--subject", "02"]) == 0
    assert "0 of 1 recordings reviewed" in capsys.readouterr().out
    assert main(["review", str(tmp_path / "nowhere")]) == 1
    assert "No such folder" in capsys.readouterr().err
    assert main(["review", str(tmp_path)]) == 1
    assert "dataset_description.json" in capsys.readouterr().err
    assert main(["review", str(review_root), "--datatype", "meg"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mne-icalabel review: error: No labelled meg recording")
    assert f"mne-icalabel bids {review_root}" in err
