"""A real Dask cluster for the tests: ``dask scheduler`` and ``dask worker`` processes.

The processes are started as a user would start them elsewhere: their own
process groups, on the loopback address, without any ``MNE_*`` variable, with
an empty ``MNE_DATA`` and home folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mne_icalabel.batch._dispatch import _worker_state

REPO = Path(__file__).resolve().parents[2]
_START_TIMEOUT = 120.0

# A ``sitecustomize`` that makes ``import onnxruntime`` fail, as on a machine
# where it is not installed (it is found first on the worker's PYTHONPATH).
_HIDE_ONNXRUNTIME = """
import sys


class _HideOnnxRuntime:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "onnxruntime":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _HideOnnxRuntime())
"""


class Cluster:
    """A scheduler and workers in their own process groups, always stopped."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.scheduler_file = folder / "scheduler.json"
        self.processes: list[tuple[subprocess.Popen, object]] = []
        self.homes: dict[str, Path] = {}
        #: the ``dask worker`` process (its nanny) of each worker, by name
        self.nannies: dict[str, subprocess.Popen] = {}
        self._client = None

    def _start(
        self, args: list[str], env: dict[str, str], name: str
    ) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 (closed in stop)
        process = subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            env=env,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((process, log))
        return process

    def _env(self, home: Path, pythonpath: list[Path]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MNE_")}
        (home / "mne_data").mkdir(parents=True)
        env.update(
            MNE_DATA=str(home / "mne_data"),
            _MNE_FAKE_HOME_DIR=str(home),
            PYTHONPATH=os.pathsep.join(str(p) for p in [*pythonpath, REPO]),
        )
        return env

    def start_scheduler(self) -> None:
        args = ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
        args += ["--scheduler-file", str(self.scheduler_file)]
        self._start(args, self._env(self.folder / "scheduler-home", []), "scheduler")
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.scheduler_file.is_file():
            if time.monotonic() > deadline or self.processes[0][0].poll() is not None:
                raise RuntimeError("dask scheduler did not start: " + self.log())
            time.sleep(0.2)

    def start_worker(self, name: str, hide_onnxruntime: bool = False) -> None:
        home = self.folder / f"home-{name}"
        pythonpath = []
        if hide_onnxruntime:
            shim = self.folder / f"shim-{name}"
            shim.mkdir()
            (shim / "sitecustomize.py").write_text(_HIDE_ONNXRUNTIME)
            pythonpath.append(shim)
        args = ["worker", "--scheduler-file", str(self.scheduler_file)]
        args += ["--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1"]
        args += ["--name", name, "--no-dashboard", "--death-timeout", "60"]
        args += ["--local-directory", str(self.folder / f"dask-{name}")]
        process = self._start(args, self._env(home, pythonpath), f"worker-{name}")
        self.nannies[name] = process
        self.homes[name] = home
        self.client.wait_for_workers(len(self.homes), timeout=_START_TIMEOUT)

    @property
    def client(self):
        if self._client is None:
            from distributed import Client

            self._client = Client(
                scheduler_file=str(self.scheduler_file), timeout="60s"
            )
        return self._client

    def address_of(self, name: str) -> str:
        workers = self.client.scheduler_info()["workers"]
        return next(addr for addr, info in workers.items() if info["name"] == name)

    def state_of(self, name: str) -> dict:
        address = self.address_of(name)
        return self.client.run(_worker_state, workers=[address])[address]

    def log(self) -> str:
        return " | ".join(
            Path(log.name).read_text(errors="replace")[-2000:]
            for _, log in self.processes
        )

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        for process, _ in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, log in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            log.close()


def two_worker_cluster(folder: Path):
    """Yield a scheduler with two healthy workers, w1 and w2; stop them after."""
    cluster = Cluster(folder)
    try:
        cluster.start_scheduler()
        cluster.start_worker("w1")
        cluster.start_worker("w2")
        yield cluster
    finally:
        cluster.stop()


def busy_state(dask_worker) -> dict:
    """Run on a worker (``client.run``): pid, name, keys it runs, jobs started."""
    from mne_icalabel.batch._dispatch._worker import _JOBS_STARTED

    return dict(
        pid=os.getpid(),
        name=dask_worker.name,
        executing=sorted(str(task.key) for task in dask_worker.state.executing),
        started=sum(_JOBS_STARTED.values()),
    )
