"""``mne-icalabel slurm-script`` without a cluster, and the --dask-jobqueue options.

The script is run with bash as Slurm would run one of its tasks (the task's
``SLURM_*`` variables set by hand); tests/slurm submits it to a real Slurm.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mne_icalabel.batch import JobqueueCluster
from mne_icalabel.commands.main import main
from mne_icalabel.derivatives._layout import derivatives_root


def _write(tmp_path, bids_root, *args):
    script = tmp_path / "job.sbatch"
    code = main(["slurm-script", str(bids_root), "--script", str(script), *args])
    assert code == 0
    return script, script.read_text()


def test_script_per_recording_runs_its_part(bids_root, tmp_path, capsys):
    """One task per recording; task 2, run by bash, labels sub-02 only."""
    script, text = _write(
        tmp_path,
        bids_root,
        "--step",
        "bids",
        "--per-recording",
        "--partition",
        "short",
        "--time",
        "0:30:00",
        "--mem",
        "3G",
        "--max-concurrent",
        "1",
        "--sbatch-arg=--account=lab",
        "--",
        "--n-components",
        "5",
        "--no-report",
    )
    out = capsys.readouterr().out
    assert f"Wrote {script}: 2 task(s) for 2 recording(s)" in out
    assert f"sbatch {script}" in out
    sbatch = re.findall(r"^#SBATCH (.+)$", text, re.MULTILINE)
    logs = tmp_path / "job.sbatch-logs"
    assert sbatch == [
        "--job-name=mne-icalabel-bids",
        "--array=1-2%1",
        "--partition=short",
        "--time=0:30:00",
        "--mem=3G",
        "--cpus-per-task=1",
        f"--output={logs.resolve()}/%x-%A_%a.out",
        "--account=lab",
    ]
    assert logs.is_dir()
    exec_line = text.strip().splitlines()[-1]
    # this environment's mne-icalabel, by full path
    assert exec_line.startswith(f"exec {Path(sys.executable).parent}/mne-icalabel bids")
    assert '--shard "${SLURM_ARRAY_TASK_ID}/2" --n-components 5 --no-report' in (
        exec_line
    )
    assert os.access(script, os.X_OK)
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "2", "SLURM_CPUS_PER_TASK": "1"}
    done = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "1 recording(s): 1 labelled" in done.stdout
    tsvs = [p.name for p in derivatives_root(bids_root).rglob("*_components.tsv")]
    assert tsvs == ["sub-02_task-rest_run-01_components.tsv"]


def test_script_shards_and_cpus(bids_root, tmp_path, capsys):
    _, text = _write(
        tmp_path,
        bids_root,
        "--step",
        "apply",
        "--shards",
        "3",
        "--cpus-per-task",
        "4",
        "--subject",
        "01",
        "02",
        "--",
        "--l-freq",
        "1",
    )
    out = capsys.readouterr().out
    assert "1 task(s) will have no recording" in out
    assert "#SBATCH --array=1-3\n" in text and "#SBATCH --cpus-per-task=4" in text
    assert "#SBATCH --time" not in text and "#SBATCH --partition" not in text
    assert 'export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"' in text
    assert (
        f'apply {bids_root.resolve()} --shard "${{SLURM_ARRAY_TASK_ID}}/3" '
        "--subject 01 02 --l-freq 1 --n-jobs 4"
    ) in text


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--time", "1h"], 2, "--time: is not a Slurm time"),
        (["--mem", "lots"], 2, "--mem: is not a Slurm memory size"),
        (["--shards", "0"], 2, "expected a positive integer, got '0'"),
        (
            ["--", "--n-compnents", "5"],
            1,
            "The options for 'mne-icalabel bids' are not valid: unrecognized "
            "arguments: --n-compnents 5",
        ),
        (["--", "--shard", "1/2"], 1, "--shard cannot be given to the tasks"),
        # argparse's other spellings of the same options
        (["--", "--shar", "1/2"], 1, "--shard cannot be given to the tasks"),
        (["--", "--shard=1/2"], 1, "--shard cannot be given to the tasks"),
        (["--", "--dask-jobqueue", "slurm"], 1, "--dask-jobqueue cannot be given"),
        (["--", "--dask-scheduler-f", "s.json"], 1, "--dask-scheduler-file cannot be"),
        (["--", "--jobqueue-cores", "2"], 1, "--jobqueue-cores cannot be given"),
        (
            ["--", "--overwrite", "--discard-man"],
            1,
            "--discard-manual in a Slurm script deletes the components labelled "
            "by hand at every submission",
        ),
        (["--subject", "09"], 1, "No eeg recording matches the selection"),
    ],
)
def test_script_bad_options(bids_root, tmp_path, capsys, args, code, message):
    script = tmp_path / "job.sbatch"
    base = ["slurm-script", str(bids_root), "--step", "bids", "--script", str(script)]
    if "--shards" not in args:
        base.append("--per-recording")
    if code == 2:
        with pytest.raises(SystemExit) as info:
            main(base + args)
        assert info.value.code == 2
    else:
        assert main(base + args) == 1
    assert message in " ".join(capsys.readouterr().err.split())
    assert not script.exists()


@pytest.mark.parametrize("given", [["--n-jobs=2"], ["--n-j", "2"]])
def test_script_keeps_the_steps_n_jobs(bids_root, tmp_path, given):
    """--n-jobs in any spelling argparse takes: the script does not add its own."""
    _, text = _write(
        tmp_path,
        bids_root,
        *("--step", "bids", "--per-recording", "--cpus-per-task", "4", "--"),
        *given,
    )
    exec_line = text.strip().splitlines()[-1]
    assert exec_line.endswith('/2" ' + " ".join(given))
    assert "--n-jobs 4" not in exec_line


def test_script_with_overwrite_says_so(bids_root, tmp_path, capsys):
    """A resubmission with --overwrite redoes everything: the comment says so."""
    _, text = _write(tmp_path, bids_root, "--step", "bids", "--per-recording")
    assert "submitted again, it does only what is missing." in text
    capsys.readouterr()
    _, text = _write(
        tmp_path, bids_root, "--step", "bids", "--per-recording", "--", "--overw"
    )
    assert "what is missing" not in text
    assert "submitted again, it does everything again (--overwrite)." in text
    out = " ".join(capsys.readouterr().out.split())
    assert "With --overwrite, every submission of the script processes all" in out


def test_script_discard_manual_when_allowed(bids_root, tmp_path):
    """--allow-discard-manual lets --discard-manual through to the tasks."""
    _, text = _write(
        tmp_path,
        bids_root,
        *("--step", "bids", "--per-recording", "--allow-discard-manual", "--"),
        *("--overwrite", "--discard-manual"),
    )
    assert text.strip().endswith("--overwrite --discard-manual")


def test_submit_without_sbatch(bids_root, tmp_path, capsys, monkeypatch):
    """--submit away from a cluster: the script is written, the error says where."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    script = tmp_path / "job.sbatch"
    args = ["--step", "bids", "--per-recording", "--script", str(script), "--submit"]
    assert main(["slurm-script", str(bids_root), *args]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "sbatch was not found" in err and f"sbatch {script}" in err
    assert script.is_file()


def test_jobqueue_options(bids_root, capsys):
    """--jobqueue-* need --dask-jobqueue; a JobqueueCluster checks its values."""
    assert main(["bids", str(bids_root), "--jobqueue-cores", "2"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "--jobqueue-cores describe(s) the jobs of --dask-jobqueue" in err
    assert not derivatives_root(bids_root).exists()
    with pytest.raises(ValueError, match="Invalid value for the 'system' parameter"):
        JobqueueCluster("pbs")
    with pytest.raises(ValueError, match="cores must be a positive integer"):
        JobqueueCluster(cores=0)
    with pytest.raises(TypeError, match="memory must be an instance of"):
        JobqueueCluster(memory=4)


@pytest.mark.parametrize(
    "command, args, message",
    [
        ("bids", ["--n-jobs", "0"], "argument --n-jobs: expected a number of"),
        ("apply", ["--n-jobs", "0"], "argument --n-jobs: expected a number of"),
        ("bids", ["--n-components", "1"], "argument --n-components: expected an"),
        ("bids", ["--blas-threads", "-1"], "argument --blas-threads: expected an"),
        (
            "bids",
            ["--dask-jobqueue", "slurm", "--jobqueue-cores", "0"],
            "argument --jobqueue-cores: expected an integer of at least 1, got '0'",
        ),
        ("apply", ["--jobqueue-jobs", "0"], "argument --jobqueue-jobs: expected"),
    ],
)
def test_bad_numbers_named_by_option(bids_root, capsys, command, args, message):
    """The command line refuses them before anything runs, naming the option."""
    with pytest.raises(SystemExit) as info:
        main([command, str(bids_root), *args])
    assert info.value.code == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert not derivatives_root(bids_root).exists()


def test_jobqueue_without_cores_and_memory():
    """Neither given nor configured: the error names both ways to give them."""
    import dask

    with dask.config.set({"jobqueue.slurm.cores": None, "jobqueue.slurm.memory": None}):
        with pytest.raises(ValueError, match="Give --jobqueue-cores and --jobqueue"):
            JobqueueCluster(queue="debug").start(2)
    with dask.config.set({"jobqueue.slurm.cores": 2, "jobqueue.slurm.memory": None}):
        with pytest.raises(ValueError, match="the memory of a job is not given"):
            JobqueueCluster(queue="debug").start(2)


def test_wait_for_jobs_counts_every_worker(monkeypatch):
    """Workers are counted with nthreads(), not scheduler_info()'s short list."""
    import mne

    from mne_icalabel.batch._dispatch import _jobqueue

    class Client:
        def wait_for_workers(self, n, timeout):
            pass

        def nthreads(self):
            return {f"tcp://10.0.0.{k}:1": 1 for k in range(8)}

        def scheduler_info(self):  # as distributed releases that cap the list
            return {"workers": dict(list(self.nthreads().items())[:5])}

    monkeypatch.setattr(_jobqueue, "WAIT_FOR_ALL", 0.3)
    with mne.utils.catch_logging(verbose="INFO") as log:
        _jobqueue.wait_for_jobs(Client(), 8, timeout=1)
    assert "of 8 Dask worker(s) started" not in log.getvalue()
