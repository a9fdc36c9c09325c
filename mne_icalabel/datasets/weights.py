"""Locate, verify and download the trained network weights.

The weights are not shipped with the package. A model file is looked up by its
canonical name, in this order:

1. an explicit path given by the caller (a file, or a folder holding the file);
2. the folder named by the environment variable or MNE config key
   ``MNE_ICALABEL_WEIGHTS_PATH``;
3. the cache folder ``<MNE_DATA>/MNE-icalabel-weights`` (``MNE_DATA`` defaults to
   ``~/mne_data``);
4. a download into that cache with :mod:`pooch`, from the release URL.

:func:`fetch_weights` fills the cache ahead of time. When the release URL cannot
be reached (e.g. only a package index is), it takes the same files from the
released ``mne-icalabel`` 0.10.0 wheel, obtained with ``pip download`` so that
the user's own pip configuration (index, proxy, certificates) applies.

Every file is checked against its pinned SHA256 before it is used or kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple

from mne import get_config
from mne.utils import _check_option, _validate_type, logger, verbose

from ..utils._docs import fill_doc
from ..utils._imports import has_module
from ..utils._io import atomic_path

CONFIG_KEY = "MNE_ICALABEL_WEIGHTS_PATH"
CACHE_FOLDER = "MNE-icalabel-weights"
_BASE_URL = "https://github.com/mne-tools/mne-icalabel/raw/v0.9.0/mne_icalabel/"
# The released wheel holds the same files (same SHA256) under mne_icalabel/<path>.
_WHEEL_REQUIREMENT = "mne-icalabel==0.10.0"
_WHEEL_GLOB = "mne_icalabel-0.10.0-*.whl"
_WHEEL_ORIGIN = "from the mne-icalabel 0.10.0 wheel via pip"
_PIP_DOWNLOAD = ["-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
VIA = ("auto", "url", "pip")

#: canonical name -> (path in the upstream release below mne_icalabel/, SHA256)
WEIGHTS: dict[str, tuple[str, str]] = {
    "ICLabelNet.onnx": (
        "iclabel/network/assets/ICLabelNet.onnx",
        "b7dc72bc3fa5960b2843fc6d5ba60add842b0a240c6371598be09b595182c04b",
    ),
    "ICLabelNet.pt": (
        "iclabel/network/assets/ICLabelNet.pt",
        "bccfee77d028858c855ea370b17e21b77e2f52d533775d4c54f12b168063579e",
    ),
    "megnet.onnx": (
        "megnet/assets/megnet.onnx",
        "1a6a5b7ac025c35a30534d5687f7123bdd93fa50e0946f5d1f547686ba3574f2",
    ),
}

# (resolved path, size, mtime_ns, SHA256) of files whose hash was already checked
_VERIFIED: set[tuple[str, int, int, str]] = set()


class WeightsError(RuntimeError):
    """The network weights could not be found, downloaded or verified."""


def _how_to_provide(name: str) -> str:
    return (
        f"To provide the weights: run 'mne-icalabel fetch-weights' (it puts them "
        f"in {_cache_dir()}, from the release URL or else from the mne-icalabel "
        f"0.10.0 wheel on your package index via pip) or 'mne-icalabel "
        f"fetch-weights --source DIR' to copy them there from a local folder, or "
        f"point the environment variable {CONFIG_KEY} at a folder holding '{name}' "
        f"(or call mne.set_config('{CONFIG_KEY}', folder))."
    )


def _cache_dir() -> Path:
    data = get_config("MNE_DATA", default=os.path.join("~", "mne_data"))
    return Path(data).expanduser() / CACHE_FOLDER


def _sha256(fname: Path) -> str:
    with open(fname, "rb") as fid:
        return _hash_stream(fid)


def _hash_stream(src, dst=None) -> str:
    """SHA256 of the binary stream ``src``, read in blocks (copied to ``dst``)."""
    digest = hashlib.sha256()
    for block in iter(lambda: src.read(1 << 20), b""):
        digest.update(block)
        if dst is not None:
            dst.write(block)
    return digest.hexdigest()


def _verify(fname: Path, name: str) -> Path:
    """Return ``fname`` if its SHA256 is the pinned one, else raise WeightsError."""
    fname = fname.resolve()
    stat = fname.stat()
    expected = WEIGHTS[name][1]
    key = (str(fname), stat.st_size, stat.st_mtime_ns, expected)
    if key in _VERIFIED:
        return fname
    actual = _sha256(fname)
    if actual != expected:
        raise WeightsError(
            f"The weights file {fname} is corrupt or not the expected '{name}': its "
            f"SHA256 is {actual}, expected {expected}. It was not loaded. Delete or "
            f"replace it. " + _how_to_provide(name)
        )
    _VERIFIED.add(key)
    return fname


def _check_name(name: str) -> None:
    if name not in WEIGHTS:
        raise ValueError(
            f"Unknown weights file {name!r}; expected one of {sorted(WEIGHTS)}."
        )


@verbose
@fill_doc
def get_weights_path(
    name: str,
    path: str | os.PathLike | None = None,
    *,
    download: bool = True,
    verbose=None,
) -> Path:
    """Get the verified path of a network weights file.

    Parameters
    ----------
    name : str
        Canonical file name: ``"ICLabelNet.onnx"``, ``"ICLabelNet.pt"`` or
        ``"megnet.onnx"``.
    path : path-like | None
        An explicit file, or a folder holding ``name``. If given, it is the only
        place looked at.
    download : bool
        If True (default), download the file into the cache when it is found
        nowhere else.
    %(verbose)s

    Returns
    -------
    fname : Path
        The absolute path of a file whose SHA256 matches the pinned hash.

    Raises
    ------
    WeightsError
        If the file is missing and cannot be downloaded, or its hash does not
        match. The message says how to provide the weights.
    """
    _validate_type(name, str, "name")
    _check_name(name)
    if path is not None:
        _validate_type(path, "path-like", "path")
        fname = Path(path).expanduser()
        if fname.is_dir():
            fname = fname / name
        if not fname.is_file():
            raise WeightsError(f"No weights file at {fname}. " + _how_to_provide(name))
        return _verify(fname, name)

    folder = get_config(CONFIG_KEY)
    if folder:
        fname = Path(folder).expanduser() / name
        if fname.is_file():
            logger.debug(f"Using {name} from {CONFIG_KEY}={folder}")
            return _verify(fname, name)
        logger.info(f"{name} is not in {CONFIG_KEY}={folder}; trying the cache.")

    cached = _cache_dir() / name
    if cached.is_file():
        try:
            return _verify(cached, name)
        except WeightsError:
            if not download:
                raise
            logger.info(f"Cached {name} is corrupt; downloading it again.")
    if not download:
        raise WeightsError(
            f"The weights file '{name}' was not found and download=False. "
            + _how_to_provide(name)
        )
    return _download(name, _cache_dir())


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WeightsError(
            f"Cannot create the weights folder {folder} ({error}). Set MNE_DATA to a "
            f"writable folder, or {CONFIG_KEY} to a folder that holds the weights."
        ) from error


def _url(name: str) -> str:
    return _BASE_URL + WEIGHTS[name][0]


def _retrieve(name: str, folder: Path) -> Path:
    """Download ``name`` from the release URL into ``folder`` (errors propagate)."""
    import pooch

    url = _url(name)
    logger.info(f"Downloading {name} from {url} to {folder}")
    # pooch announces each download at INFO on its own logger, whatever the
    # caller's verbosity; the line above says it when verbosity asks for it
    pooch_logger = pooch.get_logger()
    level = pooch_logger.level
    pooch_logger.setLevel(max(level, logging.WARNING))
    try:
        fname = pooch.retrieve(
            url,
            known_hash=f"sha256:{WEIGHTS[name][1]}",
            fname=name,
            path=folder,
            # pooch's progress bar needs tqdm, an optional dependency
            progressbar=logger.level <= 20 and has_module("tqdm"),
        )
    finally:
        pooch_logger.setLevel(level)
    return _verify(Path(fname), name)


def _download(name: str, folder: Path) -> Path:
    _make_folder(folder)
    try:
        return _retrieve(name, folder)
    except Exception as error:  # network errors, hash mismatch, permissions
        raise WeightsError(
            f"The weights file '{name}' was not found locally and could not be "
            f"downloaded from {_url(name)} ({type(error).__name__}: {error}). "
            + _how_to_provide(name)
        ) from error


class _Fetched(NamedTuple):
    path: Path
    origin: str  # where the file came from, for the user


@verbose
@fill_doc
def fetch_weights(
    dest: str | os.PathLike | None = None,
    *,
    source: str | os.PathLike | None = None,
    via: str = "auto",
    verbose=None,
) -> dict[str, Path]:
    """Fetch and verify all network weights, e.g. for offline use.

    Parameters
    ----------
    dest : path-like | None
        Folder to put the files in. ``None`` uses the cache folder
        ``<MNE_DATA>/MNE-icalabel-weights``, where the package finds them
        without configuration. Files already present with the right hash are
        not fetched again. Point ``MNE_ICALABEL_WEIGHTS_PATH`` at a custom
        folder to use it.
    source : path-like | None
        A local folder holding the weights files (e.g. copied from another
        machine). Its files are verified and copied; a file it lacks is
        fetched as ``via`` says.
    via : ``"auto"`` | ``"url"`` | ``"pip"``
        Where to get the files that are neither in ``dest`` nor in ``source``:
        ``"url"`` downloads them from the release URL; ``"pip"`` runs
        ``python -m pip download --no-deps --only-binary=:all:
        mne-icalabel==0.10.0`` (pip's own configuration chooses the package
        index) and takes them from that wheel (about 49 MB, deleted
        afterwards); ``"auto"`` (default) tries the URL first (it downloads
        only the missing files) and pip when the URL fails.
    %(verbose)s

    Returns
    -------
    paths : dict of str to Path
        The verified file of each canonical weights name.

    Raises
    ------
    WeightsError
        If a file cannot be fetched by any allowed route, or a copied or
        fetched file does not have its pinned SHA256 (such a file is not
        kept). The message gives each route's reason and the offline
        alternatives.

    Notes
    -----
    Every file is written to a temporary name beside its destination and
    renamed once complete and verified, so an interrupted or refused fetch
    leaves no partial file. The log (``verbose="info"``) says where each file
    came from.
    """
    return {name: got.path for name, got in _fetch_all(dest, source, via).items()}


def _fetch_all(dest, source, via: str) -> dict[str, _Fetched]:
    """Do the work of `fetch_weights`; also say where each file came from."""
    _validate_type(dest, ("path-like", None), "dest")
    _validate_type(source, ("path-like", None), "source")
    _validate_type(via, str, "via")
    _check_option("via", via, VIA)
    folder = _cache_dir() if dest is None else Path(dest).expanduser()
    if source is not None and not Path(source).expanduser().is_dir():
        raise WeightsError(f"The source folder {source} does not exist.")
    fetched: dict[str, _Fetched] = {}
    missing = []
    for name in WEIGHTS:
        fname = folder / name
        if fname.is_file():
            try:
                fetched[name] = _Fetched(_verify(fname, name), "already present")
                continue
            except WeightsError:
                logger.info(f"{fname} is corrupt; fetching it again.")
        local = None if source is None else Path(source).expanduser() / name
        if local is not None and local.is_file():
            path = _copy(_verify(local, name), folder, name)
            fetched[name] = _Fetched(path, f"copied from {local.parent}")
        else:
            missing.append(name)
    if missing:
        _make_folder(folder)
    failures = []
    if missing and via in ("auto", "url"):
        for name in list(missing):
            try:
                path = _retrieve(name, folder)
            except Exception as error:  # network errors, hash mismatch, permissions
                failures.append(
                    f"from the release URL ({_url(name)}): "
                    f"{type(error).__name__}: {error}"
                )
                # stop at the first failure: an unreachable host would make
                # each further file wait for its own timeout
                break
            fetched[name] = _Fetched(path, "downloaded from the release URL")
            missing.remove(name)
    if missing and via in ("auto", "pip"):
        if via == "auto":
            logger.info("The release URL failed; trying the package index via pip.")
        try:
            extracted, refused = _from_wheel(missing, folder)
        except WeightsError as error:
            failures.append(f"via pip: {error}")
        else:
            for name, path in extracted.items():
                fetched[name] = _Fetched(path, _WHEEL_ORIGIN)
                missing.remove(name)
            if refused:
                failures.append("via pip: " + "; ".join(refused))
    if missing:
        tried = "" if via == "auto" else f" (only via={via!r} was tried)"
        raise WeightsError(
            f"Could not fetch {', '.join(missing)} into {folder}{tried}: "
            + "; ".join(failures)
            + f". Without a reachable release URL or package index, copy the "
            f"weights from a machine that has them with 'mne-icalabel "
            f"fetch-weights --source DIR' (a folder holding {', '.join(WEIGHTS)}),"
            f" or point the environment variable {CONFIG_KEY} at such a folder."
        )
    return {name: fetched[name] for name in WEIGHTS}


def _from_wheel(names: list[str], folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Get ``names`` from the released wheel, downloaded with pip into a temp dir.

    Returns the verified files written to ``folder`` and the reasons why the
    others were refused (missing member, wrong hash); raises WeightsError if
    pip fails.
    """
    with tempfile.TemporaryDirectory(prefix="mne-icalabel-wheel-") as tmpdir:
        wheel = _pip_download(Path(tmpdir))
        return _extract(wheel, names, folder)


def _pip_download(tmpdir: Path) -> Path:
    """Run ``pip download`` of the released wheel into ``tmpdir``; return it."""
    shown = " ".join(["python", *_PIP_DOWNLOAD, _WHEEL_REQUIREMENT])
    logger.info(f"Running {shown} (about 49 MB)")
    command = [sys.executable, *_PIP_DOWNLOAD, "-d", str(tmpdir), _WHEEL_REQUIREMENT]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            # pip cannot ask for a password: its prompt would be invisible
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as error:
        raise WeightsError(f"could not run '{shown}' ({error})") from error
    if result.returncode != 0:
        raise WeightsError(
            f"'{shown}' exited with code {result.returncode}: "
            f"{_tail(result.stderr or result.stdout)}"
        )
    wheels = sorted(tmpdir.glob(_WHEEL_GLOB))
    if len(wheels) != 1:
        raise WeightsError(
            f"'{shown}' succeeded but left {len(wheels)} files matching "
            f"{_WHEEL_GLOB} (pip said: {_tail(result.stdout)})"
        )
    return wheels[0]


def _tail(text: str, n_lines: int = 12) -> str:
    """Return the last lines of pip's output, where pip says why it failed."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-n_lines:]) or "no output"


def _extract(
    wheel: Path, names: list[str], folder: Path
) -> tuple[dict[str, Path], list[str]]:
    """Stream members of ``wheel`` into ``folder``, keeping only verified ones."""
    paths = {}
    refused = []
    try:
        archive = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as error:
        raise WeightsError(f"{wheel.name} is not a readable wheel ({error})") from error
    with archive:
        for name in names:
            member = "mne_icalabel/" + WEIGHTS[name][0]
            expected = WEIGHTS[name][1]
            try:
                info = archive.getinfo(member)
            except KeyError:
                refused.append(f"{wheel.name} has no member {member}")
                continue
            try:
                with archive.open(info) as src, atomic_path(folder / name) as tmp:
                    with open(tmp, "wb") as dst:
                        actual = _hash_stream(src, dst)
                    if actual != expected:
                        # raised inside atomic_path: the temporary file is removed
                        raise _Refused(
                            f"{member} in {wheel.name} has SHA256 {actual}, "
                            f"expected {expected}; it was not kept"
                        )
            except _Refused as error:
                refused.append(str(error))
                continue
            except (zipfile.BadZipFile, OSError) as error:
                refused.append(f"cannot extract {member} to {folder} ({error})")
                continue
            paths[name] = _verify(folder / name, name)
            logger.info(f"Extracted {name} {_WHEEL_ORIGIN} to {folder}")
    return paths, refused


class _Refused(Exception):
    pass


def _copy(src: Path, folder: Path, name: str) -> Path:
    """Copy a verified file into ``folder`` atomically (temporary file + rename)."""
    try:
        with atomic_path(folder / name) as tmp:
            shutil.copyfile(src, tmp)
    except OSError as error:
        raise WeightsError(
            f"Cannot write {name} into {folder} ({error}). Choose a writable "
            "destination folder."
        ) from error
    logger.info(f"Copied {name} from {src} to {folder}")
    return _verify(folder / name, name)


@verbose
@fill_doc
def resolve_weights(
    names, *, download: bool = True, verbose=None
) -> dict[str, tuple[Path, str]]:
    """Locate and verify several weights files, e.g. before dispatching jobs.

    Parameters
    ----------
    names : iterable of str
        Canonical file names (see :func:`get_weights_path`).
    download : bool
        Download a file found nowhere else into the cache.
    %(verbose)s

    Returns
    -------
    weights : dict of str to (Path, str)
        For each name, the verified file and its SHA256.

    Raises
    ------
    WeightsError
        One error for all the files that could not be found or verified.
    """
    found, problems = {}, []
    for name in dict.fromkeys(names):
        try:
            found[name] = (get_weights_path(name, download=download), WEIGHTS[name][1])
        except WeightsError as error:
            problems.append(str(error))
    if problems:
        raise WeightsError(" ".join(problems))
    return found


def read_verified_weights(fname: str | os.PathLike, name: str) -> bytes:
    """Read a weights file and check the bytes read against the pinned SHA256.

    The hash is computed on the returned bytes themselves, so what is sent
    elsewhere (e.g. to a Dask worker) is exactly what was verified.

    Parameters
    ----------
    fname : path-like
        The file.
    name : str
        Its canonical name.

    Returns
    -------
    data : bytes
        The content of the file.
    """
    _check_name(name)
    data = Path(fname).read_bytes()
    _check_bytes(data, name, str(fname))
    return data


def _check_bytes(data: bytes, name: str, origin: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != WEIGHTS[name][1]:
        raise WeightsError(
            f"The weights '{name}' from {origin} are corrupt: their SHA256 is "
            f"{actual}, expected {WEIGHTS[name][1]}. They were not used."
        )


def install_weights(
    blobs: dict[str, bytes], folder: str | os.PathLike | None = None
) -> dict[str, Path]:
    """Write weights received as bytes into a local folder, verified.

    This is the receiving end of :func:`read_verified_weights`, e.g. on a
    Dask worker that cannot read the files where the client found them. Each
    content is checked against its pinned SHA256 before it is written, written
    atomically, and the written file is verified again. A file already present
    with the right hash is kept.

    Parameters
    ----------
    blobs : dict of str to bytes
        Canonical name -> content.
    folder : path-like | None
        Destination; ``None`` uses the cache ``<MNE_DATA>/MNE-icalabel-weights``,
        where :func:`get_weights_path` finds the files without configuration.

    Returns
    -------
    paths : dict of str to Path
        The verified file of each name.
    """
    folder = _cache_dir() if folder is None else Path(folder).expanduser()
    paths = {}
    for name, data in blobs.items():
        _check_name(name)
        _check_bytes(data, name, "the bytes received")
        fname = folder / name
        try:
            paths[name] = _verify(fname, name)
            continue
        except (OSError, WeightsError):
            pass
        try:
            with atomic_path(fname) as tmp:
                tmp.write_bytes(data)
        except OSError as error:
            raise WeightsError(
                f"Cannot write {name} into {folder} ({error}). Set MNE_DATA to a "
                "writable folder."
            ) from error
        logger.info(f"Installed {name} into {folder}")
        paths[name] = _verify(fname, name)
    return paths
