"""``mne-icalabel apply``: write the cleaned recordings of a labelled dataset."""

from __future__ import annotations

from ..batch.apply import apply_bids_dataset
from ..derivatives import derivatives_root
from ._common import (
    add_dataset_arguments,
    add_parallel_arguments,
    add_shard_argument,
    dask_target,
    finish_run,
    make_subparser,
    print_run,
    selection,
)

_EXAMPLES = """  mne-icalabel apply ~/data/ds004584
  mne-icalabel apply ~/data/ds004584 --subject 01 02 --n-jobs 4
  mne-icalabel apply ~/data/ds004584 --l-freq 0.1 --h-freq 40
  mne-icalabel apply ~/data/ds000248 --datatype meg --overwrite
  mne-icalabel apply ~/data/ds004584 --reference average
  mne-icalabel apply ~/data/ds004584 --dask-scheduler tcp://10.0.0.5:8786"""


def add_parser(subparsers, name: str):
    """Register the ``apply`` subcommand."""
    parser = make_subparser(
        subparsers,
        name,
        "write the cleaned recordings of a labelled BIDS dataset",
        "For every recording labelled by 'mne-icalabel bids': read it as stored, "
        "give it the reference its ICA was fitted with (the common average for "
        "the ICAs fitted by 'bids'), filter it only if --l-freq/--h-freq are "
        "given, remove the components whose status is 'bad' in its "
        "components TSV, and write "
        "derivatives/mne-icalabel/sub-*/[ses-*/]<datatype>/"
        "*_desc-clean_<datatype>.fif with a JSON sidecar; the HTML report gains a "
        "section 'Cleaning' and summary.tsv rows with step 'apply'. Recordings "
        "whose TSV and ICA did not change since are skipped unless --overwrite "
        "is given.",
        _EXAMPLES,
    )
    add_dataset_arguments(parser)
    parser.add_argument(
        "--l-freq",
        type=float,
        metavar="HZ",
        help="high-pass the recording before cleaning (default: no filter)",
    )
    parser.add_argument(
        "--h-freq",
        type=float,
        metavar="HZ",
        help="low-pass the recording before cleaning (default: no filter)",
    )
    parser.add_argument(
        "--reference",
        choices=("average", "as-is"),
        help="reference of the EEG before cleaning (default: the one the ICA was "
        "fitted with; needed only for an ICA of another pipeline that does not "
        "record it)",
    )
    add_parallel_arguments(parser, "cleaned")
    add_shard_argument(parser)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="clean every recording again, even those up to date",
    )
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="do not rewrite the HTML reports",
    )
    return parser


def run(args) -> int:
    """Clean the dataset and print a summary."""
    import time

    import mne

    chosen = selection(args)
    start = time.perf_counter()
    with mne.utils.use_log_level("DEBUG" if args.verbose else "INFO"):
        summary = apply_bids_dataset(
            args.bids_root,
            **chosen,
            datatype=args.datatype,
            shard=args.shard,
            l_freq=args.l_freq,
            h_freq=args.h_freq,
            reference=args.reference,
            n_jobs=args.n_jobs,
            dask_scheduler=dask_target(args),
            overwrite=args.overwrite,
            report=not args.no_report,
        )
    n_failed = print_run(summary, time.perf_counter() - start, "applied", "up to date")
    # a failed or refused row has no components (n_excluded NaN)
    cleaned = summary[summary["status"].isin(("applied", "skipped"))]
    for _, row in cleaned.iterrows():
        removed = row["excluded"] if row["n_excluded"] else "nothing"
        print(f"  {row['recording']}: removed {removed}")
    return finish_run(summary, n_failed, derivatives_root(args.bids_root))
