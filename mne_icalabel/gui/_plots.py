"""The centre of the component view: a header line and the plots of one component."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from mne.utils import logger
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..review import ComponentsReview
from ..review._plot_data import compute_plot_data
from ._panels import (
    ERPImagePanel,
    SourcePanel,
    SpectrumPanel,
    TopomapPanel,
    VariancePanel,
)
from ._progress import ProgressStrip
from ._worker import Job, Worker


class ComponentPlots(QWidget):
    """The header, a progress strip and the five plots of the selected component.

    Topographic map(s) and power spectrum, the time course (Raw) with its
    scroll bar, the image of epochs or segments and the variance per epoch or
    segment. The arrays come from
    :func:`~mne_icalabel.review._plot_data.compute_plot_data`, given, computed here or
    in the worker thread (:meth:`load`).

    Parameters
    ----------
    parent : QWidget
        The parent widget.
    time_window : float
        Duration in seconds of the time course shown for Raw recordings.
    worker : Worker
        The worker thread that computes the arrays in the background.

    Attributes
    ----------
    panels : list
        The panels given the arrays and the component shown (a panel drawn
        elsewhere, e.g. the probability bars, may be appended).
    data : ICAPlotData | None
        The arrays shown (None while they are computed).
    """

    def __init__(self, parent: QWidget, time_window: float, worker: Worker) -> None:
        super().__init__(parent)
        self._worker = worker
        self._job: Job | None = None
        self._owner = None  # the review whose arrays are shown or computed
        self.data = None
        plots = QVBoxLayout(self)
        plots.setContentsMargins(0, 0, 0, 0)
        self.header = QLabel(self)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        plots.addWidget(self.header)
        self.progress = ProgressStrip(self)
        plots.addWidget(self.progress)
        top = QHBoxLayout()
        self.topo_panel = TopomapPanel(self, 2.7, 2.5)
        self.psd_panel = SpectrumPanel(self, 4.2, 2.5)
        top.addWidget(self.topo_panel.canvas, 2)
        top.addWidget(self.psd_panel.canvas, 3)
        plots.addLayout(top, 5)
        self.source_panel = SourcePanel(self, 6.9, 2.0, time_window)
        plots.addWidget(self.source_panel.canvas, 4)
        plots.addWidget(self.source_panel.scroll)
        bottom = QHBoxLayout()
        self.erp_panel = ERPImagePanel(self, 4.2, 2.5)
        self.variance_panel = VariancePanel(self, 2.7, 2.5)
        bottom.addWidget(self.erp_panel.canvas, 3)
        bottom.addWidget(self.variance_panel.canvas, 2)
        plots.addLayout(bottom, 5)
        self.panels = [
            self.topo_panel,
            self.psd_panel,
            self.source_panel,
            self.erp_panel,
            self.variance_panel,
        ]

    @staticmethod
    def compute(inst, ica):
        """Return the arrays of a recording (slow: the sources, spectra, maps)."""
        return compute_plot_data(inst, ica)

    def load(
        self,
        review: ComponentsReview,
        data=None,
        background: bool = False,
        on_ready: Callable[[], object] | None = None,
    ) -> None:
        """Show the arrays of a review's recording.

        ``data`` if given; else computed here (raising before any change) or,
        with ``background``, in the worker: the panels are blank and the
        progress strip runs until they come, then ``on_ready()`` is called.
        Arrays still being computed for the previous recording are dropped.
        """
        self.cancel()
        if data is None and not background:
            data = self.compute(review.inst, review.ica)
        self._owner, self.data = review, data
        for panel in self.panels:
            if data is None:
                panel.clear()
            else:
                panel.set_data(data)
        if data is not None:
            return
        ica = review.ica
        self._job = self._worker.submit(
            compute_plot_data,
            review.inst,
            ica,
            on_done=partial(self._on_data, review, on_ready),
            on_error=partial(self._on_error, review),
        )
        self.progress.start(
            f"Computing the plots of the {ica.n_components_} components..."
        )

    @property
    def computing(self) -> bool:
        """Whether the arrays are being computed in the worker."""
        return self._job is not None

    def cancel(self) -> None:
        """Drop the arrays being computed."""
        if self._job is not None:
            self._job.cancel()
            self._job = None
            self.progress.stop()

    def wait(self) -> None:
        """Wait until the arrays computed in the background are shown."""
        if self._job is not None:
            self._worker.wait(self._job)

    def show(self, k: int) -> None:
        """Show component ``k`` in every panel (once the arrays are there)."""
        if self.data is None:
            return
        for panel in self.panels:
            panel.show(k)
        for panel in self.panels:
            panel.canvas.update_idle()  # the data artists only, over the kept rest

    def _on_data(self, review, on_ready, data) -> None:
        if review is not self._owner:  # another recording meanwhile
            return
        self._job = None
        self.progress.stop()
        self.data = data
        for panel in self.panels:
            panel.set_data(data)
        if on_ready is not None:
            on_ready()

    def _on_error(self, review, error) -> None:
        if review is not self._owner:
            return
        self._job = None
        self.progress.stop()
        text = f"The plots could not be computed: {error}"
        logger.error(text)
        self.header.setText(text)

    def show_header(self, review: ComponentsReview, data, k: int) -> None:
        """Write the header of component ``k``: variance, automatic class, others."""
        text = f"<b>ICA{k:03d}</b>"
        if data is not None:
            variance = ", ".join(
                f"{100 * ratio[k]:.1f} % ({ch_type})"
                for ch_type, ratio in data.var_ratio.items()
            )
            text += f" &nbsp; variance explained: {variance}"
        automatic = review.automatic(k)
        if automatic is not None:
            text += f" &nbsp; automatic: {automatic[0]} ({automatic[1]:.2f})"
        if k in review.excluded:
            text += " &nbsp; <span style='color:#b22222'>excluded by the policy</span>"
        for name, (proba, classes) in review.other_scores.items():
            row = ", ".join(
                f"{cls} {p:.2f}" for cls, p in zip(classes, proba[k], strict=True)
            )
            text += f"<br>{name}: {row}"
        self.header.setText(text)
