"""Graphical user interface to label ICA components by hand.

Only a thin function lives here: Qt and matplotlib are imported when the window
is opened, never by ``import mne_icalabel``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mne.utils import _check_option

from ..utils._docs import fill_doc
from ..utils._imports import import_optional_dependency
from ..web._kernel import in_notebook

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

    from ._label_components import ICAComponentLabeler
    from ._review import ReviewWindow


def label_ica_components(
    inst: BaseRaw | BaseEpochs,
    ica: ICA,
    show: bool = True,
    block: bool = False,
    *,
    scores: dict | None = None,
    frontend: str | None = None,
) -> ICAComponentLabeler:
    """Open a window to label the ICA components by hand.

    The window lists the components; for the selected one it shows what
    MNE's :meth:`~mne.preprocessing.ICA.plot_properties` and EEGLAB's
    ``viewprops`` show: its topographic map, its power spectrum, its time
    course (Raw), an image of its epochs (Epochs) or of consecutive 2 s
    segments (Raw) with their mean, its variance in each epoch or segment
    (segments that overlap a ``BAD_`` annotation in red), the share of the
    data variance it explains, and its class probabilities as bars (every set
    known: ICLabel and/or MEGNet). A click on a class button, or its keyboard
    shortcut, labels the component: the label is written at once to
    ``ica.labels_`` and replaces any previous class label of that component.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording the ICA decomposition was fitted on (or one with the same
        channels).
    ica : ICA
        A fitted :class:`mne.preprocessing.ICA` instance. Its ``labels_`` are
        modified in place.
    show : bool
        Show the window.
    block : bool
        Run the Qt event loop until the window is closed.
    scores : dict | None
        Probability sets to show besides ``ica.labels_scores_``, mapping a
        method (``"iclabel"``, ``"megnet"``) to its (n_components, n_classes)
        array, e.g. ``read_components_tsv(fname)["probabilities"]`` for an
        ICA of EEG and MEG labelled with both networks. Each set is listed in
        full above the plots.
    frontend : ``"qt"`` | ``"notebook"`` | ``"browser"`` | None
        Where to show it: a Qt window; a widget in the notebook cell's output
        (JupyterLab, Notebook 7, VS Code; needs ``anywidget``); or a page
        served on 127.0.0.1 whose URL ``gui.url`` holds (opened in the
        default browser when ``show``; ``block`` serves until Ctrl+C). None:
        the widget when called in a Jupyter kernel, else the Qt window.

    Returns
    -------
    gui : ICAComponentLabeler | NotebookReview | ReviewServer
        The window, a :class:`qtpy.QtWidgets.QMainWindow`; in a notebook, the
        review shown (its ``widget``); in a browser, the running server (its
        ``url``, ``stop()``).

    Notes
    -----
    EEG recordings get the seven ICLabel classes, MEG recordings (ICA fitted
    on magnetometers and/or gradiometers only) the four MEGNet classes. The
    ``ica.labels_`` keys are those of MNE (``"brain"``, ``"muscle"``,
    ``"eog"``, ``"ecg"``, ``"line_noise"``, ``"ch_noise"``, ``"other"``); the
    MEGNet classes map to ``"brain"`` (brain/other), ``"eog"`` (eye blink),
    ``"ecg"`` (heart beat) and ``"eye_movement"``.

    Keyboard shortcuts: the digits ``1``–``7`` (``1``–``4`` for MEG) and the
    letters shown beside each class button label the selected component;
    ``0``, ``Backspace`` or ``Delete`` reset it; ``N``/``Right`` and
    ``P``/``Left`` move to the next and previous component (the up and down
    arrows work in the list); ``Shift+Right``/``Shift+Left`` scroll the time
    course; ``A`` toggles the automatic move to the next component after
    labelling; ``Ctrl+S`` saves (see
    :meth:`~mne_icalabel.gui._label_components.ICAComponentLabeler.save`) and
    ``Ctrl+W`` closes. The keys work as soon as the window opens: the list of
    components has the keyboard focus.

    If ``ica.labels_scores_`` exists (e.g. after
    :func:`mne_icalabel.iclabel.iclabel_label_components`), the most probable
    automatic class is shown beside each component and all probabilities of
    the selected component beside the class buttons and as bars. Otherwise
    the *Label automatically* button (also in the *Tools* menu) runs the
    network the ICA's channels call for (ICLabel for EEG, MEGNet for MEG, both
    for an ICA of EEG and MEG, as ``mne-icalabel label`` chooses) on ``inst``:
    it sets ``ica.labels_scores_`` and gives each component that has no
    label yet its most probable class in ``ica.labels_``; labels already set
    (by hand or before the window opened) are kept. An error (e.g. no
    montage) or a warning of the network is shown in a message box.

    The window shows the topographic map of each modality of the ICA side by
    side: EEG, and MEG from the magnetometers (the gradiometers when the ICA
    has no magnetometer). An ICA of EEG and MEG gets the ICLabel classes.

    The notebook widget and the browser page show the same panels and take
    the same keys; every label is written at once to ``ica.labels_``.
    """
    frontend = _frontend(frontend)
    if frontend == "notebook":
        # tornado, anywidget (optional): only for the browser or a notebook
        from ..web._widget import NotebookReview

        review = NotebookReview(_recording_session(inst, ica, scores))
        return review.show() if show else review
    if frontend == "browser":
        # tornado, anywidget (optional): only for the browser or a notebook
        from ..web._launch import serve_recording

        server = serve_recording(inst, ica, scores=scores, open_browser=show)
        return _serve_block(server) if block else server
    import_optional_dependency(
        "qtpy", extra="The ICA labelling window needs Qt bindings for Python."
    )
    # Qt and matplotlib: only when a window opens
    from ._label_components import ICAComponentLabeler, _get_qt_app

    app = _get_qt_app()
    gui = ICAComponentLabeler(inst=inst, ica=ica, show=show, scores=scores)
    if block:
        app.exec()
    return gui


@fill_doc
def review_bids_dataset(
    bids_root: str | os.PathLike,
    *,
    subjects: str | list[str] | None = None,
    sessions: str | list[str] | None = None,
    tasks: str | list[str] | None = None,
    runs: str | list[str] | None = None,
    datatype: str = "eeg",
    show: bool = True,
    block: bool = False,
    frontend: str | None = None,
) -> ReviewWindow:
    """Open a window to review the component labels of a whole BIDS dataset.

    The dataset must have been labelled with
    :func:`mne_icalabel.batch.label_bids_dataset` (``mne-icalabel bids``).
    On the left, the labelled recordings with their state (``not reviewed``,
    ``reviewed``, ``changed``) and counts (components, excluded, labelled by
    hand); in the centre, the components of the recording shown, as in the
    labelling window (:func:`label_ica_components`), with the automatic
    labels and probabilities of its components TSV and the components its
    ``status`` excludes marked with ``x``.

    Parameters
    ----------
    %(bids_root_labelled)s
    %(selection)s
    %(datatype)s
    show : bool
        Show the window.
    block : bool
        Run the Qt event loop until the window is closed.
    frontend : ``"qt"`` | ``"notebook"`` | ``"browser"`` | None
        As in :func:`label_ica_components`: a Qt window, a notebook widget
        or a page served on 127.0.0.1 (``mne-icalabel review ROOT
        --browser`` from a shell). None: the widget in a Jupyter kernel, else
        the window.

    Returns
    -------
    window : ReviewWindow | NotebookReview | ReviewServer
        The window, a :class:`qtpy.QtWidgets.QMainWindow`; the review shown
        in a notebook; or the running server (its ``url``).

    Raises
    ------
    FileNotFoundError
        If ``bids_root`` is not a BIDS dataset.
    RuntimeError
        If none of its recordings (of the selection) is labelled.

    Notes
    -----
    **Order.** Doubtful decisions first: the recordings not reviewed yet come
    first, ordered by their most doubtful component, and the components of a
    recording are listed most doubtful first. A decision's doubt is how
    little one probability would have to change to flip it under the
    exclusion policy recorded in the sidecar (the ``margin`` of its
    :meth:`~mne_icalabel.annotation.policy.ExclusionPolicy.decide` record,
    of both networks' combined decision when the TSV has both); when no
    policy is recorded, its lowest top probability. Components labelled by
    hand come last. A component is *doubtful* below a margin of 0.1 (a top
    probability of 0.6); the status line counts the doubtful components of
    the recordings not reviewed yet.
    The order is computed from the TSVs alone, so the window opens at once;
    a recording is read when shown, and the next one is read in the
    background meanwhile.

    **Keys**, as in the labelling window: the digits ``1``–``7`` (``1``–``4``
    for MEG) and the letters beside the class buttons label the selected
    component (e.g. ``3`` = Eye), ``0`` resets it, ``N``/``P`` (or the arrows)
    move in the component list, which has the keyboard focus. ``Ctrl+S``
    saves the recording shown, ``PageDown``/``PageUp`` show the next and
    previous recording; leaving a recording, or closing the window, with
    unsaved decisions asks whether to save them.

    **Saving** writes the components labelled by hand as manual rows of the
    recording's components TSV (``annotate_method`` ``"manual"``,
    ``annotate_author`` the reviewer, ``status`` ``"good"`` for a class the
    policy keeps, else ``"bad"``), keeping every other row and column as it
    is on disk, and a ``"Review"`` entry in its JSON sidecar:
    ``{"Author": ..., "Date": "YYYY-MM-DDTHH:MM:SSZ" (UTC), "Changed":
    [components whose label changed]}``. A recording saved without a changed
    label is ``reviewed``, with one ``changed``. Both files are replaced
    atomically; if either changed on disk since the recording was loaded,
    the window asks before writing. The reviewer is ``MNE_ICALABEL_AUTHOR``
    (``mne.set_config`` or the environment variable), else the login name.
    Reopening the window shows the saved decisions and states.

    In a notebook or a browser each view (tab) keeps its own decisions until
    it saves; a second view that saves the same recording later is asked
    first, as the window is when the TSV changed on disk.
    """
    frontend = _frontend(frontend)
    import_optional_dependency("mne_bids")
    _check_option("datatype", datatype, ("eeg", "meg"))
    selection = dict(
        subjects=subjects, sessions=sessions, tasks=tasks, runs=runs, datatype=datatype
    )
    if frontend == "notebook":
        # tornado, anywidget (optional): only for the browser or a notebook
        from ..web._session import WebDataset
        from ..web._widget import NotebookReview, prepare_executor

        review = NotebookReview(
            WebDataset(bids_root, executor=prepare_executor(), **selection)
        )
        return review.show() if show else review
    if frontend == "browser":
        # tornado, anywidget (optional): only for the browser or a notebook
        from ..web._launch import serve_dataset

        server = serve_dataset(bids_root, **selection, open_browser=show)
        return _serve_block(server) if block else server
    import_optional_dependency(
        "qtpy", extra="The dataset review window needs Qt bindings for Python."
    )
    # Qt and matplotlib: only when a window opens
    from ._label_components import _get_qt_app
    from ._review import ReviewWindow

    app = _get_qt_app()
    window = ReviewWindow(
        bids_root,
        subjects=subjects,
        sessions=sessions,
        tasks=tasks,
        runs=runs,
        datatype=datatype,
        show=show,
    )
    if block:
        app.exec()
    return window


def _frontend(frontend: str | None) -> str:
    """Return the front end asked for; None: the notebook widget in a kernel."""
    from mne.utils import _validate_type

    _validate_type(frontend, (str, None), "frontend")
    if frontend is None:
        return "notebook" if in_notebook() else "qt"
    _check_option("frontend", frontend, ("qt", "notebook", "browser"))
    return frontend


def _recording_session(inst, ica, scores):
    # tornado, anywidget (optional): only for the browser or a notebook
    from ..web._session import RecordingSession
    from ..web._widget import prepare_executor

    return RecordingSession(inst, ica, executor=prepare_executor(), scores=scores)


def _serve_block(server):
    """Print the URL to open; serve until Ctrl+C, then stop; return the server."""
    import time

    print(f"Serving the review at {server.url}", flush=True)  # with its token
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return server
