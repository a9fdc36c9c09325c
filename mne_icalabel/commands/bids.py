"""``mne-icalabel bids``: label every recording of a BIDS dataset."""

from __future__ import annotations

from ..batch.bids import label_bids_dataset
from ..derivatives import derivatives_root
from ..methods import get_method, method_names, network_names
from ._common import (
    add_dataset_arguments,
    add_ica_decim,
    add_parallel_arguments,
    add_policy_arguments,
    add_shard_argument,
    dask_target,
    finish_run,
    int_at_least,
    make_subparser,
    policy_options,
    print_run,
    selection,
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
    add_dataset_arguments(
        parser,
        "the data type (default: meg with --method both, which BIDS keeps in "
        "meg recordings, else eeg)",
        None,
    )
    parser.add_argument(
        "--method",
        choices=method_names(),
        help="labelling method (default: iclabel for eeg, megnet for meg; both: "
        "one ICA of EEG and MEG labelled by both networks)",
    )
    parser.add_argument(
        "--n-components",
        type=int_at_least(2),
        help="components of fitted ICAs (default: 20; an ICA saved by a previous "
        "run is reused on --overwrite: add --refit to change it)",
    )
    add_ica_decim(parser)
    add_parallel_arguments(parser, "labelled")
    add_shard_argument(parser)
    networks = [get_method(name) for name in network_names()]
    orders = "; ".join(
        f"{', '.join(m.backends.names)} for {m.name}" for m in networks if m.backends
    )
    parser.add_argument(
        "--backend",
        choices=tuple(
            dict.fromkeys(b for m in networks if m.backends for b in m.backends.names)
        ),
        help=f"network backend (default: the first installed of {orders}); Dask "
        "workers use the same",
    )
    parser.add_argument(
        "--blas-threads",
        type=int_at_least(0),
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

    chosen = selection(args)
    start = time.perf_counter()
    # the progress bar and the counts are shown at MNE's INFO level; the
    # recordings themselves are labelled quietly unless --verbose is given
    with mne.utils.use_log_level("DEBUG" if args.verbose else "INFO"):
        summary = label_bids_dataset(
            args.bids_root,
            **chosen,
            datatype=args.datatype or ("meg" if args.method == "both" else "eeg"),
            shard=args.shard,
            method=args.method,
            n_components=args.n_components,
            ica_decim=args.ica_decim,
            n_jobs=args.n_jobs,
            dask_scheduler=dask_target(args),
            overwrite=args.overwrite,
            report=not args.no_report,
            backend=args.backend,
            blas_threads=args.blas_threads or None,
            policy=args.policy,
            discard_manual=args.discard_manual,
            refit=args.refit,
            **policy_options(args),
        )
    n_failed = print_run(
        summary, time.perf_counter() - start, "labelled", "already labelled"
    )
    deriv = derivatives_root(args.bids_root)
    labelled = summary[summary["status"] == "labelled"]
    if len(labelled):
        print(f"Exclusion policy: {labelled['policy'].iloc[0]}")
        print(
            f"  {int(labelled['n_excluded'].sum())} component(s) excluded, "
            f"{int(labelled['n_manual'].sum())} decided by hand (kept from the "
            "previous run)."
        )
    return finish_run(summary, n_failed, deriv)
