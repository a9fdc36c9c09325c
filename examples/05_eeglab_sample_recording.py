"""
.. _ex-eeglab-sample:

=========================================================
Clean a real EEG recording: the EEGLAB sample dataset
=========================================================

From a file on disk to cleaned data: the EEGLAB sample recording (32 channels
of which 2 are EOG, 238 s at 128 Hz, recorded during a visual task) is read,
prepared as ICLabel expects, decomposed with ICA, labelled with ICLabel [1]_;
an exclusion policy decides which components are removed, and the signals and
spectra before and after show what went.

The recording is part of the testing data of this package, downloaded once
by :func:`mne_icalabel.datasets.icalabel.data_path`, or found where
``MNE_ICALABEL_DATASET_TESTING_PATH`` points.
"""

# %%
from pathlib import Path
from tempfile import mkdtemp

import matplotlib.pyplot as plt
import mne
import numpy as np
from mne.preprocessing import ICA

from mne_icalabel import label_components
from mne_icalabel.annotation.policy import ExclusionPolicy
from mne_icalabel.datasets import icalabel

# sphinx_gallery_thumbnail_number = 4

# %%
# Read the recording
# ------------------
# An EEGLAB ``.set`` file (its samples are in the ``.fdt`` beside it), with
# the electrode positions. Two of its channels are EOG electrodes, read as
# EEG: give them their type, so that they stay out of the average reference
# and of the ICA.
fname = icalabel.data_path() / "iclabel" / "eeglab2022.0" / "sample_data"
raw = mne.io.read_raw_eeglab(fname / "eeglab_data.set", preload=True)
raw.set_channel_types({"EOG1": "eog", "EOG2": "eog"})
print(raw)
print(f"Filtered between {raw.info['highpass']:g} and {raw.info['lowpass']:g} Hz")

# %%
# Prepare the data as ICLabel expects
# -----------------------------------
# ICLabel was trained on EEG referenced to the common average and filtered
# between 1 and 100 Hz. At 128 Hz a 100 Hz low-pass is impossible (the
# Nyquist frequency is 64 Hz): the 1 Hz high-pass alone is applied, to a
# copy used for the ICA, and ICLabel says what this means when it labels the
# components (its warning below). The ICA is then applied to the recording
# with its original band.
raw.set_eeg_reference("average")
filt = raw.copy().filter(l_freq=1.0, h_freq=None)

# %%
# Fit the ICA
# -----------
# Extended infomax, here through Picard (``ortho=False, extended=True`` fits
# the same model, faster), with 20 components. A fixed ``random_state``
# makes the decomposition, hence this page, reproducible.
ica = ICA(
    n_components=20,
    method="picard",
    fit_params=dict(ortho=False, extended=True),
    max_iter="auto",
    random_state=97,
)
ica.fit(filt)

# %%
# Label the components
# --------------------
# :func:`~mne_icalabel.label_components` returns the most probable class of
# each component and its probability; all seven probabilities are stored in
# ``ica.labels_scores_``.
result = label_components(filt, ica, method="iclabel")
for k, (label, proba) in enumerate(
    zip(result["labels"], result["y_pred_proba"], strict=True)
):
    print(f"ICA{k:03d}  {label:<16} {proba:.2f}")

# %%
# Decide what to remove
# ---------------------
# The default :class:`~mne_icalabel.annotation.policy.ExclusionPolicy` is
# mne-bids-pipeline's rule: brain and other are kept; a component is removed
# when another class reaches 0.8 and no kept class reaches 0.3. The decision
# says why for each component.
policy = ExclusionPolicy()
decision = policy.decide(ica.labels_scores_, "iclabel")
exclude = decision.exclude
for k in exclude:
    print(f"ICA{k:03d}: {decision.descriptions[k]}")

# %%
# The maps and properties of the removed components: a frontal map with
# sparse, large deflections for the eye blinks; a peak at the 60 Hz line
# frequency for the line-noise components.
ica.plot_properties(filt, picks=exclude, show=False)

# %%
# Clean the recording
# -------------------
# :meth:`~mne.preprocessing.ICA.apply` removes the excluded components from
# the referenced recording (its original 0-64 Hz band), which is then saved.
clean = ica.apply(raw.copy(), exclude=exclude)
out = Path(mkdtemp()) / "eeglab_data_clean_raw.fif"
clean.save(out)

# %%
# Before and after: eye blinks
# ----------------------------
# Ten seconds around the largest blink of the blink component, on the
# frontal channels, before (grey) and after (black) cleaning, with what was
# removed below.
blink = [k for k in exclude if result["labels"][k] == "eye blink"]
sources = ica.get_sources(filt).get_data(picks=blink)
peak = raw.times[np.argmax(np.abs(sources).max(axis=0))]
tmin = float(np.clip(peak - 5.0, 0.0, raw.times[-1] - 10.0))
start, stop = raw.time_as_index([tmin, tmin + 10.0])
picks = ["FPz", "F3", "Fz", "F4"]
before = raw.get_data(picks=picks, start=start, stop=stop) * 1e6
after = clean.get_data(picks=picks, start=start, stop=stop) * 1e6
times = raw.times[start:stop]

fig, axes = plt.subplots(
    len(picks) + 1, 1, sharex=True, figsize=(8, 7), layout="constrained"
)
for ax, name, b, a in zip(axes, picks, before, after, strict=False):
    ax.plot(times, b, color="0.6", label="before")
    ax.plot(times, a, color="k", lw=0.8, label="after")
    ax.set_ylabel(f"{name} (µV)")
axes[0].legend(loc="upper right", ncols=2)
axes[-1].plot(times, (before - after).T, lw=0.8)
axes[-1].set(ylabel="removed (µV)", xlabel="Time (s)")
axes[-1].legend(picks, loc="upper right", ncols=4, fontsize="small")
fig.suptitle("Frontal channels before and after cleaning")

# %%
# The share of each frontal channel's variance above 1 Hz that went with the
# removed components, over the whole recording:
clean_filt = ica.apply(filt.copy(), exclude=exclude)
for name in picks:
    b, a = filt.get_data(picks=name)[0], clean_filt.get_data(picks=name)[0]
    print(f"{name:>4}: {100 * (1 - a.var() / b.var()):4.1f} % of the variance removed")

# %%
# Before and after: spectrum
# --------------------------
# The average spectrum of the EEG channels. The blinks are slow: their
# removal lowers the power below 5 Hz. The line noise at 60 Hz is also spread
# over the components ICLabel kept (and over the dimensions the 20-component
# ICA leaves aside), so removing the line-noise components lowers it little:
# a notch filter (:meth:`mne.io.Raw.notch_filter`) is the tool for it.
fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
for name, inst, color in (("before", raw, "0.6"), ("after", clean, "k")):
    spectrum = inst.compute_psd(picks="eeg", fmin=0.5, fmax=64.0)
    power, freqs = spectrum.get_data(return_freqs=True)
    ax.semilogy(freqs, power.mean(axis=0) * 1e12, color=color, label=name)
ax.set(xlabel="Frequency (Hz)", ylabel="Power (µV²/Hz)", title="Mean EEG spectrum")
ax.legend()

# %%
# The same from the command line
# ------------------------------
# ``mne-icalabel label eeglab_data.set --out results/`` reads the file, fits
# the ICA, labels it and writes the components TSV, the ICA and an HTML
# report; ``mne-icalabel bids`` and ``mne-icalabel apply`` do it for a whole
# BIDS dataset (see :ref:`ex-review-apply`).
#
# References
# ----------
# .. [1] Pion-Tonachini L, Kreutz-Delgado K, Makeig S (2019). ICLabel: an
#    automated electroencephalographic independent component classifier,
#    dataset, and website. NeuroImage 198, 181-197.
