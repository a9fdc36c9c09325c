"""``mne-icalabel fetch-weights``: download and verify the network weights."""

from __future__ import annotations

from pathlib import Path

from ._common import make_subparser

_EXAMPLES = """  mne-icalabel fetch-weights
  mne-icalabel fetch-weights --source /media/usb/icalabel-weights
  mne-icalabel fetch-weights --dest /shared/icalabel-weights
  export MNE_ICALABEL_WEIGHTS_PATH=/shared/icalabel-weights"""


def add_parser(subparsers, name: str):
    """Register the ``fetch-weights`` subcommand."""
    parser = make_subparser(
        subparsers,
        name,
        "download and verify the network weights",
        "Download the ICLabel and MEGNet weights (SHA256-pinned), e.g. before "
        "working offline or on a cluster. Files already present with the right "
        "hash are not downloaded again.",
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
        "downloading them",
    )
    return parser


def run(args) -> int:
    """Fetch the weights and list them."""
    from ..datasets.weights import CONFIG_KEY, fetch_weights

    paths = fetch_weights(args.dest, source=args.source)
    for name, path in paths.items():
        print(f"{name:<18}{path}")
    if args.dest is not None:
        print(
            f"Point {CONFIG_KEY} at {args.dest} (environment variable or "
            "mne.set_config) to use them."
        )
    return 0
