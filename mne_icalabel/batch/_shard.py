"""One part of a dataset's recordings, for array jobs (``--shard K/N``).

The selected recordings are sorted by their key (the path relative to the
BIDS root) and dealt out round-robin: part ``K`` of ``N`` holds the recordings
at positions ``K-1, K-1+N, K-1+2N, ...`` of the sorted list. Round-robin over
the sorted keys, rather than a hash of each key, because it makes parts whose
sizes differ by one at most (a hash leaves parts empty or double on small
datasets: with one part per recording, each part is exactly one recording)
and spreads the recordings of one subject, often alike in size, over the
parts. The parts depend only on the recordings selected, never on which are
already done, so that a resubmitted array gives each task the same
recordings.

``K`` counts from 1 (1..N), as ``sbatch --array=1-N`` numbers its tasks.
``K = 0`` is accepted too and is the same part as ``K = N``, so that a 0-based
array (``--array=0-(N-1)``) with ``--shard $SLURM_ARRAY_TASK_ID/N`` also runs
every part exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from mne.utils import _ensure_int, _validate_type, logger

T = TypeVar("T")

_FORMAT = (
    "K/N with 1 <= K <= N (K = 0 means K = N, for 0-based arrays), e.g. "
    "'--shard 2/8' or '--shard $SLURM_ARRAY_TASK_ID/8'"
)


def check_shard(shard, name: str = "shard") -> tuple[int, int] | None:
    """Return ``shard`` as ``(k, n)`` with ``1 <= k <= n``, or None.

    Parameters
    ----------
    shard : tuple of int | str | None
        ``(k, n)`` or the text ``"K/N"``; ``k = 0`` is read as ``k = n``.
    name : str
        The parameter's name in messages.

    Returns
    -------
    shard : tuple of int | None
        ``(k, n)``, ``k`` in 1..n.
    """
    if shard is None:
        return None
    if isinstance(shard, str):
        return parse_shard(shard)
    if isinstance(shard, list):
        shard = tuple(shard)
    _validate_type(shard, (tuple, list), name, "tuple (k, n), 'K/N' or None")
    if len(shard) != 2:
        raise ValueError(f"{name} must be (k, n), got {shard!r}; expected {_FORMAT}.")
    k = _ensure_int(shard[0], f"{name}[0]")
    n = _ensure_int(shard[1], f"{name}[1]")
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"{name}={shard!r} is not a part: expected {_FORMAT}.")
    return (n if k == 0 else k), n


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"K/N"`` (see :func:`check_shard`); raise naming the format."""
    k, sep, n = str(text).strip().partition("/")
    try:
        k, n = int(k), int(n)
    except ValueError:
        sep = ""
    if not sep or n < 1 or not 0 <= k <= n:
        raise ValueError(f"--shard {text!r} is not a part: expected {_FORMAT}.")
    return (n if k == 0 else k), n


def select_part(
    items: Sequence[T], shard: tuple[int, int] | None, key: Callable[[T], str]
) -> list[T]:
    """Return part ``shard = (k, n)`` of ``items`` (all of them for None).

    ``items`` are sorted by ``key`` and dealt out round-robin; the part keeps
    that order. The part and its size are logged (INFO).
    """
    if shard is None:
        return list(items)
    k, n = shard
    part = sorted(items, key=key)[k - 1 :: n]
    logger.info(
        f"Part {k}/{n}: {len(part)} of the {len(items)} recording(s) selected"
        + ("" if part else ", nothing to do")
    )
    return part
