"""Write the cleaned recordings of a labelled BIDS dataset: the ICAs applied.

For each recording labelled by ``bids`` (a components TSV under
``derivatives/mne-icalabel``), the recording is read as stored, given the
reference its ICA was fitted with, optionally filtered, and cleaned by its ICA
with the components whose TSV ``status`` is ``bad`` removed::

    sub-01/[ses-1/]eeg/
        sub-01_task-rest_desc-clean_eeg.fif    the cleaned recording
        sub-01_task-rest_desc-clean_eeg.json   what was removed, from which files
        sub-01_task-rest_report.html           + a section "Cleaning"

The sidecar records the SHA256 of the TSV and of the ICA file used, so that a
rerun skips the recordings whose decisions and ICA did not change. The jobs
run on the engine of ``bids`` (local ``loky`` processes or a Dask cluster); a
failing recording is reported in ``summary.tsv`` and never stops the others.
"""

from __future__ import annotations

import json
import os
import time
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mne.utils import _check_option, _ensure_int, _validate_type, logger, verbose

from ..utils._docs import fill_doc
from ..utils._imports import import_optional_dependency
from ..utils._io import (
    atomic_path,
    read_json_object,
    temporary_folder,
    write_text_atomic,
)
from ..utils._signals import exit_on_sigterm
from ._layout import (
    PIPELINE,
    LabelledRecording,
    check_bids_root,
    derivatives_root,
    find_labelled_recordings,
    output_stem,
    write_summary,
)
from ._lock import DerivativesLock
from ._shard import check_shard, select_part

if TYPE_CHECKING:
    import pandas as pd
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

SUMMARY_COLUMNS = (
    "recording",
    "status",
    "reference",
    "n_excluded",
    "excluded",
    "seconds",
    "outputs",
    "warnings",
    "error",
)
#: how the recording is referenced before the ICA is applied
REFERENCES = ("average", "as-is")
_DESC = "clean"


def clean_path(labelled: LabelledRecording, deriv_root: Path) -> Path:
    """Return the path of the cleaned recording (``<stem>_desc-clean_<dt>.fif``).

    Named with mne-bids (the recording's entities, ``desc-clean``, the
    datatype as suffix), in the recording's folder of ``deriv_root``.
    """
    bids_path = labelled.bids_path
    folder, _ = output_stem(bids_path, deriv_root)
    name = bids_path.copy().update(
        description=_DESC,
        suffix=bids_path.datatype,
        extension=".fif",
        split=None,
        check=False,
    )
    return folder / name.basename


def _sidecar_path(fname: Path) -> Path:
    return fname.with_suffix(".json")


def _method(probabilities: dict, ica: ICA) -> str:
    """Return the labelling method of a TSV (its probability columns, else the ICA)."""
    if len(probabilities) == 2:
        return "both"
    if probabilities:
        return next(iter(probabilities))
    types = set(ica.get_channel_types())
    if "eeg" in types:
        return "both" if types & {"mag", "grad"} else "iclabel"
    return "megnet"


def ica_reference(
    ica: ICA,
    *,
    fitted_here: bool,
    method: str,
    reference: str | None = None,
    name: str = "The ICA",
) -> str:
    """Return how to reference a recording before applying ``ica`` to it.

    Parameters
    ----------
    ica : ICA
        The fitted ICA.
    fitted_here : bool
        Whether ``bids`` fitted it (then the data it saw were prepared by
        :func:`mne_icalabel.batch.prepare_recording`).
    method : str
        The labelling method of the recording.
    reference : ``"average"`` | ``"as-is"`` | None
        Force the reference of an EEG ICA; ``None`` decides from the ICA.
    name : str
        How to name the ICA in an error message.

    Returns
    -------
    reference : ``"average"`` | ``"as-is"`` | ``"none"``
        ``"none"`` for an ICA without EEG channels (MEG needs no reference).

    Raises
    ------
    ValueError
        When an ICA fitted elsewhere records a custom reference without
        saying which (see Notes of :func:`apply_bids_dataset`).
    """
    from mne.io.constants import FIFF

    from .ica import fit_reference

    if "eeg" not in ica.get_channel_types():
        return "none"
    if reference is not None:
        return reference
    if fitted_here:
        return fit_reference(method)
    info = ica.info
    if any(
        p["kind"] == FIFF.FIFFV_PROJ_ITEM_EEG_AVREF and p["active"]
        for p in info["projs"]
    ):
        # set_eeg_reference("average", projection=True) then apply_proj: the
        # data were projected to the average, and ICA.apply projects them too
        return "average"
    custom = info["custom_ref_applied"]
    if custom == FIFF.FIFFV_MNE_CUSTOM_REF_OFF:
        # no reference was applied (an average projector that was only added,
        # as set_eeg_reference(projection=True) does, is not applied by
        # ICA.fit): the data had the reference they were stored with
        return "as-is"
    if custom == FIFF.FIFFV_MNE_CUSTOM_REF_CSD:
        raise ValueError(
            f"{name} was fitted on a current source density (CSD) transform of "
            "the EEG, which cannot be recomputed here; apply it with MNE "
            "(mne.preprocessing.compute_current_source_density, then ica.apply)."
        )
    raise ValueError(
        f"{name} was fitted on EEG re-referenced without a projector "
        "(info['custom_ref_applied'] is set), which does not say to which "
        "reference (the average or some channels). Pass reference='average' "
        "(--reference average) if it was the common average, or "
        "reference='as-is' (--reference as-is) if the recording is stored with "
        "that reference."
    )


def _check_channels(raw: BaseRaw, ica: ICA) -> None:
    """Check that the recording has the ICA's channels, in the ICA's order."""
    if ica.info["proc_history"] and not raw.info["proc_history"]:
        raise ValueError(
            "The ICA was fitted on Maxwell-filtered (SSS) data but the recording "
            "is stored without it; apply it to the Maxwell-filtered recording "
            "of the pipeline that fitted it."
        )
    missing = [ch for ch in ica.ch_names if ch not in raw.ch_names]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise ValueError(
            f"The recording lacks {len(missing)} of the {len(ica.ch_names)} "
            f"channels of its ICA ({shown}): the ICA was fitted on other data. "
            "Relabel it with 'mne-icalabel bids --overwrite' (a new ICA)."
        )
    present = set(ica.ch_names)
    if [ch for ch in raw.ch_names if ch in present] != list(ica.ch_names):
        raise ValueError(
            "The recording has the channels of its ICA in another order, which "
            "ICA.apply cannot handle; reorder them (raw.reorder_channels) or "
            "relabel with 'mne-icalabel bids --overwrite'."
        )


def _save_raw(raw: BaseRaw, fname: Path, split_size: str = "2GB") -> list[Path]:
    """Save ``raw`` to ``fname`` (split with BIDS names), each part atomically.

    The parts are written into a temporary folder beside ``fname``, then each
    is moved over its destination with :func:`atomic_path`; parts of an older
    write that this one does not have are removed afterwards.
    """
    folder = fname.parent
    # a full disk raises an error naming the folder, the free space and at
    # least the samples' bytes (float32, MNE's default format)
    size = 4 * len(raw.ch_names) * raw.n_times
    with temporary_folder(fname, size=size) as tmpdir:
        raw.save(
            tmpdir / fname.name,
            split_size=split_size,
            split_naming="bids",
            overwrite=True,
        )
        parts = sorted(tmpdir.iterdir())
        written = []
        for part in parts:
            dest = folder / part.name
            with atomic_path(dest) as tmp:
                os.replace(part, tmp)
            written.append(dest)
    # MNE names the parts of a BIDS-named file <entities>_split-01_<suffix>.fif
    base, suffix = fname.name.removesuffix(".fif").rsplit("_", 1)
    stale = {fname, *folder.glob(f"{base}_split-*_{suffix}.fif")} - set(written)
    for old in stale:
        old.unlink(missing_ok=True)
    return written


def _read_sidecar(fname: Path) -> dict:
    """Return a cleaned file's sidecar; {} if it is missing or damaged (redo it)."""
    try:
        return read_json_object(fname)
    except (OSError, ValueError):
        return {}


def _settings(l_freq, h_freq, reference) -> dict:
    """Return what a cleaned file depends on besides the TSV and the ICA."""
    return {
        "HighPass": "n/a" if l_freq is None else l_freq,
        "LowPass": "n/a" if h_freq is None else h_freq,
        "ReferenceRequested": "auto" if reference is None else reference,
    }


def _up_to_date(
    labelled: LabelledRecording, deriv_root: Path, settings: dict, report: bool
) -> bool:
    """Whether the cleaned file was written from the current TSV and ICA."""
    from ..datasets.weights import _sha256

    fname = clean_path(labelled, deriv_root)
    sidecar = _read_sidecar(_sidecar_path(fname))
    files = sidecar.get("Files")
    if not files or labelled.ica is None:
        return False
    if not all((fname.parent / name).is_file() for name in files):
        return False
    if any(sidecar.get(key) != value for key, value in settings.items()):
        return False
    if report and not sidecar.get("Report"):
        return False
    return sidecar.get("ComponentsSHA256") == _sha256(labelled.tsv) and sidecar.get(
        "ICASHA256"
    ) == _sha256(labelled.ica)


def _apply_one(
    labelled: LabelledRecording,
    deriv_root: Path,
    l_freq: float | None,
    h_freq: float | None,
    reference: str | None,
    report: bool,
    log_level: str,
) -> dict[str, Any]:
    """Clean one recording; never raises, returns its summary row."""
    import mne

    row: dict[str, Any] = dict(recording=labelled.key)
    start = time.perf_counter()
    with (
        warnings.catch_warnings(record=True) as caught,
        mne.utils.use_log_level(log_level),
    ):
        warnings.simplefilter("always")
        try:
            row.update(_clean(labelled, deriv_root, l_freq, h_freq, reference, report))
            row["status"] = "applied"
        except Exception as error:
            logger.debug(traceback.format_exc())
            message = str(error).strip().splitlines()[0] if str(error) else ""
            row.update(status="failed", error=f"{type(error).__name__}: {message}")
    messages = dict.fromkeys(str(w.message).splitlines()[0] for w in caught)
    row["warnings"] = " | ".join(messages)
    row["seconds"] = round(time.perf_counter() - start, 2)
    return row


def _clean(labelled, deriv_root, l_freq, h_freq, reference, report) -> dict:
    """Read, reference, filter, apply the ICA, write; return the row's values."""
    import mne_bids

    from .._version import __version__
    from ..annotation.bids import read_components_tsv
    from ..datasets.weights import _sha256
    from ._fingerprint import data_fingerprint, ica_fingerprint, read_fingerprint
    from .ica import read_ica_file, set_reference

    if labelled.ica is None:
        raise FileNotFoundError(
            f"No ICA for {labelled.key}: neither {labelled.tsv.name[:-15]}_ica.fif "
            "nor another pipeline's in derivatives/. Relabel it with "
            "'mne-icalabel bids --overwrite'."
        )
    # the hashes of the bytes about to be read, so that a change made while
    # this runs makes the next run redo the recording
    tsv_sha, ica_sha = _sha256(labelled.tsv), _sha256(labelled.ica)
    ica = read_ica_file(labelled.ica)
    components = read_components_tsv(labelled.tsv, verbose=False)
    recorded = read_fingerprint(labelled.tsv)
    if recorded is None:
        logger.info(f"{labelled.tsv.name}: no fingerprint (an earlier version).")
    elif recorded.get("ICA") not in (None, ica_fingerprint(ica)):
        raise RuntimeError(
            f"{labelled.tsv.name} belongs to another ICA than {labelled.ica} (their "
            "fingerprints differ): its decisions would remove other components. "
            "Nothing was written. Relabel this ICA with 'mne-icalabel bids "
            "--overwrite', or restore the ICA the TSV was written for."
        )
    status = components["status"]
    if len(status) != ica.n_components_:
        raise ValueError(
            f"{labelled.tsv.name} describes {len(status)} components but the ICA "
            f"{labelled.ica.name} has {ica.n_components_}; relabel with "
            "'mne-icalabel bids --overwrite'."
        )
    exclude = [k for k, value in enumerate(status) if value == "bad"]
    method = _method(components["probabilities"], ica)
    how = ica_reference(
        ica,
        fitted_here=labelled.ica_fitted_here,
        method=method,
        reference=reference,
        name=f"The ICA {labelled.ica.name}",
    )
    raw = mne_bids.read_raw_bids(labelled.bids_path, verbose=False)
    raw.load_data()
    if recorded is not None and recorded.get("Data") not in (
        None,
        data_fingerprint(raw),
    ):
        raise RuntimeError(
            f"The recording {labelled.key} changed since {labelled.tsv.name} was "
            "written (its data fingerprint differs): its ICA and decisions describe "
            "the old data. Nothing was written. Fit and label a new ICA with "
            "'mne-icalabel bids --overwrite --refit', or restore the recording."
        )
    _check_channels(raw, ica)
    stored = raw.copy() if report else None
    set_reference(raw, how)
    if l_freq is not None or h_freq is not None:
        raw.filter(l_freq, h_freq)
    before = raw.copy() if report else None
    # exactly the TSV's decisions, not an ``exclude`` saved with the ICA
    ica.exclude = []
    ica.apply(raw, exclude=exclude)

    fname = clean_path(labelled, deriv_root)
    written = _save_raw(raw, fname)
    folder = fname.parent
    bids_root = Path(labelled.bids_path.root)
    sidecar = {
        "Description": "The recording with the independent components whose "
        "status is 'bad' in the components TSV removed by ICA.apply.",
        "Sources": [
            f"bids::{labelled.key}",
            f"bids::{labelled.tsv.relative_to(bids_root).as_posix()}",
            f"bids::{Path(labelled.ica).relative_to(bids_root).as_posix()}",
        ],
        "ExcludedComponents": exclude,
        "Reference": how,
        **_settings(l_freq, h_freq, reference),
        "ComponentsSHA256": tsv_sha,
        "ICASHA256": ica_sha,
        "Files": [p.name for p in written],
        "Report": report,
        "GeneratedBy": [{"Name": PIPELINE, "Version": __version__}],
    }
    outputs = list(written)
    if report:
        from .report import write_cleaning_report

        _, stem = output_stem(labelled.bids_path, deriv_root)
        rpt = folder / f"{stem}_report.html"
        write_cleaning_report(stored, before, raw, ica, labelled.tsv, method, rpt)
        outputs.append(rpt)
    sidecar_path = _sidecar_path(fname)
    write_text_atomic(sidecar_path, json.dumps(sidecar, indent=4) + "\n")
    outputs.append(sidecar_path)
    return dict(
        reference=how,
        n_excluded=len(exclude),
        excluded=", ".join(f"ICA{k:03d}" for k in exclude),
        outputs="; ".join(str(p.relative_to(deriv_root)) for p in outputs),
    )


@verbose
@fill_doc
def apply_bids_dataset(
    bids_root: str | os.PathLike,
    *,
    subjects: str | list[str] | None = None,
    sessions: str | list[str] | None = None,
    tasks: str | list[str] | None = None,
    runs: str | list[str] | None = None,
    datatype: str = "eeg",
    shard: tuple[int, int] | str | None = None,
    l_freq: float | None = None,
    h_freq: float | None = None,
    reference: str | None = None,
    n_jobs: int = 1,
    dask_scheduler=None,
    overwrite: bool = False,
    report: bool = True,
    verbose=None,
) -> pd.DataFrame:
    """Write the cleaned recordings of a dataset labelled by ``bids``.

    For each recording with a components TSV under ``derivatives/mne-icalabel``
    (see :func:`label_bids_dataset`): read it as stored
    (:func:`mne_bids.read_raw_bids`), give it the reference its ICA was fitted
    with, filter it if asked, apply the ICA with ``exclude`` = the components
    whose ``status`` is ``bad`` in the TSV (as labelled, reviewed or marked by
    hand), and write ``<recording>_desc-clean_<datatype>.fif`` beside the TSV.

    Parameters
    ----------
    bids_root : path-like
        Root of the BIDS dataset.
    subjects, sessions, tasks, runs : str | list of str | None
        Clean only these entity values; ``None`` cleans all the labelled
        recordings.
    datatype : ``"eeg"`` | ``"meg"``
        The data type.
    %(shard)s
    l_freq, h_freq : float | None
        Band-pass the recording (all data channels, :meth:`mne.io.Raw.filter`)
        before applying the ICA; ``None`` (default) does not filter.
    reference : ``"average"`` | ``"as-is"`` | None
        The reference of EEG data before the ICA is applied. ``None`` (default)
        uses the one the ICA was fitted with (see Notes); ``"average"`` the
        common average; ``"as-is"`` the data as stored. MEG is never
        re-referenced.
    n_jobs : int
        Number of recordings cleaned at once by local ``loky`` processes
        (``-1``: one per CPU core). Ignored with ``dask_scheduler``.
    dask_scheduler : str | path-like | distributed.Client | JobqueueCluster | None
        Run on the workers of a Dask distributed cluster, as in
        :func:`label_bids_dataset`; the workers must see the dataset's files.
    overwrite : bool
        If False (default), a recording whose cleaned file was written from
        the current TSV and ICA (their SHA256 in its sidecar) with the same
        ``l_freq``, ``h_freq`` and ``reference`` is skipped. If True, every
        recording is cleaned again.
    report : bool
        Rewrite each recording's HTML report ``<recording>_report.html`` with
        the labels and a section "Cleaning": the components removed, the
        signals before and after (:meth:`mne.preprocessing.ICA.plot_overlay`)
        and the spectra before and after.
    %(verbose)s

    Returns
    -------
    summary : pandas.DataFrame
        One row per labelled recording, in path order, with the columns
        ``recording``, ``status`` (``"applied"``, ``"skipped"`` or
        ``"failed"``), ``reference`` (``"average"``, ``"as-is"``, ``"none"``),
        ``n_excluded``, ``excluded`` (e.g. ``"ICA000, ICA003"``), ``seconds``,
        ``outputs``, ``warnings`` and ``error``. These rows are also written
        into ``derivatives/mne-icalabel/summary.tsv`` with ``step`` ``apply``,
        the labelling rows (``step`` ``label``) being kept.

    Notes
    -----
    An ICA is valid only on data referenced like the data it was fitted on.
    The ICAs fitted by ``bids`` saw EEG in the common average reference
    (:func:`prepare_recording`), so their recordings get it. For an ICA that
    another pipeline saved in ``derivatives/``, its info decides: an applied
    (active) average reference projector means the average; no applied
    reference means the data as stored (an average projector that was only
    added, as ``set_eeg_reference("average", projection=True)`` does, is not
    applied by :meth:`mne.preprocessing.ICA.fit` nor by ``apply``, so the ICA
    saw the data in their stored reference). An ICA whose info says that a
    reference was applied without a projector (``info["custom_ref_applied"]``)
    does not record which one; such a recording fails with a message asking
    for ``reference``. An ICA fitted on Maxwell-filtered MEG is not applied
    to a recording stored without it.

    The ICA was fitted on band-passed (and for MEGNet, 250 Hz) data; it is a
    spatial filter, and it is applied to the recording at its own sampling
    rate and band unless ``l_freq``/``h_freq`` are given. Channels outside
    the ICA (EOG, ECG, bad channels, ...) are written unchanged.

    The cleaned file is written part by part atomically (a recording above
    MNE's 2 GB split size gets ``_split-01``, ... parts), then its sidecar
    JSON; a recording whose sidecar is missing or out of date is redone by
    the next run.
    """
    pd = import_optional_dependency("pandas")
    _check_option("datatype", datatype, ("eeg", "meg"))
    _check_option("reference", reference, (*REFERENCES, None))
    for name, value in (("l_freq", l_freq), ("h_freq", h_freq)):
        _validate_type(value, ("numeric", None), name)
        if value is not None and value <= 0:
            raise ValueError(f"{name} must be positive or None, got {value}.")
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise ValueError(
            f"l_freq ({l_freq}) must be below h_freq ({h_freq}) for a band-pass."
        )
    l_freq = None if l_freq is None else float(l_freq)
    h_freq = None if h_freq is None else float(h_freq)
    n_jobs = _ensure_int(n_jobs, "n_jobs")
    _validate_type(overwrite, bool, "overwrite")
    _validate_type(report, bool, "report")
    shard = check_shard(shard)
    bids_root = check_bids_root(Path(bids_root).expanduser())
    deriv_root = derivatives_root(bids_root)
    # before anything is read or written: a second run stops here
    # SIGTERM (a time limit) abandons the file being written and releases the lock
    with exit_on_sigterm("apply"), DerivativesLock(deriv_root, "apply") as lock:
        recordings = find_labelled_recordings(
            bids_root,
            subjects=subjects,
            sessions=sessions,
            tasks=tasks,
            runs=runs,
            datatype=datatype,
        )
        if not recordings:
            raise RuntimeError(
                f"No labelled {datatype} recording matches the selection in "
                f"{bids_root}; label them first with 'mne-icalabel bids', or check "
                "--subject/--session/--task/--run and --datatype."
            )
        recordings = select_part(recordings, shard, lambda item: item.key)
        if not recordings:  # a part of an array larger than the dataset
            return pd.DataFrame([], columns=list(SUMMARY_COLUMNS))
        settings = _settings(l_freq, h_freq, reference)
        rows: dict[str, dict] = {}
        todo = []
        for labelled in recordings:
            if not overwrite and _up_to_date(labelled, deriv_root, settings, report):
                fname = clean_path(labelled, deriv_root)
                sidecar = _read_sidecar(_sidecar_path(fname))
                excluded = sidecar.get("ExcludedComponents", [])
                rows[labelled.key] = dict(
                    recording=labelled.key,
                    status="skipped",
                    reference=sidecar.get("Reference"),
                    n_excluded=len(excluded),
                    excluded=", ".join(f"ICA{k:03d}" for k in excluded),
                    outputs=str(fname.relative_to(deriv_root)),
                )
            else:
                todo.append(labelled)
        logger.info(
            f"{len(recordings)} labelled recording(s), {len(todo)} to clean, "
            f"{len(recordings) - len(todo)} up to date"
        )
        pending = {labelled.key for labelled in todo}
        lock.set_pending(pending)
        if todo:
            from ._dispatch import JobRunner, preflight_client

            job_settings = preflight_client((), packages=("mne_bids",))
            worker_level = "DEBUG" if logger.level <= 10 else "WARNING"
            arguments = [
                (labelled, deriv_root, l_freq, h_freq, reference, report, worker_level)
                for labelled in todo
            ]
            keys = [labelled.key for labelled in todo]
            with JobRunner(
                job_settings,
                n_jobs=n_jobs,
                dask_scheduler=dask_scheduler,
                n_tasks=len(arguments),
            ) as runner:
                for row in runner.run(_apply_one, arguments, keys, "Applying the ICAs"):
                    rows[row["recording"]] = row
                    pending.discard(row["recording"])
                    lock.set_pending(pending)
        ordered = [rows[key] for key in sorted(rows)]
        write_summary(
            ordered, deriv_root / "summary.tsv", SUMMARY_COLUMNS, step="apply"
        )
        n_failed = sum(row["status"] == "failed" for row in ordered)
        if n_failed:
            logger.info(
                f"{n_failed} recording(s) failed; see {deriv_root / 'summary.tsv'}"
            )
        return pd.DataFrame(ordered, columns=list(SUMMARY_COLUMNS))
