"""The list of recordings of the review window: state, counts, the one shown."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtCore import Qt
from qtpy.QtGui import QBrush, QColor
from qtpy.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ..review import DatasetReview

_STATE_COLORS = {"reviewed": "#2e7d32", "changed": "#1565c0"}
_REWRITING_COLOR = "#9e9e9e"


class RecordingList(QListWidget):
    """One item per recording of a :class:`~mne_icalabel.review.DatasetReview`.

    In review order: the recording's name, its state (``not reviewed``,
    ``reviewed``, ``changed``) and counts; grey and marked while a ``bids``
    run rewrites it; the one shown in bold. The list takes no keyboard focus
    (the keys belong to the component list): the mouse selects here.

    Parameters
    ----------
    parent : QWidget
        The parent widget.
    dataset : DatasetReview
        The review.
    """

    def __init__(self, parent: QWidget, dataset: DatasetReview) -> None:
        super().__init__(parent)
        self._dataset = dataset
        self.setFixedWidth(280)
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for _ in dataset.recording_rows:
            self.addItem(QListWidgetItem())
        for index in dataset.recording_rows:
            self.refresh(index)

    def refresh(self, index: int) -> None:
        """Write a recording's state and counts into its item."""
        dataset = self._dataset
        entry = dataset.queue.entries[index]
        item = self.item(dataset.row_of(index))
        name = Path(entry.key).name.rsplit("_", 1)[0]  # without _<datatype>.<ext>
        item.setText(
            f"{name}\n  {entry.state} \N{MIDDLE DOT} {entry.n_excluded}/"
            f"{entry.n_components} excluded \N{MIDDLE DOT} {entry.n_manual} manual"
        )
        item.setToolTip(entry.key)
        color = _STATE_COLORS.get(entry.state)
        if index in dataset.rewriting:
            item.setText(item.text() + "\n  being rewritten: read-only")
            item.setToolTip(f"{entry.key}: being rewritten by {dataset.run}")
            color = _REWRITING_COLOR
        if color is None:
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
        else:
            item.setForeground(QBrush(QColor(color)))
        font = item.font()
        font.setBold(index == dataset.current_index)
        item.setFont(font)

    def select_row(self, row: int) -> None:
        """Make ``row`` the current one without telling anyone."""
        self.blockSignals(True)
        self.setCurrentRow(row)
        self.blockSignals(False)
