"""The Slurm array script of a dataset run: one task per recording or per part.

Each task runs ``mne-icalabel bids|apply ROOT --shard $SLURM_ARRAY_TASK_ID/N``
(see ``_shard.py``): tasks 1..N together cover every selected recording once,
and the same script submitted again does only what is missing (recordings
labelled, or cleaned from the current decisions, are skipped).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .._version import __version__

#: Slurm's time formats: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S
_TIME = re.compile(r"^(\d+-)?\d+(:\d+){0,2}$")
_MEM = re.compile(r"^\d+[KMGT]?$", re.IGNORECASE)
#: the commands a task can run
STEPS = ("bids", "apply")


def check_time(text: str) -> str:
    """Return a Slurm ``--time`` value, or raise naming the formats."""
    if not _TIME.match(text.strip()):
        raise ValueError(
            f"--time {text!r} is not a Slurm time: minutes ('30'), 'H:MM:SS' "
            "('2:00:00') or 'D-HH:MM:SS' ('1-00:00:00')."
        )
    return text.strip()


def check_mem(text: str) -> str:
    """Return a Slurm ``--mem`` value, or raise naming the format."""
    if not _MEM.match(text.strip()):
        raise ValueError(
            f"--mem {text!r} is not a Slurm memory size: a number with an "
            "optional unit K, M, G or T, e.g. '4G' or '4000M'."
        )
    return text.strip()


def command_prefix() -> list[str]:
    """Return how a task runs ``mne-icalabel``: this environment's, by full path.

    The console script beside this Python if there is one, else this Python
    with ``-m``: the tasks use the environment that wrote the script, whatever
    their ``PATH``.
    """
    folder = Path(sys.executable).parent
    script = folder / ("mne-icalabel.exe" if os.name == "nt" else "mne-icalabel")
    if script.is_file():
        return [str(script)]
    found = shutil.which("mne-icalabel")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "mne_icalabel.commands.main"]


def array_script(
    bids_root: Path,
    step: str,
    n_tasks: int,
    step_args: list[str],
    *,
    per_recording: bool,
    log_folder: Path,
    n_jobs_given: bool = False,
    overwrite: bool = False,
    partition: str | None = None,
    time: str | None = None,
    mem: str | None = None,
    cpus_per_task: int = 1,
    max_concurrent: int | None = None,
    job_name: str | None = None,
    sbatch_args: tuple[str, ...] = (),
) -> str:
    """Return the text of the array script (bash, with ``#SBATCH`` lines).

    Parameters
    ----------
    bids_root : Path
        The dataset (made absolute here).
    step : ``"bids"`` | ``"apply"``
        The run of each task.
    n_tasks : int
        Tasks of the array, and parts of ``--shard``.
    step_args : list of str
        The options of the step (the selection, the step's own), as on its
        command line.
    per_recording : bool
        Whether ``n_tasks`` is the number of recordings (said in a comment).
    log_folder : Path
        Where the tasks' output goes (``<job name>-<job>_<task>.out``).
    n_jobs_given : bool
        Whether ``step_args`` give ``--n-jobs`` (in any form argparse takes:
        ``--n-jobs=K``, an abbreviation); if not, the script adds ``--n-jobs``
        ``cpus_per_task`` when that is above 1.
    overwrite : bool
        Whether ``step_args`` give ``--overwrite``: the script's comment then
        says that a resubmission processes every recording again.
    partition, time, mem : str | None
        ``--partition``, ``--time``, ``--mem`` of each task; None: the
        cluster's defaults.
    cpus_per_task : int
        ``--cpus-per-task``; a task labels that many recordings at once
        (``--n-jobs``) and limits its threads to them.
    max_concurrent : int | None
        At most that many tasks at once (``--array=1-N%M``).
    job_name : str | None
        ``--job-name``; None: ``mne-icalabel-<step>``.
    sbatch_args : tuple of str
        More options for ``#SBATCH`` lines, e.g. ``--account=lab``.

    Returns
    -------
    script : str
        The script.
    """
    bids_root = Path(bids_root).resolve()
    name = job_name or f"mne-icalabel-{step}"
    array = f"1-{n_tasks}" + (f"%{max_concurrent}" if max_concurrent else "")
    options = [f"--job-name={name}", f"--array={array}"]
    if partition:
        options.append(f"--partition={partition}")
    if time:
        options.append(f"--time={time}")
    if mem:
        options.append(f"--mem={mem}")
    options.append(f"--cpus-per-task={cpus_per_task}")
    options.append(f"--output={Path(log_folder).resolve() / '%x-%A_%a.out'}")
    options.extend(sbatch_args)
    what = "recording" if per_recording else "part"
    if cpus_per_task > 1 and not n_jobs_given:
        step_args = [*step_args, "--n-jobs", str(cpus_per_task)]
    command = " ".join(
        shlex.quote(arg) for arg in [*command_prefix(), step, str(bids_root)]
    )
    rest = " ".join(shlex.quote(arg) for arg in step_args)
    lines = [
        "#!/bin/bash",
        f"# Written by 'mne-icalabel slurm-script' (mne-icalabel {__version__}).",
        f"# 'mne-icalabel {step}' on {bids_root}: one task per {what}, {n_tasks} "
        "in all.",
        "# Submit it with sbatch; submitted again, it does "
        + ("everything again (--overwrite)." if overwrite else "only what is missing."),
        "# Each task gets the environment of the shell that submits it (sbatch's",
        "# default) and runs the mne-icalabel of the environment that wrote it.",
        *(f"#SBATCH {shlex.quote(option)}" for option in options),
        "set -euo pipefail",
        "# the task's CPUs, not the node's, for BLAS, torch and onnxruntime",
        'export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
        f'exec {command} --shard "${{SLURM_ARRAY_TASK_ID}}/{n_tasks}" {rest}'.rstrip(),
        "",
    ]
    return "\n".join(lines)


def submit(script: Path) -> str:
    """Submit ``script`` with ``sbatch --parsable``; return the job id."""
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise FileNotFoundError(
            "sbatch was not found: --submit runs on a machine of a Slurm cluster "
            f"(a login node). The script is written at {script}; submit it there "
            f"with 'sbatch {script}'."
        )
    done = subprocess.run(
        [sbatch, "--parsable", str(script)], capture_output=True, text=True
    )
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit code {done.returncode}"
        raise RuntimeError(f"sbatch refused {script}: {reason}")
    return done.stdout.strip().split(";")[0]
