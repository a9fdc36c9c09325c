"""Locate, verify and download the trained network weights.

The weights are not shipped with the package. A model file is looked up by its
canonical name, in this order:

1. an explicit path given by the caller (a file, or a folder holding the file);
2. the folder named by the environment variable or MNE config key
   ``MNE_ICALABEL_WEIGHTS_PATH``;
3. the cache folder ``<MNE_DATA>/MNE-icalabel-weights`` (``MNE_DATA`` defaults to
   ``~/mne_data``);
4. a download into that cache with :mod:`pooch`.

Every file is checked against its pinned SHA256 before it is used.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from mne import get_config
from mne.utils import _validate_type, logger, verbose

from ..utils._docs import fill_doc
from ..utils._imports import has_module
from ..utils._io import atomic_path

CONFIG_KEY = "MNE_ICALABEL_WEIGHTS_PATH"
CACHE_FOLDER = "MNE-icalabel-weights"
_BASE_URL = "https://github.com/mne-tools/mne-icalabel/raw/v0.9.0/mne_icalabel/"

#: canonical name -> (path in the upstream release, SHA256)
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

# (resolved path, size, mtime_ns) of files whose hash was already checked
_VERIFIED: set[tuple[str, int, int]] = set()


class WeightsError(RuntimeError):
    """The network weights could not be found, downloaded or verified."""


def _how_to_provide(name: str) -> str:
    return (
        f"To provide the weights: run 'mne-icalabel fetch-weights' with internet "
        f"access (it downloads them to {_cache_dir()}) or 'mne-icalabel "
        f"fetch-weights --source DIR' to copy them there from a local folder, or "
        f"point the environment variable {CONFIG_KEY} at a folder holding '{name}' "
        f"(or call mne.set_config('{CONFIG_KEY}', folder))."
    )


def _cache_dir() -> Path:
    data = get_config("MNE_DATA", default=os.path.join("~", "mne_data"))
    return Path(data).expanduser() / CACHE_FOLDER


def _sha256(fname: Path) -> str:
    digest = hashlib.sha256()
    with open(fname, "rb") as fid:
        for block in iter(lambda: fid.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(fname: Path, name: str) -> Path:
    """Return ``fname`` if its SHA256 is the pinned one, else raise WeightsError."""
    fname = fname.resolve()
    stat = fname.stat()
    key = (str(fname), stat.st_size, stat.st_mtime_ns)
    if key in _VERIFIED:
        return fname
    expected = WEIGHTS[name][1]
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


def _download(name: str, folder: Path) -> Path:
    import pooch

    url = _BASE_URL + WEIGHTS[name][0]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WeightsError(
            f"Cannot create the weights folder {folder} ({error}). Set MNE_DATA to a "
            f"writable folder, or {CONFIG_KEY} to a folder that holds the weights."
        ) from error
    logger.info(f"Downloading {name} from {url} to {folder}")
    try:
        fname = pooch.retrieve(
            url,
            known_hash=f"sha256:{WEIGHTS[name][1]}",
            fname=name,
            path=folder,
            # pooch's progress bar needs tqdm, an optional dependency
            progressbar=logger.level <= 20 and has_module("tqdm"),
        )
    except Exception as error:  # network errors, hash mismatch, permissions
        raise WeightsError(
            f"The weights file '{name}' was not found locally and could not be "
            f"downloaded from {url} ({type(error).__name__}: {error}). "
            + _how_to_provide(name)
        ) from error
    return _verify(Path(fname), name)


@verbose
@fill_doc
def fetch_weights(
    dest: str | os.PathLike | None = None,
    *,
    source: str | os.PathLike | None = None,
    verbose=None,
) -> dict[str, Path]:
    """Download (or copy) and verify all network weights, e.g. for offline use.

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
        machine). Its files are verified and copied instead of downloaded;
        a file it lacks is downloaded.
    %(verbose)s

    Returns
    -------
    paths : dict of str to Path
        The verified file of each canonical weights name.
    """
    _validate_type(dest, ("path-like", None), "dest")
    _validate_type(source, ("path-like", None), "source")
    folder = _cache_dir() if dest is None else Path(dest).expanduser()
    if source is not None and not Path(source).expanduser().is_dir():
        raise WeightsError(f"The source folder {source} does not exist.")
    paths = {}
    for name in WEIGHTS:
        fname = folder / name
        try:
            paths[name] = _verify(fname, name) if fname.is_file() else None
        except WeightsError:
            paths[name] = None
        if paths[name] is not None:
            continue
        local = None if source is None else Path(source).expanduser() / name
        if local is not None and local.is_file():
            paths[name] = _copy(_verify(local, name), folder, name)
        else:
            paths[name] = _download(name, folder)
    return paths


def _copy(src: Path, folder: Path, name: str) -> Path:
    """Copy a verified file into ``folder`` atomically (temporary file + rename)."""
    import shutil

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
