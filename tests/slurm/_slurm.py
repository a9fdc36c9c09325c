"""A real one-node Slurm for the tests: munged, slurmctld and slurmd, all private.

Everything lives in one temporary folder: the munge key, socket and logs,
``slurm.conf`` (built from ``slurmd -C``, the node's real CPUs and memory),
the controller's state and the daemons' spool and logs. The ports are free
ones picked at start, so that this Slurm does not meet another on the machine;
the clients (``sbatch``, ``squeue``, ``scontrol``, dask-jobqueue) find it through
``SLURM_CONF``. The daemons are started in the foreground as children of the
test process and stopped by their pids, never by name.

The configuration follows what was measured on the test machines: processes
tracked by ``proctrack/linuxproc`` without cgroups (``TaskPlugin=task/none``),
no accounting (jobs are polled with ``scontrol show job``), ``select/cons_tres``
with ``CR_Core`` (without it a job without ``--mem`` takes all the memory and
array tasks run one at a time), no batch scheduling delay, ``KillWait=5``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path

#: the binaries this Slurm needs (Debian packages slurm-wlm and munge)
BINARIES = (
    "runuser",
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "squeue",
    "scontrol",
    "scancel",
    "sinfo",
)
PARTITION = "debug"
KILL_WAIT = 5
_START_TIMEOUT = 60.0
_INSTALL = (
    "apt-get update && apt-get install -y --no-install-recommends slurm-wlm munge"
)


def which(name: str) -> str | None:
    """Return the path of a program: on ``PATH``, else in the sbin folders."""
    path = os.pathsep.join(
        [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"]
    )
    return shutil.which(name, path=path)


def why_unavailable() -> str | None:
    """Return why this machine cannot start the Slurm of the tests, None if it can."""
    if os.name != "posix" or os.geteuid() != 0:
        return (
            "the Slurm of the tests runs its daemons as root (slurmd starts the "
            "jobs); run the tests as root, as .ci/run does"
        )
    missing = [name for name in BINARIES if which(name) is None]
    if missing:
        return f"{', '.join(missing)} not found; install them with: {_INSTALL}"
    try:
        import pwd

        pwd.getpwnam("munge")
    except KeyError:
        return f"no user 'munge' (made by the munge package); {_INSTALL}"
    return None


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Slurm:
    """A private one-node Slurm; `start` it, `stop` it (always, by pids)."""

    def __init__(self) -> None:
        # not under pytest's tmp folder: the munge user must traverse it
        self.folder = Path(tempfile.mkdtemp(prefix="mne-icalabel-slurm-"))
        self.folder.chmod(0o755)
        self.conf = self.folder / "slurm.conf"
        self.munge = self.folder / "munge"
        self.processes: dict[str, subprocess.Popen] = {}
        self.node = ""
        self.cpus = 0
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}

    # -- start -------------------------------------------------------------------
    def start(self) -> Slurm:
        begin = time.monotonic()
        self._start_munge()
        self._write_conf()
        for name in ("state", "spool", "jobs"):
            (self.folder / name).mkdir()
        conf = str(self.conf)
        self._start("slurmctld", [which("slurmctld"), "-D", "-i", "-f", conf])
        self._wait(lambda: self._ok("scontrol", "ping"), "slurmctld to answer")
        self._start("slurmd", [which("slurmd"), "-D", "-f", conf])
        self._wait(self._node_idle, "the node to be idle")
        self.start_seconds = time.monotonic() - begin
        return self

    def _start_munge(self) -> None:
        import pwd

        user = pwd.getpwnam("munge")
        self.munge.mkdir()
        self.munge.chmod(0o755)  # munged wants its socket folder traversable
        key = self.munge / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o400)
        for path in (self.munge, key):
            os.chown(path, user.pw_uid, user.pw_gid)
        self.socket = self.munge / "munge.socket"
        self._start(
            "munged",
            [
                which("runuser"),
                "-u",
                "munge",
                "--",
                which("munged"),
                "--foreground",
                f"--socket={self.socket}",
                f"--key-file={key}",
                f"--pid-file={self.munge / 'munged.pid'}",
                f"--log-file={self.munge / 'munged.log'}",
                f"--seed-file={self.munge / 'munged.seed'}",
            ],
        )
        self._wait(self.socket.exists, "munged's socket")

    def _write_conf(self) -> None:
        out = subprocess.run(
            [which("slurmd"), "-C"], capture_output=True, text=True, check=True
        ).stdout
        node = next(line for line in out.splitlines() if line.startswith("NodeName="))
        self.node = re.search(r"NodeName=(\S+)", node).group(1)
        self.cpus = int(re.search(r"CPUs=(\d+)", node).group(1))
        folder = self.folder
        lines = [
            "ClusterName=mneicalabeltest",
            f"SlurmctldHost={self.node}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.socket}",
            f"StateSaveLocation={folder / 'state'}",
            f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
            f"SlurmdPidFile={folder / 'slurmd.pid'}",
            f"SlurmctldLogFile={folder / 'slurmctld.log'}",
            f"SlurmdLogFile={folder / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=batch_sched_delay=0",
            f"KillWait={KILL_WAIT}",
            "MpiDefault=none",
            "ReturnToService=2",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "InactiveLimit=0",
            "MinJobAge=3600",
            f"{node} NodeAddr=127.0.0.1 State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes={self.node} Default=YES "
            "MaxTime=INFINITE State=UP",
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    def _start(self, name: str, args: list[str]) -> None:
        log = open(self.folder / f"{name}.out", "w")  # noqa: SIM115 (closed in stop)
        self.processes[name] = subprocess.Popen(
            args,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child has its own descriptor

    def _ok(self, *args: str) -> bool:
        done = subprocess.run(args, env=self.env, capture_output=True, text=True)
        return done.returncode == 0

    def _node_idle(self) -> bool:
        out = self.run("sinfo", "-h", "-N", "-o", "%T", check=False)
        return out.strip() == "idle"

    def _wait(self, ready, what: str) -> None:
        end = time.monotonic() + _START_TIMEOUT
        while not ready():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited ({process.returncode}) while waiting for "
                        f"{what}: {self.logs()}"
                    )
            if time.monotonic() > end:
                raise RuntimeError(f"Timed out waiting for {what}: {self.logs()}")
            time.sleep(0.05)

    def logs(self) -> str:
        texts = []
        for path in sorted(self.folder.glob("*.log")) + sorted(
            self.folder.glob("*.out")
        ):
            texts.append(f"{path.name}: {path.read_text(errors='replace')[-1500:]}")
        munge_log = self.munge / "munged.log"
        if munge_log.exists():
            texts.append(f"munged.log: {munge_log.read_text(errors='replace')[-800:]}")
        return " | ".join(texts)

    # -- use ---------------------------------------------------------------------
    def run(self, *args: str, check: bool = True, env=None) -> str:
        """Run a Slurm client command against this Slurm; return its stdout."""
        done = subprocess.run(
            args,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def sbatch(self, *args: str, env=None) -> str:
        """Submit a job (``sbatch --parsable``); return its job id."""
        out = self.run("sbatch", "--parsable", *args, env=env)
        return out.strip().split(";")[0]

    def jobs(self, job_id: str) -> dict[str, dict[str, str]]:
        """Return the fields of ``scontrol show job`` of a job (all array tasks)."""
        out = self.run("scontrol", "-o", "show", "job", job_id, check=False)
        found = {}
        for line in out.splitlines():
            fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
            task = fields.get("ArrayTaskId")
            found[fields["JobId"] if task is None else task] = fields
        return found

    def wait(self, job_id: str, timeout: float = 300.0) -> dict[str, dict[str, str]]:
        """Wait until every task of a job has ended; return their fields."""
        end = time.monotonic() + timeout
        running = ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED")
        while True:
            jobs = self.jobs(job_id)
            # a pending array's not yet split tasks are one record "1-4%1"
            if jobs and all(j["JobState"] not in running for j in jobs.values()):
                return jobs
            if time.monotonic() > end:
                raise TimeoutError(f"job {job_id} still running: {jobs}")
            time.sleep(0.2)

    # -- stop --------------------------------------------------------------------
    def cancel_all(self) -> None:
        """Cancel every job of this Slurm and wait until none is left."""
        ids = self.run("squeue", "-h", "-o", "%A", check=False).split()
        if ids:
            self.run("scancel", *sorted(set(ids)), check=False)
        end = time.monotonic() + 3 * KILL_WAIT + 30
        while self.run("squeue", "-h", "-o", "%A", check=False).split():
            if time.monotonic() > end:
                break
            time.sleep(0.2)

    def stop(self) -> None:
        """Cancel the jobs, stop slurmd, slurmctld and munged by their pids."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            self.cancel_all()
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            if name == "munged":
                # runuser's child, whose pid it wrote at start
                self._stop_pid(int((self.munge / "munged.pid").read_text()))
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _stop_pid(pid: int) -> None:
        """Stop a daemon that is not our child: SIGTERM, then SIGKILL after 20 s."""
        try:
            os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + 20
            while time.monotonic() < end:
                os.kill(pid, 0)
                time.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
