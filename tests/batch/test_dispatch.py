"""The dispatch engine in one process: pre-flight checks, weights transfer."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path

import pytest

from mne_icalabel.batch import label_bids_dataset
from mne_icalabel.batch._dispatch import (
    _connect,
    _prepare_worker,
    preflight_client,
)
from mne_icalabel.datasets.weights import (
    CACHE_FOLDER,
    CONFIG_KEY,
    WEIGHTS,
    WeightsError,
    install_weights,
    read_verified_weights,
    resolve_weights,
)

NAME = "ICLabelNet.onnx"


def _offline(monkeypatch, tmp_path: Path) -> Path:
    """No weights anywhere and no download: an empty folder, cache and network."""
    import pooch

    def refuse(*args, **kwargs):
        raise OSError("no network in this test")

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(CONFIG_KEY, str(empty))
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "mne_data"))
    monkeypatch.setattr(pooch, "retrieve", refuse)
    return tmp_path / "mne_data" / CACHE_FOLDER


def test_client_preflight_stops_before_any_recording(bids_root, tmp_path, monkeypatch):
    deriv = bids_root / "derivatives"
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
        with pytest.raises(ImportError, match="onnxruntime.*pip install onnxruntime"):
            label_bids_dataset(bids_root, backend="onnx")
    assert not deriv.exists()
    _offline(monkeypatch, tmp_path)
    with pytest.raises(WeightsError, match="'ICLabelNet.pt' was not found locally"):
        label_bids_dataset(bids_root, backend="torch")
    assert not deriv.exists()
    with pytest.raises(ValueError, match="blas_threads must be at least 1"):
        label_bids_dataset(bids_root, blas_threads=0)


def test_resolve_weights_one_error(tmp_path, monkeypatch, weights_dir):
    found = resolve_weights([NAME, NAME])
    assert list(found) == [NAME]
    assert found[NAME] == ((weights_dir / NAME).resolve(), WEIGHTS[NAME][1])
    _offline(monkeypatch, tmp_path)
    with pytest.raises(WeightsError, match="(?s)ICLabelNet.onnx.*megnet.onnx"):
        resolve_weights([NAME, "megnet.onnx"])


def test_install_weights(tmp_path, weights_dir):
    data = read_verified_weights(weights_dir / NAME, NAME)
    folder = tmp_path / "cache"
    paths = install_weights({NAME: data}, folder)
    assert paths == {NAME: (folder / NAME).resolve()}
    assert hashlib.sha256(paths[NAME].read_bytes()).hexdigest() == WEIGHTS[NAME][1]
    mtime = paths[NAME].stat().st_mtime_ns
    assert install_weights({NAME: data}, folder) == paths  # kept, not rewritten
    assert paths[NAME].stat().st_mtime_ns == mtime

    corrupt = data[:-1] + bytes([data[-1] ^ 1])
    with pytest.raises(WeightsError, match="from the bytes received are corrupt"):
        install_weights({NAME: corrupt}, tmp_path / "other")
    assert not (tmp_path / "other").exists()
    (tmp_path / "bad.onnx").write_bytes(corrupt)
    with pytest.raises(WeightsError, match="bad.onnx are corrupt"):
        read_verified_weights(tmp_path / "bad.onnx", NAME)


def test_prepare_worker(tmp_path, monkeypatch, weights_dir):
    settings = preflight_client(["iclabel"], backend="onnx", packages=("mne_bids",))
    assert settings.backends == {"iclabel": "onnx"}
    assert settings.packages[0] == "mne_bids" and "onnxruntime" in settings.packages
    data = read_verified_weights(weights_dir / NAME, NAME)
    cache = _offline(monkeypatch, tmp_path)
    # the client's folder is not visible here and the cache is empty
    elsewhere = dataclasses.replace(
        settings, weights={NAME: ("/not/on/this/worker/" + NAME, WEIGHTS[NAME][1])}
    )
    report = _prepare_worker(elsewhere)
    assert not report["ok"] and report["needs"] == [NAME]
    assert report["problems"] == []
    report = _prepare_worker(elsewhere, {NAME: data})
    assert report["ok"], report
    assert report["weights_dir"] == str(cache.resolve())
    assert (cache / NAME).is_file()
    assert os.environ[CONFIG_KEY] == str(cache.resolve())
    # next time, the cache is found without receiving anything
    again = _prepare_worker(dataclasses.replace(elsewhere, token="again"))
    assert again["ok"] and again["needs"] == []

    other = dataclasses.replace(settings, version="0.0.1", token="old")
    report = _prepare_worker(other)
    assert not report["ok"]
    assert "the client 0.0.1; install the same version" in report["problems"][0]
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "onnxruntime", None)
        report = _prepare_worker(dataclasses.replace(settings, token="no-ort"))
    assert not report["ok"]
    assert "pip install onnxruntime" in report["problems"][0]


def test_missing_scheduler_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="dask scheduler --scheduler-file"):
        _connect(tmp_path / "scheduler.json")
    with pytest.raises(FileNotFoundError, match="No Dask scheduler file"):
        _connect(str(tmp_path / "scheduler.json"))


def test_cli_scheduler_file(bids_root, tmp_path, capsys):
    from mne_icalabel.commands.main import main

    missing = tmp_path / "scheduler.json"
    assert main(["bids", str(bids_root), "--dask-scheduler-file", str(missing)]) == 1
    err = capsys.readouterr().err.strip()
    assert f"No Dask scheduler file at {missing}" in err
    assert len(err.splitlines()) == 1
    assert not (bids_root / "derivatives").exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["bids", "x", "--dask-scheduler", "h:1", "--dask-scheduler-file", "s"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
