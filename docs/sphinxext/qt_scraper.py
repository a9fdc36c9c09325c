"""Sphinx-Gallery image scraper for the Qt windows an example opens.

The matplotlib scraper saves the figures a code block leaves open; this one
does the same for the Qt windows (the labelling window, the dataset review
window): each window still shown at the end of a block is rendered off screen
(``QWidget.grab``) into the next image file of the example, so the gallery
page shows the window as a reader would see it. Windows are left open (the
example goes on using or closes them); those still open when the example ends
are hidden so that they do not appear in the next example.

A window may draw after it is shown (its plots are computed in a worker
thread): before the grab, the Qt events are processed until the window's
picture stays the same for ``_STABLE_TIME`` seconds, and a window that
exposes a documented wait method (``wait_loaded``, ``view.wait_plots``) is
waited for first.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: a window's picture must not change for this long before it is saved (s)
_STABLE_TIME = 0.3
#: how often the picture is compared while waiting (s)
_POLL = 0.1
#: the longest wait for a window to settle before it is saved anyway (s)
_TIMEOUT = 60.0


def _qt_app():
    """Return the running QApplication, or None if the example started none."""
    if "qtpy" not in sys.modules:  # no example code imported Qt: nothing to do
        return None
    from qtpy.QtWidgets import QApplication

    return QApplication.instance()


def _shown_windows(app) -> list:
    """Return the top-level windows on screen, in the order they were created."""
    return [
        widget
        for widget in app.topLevelWidgets()
        if widget.isWindow() and widget.isVisible()
    ]


def _wait_for_work(window) -> None:
    """Wait for what the window computes in the background, if it says how."""
    wait_loaded = getattr(window, "wait_loaded", None)
    if callable(wait_loaded):
        wait_loaded()
    wait_plots = getattr(getattr(window, "view", None), "wait_plots", None)
    if callable(wait_plots):
        wait_plots()


def _picture(window) -> bytes:
    image = window.grab().toImage()
    return bytes(image.constBits().asarray(image.sizeInBytes()))


def settle(window, app, *, timeout: float = _TIMEOUT) -> bool:
    """Process Qt events until the window's picture stops changing.

    Returns
    -------
    stable : bool
        False if the picture still changed after ``timeout`` seconds.
    """
    _wait_for_work(window)
    deadline = time.monotonic() + timeout
    app.processEvents()
    last, since = _picture(window), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(_POLL)
        app.processEvents()
        now = _picture(window)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= _STABLE_TIME:
            return True
    return False


def qt_window_scraper(block, block_vars, gallery_conf) -> str:
    """Save the Qt windows shown at the end of a code block as PNG images.

    Parameters
    ----------
    block : tuple
        The code block that was run (Sphinx-Gallery's ``Block``).
    block_vars : dict
        Sphinx-Gallery's variables of the block; ``image_path_iterator`` gives
        the file name of each image.
    gallery_conf : dict
        The gallery configuration.

    Returns
    -------
    rst : str
        The reStructuredText showing the images (empty if no window is shown).
    """
    from sphinx_gallery.scrapers import figure_rst

    app = _qt_app()
    if app is None:
        return ""
    paths = []
    for window, image_path in zip(
        _shown_windows(app), block_vars["image_path_iterator"], strict=False
    ):
        if not settle(window, app):
            logger.warning(
                f"The Qt window {window.windowTitle()!r} still changed after "
                f"{_TIMEOUT:g} s; saved as it was."
            )
        path = Path(image_path)
        if not window.grab().save(str(path), "PNG"):
            raise RuntimeError(f"Qt could not save the window image {path}.")
        paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


def hide_qt_windows(gallery_conf, fname) -> None:
    """Hide the windows an example left open (Sphinx-Gallery's reset hook)."""
    app = _qt_app()
    if app is None:
        return
    for window in _shown_windows(app):
        window.hide()
    app.processEvents()
