"""The gallery's Qt scraper saves the windows a code block leaves shown."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sphinx_gallery")
pytest.importorskip("qtpy")

from qtpy.QtCore import QTimer  # noqa: E402
from qtpy.QtGui import QImage  # noqa: E402
from qtpy.QtWidgets import QApplication, QLabel, QMainWindow  # noqa: E402

from mne_icalabel.gui._kept_while_shown import shown_windows  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _load_scraper():
    spec = importlib.util.spec_from_file_location(
        "qt_scraper", ROOT / "docs" / "sphinxext" / "qt_scraper.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


qt_scraper = _load_scraper()


class _SlowWindow(QMainWindow):
    """A window whose content arrives later, with a documented wait method."""

    def __init__(self):
        super().__init__()
        self.label = QLabel("computing...", self)
        self.setCentralWidget(self.label)
        self.resize(320, 120)
        self._done = False
        QTimer.singleShot(400, self._finish)

    def _finish(self):
        self.label.setText("done: the plots")
        self.label.setStyleSheet("background: #2ca02c")
        self._done = True

    def wait_loaded(self):
        app = QApplication.instance()
        while not self._done:
            app.processEvents()


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits().asarray(image.sizeInBytes()), np.uint8)
    return raw.reshape(image.height(), image.bytesPerLine())


def _block_vars(tmp_path, n=3):
    paths = [tmp_path / f"sphx_glr_example_{k:03d}.png" for k in range(1, n + 1)]
    return {"image_path_iterator": iter(paths)}, paths


def test_shown_windows_saved_after_their_work(qtbot, tmp_path):
    # the scraper saves every shown window: none of an earlier test is left
    assert shown_windows() == []
    assert qt_scraper._shown_windows(QApplication.instance()) == []
    slow = _SlowWindow()
    qtbot.addWidget(slow)
    slow.show()
    hidden = QLabel("never shown")
    qtbot.addWidget(hidden)
    block_vars, paths = _block_vars(tmp_path)

    rst = qt_scraper.qt_window_scraper(None, block_vars, {"src_dir": str(tmp_path)})

    # one image, the shown window once its content came (not the hidden one)
    assert paths[0].is_file() and not paths[1].exists()
    assert "sphx_glr_example_001.png" in rst and "image" in rst
    saved = QImage(str(paths[0]))
    assert (saved.width(), saved.height()) == (slow.width(), slow.height())
    assert slow.label.text() == "done: the plots"
    assert np.array_equal(_pixels(saved), _pixels(slow.grab().toImage()))
    assert slow.isVisible()  # the example goes on with its window

    qt_scraper.hide_qt_windows({}, None)
    assert not slow.isVisible()
    block_vars, paths = _block_vars(tmp_path / "none")
    assert qt_scraper.qt_window_scraper(None, block_vars, {"src_dir": "."}) == ""


def test_settle_waits_until_the_picture_stops_changing(qtbot):
    label = QLabel("0")
    qtbot.addWidget(label)
    label.resize(200, 60)
    label.show()
    count = {"n": 0}

    def tick():
        count["n"] += 1
        label.setText(str(count["n"]))

    timer = QTimer(label)
    timer.timeout.connect(tick)
    timer.start(50)  # changes faster than the stability time
    QTimer.singleShot(700, timer.stop)
    app = QApplication.instance()
    assert qt_scraper.settle(label, app, timeout=10.0)
    # it returned after the last change, not at a pause between two
    assert not timer.isActive() and count["n"] >= 3
    # a window that never stops changing is reported
    timer.start(50)
    assert not qt_scraper.settle(label, app, timeout=0.8)
    timer.stop()
