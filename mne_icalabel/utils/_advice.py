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


_DETAILS: ContextVar[bool] = ContextVar("mne_icalabel_details", default=False)
_INSIDE: ContextVar[bool] = ContextVar("mne_icalabel_inside", default=False)


@contextmanager
def show_details(show: bool = True) -> Iterator[None]:
    """Let the library functions log at MNE's level inside (the CLI's -v)."""
    token = _DETAILS.set(show)
    try:
        yield
    finally:
        _DETAILS.reset(token)


def quiet_by_default(func):
    """Run ``func`` at MNE's WARNING level unless its caller asks for more.

    mne-icalabel 0.10's functions log nothing at MNE's default level (INFO);
    scripts and notebooks that label many recordings rely on that. A function
    decorated here (outside :func:`mne.utils.verbose`) logs its details only
    when given ``verbose`` (``True``, ``"INFO"``, ...), when MNE's level is
    not its default (e.g. ``mne.set_log_level("DEBUG")``), or inside
    :func:`show_details` (``mne-icalabel ... -v``).
    """
    import functools
    import logging

    from mne.utils import logger

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if _INSIDE.get():  # called by another: its level holds
            return func(*args, **kwargs)
        if (
            kwargs.get("verbose") is None
            and not _DETAILS.get()
            and logger.level == logging.INFO
        ):
            kwargs["verbose"] = "WARNING"
        token = _INSIDE.set(True)
        try:
            return func(*args, **kwargs)
        finally:
            _INSIDE.reset(token)

    return wrapper
