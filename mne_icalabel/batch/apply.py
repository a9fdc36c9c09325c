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

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mne.utils import _check_option, _validate_type, logger, verbose

from .._version import __version__
from ..annotation.bids import read_components_tsv
from ..datasets.weights import _sha256
from ..derivatives import (
    PIPELINE,
    LabelledRecording,
    data_fingerprint,
    find_labelled_recordings,
    ica_fingerprint,
    read_fingerprint,
    read_table,
    recording_files,
    save_raw,
    write_json,
)
from ..derivatives import clean_path as _clean_path
from ..methods._prepare import fit_reference, set_reference
from ..utils._docs import fill_doc
from ..utils._io import read_json_object
from ._dispatch import JobSettings, check_n_jobs, preflight_client
from ._step import DatasetStep, Job, Selection
from .ica import read_ica_file
from .report import write_cleaning_report

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


def clean_path(labelled: LabelledRecording, deriv_root: Path) -> Path:
    """Return the path of a labelled recording's cleaned file."""
    return _clean_path(labelled.bids_path, deriv_root)


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


@dataclass(frozen=True)
class ApplyJob(Job):
    """Clean one labelled recording."""

    labelled: LabelledRecording
    deriv_root: Path
    l_freq: float | None
    h_freq: float | None
    reference: str | None
    report: bool

    def run(self) -> dict[str, Any]:
        """Read, reference, filter, apply the ICA, write; return the row."""
        row = _clean(
            self.labelled,
            self.deriv_root,
            self.l_freq,
            self.h_freq,
            self.reference,
            self.report,
        )
        return {**row, "status": "applied"}


class ApplyStep(DatasetStep):
    """Clean the labelled recordings of a selection (:func:`apply_bids_dataset`)."""

    step, command, columns = "apply", "apply", SUMMARY_COLUMNS
    description = "Applying the ICAs"
    counts = "{found} labelled recording(s), {todo} to clean, {done} up to date"

    def __init__(self, selection: Selection, overwrite: bool, **options) -> None:
        super().__init__(selection, overwrite)
        self.options = options
        self.settings = _settings(
            options["l_freq"], options["h_freq"], options["reference"]
        )

    def find(self, bids_root: Path) -> list[LabelledRecording]:
        """Return the labelled recordings of the selection."""
        return find_labelled_recordings(bids_root, **self.selection.entities())

    def no_match(self, bids_root: Path) -> str:
        """Return the message when the selection matches no labelled recording."""
        return (
            f"No labelled {self.selection.datatype} recording matches the selection "
            f"in {bids_root}; label them first with 'mne-icalabel bids', or check "
            "--subject/--session/--task/--run and --datatype."
        )

    def key(self, item: LabelledRecording) -> str:
        """Return the recording's key."""
        return item.key

    def done_row(self, item: LabelledRecording, deriv_root: Path) -> dict | None:
        """Return the row of a recording cleaned from its current files, or None."""
        if not _up_to_date(item, deriv_root, self.settings, self.options["report"]):
            return None
        fname = clean_path(item, deriv_root)
        sidecar = _read_sidecar(_sidecar_path(fname))
        excluded = sidecar.get("ExcludedComponents", [])
        return dict(
            recording=item.key,
            status="skipped",
            reference=sidecar.get("Reference"),
            n_excluded=len(excluded),
            excluded=", ".join(f"ICA{k:03d}" for k in excluded),
            outputs=str(fname.relative_to(deriv_root)),
        )

    def preflight(self) -> JobSettings:
        """Import the packages the jobs need."""
        return preflight_client((), packages=("mne_bids",))

    def job(self, item: LabelledRecording, deriv_root: Path, log_level: str) -> Job:
        """Return the job of one recording."""
        return ApplyJob(
            key=item.key,
            log_level=log_level,
            labelled=item,
            deriv_root=deriv_root,
            **self.options,
        )


def _clean(labelled, deriv_root, l_freq, h_freq, reference, report) -> dict:
    """Read, reference, filter, apply the ICA, write; return the row's values."""
    import mne_bids

    if labelled.ica is None:
        ours = recording_files(labelled.bids_path, deriv_root).ica
        n_manual = len(read_table(labelled.tsv).manual)
        fix = "'mne-icalabel bids --overwrite --refit'"
        if n_manual:
            fix = (
                f"{fix[:-1]} --discard-manual' (its {n_manual} component(s) "
                "labelled by hand describe the missing ICA: they are dropped)"
            )
        raise FileNotFoundError(
            f"No ICA for {labelled.key}: {ours.name} is missing (and no other "
            f"pipeline's is in derivatives/). Restore it, or fit a new one with "
            f"{fix}."
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
    # the sidecar marks the cleaned file done, with its decisions: an old one
    # goes before the new file is written, the new one comes last (a failure
    # between them leaves no sidecar beside the new file, and the next run
    # redoes the recording)
    _sidecar_path(fname).unlink(missing_ok=True)
    written = save_raw(raw, fname)
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
        rpt = recording_files(labelled.bids_path, deriv_root).report
        write_cleaning_report(stored, before, raw, ica, labelled.tsv, method, rpt)
        outputs.append(rpt)
    sidecar_path = _sidecar_path(fname)
    write_json(sidecar_path, sidecar)
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
    %(bids_root)s
    %(selection)s
    %(datatype)s
    %(shard)s
    l_freq, h_freq : float | None
        Band-pass the recording (all data channels, :meth:`mne.io.Raw.filter`)
        before applying the ICA; ``None`` (default) does not filter.
    reference : ``"average"`` | ``"as-is"`` | None
        The reference of EEG data before the ICA is applied. ``None`` (default)
        uses the one the ICA was fitted with (see Notes); ``"average"`` the
        common average; ``"as-is"`` the data as stored. MEG is never
        re-referenced.
    %(n_jobs)s
    %(dask_scheduler)s
    %(overwrite)s
        Done before: the cleaned file was written from the current TSV and
        ICA (their SHA256 in its sidecar) with the same ``l_freq``, ``h_freq``
        and ``reference``.
    report : bool
        Rewrite each recording's HTML report ``<recording>_report.html`` with
        the labels and a section "Cleaning": the components removed, the
        signals before and after (:meth:`mne.preprocessing.ICA.plot_overlay`)
        and the spectra before and after.
    %(verbose)s

    Returns
    -------
    %(summary_tsv)s
        Here ``status`` is ``"applied"``, ``"skipped"``, ``"failed"`` or
        ``"refused"``;
        ``reference`` (``"average"``, ``"as-is"``, ``"none"``), ``n_excluded``
        and ``excluded`` (e.g. ``"ICA000, ICA003"``) follow.

    Notes
    -----
    The ICA is applied to the recording at its own sampling rate and band
    (unless ``l_freq``/``h_freq`` are given), in the reference of the data it
    was fitted on: the common average for the ICAs ``bids`` fitted; for an
    ICA of another pipeline, the one its info records (a reference applied
    without a projector is not recorded: such a recording fails asking for
    ``reference``). Channels outside the ICA are written unchanged; the
    cleaned file is written atomically, then its sidecar. See :doc:`/batch`.
    """
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
    _validate_type(report, bool, "report")
    n_jobs = check_n_jobs(n_jobs)
    step = ApplyStep(
        Selection(subjects, sessions, tasks, runs, datatype, shard),
        overwrite,
        l_freq=l_freq,
        h_freq=h_freq,
        reference=reference,
        report=report,
    )
    return step.run(bids_root, n_jobs=n_jobs, dask_scheduler=dask_scheduler)
