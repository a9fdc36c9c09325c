"""
.. _ex-iclabel:

=============================================
Repair EEG artifacts with ICA and ICLabel
=============================================

This example removes blinks, heartbeat, muscle activity and line noise from an
EEG recording: it fits an ICA, labels the components automatically with
ICLabel [1]_, and rebuilds the signal without the artifact components.

It runs offline on a simulated 64-channel recording whose artifacts are known
(the simulation also records ground-truth ``EOG`` and ``ECG`` channels). Only
the network weights are needed (see ``mne-icalabel fetch-weights``).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from mne.preprocessing import ICA

from mne_icalabel import label_components
from mne_icalabel.datasets.simulation import simulate_eeg_raw

# sphinx_gallery_thumbnail_number = 3

# %%
# Simulate a recording
# --------------------
# 64 EEG electrodes on a BioSemi cap, 60 s at 250 Hz: brain dipoles in a
# spherical head, eye blinks, heartbeat, muscle bursts and 50 Hz line noise.
raw = simulate_eeg_raw(n_channels=64, duration=60.0, random_state=42)
raw.compute_psd(fmax=120.0, picks="eeg").plot(show=False)

# %%
# Prepare the data as ICLabel expects
# -----------------------------------
# ICLabel was trained on data filtered between 1 and 100 Hz, with a common
# average reference, decomposed with extended infomax. Picard with
# ``ortho=False, extended=True`` fits the same model, faster.
filt = raw.copy().filter(l_freq=1.0, h_freq=100.0)
filt.set_eeg_reference("average")
ica = ICA(
    n_components=15,
    method="picard",
    fit_params=dict(ortho=False, extended=True),
    max_iter="auto",
)
ica.fit(filt)

# %%
# Label the components
# --------------------
result = label_components(filt, ica, method="iclabel")
for k, (label, proba) in enumerate(
    zip(result["labels"], result["y_pred_proba"], strict=True)
):
    print(f"ICA{k:03d}  {label:<16} {proba:.2f}")
ica.plot_components(show=False)

# %%
# The full probability matrix is stored in ``ica.labels_scores_`` (one column
# per class) and the predicted classes in ``ica.labels_`` under MNE's keys.
print(ica.labels_)

# %%
# Remove the artifacts
# --------------------
# Keep the components labelled brain or other; exclude the rest. A
# probability threshold could be added for a more conservative choice.
exclude = [
    k for k, label in enumerate(result["labels"]) if label not in ("brain", "other")
]
print(f"Excluding {len(exclude)} components: {exclude}")
clean = ica.apply(filt.copy(), exclude=exclude)

# %%
# Check against the ground truth
# ------------------------------
# The blink time course (``EOG`` channel) explained most of the frontal signal
# before the repair; afterwards it explains almost none of it.
eog = filt.get_data(picks="EOG")[0]
for name, inst in (("before", filt), ("after", clean)):
    corr = np.corrcoef(inst.get_data(picks="Fp1")[0], eog)[0, 1]
    print(f"{name}: correlation of Fp1 with the blinks = {corr:.2f}")

fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
times = filt.times
sl = times < 10
ax.plot(times[sl], filt.get_data(picks="Fp1")[0, sl] * 1e6, label="before")
ax.plot(times[sl], clean.get_data(picks="Fp1")[0, sl] * 1e6, label="after")
ax.set(xlabel="Time (s)", ylabel="Fp1 (µV)", title="Artifact repair")
ax.legend()

# %%
# The same in one command
# -----------------------
# ``mne-icalabel demo`` runs these steps and writes the component TSV and an
# HTML report; ``mne-icalabel label <file>`` does it for a file and
# ``mne-icalabel bids <root>`` for every recording of a BIDS dataset (see
# :func:`mne_icalabel.batch.label_bids_dataset`).
#
# References
# ----------
# .. [1] Pion-Tonachini L, Kreutz-Delgado K, Makeig S (2019). ICLabel: an
#    automated electroencephalographic independent component classifier,
#    dataset, and website. NeuroImage 198, 181-197.
