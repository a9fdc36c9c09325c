"""Graphical user interface to label ICA components by hand.

Only a thin function lives here: Qt and matplotlib are imported when the window
is opened, never by ``import mne_icalabel``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..utils._imports import import_optional_dependency

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

    from ._label_components import ICAComponentLabeler


def label_ica_components(
    inst: BaseRaw | BaseEpochs,
    ica: ICA,
    show: bool = True,
    block: bool = False,
    *,
    scores: dict | None = None,
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

    Returns
    -------
    gui : ICAComponentLabeler
        The window, a :class:`qtpy.QtWidgets.QMainWindow`.

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
    """
    import_optional_dependency(
        "qtpy", extra="The ICA labelling window needs Qt bindings for Python."
    )
    from ._label_components import ICAComponentLabeler, _get_qt_app

    app = _get_qt_app()
    gui = ICAComponentLabeler(inst=inst, ica=ica, show=show, scores=scores)
    if block:
        app.exec()
    return gui
