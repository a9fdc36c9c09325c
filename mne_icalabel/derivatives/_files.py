"""The one way the package writes a file: atomically, through :func:`writing`.

Every file the package writes (the components TSV and its sidecar, ICAs,
reports, cleaned recordings and their sidecars, ``summary.tsv``, the dataset
description) goes through :func:`writing`: a temporary file
beside the destination, flushed, then renamed over it (see
:func:`mne_icalabel.utils._io.atomic_path`). Readers never see half a file,
and a test can count the writes by wrapping this one function.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..utils._io import atomic_path, temporary_folder

if TYPE_CHECKING:
    from mne.io import BaseRaw
    from mne.preprocessing import ICA


@contextmanager
def writing(fname: str | os.PathLike, *, size: int | None = None) -> Iterator[Path]:
    """Yield the temporary path to write; it replaces ``fname`` on success.

    ``size``: the bytes about to be written, if known, for the message of a
    full disk.
    """
    with atomic_path(fname, size=size) as tmp:
        yield tmp


def write_text(fname: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``fname``."""
    data = text.encode("utf-8")
    with writing(fname, size=len(data)) as tmp:
        tmp.write_bytes(data)


def write_json(
    fname: str | os.PathLike, content: dict[str, Any], *, ensure_ascii: bool = True
) -> None:
    """Write a JSON object, indented by 4 spaces, with a final newline."""
    text = json.dumps(content, indent=4, ensure_ascii=ensure_ascii) + "\n"
    write_text(fname, text)


def save_ica(ica: ICA, fname: str | os.PathLike) -> Path:
    """Save ``ica`` to ``fname`` (a ``*ica.fif`` name)."""
    fname = Path(fname)
    with writing(fname) as tmp:
        ica.save(tmp, overwrite=True, verbose=False)
    return fname


def save_report(report, fname: str | os.PathLike) -> Path:
    """Save an :class:`mne.Report` as HTML to ``fname``."""
    fname = Path(fname)
    with writing(fname) as tmp:
        report.save(tmp, open_browser=False, overwrite=True, verbose=False)
    return fname


def save_raw(raw: BaseRaw, fname: Path, split_size: str = "2GB") -> list[Path]:
    """Save ``raw`` to ``fname`` (split with BIDS names), each part atomically.

    The parts are written into a temporary folder beside ``fname``, then each
    is moved over its destination with :func:`writing`; parts of an older
    write that this one does not have are removed afterwards.
    """
    folder = fname.parent
    # a full disk raises an error naming the folder, the free space and at
    # least the samples' bytes (float32, MNE's default format)
    size = 4 * len(raw.ch_names) * raw.n_times
    with temporary_folder(fname, size=size) as tmpdir:
        raw.save(
            tmpdir / fname.name,
            split_size=split_size,
            split_naming="bids",
            overwrite=True,
        )
        parts = sorted(tmpdir.iterdir())
        written = []
        for part in parts:
            dest = folder / part.name
            with writing(dest) as tmp:
                os.replace(part, tmp)
            written.append(dest)
    # MNE names the parts of a BIDS-named file <entities>_split-01_<suffix>.fif
    base, suffix = fname.name.removesuffix(".fif").rsplit("_", 1)
    stale = {fname, *folder.glob(f"{base}_split-*_{suffix}.fif")} - set(written)
    for old in stale:
        old.unlink(missing_ok=True)
    return written
