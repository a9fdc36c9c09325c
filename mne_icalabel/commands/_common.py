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
