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

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mne.utils import _check_option, _ensure_int, _validate_type, logger, verbose

from ..annotation.policy import RULES, ExclusionPolicy
from ..derivatives import (
    POLICY_KEY,
    find_existing_ica,
    find_recordings,
    ica_described,
    ica_fingerprint,
    output_stem,
    read_fingerprint,
    read_own_table,
    read_sidecar,
    read_table,
    recording_files,
    recording_key,
    save_ica,
    write_description,
)
from ..methods import get_method, method_names, network_names
from ..utils._docs import fill_doc
from ._dispatch import JobSettings, check_n_jobs, preflight_client
from ._step import DatasetStep, Job, Selection
from .ica import _check_decim, _ica_packages, read_ica_file
from .recording import label_recording

if TYPE_CHECKING:
    import pandas as pd
    from mne_bids import BIDSPath

SUMMARY_COLUMNS = (
    "recording",
    "status",
    "ica",
    "n_components",
    "labels",
    "policy",
    "n_excluded",
    "n_manual",
    "seconds",
    "outputs",
    "warnings",
    "error",
)


@dataclass(frozen=True)
class LabelJob(Job):
    """Label one recording (see :func:`label_recording`)."""

    bids_path: BIDSPath
    deriv_root: Path
    method: str
    n_components: int | None
    report: bool
    backend: str | dict[str, str] | None
    policy: ExclusionPolicy
    discard_manual: bool
    refit: bool
    ica_decim: int | str | None

    def run(self) -> dict[str, Any]:
        """Read the recording, label it, write its outputs; return the row."""
        import mne_bids

        bids_path, deriv_root = self.bids_path, self.deriv_root
        folder, stem = output_stem(bids_path, deriv_root)
        existing = _ica_to_use(bids_path, deriv_root, self.refit)
        ours = existing is not None and existing.parent == folder
        ica = None
        if existing is not None:
            ica = read_ica_file(existing)
            saved = (sorted(ica.exclude), ica.labels_)
            if ours:  # our labels of a previous run are replaced, not merged
                ica.labels_ = {}
        raw = mne_bids.read_raw_bids(bids_path, verbose=False)
        result = label_recording(
            raw,
            ica,
            self.method,
            out_dir=folder,
            basename=stem,
            n_components=self.n_components,
            report=self.report,
            backend=self.backend,
            policy=self.policy,
            discard_manual=self.discard_manual,
            ica_decim=self.ica_decim,
        )
        labelled = result["ica"]
        if ours and saved != (labelled.exclude, labelled.labels_):
            # our saved ICA follows the TSV: exclude = its bad rows
            save_ica(labelled, existing)
        counts: dict[str, int] = {}
        for label in result["labels"]:
            counts[label] = counts.get(label, 0) + 1
        return dict(
            status="labelled",
            ica="fitted"
            if existing is None
            else f"existing: {existing.relative_to(bids_path.root).as_posix()}",
            n_components=len(result["labels"]),
            labels="; ".join(f"{k}: {v}" for k, v in counts.items()),
            policy=result["policy"].summary(_methods(self.method)),
            n_excluded=len(result["ica"].exclude),
            n_manual=len(result["manual"]),
            outputs="; ".join(
                str(f.relative_to(deriv_root)) for f in result["files"].values()
            ),
        )


def _methods(method: str) -> list[str]:
    """Return the networks of a labelling method."""
    return list(get_method(method).networks)


def _build_policy(
    policy: str | ExclusionPolicy,
    include,
    exclusion_threshold,
    class_threshold,
    method: str,
) -> ExclusionPolicy:
    """Build and check the exclusion policy of a run (raises on a bad option)."""
    _validate_type(policy, (str, ExclusionPolicy), "policy", "str or ExclusionPolicy")
    if isinstance(policy, ExclusionPolicy):
        given = [
            name
            for name, value in (
                ("include", include),
                ("exclusion_threshold", exclusion_threshold),
                ("class_threshold", class_threshold),
            )
            if value is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} cannot be combined with an ExclusionPolicy "
                "instance; give them to ExclusionPolicy(...) instead."
            )
    else:
        _check_option("policy", policy, RULES)
        policy = ExclusionPolicy(
            include=include,
            exclusion_threshold=exclusion_threshold,
            class_threshold=class_threshold,
            rule=policy,
        )
    return policy.check(_methods(method))


def _ica_to_use(bids_path: BIDSPath, deriv_root: Path, refit: bool) -> Path | None:
    """Return the ICA file a job labels, None when it fits a new one.

    Ours unless ``refit``, else another pipeline's, else None.
    """
    ours = recording_files(bids_path, deriv_root).ica
    if ours.is_file() and not refit:
        return ours
    return find_existing_ica(bids_path, deriv_root)


def _check_manual(todo: list[BIDSPath], deriv_root: Path, refit: bool) -> None:
    """Refuse, before any work, to relabel manual rows with another ICA.

    The components TSV describes our saved ICA if there is one, else the other
    pipeline's; a job that would label another ICA (a refit, or a missing ICA
    file) would attach the manual decisions to other components.
    """
    refused = []
    for bids_path in todo:
        tsv = recording_files(bids_path, deriv_root).tsv
        if not tsv.is_file():
            continue
        try:
            manual = read_table(tsv).manual
        except ValueError:
            continue  # an unreadable TSV fails in its job, left as it is
        if not manual:
            continue
        described = ica_described(bids_path, deriv_root)
        used = _ica_to_use(bids_path, deriv_root, refit)
        if used is None or used != described:
            why = "refit requested" if described is not None else "its ICA is missing"
            refused.append(f"{recording_key(bids_path)} (components {manual}; {why})")
    if refused:
        raise RuntimeError(
            f"{len(refused)} recording(s) have components labelled by hand and would "
            f"get a new ICA, whose components are others: {'; '.join(refused)}. "
            "Nothing was written. To keep the decisions, label the ICA they were "
            "made on (without refit=True / --refit, the saved ICA is reused; "
            "restore a missing ICA file); to drop them, pass discard_manual=True "
            "(--discard-manual)."
        )


def _check_labelled(bids_path: BIDSPath, tsv: Path, deriv_root: Path) -> None:
    """Check the outputs of a recording labelled before; raise naming a bad file.

    The TSV must be whole with the columns of ours, its sidecar JSON, and the
    ICA it describes (ours, else another pipeline's) readable and the one its
    fingerprint names. The recording's data are not read (a skip stays cheap):
    ``apply`` and ``bids --overwrite`` compare their fingerprint.
    """
    read_own_table(tsv)
    recorded = read_fingerprint(tsv)
    ours = recording_files(bids_path, deriv_root).ica
    described = ica_described(bids_path, deriv_root)
    if described is None:
        raise FileNotFoundError(
            f"{tsv.name} has no ICA: {ours.name} is missing (and no other "
            "pipeline's is in derivatives/). Restore it, or fit a new one with "
            "'mne-icalabel bids --overwrite --refit' (with --discard-manual if the "
            "TSV has components labelled by hand)."
        )
    ica = read_ica_file(described)
    if recorded is not None and recorded.get("ICA") not in (None, ica_fingerprint(ica)):
        raise RuntimeError(
            f"The ICA {described} is not the one {tsv.name} was written for (their "
            "fingerprints differ). Relabel it with 'mne-icalabel bids --overwrite' "
            "(its manual decisions, which describe the other ICA, are refused "
            "unless --discard-manual), or restore the ICA."
        )


def _skipped_row(
    bids_path: BIDSPath, key: str, tsv: Path, deriv_root: Path
) -> dict[str, Any]:
    """Return the summary row of a recording already labelled, with its counts.

    A recording whose outputs are damaged is a failed row naming the file and
    the fix (:func:`_check_labelled`); its files are left as they are.
    """
    row: dict[str, Any] = dict(
        recording=key, status="skipped", outputs=str(tsv.relative_to(deriv_root))
    )
    try:
        _check_labelled(bids_path, tsv, deriv_root)
    except Exception as error:
        message = str(error).strip().splitlines()[0] if str(error) else ""
        logger.error(f"{key}: {message}")
        row.update(status="failed", error=f"{type(error).__name__}: {message}")
        return row
    try:
        table = read_table(tsv)
        row.update(n_excluded=len(table.bad), n_manual=len(table.manual))
        record = read_sidecar(tsv).get(POLICY_KEY)
        if isinstance(record, dict):
            methods = [m for m in network_names() if m in record]
            row["policy"] = ExclusionPolicy.from_dict(record).summary(methods)
    except (OSError, ValueError, TypeError):
        pass  # counts of a file this run does not touch are informative only
    return row


class LabelStep(DatasetStep):
    """Label the recordings of a selection (see :func:`label_bids_dataset`)."""

    step, command, columns = "label", "bids", SUMMARY_COLUMNS
    counts = "{found} recording(s) found, {todo} to label, {done} already labelled"

    def __init__(self, selection: Selection, overwrite: bool, **options) -> None:
        super().__init__(selection, overwrite)
        self.options = options
        self.method = options["method"]
        self.description = f"Labelling ({self.method})"

    def find(self, bids_root: Path) -> list[BIDSPath]:
        """Return the raw recordings of the selection."""
        return find_recordings(bids_root, **self.selection.entities())

    def no_match(self, bids_root: Path) -> str:
        """Return the message when the selection matches no recording."""
        return (
            f"No {self.selection.datatype} recording matches the selection in "
            f"{bids_root}; check --subject/--session/--task/--run and --datatype."
        )

    def key(self, item: BIDSPath) -> str:
        """Return the recording's key."""
        return recording_key(item)

    def done_row(self, item: BIDSPath, deriv_root: Path) -> dict[str, Any] | None:
        """Return the row of a recording labelled before, None if it is not."""
        tsv = recording_files(item, deriv_root).tsv
        if not tsv.is_file():
            return None
        return _skipped_row(item, recording_key(item), tsv, deriv_root)

    def check(self, todo: list[BIDSPath], deriv_root: Path) -> None:
        """Refuse to relabel manual rows with another ICA."""
        if not self.options["discard_manual"]:
            _check_manual(todo, deriv_root, self.options["refit"])

    def preflight(self) -> JobSettings:
        """Import the packages and verify the weights the jobs need.

        The jobs then use the backends resolved here.
        """
        settings = preflight_client(
            _methods(self.method),
            backend=self.options["backend"],
            packages=("mne_bids", *_ica_packages(self.method)),
            blas_threads=self.options["blas_threads"],
        )
        backends = settings.backends
        self.options["backend"] = (
            backends if get_method(self.method).components else backends[self.method]
        )
        return settings

    def job(self, item: BIDSPath, deriv_root: Path, log_level: str) -> LabelJob:
        """Return the job of one recording."""
        options = {k: v for k, v in self.options.items() if k != "blas_threads"}
        return LabelJob(
            key=recording_key(item),
            log_level=log_level,
            bids_path=item,
            deriv_root=deriv_root,
            **options,
        )

    def started(self, deriv_root: Path, bids_root: Path) -> None:
        """Write the derivatives' dataset description."""
        write_description(deriv_root, bids_root)


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
    shard: tuple[int, int] | str | None = None,
    method: str | None = None,
    n_components: int | None = None,
    ica_decim: int | str | None = "auto",
    n_jobs: int = 1,
    dask_scheduler=None,
    overwrite: bool = False,
    report: bool = True,
    backend: str | None = None,
    blas_threads: int | None = 1,
    include: list[str] | None = None,
    exclusion_threshold: float | dict[str, float] | None = None,
    class_threshold: float | dict[str, float] | None = None,
    policy: str | ExclusionPolicy = "threshold",
    discard_manual: bool = False,
    refit: bool = False,
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
    %(bids_root)s
    %(selection)s
    %(datatype)s
    %(shard)s
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"`` | None
        The labelling method; ``None`` uses ICLabel for EEG and MEGNet for MEG.
        ``"both"`` labels one ICA of the EEG and MEG channels of each ``meg``
        recording with both networks (see :func:`label_recording`); it needs
        ``datatype="meg"``, where BIDS keeps the EEG recorded with MEG.
    %(ica_n_components)s
    %(ica_decim)s
    %(n_jobs)s
    %(dask_scheduler)s
    %(overwrite)s
        Done before: the component TSV exists. Labelled again, a recording
        keeps the ICA the previous run saved here (see ``refit``) and its
        manual decisions (see ``discard_manual``).
    report : bool
        Write an HTML report per recording.
    backend : str | None
        The network backend (ICLabel: ``"torch"``, ``"onnx"``, ``"numpy"``;
        MEGNet: ``"onnx"``, ``"torch"``); ``None`` picks the first available
        on this machine, and every worker uses that one.
    blas_threads : int | None
        BLAS (and torch) threads per Dask worker thread, so that a worker with
        ``--nthreads N`` uses N cores; ``None`` leaves the workers' defaults.
        Local ``loky`` processes share this machine's cores evenly instead.
    %(include)s
    %(exclusion_threshold)s
    %(class_threshold)s
    policy : ``"threshold"`` | ``"argmax"`` | ExclusionPolicy
        The rule of :class:`~mne_icalabel.annotation.policy.ExclusionPolicy`
        (``"threshold"``, default: mne-bids-pipeline's), or a policy used as
        given (then ``include`` and the thresholds must be None).
    %(discard_manual)s
    refit : bool
        With ``overwrite=True``: if False (default), a recording whose ICA was
        fitted here by a previous run (``<stem>_ica.fif``) is labelled with
        that ICA again, so that its component numbers, and the manual
        decisions about them, stay valid; if True, a new ICA is fitted (the
        same data, seed and packages give the same one, but another machine,
        BLAS or version of MNE may not). A recording with manual decisions
        that would get a new ICA is refused unless ``discard_manual=True``.
    %(verbose)s

    Returns
    -------
    %(summary_tsv)s
        Here ``status`` is ``"labelled"``, ``"skipped"``, ``"failed"`` or
        ``"refused"``;
        ``ica`` is ``"fitted"`` or ``"existing: <path>"``; ``n_components``,
        ``labels`` (count per class), ``policy`` (its summary),
        ``n_excluded`` (the components written ``bad``, manual decisions
        included) and ``n_manual`` (the rows annotated by hand) follow.

    Notes
    -----
    Before any recording is read, this machine (and every Dask worker)
    imports the packages and verifies the weights the jobs need, the policy
    is checked, and the TSVs with manual rows whose recording would get a new
    ICA are refused: a problem raises, and nothing is written. Each worker
    process loads the network once. See :doc:`/batch` for the policy, the
    manual decisions and the Dask workers.
    """
    _check_option("datatype", datatype, ("eeg", "meg"))
    if method is None:
        method = "iclabel" if datatype == "eeg" else "megnet"
    _check_option("method", method, method_names())
    if get_method(method).components and datatype != "meg":
        # BIDS stores the EEG recorded with MEG in the meg recording
        raise ValueError(
            f"method={method!r} labels recordings with EEG and MEG, which BIDS "
            f"stores under the 'meg' datatype; got datatype={datatype!r}. Use "
            "datatype='meg' (--datatype meg)."
        )
    for name, value in (("report", report), ("discard_manual", discard_manual)):
        _validate_type(value, bool, name)
    _validate_type(refit, bool, "refit")
    _validate_type(backend, (str, None), "backend")
    _validate_type(n_components, ("int-like", None), "n_components")
    if n_components is not None:
        n_components = _ensure_int(n_components, "n_components")
        if n_components < 2:
            # else every recording would fail in fit_ica with the same error
            raise ValueError(
                "n_components must be at least 2 (or None: the method's "
                f"default), got {n_components}."
            )
    n_jobs = check_n_jobs(n_jobs)
    step = LabelStep(
        Selection(subjects, sessions, tasks, runs, datatype, shard),
        overwrite,
        method=method,
        n_components=n_components,
        ica_decim=_check_decim(ica_decim, "ica_decim"),
        report=report,
        backend=backend,
        blas_threads=blas_threads,
        # a bad class name or probability raises here, before anything is read
        policy=_build_policy(
            policy, include, exclusion_threshold, class_threshold, method
        ),
        discard_manual=discard_manual,
        refit=refit,
    )
    return step.run(bids_root, n_jobs=n_jobs, dask_scheduler=dask_scheduler)
