"""The side panel of the component view: class buttons, moves, probability bars."""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ._panels import ProbabilityPanel

_HELP = (
    "<b>Keys</b><br>"
    "digit / letter: label<br>"
    "0, Backspace: reset<br>"
    "N, &rarr;: next &nbsp; P, &larr;: previous<br>"
    "&uarr; &darr;: move in the list<br>"
    "Shift+&larr;/&rarr;: scroll time<br>"
    "A: auto-advance"
)


def _no_focus(widget):
    """Keep the keyboard focus on the component list (the keys stay there)."""
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return widget


class ClassPanel(QWidget):
    """The side panel: what labels a component and what says how probable each is.

    One button per class (with its keys and probability), Reset, Previous /
    Next, the auto-advance box, "Label automatically" and the bars. The panel
    draws; the component view connects its widgets to the review model's
    intents.

    Parameters
    ----------
    parent : QWidget
        The parent widget.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFixedWidth(250)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        self.class_box = QWidget(self)
        self._grid = QGridLayout(self.class_box)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.class_box.setStyleSheet(
            "QPushButton:checked {background-color: #2a6fba; color: white;"
            " font-weight: bold;}"
        )
        column.addWidget(self.class_box)
        self.button_group = QButtonGroup(self)
        self.button_group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        self.proba_labels: list[QLabel] = []

        grid = QGridLayout()
        self.button_reset = _no_focus(QPushButton("Reset", self))
        self.button_reset.setObjectName("pushButton_reset")
        grid.addWidget(self.button_reset, 0, 0)
        grid.addWidget(QLabel("0", self), 0, 1)
        self.button_prev = _no_focus(QPushButton("< Previous", self))
        self.button_next = _no_focus(QPushButton("Next >", self))
        grid.addWidget(self.button_prev, 1, 0)
        grid.addWidget(self.button_next, 1, 1)
        self.checkbox_advance = _no_focus(QCheckBox("Next after labelling (A)", self))
        grid.addWidget(self.checkbox_advance, 2, 0, 1, 2)
        column.addLayout(grid)
        self.extra = QVBoxLayout()
        column.addLayout(self.extra)
        self.button_auto = _no_focus(QPushButton("Label automatically", self))
        self.button_auto.setObjectName("pushButton_label_automatically")
        self.button_auto.setToolTip(
            "Run ICLabel (EEG) or MEGNet (MEG) on this recording; labels set "
            "by hand are kept"
        )
        column.addWidget(self.button_auto)
        self.proba_panel = ProbabilityPanel(self, 2.5, 2.2)
        column.addWidget(self.proba_panel.canvas, 1)
        help_label = QLabel(_HELP, self)
        help_label.setWordWrap(True)
        column.addWidget(help_label)

    def build_buttons(self, label_map: dict[str, str], letters: list[str]) -> None:
        """(Re)create one button per class, with its keys and probability label."""
        grid = self._grid
        while grid.count():
            widget = grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for button in self.buttons:
            self.button_group.removeButton(button)
        self.buttons, self.proba_labels = [], []
        box = self.class_box
        grid.addWidget(QLabel("<b>Class</b>", box), 0, 0)
        grid.addWidget(QLabel("<b>Key</b>", box), 0, 1)
        grid.addWidget(QLabel("<b>Auto</b>", box), 0, 2)
        for idx, (name, letter) in enumerate(zip(label_map, letters, strict=True)):
            button = _no_focus(QPushButton(name, box))
            button.setObjectName(f"pushButton_{name.lower().replace(' ', '_')}")
            button.setCheckable(True)
            button.setToolTip(f"Label as {name!r} ({label_map[name]!r})")
            self.button_group.addButton(button, idx)
            self.buttons.append(button)
            grid.addWidget(button, idx + 1, 0)
            grid.addWidget(QLabel(f"{idx + 1} / {letter}", box), idx + 1, 1)
            proba = QLabel("", box)
            proba.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.proba_labels.append(proba)
            grid.addWidget(proba, idx + 1, 2)

    def check(self, label: str | None) -> None:
        """Check the button of ``label`` (None: none)."""
        self.button_group.setExclusive(False)
        for button in self.buttons:
            button.setChecked(button.text() == label)
        self.button_group.setExclusive(True)

    def set_probabilities(self, values: np.ndarray | None) -> None:
        """Write a component's probabilities beside the buttons (None: blank)."""
        for idx, label in enumerate(self.proba_labels):
            if values is None or idx >= len(values):
                label.setText("")
            else:
                label.setText(f"{values[idx]:.2f}")

    def set_read_only(self, reason: str | None) -> None:
        """Disable (``reason``) or enable again what changes the labels."""
        for widget in (self.class_box, self.button_reset, self.button_auto):
            widget.setEnabled(reason is None)

    def set_auto_advance(self, checked: bool) -> None:
        """Show the auto-advance state (without telling anyone)."""
        self.checkbox_advance.blockSignals(True)
        self.checkbox_advance.setChecked(checked)
        self.checkbox_advance.blockSignals(False)
