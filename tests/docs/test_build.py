"""The documentation builds without warnings (API pages from the docstrings)."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


_IGNORE = shutil.ignore_patterns("_build", "generated", "__pycache__")


@pytest.mark.slow
def test_docs_build(tmp_path, monkeypatch):
    pytest.importorskip("numpydoc")
    pytest.importorskip("pydata_sphinx_theme")
    from sphinx.cmd.build import build_main

    monkeypatch.setenv("MNE_ICALABEL_DOC_OFFLINE", "1")  # no network in the tests
    # build a copy: autosummary writes its pages into the source folder
    for folder in ("docs", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=_IGNORE)
    out = tmp_path / "html"
    code = build_main(
        [
            "-b",
            "html",
            "-W",
            "--keep-going",
            "-q",
            "-d",
            str(tmp_path / "doctrees"),
            str(tmp_path / "docs"),
            str(out),
        ]
    )
    assert code == 0
    page = (out / "generated" / "mne_icalabel.batch.label_bids_dataset.html").read_text(
        encoding="utf-8"
    )
    assert "dask_scheduler" in page and "Returns" in page
    cli = (out / "cli.html").read_text(encoding="utf-8")
    assert "mne-icalabel bids" in cli and "--dask-scheduler" in cli
    assert "mne-icalabel apply" in cli and "--reference" in cli
    assert (out / "generated" / "mne_icalabel.batch.apply_bids_dataset.html").is_file()
