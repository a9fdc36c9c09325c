"""``mne-icalabel review``: review the component labels of a labelled BIDS dataset."""

from __future__ import annotations

from ..gui import review_bids_dataset
from . import gui as gui_command
from ._browser import add_browser_arguments, serve_until_interrupted
from ._common import add_dataset_arguments, make_subparser, selection

_EXAMPLES = """  mne-icalabel review ~/data/ds004584
  mne-icalabel review ~/data/ds004584 --subject 01 02 --task rest
  mne-icalabel review ~/data/ds000248 --datatype meg --author "Jane Doe"
  mne-icalabel review ~/data/ds004584 --browser --no-open   # e.g. over SSH"""


def add_parser(subparsers, name: str):
    """Register the ``review`` subcommand."""
    parser = make_subparser(
        subparsers,
        name,
        "review the labels of a labelled BIDS dataset in a window (resumable)",
        "Open a window over the recordings labelled by 'mne-icalabel bids': "
        "their state (not reviewed / reviewed / changed) and counts, the "
        "components of each with the automatic labels and probabilities, the "
        "most doubtful decisions first. Digits and letters label the selected "
        "component (e.g. 3 = Eye), Ctrl+S saves the recording's decisions as "
        "manual rows of its components TSV (and a Review entry in its JSON "
        "sidecar), PageDown/PageUp go to the next/previous recording. A TSV "
        "changed on disk since it was shown is not overwritten without asking.",
        _EXAMPLES,
    )
    add_dataset_arguments(parser, "the data type labelled (default: eeg)")
    parser.add_argument(
        "--author",
        help="reviewer name written in the TSV and sidecar (default: "
        "MNE_ICALABEL_AUTHOR from the MNE config or environment, else the "
        "login name)",
    )
    add_browser_arguments(parser)
    return parser


def open_window(args):
    """Open the review window for the parsed arguments; return it (shown)."""
    window = review_bids_dataset(
        args.bids_root,
        **selection(args),
        datatype=args.datatype,
        show=True,
        block=False,
    )
    if args.author is not None:
        window.author = args.author
    window.statusBar().showMessage(
        f"{len(window.queue)} labelled recordings; decisions saved as "
        f"{window.author!r}",
        10000,
    )
    return window


def run(args) -> int:
    """Open the window and run the Qt event loop until it is closed.

    With ``--browser``: serve the review page until Ctrl+C.
    """
    if args.browser:
        from ..web._launch import serve_dataset

        server = serve_dataset(
            args.bids_root,
            **selection(args),
            datatype=args.datatype,
            author=args.author,
            host=args.host,
            port=args.port,
            base_url=args.base_url,
            open_browser=not args.no_open,
        )
        queue = server.review.queue
        serve_until_interrupted(server, f"{len(queue)} labelled recordings")
        reviewed = sum(e.review is not None for e in queue.entries)
        print(
            f"{reviewed} of {len(queue)} recordings reviewed; "
            f"{queue.n_remaining} doubtful components remaining"
        )
        return 0
    window = open_window(args)
    gui_command._exec(window)  # looked up when run (tests replace it)
    reviewed = sum(e.review is not None for e in window.queue.entries)
    print(
        f"{reviewed} of {len(window.queue)} recordings reviewed; "
        f"{window.queue.n_remaining} doubtful components remaining"
    )
    return 0
