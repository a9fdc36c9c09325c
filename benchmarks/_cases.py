"""Benchmark cases: simulate (or read) a recording, fit its ICA once, cache as FIF.

Runs in our interpreter only (it uses ``mne_icalabel.datasets.simulation``); the
cached files are then read by the workers of both interpreters.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# Bump when the way a case is built changes, so stale caches are rebuilt.
_CACHE_VERSION = 2
_MEG_INFO = Path(__file__).resolve().parents[2] / "shared" / "data" / "meg"
_MEG_INFO = _MEG_INFO / "sample_audvis_trunc_raw_sss.fif"
# The EEGLAB sample dataset (32 channels: 30 EEG + EOG1, EOG2; 238 s at 128 Hz),
# as copied into the ICLabel testing dataset.
_EEGLAB_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data"
_EEGLAB_SAMPLE = (
    _EEGLAB_SAMPLE
    / "MNE-testing-icalabel-data"
    / "iclabel"
    / "eeglab2022.0"
    / "sample_data"
    / "eeglab_data.set"
)


@dataclass(frozen=True)
class Case:
    """One recording + ICA to label."""

    name: str
    method: str  # "iclabel" or "megnet"
    n_channels: int
    duration: float  # seconds
    sfreq: float
    n_components: int
    ica_method: str
    seed: int = 0
    source: str = "simulated"  # or "eeglab-sample": the EEGLAB sample recording
    fit_decim: int = 3  # every n-th sample fits the unmixing matrix

    def paths(self, cache: Path) -> dict[str, Path]:
        folder = cache / self.name
        return {
            "raw": folder / "raw.fif",
            "ica": folder / "fitted-ica.fif",
            "meta": folder / "meta.json",
        }


CASES = {
    case.name: case
    for case in (
        Case("iclabel-64ch-5min", "iclabel", 64, 300.0, 250.0, 35, "picard"),
        Case("iclabel-128ch-10min", "iclabel", 128, 600.0, 250.0, 60, "picard"),
        Case("megnet-306ch-5min", "megnet", 306, 300.0, 250.0, 20, "infomax"),
        # A real recording: the whole EEGLAB sample (30 EEG channels, 238 s at
        # 128 Hz), decomposed on all its samples into 29 components (the rank
        # left by the average reference). The ICA stored in the testing
        # dataset's sample-raw.set was fitted on its first 10 s only (its
        # sources correlate by up to 0.64 over the rest), so it is refitted.
        Case(
            "iclabel-eeglab-30ch",
            "iclabel",
            30,
            238.3,
            128.0,
            29,
            "picard",
            source="eeglab-sample",
            fit_decim=1,
        ),
    )
}


def _read_eeglab_sample():
    """The EEGLAB sample's 30 EEG channels, high-passed at 1 Hz, average reference.

    At 128 Hz the recording holds nothing above 64 Hz, so only the 1 Hz
    high-pass of ICLabel's 1-100 Hz band applies.
    """
    import warnings

    import mne

    with warnings.catch_warnings():  # MNE's estimated head radius
        warnings.simplefilter("ignore", RuntimeWarning)
        raw = mne.io.read_raw_eeglab(_EEGLAB_SAMPLE, preload=True, verbose=False)
    raw.drop_channels(["EOG1", "EOG2"])
    raw.filter(1.0, None, picks="data", verbose=False)
    raw.set_eeg_reference("average", verbose=False)
    return raw


def _recording(case: Case):
    """Simulate (or read), filter 1-100 Hz and (EEG) re-reference to the average."""
    from mne_icalabel.datasets.simulation import simulate_eeg_raw, simulate_meg_raw

    if case.source == "eeglab-sample":
        return _read_eeglab_sample()
    if case.method == "iclabel":
        raw = simulate_eeg_raw(
            n_channels=case.n_channels,
            duration=case.duration,
            sfreq=case.sfreq,
            random_state=case.seed,
        )
        raw.filter(1.0, 100.0, picks="data", verbose=False)
        raw.set_eeg_reference("average", verbose=False)
    else:
        raw = simulate_meg_raw(
            _MEG_INFO,
            duration=case.duration,
            sfreq=case.sfreq,
            meg="all",
            random_state=case.seed,
        )
        raw.filter(1.0, 100.0, picks="data", verbose=False)
    return raw


def _fit_ica(case: Case, raw):
    from mne.preprocessing import ICA

    if case.ica_method == "picard":
        # extended infomax, computed with picard (same solution, much faster)
        fit_params = dict(ortho=False, extended=True)
    else:
        fit_params = None
    ica = ICA(
        n_components=case.n_components,
        method=case.ica_method,
        fit_params=fit_params,
        max_iter="auto",
        rng=case.seed,
    )
    picks = "eeg" if case.method == "iclabel" else "meg"
    # on the simulated cases every third sample is plenty to fit the unmixing
    # matrix, 3x faster
    ica.fit(raw, picks=picks, decim=case.fit_decim, verbose=False)
    return ica


def ensure_case(case: Case, cache: Path, force: bool = False) -> dict[str, Path]:
    """Build the case's raw.fif and ica.fif unless an up-to-date cache exists."""
    paths = case.paths(cache)
    meta = {"case": asdict(case), "cache_version": _CACHE_VERSION}
    if not force and all(p.exists() for p in paths.values()):
        stored = json.loads(paths["meta"].read_text())
        if {k: stored.get(k) for k in meta} == meta:
            return paths
    paths["raw"].parent.mkdir(parents=True, exist_ok=True)
    paths["meta"].unlink(missing_ok=True)
    t0 = time.perf_counter()
    raw = _recording(case)
    t1 = time.perf_counter()
    raw.save(paths["raw"], overwrite=True, verbose=False)
    # fit on the data as the workers will read them (saved as float32)
    import mne

    raw = mne.io.read_raw_fif(paths["raw"], preload=True, verbose=False)
    ica = _fit_ica(case, raw)
    t2 = time.perf_counter()
    ica.save(paths["ica"], overwrite=True, verbose=False)
    meta.update(
        simulate_s=round(t1 - t0, 2),
        ica_fit_s=round(t2 - t1, 2),
        ica_n_iter=int(getattr(ica, "n_iter_", -1)),
        n_components_=int(ica.n_components_),
    )
    paths["meta"].write_text(json.dumps(meta, indent=2))
    print(
        f"[{case.name}] recording made in {meta['simulate_s']} s, ICA fitted in "
        f"{meta['ica_fit_s']} s ({meta['ica_n_iter']} iterations)",
        flush=True,
    )
    return paths
