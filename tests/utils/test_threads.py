"""Thread budget of compute pools and the onnxruntime sessions that use it."""

import os

import pytest

from mne_icalabel.utils._threads import n_threads


@pytest.mark.parametrize(
    "value, cap",
    [("1", 1), ("1,1", 1), (" 1 ", 1), ("", None), ("0", None), ("x", None)],
)
def test_n_threads_follows_affinity_and_omp(value, cap, monkeypatch):
    """The CPUs the process may use, capped by a positive OMP_NUM_THREADS."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert n_threads() == (3 if cap is None else cap)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert n_threads() == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {5}, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    assert n_threads() == 1


@pytest.mark.parametrize("n_cpus", [1, 3])
def test_onnx_sessions_use_the_budget_and_do_not_spin(n_cpus, monkeypatch, weights_dir):
    """ICLabel and MEGNet sessions get n_threads() intra-op threads, no spinning."""
    pytest.importorskip("onnxruntime")
    from mne_icalabel.iclabel.network import onnx as iclabel_onnx
    from mne_icalabel.megnet.network import onnx as megnet_onnx

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(
        os, "sched_getaffinity", lambda pid: set(range(n_cpus)), raising=False
    )
    sessions = [
        iclabel_onnx.load(weights_dir / "ICLabelNet.onnx"),
        megnet_onnx._new_session(str(weights_dir / "megnet.onnx")),
    ]
    for session in sessions:
        options = session.get_session_options()
        assert options.intra_op_num_threads == n_cpus
        key = "session.intra_op.allow_spinning"
        assert options.get_session_config_entry(key) == "0"
