"""Helpers shared by the subcommands: options, printing tables and written files."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ..batch._dispatch import JobqueueCluster
from ..batch._shard import parse_shard


def make_subparser(
    subparsers, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """Add a subcommand whose ``--help`` ends with examples."""
    return subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def format_table(labels: Sequence[str], proba: Sequence[float]) -> str:
    """Format the (component, label, probability) table printed by the CLI."""
    width = max([len("label")] + [len(label) for label in labels])
    lines = [f"{'component':<10} {'label':<{width}} {'probability':>11}"]
    for k, (label, p) in enumerate(zip(labels, proba, strict=True)):
        lines.append(f"{f'ICA{k:03d}':<10} {label:<{width}} {float(p):>11.2f}")
    return "\n".join(lines)


def format_files(files: dict[str, Path]) -> str:
    """List the written files, one per line."""
    names = {"tsv": "components", "json": "sidecar", "report": "report", "ica": "ICA"}
    return "\n".join(
        f"  {names.get(key, key) + ':':<12}{path}" for key, path in files.items()
    )


def add_dataset_arguments(
    parser: argparse.ArgumentParser,
    datatype_help: str = "the data type (default: eeg)",
    datatype_default: str | None = "eeg",
) -> None:
    """Add the dataset root and the selection of its recordings (as mne-bids)."""
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
        default=datatype_default,
        help=datatype_help,
    )


def selection(args) -> dict:
    """Return the selection keyword arguments of the dataset functions."""
    if not args.bids_root.is_dir():
        raise FileNotFoundError(f"No such folder: {args.bids_root}")
    return dict(
        subjects=args.subject, sessions=args.session, tasks=args.task, runs=args.run
    )


def int_at_least(minimum: int):
    """Return an argparse type: an integer of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected an integer of at least {minimum}, got {text!r}"
            )
        return value

    return parse


def _n_jobs(text: str) -> int:
    """Parse ``--n-jobs``: a number of processes, or negative (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a number of processes (1 or more) or a negative number "
            f"counting back from the cores (-1: all, -2: all but one), got {text!r}"
        )
    return value


def _shard(text: str) -> tuple[int, int]:
    """Parse ``--shard K/N`` (argparse type)."""
    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--shard ")) from None


def add_shard_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--shard K/N``: one part of the selected recordings, for array jobs."""
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="process only part K of N of the selected recordings (sorted by "
        "path, dealt out round-robin), e.g. --shard $SLURM_ARRAY_TASK_ID/8 in an "
        "array --array=1-8; K counts from 1 (0 is the same part as N, for 0-based "
        "arrays); see also 'mne-icalabel slurm-script'",
    )


def add_parallel_arguments(parser: argparse.ArgumentParser, done: str) -> None:
    """Add ``--n-jobs`` and the Dask options; ``done``: e.g. "labelled"."""
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=1,
        metavar="N",
        help=f"recordings {done} at once on this machine (default: 1; -1: all cores)",
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
    dask.add_argument(
        "--dask-jobqueue",
        choices=("slurm",),
        help="run on Dask workers submitted as Slurm jobs for this run "
        "(dask-jobqueue; one job per recording, at most --jobqueue-jobs), "
        "cancelled at its end; the --jobqueue-* options, else Dask's "
        "configuration (jobqueue.slurm.* in ~/.config/dask/jobqueue.yaml), "
        "say what a job gets",
    )
    jobqueue = parser.add_argument_group(
        "Dask workers as batch jobs (with --dask-jobqueue)"
    )
    jobqueue.add_argument(
        "--jobqueue-cores", type=int_at_least(1), metavar="N", help="cores per job"
    )
    jobqueue.add_argument(
        "--jobqueue-memory", metavar="SIZE", help="memory per job, e.g. 4GB"
    )
    jobqueue.add_argument(
        "--jobqueue-walltime", metavar="HH:MM:SS", help="wall time of a job"
    )
    jobqueue.add_argument(
        "--jobqueue-queue", metavar="NAME", help="queue (Slurm's partition)"
    )
    jobqueue.add_argument(
        "--jobqueue-jobs",
        type=int_at_least(1),
        metavar="N",
        help="at most N jobs (default: one per recording to process)",
    )


def dask_target(args):
    """Return the ``dask_scheduler`` argument of the dataset functions."""
    options = {
        name: getattr(args, f"jobqueue_{name}")
        for name in ("cores", "memory", "walltime", "queue", "jobs")
    }
    if args.dask_jobqueue is None:
        given = [f"--jobqueue-{k}" for k, v in options.items() if v is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} describe(s) the jobs of --dask-jobqueue; add "
                "--dask-jobqueue slurm."
            )
        return args.dask_scheduler or args.dask_scheduler_file
    return JobqueueCluster(args.dask_jobqueue, **options)


def print_run(summary, elapsed: float, done: str, skipped: str) -> int:
    """Print the counts of a dataset run and its failures; return the failures.

    ``done`` is the status of the recordings processed (e.g. ``"labelled"``),
    ``skipped`` why the others were skipped.
    """
    counts = summary["status"].value_counts()
    n_done, n_failed = counts.get(done, 0), counts.get("failed", 0)
    n_refused = counts.get("refused", 0)
    print(
        f"{len(summary)} recording(s): {n_done} {done}, "
        f"{counts.get('skipped', 0)} skipped ({skipped}), {n_failed} failed"
        + (f", {n_refused} refused (another run has them)" if n_refused else "")
        + f" in {elapsed:.1f} s"
        + (f" ({n_done / elapsed * 60:.1f} recordings/min)." if n_done else ".")
    )
    for status in ("failed", "refused"):
        for _, row in summary[summary["status"] == status].iterrows():
            print(f"  {status}: {row['recording']}: {row['error']}")
    return n_failed


def finish_run(summary, n_failed: int, deriv: Path) -> int:
    """Say where the outputs are; raise if recordings failed or were refused."""
    print(f"Outputs in {deriv}; summary in {deriv / 'summary.tsv'}")
    if n_failed:
        raise RuntimeError(
            f"{n_failed} of {len(summary)} recording(s) failed; see "
            f"{deriv / 'summary.tsv'}"
        )
    n_refused = int((summary["status"] == "refused").sum())
    if n_refused:
        raise RuntimeError(
            f"{n_refused} of {len(summary)} recording(s) were refused: another "
            "run is writing them (listed above). Run again when it has ended."
        )
    return 0


def _threshold(text: str) -> tuple[str | None, float]:
    """Parse ``CLASS=P`` or a bare ``P`` (argparse type)."""
    name, sep, value = text.rpartition("=")
    try:
        prob = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected CLASS=P or P with P a probability, e.g. 'eye blink=0.9', "
            f"got {text!r}"
        ) from None
    if sep and not name.strip():
        raise argparse.ArgumentTypeError(f"no class name before '=' in {text!r}")
    return (name.strip() if sep else None), prob


def _thresholds(values, option: str) -> float | dict[str, float] | None:
    """Combine the repeated ``--option`` values into the policy's argument."""
    if not values:
        return None
    bare = [prob for name, prob in values if name is None]
    named = {name: prob for name, prob in values if name is not None}
    if bare and (named or len(bare) > 1):
        raise ValueError(
            f"{option} takes either one probability for all classes or CLASS=P "
            f"pairs, got {len(bare)} bare value(s) and {len(named)} pair(s); e.g. "
            f"{option} 0.9, or {option} 'eye blink=0.9' {option} 'heart beat=0.7'."
        )
    return bare[0] if bare else named


def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the exclusion policy (mne-bids-pipeline's names)."""
    group = parser.add_argument_group(
        "exclusion policy",
        "which components get status 'bad' (default: mne-bids-pipeline's rule: "
        "keep brain and other; exclude when another class has p >= 0.8 and no "
        "kept class has p >= 0.3)",
    )
    group.add_argument(
        "--include",
        nargs="+",
        metavar="CLASS",
        help="the classes to keep (default: brain other; MEGNet: brain/other), "
        "e.g. --include brain other 'heart beat'",
    )
    group.add_argument(
        "--exclusion-threshold",
        action="append",
        type=_threshold,
        metavar="CLASS=P",
        help="probability at which a class not kept excludes a component "
        "(repeatable; a bare P for all such classes; default 0.8)",
    )
    group.add_argument(
        "--class-threshold",
        action="append",
        type=_threshold,
        metavar="CLASS=P",
        help="probability at which a kept class keeps a component anyway "
        "(repeatable; a bare P for all kept classes; default 0.3)",
    )
    group.add_argument(
        "--policy",
        choices=("threshold", "argmax"),
        default="threshold",
        help="threshold (default): the thresholds above; argmax: exclude the "
        "components whose most probable class is not kept (without --include: "
        "not brain, the rule of mne-icalabel before policies)",
    )


def policy_options(args) -> dict:
    """Return the policy's keyword arguments from the parsed options."""
    return dict(
        include=args.include,
        exclusion_threshold=_thresholds(
            args.exclusion_threshold, "--exclusion-threshold"
        ),
        class_threshold=_thresholds(args.class_threshold, "--class-threshold"),
    )


def _ica_decim(text: str) -> int | str | None:
    """Parse ``--ica-decim``: ``auto``, ``none`` or a positive integer."""
    value = text.strip().lower()
    if value in ("auto", "none"):
        return None if value == "none" else value
    try:
        decim = int(value)
    except ValueError:
        decim = 0
    if decim < 1:
        raise argparse.ArgumentTypeError(
            f"expected auto, none or a positive integer (1 = every sample), got "
            f"{text!r}"
        )
    return decim


def add_ica_decim(parser: argparse.ArgumentParser) -> None:
    """Add ``--ica-decim auto|none|N``: the samples a fitted ICA uses."""
    parser.add_argument(
        "--ica-decim",
        type=_ica_decim,
        default="auto",
        metavar="auto|none|N",
        help="fit the ICA on every N-th sample; auto (default): the largest N "
        "that keeps max(60 x n_components^2, 20000) samples; none or 1: every "
        "sample. The labels always use the whole recording",
    )
