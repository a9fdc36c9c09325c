"""The simulated dataset the clients run on, and mne-bids-pipeline's config.

Two subjects x 32 EEG channels x 40 s at 250 Hz (the simulation of
:mod:`mne_icalabel.datasets.simulation`: blinks, heartbeat, muscle, line noise),
written as BIDS BrainVision under the task ``ec``: mne-bids-pipeline treats a
task named ``rest`` specially, ``task_is_rest`` makes it cut fixed-length
epochs from the others.
"""

from __future__ import annotations

from pathlib import Path

SUBJECTS = ("01", "02")
TASK = "ec"
N_CHANNELS = 32
DURATION = 40.0
N_COMPONENTS = 10

#: mne-bids-pipeline's settings for an ICA labelled by ICLabel: what its
#: config checks ask for (1-100 Hz, average reference, extended infomax),
#: ICA only, no ECG/EOG channels, its default ICLabel policy spelled out
PIPELINE_SETTINGS = dict(
    task=TASK,
    task_is_rest=True,
    ch_types=["eeg"],
    data_type="eeg",
    eeg_reference="average",
    epochs_tmin=0.0,
    baseline=None,
    rest_epochs_duration=2.0,
    rest_epochs_overlap=0.0,
    spatial_filter="ica",
    ica_algorithm="picard-extended_infomax",
    ica_l_freq=1.0,
    ica_h_freq=100.0,
    ica_n_components=N_COMPONENTS,
    ica_use_icalabel=True,
    ica_icalabel_include=["brain", "other"],
    ica_exclusion_thresholds={},
    ica_class_thresholds={},
    ica_use_ecg_detection=False,
    ica_use_eog_detection=False,
    ica_reject=None,
    reject=None,
    n_jobs=1,
    on_error="abort",
    memory_location=False,
)

#: the steps that fit and label the ICA (data quality writes the bads TSV
#: that the filter step reads)
PIPELINE_STEPS = (
    "init",
    "preprocessing/_01_data_quality",
    "preprocessing/_04_frequency_filter",
    "preprocessing/_06a1_fit_ica",
    "preprocessing/_06a2_find_ica_artifacts",
)
LABEL_STEP = "preprocessing/_06a2_find_ica_artifacts"


def write_dataset(root: Path) -> Path:
    """Write the BIDS dataset into ``root``; return it."""
    import warnings

    from mne_bids import BIDSPath, write_raw_bids

    from mne_icalabel.datasets.simulation import simulate_eeg_raw

    for seed, subject in enumerate(SUBJECTS):
        raw = simulate_eeg_raw(
            N_CHANNELS, duration=DURATION, random_state=seed, verbose=False
        )
        path = BIDSPath(subject=subject, task=TASK, datatype="eeg", root=root)
        with warnings.catch_warnings():
            # a resting recording has no events, and its task is not "rest"
            warnings.filterwarnings("ignore", "No events found", RuntimeWarning)
            write_raw_bids(
                raw,
                path,
                format="BrainVision",
                allow_preload=True,
                overwrite=True,
                verbose=False,
            )
    return root


def write_pipeline_config(fname: Path, bids_root: Path) -> Path:
    """Write mne-bids-pipeline's configuration file for ``bids_root``."""
    lines = [f"bids_root = {str(bids_root)!r}"]
    lines += [f"{key} = {value!r}" for key, value in PIPELINE_SETTINGS.items()]
    fname.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return fname
