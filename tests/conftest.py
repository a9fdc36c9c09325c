"""Shared fixtures: paths to the shared weights and the ICLabel testing dataset.

The weights and the testing dataset are never part of the repository. The test
suite looks for them in ``../shared/data`` (beside the repository) unless the
environment variables ``MNE_ICALABEL_WEIGHTS_PATH`` and
``MNE_ICALABEL_DATASET_TESTING_PATH`` already point somewhere else.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
os.environ.setdefault("MNE_ICALABEL_WEIGHTS_PATH", str(_SHARED_DATA / "weights"))
os.environ.setdefault("MNE_ICALABEL_DATASET_TESTING_PATH", str(_SHARED_DATA))
# Qt must never try to open a real display in the tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _no_window_left_shown(request):
    """Fail a test that leaves a window of this package shown; close it.

    A shown window is kept alive until it is closed (``gui/_kept_while_shown``),
    so one a test leaves shown stays, and runs, through the next tests. Only
    where Qt is imported: this never imports it. The widgets registered with
    ``qtbot.addWidget`` are closed by pytest-qt before this runs.
    """
    yield
    if "qtpy" not in sys.modules:
        return
    kept = sys.modules.get("mne_icalabel.gui._kept_while_shown")
    if kept is None or not kept.shown_windows():
        return
    left = kept.shown_windows()
    names = ", ".join(f"{type(w).__name__} {w.windowTitle()!r}" for w in left)
    for window in left:
        window.close()
        if window in kept.shown_windows():  # it refused to close
            window.hide()
    pytest.fail(
        f"{request.node.nodeid} left {len(left)} window(s) shown: {names}; close "
        "them or register them with qtbot.addWidget",
        pytrace=False,
    )


@pytest.fixture(autouse=True)
def _mne_log_level_restored():
    """Give the next test the MNE log level this test started with.

    MNE's level is global, and ``use_log_level`` (``verbose=...``) entered and
    left by two threads at once restores the other's level: a test whose
    worker thread reads with ``verbose=False`` while the test does too can
    leave WARNING behind. Only once MNE is imported (importing it sets its
    default level); this never imports it (``mne.utils.logger`` is the logger
    named "mne").
    """
    if "mne" not in sys.modules:
        yield
        return
    mne_logger = logging.getLogger("mne")
    level = mne_logger.level
    yield
    mne_logger.setLevel(level)


@pytest.fixture
def standin_method():
    """Register the stand-in method of ``tests/_standin.py`` for one test.

    Yields its record; it is unregistered afterwards, even if the test fails.
    """
    from mne_icalabel.methods import register_method, unregister_method

    from ._standin import STANDIN

    register_method(STANDIN)
    try:
        yield STANDIN
    finally:
        unregister_method(STANDIN.name)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder ``../shared/data`` holding weights, MEG info and references."""
    if not _SHARED_DATA.is_dir():
        pytest.fail(f"The shared data folder {_SHARED_DATA} is missing.")
    return _SHARED_DATA


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    """Folder that holds ``ICLabelNet.onnx``, ``ICLabelNet.pt``, ``megnet.onnx``."""
    return Path(os.environ["MNE_ICALABEL_WEIGHTS_PATH"])


@pytest.fixture(scope="session")
def testing_path() -> Path:
    """Root of the ICLabel testing dataset (holds ``iclabel/``)."""
    from mne_icalabel.datasets import icalabel

    path = icalabel.data_path(download=False, update_path=False)
    if path == Path() or not (path / "iclabel").is_dir():
        pytest.fail(
            "The ICLabel testing dataset was not found; set "
            "MNE_ICALABEL_DATASET_TESTING_PATH to the folder that holds "
            "MNE-testing-icalabel-data."
        )
    return path


@pytest.fixture(scope="session")
def iclabel_path(testing_path) -> Path:
    """The ``iclabel`` folder of the testing dataset."""
    return testing_path / "iclabel"


_NO_MATCH = (
    "ERROR: Could not find a version that satisfies the requirement "
    "mne-icalabel==0.10.0 (from versions: none)\n"
    "ERROR: No matching distribution found for mne-icalabel==0.10.0"
)


class FakePip:
    """Stands in for ``python -m pip download``; other commands run for real.

    Until `serve` is called, pip fails as it does without a package index
    (exit code 1, the reason on stderr). ``calls`` holds each pip command.
    """

    def __init__(self, monkeypatch, tmp_path_factory):
        self.calls: list[list[str]] = []
        self.returncode = 1
        self.stderr = _NO_MATCH
        self.wheel: Path | None = None
        self._monkeypatch = monkeypatch
        self._tmp_path_factory = tmp_path_factory
        real_run = subprocess.run

        def run(args, *pargs, **kwargs):
            if list(args[1:4]) != ["-m", "pip", "download"]:
                return real_run(args, *pargs, **kwargs)
            self.calls.append(list(args))
            dest = Path(args[args.index("-d") + 1])
            assert dest.is_dir() and not any(dest.iterdir())
            if self.wheel is None:
                return subprocess.CompletedProcess(
                    args, self.returncode, "", self.stderr
                )
            shutil.copyfile(self.wheel, dest / self.wheel.name)
            return subprocess.CompletedProcess(args, 0, f"Saved {self.wheel.name}", "")

        monkeypatch.setattr(subprocess, "run", run)

    def serve(
        self, contents: dict[str, bytes], in_wheel: dict[str, bytes] | None = None
    ) -> dict[str, bytes]:
        """Pin each weights name to the SHA256 of ``contents[name]``; let pip
        "download" a wheel holding ``in_wheel`` (default ``contents``) at the
        released paths, beside decoys with the same file names elsewhere.
        """
        from mne_icalabel.datasets import weights

        self._monkeypatch.setattr(weights, "_VERIFIED", set())
        for name, data in contents.items():
            path = weights.WEIGHTS[name][0]
            digest = hashlib.sha256(data).hexdigest()
            self._monkeypatch.setitem(weights.WEIGHTS, name, (path, digest))
        in_wheel = contents if in_wheel is None else in_wheel
        self.wheel = (
            self._tmp_path_factory.mktemp("index")
            / "mne_icalabel-0.10.0-py3-none-any.whl"
        )
        with zipfile.ZipFile(self.wheel, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("mne_icalabel/__init__.py", '__version__ = "0.10.0"\n')
            for name, data in in_wheel.items():
                member = weights.WEIGHTS[name][0]
                archive.writestr(f"docs/{member}", b"decoy " + data)
                archive.writestr(f"mne_icalabel/{member}", data)
            archive.writestr("mne_icalabel-0.10.0.dist-info/RECORD", "")
        return contents


@pytest.fixture(autouse=True)
def fake_pip(monkeypatch, tmp_path_factory) -> FakePip:
    """No test downloads a wheel: ``pip download`` is replaced by `FakePip`."""
    return FakePip(monkeypatch, tmp_path_factory)


@pytest.fixture
def fake_weights() -> dict[str, bytes]:
    """Distinct contents for the three weights names (one spans several MiB)."""
    from mne_icalabel.datasets.weights import WEIGHTS

    contents = {name: f"not really {name}\n".encode() * 100 for name in WEIGHTS}
    # more than the 1 MiB blocks in which members are streamed
    contents["megnet.onnx"] = bytes(range(256)) * (3 * 4096 + 7)
    return contents


@pytest.fixture(scope="session")
def combined_recording(shared_data) -> dict:
    """Simulated EEG + MEG recording with ICAs fitted on both and on EEG only.

    70 s at 250 Hz (MEGNet needs 60 s), filtered 1-100 Hz, EEG average
    referenced; the blink component of each ICA is the one most correlated
    with the ground-truth EOG channel.
    """
    import numpy as np
    from mne.preprocessing import ICA

    from mne_icalabel.datasets.simulation import simulate_meg_raw

    info = shared_data / "meg" / "sample_audvis_trunc_raw_sss.fif"
    raw = simulate_meg_raw(info, 70.0, eeg=True, random_state=0, verbose=False)
    raw.filter(1.0, 100.0, verbose=False)
    raw.set_eeg_reference("average", verbose=False)
    eog = raw.get_data("eog")[0]
    out = dict(raw=raw)
    for name, picks in (("both", ["eeg", "mag", "grad"]), ("eeg", ["eeg"])):
        ica = ICA(
            20, method="picard", fit_params=dict(extended=True, ortho=False), rng=97
        )
        ica.fit(raw, picks=picks, verbose=False)
        sources = ica.get_sources(raw).get_data()
        corr = [abs(np.corrcoef(s, eog)[0, 1]) for s in sources]
        out[f"ica_{name}"], out[f"blink_{name}"] = ica, int(np.argmax(corr))
    return out


# ---------------------------------------------------------------- review
REVIEW_N_COMPONENTS = 6


@pytest.fixture(scope="session")
def labelled_bids_template(tmp_path_factory):
    """Two subjects (32 ch, 60 s) labelled once with ``label_bids_dataset``."""
    from mne_icalabel.batch import label_bids_dataset

    from .batch.conftest import SUBJECTS, write_subject

    root = tmp_path_factory.mktemp("review") / "ds"
    for seed, subject in enumerate(SUBJECTS):
        write_subject(root, subject, seed)
    summary = label_bids_dataset(
        root, n_components=REVIEW_N_COMPONENTS, report=False, verbose=False
    )
    assert list(summary["status"]) == ["labelled", "labelled"]
    return root


@pytest.fixture
def review_root(labelled_bids_template, tmp_path):
    """A fresh copy of the labelled two-subject dataset."""
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(labelled_bids_template, root)
    return root
