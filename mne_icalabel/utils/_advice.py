"""Advice in messages: the Python call, or the command-line option that does it.

A check deep in the library says how to fix what it found. Called from Python,
the fix is a Python call (``inst.set_montage(...)``); run by ``mne-icalabel
label``, it is the command's own option (``--montage ...``). The command sets
:func:`command_line` around its run; the messages ask :func:`fix`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_COMMAND: ContextVar[str | None] = ContextVar("mne_icalabel_command", default=None)


@contextmanager
def command_line(command: str) -> Iterator[None]:
    """Give the command-line advice of ``command`` (e.g. ``"label"``) inside."""
    token = _COMMAND.set(command)
    try:
        yield
    finally:
        _COMMAND.reset(token)


def command() -> str | None:
    """Return the subcommand running, or None when called from Python."""
    return _COMMAND.get()


def fix(python: str, cli: str | None = None, commands=("label",)) -> str:
    """Return ``cli`` when one of ``commands`` runs (it has the option).

    Otherwise (from Python, or a command without that option) ``python``.
    """
    return cli if cli is not None and _COMMAND.get() in commands else python
