"""``mne-icalabel fetch-weights``: fetch and verify the network weights."""

from __future__ import annotations

from pathlib import Path

from ..datasets.weights import CONFIG_KEY, _fetch_all
from ._common import make_subparser

_EXAMPLES = """  mne-icalabel fetch-weights
  mne-icalabel fetch-weights --via pip
  mne-icalabel fetch-weights --source /media/usb/icalabel-weights
  mne-icalabel fetch-weights --dest /shared/icalabel-weights
  export MNE_ICALABEL_WEIGHTS_PATH=/shared/icalabel-weights"""


def add_parser(subparsers, name: str):
    """Register the ``fetch-weights`` subcommand."""
    parser = make_subparser(
        subparsers,
        name,
        "fetch and verify the network weights",
        "Put the ICLabel and MEGNet weights (SHA256-pinned) into the cache, e.g. "
        "before working offline or on a cluster. They are downloaded from the "
        "release URL or, when it cannot be reached, taken from the mne-icalabel "
        "0.10.0 wheel that 'python -m pip download' gets from your package index "
        "(pip's own configuration applies). Files already present with the right "
        "hash are not fetched again; a file with a wrong hash is never kept. "
        "Each file is listed with where it came from.",
        _EXAMPLES,
    )
    parser.add_argument(
        "--dest",
        type=Path,
        metavar="DIR",
        help="folder to put the files in (default: <MNE_DATA>/MNE-icalabel-weights)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        metavar="DIR",
        help="copy the files from this local folder (verified) instead of "
        "fetching them; works offline",
    )
    parser.add_argument(
        "--via",
        choices=("auto", "url", "pip"),
        default="auto",
        help="how to fetch the files missing from --dest and --source: the "
        "release URL, the mne-icalabel 0.10.0 wheel via pip, or auto (the URL, "
        "then pip; default)",
    )
    return parser


def run(args) -> int:
    """Fetch the weights and list them with their origin."""
    fetched = _fetch_all(args.dest, args.source, args.via)
    for name, got in fetched.items():
        print(f"{name:<18}{got.path}  ({got.origin})")
    if args.dest is not None:
        print(
            f"Point {CONFIG_KEY} at {args.dest} (environment variable or "
            "mne.set_config) to use them."
        )
    return 0
