"""The loop users write today: label every recording of a BIDS dataset in turn.

Run by ``bench_bids_dataset.py`` with the upstream interpreter (mne-icalabel
0.10.0), so it uses only mne, mne-bids and the public ``label_components``:
for each recording, read it, filter 1-100 Hz, re-reference EEG to the average,
fit the ICA with MNE's defaults on every sample (EEG: picard, extended infomax,
20 components; MEG: infomax, 20 components, as MEGNet expects) and label it.
Each recording's ICA and argmax labels are written to ``--out`` for the
comparison, and the process's peak RSS to ``--out/loop.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from inspect import signature
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--datatype", choices=("eeg", "meg"), default="eeg")
    args = parser.parse_args()

    import mne
    import mne_bids
    from mne.preprocessing import ICA

    from mne_icalabel import label_components

    mne.set_log_level("ERROR")
    eeg = args.datatype == "eeg"
    seed = "rng" if "rng" in signature(ICA).parameters else "random_state"
    args.out.mkdir(parents=True, exist_ok=True)
    paths = mne_bids.find_matching_paths(
        args.root,
        datatypes=args.datatype,
        suffixes=args.datatype,
        extensions=[".vhdr", ".fif"],
    )
    seconds = {}
    for bids_path in sorted(paths, key=lambda p: str(p.fpath)):
        start = time.perf_counter()
        raw = mne_bids.read_raw_bids(bids_path)
        raw.load_data()
        raw.filter(1.0, 100.0)
        if eeg:
            raw.set_eeg_reference("average")
            ica = ICA(
                n_components=20,
                method="picard",
                fit_params=dict(ortho=False, extended=True),
                max_iter="auto",
                **{seed: 97},
            )
            ica.fit(raw, picks="eeg")
            result = label_components(raw, ica, method="iclabel")
        else:
            ica = ICA(n_components=20, method="infomax", max_iter="auto", **{seed: 97})
            ica.fit(raw, picks="meg")
            result = label_components(raw, ica, method="megnet")
        stem = bids_path.copy().update(suffix=None, extension=None, split=None)
        ica.save(args.out / f"{stem.basename}_ica.fif", overwrite=True)
        labels = [str(label) for label in result["labels"]]
        (args.out / f"{stem.basename}_labels.json").write_text(json.dumps(labels))
        seconds[stem.basename] = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    record = dict(seconds=seconds, peak_mb=peak_mb, version=mne_icalabel_version())
    (args.out / "loop.json").write_text(json.dumps(record, indent=2))


def mne_icalabel_version() -> str:
    import mne_icalabel

    return mne_icalabel.__version__


if __name__ == "__main__":
    main()
