"""The documentation builds without warnings (API pages from the docstrings).

The examples are not run here (``plot_gallery=0``: their pages show the code
only); ``docs/build_docs.py`` runs them, in CI, and test_gallery.py shows
that it fails when they do.
"""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


_IGNORE = shutil.ignore_patterns(
    "_build", "generated", "auto_examples", "sg_execution_times.rst", "__pycache__"
)


@pytest.mark.slow
def test_docs_build(tmp_path, monkeypatch):
    pytest.importorskip("numpydoc")
    pytest.importorskip("pydata_sphinx_theme")
    pytest.importorskip("sphinx_gallery")
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
            "-D",
            "plot_gallery=0",
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

    # the gallery lists every example, each page offers both downloads
    examples = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    assert len(examples) >= 4
    index = (out / "auto_examples" / "index.html").read_text(encoding="utf-8")
    for name in examples:
        assert f"{name}.html" in index
        example = (out / "auto_examples" / f"{name}.html").read_text(encoding="utf-8")
        assert f"{name}.ipynb" in example and f"{name}.py" in example
        assert len(list(out.glob(f"_downloads/*/{name}.ipynb"))) == 1

    # backreferences: an API page lists the examples that use the function
    page = (out / "generated" / "mne_icalabel.label_components.html").read_text(
        encoding="utf-8"
    )
    assert "Examples using" in page
    assert "00_iclabel.html" in page and "05_eeglab_sample_recording.html" in page

    # a page per model, and the changelog
    for name, classes in (
        ("iclabel", ("Channel Noise", "ch_noise", "Pion-Tonachini")),
        ("megnet", ("brain/other", "eye_movement", "Treacher")),
    ):
        text = (out / "models" / f"{name}.html").read_text(encoding="utf-8")
        assert all(word in text for word in classes), name
    changes = (out / "changes" / "devel.html").read_text(encoding="utf-8")
    assert "mne-icalabel 0.10" in changes
