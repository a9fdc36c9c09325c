"""A busy bar that says what runs in the background, with an optional Cancel."""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class ProgressStrip(QWidget):
    """A line with what is being done, a busy bar and a Cancel button.

    Hidden until :meth:`start`; the work reports no fraction, so the bar
    only shows that something runs.

    Parameters
    ----------
    parent : QWidget
        The parent widget.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        row.addWidget(self.label)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(12)
        self.bar.setMinimumWidth(120)
        row.addWidget(self.bar, 1)
        self.button_cancel = QPushButton("Cancel", self)
        self.button_cancel.setObjectName("pushButton_cancel_progress")
        self.button_cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button_cancel.clicked.connect(self._on_cancel)
        row.addWidget(self.button_cancel)
        self._on_cancel_callback: Callable | None = None
        self.hide()

    @property
    def running(self) -> bool:
        """Whether the strip is shown (work runs)."""
        return not self.isHidden()

    def start(self, text: str, on_cancel: Callable | None = None) -> None:
        """Show ``text`` and the busy bar; ``on_cancel`` (if any) gets a button.

        Parameters
        ----------
        text : str
            What is being done.
        on_cancel : callable | None
            Called when Cancel is clicked (the strip hides first); None: no
            button.
        """
        self.label.setText(text)
        self.button_cancel.setVisible(on_cancel is not None)
        self._on_cancel_callback = on_cancel
        self.show()

    def stop(self) -> None:
        """Hide the strip."""
        self._on_cancel_callback = None
        self.hide()

    def _on_cancel(self) -> None:
        callback = self._on_cancel_callback
        self.stop()
        if callback is not None:
            callback()
