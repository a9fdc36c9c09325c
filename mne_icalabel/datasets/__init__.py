"""Datasets and network weights fetched at run time."""

from . import icalabel, simulation, weights
