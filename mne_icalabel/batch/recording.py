"""Label one recording: prepare, fit (or reuse) an ICA, label, write the outputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type, logger, verbose

from ..utils._docs import fill_doc
from ..utils._io import atomic_path

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA


def _label(inst, ica: ICA, method: str, backend: str | None = None) -> np.ndarray:
    """Run the method, store probabilities and labels on ``ica``, return them."""
    if method == "iclabel":
        from ..iclabel import iclabel_label_components

        return iclabel_label_components(inst, ica, inplace=True, backend=backend)
    from ..annotation._classes import add_to_labels
    from ..megnet import megnet_label_components
    from ..megnet._config import MEGNET_NUMERICAL_TO_STRING

    proba = megnet_label_components(inst, ica, backend)
    ica.labels_scores_ = proba
    names = [MEGNET_NUMERICAL_TO_STRING[int(k)] for k in np.argmax(proba, axis=1)]
    add_to_labels(ica, names)
    return proba


@verbose
@fill_doc
def label_recording(
    inst: BaseRaw | BaseEpochs,
    ica: ICA | None = None,
    method: str = "iclabel",
    *,
    out_dir: str | os.PathLike | None = None,
    basename: str = "recording",
    n_components: int | None = None,
    ica_decim: int | str | None = "auto",
    prepare: bool = True,
    report: bool = True,
    save_ica: bool = True,
    backend: str | dict[str, str] | None = None,
    verbose=None,
) -> dict:
    """Label the ICA components of one recording and write the results.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording, as read from disk. It is not modified.
    ica : ICA | None
        A fitted ICA to label; a copy is labelled, ``ica`` is not modified.
        ``None`` fits the ICA the method expects (see :func:`fit_ica`).
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"``
        The labelling method. ``"both"`` (a Raw with EEG and MEG) labels one
        ICA of both channel types with ICLabel (from its EEG maps) and MEGNet
        (from its magnetometer maps): the TSV holds both probability sets and
        a component is excluded when either network predicts an artifact (its
        ``ic_type`` is ICLabel's class if ICLabel predicts an artifact, else
        MEGNet's); ``"brain"`` when both predict brain.
    out_dir : path-like | None
        Folder of the outputs; ``None`` writes nothing.
    basename : str
        Start of the output file names: ``<basename>_components.tsv`` (+ its
        ``.json`` sidecar), ``<basename>_report.html`` and, for an ICA fitted
        here, ``<basename>_ica.fif``.
    n_components : int | None
        Number of components of a fitted ICA (ignored when ``ica`` is given).
    ica_decim : ``"auto"`` | int | None
        The samples a fitted ICA uses: ``"auto"`` (default) every ``n``-th
        sample, enough for ``n_components``; ``None`` or 1 every sample (see
        ``decim`` of :func:`fit_ica`). The labels use the whole recording.
    prepare : bool
        If True (default), filter and re-reference a copy of ``inst`` as the
        method expects (:func:`prepare_recording`) before fitting and
        labelling. Set it to False when ``inst`` is already prepared.
    report : bool
        Also write the HTML report (:func:`make_report`).
    save_ica : bool
        Save an ICA fitted here to ``<basename>_ica.fif``.
    backend : str | dict | None
        The network backend (see :func:`mne_icalabel.iclabel.run_iclabel` and
        :func:`mne_icalabel.megnet.megnet_label_components`); ``None`` picks
        the first available. With ``method="both"``, also a dict giving each
        method its own (``{"iclabel": "numpy", "megnet": "onnx"}``).
    %(verbose)s

    Returns
    -------
    result : dict
        ``"ica"``: the labelled ICA (``labels_scores_`` and ``labels_`` set);
        ``"proba"``: ndarray (n_components, n_classes), for ``"both"`` a dict
        of the two methods' arrays; ``"labels"``: list of the predicted class
        names (the combined class for ``"both"``); ``"fitted"``: whether the
        ICA was fitted here; ``"files"``: dict of the written paths (keys ``"tsv"``,
        ``"json"``, ``"report"``, ``"ica"``).
    """
    from mne.preprocessing import ICA

    from ..config import ICALABEL_METHODS_NUMERICAL_TO_STRING
    from .ica import _check_decim, fit_ica, prepare_recording

    _check_option("method", method, ("iclabel", "megnet", "both"))
    ica_decim = _check_decim(ica_decim, "ica_decim")
    _validate_type(ica, (ICA, None), "ica", "ICA or None")
    _validate_type(basename, str, "basename")
    if prepare:
        # an ICA of EEG and MEG needs both kept, whichever network labels it
        types = set() if ica is None else set(ica.get_channel_types())
        combined = "eeg" in types and bool(types & {"mag", "grad"})
        inst = prepare_recording(inst, "both" if combined else method)
    fitted = ica is None
    if fitted:
        ica = fit_ica(inst, method, n_components, decim=ica_decim)
    else:
        ica = ica.copy()
    if method == "both":
        from ._both import label_both

        proba, labels = label_both(inst, ica, backend)
        probabilities = proba
    else:
        proba = _label(inst, ica, method, backend)
        names = ICALABEL_METHODS_NUMERICAL_TO_STRING[method]
        labels = [names[int(k)] for k in np.argmax(proba, axis=1)]
        probabilities = {method: proba}

    files: dict[str, Path] = {}
    if out_dir is not None:
        from ..annotation.bids import _tsv_path, _write_components

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        tsv = _tsv_path(out_dir / f"{basename}_components.tsv")
        files["tsv"] = _write_components(ica, tsv, probabilities)
        files["json"] = files["tsv"].with_suffix(".json")
        if fitted and save_ica:
            files["ica"] = out_dir / f"{basename}_ica.fif"
            with atomic_path(files["ica"]) as tmp:
                ica.save(tmp, overwrite=True, verbose=False)
        if report:
            from .report import make_report

            files["report"] = out_dir / f"{basename}_report.html"
            make_report(inst, ica, proba, method, files["report"], title=basename)
        logger.info(f"Wrote {', '.join(str(f) for f in files.values())}")
    return dict(ica=ica, proba=proba, labels=labels, fitted=fitted, files=files)
