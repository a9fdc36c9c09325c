"""Helpers shared by the subcommands: printing tables and written files."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def make_subparser(
    subparsers, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """Add a subcommand whose ``--help`` ends with examples."""
    return subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def format_table(labels: Sequence[str], proba: Sequence[float]) -> str:
    """Format the (component, label, probability) table printed by the CLI."""
    width = max([len("label")] + [len(label) for label in labels])
    lines = [f"{'component':<10} {'label':<{width}} {'probability':>11}"]
    for k, (label, p) in enumerate(zip(labels, proba, strict=True)):
        lines.append(f"{f'ICA{k:03d}':<10} {label:<{width}} {float(p):>11.2f}")
    return "\n".join(lines)


def format_files(files: dict[str, Path]) -> str:
    """List the written files, one per line."""
    names = {"tsv": "components", "json": "sidecar", "report": "report", "ica": "ICA"}
    return "\n".join(
        f"  {names.get(key, key) + ':':<12}{path}" for key, path in files.items()
    )


def _ica_decim(text: str) -> int | str | None:
    """Parse ``--ica-decim``: ``auto``, ``none`` or a positive integer."""
    value = text.strip().lower()
    if value in ("auto", "none"):
        return None if value == "none" else value
    try:
        decim = int(value)
    except ValueError:
        decim = 0
    if decim < 1:
        raise argparse.ArgumentTypeError(
            f"expected auto, none or a positive integer (1 = every sample), got "
            f"{text!r}"
        )
    return decim


def add_ica_decim(parser: argparse.ArgumentParser) -> None:
    """Add ``--ica-decim auto|none|N``: the samples a fitted ICA uses."""
    parser.add_argument(
        "--ica-decim",
        type=_ica_decim,
        default="auto",
        metavar="auto|none|N",
        help="fit the ICA on every N-th sample; auto (default): the largest N "
        "that keeps max(60 x n_components^2, 20000) samples; none or 1: every "
        "sample. The labels always use the whole recording",
    )
