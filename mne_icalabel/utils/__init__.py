"""Utilities: system information and coordinate transforms."""

from . import config, transform
