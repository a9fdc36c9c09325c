"""The list of components: one line per component, in the review's order."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtGui import QBrush, QColor, QFont
from qtpy.QtWidgets import QListWidget, QWidget

from ..review import ComponentsReview

_EXCLUDED_COLOR = QColor("#b22222")  # components the exclusion policy removes


class ComponentList(QListWidget):
    """The components of a :class:`~mne_icalabel.review.ComponentsReview`.

    Each line shows the component, ``x`` if the policy excludes it, its label
    and its most probable automatic class. The lines follow the review's order;
    the current row is its selected component.

    Parameters
    ----------
    parent : QWidget
        The parent widget.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        font = QFont("Monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        font.setPointSize(9)
        self.setFont(font)
        self.setFixedWidth(310)
        self._rows: dict[int, int] = {}

    def fill(self, review: ComponentsReview) -> None:
        """Put one line per component in the review's order; select its component."""
        self._rows = {k: row for row, k in enumerate(review.order)}
        n = review.n_components
        self.blockSignals(True)
        while self.count() > n:
            self.takeItem(self.count() - 1)
        while self.count() < n:
            self.addItem("")
        self.blockSignals(False)
        self.refresh_all(review)
        self.show_selected(review)

    def show_selected(self, review: ComponentsReview) -> None:
        """Make the review's selected component the current row (no signal)."""
        if review.selected < 0:
            return
        self.blockSignals(True)
        self.setCurrentRow(self._rows[review.selected])
        self.blockSignals(False)

    def refresh_all(self, review: ComponentsReview) -> None:
        """Write every line again."""
        for k in range(review.n_components):
            self.refresh(review, k)

    def refresh(self, review: ComponentsReview, k: int) -> None:
        """Write the line of component ``k``."""
        item = self.item(self._rows[k])
        labels, excluded = review.labels, review.excluded
        mark = "x" if k in excluded else " "
        text = f"ICA{k:03d}{mark} {labels.get(k, '·'):<13}"
        automatic = review.automatic(k)
        if automatic is not None:
            text += f" {automatic[0]:<13} {automatic[1]:.2f}"
        item.setText(text)
        font = item.font()
        font.setBold(k in labels)
        item.setFont(font)
        if k in excluded:
            item.setForeground(QBrush(_EXCLUDED_COLOR))
            item.setToolTip("Excluded by the policy")
        else:
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
            item.setToolTip("")
