"""Labelling a whole BIDS dataset: outputs, parallel backends, resume, failures."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from mne_icalabel.batch import find_recordings, label_bids_dataset

from .conftest import N_COMPONENTS, write_subject

DERIV = Path("derivatives", "mne-icalabel")
STEMS = ("sub-01/eeg/sub-01_task-rest_run-01", "sub-02/eeg/sub-02_task-rest_run-01")


def _read_tsv(fname: Path) -> list[dict[str, str]]:
    with open(fname, encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def _proba(rows: list[dict[str, str]]) -> np.ndarray:
    cols = [c for c in rows[0] if c.startswith("iclabel_")]
    return np.array([[float(row[c]) for c in cols] for row in rows])


def test_find_recordings(bids_root):
    paths = find_recordings(bids_root)
    assert [p.subject for p in paths] == ["01", "02"]
    assert all(p.extension == ".vhdr" and p.suffix == "eeg" for p in paths)
    assert [p.subject for p in find_recordings(bids_root, subjects="02")] == ["02"]
    assert find_recordings(bids_root, tasks="other") == []
    assert find_recordings(bids_root, datatype="meg") == []
    with pytest.raises(FileNotFoundError, match="not a BIDS dataset"):
        find_recordings(bids_root / "sub-01")
    with pytest.raises(RuntimeError, match="No eeg recording matches"):
        label_bids_dataset(bids_root, subjects="03")


def test_loky_dask_resume(bids_root, tmp_path):
    """n_jobs=2 and a Dask cluster give the same TSVs; a rerun skips everything."""
    from distributed import LocalCluster

    dask_root = tmp_path / "ds-dask"
    shutil.copytree(bids_root, dask_root)

    summary = label_bids_dataset(
        bids_root, n_components=N_COMPONENTS, n_jobs=2, verbose="error"
    )
    assert list(summary["status"]) == ["labelled", "labelled"]
    assert list(summary["ica"]) == ["fitted", "fitted"]
    assert list(summary["n_components"]) == [N_COMPONENTS] * 2
    assert summary["error"].isna().all()

    deriv = bids_root / DERIV
    description = json.loads((deriv / "dataset_description.json").read_text())
    assert description["DatasetType"] == "derivative"
    assert description["GeneratedBy"][0]["Name"] == "mne-icalabel"
    for stem in STEMS:
        for suffix in ("_components.tsv", "_components.json", "_report.html"):
            assert (deriv / f"{stem}{suffix}").is_file(), stem + suffix
        assert (deriv / f"{stem}_ica.fif").is_file()
        rows = _read_tsv(deriv / f"{stem}_components.tsv")
        assert len(rows) == N_COMPONENTS
        proba = _proba(rows)
        assert proba.shape == (N_COMPONENTS, 7)
        # the TSV holds the float32 outputs exactly (shortest repr); their rows
        # sum to 1 within 38 float32 units of rounding (softmax, 4-way mean; see
        # tests/iclabel/test_network.py)
        np.testing.assert_allclose(proba.sum(1), 1, rtol=0, atol=38 * 2**-24)
        # the simulated blinks are found in every recording
        assert "eog" in {row["ic_type"] for row in rows}
        html = (deriv / f"{stem}_report.html").read_text(encoding="utf-8")
        assert "Probabilities" in html and "Topographies" in html
    written = _read_tsv(deriv / "summary.tsv")
    assert [row["status"] for row in written] == ["labelled", "labelled"]
    assert written[0]["recording"] == "sub-01/eeg/sub-01_task-rest_run-01_eeg.vhdr"

    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as cluster:
        summary_dask = label_bids_dataset(
            dask_root,
            n_components=N_COMPONENTS,
            dask_scheduler=cluster.scheduler_address,
            report=False,
            verbose="error",
        )
    assert list(summary_dask["status"]) == ["labelled", "labelled"]
    for stem in STEMS:
        loky = _read_tsv(deriv / f"{stem}_components.tsv")
        dask = _read_tsv(dask_root / DERIV / f"{stem}_components.tsv")
        assert [r["ic_type"] for r in loky] == [r["ic_type"] for r in dask]
        assert [r["status"] for r in loky] == [r["status"] for r in dask]
        # separate processes with other thread counts fit the ICA with other
        # BLAS blockings: ICLabel's scientific bound (1e-5 of EEGLAB) applies
        np.testing.assert_allclose(_proba(loky), _proba(dask), atol=1e-5)

    # resume: nothing is labelled again, no file is rewritten
    tsv = deriv / f"{STEMS[0]}_components.tsv"
    mtime = tsv.stat().st_mtime_ns
    again = label_bids_dataset(bids_root, n_jobs=2, verbose="error")
    assert list(again["status"]) == ["skipped", "skipped"]
    assert tsv.stat().st_mtime_ns == mtime
    assert [r["status"] for r in _read_tsv(deriv / "summary.tsv")] == ["skipped"] * 2


def test_existing_ica_and_failure(bids_root):
    """A pipeline's ICA is reused; a corrupt recording fails alone."""
    import mne

    # an ICA fitted by another pipeline for sub-01
    from mne_icalabel.batch import fit_ica, prepare_recording

    raw = mne.io.read_raw_brainvision(
        bids_root / "sub-01/eeg/sub-01_task-rest_run-01_eeg.vhdr", verbose=False
    )
    raw.set_channel_types({"EOG": "eog", "ECG": "ecg"}, verbose=False)
    raw.set_montage("biosemi32", verbose=False)
    ica = fit_ica(prepare_recording(raw, verbose=False), n_components=7, verbose=False)
    pipeline = bids_root / "derivatives" / "my-pipeline" / "sub-01" / "eeg"
    pipeline.mkdir(parents=True)
    ica.save(pipeline / "sub-01_task-rest_run-01_proc-clean_ica.fif", verbose=False)

    # sub-03's data file is truncated
    fname = write_subject(bids_root, "03", 3)
    data = fname.with_suffix(".eeg")
    data.write_bytes(data.read_bytes()[:1000])

    summary = label_bids_dataset(bids_root, n_components=N_COMPONENTS, report=False)
    assert list(summary["status"]) == ["labelled", "labelled", "failed"]
    assert summary["ica"][0].startswith("existing: derivatives/my-pipeline/sub-01/")
    assert summary["ica"][0].endswith("sub-01_task-rest_run-01_proc-clean_ica.fif")
    assert list(summary["n_components"][:2]) == [7, N_COMPONENTS]
    assert summary["error"][2].split(":")[0].endswith("Error")
    written = _read_tsv(bids_root / DERIV / "summary.tsv")
    assert written[2]["status"] == "failed" and written[2]["error"] != "n/a"
    assert written[2]["recording"].startswith("sub-03/")
    rows = _read_tsv(bids_root / DERIV / f"{STEMS[0]}_components.tsv")
    assert len(rows) == 7
    assert not (bids_root / DERIV / f"{STEMS[0]}_ica.fif").exists()
    assert not (bids_root / DERIV / f"{STEMS[0]}_report.html").exists()

    # the failed recording is retried on the next run, the others are skipped
    again = label_bids_dataset(bids_root, report=False)
    assert list(again["status"]) == ["skipped", "skipped", "failed"]


def test_invalid_arguments(bids_root):
    with pytest.raises(ValueError, match="datatype"):
        label_bids_dataset(bids_root, datatype="ieeg")
    with pytest.raises(ValueError, match="method"):
        label_bids_dataset(bids_root, method="manual")
    with pytest.raises(TypeError, match="n_jobs"):
        label_bids_dataset(bids_root, n_jobs="2")
    # up front, not one failed row per recording
    with pytest.raises(ValueError, match="n_jobs must be a number of processes"):
        label_bids_dataset(bids_root, n_jobs=0)
    with pytest.raises(ValueError, match="n_components must be at least 2"):
        label_bids_dataset(bids_root, n_components=1)
    with pytest.raises(TypeError, match="n_components"):
        label_bids_dataset(bids_root, n_components=2.5)
    assert not (bids_root / "derivatives").exists()


def _row_or_crash(key: str, crash: bool, done: str) -> dict:
    """Return a row; or, once the other job has finished, kill this process.

    The crash waits for the other job's marker file (and a little more for its
    row to reach the parent): a dead worker breaks loky's whole pool, so a
    crash before the other row arrived would make it "not finished" too.
    """
    import time
    from pathlib import Path

    if crash:
        deadline = time.monotonic() + 60
        while not Path(done).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.0)
        os._exit(3)
    Path(done).touch()
    return dict(recording=key, status="labelled")


def test_crashed_worker_reported(tmp_path):
    """A worker process that dies does not lose the other results."""
    from mne_icalabel.batch._dispatch import JobRunner, preflight_client

    settings = preflight_client()
    assert settings.backends == {} and settings.weights == {}
    with JobRunner(settings, n_jobs=2) as runner:
        done = str(tmp_path / "a-done")
        arguments = [("a", False, done), ("b", True, done)]
        rows = runner.run(_row_or_crash, arguments, ["a", "b"], "x")
    by_key = {row["recording"]: row for row in rows}
    assert set(by_key) == {"a", "b"}
    assert by_key["a"]["status"] == "labelled"
    assert by_key["b"]["status"] == "failed"
    assert by_key["b"]["error"].startswith("not finished: TerminatedWorkerError")


def test_output_paths_with_session(tmp_path):
    from mne_bids import BIDSPath

    from mne_icalabel.derivatives._layout import output_stem, recording_key

    bids_path = BIDSPath(
        subject="01",
        session="pre",
        task="rest",
        run="02",
        datatype="eeg",
        suffix="eeg",
        extension=".vhdr",
        root=tmp_path,
    )
    deriv = tmp_path / DERIV
    folder, stem = output_stem(bids_path, deriv)
    assert folder == deriv / "sub-01" / "ses-pre" / "eeg"
    assert stem == "sub-01_ses-pre_task-rest_run-02"
    assert recording_key(bids_path) == (
        "sub-01/ses-pre/eeg/sub-01_ses-pre_task-rest_run-02_eeg.vhdr"
    )
