"""``mne_gui_ic_annotation``: label the components of an ICA file by hand."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ..annotation import read_components_tsv
from ..gui import label_ica_components
from ._browser import add_browser_arguments, serve_until_interrupted

_ICA_ENDINGS = ("-ica.fif.gz", "_ica.fif.gz", "-ica.fif", "_ica.fif", ".fif.gz", ".fif")
_EPOCHS_ENDINGS = ("-epo.fif", "_epo.fif", "-epo.fif.gz", "_epo.fif.gz")
_EXAMPLES = """examples:
  mne_gui_ic_annotation sub-01_task-rest_raw.fif sub-01_task-rest_ica.fif
      labels are saved on close to sub-01_task-rest_ica.fif (labels_) and
      sub-01_task-rest_components.tsv
  mne_gui_ic_annotation sub-01_epo.fif sub-01_ica.fif \\
      --tsv labels/sub-01_components.tsv --out-ica sub-01_labelled_ica.fif \\
      --author jdoe
  mne_gui_ic_annotation sub-01_raw.fif sub-01_ica.fif --browser --no-open
      serves the labelling as a web page (e.g. on a server, over SSH);
      Ctrl+C stops it and saves
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mne_gui_ic_annotation",
        description="Open a window to label the components of an ICA by hand. "
        "The labels are written to the ICA file (its labels_) and to a BIDS "
        "components TSV when you press Save (Ctrl+S) and when you close the "
        "window. An existing TSV keeps its other rows and columns (e.g. both "
        "networks' probabilities): only the components labelled change.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("fname_raw_epo", help="the raw or epochs .fif file")
    parser.add_argument("fname_ica", help="the fitted ICA (.fif) of that recording")
    parser.add_argument(
        "--tsv",
        default=None,
        help="the components TSV to write (default: beside the ICA, named "
        "<ica name without _ica.fif>_components.tsv)",
    )
    parser.add_argument(
        "--out-ica",
        default=None,
        help="where to save the labelled ICA (default: overwrite fname_ica)",
    )
    parser.add_argument(
        "--author", default=None, help="annotator name written in the TSV"
    )
    add_browser_arguments(parser)
    return parser


def default_tsv_fname(fname_ica: str | Path) -> Path:
    """Return the components TSV that goes with an ICA file.

    Parameters
    ----------
    fname_ica : str | Path
        The ICA file, e.g. ``sub-01_task-rest_ica.fif``.

    Returns
    -------
    fname : Path
        E.g. ``sub-01_task-rest_components.tsv``, in the same folder.
    """
    fname_ica = Path(fname_ica)
    name = fname_ica.name
    for ending in _ICA_ENDINGS:
        if name.endswith(ending):
            name = name[: -len(ending)]
            break
    return fname_ica.with_name(f"{name or 'ica'}_components.tsv")


def _read_inst(fname: str):
    """Read a raw or epochs file, trying the likely reader first."""
    import mne

    readers = [
        ("raw", lambda: mne.io.read_raw(fname, preload=True, verbose=False)),
        ("epochs", lambda: mne.read_epochs(fname, preload=True, verbose=False)),
    ]
    if fname.endswith(_EPOCHS_ENDINGS):
        readers.reverse()
    errors = []
    for kind, reader in readers:
        try:
            return reader()
        except Exception as error:
            errors.append(f"as {kind}: {error}")
    raise RuntimeError(
        f"Could not read {fname} as raw or epochs data ({'; '.join(errors)})."
    )


def open_window(argv: list[str] | None = None):
    """Load the files given on the command line and open the labelling window.

    Parameters
    ----------
    argv : list of str | None
        The arguments; ``None`` uses ``sys.argv[1:]``.

    Returns
    -------
    window : ICAComponentLabeler
        The window (shown), set to save the ICA and the TSV on close.
    """
    return _open_window(_build_parser().parse_args(argv))


def _open_window(args: argparse.Namespace):
    """Open the labelling window of the parsed command line (see open_window)."""
    inst, ica, tsv_fname, scores = _read_files(args)
    window = label_ica_components(inst, ica, show=True, block=False, scores=scores)
    window.tsv_fname = tsv_fname
    window.ica_fname = Path(args.out_ica or args.fname_ica)
    if args.author is not None:
        window.author = args.author
    window.statusBar().showMessage(
        f"Saves to {window.ica_fname.name} and {window.tsv_fname.name}"
    )
    return window


def _read_files(args):
    """Read the recording, the ICA and the probabilities of an existing TSV."""
    for fname in (args.fname_raw_epo, args.fname_ica):
        if not Path(fname).is_file():
            raise FileNotFoundError(f"No such file: {fname}")
    from mne.preprocessing import read_ica

    inst = _read_inst(args.fname_raw_epo)
    ica = read_ica(args.fname_ica, verbose=False)
    tsv_fname = Path(args.tsv) if args.tsv else default_tsv_fname(args.fname_ica)
    scores = None
    if tsv_fname.is_file():  # e.g. both networks' probabilities of an EEG+MEG ICA
        scores = read_components_tsv(tsv_fname)["probabilities"] or None
    return inst, ica, tsv_fname, scores


def _serve(args: argparse.Namespace) -> int:
    """Serve the labelling page until Ctrl+C; then save unsaved labels."""
    from ..web._launch import serve_recording

    inst, ica, tsv_fname, scores = _read_files(args)
    ica_fname = Path(args.out_ica or args.fname_ica)
    server = serve_recording(
        inst,
        ica,
        scores=scores,
        tsv_fname=tsv_fname,
        ica_fname=ica_fname,
        author=args.author,
        host=args.host,
        port=args.port,
        base_url=args.base_url,
        open_browser=not args.no_open,
    )
    serve_until_interrupted(server, Path(args.fname_ica).name)
    session = server.session
    if session.state.modified:  # as closing the window does
        session.save()
    for fname in session.saved_files:
        print(f"saved {fname}")
    return 0


def _exec(window) -> None:
    """Run the Qt event loop until the window is closed."""
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication

    # Ctrl+C in the terminal closes the window (which saves) instead of being
    # swallowed by Qt's event loop; the timer lets Python see the signal.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    timer = QTimer()
    timer.timeout.connect(lambda: None)
    timer.start(250)
    QApplication.instance().exec()


def main(argv: list[str] | None = None) -> int:
    """Run ``mne_gui_ic_annotation fname_raw_epo fname_ica [--tsv ...]``.

    Parameters
    ----------
    argv : list of str | None
        The arguments; ``None`` uses ``sys.argv[1:]``.

    Returns
    -------
    code : int
        0 on success, 1 if the files cannot be read or the labels not saved.
    """
    args = _build_parser().parse_args(argv)
    try:
        if args.browser:
            return _serve(args)
        window = _open_window(args)
    except (OSError, RuntimeError, ValueError, TypeError, ImportError) as error:
        print(f"mne_gui_ic_annotation: error: {error}", file=sys.stderr)
        return 1
    _exec(window)
    if window.modified:  # closed without a successful save
        print("mne_gui_ic_annotation: error: labels not saved", file=sys.stderr)
        return 1
    for fname in window.saved_files:
        print(f"saved {fname}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
