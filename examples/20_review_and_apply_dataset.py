"""
.. _ex-review-apply:

==============================================
Label, correct and clean a whole BIDS dataset
==============================================

The dataset workflow in three steps: ``bids`` labels every recording and
writes each one's decisions into a components TSV and an HTML report, a person
reviews them and corrects some (in the review window of ``mne-icalabel
review``, or with :func:`~mne_icalabel.annotation.mark_component` as here),
and ``apply`` writes the cleaned recordings. A manual decision survives
relabelling, and ``apply`` redoes only the recordings whose decisions changed.

It runs offline on a simulated two-subject dataset (it needs mne-bids; the
review window needs Qt bindings).
"""

# %%
import html
from pathlib import Path
from tempfile import mkdtemp

from mne_bids import BIDSPath, write_raw_bids

from mne_icalabel.annotation import mark_component, read_components_tsv
from mne_icalabel.batch import apply_bids_dataset, label_bids_dataset
from mne_icalabel.datasets.simulation import simulate_eeg_raw
from mne_icalabel.gui import review_bids_dataset

# %%
# A simulated BIDS dataset
# ------------------------
# Two subjects, one 60 s resting recording each, 32 EEG channels with eye
# blinks, heart beats and muscle bursts, stored as BrainVision files.
root = Path(mkdtemp()) / "ds"
for seed, subject in enumerate(("01", "02")):
    raw = simulate_eeg_raw(32, duration=60.0, random_state=seed, verbose=False)
    bids_path = BIDSPath(subject=subject, task="rest", datatype="eeg", root=root)
    write_raw_bids(
        raw, bids_path, format="BrainVision", allow_preload=True, verbose=False
    )

# %%
# Label: ``mne-icalabel bids ROOT``
# ---------------------------------
# An ICA is fitted on each recording (1-100 Hz, common average reference), its
# components labelled by ICLabel, and each component's ``status`` decided by
# the exclusion policy.
summary = label_bids_dataset(root, n_components=10, verbose="error")
print(summary[["recording", "status", "labels"]].to_string(index=False))

deriv = root / "derivatives" / "mne-icalabel"
tsv = deriv / "sub-01" / "eeg" / "sub-01_task-rest_components.tsv"
components = read_components_tsv(tsv)
print("\nsub-01:", components["labels"], components["status"], sep="\n")

# %%
# The report
# ----------
# Beside each TSV, ``<recording>_report.html``: the policy, the table of
# every component's probabilities with its decision, the maps coloured by
# class and the time courses. Here is sub-01's, as a browser shows it (in a
# script, open the file with :func:`webbrowser.open`).
report = deriv / "sub-01" / "eeg" / "sub-01_task-rest_report.html"


class Page:
    """An HTML file shown in a frame by Jupyter (and on this page)."""

    def __init__(self, fname):
        self.text = Path(fname).read_text(encoding="utf-8")

    def _repr_html_(self):
        return (
            f'<iframe srcdoc="{html.escape(self.text)}" '
            'style="width: 100%; height: 700px; border: 1px solid #ccc"></iframe>'
        )


Page(report)

# %%
# Review: ``mne-icalabel review ROOT``
# ------------------------------------
# The review window lists the labelled recordings on the left and shows the
# components of one of them, the most doubtful decisions first, the excluded
# ones marked ``x``; the class buttons or keys change a label, and ``Ctrl+S``
# writes the decisions made by hand into the TSV. Here it is opened and
# closed again (``block=True`` keeps it open in a script). In a notebook the
# review is a widget by default; ``frontend="qt"`` opens the window.
window = review_bids_dataset(root, show=True, block=False, frontend="qt")

# %%
# Correct a decision by hand
# --------------------------
# A reviewer decides that the first component kept by the policy is an eye
# blink. Without the window, :func:`~mne_icalabel.annotation.mark_component`
# writes the same manual row (``annotate_method`` ``manual``).
window.close()  # the review window of above
kept = components["status"].index("good")
mark_component(kept, tsv, "manual", "eye blink", "Jane Doe")

# %%
# Relabel: the manual row is kept
# -------------------------------
# ``bids --overwrite`` refreshes the probabilities, but a person's decision is
# never overwritten by an automatic one.
label_bids_dataset(
    root, subjects="01", overwrite=True, n_components=10, verbose="error"
)
after = read_components_tsv(tsv)
print(f"\nComponent {kept} after relabelling:", after["labels"][kept])
print("status:", after["status"][kept])

# %%
# Clean: ``mne-icalabel apply ROOT``
# ----------------------------------
# Each recording is referenced as its ICA was fitted, the components marked
# ``bad`` are removed, and ``*_desc-clean_eeg.fif`` is written beside the TSV
# with a sidecar saying what was removed; the report gains a section
# "Cleaning" (signals and spectra before and after).
summary = apply_bids_dataset(root, verbose="error")
print(summary[["recording", "status", "reference", "excluded"]].to_string(index=False))
print(sorted(p.name for p in (deriv / "sub-01" / "eeg").iterdir()))

# %%
# A second run does nothing: the TSVs and ICAs did not change. Editing a TSV
# (here, restoring the component to brain) redoes that recording only.
summary = apply_bids_dataset(root, verbose="error")
print(summary[["recording", "status"]].to_string(index=False))
mark_component(kept, tsv, "manual", "brain", "Jane Doe")
summary = apply_bids_dataset(root, verbose="error")
print(summary[["recording", "status", "excluded"]].to_string(index=False))
