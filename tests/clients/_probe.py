"""Run one client's own mne-icalabel step; write what it decided as JSON.

A script, run in the client's environment with either this package or
mne-icalabel 0.10.0 importable as ``mne_icalabel`` (so it imports nothing
from this repository)::

    python _probe.py CLIENT INPUTS OUT.json

``INPUTS`` is a folder of ``<name>_epo.fif`` (or ``<name>_raw.fif``) and
``<name>_ica.fif`` pairs. Each client's function is called unchanged, as the
client calls it; the JSON holds, per pair, the components it excludes (or
``null`` where the step excludes nothing), the label it gives each component
and the full probability matrix it read from mne-icalabel, plus which
``mne_icalabel`` answered.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace


def _pairs(inputs: Path):
    import mne

    for ica_file in sorted(inputs.glob("*_ica.fif")):
        name = ica_file.name.removesuffix("_ica.fif")
        ica = mne.preprocessing.read_ica(ica_file, verbose="error")
        epochs = inputs / f"{name}_epo.fif"
        if epochs.exists():
            inst = mne.read_epochs(epochs, verbose="error")
        else:
            inst = mne.io.read_raw_fif(inputs / f"{name}_raw.fif", verbose="error")
        yield name, inst, ica


def _mne_bids_pipeline(inputs: Path, settings: dict) -> dict:
    """``_run_icalabel`` of its step ``preprocessing/_06a2_find_ica_artifacts``."""
    from mne_bids_pipeline.steps.preprocessing import _06a2_find_ica_artifacts as step

    cfg = SimpleNamespace(
        ica_icalabel_include=settings["ica_icalabel_include"],
        ica_exclusion_thresholds=settings["ica_exclusion_thresholds"],
        ica_class_thresholds=settings["ica_class_thresholds"],
    )
    out = {}
    for name, epochs, ica in _pairs(inputs):
        excluded, frame, _, _ = step._run_icalabel(
            cfg=cfg, ica=ica, epochs=epochs, mne_exclude=[], subject=name, session=None
        )
        out[name] = dict(
            excluded=[int(i) for i in excluded],
            labels=list(frame["PredictedLabel"]),
            proba=frame[step._ICALABEL_CLASSES].to_numpy().tolist(),
        )
    return out


def _pylossless(inputs: Path, settings: dict) -> dict:
    """``FlaggedICs.label_components``, its ICLabel step, and ``save_tsv``."""
    import pandas as pd
    from pylossless.flagging import FlaggedICs

    out = {}
    for name, epochs, ica in _pairs(inputs):
        flags = FlaggedICs()
        flags.label_components(epochs, ica)
        tsv = inputs / f"{name}_iclabels.tsv"
        flags.save_tsv(tsv)
        saved = pd.read_csv(tsv, sep="\t")
        out[name] = dict(
            excluded=None,
            labels=list(saved["ic_type"]),
            proba=ica.labels_scores_.tolist(),
            confidence=saved["confidence"].tolist(),
        )
    return out


def _autocleaneeg_pipeline(inputs: Path, settings: dict) -> dict:
    """``classify_ica_components(raw, ica, method="iclabel")``."""
    from autoclean.functions.ica.ica_processing import classify_ica_components

    out = {}
    for name, raw, ica in _pairs(inputs):
        frame = classify_ica_components(raw, ica, method="iclabel")
        out[name] = dict(
            excluded=None,
            labels=list(frame["ic_type"]),
            proba=ica.labels_scores_.tolist(),
            confidence=frame["confidence"].tolist(),
        )
    return out


PROBES = {
    "mne-bids-pipeline": _mne_bids_pipeline,
    "pylossless": _pylossless,
    "autocleaneeg-pipeline": _autocleaneeg_pipeline,
}


def main(argv: list[str]) -> None:
    client, inputs, out = argv[0], Path(argv[1]), Path(argv[2])
    settings = json.loads(argv[3]) if len(argv) > 3 else {}
    import mne_icalabel

    result = dict(
        client=client,
        client_version=version(client),
        mne_icalabel=dict(
            file=str(Path(mne_icalabel.__file__).resolve()),
            version=mne_icalabel.__version__,
        ),
        recordings=PROBES[client](inputs, settings),
    )
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
