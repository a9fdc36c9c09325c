"""Importing the package is cheap and pulls in no heavy optional dependency."""

import json
import subprocess
import sys

_HEAVY = [
    "torch",
    "onnxruntime",
    "onnx",
    "PyQt6",
    "qtpy",
    "pandas",
    "mne_bids",
    "matplotlib.pyplot",
    "mne.preprocessing",
    "mne.simulation",
    "dask",
    "joblib",
]


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_import_has_no_heavy_modules():
    code = (
        "import sys, json; import mne_icalabel; "
        f"print(json.dumps([m for m in {_HEAVY!r} if m in sys.modules]))"
    )
    assert json.loads(_run(code)) == []


def test_import_is_fast():
    # time the package alone, on top of numpy and mne which any user has loaded
    code = (
        "import time, numpy, mne; t0 = time.perf_counter(); import mne_icalabel; "
        "print(time.perf_counter() - t0)"
    )
    best = min(float(_run(code)) for _ in range(3))
    assert best < 0.5, f"import mne_icalabel took {best:.2f} s"


def test_public_names():
    import mne_icalabel

    assert mne_icalabel.__version__ == "0.10.0"
    for name in (
        "label_components",
        "sys_info",
        "annotation",
        "config",
        "datasets",
        "features",
        "gui",
        "iclabel",
        "utils",
    ):
        assert hasattr(mne_icalabel, name), name
    from mne_icalabel.config import (
        ICA_LABELS_TO_MNE,
        ICALABEL_METHODS,
        ICALABEL_METHODS_NUMERICAL_TO_STRING,
    )
    from mne_icalabel.iclabel._config import ICLABEL_STRING_TO_NUMERICAL
    from mne_icalabel.megnet._config import MEGNET_NUMERICAL_TO_STRING

    assert list(ICALABEL_METHODS) == ["iclabel", "megnet", "manual"]
    assert ICALABEL_METHODS["manual"] is None
    assert list(ICA_LABELS_TO_MNE.values()) == [
        "brain",
        "muscle",
        "eog",
        "ecg",
        "line_noise",
        "ch_noise",
        "other",
    ]
    assert ICLABEL_STRING_TO_NUMERICAL["eye blink"] == 2
    assert MEGNET_NUMERICAL_TO_STRING == {
        0: "brain/other",
        1: "eye blink",
        2: "heart beat",
        3: "eye movement",
    }
    assert ICALABEL_METHODS_NUMERICAL_TO_STRING["megnet"] is MEGNET_NUMERICAL_TO_STRING
