"""A recording read for review, prepared, with the arrays its plots show.

Shared by the front ends (the Qt window's loader, the browser's dataset), which
run :func:`prepare_recording_plots` in a worker thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ._plot_data import ICAPlotData, compute_plot_data
from ._queue import LoadedRecording, ReviewQueue


@dataclass
class Prepared:
    """A recording read for review and the arrays its plots show."""

    loaded: LoadedRecording
    data: ICAPlotData


def prepare_recording_plots(queue: ReviewQueue, loaded: LoadedRecording) -> Prepared:
    """Prepare a recording read and precompute its plots (no Qt: any thread)."""
    loaded = queue.prepare(loaded)
    start = time.perf_counter()
    data = compute_plot_data(loaded.inst, loaded.ica)
    loaded.seconds["plots"] = time.perf_counter() - start
    return Prepared(loaded, data)
