"""
.. _ex-gui:

==============================================
Review and correct ICA labels in a window
==============================================

Automatic labels are a starting point: this example opens the labelling
window on components pre-labelled by ICLabel, so that each one can be
reviewed and its class changed with a click or a key, then saves the result
to a BIDS-like components TSV file.

It runs offline on simulated data. The window needs Qt bindings
(``pip install qtpy PyQt6``, or ``pip install -e ".[gui]"`` from a checkout of
this repository). Run it in an interactive session (e.g. IPython with
``%gui qt``) to keep the window open; as a script, pass ``block=True`` to wait
until the window is closed.
"""

# %%
import os
import sys
from pathlib import Path
from tempfile import mkdtemp

from mne.preprocessing import ICA

from mne_icalabel.annotation import mark_component, write_components_tsv
from mne_icalabel.datasets.simulation import simulate_eeg_raw
from mne_icalabel.gui import label_ica_components
from mne_icalabel.iclabel import iclabel_label_components

# %%
# Label a simulated recording automatically
# -----------------------------------------
raw = simulate_eeg_raw(n_channels=32, duration=60.0, random_state=7)
raw.filter(l_freq=1.0, h_freq=100.0).set_eeg_reference("average")
ica = ICA(
    n_components=12,
    method="picard",
    fit_params=dict(ortho=False, extended=True),
    max_iter="auto",
)
ica.fit(raw)
iclabel_label_components(raw, ica)  # fills ica.labels_scores_ and ica.labels_

# %%
# Open the window
# ---------------
# The list shows each component with its most probable ICLabel class; the
# plots show the selected one (map, spectrum, time course, image of its 2 s
# segments, variance per segment, ICLabel's probabilities as bars). The
# buttons (or the keys 1-7) change the label of the selected component, and
# the labels are written to ``ica.labels_``. With ``block=False`` the call
# returns at once and the window stays open while the session goes on (this
# page shows it as it opened). In a Jupyter notebook the same call shows the
# components as a widget in the cell's output instead; ``frontend="qt"`` asks
# for the window there too, as here.
gui = label_ica_components(raw, ica, show=True, block=False, frontend="qt")
blink = ica.labels_["eog"][0]  # MNE's key of ICLabel's "eye blink"
gui.select_component(blink)

# %%
# Here the window is closed at once, so that the example also runs without a
# screen (e.g. with ``QT_QPA_PLATFORM=offscreen``); in an interactive session
# it stays open until you close it. Closing the window saves the current
# selection into ``ica.labels_``.
interactive = hasattr(sys, "ps1") and os.environ.get("QT_QPA_PLATFORM") != "offscreen"
if not interactive:
    gui.close()
print(ica.labels_)

# %%
# Save the labels
# ---------------
# The components TSV (BIDS-like, readable by mne-bids-pipeline) stores the
# status of each component, its class and the ICLabel probabilities. A single
# component can also be re-annotated in the file afterwards.
out = Path(mkdtemp()) / "sub-01_task-rest_components.tsv"
write_components_tsv(ica, out)
mark_component(0, out, method="manual", label="brain", author="example")
print(out.read_text().splitlines()[:3])
