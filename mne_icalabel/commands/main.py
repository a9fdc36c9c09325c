"""The ``mne-icalabel`` command: one subcommand per module of this folder.

Each subcommand module defines ``add_parser(subparsers)`` and ``run(args) -> int``
and imports nothing heavy at module level, so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from importlib import import_module

from .. import __version__
from ..utils._advice import command_line, show_details

# subcommand name -> module of this package
SUBCOMMANDS = {
    "demo": "demo",
    "label": "label",
    "bids": "bids",
    "review": "review",
    "apply": "apply",
    "slurm-script": "slurm_script",
    "fetch-weights": "fetch_weights",
}

#: the commands whose options after ``--`` are another command's
_PASSES_ON = ("slurm-script",)

_EPILOG = """examples:
  mne-icalabel demo                      label simulated EEG, write a TSV and a report
  mne-icalabel label sub-01_eeg.vhdr     label one recording
  mne-icalabel bids ~/data/ds --n-jobs 4 label a whole BIDS dataset
  mne-icalabel review ~/data/ds          review its labels in a window
  mne-icalabel apply ~/data/ds           write the cleaned recordings
  mne-icalabel slurm-script ~/data/ds --step bids --per-recording --submit
                                         label it as a Slurm array job
  mne-icalabel fetch-weights             download the network weights

Run 'mne-icalabel <command> --help' for the options of a command."""


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Print warnings on one line, without the source location."""
    text = " ".join(str(message).split())
    print(f"warning: {text}", file=sys.stderr if file is None else file)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``mne-icalabel`` and its subcommands.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser; each subcommand stores its module in ``args.module``.
    """
    parser = argparse.ArgumentParser(
        prog="mne-icalabel",
        description="Label the independent components of EEG (ICLabel) and MEG "
        "(MEGNet) recordings.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"mne-icalabel {__version__}"
    )
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="<command>"
    )
    for name in SUBCOMMANDS:
        _add_subcommand(subparsers, name)
    return parser


def _add_subcommand(subparsers, name: str) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` with its module's options and the common ones."""
    module = import_module(f".{SUBCOMMANDS[name]}", __package__)
    sub = module.add_parser(subparsers, name)
    sub.add_argument(
        "-v", "--verbose", action="store_true", help="show MNE's log messages"
    )
    sub.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback when the command fails",
    )
    sub.set_defaults(module=module)
    return sub


def subcommand_parser(name: str) -> argparse.ArgumentParser:
    """Build the parser of the subcommand ``name`` alone, as ``build_parser`` does.

    Parameters
    ----------
    name : str
        A key of ``SUBCOMMANDS``, e.g. ``"bids"``.

    Returns
    -------
    parser : argparse.ArgumentParser
        It parses the subcommand's arguments (without its name); its errors
        are prefixed with ``mne-icalabel <name>``.
    """
    parent = argparse.ArgumentParser(prog="mne-icalabel")
    return _add_subcommand(parent.add_subparsers(), name)


def main(argv: list[str] | None = None) -> int:
    """Run ``mne-icalabel``.

    Parameters
    ----------
    argv : list of str | None
        The arguments; ``None`` uses ``sys.argv[1:]``.

    Returns
    -------
    code : int
        0 on success, 1 when the command failed, 2 for invalid arguments (from
        argparse), 130 when interrupted.
    """
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    # the options after '--' of a command that passes them on (argparse would
    # mix them with the command's own)
    passed: list[str] = []
    if argv[:1] and argv[0] in _PASSES_ON and "--" in argv:
        split = argv.index("--")
        argv, passed = argv[:split], argv[split + 1 :]
    args = parser.parse_args(argv)
    if args.command in _PASSES_ON:
        args.step_args = passed
    if args.command is None:
        parser.print_help()
        return 2
    import mne

    show_warning = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        with (
            command_line(args.command),
            show_details(args.verbose),
            mne.utils.use_log_level("INFO" if args.verbose else "WARNING"),
        ):
            return int(args.module.run(args) or 0)
    except KeyboardInterrupt:
        print("mne-icalabel: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"mne-icalabel {args.command}: error: {message}", file=sys.stderr)
        return 1
    finally:
        warnings.showwarning = show_warning


if __name__ == "__main__":
    sys.exit(main())
