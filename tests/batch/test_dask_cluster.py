"""A real Dask cluster: ``dask scheduler`` and ``dask worker`` processes.

The workers are started as a user would start them elsewhere: their own
processes, on the loopback address, without ``MNE_ICALABEL_WEIGHTS_PATH`` or
any other ``MNE_*`` variable, with an empty ``MNE_DATA`` and home folder. They
must label the recordings exactly as local processes do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from mne_icalabel.batch import label_bids_dataset
from mne_icalabel.batch._dispatch import JobRunner, preflight_client
from mne_icalabel.datasets.weights import CACHE_FOLDER, WEIGHTS, get_weights_path

from ._cluster import Cluster, two_worker_cluster
from .conftest import write_subject

pytestmark = [pytest.mark.dask_cluster, pytest.mark.timeout(480)]

DERIV = Path("derivatives", "mne-icalabel")
N_RECORDINGS = 3
N_COMPONENTS = 6


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two healthy workers started from the command line."""
    yield from two_worker_cluster(tmp_path_factory.mktemp("cluster"))


@pytest.fixture
def lonely_cluster(tmp_path):
    """A scheduler with one worker that cannot import onnxruntime (more later)."""
    cluster = Cluster(tmp_path / "cluster")
    cluster.folder.mkdir()
    try:
        cluster.start_scheduler()
        cluster.start_worker("no-onnxruntime", hide_onnxruntime=True)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def tiny_bids(tmp_path_factory) -> Path:
    """Three 12-channel, 8 s recordings."""
    root = tmp_path_factory.mktemp("tiny") / "ds"
    for seed in range(N_RECORDINGS):
        write_subject(root, f"{seed + 1:02d}", seed, n_channels=12, duration=8.0)
    return root


def _stems(root: Path) -> list[Path]:
    return sorted((root / DERIV).rglob("*_components.tsv"))


def _jobs_started(cluster: Cluster) -> int:
    return sum(
        sum(cluster.state_of(name)["jobs_started"].values()) for name in cluster.homes
    )


def test_real_cluster_labels_like_loky(cluster, tiny_bids, tmp_path, weights_dir):
    """Workers with no configuration label every recording as loky does."""
    from mne_icalabel.commands.main import main

    loky_root, dask_root = tmp_path / "loky", tmp_path / "dask"
    shutil.copytree(tiny_bids, loky_root)
    shutil.copytree(tiny_bids, dask_root)
    summary = label_bids_dataset(
        loky_root, n_components=N_COMPONENTS, n_jobs=2, report=False, verbose="error"
    )
    assert list(summary["status"]) == ["labelled"] * N_RECORDINGS

    before = _jobs_started(cluster)
    address = json.loads(cluster.scheduler_file.read_text())["address"]
    assert address.startswith("tcp://127.0.0.1:")
    args = ["bids", str(dask_root), "--dask-scheduler", address, "--no-report"]
    assert main([*args, "--n-components", str(N_COMPONENTS)]) == 0
    # every job ran on the workers, which were prepared without any variable
    assert _jobs_started(cluster) - before == N_RECORDINGS
    for name in cluster.homes:
        state = cluster.state_of(name)
        assert state["weights_env"] == str(weights_dir.resolve())
        # one BLAS (and torch) thread per Dask thread (--nthreads 1)
        assert state["blas_threads"] == [1]
        # torch is loaded only where a torch backend runs (not the default)
        assert state["torch_threads"] in (None, 1)
        assert state["compute_threads"] == 1  # onnxruntime, feature threads
        # the nanny's MALLOC_TRIM_THRESHOLD_ no longer freezes glibc's mmap threshold
        assert state["heap_reuse"] == [True]

    loky_tsvs, dask_tsvs = _stems(loky_root), _stems(dask_root)
    assert len(dask_tsvs) == N_RECORDINGS
    assert [p.relative_to(dask_root) for p in dask_tsvs] == [
        p.relative_to(loky_root) for p in loky_tsvs
    ]
    for loky, dask in zip(loky_tsvs, dask_tsvs, strict=True):
        assert dask.read_bytes() == loky.read_bytes(), dask.name


def _weights_row(name: str) -> dict:
    """Run on a worker: where its lookup finds a weights file."""
    return dict(recording=name, path=str(get_weights_path(name, download=False)))


def test_unreadable_weights_are_sent_once(cluster, tmp_path, monkeypatch, weights_dir):
    """Weights the workers cannot read at the client's path reach their cache."""
    client_dir = tmp_path / "client"
    (client_dir / "weights").mkdir(parents=True)
    shutil.copyfile(weights_dir / "ICLabelNet.pt", client_dir / "weights/ICLabelNet.pt")
    monkeypatch.chdir(client_dir)
    settings = preflight_client(["iclabel"], backend="torch")
    assert list(settings.weights) == ["ICLabelNet.pt"]
    # a path that only the client resolves (the workers run in other folders),
    # as when the client's folder is not mounted on the workers' machines
    sha = WEIGHTS["ICLabelNet.pt"][1]
    settings = dataclasses.replace(
        settings, weights={"ICLabelNet.pt": ("weights/ICLabelNet.pt", sha)}
    )
    expected = {
        name: (home / "mne_data" / CACHE_FOLDER).resolve()
        for name, home in cluster.homes.items()
    }
    with JobRunner(settings, dask_scheduler=cluster.scheduler_file) as runner:
        assert sorted(runner.sent.values()) == [["ICLabelNet.pt"]] * 2
        by_name = {report["name"]: report for report in runner.reports.values()}
        rows = runner.run(_weights_row, [("ICLabelNet.pt",)] * 4, list("abcd"), "x")
    for name, folder in expected.items():
        assert by_name[name]["ok"], by_name[name]
        assert by_name[name]["weights_dir"] == str(folder)
        data = (folder / "ICLabelNet.pt").read_bytes()
        assert hashlib.sha256(data).hexdigest() == WEIGHTS["ICLabelNet.pt"][1]
    assert {row["path"] for row in rows} <= {
        str(folder / "ICLabelNet.pt") for folder in expected.values()
    }
    # a new dispatch finds the files already installed: nothing is sent again
    settings = dataclasses.replace(settings, token="second")
    with JobRunner(settings, dask_scheduler=cluster.scheduler_file) as runner:
        assert runner.sent == {}
        assert all(report["ok"] for report in runner.reports.values())


def test_worker_without_package(lonely_cluster, tiny_bids, tmp_path):
    """A worker lacking onnxruntime is named and gets no recording."""
    kwargs = dict(
        backend="onnx",
        dask_scheduler=lonely_cluster.scheduler_file,
        n_components=N_COMPONENTS,
        report=False,
        verbose="warning",
    )
    # its only worker cannot run the jobs: one error, nothing written
    root = tmp_path / "alone"
    shutil.copytree(tiny_bids, root)
    with pytest.raises(
        RuntimeError,
        match=r"(?s)No worker of the Dask cluster tcp://127\.0\.0\.1:\d+ can run the "
        r"jobs; none was started\. Dask worker tcp://127\.0\.0\.1:\d+ \(name "
        r"'no-onnxruntime', host .*Missing optional dependency 'onnxruntime'.*pip "
        r"install onnxruntime",
    ):
        label_bids_dataset(root, **kwargs)
    assert not (root / "derivatives").exists()
    state = lonely_cluster.state_of("no-onnxruntime")
    assert state["jobs_started"] == {} and state["prepared"] == []

    # with a healthy worker beside it, the recordings all go to that one
    lonely_cluster.start_worker("healthy")
    root = tmp_path / "mixed"
    shutil.copytree(tiny_bids, root)
    with pytest.warns(
        RuntimeWarning,
        match=r"Dask worker .*'no-onnxruntime'.*onnxruntime.*Its jobs run on the "
        "other workers",
    ):
        summary = label_bids_dataset(root, **kwargs)
    assert list(summary["status"]) == ["labelled"] * N_RECORDINGS
    assert lonely_cluster.state_of("no-onnxruntime")["jobs_started"] == {}
    healthy = lonely_cluster.state_of("healthy")["jobs_started"]
    assert sum(healthy.values()) == N_RECORDINGS
