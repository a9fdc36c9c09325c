"""Tests of the weights resolver; the network is never used.

``pooch.retrieve`` is mocked here, ``pip download`` in conftest (`FakePip`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
from pathlib import Path

import pooch
import pytest

from mne_icalabel.commands.main import main
from mne_icalabel.datasets import weights
from mne_icalabel.datasets.weights import (
    WEIGHTS,
    WeightsError,
    fetch_weights,
    get_weights_path,
)

NAMES = list(WEIGHTS)


class _NoNetwork(ConnectionError):
    pass


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path) -> list[dict]:
    """Empty MNE_DATA and weights folder, fresh hash cache, no network.

    Returns the list of the keyword arguments of every ``pooch.retrieve`` call.
    """
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "mne_data"))
    # an empty environment variable hides a value in the MNE config file
    monkeypatch.setenv(weights.CONFIG_KEY, "")
    monkeypatch.setattr(weights, "_VERIFIED", set())
    calls: list[dict] = []

    def no_network(url, **kwargs):
        calls.append(dict(url=url, **kwargs))
        raise _NoNetwork(f"Failed to resolve host of {url}")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    return calls


@pytest.fixture
def serve(monkeypatch, offline, weights_dir):
    """Make ``pooch.retrieve`` "download" by copying the shared file."""

    def fake_retrieve(url, known_hash, fname, path, **kwargs):
        offline.append(dict(url=url, known_hash=known_hash, fname=fname, **kwargs))
        assert url.endswith("/" + fname)
        target = Path(path) / fname
        shutil.copyfile(weights_dir / fname, target)
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    return offline


def _cache(tmp_path) -> Path:
    return tmp_path / "mne_data" / "MNE-icalabel-weights"


def _corrupt(fname: Path) -> str:
    """Flip one byte of ``fname``; return its new SHA256."""
    data = bytearray(fname.read_bytes())
    data[len(data) // 2] ^= 0xFF
    fname.write_bytes(bytes(data))
    stat = fname.stat()
    os.utime(fname, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    return hashlib.sha256(bytes(data)).hexdigest()


@pytest.mark.parametrize("name", NAMES)
def test_env_var_folder(name, weights_dir, monkeypatch, offline):
    monkeypatch.setenv(weights.CONFIG_KEY, str(weights_dir))
    fname = get_weights_path(name)
    assert fname == (weights_dir / name).resolve()
    assert fname.is_absolute()
    assert not offline


def test_explicit_path(weights_dir, tmp_path, monkeypatch, offline):
    name = "ICLabelNet.onnx"
    expected = (weights_dir / name).resolve()
    assert get_weights_path(name, weights_dir / name) == expected
    assert get_weights_path(name, str(weights_dir)) == expected
    # an explicit path is the only place looked at
    monkeypatch.setenv(weights.CONFIG_KEY, str(weights_dir))
    with pytest.raises(WeightsError, match="No weights file at") as info:
        get_weights_path(name, tmp_path)
    assert str(tmp_path / name) in str(info.value)
    assert weights.CONFIG_KEY in str(info.value)
    with pytest.raises(TypeError, match="path must be an instance of"):
        get_weights_path(name, 3)
    assert not offline


def test_cache_under_mne_data(weights_dir, tmp_path, monkeypatch, offline):
    cache = _cache(tmp_path)
    cache.mkdir(parents=True)
    shutil.copyfile(weights_dir / "ICLabelNet.pt", cache / "ICLabelNet.pt")
    assert get_weights_path("ICLabelNet.pt") == (cache / "ICLabelNet.pt").resolve()
    # a weights folder without the file falls back to the cache
    monkeypatch.setenv(weights.CONFIG_KEY, str(tmp_path / "empty"))
    assert get_weights_path("ICLabelNet.pt") == (cache / "ICLabelNet.pt").resolve()
    assert not offline


@pytest.mark.parametrize("where", ["explicit", "env"])
def test_corrupted_file(where, weights_dir, tmp_path, monkeypatch, offline):
    name = "ICLabelNet.onnx"
    folder = tmp_path / "weights"
    folder.mkdir()
    shutil.copyfile(weights_dir / name, folder / name)
    actual = _corrupt(folder / name)
    loaded = []
    monkeypatch.setattr(weights, "_VERIFIED", set())
    if where == "env":
        monkeypatch.setenv(weights.CONFIG_KEY, str(folder))
        call = lambda: get_weights_path(name)  # noqa: E731
    else:
        call = lambda: get_weights_path(name, folder / name)  # noqa: E731
    with pytest.raises(WeightsError, match="corrupt") as info:
        loaded.append(call())
    message = str(info.value)
    assert f"its SHA256 is {actual}, expected {WEIGHTS[name][1]}" in message
    assert "It was not loaded" in message
    assert str((folder / name).resolve()) in message
    assert not loaded
    assert not offline  # a corrupt file given by the user is not replaced


def test_file_changed_after_verification(weights_dir, tmp_path):
    fname = tmp_path / "ICLabelNet.pt"
    shutil.copyfile(weights_dir / fname.name, fname)
    assert get_weights_path(fname.name, fname) == fname.resolve()
    _corrupt(fname)
    with pytest.raises(WeightsError, match="SHA256"):
        get_weights_path(fname.name, fname)


def test_corrupted_cache_is_downloaded_again(tmp_path, serve):
    cache = _cache(tmp_path)
    cache.mkdir(parents=True)
    fname = cache / "megnet.onnx"
    fname.write_bytes(b"not a network")
    with pytest.raises(WeightsError, match="corrupt"):
        get_weights_path("megnet.onnx", download=False)
    assert not serve
    assert get_weights_path("megnet.onnx") == fname.resolve()
    assert len(serve) == 1
    assert hashlib.sha256(fname.read_bytes()).hexdigest() == WEIGHTS["megnet.onnx"][1]


def test_missing_without_network(tmp_path, offline, fake_pip):
    """The download on first use tries the URL only; its error names the command."""
    name = "ICLabelNet.pt"
    with pytest.raises(WeightsError, match="could not be downloaded") as info:
        get_weights_path(name)
    message = str(info.value)
    assert "_NoNetwork: Failed to resolve host" in message
    assert weights.CONFIG_KEY in message
    assert "mne-icalabel fetch-weights" in message
    assert str(_cache(tmp_path)) in message
    assert isinstance(info.value.__cause__, _NoNetwork)
    assert len(offline) == 1
    assert offline[0]["url"].endswith("iclabel/network/assets/ICLabelNet.pt")
    # download=False does not even try
    with pytest.raises(WeightsError, match="download=False") as info:
        get_weights_path(name, download=False)
    assert weights.CONFIG_KEY in str(info.value)
    assert "fetch-weights" in str(info.value)
    assert len(offline) == 1
    assert fake_pip.calls == []


def test_download(tmp_path, serve):
    fname = get_weights_path("ICLabelNet.onnx")
    assert fname == (_cache(tmp_path) / "ICLabelNet.onnx").resolve()
    assert len(serve) == 1
    assert serve[0]["known_hash"] == "sha256:" + WEIGHTS["ICLabelNet.onnx"][1]
    assert serve[0]["fname"] == "ICLabelNet.onnx"
    assert isinstance(serve[0]["progressbar"], bool)
    # now cached: no second download
    assert get_weights_path("ICLabelNet.onnx") == fname
    assert len(serve) == 1


def test_download_logs_only_as_asked(monkeypatch, caplog):
    """pooch's own "Downloading" line is silenced; ours follows ``verbose``."""

    def chatty(url, fname, path, **kwargs):
        pooch.get_logger().info(f"Downloading data from {url!r}")
        raise _NoNetwork("offline")

    monkeypatch.setattr(pooch, "retrieve", chatty)
    # pooch's logger has no parent: caplog does not see it, a handler does
    emitted = []
    handler = logging.Handler()
    handler.emit = emitted.append
    pooch_logger = pooch.get_logger()
    level = pooch_logger.level
    pooch_logger.addHandler(handler)
    ours = {}
    try:
        for verbose in ("warning", "info"):
            caplog.clear()
            with pytest.raises(WeightsError):
                get_weights_path("megnet.onnx", verbose=verbose)
            ours[verbose] = caplog.text.count("Downloading megnet.onnx from https://")
    finally:
        pooch_logger.removeHandler(handler)
    assert emitted == []
    assert ours == {"warning": 0, "info": 1}
    assert pooch.get_logger().level == level  # restored


def test_download_without_tqdm(monkeypatch, serve):
    """The progress bar is only requested when tqdm can be imported."""
    monkeypatch.setitem(sys.modules, "tqdm", None)
    get_weights_path("ICLabelNet.onnx", verbose="info")
    assert serve[-1]["progressbar"] is False


def test_download_of_wrong_file(monkeypatch, tmp_path):
    def wrong_file(url, fname, path, **kwargs):
        target = Path(path) / fname
        target.write_bytes(b"an html error page")
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", wrong_file)
    with pytest.raises(WeightsError, match="SHA256"):
        get_weights_path("ICLabelNet.pt")


def test_fetch_weights(tmp_path, serve, fake_pip):
    dest = tmp_path / "offline-cluster"
    paths = fetch_weights(dest)
    assert list(paths) == NAMES
    for name, fname in paths.items():
        assert fname == (dest / name).resolve()
        assert hashlib.sha256(fname.read_bytes()).hexdigest() == WEIGHTS[name][1]
    assert sorted(call["fname"] for call in serve) == sorted(NAMES)
    assert fake_pip.calls == []  # the URL works: no pip
    # present and valid: nothing downloaded; a corrupt one is replaced
    _corrupt(dest / "megnet.onnx")
    assert fetch_weights(dest) == paths
    assert [call["fname"] for call in serve[3:]] == ["megnet.onnx"]
    # None: the cache folder
    assert fetch_weights()["ICLabelNet.pt"].parent == _cache(tmp_path).resolve()


def test_fetch_weights_without_url_nor_index(tmp_path, offline, fake_pip, capsys):
    """Both routes fail: the error gives each reason and the offline ways."""
    cache = _cache(tmp_path)
    with pytest.raises(WeightsError) as info:
        fetch_weights()
    message = str(info.value)
    assert message.startswith(
        f"Could not fetch ICLabelNet.onnx, ICLabelNet.pt, megnet.onnx into {cache}: "
    )
    # the URL is tried once, not once per file
    assert len(offline) == 1
    assert "from the release URL" in message and "_NoNetwork: Failed" in message
    assert len(fake_pip.calls) == 1
    assert "via pip: 'python -m pip download --no-deps --only-binary=:all: " in message
    assert "exited with code 1" in message
    assert "No matching distribution found for mne-icalabel==0.10.0" in message
    assert "'mne-icalabel fetch-weights --source DIR'" in message
    assert weights.CONFIG_KEY in message
    assert not cache.exists() or not any(cache.iterdir())
    # the command: exit code 1 and the same reasons on one line
    assert main(["fetch-weights"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mne-icalabel fetch-weights: error: Could not fetch")
    assert "No matching distribution found" in err and "--source DIR" in err
    assert err.count("\n") == 1


def test_fetch_weights_from_wheel(tmp_path, offline, fake_pip, fake_weights, capsys):
    """The URL fails: the files come from the released wheel, obtained with pip."""
    fake_pip.serve(fake_weights)
    cache = _cache(tmp_path)
    paths = fetch_weights()
    assert len(offline) == 1  # the URL first
    (command,) = fake_pip.calls
    download_dir = command[command.index("-d") + 1]
    assert command == [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        download_dir,
        "mne-icalabel==0.10.0",
    ]
    assert not Path(download_dir).exists()  # the wheel is deleted
    assert list(paths) == NAMES
    for name, fname in paths.items():
        assert fname == (cache / name).resolve()
        assert fname.read_bytes() == fake_weights[name]  # not the decoys
    assert sorted(os.listdir(cache)) == sorted(NAMES)  # no temporary files
    # the package finds them without a download
    assert get_weights_path("megnet.onnx", download=False) == paths["megnet.onnx"]
    # the command says where they came from, and fetches nothing present
    assert main(["fetch-weights"]) == 0
    out = capsys.readouterr().out
    assert out.count("(already present)") == 3
    assert len(fake_pip.calls) == 1 and len(offline) == 1
    (cache / "ICLabelNet.pt").unlink()
    assert main(["fetch-weights", "--via", "pip"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == (
        f"ICLabelNet.pt     {cache.resolve() / 'ICLabelNet.pt'}  "
        "(from the mne-icalabel 0.10.0 wheel via pip)"
    )
    assert out[0].endswith("(already present)") and out[2].endswith("(already present)")
    assert len(fake_pip.calls) == 2 and len(offline) == 1


def test_wheel_member_with_wrong_hash_is_refused(
    tmp_path, offline, fake_pip, fake_weights
):
    tampered = b"not the released network"
    fake_pip.serve(fake_weights, {**fake_weights, "megnet.onnx": tampered})
    cache = _cache(tmp_path)
    with pytest.raises(WeightsError) as info:
        fetch_weights(via="pip")
    message = str(info.value)
    assert message.startswith(f"Could not fetch megnet.onnx into {cache} ")
    assert (
        "mne_icalabel/megnet/assets/megnet.onnx in "
        "mne_icalabel-0.10.0-py3-none-any.whl has SHA256 "
        f"{hashlib.sha256(tampered).hexdigest()}, expected "
        f"{WEIGHTS['megnet.onnx'][1]}; it was not kept"
    ) in message
    assert "--source DIR" in message
    # refused: neither the file nor a temporary one is left; the verified
    # members are kept
    assert sorted(os.listdir(cache)) == ["ICLabelNet.onnx", "ICLabelNet.pt"]
    for name in ("ICLabelNet.onnx", "ICLabelNet.pt"):
        assert (cache / name).read_bytes() == fake_weights[name]
    assert offline == []  # via="pip": no URL


def test_wheel_without_member(tmp_path, offline, fake_pip, fake_weights):
    """A member is looked up by its exact path; a decoy elsewhere is not used."""
    fake_pip.serve(fake_weights, {"ICLabelNet.onnx": fake_weights["ICLabelNet.onnx"]})
    with pytest.raises(WeightsError, match="has no member mne_icalabel/iclabel/"):
        fetch_weights(via="pip")
    assert os.listdir(_cache(tmp_path)) == ["ICLabelNet.onnx"]


def test_pip_leaves_no_wheel(tmp_path, offline, fake_pip):
    fake_pip.returncode, fake_pip.stderr = 0, ""
    with pytest.raises(WeightsError, match="succeeded but left 0 files matching"):
        fetch_weights(via="pip")


def test_via_url_never_runs_pip(tmp_path, offline, fake_pip):
    with pytest.raises(WeightsError, match=r"\(only via='url' was tried\)"):
        fetch_weights(via="url")
    assert fake_pip.calls == [] and len(offline) == 1
    with pytest.raises(ValueError, match="Invalid value for the 'via' parameter"):
        fetch_weights(via="index")
    assert fake_pip.calls == [] and len(offline) == 1


def test_fetch_weights_from_local_source(tmp_path, offline, weights_dir):
    """--source copies verified files, no network needed; a corrupt one fails."""
    paths = fetch_weights(source=weights_dir)
    assert offline == []  # pooch.retrieve never called
    for name, fname in paths.items():
        assert fname.parent == _cache(tmp_path).resolve()
        assert fname.read_bytes() == (weights_dir / name).read_bytes()
    # the package now finds them in the cache without any configuration
    assert get_weights_path("megnet.onnx") == paths["megnet.onnx"]
    source = tmp_path / "stick"
    source.mkdir()
    for name in NAMES:
        (source / name).write_bytes((weights_dir / name).read_bytes())
    actual = _corrupt(source / "ICLabelNet.pt")
    dest = tmp_path / "elsewhere"
    with pytest.raises(WeightsError, match=actual):
        fetch_weights(dest, source=source)
    assert not (dest / "ICLabelNet.pt").exists()
    with pytest.raises(WeightsError, match="does not exist"):
        fetch_weights(dest, source=tmp_path / "missing")


def test_invalid_name():
    with pytest.raises(ValueError, match="Unknown weights file 'ICLabel.onnx'"):
        get_weights_path("ICLabel.onnx")
    with pytest.raises(TypeError, match="name must be an instance of str"):
        get_weights_path(Path("ICLabelNet.onnx"))
