"""``mne_icalabel-sys_info``: print the system and dependency information."""

from __future__ import annotations

import argparse
import os
import sys

from ..utils.config import sys_info


def main(argv: list[str] | None = None) -> int:
    """Run ``mne_icalabel-sys_info [--extra] [--developer]``.

    Parameters
    ----------
    argv : list of str | None
        The arguments; ``None`` uses ``sys.argv[1:]``.

    Returns
    -------
    code : int
        0 on success, 1 on failure (e.g. ``--developer`` outside a source tree).
    """
    parser = argparse.ArgumentParser(
        prog="mne_icalabel-sys_info",
        description="Print the system information and the versions of the "
        "dependencies of mne-icalabel, to include in bug reports.",
        epilog="example:\n  mne_icalabel-sys_info --extra",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--extra", action="store_true", help="also list the optional dependencies"
    )
    parser.add_argument(
        "--developer",
        action="store_true",
        help="also list the developer dependencies (source tree only)",
    )
    args = parser.parse_args(argv)
    try:
        sys_info(extra=args.extra, developer=args.developer)
    except BrokenPipeError:  # e.g. piped into `head`: not an error
        sys.stdout = open(os.devnull, "w")  # silence the flush at exit
        return 0
    except Exception as error:
        print(f"mne_icalabel-sys_info: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
