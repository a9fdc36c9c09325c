"""``mne-icalabel bids``: label every recording of a BIDS dataset."""

from __future__ import annotations

from pathlib import Path

from ._common import (
    add_ica_decim,
    add_policy_arguments,
    make_subparser,
    policy_options,
)

_EXAMPLES = """  mne-icalabel bids ~/data/ds004584
  mne-icalabel bids ~/data/ds004584 --subject 01 02 --task rest --n-jobs 4
  mne-icalabel bids ~/data/ds000248 --datatype meg --overwrite
  mne-icalabel bids ~/data/ds000248 --method both
  mne-icalabel bids ~/data/ds004584 --include brain --exclusion-threshold 0.9
  mne-icalabel bids ~/data/ds004584 --exclusion-threshold 'eye blink=0.7' --overwrite
  mne-icalabel bids ~/data/ds004584 --policy argmax --include brain other
  mne-icalabel bids ~/data/ds004584 --dask-scheduler tcp://10.0.0.5:8786
  mne-icalabel bids ~/data/ds004584 --dask-scheduler-file ~/scheduler.json"""


def add_parser(subparsers, name: str):
    """Register the ``bids`` subcommand."""
    parser = make_subparser(
        subparsers,
        name,
        "label all recordings of a BIDS dataset (parallel, resumable)",
        "Find the recordings with mne-bids, reuse an ICA saved by another "
        "pipeline in derivatives/ (<recording>_*ica.fif) or fit one, label it, write "
        "derivatives/mne-icalabel/sub-*/[ses-*/]<datatype>/*_components.tsv "
        "with JSON sidecars, one HTML report per recording, a "
        "dataset_description.json and summary.tsv (one row per recording, "
        "including failures). Recordings already labelled are skipped unless "
        "--overwrite is given; --overwrite relabels with the ICA saved by the "
        "previous run (--refit fits a new one) and keeps the components labelled "
        "by hand (annotate_method 'manual'), refreshing only their probabilities, "
        "unless --discard-manual is given.",
        _EXAMPLES,
    )
    parser.add_argument("bids_root", type=Path, help="root of the BIDS dataset")
    for entity in ("subject", "session", "task", "run"):
        parser.add_argument(
            f"--{entity}",
            nargs="+",
            metavar=entity.upper(),
            help=f"only these {entity} labels (default: all)",
        )
    parser.add_argument(
        "--datatype",
        choices=("eeg", "meg"),
        help="(default: meg with --method both, which BIDS keeps in meg "
        "recordings, else eeg)",
    )
    parser.add_argument(
        "--method",
        choices=("iclabel", "megnet", "both"),
        help="labelling method (default: iclabel for eeg, megnet for meg; both: "
        "one ICA of EEG and MEG labelled by both networks)",
    )
    parser.add_argument(
        "--n-components",
        type=int,
        help="components of fitted ICAs (default: 20; an ICA saved by a previous "
        "run is reused on --overwrite: add --refit to change it)",
    )
    add_ica_decim(parser)
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        metavar="N",
        help="recordings labelled at once on this machine (default: 1; -1: all cores)",
    )
    parser.add_argument(
        "--backend",
        choices=("torch", "onnx", "numpy"),
        help="network backend (default: the first installed of torch, onnx, "
        "numpy for iclabel; onnx, torch for megnet); Dask workers use the same",
    )
    dask = parser.add_mutually_exclusive_group()
    dask.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run on this Dask distributed scheduler (e.g. tcp://host:8786)",
    )
    dask.add_argument(
        "--dask-scheduler-file",
        metavar="PATH",
        type=Path,
        help="run on the Dask scheduler described by this file (as written by "
        "'dask scheduler --scheduler-file PATH')",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        metavar="N",
        help="BLAS threads per Dask worker thread (default: 1; 0: the workers' "
        "own default)",
    )
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        "--skip-existing",
        dest="overwrite",
        action="store_false",
        help="skip recordings already labelled (default)",
    )
    resume.add_argument(
        "--overwrite",
        dest="overwrite",
        action="store_true",
        help="label every recording again",
    )
    parser.set_defaults(overwrite=False)
    parser.add_argument(
        "--refit",
        action="store_true",
        help="with --overwrite, fit a new ICA instead of reusing the one saved "
        "here (refused for recordings with manual decisions, unless "
        "--discard-manual)",
    )
    parser.add_argument(
        "--discard-manual",
        action="store_true",
        help="with --overwrite, drop the components labelled by hand (and the "
        "sidecar's Review entry) instead of keeping them",
    )
    add_policy_arguments(parser)
    parser.add_argument(
        "--no-report", action="store_true", help="do not write HTML reports"
    )
    return parser


def run(args) -> int:
    """Label the dataset and print a summary."""
    import time

    import mne

    from ..batch.bids import PIPELINE, label_bids_dataset

    if not args.bids_root.is_dir():
        raise FileNotFoundError(f"No such folder: {args.bids_root}")
    start = time.perf_counter()
    # the progress bar and the counts are shown at MNE's INFO level; the
    # recordings themselves are labelled quietly unless --verbose is given
    with mne.utils.use_log_level("DEBUG" if args.verbose else "INFO"):
        summary = label_bids_dataset(
            args.bids_root,
            subjects=args.subject,
            sessions=args.session,
            tasks=args.task,
            runs=args.run,
            datatype=args.datatype or ("meg" if args.method == "both" else "eeg"),
            method=args.method,
            n_components=args.n_components,
            ica_decim=args.ica_decim,
            n_jobs=args.n_jobs,
            dask_scheduler=args.dask_scheduler or args.dask_scheduler_file,
            overwrite=args.overwrite,
            report=not args.no_report,
            backend=args.backend,
            blas_threads=args.blas_threads or None,
            policy=args.policy,
            discard_manual=args.discard_manual,
            refit=args.refit,
            **policy_options(args),
        )
    elapsed = time.perf_counter() - start
    counts = summary["status"].value_counts()
    n_done, n_failed = counts.get("labelled", 0), counts.get("failed", 0)
    deriv = args.bids_root / "derivatives" / PIPELINE
    print(
        f"{len(summary)} recording(s): {n_done} labelled, "
        f"{counts.get('skipped', 0)} skipped (already labelled), {n_failed} failed "
        f"in {elapsed:.1f} s"
        + (f" ({n_done / elapsed * 60:.1f} recordings/min)." if n_done else ".")
    )
    for _, row in summary[summary["status"] == "failed"].iterrows():
        print(f"  failed: {row['recording']}: {row['error']}")
    labelled = summary[summary["status"] == "labelled"]
    if len(labelled):
        print(f"Exclusion policy: {labelled['policy'].iloc[0]}")
        print(
            f"  {int(labelled['n_excluded'].sum())} component(s) excluded, "
            f"{int(labelled['n_manual'].sum())} decided by hand (kept from the "
            "previous run)."
        )
    print(f"Outputs in {deriv}; summary in {deriv / 'summary.tsv'}")
    if n_failed:
        raise RuntimeError(
            f"{n_failed} of {len(summary)} recording(s) failed; see "
            f"{deriv / 'summary.tsv'}"
        )
    return 0
