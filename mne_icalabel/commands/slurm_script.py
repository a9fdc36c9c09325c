"""``mne-icalabel slurm-script``: the Slurm array script of a dataset, and submit it."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..batch._slurm import STEPS, array_script, check_mem, check_time, submit
from ..derivatives import find_recordings, write_text
from ._common import make_subparser, selection

_EXAMPLES = """\
  mne-icalabel slurm-script ~/data/ds004584 --step bids --per-recording \\
      --partition normal --time 30 --mem 4G --submit
  mne-icalabel slurm-script ~/data/ds004584 --step bids --shards 20 \\
      --cpus-per-task 4 --time 4:00:00 --submit -- --n-components 15 --no-report
  mne-icalabel slurm-script ~/data/ds004584 --step apply --per-recording \\
      --time 20 --submit -- --l-freq 0.1 --h-freq 40"""

#: the step's options a task cannot get (destination -> option): the script
#: gives each task its part, and a task runs on its own node
_REFUSED = {
    "shard": "--shard",
    "dask_scheduler": "--dask-scheduler",
    "dask_scheduler_file": "--dask-scheduler-file",
    "dask_jobqueue": "--dask-jobqueue",
    "jobqueue_cores": "--jobqueue-cores",
    "jobqueue_memory": "--jobqueue-memory",
    "jobqueue_walltime": "--jobqueue-walltime",
    "jobqueue_queue": "--jobqueue-queue",
    "jobqueue_jobs": "--jobqueue-jobs",
}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _checked(check):
    def parse(text: str) -> str:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error).split(" ", 2)[2]) from None

    return parse


def add_parser(subparsers, name: str):
    """Register the ``slurm-script`` subcommand."""
    parser = make_subparser(
        subparsers,
        name,
        "write (and submit) the Slurm array script of 'bids' or 'apply'",
        "Write a bash script for 'sbatch' whose array tasks run 'mne-icalabel "
        "bids' (or 'apply') on one part of the dataset each (--shard "
        "$SLURM_ARRAY_TASK_ID/N): one task per recording (--per-recording), or "
        "N tasks sharing the recordings (--shards N). The options after '--' go "
        "to the step, checked here. Each task runs the mne-icalabel of this "
        "environment; submitted again, the script does only what is missing "
        "(with --overwrite among the step's options, everything again). "
        "--discard-manual is refused unless --allow-discard-manual is given.",
        _EXAMPLES,
    )
    parser.add_argument("bids_root", type=Path, help="root of the BIDS dataset")
    parser.add_argument(
        "--step", choices=STEPS, required=True, help="the run of a task"
    )
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
        help="the data type (default: as the step: eeg, meg with --method both)",
    )
    parser.usage = (
        "mne-icalabel slurm-script [-h] bids_root --step {bids,apply} "
        "(--per-recording | --shards N) [options] [-- STEP OPTIONS]"
    )
    tasks = parser.add_mutually_exclusive_group(required=True)
    tasks.add_argument(
        "--per-recording",
        action="store_true",
        help="one task per recording selected now",
    )
    tasks.add_argument(
        "--shards",
        type=_positive,
        metavar="N",
        help="N tasks, each with about 1/N of the recordings",
    )
    slurm = parser.add_argument_group("Slurm options of each task")
    slurm.add_argument("--partition", metavar="P", help="partition (queue)")
    slurm.add_argument(
        "--time",
        type=_checked(check_time),
        metavar="T",
        help="wall time: minutes, H:MM:SS or D-HH:MM:SS; at the limit the task "
        "stops cleanly and a resubmission finishes its recordings",
    )
    slurm.add_argument(
        "--mem", type=_checked(check_mem), metavar="M", help="memory, e.g. 4G"
    )
    slurm.add_argument(
        "--cpus-per-task",
        type=_positive,
        default=1,
        metavar="C",
        help="CPUs of a task (default: 1); above 1, a task labels C recordings at "
        "once (--n-jobs C)",
    )
    slurm.add_argument(
        "--max-concurrent",
        type=_positive,
        metavar="M",
        help="at most M tasks running at once (--array=1-N%%M)",
    )
    slurm.add_argument("--job-name", help="job name (default: mne-icalabel-<step>)")
    slurm.add_argument(
        "--sbatch-arg",
        action="append",
        default=[],
        metavar="OPTION",
        help="another #SBATCH option, e.g. --sbatch-arg=--account=lab (repeatable)",
    )
    parser.add_argument(
        "--script",
        type=Path,
        metavar="PATH",
        help="where to write the script (default: mne-icalabel-<step>.sbatch in "
        "the current folder); the tasks' output goes to <script>-logs/",
    )
    parser.add_argument(
        "--submit", action="store_true", help="submit it with sbatch once written"
    )
    parser.add_argument(
        "--allow-discard-manual",
        action="store_true",
        help="let the step's options include --discard-manual (with "
        "--overwrite): every submission of the script, including one after a "
        "review, then deletes the components labelled by hand",
    )
    return parser


def _step_argv(args) -> list[str]:
    """Return the step's options given here: the selection, then those after --."""
    argv = []
    for entity in ("subject", "session", "task", "run"):
        values = getattr(args, entity)
        if values:
            argv += [f"--{entity}", *values]
    if args.datatype:
        argv += ["--datatype", args.datatype]
    return argv + list(args.step_args)


def _parse_step(step: str, bids_root: Path, argv: list[str]):
    """Parse the step's options as the step will; raise naming a bad one.

    The values are checked, not the spellings: argparse also takes ``--opt=V``
    and unambiguous abbreviations (``--shar``). ``n_jobs`` is None when
    ``--n-jobs`` is not given.
    """
    import contextlib
    import io

    from .main import subcommand_parser  # main imports this module: at call time

    parser = subcommand_parser(step)
    parser.set_defaults(n_jobs=None)
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            parsed = parser.parse_args([str(bids_root), *argv])
    except SystemExit:
        reason = errors.getvalue().strip().splitlines()[-1:] or ["invalid options"]
        raise ValueError(
            f"The options for 'mne-icalabel {step}' are not valid: "
            f"{reason[0].split('error: ', 1)[-1]}. See 'mne-icalabel {step} --help'."
        ) from None
    refused = [
        opt for dest, opt in _REFUSED.items() if getattr(parsed, dest, None) is not None
    ]
    if refused:
        raise ValueError(
            f"{', '.join(refused)} cannot be given to the tasks: each task runs "
            "its own part (--shard K/N, set by the script) on its own node. "
            "Remove it from the options after '--'."
        )
    return parsed


def _check_discard_manual(args, parsed) -> None:
    """Refuse ``--discard-manual`` in a script unless it is allowed explicitly."""
    if getattr(parsed, "discard_manual", False) and not args.allow_discard_manual:
        raise ValueError(
            "--discard-manual in a Slurm script deletes the components labelled "
            "by hand at every submission, including a resubmission after a "
            "review. Remove it from the options after '--', or add "
            "--allow-discard-manual (before '--') if that is what you want."
        )


def run(args) -> int:
    """Write the script, submit it if asked, print what was done."""
    selection(args)  # the folder exists
    step_argv = _step_argv(args)
    parsed = _parse_step(args.step, args.bids_root, step_argv)
    _check_discard_manual(args, parsed)
    datatype = parsed.datatype or (
        "meg" if getattr(parsed, "method", None) == "both" else "eeg"
    )
    recordings = find_recordings(
        args.bids_root,
        subjects=parsed.subject,
        sessions=parsed.session,
        tasks=parsed.task,
        runs=parsed.run,
        datatype=datatype,
    )
    if not recordings:
        raise RuntimeError(
            f"No {datatype} recording matches the selection in {args.bids_root}; "
            "check --subject/--session/--task/--run and --datatype."
        )
    n_tasks = len(recordings) if args.per_recording else args.shards
    script = (args.script or Path(f"mne-icalabel-{args.step}.sbatch")).resolve()
    logs = script.with_name(f"{script.name}-logs")
    text = array_script(
        args.bids_root,
        args.step,
        n_tasks,
        step_argv,
        per_recording=args.per_recording,
        n_jobs_given=parsed.n_jobs is not None,
        overwrite=parsed.overwrite,
        log_folder=logs,
        partition=args.partition,
        time=args.time,
        mem=args.mem,
        cpus_per_task=args.cpus_per_task,
        max_concurrent=args.max_concurrent,
        job_name=args.job_name,
        sbatch_args=tuple(args.sbatch_arg),
    )
    logs.mkdir(parents=True, exist_ok=True)
    write_text(script, text)
    script.chmod(0o755)
    print(
        f"Wrote {script}: {n_tasks} task(s) for {len(recordings)} recording(s); "
        f"output in {logs}/"
    )
    if parsed.overwrite:
        print(
            "  With --overwrite, every submission of the script processes all "
            "its recordings again, not only what is missing."
        )
    if n_tasks > len(recordings):
        print(
            f"  {n_tasks - len(recordings)} task(s) will have no recording (more "
            "shards than recordings)."
        )
    if args.submit:
        job = submit(script)
        print(f"Submitted array job {job} ('squeue -j {job}' shows its tasks).")
    else:
        print(f"Submit it with: sbatch {script}")
    return 0
