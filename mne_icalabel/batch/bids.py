"""Label every recording of a BIDS dataset, in parallel, resumably.

Outputs go to ``<bids_root>/derivatives/mne-icalabel``::

    dataset_description.json
    summary.tsv                      one row per recording of the last run
    sub-01/[ses-1/]eeg/
        sub-01_task-rest_components.tsv   (+ .json sidecar)
        sub-01_task-rest_report.html
        sub-01_task-rest_ica.fif          (when the ICA was fitted here)

Each recording is an independent job: a failure is caught, recorded in the
summary and never stops the others. Jobs run in local ``loky`` processes or
on a Dask distributed cluster, through the engine of ``_dispatch`` (pre-flight
on the client and on every worker, then one job per recording); each worker
process loads the network once and reuses it for all its recordings.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mne.utils import (
    _check_option,
    _ensure_int,
    _validate_type,
    logger,
    verbose,
)

from ..utils._docs import fill_doc
from ..utils._imports import import_optional_dependency
from ..utils._io import write_text_atomic
from .ica import _check_decim

if TYPE_CHECKING:
    import pandas as pd
    from mne_bids import BIDSPath

PIPELINE = "mne-icalabel"
SUMMARY_COLUMNS = (
    "recording",
    "status",
    "ica",
    "n_components",
    "labels",
    "seconds",
    "outputs",
    "warnings",
    "error",
)
_EXCLUDED_EXTENSIONS = {".json", ".tsv", ".vmrk", ".eeg", ".fdt"}


def _as_list(value: str | list[str] | None, name: str) -> list[str] | None:
    _validate_type(value, (str, list, tuple, None), name)
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]


def find_recordings(
    bids_root: str | os.PathLike,
    *,
    subjects: str | list[str] | None = None,
    sessions: str | list[str] | None = None,
    tasks: str | list[str] | None = None,
    runs: str | list[str] | None = None,
    datatype: str = "eeg",
) -> list[BIDSPath]:
    """Find the raw recordings of a BIDS dataset with mne-bids.

    Parameters
    ----------
    bids_root : path-like
        Root of the BIDS dataset.
    subjects, sessions, tasks, runs : str | list of str | None
        Keep only these entity values (without the ``sub-`` … prefixes);
        ``None`` keeps all.
    datatype : ``"eeg"`` | ``"meg"``
        The data type to label.

    Returns
    -------
    bids_paths : list of BIDSPath
        One path per recording (the first part of split files), sorted, with
        ``datatype`` and ``suffix`` set to ``datatype``. Derivatives are not
        searched.
    """
    mne_bids = import_optional_dependency("mne_bids")
    from mne_bids.config import reader

    _check_option("datatype", datatype, ("eeg", "meg"))
    bids_root = Path(bids_root)
    if not (bids_root / "dataset_description.json").is_file():
        raise FileNotFoundError(
            f"{bids_root} is not a BIDS dataset: it has no dataset_description.json."
        )
    extensions = sorted({ext.lower() for ext in reader} - _EXCLUDED_EXTENSIONS)
    paths = mne_bids.find_matching_paths(
        bids_root,
        subjects=_as_list(subjects, "subjects"),
        sessions=_as_list(sessions, "sessions"),
        tasks=_as_list(tasks, "tasks"),
        runs=_as_list(runs, "runs"),
        datatypes=datatype,
        suffixes=datatype,
        extensions=extensions + [ext.upper() for ext in extensions],
        ignore_json=True,
    )
    paths = [p for p in paths if p.split in (None, "01")]
    unique = {str(p.fpath): p for p in paths}
    return [unique[key] for key in sorted(unique)]


def _recording_key(bids_path: BIDSPath) -> str:
    """Path of the recording's data file relative to the dataset root."""
    return Path(bids_path.fpath).relative_to(bids_path.root).as_posix()


def _output_stem(bids_path: BIDSPath, deriv_root: Path) -> tuple[Path, str]:
    """Folder and basename of the outputs of one recording."""
    root = Path(bids_path.root)
    folder = deriv_root / Path(bids_path.directory).relative_to(root)
    stem = bids_path.copy().update(suffix=None, extension=None, split=None)
    return folder, stem.basename


def _find_existing_ica(bids_path: BIDSPath, deriv_root: Path) -> Path | None:
    """Find an ICA of this recording saved by another pipeline in ``derivatives/``."""
    root = Path(bids_path.root)
    relative = Path(bids_path.directory).relative_to(root)
    _, stem = _output_stem(bids_path, deriv_root)
    for pipeline in sorted((root / "derivatives").glob("*")):
        if pipeline.name == PIPELINE:  # ours are refitted when relabelling
            continue
        found = sorted((pipeline / relative).glob(f"{stem}_*ica.fif"))
        if found:
            return found[0]
    return None


def _label_one(
    bids_path: BIDSPath,
    deriv_root: Path,
    method: str,
    n_components: int | None,
    report: bool,
    log_level: str,
    backend: str | dict[str, str] | None = None,
    ica_decim: int | str | None = "auto",
) -> dict[str, Any]:
    """Label one recording; never raises, returns its summary row."""
    import mne

    row: dict[str, Any] = dict(recording=_recording_key(bids_path))
    start = time.perf_counter()
    with (
        warnings.catch_warnings(record=True) as caught,
        mne.utils.use_log_level(log_level),
    ):
        warnings.simplefilter("always")
        try:
            import mne_bids

            from .recording import label_recording

            folder, stem = _output_stem(bids_path, deriv_root)
            existing = _find_existing_ica(bids_path, deriv_root)
            ica = None
            if existing is not None:
                ica = mne.preprocessing.read_ica(existing, verbose=False)
            raw = mne_bids.read_raw_bids(bids_path, verbose=False)
            result = label_recording(
                raw,
                ica,
                method,
                out_dir=folder,
                basename=stem,
                n_components=n_components,
                report=report,
                backend=backend,
                ica_decim=ica_decim,
            )
            counts: dict[str, int] = {}
            for label in result["labels"]:
                counts[label] = counts.get(label, 0) + 1
            row.update(
                status="labelled",
                ica="fitted"
                if existing is None
                else f"existing: {existing.relative_to(bids_path.root).as_posix()}",
                n_components=len(result["labels"]),
                labels="; ".join(f"{k}: {v}" for k, v in counts.items()),
                outputs="; ".join(
                    str(f.relative_to(deriv_root)) for f in result["files"].values()
                ),
            )
        except Exception as error:
            logger.debug(traceback.format_exc())
            message = str(error).strip().splitlines()[0] if str(error) else ""
            row.update(status="failed", error=f"{type(error).__name__}: {message}")
    messages = dict.fromkeys(str(w.message).splitlines()[0] for w in caught)
    row["warnings"] = " | ".join(messages)
    row["seconds"] = round(time.perf_counter() - start, 2)
    return row


def _write_summary(rows: list[dict], fname: Path) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, SUMMARY_COLUMNS, delimiter="\t", restval="n/a", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        clean = {
            key: (str(val).replace("\t", " ").replace("\n", " ") or "n/a")
            for key, val in row.items()
        }
        writer.writerow(clean)
    write_text_atomic(fname, buffer.getvalue())


def _write_description(deriv_root: Path, bids_root: Path) -> None:
    from .. import __version__

    fname = deriv_root / "dataset_description.json"
    description = {
        "Name": "mne-icalabel labels of the independent components",
        "BIDSVersion": "1.9.0",
        "DatasetType": "derivative",
        "GeneratedBy": [
            {
                "Name": PIPELINE,
                "Version": __version__,
                "Description": "ICA fitted with MNE-Python and labelled with "
                "ICLabel (EEG) or MEGNet (MEG).",
                "CodeURL": "https://github.com/mne-tools/mne-icalabel",
            }
        ],
        "SourceDatasets": [{"URL": bids_root.resolve().as_uri()}],
    }
    write_text_atomic(fname, json.dumps(description, indent=4) + "\n")


@verbose
@fill_doc
def label_bids_dataset(
    bids_root: str | os.PathLike,
    *,
    subjects: str | list[str] | None = None,
    sessions: str | list[str] | None = None,
    tasks: str | list[str] | None = None,
    runs: str | list[str] | None = None,
    datatype: str = "eeg",
    method: str | None = None,
    n_components: int | None = None,
    ica_decim: int | str | None = "auto",
    n_jobs: int = 1,
    dask_scheduler=None,
    overwrite: bool = False,
    report: bool = True,
    backend: str | None = None,
    blas_threads: int | None = 1,
    verbose=None,
) -> pd.DataFrame:
    """Label the ICA components of every recording of a BIDS dataset.

    For each recording: read it with :func:`mne_bids.read_raw_bids`, prepare it
    (:func:`prepare_recording`), reuse an ICA saved by another pipeline in
    ``derivatives/`` (the first ``<recording>_*ica.fif`` in pipeline order, e.g.
    from mne-bids-pipeline) or fit one (:func:`fit_ica`), label it, and write
    the component TSV with all class probabilities, its JSON sidecar, an HTML
    report and the fitted ICA under ``derivatives/mne-icalabel``.

    Parameters
    ----------
    bids_root : path-like
        Root of the BIDS dataset.
    subjects, sessions, tasks, runs : str | list of str | None
        Label only these entity values (e.g. ``subjects=["01", "02"]``);
        ``None`` labels all.
    datatype : ``"eeg"`` | ``"meg"``
        The data type to label.
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"`` | None
        The labelling method; ``None`` uses ICLabel for EEG and MEGNet for MEG.
        ``"both"`` labels one ICA of the EEG and MEG channels of each ``meg``
        recording with both networks (see :func:`label_recording`); it needs
        ``datatype="meg"``, where BIDS keeps the EEG recorded with MEG.
    n_components : int | None
        Number of components of the ICAs fitted here (see :func:`fit_ica`).
    ica_decim : ``"auto"`` | int | None
        The samples the ICAs fitted here use: ``"auto"`` (default) every
        ``n``-th sample, so that at least ``max(60 * n_components**2, 20000)``
        remain; an int, every ``ica_decim``-th sample; ``None`` or 1, every
        sample (see ``decim`` of :func:`fit_ica`). The labels, the TSV and the
        report use the whole recording.
    n_jobs : int
        Number of recordings labelled at once by joblib's ``loky`` processes
        (``-1``: one per CPU core). Ignored with ``dask_scheduler``.
    dask_scheduler : str | path-like | distributed.Client | None
        Address of a Dask distributed scheduler (e.g. ``"tcp://host:8786"``),
        its scheduler file (a ``.json`` path, as written by ``dask scheduler
        --scheduler-file``) or a connected client: the recordings are labelled
        on that cluster's workers. The workers need this package and the same
        optional packages as this machine, nothing else: the weights verified
        here are sent to the workers that cannot read them (see Notes).
    overwrite : bool
        If False (default), recordings whose component TSV already exists are
        skipped, so an interrupted run resumes where it stopped. If True, every
        recording is labelled again.
    report : bool
        Write an HTML report per recording.
    backend : str | None
        The network backend (ICLabel: ``"torch"``, ``"onnx"``, ``"numpy"``;
        MEGNet: ``"onnx"``, ``"torch"``); ``None`` picks the first available
        on this machine, and every worker uses that one.
    blas_threads : int | None
        BLAS (and torch) threads per Dask worker thread, so that a worker with
        ``--nthreads N`` uses N cores; ``None`` leaves the workers' defaults.
        Local ``loky`` processes (no more than the recordings) share this
        machine's cores evenly instead.
    %(verbose)s

    Returns
    -------
    summary : pandas.DataFrame
        One row per recording found, in path order, with the columns
        ``recording`` (path relative to ``bids_root``), ``status``
        (``"labelled"``, ``"skipped"`` or ``"failed"``), ``ica`` (``"fitted"`` or
        ``"existing: <path>"``), ``n_components``, ``labels`` (count per class),
        ``seconds``, ``outputs``, ``warnings`` and ``error`` (the exception's
        type and first line). It is also written to
        ``derivatives/mne-icalabel/summary.tsv``.

    Notes
    -----
    A recording that fails (unreadable file, no montage, ...) is reported in
    the summary and does not stop the others. The warnings raised while
    labelling a recording (e.g. a sampling rate too low for the 1-100 Hz
    band-pass ICLabel expects) are listed in its ``warnings`` column.

    Each worker process imports the network once and caches it, so the cost
    of loading it is paid once per worker, not once per recording.

    Before any recording is read, this machine imports the packages the jobs
    need and locates and verifies the weights of the method and backend (a
    problem raises here, nothing is written). On a Dask cluster every worker
    then does the same and loads the network; a worker that cannot read the
    weights at this machine's path receives the verified files once and keeps
    them in its own cache (``<MNE_DATA>/MNE-icalabel-weights``), verified by
    SHA256. A worker that fails this check is named in a warning and gets no
    recording; if none passes, the run stops with the reasons before any ICA
    is fitted.
    """
    pd = import_optional_dependency("pandas")
    _check_option("datatype", datatype, ("eeg", "meg"))
    if method is None:
        method = "iclabel" if datatype == "eeg" else "megnet"
    _check_option("method", method, ("iclabel", "megnet", "both"))
    if method == "both" and datatype != "meg":
        # BIDS stores the EEG recorded with MEG in the meg recording
        raise ValueError(
            "method='both' labels recordings with EEG and MEG, which BIDS stores "
            f"under the 'meg' datatype; got datatype={datatype!r}. Use "
            "datatype='meg' (--datatype meg)."
        )
    n_jobs = _ensure_int(n_jobs, "n_jobs")
    ica_decim = _check_decim(ica_decim, "ica_decim")
    _validate_type(overwrite, bool, "overwrite")
    _validate_type(report, bool, "report")
    _validate_type(backend, (str, None), "backend")
    bids_root = Path(bids_root).expanduser()
    deriv_root = bids_root / "derivatives" / PIPELINE

    recordings = find_recordings(
        bids_root,
        subjects=subjects,
        sessions=sessions,
        tasks=tasks,
        runs=runs,
        datatype=datatype,
    )
    if not recordings:
        raise RuntimeError(
            f"No {datatype} recording matches the selection in {bids_root}; check "
            "--subject/--session/--task/--run and --datatype."
        )
    rows: dict[str, dict] = {}
    todo = []
    for bids_path in recordings:
        folder, stem = _output_stem(bids_path, deriv_root)
        key = _recording_key(bids_path)
        tsv = folder / f"{stem}_components.tsv"
        if tsv.is_file() and not overwrite:
            rows[key] = dict(
                recording=key,
                status="skipped",
                outputs=str(tsv.relative_to(deriv_root)),
            )
        else:
            todo.append(bids_path)
    logger.info(
        f"{len(recordings)} recording(s) found, {len(todo)} to label, "
        f"{len(recordings) - len(todo)} already labelled"
    )
    if not todo:
        _write_description(deriv_root, bids_root)
    else:
        from ._dispatch import JobRunner, preflight_client
        from .ica import _ica_packages

        methods = ["iclabel", "megnet"] if method == "both" else [method]
        settings = preflight_client(
            methods,
            backend=backend,
            packages=("mne_bids", *_ica_packages(method)),
            blas_threads=blas_threads,
        )
        worker_level = "DEBUG" if logger.level <= 10 else "WARNING"
        arguments = [
            (
                bids_path,
                deriv_root,
                method,
                n_components,
                report,
                worker_level,
                settings.backends if method == "both" else settings.backends[method],
                ica_decim,
            )
            for bids_path in todo
        ]
        keys = [_recording_key(bids_path) for bids_path in todo]
        with JobRunner(
            settings, n_jobs=n_jobs, dask_scheduler=dask_scheduler
        ) as runner:
            _write_description(deriv_root, bids_root)
            for row in runner.run(_label_one, arguments, keys, f"Labelling ({method})"):
                rows[row["recording"]] = row
    ordered = [rows[key] for key in sorted(rows)]
    _write_summary(ordered, deriv_root / "summary.tsv")
    n_failed = sum(row["status"] == "failed" for row in ordered)
    if n_failed:
        logger.info(f"{n_failed} recording(s) failed; see {deriv_root / 'summary.tsv'}")
    summary = pd.DataFrame(ordered, columns=list(SUMMARY_COLUMNS))
    return summary
